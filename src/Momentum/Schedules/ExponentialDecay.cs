namespace Momentum;

public static partial class Schedules
{
    /// <summary>Exponential decay (Optax's <c>exponential_decay</c>).</summary>
    /// <param name="initValue">I, the value up to <paramref name="transitionBegin"/>.</param>
    /// <param name="transitionSteps">T: the value is multiplied by <paramref name="decayRate"/> every T steps; 0 gives the constant I (as Optax).</param>
    /// <param name="decayRate">r, the decay rate; 0 gives the constant I (as Optax); &gt; 1 grows.</param>
    /// <param name="transitionBegin">B, the step at which the decay starts (default 0).</param>
    /// <param name="staircase">Decay in discrete steps: the exponent is <c>⌊(t − B)/T⌋</c>.</param>
    /// <param name="endValue">A lower bound when r &lt; 1, an upper bound when r &gt; 1; null for none.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is not finite, the rate is negative or a step count is negative.</exception>
    /// <remarks>
    /// <c>v(t) = I</c> while <c>t ≤ B</c>, else <c>I·r^((t − B)/T)</c> (floored exponent with staircase), then
    /// <c>max(v, E)</c> if r &lt; 1 or <c>min(v, E)</c> if r ≥ 1 when an end value is given.
    /// </remarks>
    public static Schedule ExponentialDecay(double initValue, long transitionSteps, double decayRate, long transitionBegin = 0,
        bool staircase = false, double? endValue = null)
    {
        Finite(initValue, "init_value");
        NonNegative(transitionSteps, "transition_steps");
        Finite(decayRate, "decay_rate");
        if (decayRate < 0) ThrowHelper.ThrowArgumentOutOfRange("decay_rate", decayRate, "must be ≥ 0");
        NonNegative(transitionBegin, "transition_begin");
        if (endValue is { } e) Finite(e, "end_value");
        if (transitionSteps == 0 || decayRate == 0) return Schedule.Constant(initValue);
        return new ExponentialDecaySchedule(initValue, transitionSteps, decayRate, transitionBegin, staircase, endValue);
    }

    /// <summary>
    /// A linear warmup from <paramref name="initValue"/> to <paramref name="peakValue"/> over <paramref name="warmupSteps"/>,
    /// then <see cref="ExponentialDecay"/> from the peak (Optax's <c>warmup_exponential_decay_schedule</c>).
    /// </summary>
    /// <param name="initValue">The value at step 0.</param>
    /// <param name="peakValue">The value at the end of the warmup, where the decay starts.</param>
    /// <param name="warmupSteps">The length of the warmup.</param>
    /// <param name="transitionSteps">T of the decay.</param>
    /// <param name="decayRate">r of the decay.</param>
    /// <param name="transitionBegin">B of the decay, counted from the end of the warmup.</param>
    /// <param name="staircase">Decay in discrete steps.</param>
    /// <param name="endValue">The bound of the decay, or null.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is not finite or a step count is negative.</exception>
    /// <remarks><c>join_schedules([linear(I, P, W), exponential_decay(P, T, r, B, staircase, E)], [W])</c>.</remarks>
    public static Schedule WarmupExponentialDecay(double initValue, double peakValue, long warmupSteps, long transitionSteps, double decayRate,
        long transitionBegin = 0, bool staircase = false, double? endValue = null)
    {
        NonNegative(warmupSteps, "warmup_steps");
        return Join([Linear(initValue, peakValue, warmupSteps), ExponentialDecay(peakValue, transitionSteps, decayRate, transitionBegin, staircase, endValue)],
            [warmupSteps]);
    }
}

/// <summary><c>I·r^((t − B)/T)</c>, bounded by the end value.</summary>
internal sealed class ExponentialDecaySchedule(double initValue, long transitionSteps, double decayRate, long transitionBegin, bool staircase, double? endValue)
    : Schedule
{
    private readonly bool _hasEnd = endValue.HasValue;
    private readonly double _end = endValue ?? 0;

    public override double Evaluate(long step)
    {
        long decreased = step - transitionBegin;
        double value;
        if (decreased <= 0) value = initValue;
        else
        {
            double p = (double)decreased / transitionSteps;
            if (staircase) p = Math.Floor(p);
            value = initValue * Math.Pow(decayRate, p);
        }
        if (_hasEnd) value = decayRate < 1 ? Math.Max(value, _end) : Math.Min(value, _end);
        return value;
    }
}
