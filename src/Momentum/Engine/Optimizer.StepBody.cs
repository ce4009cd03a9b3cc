using Momentum.Kernels;

namespace Momentum;

public sealed partial class Optimizer
{
    private enum BodyMode { Collect, CheckFinite, CheckFiniteAndReduce, ReduceGradients, Prepare, Fused, CopyGradients, CopyAllGradients, Round, ReduceUpdates, ElementwiseRound, ApplyUpdates }

    /// <summary>The per-work-item body; one instance per optimizer, so running it allocates nothing.</summary>
    private sealed class StepBody(Optimizer owner) : IParallelBody
    {
        public BodyMode Mode;
        public int Round;
        public double Loss;
        public bool InlinePrepare;
        public bool Apply; // BodyMode.Round: a parameter's last round adds its updates to the parameters
        public int SquaresItems; // the first items of the pass each sum the squares of a parameter of _squaresList

        public void Run(int item, int worker)
        {
            if (item < SquaresItems)
            {
                var plan = owner._plans[owner._squaresList[item]];
                plan.ParameterSquares = VectorMath.SumOfSquares(plan.Parameter.Values);
                return;
            }
            RunItem(item - SquaresItems, worker);
        }

        private void RunItem(int item, int worker)
        {
            var o = owner;
            if (Mode == BodyMode.Collect)
            {
                int first = item * CollectBlockLength, k = first;
                bool missing = false;
                var gradients = o._collecting!;
                int version = o._collectingVersion;
                for (int i = first, end = Math.Min(first + CollectBlockLength, o._plans.Count); i < end; i++)
                {
                    // The buffer and length checked at an earlier step still hold if neither the buffer nor any row
                    // count changed since; then the plan, the parameter and the buffers need not be read.
                    ref var summary = ref o._summary[i];
                    var gradient = gradients.MarkedBuffer(i);
                    if (gradient is not null && (!ReferenceEquals(gradient, summary.CheckedGradient) || summary.CheckedVersion != version))
                    {
                        var parameter = o._plans[i].Parameter;
                        gradient = gradients.BufferIfPresent(parameter);
                        if (gradient is not null) (summary.CheckedGradient, summary.CheckedVersion, summary.CheckedLength) = (gradient, version, parameter.Length);
                    }
                    o._stepGradient[i] = gradient;
                    if (gradient is null) continue;
                    int length = summary.CheckedLength;
                    o._collectIndex[k] = i;
                    o._collectLength[k] = length;
                    o._collectKind[k] = PreparationKind(summary.Chain, length, InlinePrepare);
                    missing |= !summary.HasState;
                    k++;
                }
                o._blockActive[item] = k - first;
                o._blockMissingState[item] = missing;
                return;
            }
            if (Mode == BodyMode.Prepare)
            {
                for (int a = item * PrepareItemLength, end = Math.Min(a + PrepareItemLength, o._prepareCount); a < end; a++)
                {
                    int p = o._prepareList[a];
                    var chain = o._specialized[p]!;
                    chain.BeginStep(o.StepCount, Loss, ref o._adamMemo[worker]);
                    if (!chain.HasReduction) chain.Prepare(o._stepGradient[p]!, o._stepValues); // else after the reduction
                }
                return;
            }
            if (Mode == BodyMode.Fused && InlinePrepare)
            {
                // Begin and prepare the item's small parameters first, all of them, then run their kernels back to back,
                // rather than alternating the scattered reads of the bookkeeping with the kernels' streams (measurably
                // faster for many small tensors; docs/PERFORMANCE.md).
                for (int s = o._segments.ItemFirst[item], end = o._segments.ItemFirst[item + 1]; s < end; s++)
                {
                    if (!o._segments.Prepare[s]) continue;
                    int p = o._segments.Parameter[s];
                    var specialized = o._specialized[p]!;
                    specialized.BeginStep(o.StepCount, Loss, ref o._adamMemo[worker]);
                    specialized.Prepare(o._stepGradient[p]!, o._stepValues);
                }
            }
            for (int s = o._segments.ItemFirst[item], end = o._segments.ItemFirst[item + 1]; s < end; s++)
            {
                int start = o._segments.Start[s], length = o._segments.Length[s];
                if (Mode == BodyMode.Fused && o._specialized[o._segments.Parameter[s]] is { } specialized)
                {
                    if (InlinePrepare && o._segments.Prepare[s])
                    {
                        // Whole small tensors that lie right after this one in every array, with the same step
                        // scalars, go through the same kernel call: one stream instead of one per tensor.
                        while (s + 1 < end && o._segments.Prepare[s + 1] && o._specialized[o._segments.Parameter[s + 1]] is { } next
                            && specialized.IsContinuedBy(next, length))
                        {
                            length += o._segments.Length[++s];
                        }
                    }
                    specialized.Run(start, length); // without reading the plan
                    o._kernelRuns[worker * KernelRunStride]++;
                    continue;
                }
                var plan = o._plans[o._segments.Parameter[s]];
                switch (Mode)
                {
                    case BodyMode.CheckFinite:
                        o._segments.FirstBad[s] = VectorMath.IndexOfNonFinite(plan.Gradient!.Span.Slice(start, length));
                        break;
                    case BodyMode.CheckFiniteAndReduce:
                        // One read of g for both: the segment (at most ChunkLength elements) is still in L2 for the sum.
                        o._segments.FirstBad[s] = VectorMath.IndexOfNonFinite(plan.Gradient!.Span.Slice(start, length));
                        o._segments.Partial[s] = plan.Stages.Length > 0 && plan.Stages[0].Transform is ReducingTransformation rc
                            ? rc.Reduce(plan.Gradient!.Span.Slice(start, length)) : 0;
                        break;
                    case BodyMode.ReduceGradients:
                        o._segments.Partial[s] = plan.Stages.Length > 0 && plan.Stages[0].Transform is ReducingTransformation r0
                            ? r0.Reduce(plan.Gradient!.Span.Slice(start, length)) : 0;
                        break;
                    case BodyMode.ReduceUpdates:
                        o._segments.Partial[s] = Round < plan.RunStarts.Length && plan.Stages[plan.RunStarts[Round]].Transform is ReducingTransformation r
                            ? r.Reduce(plan.TwoPhase ? TwoPhaseHeadOutput(plan, start, length, o._chunkScratch![worker]) : plan.Updates!.Span.Slice(start, length)) : 0;
                        break;
                    case BodyMode.Fused:
                        Fused(plan, start, length, o._scratch[worker], BlockLength);
                        break;
                    case BodyMode.CopyGradients: // the fused rounds: only a tensor stage at the head starts from a copy
                        if (plan.TensorHead) plan.Gradient!.Span.Slice(start, length).CopyTo(plan.Updates!.Span.Slice(start, length));
                        break;
                    case BodyMode.CopyAllGradients: // the round-by-round passes: every parameter but a two-phase one
                        if (!plan.TwoPhase) plan.Gradient!.Span.Slice(start, length).CopyTo(plan.Updates!.Span.Slice(start, length));
                        break;
                    case BodyMode.Round:
                        if (Round < plan.Rounds) RunRound(plan, Round, start, length, o._scratch[worker], Apply, ref o._segments.Partial[s]);
                        break;
                    case BodyMode.ElementwiseRound:
                        if (!plan.TwoPhase) { if (Round < plan.RunStarts.Length) Elementwise(plan, Round, start, length); }
                        else if (Round == plan.RunStarts.Length - 1) Fused(plan, start, length, o._chunkScratch![worker], TwoPhaseBlockLength, twoPhaseHead: true);
                        break;
                    case BodyMode.ApplyUpdates:
                        if (!plan.TwoPhase) VectorMath.Add(plan.Parameter.Values.Slice(start, length), plan.Updates!.Span.Slice(start, length));
                        break;
                }
            }
        }

