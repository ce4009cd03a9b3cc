namespace Momentum;

public static partial class Schedules
{
    /// <summary>Runs schedules one after another (Optax's <c>join_schedules</c>).</summary>
    /// <param name="schedules">The schedules, in order; at least one.</param>
    /// <param name="boundaries">The steps at which each next schedule takes over: one fewer than the schedules, ≥ 0 and non-decreasing.</param>
    /// <exception cref="ArgumentException">The counts do not match, or a boundary is negative or out of order.</exception>
    /// <remarks>With <c>b₀ = 0</c>: for <c>bᵢ ≤ t &lt; bᵢ₊₁</c>, <c>v(t) = sᵢ(t − bᵢ)</c>: each schedule sees the step counted from its boundary.</remarks>
    public static Schedule Join(IReadOnlyList<Schedule> schedules, IReadOnlyList<long> boundaries)
    {
        ArgumentNullException.ThrowIfNull(schedules);
        ArgumentNullException.ThrowIfNull(boundaries);
        if (schedules.Count == 0) ThrowHelper.ThrowArgument(nameof(schedules), "join_schedules needs at least one schedule.");
        for (int i = 0; i < schedules.Count; i++)
            if (schedules[i] is null) ThrowHelper.ThrowArgument(nameof(schedules), $"Schedule {i} is null.");
        if (boundaries.Count != schedules.Count - 1)
            ThrowHelper.ThrowArgument(nameof(boundaries), $"join_schedules needs one boundary fewer than schedules: {schedules.Count} schedules but {boundaries.Count} boundaries.");
        for (int i = 0; i < boundaries.Count; i++)
        {
            if (boundaries[i] < 0) ThrowHelper.ThrowArgument(nameof(boundaries), $"Boundary {i} is negative ({boundaries[i]}).");
            if (i > 0 && boundaries[i] < boundaries[i - 1])
                ThrowHelper.ThrowArgument(nameof(boundaries), $"Boundaries must be non-decreasing: {boundaries[i - 1]} then {boundaries[i]}.");
        }
        return schedules.Count == 1 ? schedules[0] : new JoinedSchedule([.. schedules], [.. boundaries]);
    }
}

/// <summary><c>sᵢ(t − bᵢ)</c> for the last boundary bᵢ ≤ t.</summary>
internal sealed class JoinedSchedule(Schedule[] schedules, long[] boundaries) : Schedule, ICompositeSchedule
{
    public IReadOnlyList<Schedule> Parts => schedules;

    public override double Evaluate(long step)
    {
        int i = 0;
        while (i < boundaries.Length && step >= boundaries[i]) i++;
        return i == 0 ? schedules[0].Evaluate(step) : schedules[i].Evaluate(step - boundaries[i - 1]);
    }
}
