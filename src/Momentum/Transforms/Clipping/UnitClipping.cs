using Momentum.Kernels;

namespace Momentum;

public static partial class Transforms
{
    /// <summary>Clips each parameter's update by its root mean square (Optax's <c>clip_by_block_rms</c>).</summary>
    /// <param name="threshold">The largest RMS allowed; finite and &gt; 0.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threshold"/> is not finite or not positive.</exception>
    /// <remarks><c>rms = √(Σu²/n)</c> per parameter (summed in double over fixed chunks); <c>u ← u / max(1, rms/threshold)</c>. No state kept between steps.</remarks>
    public static GradientTransformation ClipByBlockRms(double threshold)
    {
        if (!double.IsFinite(threshold) || threshold <= 0) ThrowHelper.ThrowInvalid(nameof(threshold), "threshold", threshold);
        return new ClipByBlockRmsTransformation(threshold);
    }

    /// <summary>
    /// Adaptive gradient clipping (Brock et al., 2021, https://arxiv.org/abs/2102.06171), Optax's <c>adaptive_grad_clip</c>:
    /// clips each unit's update relative to the unit's parameter norm.
    /// </summary>
    /// <param name="clipping">λ, the largest ratio of update norm to parameter norm; finite and &gt; 0.</param>
    /// <param name="eps">The smallest parameter norm used, so zero-initialized units can move; finite and ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is out of range.</exception>
    /// <remarks>
    /// A unit is a row for tensors of rank ≥ 2 (PyTorch's (out, in, ...) layout: one output unit per row; Optax's
    /// default for JAX's (in, out) layout takes the norm over axis 0, which is the same unit), and the whole tensor for
    /// rank ≤ 1. Per unit: <c>max = λ·max(‖θ‖, eps)</c>; <c>u ← ‖u‖ &lt; max ? u : u·max/max(‖u‖, 10⁻⁶)</c>. Norms are
    /// summed in double. Runs on the whole tensor (a tensor stage).
    /// </remarks>
    public static GradientTransformation AdaptiveGradClip(double clipping, double eps = 1e-3)
    {
        if (!double.IsFinite(clipping) || clipping <= 0) ThrowHelper.ThrowInvalid(nameof(clipping), "clipping", clipping);
        if (!double.IsFinite(eps) || eps < 0) ThrowHelper.ThrowInvalid(nameof(eps), "eps", eps);
        return new AdaptiveGradClipTransformation(clipping, eps);
    }

    /// <summary>
    /// Gradient centralization (Yong et al., 2020, https://arxiv.org/abs/2004.01461), Optax's <c>centralize</c>: for a
    /// tensor of rank &gt; 1, subtracts from each row its mean.
    /// </summary>
    /// <remarks>
    /// Optax subtracts the mean over all axes but axis 0, i.e. per row here; tensors of rank ≤ 1 pass unchanged.
    /// <c>centralize([[1,2],[3,4]]) = [[−.5,.5],[−.5,.5]]</c>. The mean is summed in double. A tensor stage; no state.
    /// </remarks>
    public static GradientTransformation Centralize() => new CentralizeTransformation();
}

/// <summary>See <see cref="Transforms.ClipByBlockRms"/>.</summary>
internal sealed class ClipByBlockRmsTransformation(double threshold) : ReducingTransformation, IWholeTensorStage
{
    public override string Name => "clip_by_block_rms";

    public override ReductionScope Scope => ReductionScope.PerParameter;

    public override TransformState? CreateState(Parameter parameter) => new StepScalarState(parameter);

    public override void Finish(TransformState? state, double total, in StepInfo step)
    {
        int n = step.Parameter.Length;
        double rms = n == 0 ? 0 : Math.Sqrt(total / n);
        ((StepScalarState)state!).Value = (float)(1 / Math.Max(1, rms / threshold));
    }

    public override void Apply(TransformState? state, in Block block)
    {
        float factor = ((StepScalarState)state!).Value;
        if (factor != 1f) VectorMath.Scale(block.Updates, factor);
    }
}

/// <summary>See <see cref="Transforms.AdaptiveGradClip"/>.</summary>
internal sealed class AdaptiveGradClipTransformation(double clipping, double eps) : TensorTransformation
{
    public override string Name => "adaptive_grad_clip";

    public override void Update(TransformState? state, Span<float> updates, ReadOnlySpan<float> parameters, in StepInfo step)
    {
        var p = step.Parameter;
        int unit = p.Rank >= 2 ? p.RowLength : p.Length;
        if (unit == 0) return;
        for (int start = 0; start < updates.Length; start += unit)
        {
            var u = updates.Slice(start, unit);
            double gNorm = Math.Sqrt(VectorMath.SumOfSquares(u));
            double pNorm = Math.Sqrt(VectorMath.SumOfSquares(parameters.Slice(start, unit)));
            double maxNorm = clipping * Math.Max(pNorm, eps);
            if (gNorm < maxNorm) continue;
            VectorMath.Scale(u, (float)(maxNorm / Math.Max(gNorm, 1e-6)));
        }
    }
}

/// <summary>See <see cref="Transforms.Centralize"/>.</summary>
internal sealed class CentralizeTransformation : TensorTransformation
{
    public override string Name => "centralize";

    public override void Update(TransformState? state, Span<float> updates, ReadOnlySpan<float> parameters, in StepInfo step)
    {
        var p = step.Parameter;
        if (p.Rank <= 1 || p.RowLength == 0) return;
        int n = p.RowLength;
        for (int start = 0; start < updates.Length; start += n)
        {
            var row = updates.Slice(start, n);
            double sum = 0;
            foreach (float v in row) sum += v;
            float mean = (float)(sum / n);
            for (int i = 0; i < n; i++) row[i] -= mean;
        }
    }
}
