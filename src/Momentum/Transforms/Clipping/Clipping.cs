using Momentum.Kernels;

namespace Momentum;

public static partial class Transforms
{
    /// <summary>Clips each update element to [−δ, δ] (Optax's <c>clip</c>; torch's <c>clip_grad_value_</c>; Burn's value clipping).</summary>
    /// <param name="maxDelta">δ; finite and ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">δ is negative or not finite.</exception>
    /// <remarks><c>u ← min(max(u, −δ), δ)</c>. NaN stays NaN.</remarks>
    public static GradientTransformation ClipByValue(double maxDelta)
    {
        if (!double.IsFinite(maxDelta) || maxDelta < 0) ThrowHelper.ThrowInvalid(nameof(maxDelta), "clip value", maxDelta);
        return new ClipByValueTransformation(maxDelta);
    }

    /// <summary>Clips each parameter's update by its own L2 norm (Burn's norm clipping; torch's <c>clip_grad_norm_</c> applied per tensor).</summary>
    /// <param name="maxNorm">The largest norm allowed; finite and &gt; 0.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxNorm"/> is not finite or not positive.</exception>
    /// <remarks><c>u ← u·min(1, maxNorm / (‖u‖₂ + 10⁻⁶))</c>, with ‖u‖₂ summed in double over fixed chunks.</remarks>
    public static GradientTransformation ClipByNorm(double maxNorm)
    {
        if (!double.IsFinite(maxNorm) || maxNorm <= 0) ThrowHelper.ThrowInvalid(nameof(maxNorm), "max_norm", maxNorm);
        return new ClipByNormTransformation(maxNorm, ReductionScope.PerParameter);
    }

    /// <summary>Clips all updates together by their global L2 norm (Optax's <c>clip_by_global_norm</c>).</summary>
    /// <param name="maxNorm">The largest global norm allowed; finite and &gt; 0.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxNorm"/> is not finite or not positive.</exception>
    /// <remarks>
    /// <c>‖u‖ = √(Σ over every parameter with a gradient of Σᵢ uᵢ²)</c>; if <c>‖u‖ &lt; maxNorm</c> the updates pass
    /// unchanged, else <c>u ← u·maxNorm/‖u‖</c> (Optax's rule; torch's <c>clip_grad_norm_</c> divides by ‖u‖ + 10⁻⁶
    /// instead). The sum is taken over fixed chunks in double and combined in a fixed order, so it is the same for any
    /// thread count. At the head of a chain it is a read-only pre-pass over the gradients.
    /// </remarks>
    public static GradientTransformation ClipByGlobalNorm(double maxNorm)
    {
        if (!double.IsFinite(maxNorm) || maxNorm <= 0) ThrowHelper.ThrowInvalid(nameof(maxNorm), "max_norm", maxNorm);
        return new ClipByNormTransformation(maxNorm, ReductionScope.AllParameters);
    }
}

/// <summary><c>u ← clamp(u, −δ, δ)</c>.</summary>
internal sealed class ClipByValueTransformation(double maxDelta) : ElementwiseTransformation
{
    private readonly float _delta = (float)maxDelta;

    public override string Name => "clip";

    public override void Apply(TransformState? state, in Block block) => VectorMath.Clamp(block.Updates, -_delta, _delta);
}

/// <summary>Norm clipping, per parameter or global.</summary>
internal sealed class ClipByNormTransformation(double maxNorm, ReductionScope scope) : ReducingTransformation
{
    public override string Name => scope == ReductionScope.AllParameters ? "clip_by_global_norm" : "clip_by_norm";

    public override ReductionScope Scope => scope;

    public override TransformState? CreateState(Parameter parameter) => new ClipByNormState(parameter);

    public override void Finish(TransformState? state, double total, in StepInfo step)
    {
        double norm = Math.Sqrt(total);
        double factor = scope == ReductionScope.AllParameters
            ? (norm < maxNorm ? 1 : maxNorm / norm)
            : Math.Min(1, maxNorm / (norm + 1e-6));
        var s = (ClipByNormState)state!;
        s.Value = (float)factor;
        s.Norm = norm;
        s.NormStep = step.Step;
    }

    /// <summary>This step's factor as <see cref="Apply"/> uses it, for the engine's specialized kernels.</summary>
    internal static float FactorFor(TransformState? state) => ((ClipByNormState)state!).Value;

    public override void Apply(TransformState? state, in Block block)
    {
        float factor = ((ClipByNormState)state!).Value;
        if (factor != 1f) VectorMath.Scale(block.Updates, factor);
    }
}

/// <summary>The step's clipping factor, and the norm it came from (read by <see cref="Optimizer.LastGradientNorm"/>).</summary>
internal sealed class ClipByNormState(Parameter parameter) : TransformState(parameter)
{
    /// <summary>The factor the updates are multiplied by this step.</summary>
    public float Value;

    /// <summary>The L2 norm <see cref="ClipByNormTransformation.Finish"/> computed (before clipping).</summary>
    public double Norm = double.NaN;

    /// <summary>The optimizer step count at which <see cref="Norm"/> was computed (−1: never).</summary>
    public long NormStep = -1;
}
