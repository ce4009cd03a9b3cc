namespace Momentum;

/// <summary>
/// Factories for the building blocks that optimizers are composed of (Optax's vocabulary: <c>scale_by_adam</c>,
/// <c>add_decayed_weights</c>, <c>scale_by_learning_rate</c>, <c>chain</c>, ...). Each family lives in its own file.
/// </summary>
public static partial class Transforms
{
}

/// <summary>The state of a transformation that keeps one number per parameter for the current step (a scale factor).</summary>
internal sealed class StepScalarState(Parameter parameter) : TransformState(parameter)
{
    /// <summary>The value computed by <see cref="GradientTransformation.BeginStep"/> for this step.</summary>
    public float Value;
}