        /// <summary>
        /// Runs elements [start, start + length) in blocks of <paramref name="blockLength"/> through every stage and into
        /// the parameter. With <paramref name="twoPhaseHead"/> the first stage is the plan's prepared two-phase head, whose
        /// output is computed from the gradient block; otherwise every stage is element-wise and the block starts as the
        /// gradient. Element-wise stages give the same bits for any split into blocks.
        /// </summary>
        private static void Fused(ParameterPlan plan, int start, int length, float[] scratch, int blockLength, bool twoPhaseHead = false)
        {
            var stages = plan.Stages;
            var states = plan.States!;
            var gradient = plan.Gradient!.Span;
            var values = plan.Parameter.Values;
            int first = twoPhaseHead ? 1 : 0;
            for (int offset = start, end = start + length; offset < end; offset += blockLength)
            {
                int n = Math.Min(blockLength, end - offset);
                var u = scratch.AsSpan(0, n);
                if (twoPhaseHead) plan.TwoPhaseHead!.Write(states[0], gradient.Slice(offset, n), u, offset);
                else gradient.Slice(offset, n).CopyTo(u);
                var p = values.Slice(offset, n);
                var block = new Block(u, p, offset);
                for (int k = first; k < stages.Length; k++) ((ElementwiseTransformation)stages[k].Transform).Apply(states[k], in block);
                VectorMath.Add(p, u);
            }
        }

