using Momentum.Kernels;

namespace Momentum;

public static partial class Transforms
{
    /// <summary>
    /// Scales each parameter's update by its trust ratio ‖θ‖/‖u‖ (LARS/LAMB, You et al., https://arxiv.org/abs/1708.03888
    /// and https://arxiv.org/abs/1904.00962), Optax's <c>scale_by_trust_ratio</c>. Norms are per parameter (per tensor).
    /// </summary>
    /// <param name="minNorm">The floor of both norms; ≥ 0.</param>
    /// <param name="trustCoefficient">The factor applied to the ratio; finite.</param>
    /// <param name="eps">Added to the update norm; ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>
    /// <c>‖θ‖ = max(‖θ‖₂, minNorm)</c>, <c>‖u‖ = max(‖u‖₂, minNorm)</c>, <c>r = c·‖θ‖/(‖u‖ + ε)</c>, or 1 when either
    /// norm is 0; <c>u ← r·u</c>. ‖u‖ is summed in double over fixed chunks (the same for any thread count), ‖θ‖ over
    /// the parameter's values before the step. A reduction: in the middle of a chain the engine materializes the updates.
    /// </remarks>
    public static GradientTransformation ScaleByTrustRatio(double minNorm = 0, double trustCoefficient = 1, double eps = 0)
    {
        OptaxGuard.NonNegative(minNorm, nameof(minNorm));
        OptaxGuard.Finite(trustCoefficient, nameof(trustCoefficient));
        OptaxGuard.NonNegative(eps, nameof(eps));
        return new ScaleByTrustRatioTransformation(minNorm, trustCoefficient, eps);
    }

    /// <summary>Scales each parameter's update by the L2 norm of the parameter, Optax's <c>scale_by_param_block_norm</c>.</summary>
    /// <param name="minScale">The floor of the norm; ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minScale"/> is not finite or negative.</exception>
    /// <remarks><c>u ← u·max(‖θ‖₂, minScale)</c>, with θ the parameter before the step. Element-wise after a per-step scalar: runs fused.</remarks>
    public static GradientTransformation ScaleByParamBlockNorm(double minScale = 1e-3)
    {
        OptaxGuard.NonNegative(minScale, nameof(minScale));
        return new ScaleByParamBlockTransformation(minScale, rms: false);
    }

    /// <summary>Scales each parameter's update by the root mean square of the parameter, Optax's <c>scale_by_param_block_rms</c>.</summary>
    /// <param name="minScale">The floor of the RMS; ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minScale"/> is not finite or negative.</exception>
    /// <remarks><c>u ← u·max(√(mean θ²), minScale)</c>, with θ the parameter before the step.</remarks>
    public static GradientTransformation ScaleByParamBlockRms(double minScale = 1e-3)
    {
        OptaxGuard.NonNegative(minScale, nameof(minScale));
        return new ScaleByParamBlockTransformation(minScale, rms: true);
    }

    /// <summary>Rescales updates by NovoGrad's layer-wise second moment (Ginsburg et al., 2019, https://arxiv.org/abs/1905.11286), Optax's <c>scale_by_novograd</c>.</summary>
    /// <param name="b1">β1, the momentum, in [0, 1).</param>
    /// <param name="b2">β2, the decay of the layer-wise second moment, in [0, 1).</param>
    /// <param name="eps">ε outside the square root; ≥ 0.</param>
    /// <param name="epsRoot">ε_root inside the square root; ≥ 0.</param>
    /// <param name="weightDecay">λ, added inside the moment; finite and ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>
    /// Per parameter (layer) ν is one number: <c>ν₁ = ‖g₁‖²</c>, then <c>ν ← β2·ν + (1−β2)·‖g‖²</c>.
    /// <c>m₁ = g/(√(ν+ε_root)+ε) + λθ</c>, then <c>m ← β1·m + g/(√(ν+ε_root)+ε) + λθ</c> (no 1−β1 factor); <c>u = m</c>.
    /// ‖g‖² is summed in double over fixed chunks; ν is saved as the state scalar <c>nu</c>.
    /// </remarks>
    public static GradientTransformation ScaleByNovograd(double b1 = 0.9, double b2 = 0.25, double eps = 1e-8, double epsRoot = 0, double weightDecay = 0)
    {
        OptaxGuard.Decay(b1, nameof(b1));
        OptaxGuard.Decay(b2, nameof(b2));
        OptaxGuard.NonNegative(eps, nameof(eps));
        OptaxGuard.NonNegative(epsRoot, nameof(epsRoot));
        OptaxGuard.NonNegative(weightDecay, nameof(weightDecay));
        return new ScaleByNovogradTransformation(b1, b2, eps, epsRoot, weightDecay);
    }

    /// <summary>Scales updates by the Polyak step size (Loizou et al., 2021, https://arxiv.org/abs/2002.10542), Optax's <c>scale_by_polyak</c>.</summary>
    /// <param name="fMin">f*, a lower bound of the loss.</param>
    /// <param name="maxLearningRate">γ_max, the largest step; finite and ≥ 0.</param>
    /// <param name="eps">Added to ‖g‖²; ≥ 0.</param>
    /// <param name="variant"><c>sps</c>, or <c>sps+</c> which clips the gap f − f* at 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <exception cref="ArgumentException"><paramref name="variant"/> is neither sps nor sps+.</exception>
    /// <remarks>
    /// Needs the loss: pass it as <c>Optimizer.Step(gradients, loss)</c> (<see cref="StepInfo.Loss"/>); a step without
    /// one throws <see cref="InvalidOperationException"/> from this stage's <c>BeginStep</c>, so nothing has changed when
    /// it heads the chain (as in <c>polyak_sgd</c>); stateful stages placed before it would already have advanced. ‖g‖² is global (every parameter with a gradient), summed in double:
    /// <c>γ = min((f − f*)/(‖g‖² + ε), γ_max)</c>, or 0 when <c>‖g‖² + ε ≤ 2.22·10⁻¹⁶</c>; <c>u = γ·g</c>.
    /// </remarks>
    public static GradientTransformation ScaleByPolyak(double fMin = 0, double maxLearningRate = 1, double eps = 0, string variant = "sps")
    {
        OptaxGuard.Finite(fMin, nameof(fMin));
        OptaxGuard.NonNegative(maxLearningRate, nameof(maxLearningRate));
        OptaxGuard.NonNegative(eps, nameof(eps));
        if (variant is not ("sps" or "sps+")) ThrowHelper.ThrowArgument(nameof(variant), $"Invalid Polyak variant '{variant}'; expected 'sps' or 'sps+'.");
        return new ScaleByPolyakTransformation(fMin, maxLearningRate, eps, variant == "sps+");
    }
}

