using Momentum.Kernels;

namespace Momentum;

public static partial class Transforms
{
    /// <summary>
    /// Adds the parameters scaled by the weight decay, <c>u ← u + λ_t·θ</c> (Optax's <c>add_decayed_weights</c>). Before
    /// <c>scale_by_adam</c> this is PyTorch's coupled L2 penalty; after it, followed by <c>scale_by_learning_rate</c>,
    /// it is AdamW's decoupled decay <c>θ ← θ − η·λ·θ</c>.
    /// </summary>
    /// <param name="weightDecay">λ, or its schedule; a constant must be finite and ≥ 0.</param>
    /// <param name="mask">Which parameters to decay (true = decay); <see langword="null"/> decays all. Masked-out
    /// parameters pass through unchanged, as with Optax's <c>masked</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A constant weight decay is negative or not finite.</exception>
    public static GradientTransformation AddDecayedWeights(Schedule weightDecay, Func<Parameter, bool>? mask = null)
    {
        Schedule.Validate(weightDecay, nameof(weightDecay), v => v >= 0, "weight_decay value");
        GradientTransformation decay = new AddDecayedWeightsTransformation(weightDecay);
        return mask is null ? decay : Masked(decay, mask);
    }
}

/// <summary><c>u ← u + λ·θ</c>.</summary>
internal sealed class AddDecayedWeightsTransformation(Schedule weightDecay) : ElementwiseTransformation, IStepValueTransformation
{
    private readonly float _constant = weightDecay.IsConstant ? (float)weightDecay.Evaluate(0) : 0f;

    public Schedule WeightDecay { get; } = weightDecay;

    public override string Name => "add_decayed_weights";

    public override TransformState? CreateState(Parameter parameter) => WeightDecay.IsConstant ? null : new StepScalarState(parameter);

    public override void BeginStep(TransformState? state, in StepInfo step) => StoreStepValue(state, StepValue(step.Step));

    public override void ValidateStep(TransformState? state, in StepInfo step) => StepValue(step.Step);

    /// <summary>This step's λ as BeginStep stores it (the engine evaluates it once per step).</summary>
    public float StepValue(long step)
    {
        if (WeightDecay.IsConstant) return _constant;
        return (float)Schedule.CheckStepValue(WeightDecay.Evaluate(step), "weight decay", step);
    }

    /// <summary>Stores a value computed by <see cref="StepValue"/> for this step (what BeginStep does).</summary>
    public void StoreStepValue(TransformState? state, float value)
    {
        if (state is StepScalarState s) s.Value = value;
    }

    public override void Apply(TransformState? state, in Block block)
    {
        float wd = state is StepScalarState s ? s.Value : _constant;
        if (wd != 0f) VectorMath.AddScaled(block.Updates, block.Parameters, wd);
    }
}
