namespace Momentum;

public static partial class Optimizers
{
    /// <summary>
    /// Makes <paramref name="baseOptimizer"/> schedule-free (Defazio et al., 2024, "The Road Less Scheduled",
    /// https://arxiv.org/abs/2405.15682), Optax's <c>contrib.schedule_free</c>. The base optimizer must have no momentum.
    /// </summary>
    /// <param name="baseOptimizer">The base optimizer, applying its own learning rate (e.g. sgd without momentum).</param>
    /// <param name="learningRate">The learning rate (or schedule) used for the averaging weights; evaluated at a step count starting at 1, as in Optax.</param>
    /// <param name="b1">β1 in (0, 1].</param>
    /// <param name="weightLrPower">The power of the averaging weights; finite.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is out of range.</exception>
    /// <remarks>
    /// The parameters are y (where gradients are taken); the state holds z (slot <c>z</c>, starting at y) and, per
    /// parameter, <c>step_count</c> (from 1), <c>weight_sum</c> and <c>max_lr</c>. Each step, with Δ the base update:
    /// <c>max_lr ← max(max_lr, lr(step_count))</c>, <c>w = max_lr^power</c>, <c>c = w/(weight_sum + w)</c> (0 if that is
    /// 0/0), <c>weight_sum ← weight_sum + w</c>; <c>z' = z + Δ</c>, <c>x = (y − (1−β1)z)/β1</c>,
    /// <c>x' = (1−c)x + c z'</c>, <c>y' = β1 x' + (1−β1) z'</c>, and the update is <c>y' − y</c>. Evaluate the model at
    /// <see cref="ScheduleFreeEvalParameters"/>: <c>x = (y − (1−β1)z)/β1</c>. Must be the outermost transformation.
    /// </remarks>
    public static GradientTransformation ScheduleFree(GradientTransformation baseOptimizer, Schedule learningRate, double b1 = 0.9, double weightLrPower = 2.0)
    {
        ArgumentNullException.ThrowIfNull(baseOptimizer);
        Schedule.Validate(learningRate, nameof(learningRate), v => v >= 0, "learning rate");
        if (!double.IsFinite(b1) || b1 <= 0 || b1 > 1) ThrowHelper.ThrowInvalid(nameof(b1), "b1 (must be in (0, 1])", b1);
        ThrowHelper.ThrowIfNotFinite(weightLrPower);
        return new ScheduleFreeTransformation(baseOptimizer, learningRate, b1, weightLrPower);
    }

    /// <summary>Writes the schedule-free evaluation parameters <c>x = (y − (1−β1)·z)/β1</c> of <paramref name="parameter"/> (Optax's <c>schedule_free_eval_params</c>).</summary>
    /// <param name="optimizer">An optimizer whose transformation is schedule-free.</param>
    /// <param name="parameter">A parameter of its set.</param>
    /// <param name="destination">Receives x; of the parameter's length. A parameter that has not stepped yet gives its own values.</param>
    /// <exception cref="ArgumentException">The optimizer is not schedule-free, or the destination has the wrong length.</exception>
    public static void ScheduleFreeEvalParameters(Optimizer optimizer, Parameter parameter, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(parameter);
        var wrapper = optimizer.FindWrapper<ScheduleFreeTransformation>();
        if (wrapper is null) ThrowHelper.ThrowArgument(nameof(optimizer), "The optimizer is not schedule-free.");
        if (destination.Length != parameter.Length) ThrowHelper.ThrowLengthMismatch(nameof(destination), parameter.Length, destination.Length);
        var y = parameter.Values;
        if (optimizer.FindWrapperState<ScheduleFreeTransformation>(parameter) is not ScheduleFreeState s)
        {
            y.CopyTo(destination);
            return;
        }
        var z = s.Z.Span;
        float b1 = (float)wrapper.B1, c = (float)(1 - wrapper.B1);
        for (int i = 0; i < y.Length; i++) destination[i] = (y[i] - c * z[i]) / b1;
    }

