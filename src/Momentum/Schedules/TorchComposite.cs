namespace Momentum;

public static partial class Schedules
{
    /// <summary>
    /// torch.optim.lr_scheduler.SequentialLR: each schedule runs from its milestone on, seeing the step counted from
    /// that milestone (<see cref="Join"/> with the milestones as boundaries).
    /// </summary>
    /// <param name="schedules">The schedules, in order (usually torch-named ones built with the same learning rate).</param>
    /// <param name="milestones">The steps at which each next schedule takes over: one fewer than the schedules.</param>
    /// <exception cref="ArgumentException">The counts do not match (torch's message) or a milestone is out of order.</exception>
    /// <remarks>torch steps the next scheduler with <c>step(0)</c> at its milestone, which restarts it from its closed form at
    /// epoch 0 — the same as this join.</remarks>
    public static Schedule SequentialLR(IReadOnlyList<Schedule> schedules, IReadOnlyList<long> milestones)
    {
        ArgumentNullException.ThrowIfNull(schedules);
        ArgumentNullException.ThrowIfNull(milestones);
        if (milestones.Count != schedules.Count - 1)
            ThrowHelper.ThrowArgument(nameof(milestones), "Sequential Schedulers expects number of schedulers provided to be one more than the number of " +
                $"milestone points, but got number of schedulers {schedules.Count} and the number of milestones to be equal to {milestones.Count}");
        return Join(schedules, milestones);
    }

    /// <summary>
    /// torch.optim.lr_scheduler.ChainedScheduler: several torch-named schedules applied together, their factors multiplied.
    /// </summary>
    /// <param name="schedules">Torch-named schedules (<see cref="StepLR"/>, <see cref="ExponentialLR"/>, ...) built with the same
    /// learning rate η₀, as torch's schedulers share one optimizer.</param>
    /// <exception cref="ArgumentException">A schedule is not torch-named, or their learning rates differ.</exception>
    /// <remarks><c>η(k) = η₀·Π (sᵢ(k)/η₀)</c>: torch's chainable schedulers each multiply the current learning rate by their
    /// own factor, so the product of factors is what ChainedScheduler computes (up to rounding).</remarks>
    public static Schedule ChainedScheduler(IReadOnlyList<Schedule> schedules)
    {
        ArgumentNullException.ThrowIfNull(schedules);
        if (schedules.Count == 0) ThrowHelper.ThrowArgument(nameof(schedules), "chained_scheduler needs at least one schedule.");
        var torch = new TorchSchedule[schedules.Count];
        for (int i = 0; i < schedules.Count; i++)
        {
            if (schedules[i] is not TorchSchedule t)
            {
                ThrowHelper.ThrowArgument(nameof(schedules), $"Schedule {i} of chained_scheduler is not a torch-style scheduler (step_lr, exponential_lr, ...).");
                return null!;
            }
            if (i > 0 && t.BaseLearningRate != torch[0].BaseLearningRate)
                ThrowHelper.ThrowArgument(nameof(schedules), $"The schedulers of chained_scheduler must share one learning rate: {ThrowHelper.Format(torch[0].BaseLearningRate)} and {ThrowHelper.Format(t.BaseLearningRate)}.");
            torch[i] = t;
        }
        return torch.Length == 1 ? torch[0] : new ChainedSchedule(torch);
    }
}

/// <summary><c>η₀·Π (sᵢ(k)/η₀)</c>.</summary>
internal sealed class ChainedSchedule(TorchSchedule[] schedules) : TorchSchedule(schedules[0].BaseLearningRate), ICompositeSchedule
{
    public IReadOnlyList<Schedule> Parts => schedules;

    public override double Evaluate(long step)
    {
        double value = schedules[0].Evaluate(step);
        if (BaseLearningRate == 0) return value;
        for (int i = 1; i < schedules.Length; i++) value *= schedules[i].Evaluate(step) / BaseLearningRate;
        return value;
    }
}
