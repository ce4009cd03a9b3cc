namespace Momentum;

public sealed partial class Optimizer
{
    /// <summary>
    /// The learning rate the next step will use for <paramref name="parameter"/>: the value at <see cref="StepCount"/> of
    /// the schedule of the first <c>scale_by_learning_rate</c> stage in that parameter's chain (which, with parameter
    /// groups or <see cref="Transforms.Partition"/>, is its group's), or <see langword="null"/> if its chain has none.
    /// </summary>
    /// <param name="parameter">A parameter of <see cref="Parameters"/>.</param>
    /// <exception cref="ArgumentException">The parameter belongs to another set.</exception>
    public double? LearningRateOf(Parameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        Parameters.CheckOwns(parameter, nameof(parameter));
        SyncPlans();
        foreach (var stage in _plans[parameter.Index].Stages)
            if (stage.Transform is ScaleByLearningRateTransformation lr) return lr.LearningRate.Evaluate(StepCount);
        return null;
    }

    /// <summary>
    /// Reports a metric to every <see cref="ReduceLROnPlateauSchedule"/> that drives a learning rate of this optimizer
    /// (directly or inside joined or chained schedules), each instance once, like torch's
    /// <c>ReduceLROnPlateau.step(metrics)</c>.
    /// </summary>
    /// <param name="metric">The watched metric, e.g. the validation loss.</param>
    /// <returns>The number of plateau schedules that received it.</returns>
    public int ReportMetric(double metric)
    {
        SyncPlans();
        var seen = new HashSet<Schedule>(ReferenceEqualityComparer.Instance);
        int count = 0;
        foreach (var plan in _plans)
            foreach (var stage in plan.Stages)
                if (stage.Transform is ScaleByLearningRateTransformation lr) count += Report(lr.LearningRate, metric, seen);
        return count;
    }

    private static int Report(Schedule schedule, double metric, HashSet<Schedule> seen)
    {
        if (!seen.Add(schedule)) return 0;
        if (schedule is ReduceLROnPlateauSchedule plateau)
        {
            plateau.Report(metric);
            return 1;
        }
        int count = 0;
        if (schedule is ICompositeSchedule composite)
            foreach (var part in composite.Parts) count += Report(part, metric, seen);
        return count;
    }
}
