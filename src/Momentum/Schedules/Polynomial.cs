namespace Momentum;

public static partial class Schedules
{
    /// <summary>A schedule that is always <paramref name="value"/> (Optax's <c>constant_schedule</c>).</summary>
    /// <param name="value">The value; finite.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is not finite.</exception>
    public static Schedule Constant(double value)
    {
        Finite(value, nameof(value));
        return Schedule.Constant(value);
    }

    /// <summary>A polynomial ramp from <paramref name="initValue"/> to <paramref name="endValue"/> (Optax's <c>polynomial_schedule</c>).</summary>
    /// <param name="initValue">I, the value up to <paramref name="transitionBegin"/>.</param>
    /// <param name="endValue">E, the value from <c>transitionBegin + transitionSteps</c> on.</param>
    /// <param name="power">p, the power of the polynomial.</param>
    /// <param name="transitionSteps">T, the length of the ramp; 0 gives the constant I (as Optax).</param>
    /// <param name="transitionBegin">B, the step at which the ramp starts (default 0).</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is not finite or a step count is negative.</exception>
    /// <remarks><c>v(t) = (I − E)·(1 − τ/T)^p + E</c> with <c>τ = clip(t − B, 0, T)</c>.</remarks>
    public static Schedule Polynomial(double initValue, double endValue, double power, long transitionSteps, long transitionBegin = 0)
    {
        Finite(initValue, "init_value");
        Finite(endValue, "end_value");
        Finite(power, nameof(power));
        NonNegative(transitionSteps, "transition_steps");
        NonNegative(transitionBegin, "transition_begin");
        return transitionSteps == 0 ? Schedule.Constant(initValue) : new PolynomialSchedule(initValue, endValue, power, transitionSteps, transitionBegin);
    }

    /// <summary>A linear ramp from <paramref name="initValue"/> to <paramref name="endValue"/> (Optax's <c>linear_schedule</c>).</summary>
    /// <param name="initValue">I, the value up to <paramref name="transitionBegin"/>.</param>
    /// <param name="endValue">E, the value from <c>transitionBegin + transitionSteps</c> on.</param>
    /// <param name="transitionSteps">T, the length of the ramp; 0 gives the constant I.</param>
    /// <param name="transitionBegin">B, the step at which the ramp starts (default 0).</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is not finite or a step count is negative.</exception>
    /// <remarks><c>v(t) = (I − E)·(1 − τ/T) + E</c> with <c>τ = clip(t − B, 0, T)</c>: <see cref="Polynomial"/> with p = 1.</remarks>
    public static Schedule Linear(double initValue, double endValue, long transitionSteps, long transitionBegin = 0) =>
        Polynomial(initValue, endValue, 1, transitionSteps, transitionBegin);

    /// <summary>A linear warmup from <paramref name="initValue"/> to <paramref name="peakValue"/>, then constant (Optax's <c>warmup_constant_schedule</c>).</summary>
    /// <param name="initValue">The value at step 0.</param>
    /// <param name="peakValue">The value from <paramref name="warmupSteps"/> on.</param>
    /// <param name="warmupSteps">The length of the warmup.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is not finite or the step count is negative.</exception>
    /// <remarks><c>v(t) = I + (P − I)·min(t, W)/W</c>, written as <see cref="Linear"/>(I, P, W).</remarks>
    public static Schedule WarmupConstant(double initValue, double peakValue, long warmupSteps) => Linear(initValue, peakValue, warmupSteps);
}

/// <summary><c>(I − E)·(1 − clip(t − B, 0, T)/T)^p + E</c>.</summary>
internal sealed class PolynomialSchedule(double initValue, double endValue, double power, long transitionSteps, long transitionBegin) : Schedule
{
    public override double Evaluate(long step)
    {
        double count = Math.Clamp(step - transitionBegin, 0, transitionSteps);
        double fraction = 1 - count / transitionSteps;
        double scaled = power == 1 ? fraction : Math.Pow(fraction, power);
        return (initValue - endValue) * scaled + endValue;
    }
}