        /// <summary>
        /// One round of a materialized step over one segment (see <see cref="RunMaterialized"/>): reads the gradient
        /// (first round) or the update buffer, runs the round's element-wise stages block by block, and writes the update
        /// buffer, then sums the next round's reduction over the segment into <paramref name="partial"/>; or, in the
        /// parameter's last round with <paramref name="apply"/>, adds the block to the parameters from the scratch block.
        /// </summary>
        private static void RunRound(ParameterPlan plan, int round, int start, int length, float[] scratch, bool apply, ref double partial)
        {
            bool fromGradient = round == 0 && !plan.TensorHead;
            bool final = apply && round == plan.Rounds - 1;
            if (final && fromGradient)
            {
                Fused(plan, start, length, scratch, BlockLength);
                return;
            }
            int first = round < plan.RunStarts.Length ? plan.RunStarts[round] : 0;
            int last = round + 1 < plan.RunStarts.Length ? plan.RunStarts[round + 1] : plan.Stages.Length;
            if (first < last && plan.Stages[first].Transform is TensorTransformation) first++;
            var stages = plan.Stages;
            var states = plan.States!;
            var values = plan.Parameter.Values;
            var updates = plan.Updates!.Span;
            if (final || fromGradient || first < last)
            {
                var source = fromGradient ? plan.Gradient!.Span : updates;
                for (int offset = start, end = start + length; offset < end; offset += BlockLength)
                {
                    int n = Math.Min(BlockLength, end - offset);
                    var u = final ? scratch.AsSpan(0, n) : updates.Slice(offset, n);
                    if (final || fromGradient) source.Slice(offset, n).CopyTo(u);
                    var p = values.Slice(offset, n);
                    var block = new Block(u, p, offset);
                    for (int k = first; k < last; k++) ((ElementwiseTransformation)stages[k].Transform).Apply(states[k], in block);
                    if (final) VectorMath.Add(p, u);
                }
            }
            if (!final && plan.NextReduction[round] is { } next) partial = next.Reduce(updates.Slice(start, length));
        }

        /// <summary>The prepared two-phase head's output for elements [start, start + length) (one segment), in <paramref name="scratch"/>.</summary>
        private static ReadOnlySpan<float> TwoPhaseHeadOutput(ParameterPlan plan, int start, int length, float[] scratch)
        {
            var u = scratch.AsSpan(0, length);
            plan.TwoPhaseHead!.Write(plan.States![0], plan.Gradient!.Span.Slice(start, length), u, start);
            return u;
        }

        private static void Elementwise(ParameterPlan plan, int round, int start, int length)
        {
            int first = plan.RunStarts[round];
            int last = round + 1 < plan.RunStarts.Length ? plan.RunStarts[round + 1] : plan.Stages.Length;
            if (plan.Stages[first].Transform is TensorTransformation) first++;
            if (first >= last) return;
            var updates = plan.Updates!.Span;
            var values = plan.Parameter.Values;
            for (int offset = start, end = start + length; offset < end; offset += BlockLength)
            {
                int n = Math.Min(BlockLength, end - offset);
                var block = new Block(updates.Slice(offset, n), values.Slice(offset, n), offset);
                for (int k = first; k < last; k++) ((ElementwiseTransformation)plan.Stages[k].Transform).Apply(plan.States![k], in block);
            }
        }
    }
}