    /// <summary>Optax's <c>warmup_constant_schedule(0, lr, W)</c>: <c>lr·min(t, W)/W</c>.</summary>
    private static Schedule WarmupConstant(Schedule learningRate, int? warmupSteps)
    {
        ValidateLearningRate(learningRate);
        if (warmupSteps is not { } w) return learningRate;
        ArgumentOutOfRangeException.ThrowIfLessThan(w, 1, "warmup_steps");
        if (!learningRate.IsConstant) ThrowHelper.ThrowArgument("warmup_steps", "warmup_steps needs a constant learning rate.");
        double peak = learningRate.Evaluate(0);
        return Schedule.FromFunction(t => peak * Math.Min(t, w) / w);
    }
}

/// <summary>The per-parameter state of schedule-free.</summary>
internal sealed class ScheduleFreeState : TransformState
{
    public readonly RowBuffer Z;
    public long StepCount = 1;
    public double WeightSum, MaxLr;
    public float C;

    public ScheduleFreeState(Parameter parameter) : base(parameter)
    {
        Z = AddTensor("z");
        parameter.Values.CopyTo(Z.Span);
        AddScalar("step_count", () => StepCount, v => StepCount = (long)v);
        AddScalar("weight_sum", () => WeightSum, v => WeightSum = v);
        AddScalar("max_lr", () => MaxLr, v => MaxLr = v);
    }
}

/// <summary>See <see cref="Optimizers.ScheduleFree"/>.</summary>
internal sealed class ScheduleFreeTransformation(GradientTransformation inner, Schedule learningRate, double b1, double weightLrPower) : StepWrapper(inner)
{
    private readonly float _b1 = (float)b1, _c1 = (float)(1 - b1);

    public double B1 => b1;

    public override string Name => "schedule_free";

    internal override bool NeedsUpdates => true;

    public override TransformState? CreateState(Parameter parameter) => new ScheduleFreeState(parameter);

    internal override void ValidateStep(in Optimizer.WrapperStep step)
    {
        for (int a = 0; a < step.ActiveCount; a++)
        {
            long count = step.StateOf(step.ActiveIndex(a)) is ScheduleFreeState s ? s.StepCount : 1; // a new state's count
            Schedule.CheckStepValue(learningRate.Evaluate(count), "learning rate", count);
        }
    }

    internal override bool AfterInner(in Optimizer.WrapperStep step)
    {
        for (int a = 0; a < step.ActiveCount; a++)
        {
            var s = (ScheduleFreeState)step.StateOf(step.ActiveIndex(a))!;
            double lr = learningRate.Evaluate(s.StepCount);
            s.MaxLr = Math.Max(s.MaxLr, lr);
            double weight = Math.Pow(s.MaxLr, weightLrPower);
            double total = s.WeightSum + weight;
            double c = weight / total;
            s.C = (float)(double.IsNaN(weight) || double.IsNaN(total) ? double.NaN : double.IsNaN(c) ? 0 : c);
            s.WeightSum = total;
            if (s.StepCount < long.MaxValue) s.StepCount++;
        }
        step.RunSegments(0);
        return true;
    }

    internal override double RunSegment(int phase, TransformState? state, in WrapperSegment segment)
    {
        var s = (ScheduleFreeState)state!;
        var z = s.Z.Span.Slice(segment.Offset, segment.Length);
        var u = segment.Updates;
        var y = segment.Values;
        float c = s.C, keep = 1 - s.C;
        for (int i = 0; i < u.Length; i++)
        {
            float zNew = z[i] + u[i];
            float x = (y[i] - _c1 * z[i]) / _b1;
            float xNew = keep * x + c * zNew;
            float yNew = _b1 * xNew + _c1 * zNew;
            u[i] = yNew - y[i];
            z[i] = zNew;
        }
        return 0;
    }
}
