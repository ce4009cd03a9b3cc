namespace Momentum;

public static partial class Schedules
{
    /// <summary>Cosine decay (Loshchilov and Hutter, 2017, https://arxiv.org/abs/1608.03983), Optax's <c>cosine_decay_schedule</c>.</summary>
    /// <param name="initValue">I, the value at step 0.</param>
    /// <param name="decaySteps">T, the length of the decay; &gt; 0.</param>
    /// <param name="alpha">a, the final value as a fraction of I (default 0).</param>
    /// <param name="exponent">p, applied to the cosine factor (default 1).</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is not finite or <paramref name="decaySteps"/> is not positive.</exception>
    /// <remarks><c>v(t) = I·((1 − a)·c^p + a)</c> with <c>c = ½(1 + cos(π·min(t, T)/T))</c>; after T it stays at <c>a·I</c>.</remarks>
    public static Schedule CosineDecay(double initValue, long decaySteps, double alpha = 0, double exponent = 1)
    {
        Finite(initValue, "init_value");
        Positive(decaySteps, "decay_steps");
        Finite(alpha, nameof(alpha));
        Finite(exponent, nameof(exponent));
        return new CosineDecaySchedule(initValue, decaySteps, alpha, exponent);
    }

    /// <summary>
    /// A linear warmup from <paramref name="initValue"/> to <paramref name="peakValue"/>, then a cosine decay to
    /// <paramref name="endValue"/> (Optax's <c>warmup_cosine_decay_schedule</c>).
    /// </summary>
    /// <param name="initValue">I, the value at step 0.</param>
    /// <param name="peakValue">P, the value at the end of the warmup.</param>
    /// <param name="warmupSteps">W, the length of the warmup.</param>
    /// <param name="decaySteps">D, the total length of warmup and decay (it <em>includes</em> the warmup, as in Optax); &gt; W.</param>
    /// <param name="endValue">E, the final value (default 0).</param>
    /// <param name="exponent">p of the cosine decay (default 1).</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is not finite or the steps are out of range.</exception>
    /// <remarks>
    /// <c>join_schedules([linear(I, P, W), cosine_decay(P, D − W, alpha = E/P, p)], [W])</c> (alpha = 0 when P = 0), so
    /// <c>v(t) = I + (P − I)·t/W</c> for t &lt; W and <c>P·((1 − E/P)·c^p + E/P)</c> after, with
    /// <c>c = ½(1 + cos(π·min(t − W, D − W)/(D − W)))</c>.
    /// </remarks>
    public static Schedule WarmupCosineDecay(double initValue, double peakValue, long warmupSteps, long decaySteps, double endValue = 0, double exponent = 1)
    {
        Finite(initValue, "init_value");
        Finite(peakValue, "peak_value");
        Finite(endValue, "end_value");
        NonNegative(warmupSteps, "warmup_steps");
        if (decaySteps <= warmupSteps)
            throw new ArgumentOutOfRangeException("decay_steps", $"decay_steps must be greater than warmup_steps ({warmupSteps}), as it includes the warmup; got {decaySteps}.");
        double alpha = peakValue == 0 ? 0 : endValue / peakValue;
        return Join([Linear(initValue, peakValue, warmupSteps), CosineDecay(peakValue, decaySteps - warmupSteps, alpha, exponent)], [warmupSteps]);
    }

    /// <summary>
    /// Stochastic gradient descent with warm restarts (Loshchilov and Hutter, 2017, https://arxiv.org/abs/1608.03983),
    /// Optax's <c>sgdr_schedule</c>: warmup-cosine cycles joined end to end.
    /// </summary>
    /// <param name="cycles">The cycles, each a <see cref="WarmupCosineDecay"/>'s arguments.</param>
    /// <exception cref="ArgumentException">There are no cycles.</exception>
    /// <remarks>Cycle i starts at the sum of the previous cycles' <c>decaySteps</c> and sees the step counted from its start.</remarks>
    public static Schedule Sgdr(params (double InitValue, double PeakValue, long WarmupSteps, long DecaySteps, double EndValue)[] cycles)
    {
        ArgumentNullException.ThrowIfNull(cycles);
        if (cycles.Length == 0) ThrowHelper.ThrowArgument("cosine_kwargs", "sgdr_schedule needs at least one cycle.");
        var schedules = new Schedule[cycles.Length];
        var boundaries = new long[cycles.Length - 1];
        long start = 0;
        for (int i = 0; i < cycles.Length; i++)
        {
            var c = cycles[i];
            schedules[i] = WarmupCosineDecay(c.InitValue, c.PeakValue, c.WarmupSteps, c.DecaySteps, c.EndValue);
            start += c.DecaySteps;
            if (i < boundaries.Length) boundaries[i] = start;
        }
        return Join(schedules, boundaries);
    }
}

/// <summary><c>I·((1 − a)·(½(1 + cos(π·min(t, T)/T)))^p + a)</c>.</summary>
internal sealed class CosineDecaySchedule(double initValue, long decaySteps, double alpha, double exponent) : Schedule
{
    public override double Evaluate(long step)
    {
        double count = Math.Min(step, decaySteps);
        double cosine = 0.5 * (1 + Math.Cos(Math.PI * count / decaySteps));
        double decayed = (1 - alpha) * (exponent == 1 ? cosine : Math.Pow(cosine, exponent)) + alpha;
        return initValue * decayed;
    }
}
