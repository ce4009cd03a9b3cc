using System.Diagnostics.CodeAnalysis;

namespace Momentum;

/// <summary>
/// A scalar hyperparameter as a function of the optimizer's step count (0 on the first step): a learning rate, a weight
/// decay, a momentum. A plain number converts implicitly to a constant schedule.
/// </summary>
public abstract class Schedule
{
    /// <summary>The value at step <paramref name="step"/> (0-based: the first step evaluates step 0).</summary>
    /// <param name="step">The number of steps taken before this one.</param>
    public abstract double Evaluate(long step);

    /// <summary>Whether the value never changes; then <see cref="Evaluate"/> ignores its argument.</summary>
    public virtual bool IsConstant => false;

    /// <summary>A schedule that is always <paramref name="value"/>.</summary>
    /// <param name="value">The value.</param>
    public static Schedule Constant(double value) => new ConstantSchedule(value);

    /// <summary>A schedule computed by <paramref name="function"/>.</summary>
    /// <param name="function">Maps a 0-based step count to the value; it must not allocate if steps are to allocate nothing.</param>
    public static Schedule FromFunction(Func<long, double> function) => new FunctionSchedule(function ?? throw new ArgumentNullException(nameof(function)));

    /// <summary>Converts a number to a constant schedule.</summary>
    /// <param name="value">The value.</param>
    public static implicit operator Schedule(double value) => new ConstantSchedule(value);

    private sealed class ConstantSchedule(double value) : Schedule
    {
        public override double Evaluate(long step) => value;

        public override bool IsConstant => true;

        public override string ToString() => ThrowHelper.Format(value);
    }

    private sealed class FunctionSchedule(Func<long, double> function) : Schedule
    {
        public override double Evaluate(long step) => function(step);
    }

    /// <summary>
    /// Checks one step's value of a schedule as the kernels use it: finite, and finite once rounded to float32 (a value
    /// beyond ±3.4e38 would multiply the updates by ±∞). Called from a step's validation phase, before anything changed.
    /// </summary>
    /// <param name="value">The schedule's value.</param>
    /// <param name="what">The hyperparameter, for the message ("learning rate").</param>
    /// <param name="step">The step (or count) the value is for.</param>
    /// <param name="counter">What <paramref name="step"/> counts, for the message ("step" or "count").</param>
    /// <returns><paramref name="value"/>.</returns>
    /// <exception cref="ArithmeticException">The value is NaN or ±∞ in double or in float32.</exception>
    internal static double CheckStepValue(double value, string what, long step, string counter = "step")
    {
        if (!float.IsFinite((float)value)) ThrowNotFinite(value, what, step, counter);
        return value;
    }

    [DoesNotReturn]
    private static void ThrowNotFinite(double value, string what, long step, string counter) =>
        throw new ArithmeticException(double.IsFinite(value)
            ? $"The {what} schedule gave {ThrowHelper.Format(value)}, beyond float32's range, at {counter} {step}; the step was refused and nothing changed."
            : $"The {what} schedule gave {value.ToString(System.Globalization.CultureInfo.InvariantCulture)} at {counter} {step}; the step was refused and nothing changed.");

    /// <summary>
    /// Validates a hyperparameter given as a schedule: a constant is checked now (finite, also in float32, then the range rule); other
    /// schedules are checked for finiteness each time they are evaluated.
    /// </summary>
    internal static void Validate(Schedule? schedule, string paramName, Func<double, bool> isValid, string what)
    {
        if (schedule is null) throw new ArgumentNullException(paramName);
        if (!schedule.IsConstant) return;
        double v = schedule.Evaluate(0);
        if (!float.IsFinite((float)v) || !isValid(v)) ThrowHelper.ThrowInvalid(paramName, what, v);     // finite as the float32 the kernels use
    }
}
