namespace Momentum;

// The collective seams of a step (IStepCollective): what the pipeline does instead of its local folds when this optimizer
// is one rank of a sharded optimizer.
public sealed partial class Optimizer
{
    private int[] _foldKeys = [];
    private double[] _foldPartials = [];

    /// <summary>
    /// The hooks through which this optimizer, as one rank of a sharded optimizer, agrees with the other ranks on a step;
    /// <see langword="null"/> (the default) for a single-process optimizer. Set once, before the first step.
    /// </summary>
    internal IStepCollective? Collective { get; set; }

    /// <summary>
    /// <see cref="FinishReductions"/>'s fold over every rank's segments: this rank's partials of the round's reductions,
    /// keyed by group (<c>-(group + 1)</c>) or parameter index, are exchanged, then every rank adds all of them in rank
    /// order, which is the single-process segment order, starting from zero as the local fold does.
    /// </summary>
    private void FoldReductionsAcrossRanks(int round)
    {
        EnsureFoldCapacity(_segments.Count);
        int n = 0;
        for (int s = 0; s < _segments.Count; s++)
        {
            var plan = _plans[_segments.Parameter[s]];
            if (round >= plan.RunStarts.Length || plan.Stages[plan.RunStarts[round]].Transform is not ReducingTransformation) continue;
            int group = plan.RoundGroup[round];
            _foldKeys[n] = group >= 0 ? -(group + 1) : _segments.Parameter[s];
            _foldPartials[n++] = _segments.Partial[s];
        }
        int count = Collective!.GatherPartials(_foldKeys.AsSpan(0, n), _foldPartials.AsSpan(0, n), out int[] keys, out double[] partials);
        for (int i = 0; i < count; i++)
        {
            if (keys[i] < 0) _groupTotals[-keys[i] - 1] += partials[i];
            else _plans[keys[i]].ReductionTotal += partials[i];
        }
    }

    /// <summary><see cref="IWrapperHost.RunWrapperSegments"/>'s sum over every rank's segments, in rank then segment order.</summary>
    private double FoldWrapperSumAcrossRanks()
    {
        EnsureFoldCapacity(_segments.Count);
        Array.Clear(_foldKeys, 0, _segments.Count);
        int count = Collective!.GatherPartials(_foldKeys.AsSpan(0, _segments.Count), _segments.Partial.AsSpan(0, _segments.Count),
            out _, out double[] partials);
        double total = 0;
        for (int i = 0; i < count; i++) total += partials[i];
        return total;
    }

    private void EnsureFoldCapacity(int count)
    {
        if (_foldKeys.Length >= count) return;
        _foldKeys = new int[count];
        _foldPartials = new double[count];
    }
}
