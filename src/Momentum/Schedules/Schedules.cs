namespace Momentum;

/// <summary>
/// Learning-rate (and other hyperparameter) schedules: Optax's schedules under Optax's names and defaults
/// (<see cref="Linear"/>, <see cref="CosineDecay"/>, <see cref="WarmupCosineDecay"/>, ...) and torch.optim.lr_scheduler's
/// under torch's names (<see cref="StepLR"/>, <see cref="CosineAnnealingLR"/>, <see cref="OneCycleLR"/>, ...). Each family
/// lives in its own file.
/// </summary>
/// <remarks>
/// <para>A schedule is evaluated at the optimizer's step count before the step (0 on the first step), as Optax does.
/// torch schedulers are stepped once after each <c>optimizer.step()</c>, so the learning rate of torch's k-th optimizer
/// step (0-based) is the scheduler's value after k calls to <c>scheduler.step()</c>; the torch-named schedules here return
/// exactly that value at step k.</para>
/// <para>Schedules hold only their hyperparameters (except <see cref="ReduceLROnPlateauSchedule"/>, which tracks a reported
/// metric) and allocate nothing when evaluated. Any hyperparameter typed <see cref="Schedule"/> accepts them: the learning
/// rate of every optimizer and <c>add_decayed_weights</c>'s weight decay.</para>
/// </remarks>
public static partial class Schedules
{
    /// <summary>Throws unless <paramref name="value"/> is finite.</summary>
    internal static void Finite(double value, string paramName)
    {
        if (!double.IsFinite(value)) ThrowHelper.ThrowArgumentOutOfRange(paramName, value, "must be a finite number");
    }

    /// <summary>Throws unless <paramref name="value"/> is ≥ 0.</summary>
    internal static void NonNegative(long value, string paramName)
    {
        if (value < 0) throw new ArgumentOutOfRangeException(paramName, $"{paramName} must be ≥ 0; got {value}.");
    }

    /// <summary>Throws unless <paramref name="value"/> is &gt; 0.</summary>
    internal static void Positive(long value, string paramName)
    {
        if (value <= 0) throw new ArgumentOutOfRangeException(paramName, $"{paramName} must be > 0; got {value}.");
    }

    /// <summary>
    /// The state scalars of the stateful schedules inside <paramref name="schedule"/> (itself, or the parts of joined and
    /// chained schedules), with slot names <c>schedule.[i.]slot</c>; empty for stateless schedules.
    /// </summary>
    internal static List<(string Slot, StateScalar Scalar)> StateScalarsOf(Schedule schedule)
    {
        var result = new List<(string, StateScalar)>();
        Collect(schedule, "schedule", result);
        return result;

        static void Collect(Schedule s, string prefix, List<(string, StateScalar)> into)
        {
            if (s is ReduceLROnPlateauSchedule plateau)
                foreach (var scalar in plateau.Scalars) into.Add((prefix + "." + scalar.Slot, scalar));
            if (s is ICompositeSchedule composite)
                for (int i = 0; i < composite.Parts.Count; i++) Collect(composite.Parts[i], prefix + "." + i.ToString(System.Globalization.CultureInfo.InvariantCulture), into);
        }
    }

    /// <summary>Throws unless <paramref name="schedule"/> is not null.</summary>
    internal static Schedule NotNull(Schedule? schedule, string paramName) => schedule ?? throw new ArgumentNullException(paramName);
}

/// <summary>A schedule made of other schedules (joined, chained); lets <see cref="Optimizer.ReportMetric"/> reach nested plateau schedules.</summary>
internal interface ICompositeSchedule
{
    /// <summary>The schedules this one is made of.</summary>
    IReadOnlyList<Schedule> Parts { get; }
}
