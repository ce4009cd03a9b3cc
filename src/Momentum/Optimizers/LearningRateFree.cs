namespace Momentum;

public static partial class Optimizers
{
    private static void PositiveFinite(double value, string name)
    {
        if (!double.IsFinite(value) || value <= 0) ThrowHelper.ThrowInvalid(name, name, value);
    }
}

/// <summary>The optimizer-wide scalars of the learning-rate-free optimizers.</summary>
public sealed class LearningRateFreeState : WrapperState
{
    internal LearningRateFreeState(double estimate, string estimateSlot, string sumSlot)
    {
        Estimate = estimate;
        AddScalar(estimateSlot, () => Estimate, v => Estimate = v);
        AddScalar(sumSlot, () => Sum, v => Sum = v);
        AddScalar("count", () => Count, v => Count = (long)v);
    }

    /// <summary>The adapted scale: d (<c>estim_lr</c>) for D-Adaptation and Prodigy, r̄ (<c>max_dist</c>) for DoG, r̄² (<c>estim_sq_dist</c>) for DoWG.</summary>
    public double Estimate { get; internal set; }

    /// <summary>The running sum: <c>numerator_weighted</c> (D-Adaptation, Prodigy), <c>sum_sq_norm_grads</c> (DoG) or <c>weighted_sq_norm_grads</c> (DoWG).</summary>
    public double Sum { get; internal set; }

    /// <summary>The number of steps taken.</summary>
    public long Count { get; internal set; }
}

/// <summary>Per-parameter tensors of the learning-rate-free optimizers, and the step's scalars copied in for the segment passes.</summary>
internal sealed class LearningRateFreeParameterState : TransformState
{
    public readonly RowBuffer? ExpAvg, ExpAvgSq, GradSum, Params0;
    public float K0, K1, K2, K3, K4, K5, K6;

    public LearningRateFreeParameterState(Parameter parameter, bool moments, string? params0Slot) : base(parameter)
    {
        if (moments)
        {
            ExpAvg = AddTensor("exp_avg");
            ExpAvgSq = AddTensor("exp_avg_sq");
            GradSum = AddTensor("grad_sum");
        }
        if (params0Slot is not null)
        {
            Params0 = AddTensor(params0Slot);
            parameter.Values.CopyTo(Params0.Span);
        }
    }
}

/// <summary>Shared plumbing: per-parameter scalars and simple sums.</summary>
internal abstract class LearningRateFreeTransformation(GradientTransformation preprocess) : StepWrapper(preprocess)
{
    internal override bool NeedsUpdates => true;

    protected static void ForEachActive(in Optimizer.WrapperStep step, float k0, float k1 = 0, float k2 = 0, float k3 = 0, float k4 = 0, float k5 = 0, float k6 = 0)
    {
        for (int a = 0; a < step.ActiveCount; a++)
        {
            var s = (LearningRateFreeParameterState)step.StateOf(step.ActiveIndex(a))!;
            (s.K0, s.K1, s.K2, s.K3, s.K4, s.K5, s.K6) = (k0, k1, k2, k3, k4, k5, k6);
        }
    }

    protected static double SquaredDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = (double)a[i] - b[i];
            sum += d * d;
        }
        return sum;
    }

    protected static double Evaluate(Schedule schedule, long count) => Schedule.CheckStepValue(schedule.Evaluate(count), "learning rate", count);
}
