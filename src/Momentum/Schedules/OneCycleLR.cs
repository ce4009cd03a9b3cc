namespace Momentum;

/// <summary>How <see cref="Schedules.OneCycleLR"/> anneals within a phase (torch's <c>anneal_strategy</c>).</summary>
public enum AnnealStrategy
{
    /// <summary><c>'cos'</c>: <c>end + (start − end)/2·(cos(π·τ) + 1)</c>.</summary>
    Cos,

    /// <summary><c>'linear'</c>: <c>(end − start)·τ + start</c>.</summary>
    Linear,
}

public static partial class Schedules
{
    /// <summary>
    /// torch.optim.lr_scheduler.OneCycleLR's learning rate (Smith and Topin, 2017, https://arxiv.org/abs/1708.07120).
    /// Momentum cycling (<c>cycle_momentum</c>) is not part of a learning-rate schedule; give the momentum its own schedule if needed.
    /// </summary>
    /// <param name="maxLr">The peak learning rate.</param>
    /// <param name="totalSteps">N, the number of steps in the cycle; &gt; 0.</param>
    /// <param name="pctStart">The fraction of the cycle spent rising (default 0.3).</param>
    /// <param name="annealStrategy">Cosine (default) or linear annealing.</param>
    /// <param name="divFactor">d: the initial rate is maxLr/d (default 25).</param>
    /// <param name="finalDivFactor">f: the final rate is maxLr/(d·f) (default 1e4).</param>
    /// <param name="threePhase">Use torch's three-phase variant (rise, fall back to the initial rate, then anneal to the minimum).</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is not finite or out of range (torch's messages).</exception>
    /// <remarks>
    /// Phases end at steps <c>e₁ = pctStart·N − 1</c> and <c>N − 1</c> (three-phase: <c>pctStart·N − 1</c>,
    /// <c>2·pctStart·N − 2</c>, <c>N − 1</c>); in the phase from step s to e the rate anneals from its start to its end value
    /// with <c>τ = (k − s)/(e − s)</c>. torch raises when stepped past N; this schedule stays at the final rate
    /// <c>maxLr/(d·f)</c> from step N − 1 on. A phase of zero length (which makes torch divide by zero) ends at once.
    /// </remarks>
    public static Schedule OneCycleLR(double maxLr, long totalSteps, double pctStart = 0.3, AnnealStrategy annealStrategy = AnnealStrategy.Cos,
        double divFactor = 25, double finalDivFactor = 1e4, bool threePhase = false)
    {
        if (!double.IsFinite(maxLr) || maxLr < 0) ThrowHelper.ThrowInvalid("max_lr", "learning rate", maxLr);
        if (totalSteps <= 0) throw new ArgumentOutOfRangeException("total_steps", $"Expected positive integer total_steps, but got {totalSteps}");
        if (!double.IsFinite(pctStart) || pctStart < 0 || pctStart > 1)
            throw new ArgumentOutOfRangeException("pct_start", $"Expected float between 0 and 1 pct_start, but got {ThrowHelper.Format(pctStart)}");
        if (!Enum.IsDefined(annealStrategy))
            throw new ArgumentOutOfRangeException("anneal_strategy", $"anneal_strategy must by one of 'cos' or 'linear', instead got {annealStrategy}");
        if (!double.IsFinite(divFactor) || divFactor <= 0) ThrowHelper.ThrowArgumentOutOfRange("div_factor", divFactor, "must be > 0");
        if (!double.IsFinite(finalDivFactor) || finalDivFactor <= 0) ThrowHelper.ThrowArgumentOutOfRange("final_div_factor", finalDivFactor, "must be > 0");
        double initial = maxLr / divFactor, min = initial / finalDivFactor;
        double[] ends, starts, targets;
        if (threePhase)
        {
            ends = [pctStart * totalSteps - 1, 2 * pctStart * totalSteps - 2, totalSteps - 1];
            starts = [initial, maxLr, initial];
            targets = [maxLr, initial, min];
        }
        else
        {
            ends = [pctStart * totalSteps - 1, totalSteps - 1];
            starts = [initial, maxLr];
            targets = [maxLr, min];
        }
        return new OneCycleLRSchedule(maxLr, totalSteps, ends, starts, targets, annealStrategy == AnnealStrategy.Cos);
    }
}

/// <summary>torch's OneCycleLR phases, evaluated in torch's order of operations.</summary>
internal sealed class OneCycleLRSchedule(double maxLr, long totalSteps, double[] ends, double[] starts, double[] targets, bool cosine) : TorchSchedule(maxLr)
{
    public override double Evaluate(long step)
    {
        if (step >= totalSteps - 1) return targets[^1];
        double k = Math.Max(step, 0);
        double startStep = 0;
        for (int i = 0; i < ends.Length; i++)
        {
            double endStep = ends[i];
            if (k <= endStep || i == ends.Length - 1)
            {
                // A phase of zero length (e.g. pct_start·N = 1) makes torch divide by zero; here it ends at once.
                double length = endStep - startStep;
                double pct = length == 0 ? 1 : (k - startStep) / length;
                double start = starts[i], end = targets[i];
                return cosine ? end + (start - end) / 2.0 * (Math.Cos(Math.PI * pct) + 1) : (end - start) * pct + start;
            }
            startStep = endStep;
        }
        return targets[^1];
    }
}
