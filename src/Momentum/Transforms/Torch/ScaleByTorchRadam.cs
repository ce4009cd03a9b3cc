using Momentum.Kernels;

namespace Momentum;

public static partial class Transforms
{
    /// <summary>
    /// RAdam's rectified rescaling (Liu et al., 2020, https://arxiv.org/abs/1908.03265), as torch.optim.RAdam computes it:
    /// the adaptive term is used once ρ_t &gt; 5 (torch's threshold, PR #58968); before that the step is bias-corrected
    /// momentum alone.
    /// </summary>
    /// <param name="b1">β1, in [0, 1).</param>
    /// <param name="b2">β2, in [0, 1).</param>
    /// <param name="eps">ε, added outside the square root; finite and ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>
    /// With t the parameter's own step count: <c>m ← β1·m + (1−β1)·g</c>, <c>v ← β2·v + (1−β2)·g²</c>,
    /// <c>ρ∞ = 2/(1−β2) − 1</c>, <c>ρ_t = ρ∞ − 2t·β2ᵗ/(1−β2ᵗ)</c>. If <c>ρ_t &gt; 5</c>:
    /// <c>r = √((ρ_t−4)(ρ_t−2)ρ∞ / ((ρ∞−4)(ρ∞−2)ρ_t))</c> and <c>u = m/(1−β1ᵗ) · r·√(1−β2ᵗ) / (√v + ε)</c>;
    /// otherwise <c>u = m/(1−β1ᵗ)</c>. The learning rate is applied once, by the following <c>scale_by_learning_rate</c>
    /// (TorchSharp's port applies it twice). State: m = v = 0 and count = 0. A NaN in g propagates to m, v and u.
    /// </remarks>
    public static GradientTransformation ScaleByTorchRadam(double b1 = 0.9, double b2 = 0.999, double eps = 1e-8)
    {
        ValidateEpsilon(eps, nameof(eps));
        ValidateBetas(b1, b2);
        return new ScaleByTorchRadamTransformation(b1, b2, eps);
    }
}

/// <summary>The state of <c>scale_by_torch_radam</c>: the moments and a count.</summary>
internal sealed class ScaleByTorchRadamState : TransformState
{
    public readonly RowBuffer Mu;
    public readonly RowBuffer Nu;
    public long Count;

    // This step's scalars: whether the step is rectified, 1/bc1, and r·√bc2/bc1.
    public bool Rectified;
    public float MomentScale, AdaptiveScale;

    public ScaleByTorchRadamState(Parameter parameter) : base(parameter)
    {
        Mu = AddTensor("exp_avg");
        Nu = AddTensor("exp_avg_sq");
        AddScalar("count", () => Count, v => Count = (long)v);
    }
}

/// <summary>torch's RAdam scaling; see <see cref="Transforms.ScaleByTorchRadam"/>.</summary>
internal sealed class ScaleByTorchRadamTransformation(double b1, double b2, double eps) : ElementwiseTransformation
{
    /// <summary>torch's rectification threshold: the adaptive term is used when ρ_t exceeds it.</summary>
    internal const double Threshold = 5;

    private readonly float _b1 = (float)b1, _c1 = (float)(1 - b1), _b2 = (float)b2, _c2 = (float)(1 - b2), _eps = (float)eps;

    public override string Name => "scale_by_torch_radam";

    public override TransformState? CreateState(Parameter parameter) => new ScaleByTorchRadamState(parameter);

    public override void BeginStep(TransformState? state, in StepInfo step)
    {
        var s = (ScaleByTorchRadamState)state!;
        long t = ++s.Count;
        double bc1 = 1 - Math.Pow(b1, t);
        double b2t = Math.Pow(b2, t);
        double bc2 = 1 - b2t;
        double rhoInf = 2 / (1 - b2) - 1;
        double rhoT = rhoInf - 2 * t * b2t / bc2;
        s.Rectified = rhoT > Threshold;
        s.MomentScale = (float)(1 / bc1);
        if (s.Rectified)
        {
            double rect = Math.Sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
            s.AdaptiveScale = (float)(rect * Math.Sqrt(bc2) / bc1);
        }
    }

    public override void Apply(TransformState? state, in Block block)
    {
        var s = (ScaleByTorchRadamState)state!;
        int o = block.Offset, n = block.Length;
        float k = s.Rectified ? s.AdaptiveScale : s.MomentScale;
        ElementwiseLoop.Run(new Operator(_b1, _c1, _b2, _c2, _eps, k, s.Rectified), block.Updates, s.Mu.Span.Slice(o, n), s.Nu.Span.Slice(o, n), block.Parameters);
    }

    /// <summary>m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g·g; u = k·m / (√v + ε) when rectified, else k·m.</summary>
    private readonly struct Operator(float b1, float c1, float b2, float c2, float eps, float k, bool rectified) : IElementwiseOperator
    {
        public static int States => 2;

        public TV Invoke<TV>(TV g, TV p, ref TV m, ref TV v, ref TV c, ref TV d) where TV : struct, ILanes<TV>
        {
            m = TV.Create(b1) * m + TV.Create(c1) * g;
            v = TV.Create(b2) * v + TV.Create(c2) * g * g;
            return rectified ? TV.Create(k) * m / (TV.Sqrt(v) + TV.Create(eps)) : TV.Create(k) * m;
        }
    }
}