/// <summary>Multiplies a block by the per-step factor in <see cref="StepScalarState.Value"/>.</summary>
internal abstract class ScaleByStepFactor : ReducingTransformation
{
    public override TransformState? CreateState(Parameter parameter) => new StepScalarState(parameter);

    public override void Apply(TransformState? state, in Block block)
    {
        float factor = ((StepScalarState)state!).Value;
        if (factor != 1f) VectorMath.Scale(block.Updates, factor);
    }
}

internal sealed class ScaleByTrustRatioTransformation(double minNorm, double trustCoefficient, double eps) : ScaleByStepFactor, IParameterSquaresReduction, IWholeTensorStage
{
    public override string Name => "scale_by_trust_ratio";

    public override ReductionScope Scope => ReductionScope.PerParameter;

    public override void Finish(TransformState? state, double total, in StepInfo step) =>
        Finish(state, total, VectorMath.SumOfSquares(step.Parameter.Values), in step);

    public void Finish(TransformState? state, double total, double parameterSquares, in StepInfo step)
    {
        double paramNorm = Math.Max(Math.Sqrt(parameterSquares), minNorm);
        double updateNorm = Math.Max(Math.Sqrt(total), minNorm);
        double ratio = paramNorm == 0 || updateNorm == 0 ? 1 : trustCoefficient * paramNorm / (updateNorm + eps);
        ((StepScalarState)state!).Value = (float)ratio;
    }
}

internal sealed class ScaleByParamBlockTransformation(double minScale, bool rms) : ElementwiseTransformation, IWholeTensorStage
{
    public override string Name => rms ? "scale_by_param_block_rms" : "scale_by_param_block_norm";

    public override TransformState? CreateState(Parameter parameter) => new StepScalarState(parameter);

    public override void BeginStep(TransformState? state, in StepInfo step)
    {
        var values = step.Parameter.Values;
        double sum = VectorMath.SumOfSquares(values);
        double norm = rms ? Math.Sqrt(values.Length == 0 ? 0 : sum / values.Length) : Math.Sqrt(sum);
        ((StepScalarState)state!).Value = (float)Math.Max(norm, minScale);
    }

    public override void Apply(TransformState? state, in Block block) => VectorMath.Scale(block.Updates, ((StepScalarState)state!).Value);
}

internal sealed class ScaleByNovogradTransformation(double b1, double b2, double eps, double epsRoot, double weightDecay) : ReducingTransformation
{
    public override string Name => "scale_by_novograd";

    public override ReductionScope Scope => ReductionScope.PerParameter;

    public override TransformState? CreateState(Parameter parameter) => new OptaxState(parameter, [("mu", 0f)], carrySlot: "nu");

    public override void BeginStep(TransformState? state, in StepInfo step)
    {
        var s = (OptaxState)state!;
        s.First = s.Count == 0;
        s.Count++;
    }

    public override void Finish(TransformState? state, double total, in StepInfo step)
    {
        var s = (OptaxState)state!;
        s.Carry = s.First ? total : b2 * s.Carry + (1 - b2) * total;
        s.S0 = (float)(Math.Sqrt(s.Carry + epsRoot) + eps);
    }

    public override void Apply(TransformState? state, in Block block)
    {
        var s = (OptaxState)state!;
        OptaxLoop.Run(new Op((float)b1, s.S0, (float)weightDecay, s.First), block.Updates, block.Parameters, OptaxState.Slice(s.A, block));
    }

    private readonly struct Op(float b1, float denominator, float wd, bool first) : IElementwiseOperator
    {
        public static int States => 1;

        public TV Invoke<TV>(TV g, TV p, ref TV m, ref TV b, ref TV c, ref TV d) where TV : struct, ILanes<TV>
        {
            var added = g / TV.Create(denominator) + TV.Create(wd) * p;
            m = first ? added : TV.Create(b1) * m + added;
            return m;
        }
    }
}

internal sealed class ScaleByPolyakTransformation(double fMin, double maxLearningRate, double eps, bool plus) : ScaleByStepFactor
{
    public override string Name => "scale_by_polyak";

    public override ReductionScope Scope => ReductionScope.AllParameters;

    public override void BeginStep(TransformState? state, in StepInfo step)
    {
        if (double.IsNaN(step.Loss))
            ThrowHelper.ThrowInvalidOperation("scale_by_polyak (polyak_sgd) needs the loss: call Optimizer.Step(gradients, loss).");
    }

    public override void Finish(TransformState? state, double total, in StepInfo step)
    {
        double gap = step.Loss - fMin;
        if (plus) gap = Math.Max(gap, 0);
        double squared = total + eps;
        double stepSize = squared <= 2.220446049250313e-16 ? 0 : Math.Min(gap / squared, maxLearningRate);
        ((StepScalarState)state!).Value = (float)stepSize;
    }
}
