using Momentum.Kernels;

namespace Momentum;

public static partial class Transforms
{
    /// <summary>Multiplies the updates by a constant: <c>u ← s·u</c> (Optax's <c>scale</c>).</summary>
    /// <param name="factor">The factor s; must be finite.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="factor"/> is not finite.</exception>
    public static GradientTransformation Scale(double factor)
    {
        ThrowHelper.ThrowIfNotFinite(factor);
        return new ScaleTransformation(factor);
    }

    /// <summary>
    /// Scales the updates by the negated learning rate, <c>u ← −η_t·u</c> (Optax's <c>scale_by_learning_rate</c>), so
    /// that the optimizer's <c>θ ← θ + u</c> descends. η_t is the schedule's value at the optimizer's step count.
    /// </summary>
    /// <param name="learningRate">The learning rate η or its schedule; a constant must be finite and ≥ 0.</param>
    /// <param name="flipSign">Whether to negate (true for descent); false scales by +η.</param>
    /// <exception cref="ArgumentOutOfRangeException">A constant learning rate is negative or not finite.</exception>
    /// <remarks>A schedule whose value is not finite at some step makes that step throw <see cref="ArithmeticException"/>.</remarks>
    public static GradientTransformation ScaleByLearningRate(Schedule learningRate, bool flipSign = true)
    {
        Schedule.Validate(learningRate, nameof(learningRate), v => v >= 0, "learning rate");
        return new ScaleByLearningRateTransformation(learningRate, flipSign);
    }
}

/// <summary><c>u ← s·u</c>.</summary>
internal sealed class ScaleTransformation(double factor) : ElementwiseTransformation
{
    private readonly float _factor = (float)factor;

    public override string Name => "scale";

    /// <summary>The factor as applied, for the engine's specialized kernels.</summary>
    internal float Factor => _factor;

    public override void Apply(TransformState? state, in Block block) => VectorMath.Scale(block.Updates, _factor);
}

/// <summary><c>u ← ∓η_t·u</c>.</summary>
internal sealed class ScaleByLearningRateTransformation(Schedule learningRate, bool flipSign) : ElementwiseTransformation, IStepValueTransformation
{
    public Schedule LearningRate { get; } = learningRate;

    public override string Name => "scale_by_learning_rate";

    public override TransformState? CreateState(Parameter parameter) => new LearningRateState(parameter, LearningRate);

    public override void BeginStep(TransformState? state, in StepInfo step) => StoreStepValue(state, StepValue(step.Step));

    public override void ValidateStep(TransformState? state, in StepInfo step) => StepValue(step.Step);

    /// <summary>The signed learning rate of <paramref name="step"/> as BeginStep stores it (the engine evaluates it once per step).</summary>
    public float StepValue(long step)
    {
        double lr = Schedule.CheckStepValue(LearningRate.Evaluate(step), "learning rate", step);
        return (float)(flipSign ? -lr : lr);
    }

    /// <summary>Stores a value computed by <see cref="StepValue"/> for this step (what BeginStep does).</summary>
    public void StoreStepValue(TransformState? state, float value) => ((LearningRateState)state!).Value = value;

    public override void Apply(TransformState? state, in Block block) => VectorMath.Scale(block.Updates, ((LearningRateState)state!).Value);
}

/// <summary>
/// The step's scaled learning rate, plus the scalars of any stateful schedule behind it (a plateau schedule's current
/// rate, best metric, counters) under <c>schedule.…</c>, so that checkpoints save and restore them.
/// </summary>
internal sealed class LearningRateState : TransformState
{
    /// <summary>−η_t (or +η_t), computed in BeginStep.</summary>
    public float Value;

    public LearningRateState(Parameter parameter, Schedule schedule) : base(parameter)
    {
        foreach (var (slot, scalar) in Schedules.StateScalarsOf(schedule)) AddScalar(slot, scalar.Get, scalar.Set);
    }
}
