using Momentum.Kernels;

namespace Momentum;

public static partial class Transforms
{
    /// <summary>
    /// Adamax, Adam's infinity-norm variant (Kingma and Ba, 2015, https://arxiv.org/abs/1412.6980, section 7), as
    /// torch.optim.Adamax computes it: ε is added to |g| inside the maximum, not to the denominator.
    /// </summary>
    /// <param name="b1">β1, the decay of the first moment, in [0, 1).</param>
    /// <param name="b2">β2, the decay of the infinity norm, in [0, 1).</param>
    /// <param name="eps">ε; finite and ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>
    /// With t the parameter's own step count: <c>m ← β1·m + (1−β1)·g</c>, <c>n ← max(β2·n, |g| + ε)</c>,
    /// <c>u = (m / n) / (1−β1ᵗ)</c>. State: m = n = 0 and count = 0. A NaN in g propagates to m, n and u.
    /// </remarks>
    public static GradientTransformation ScaleByTorchAdamax(double b1 = 0.9, double b2 = 0.999, double eps = 1e-8)
    {
        ValidateEpsilon(eps, nameof(eps));
        ValidateBetas(b1, b2);
        return new ScaleByTorchAdamaxTransformation(b1, b2, eps);
    }
}

/// <summary>The state of <c>scale_by_torch_adamax</c>: the first moment, the infinity norm and a count.</summary>
internal sealed class ScaleByTorchAdamaxState : TransformState
{
    public readonly RowBuffer Mu;
    public readonly RowBuffer Norm;
    public long Count;
    public float Correction;

    public ScaleByTorchAdamaxState(Parameter parameter) : base(parameter)
    {
        Mu = AddTensor("exp_avg");
        Norm = AddTensor("exp_inf");
        AddScalar("count", () => Count, v => Count = (long)v);
    }
}

/// <summary>torch's Adamax scaling; see <see cref="Transforms.ScaleByTorchAdamax"/>.</summary>
internal sealed class ScaleByTorchAdamaxTransformation(double b1, double b2, double eps) : ElementwiseTransformation
{
    private readonly float _b1 = (float)b1, _c1 = (float)(1 - b1), _b2 = (float)b2, _eps = (float)eps;

    public override string Name => "scale_by_torch_adamax";

    public override TransformState? CreateState(Parameter parameter) => new ScaleByTorchAdamaxState(parameter);

    public override void BeginStep(TransformState? state, in StepInfo step)
    {
        var s = (ScaleByTorchAdamaxState)state!;
        long t = ++s.Count;
        s.Correction = (float)(1 / (1 - Math.Pow(b1, t)));
    }

    public override void Apply(TransformState? state, in Block block)
    {
        var s = (ScaleByTorchAdamaxState)state!;
        int o = block.Offset, n = block.Length;
        ElementwiseLoop.Run(new Operator(_b1, _c1, _b2, _eps, s.Correction), block.Updates, s.Mu.Span.Slice(o, n), s.Norm.Span.Slice(o, n), block.Parameters);
    }

    /// <summary>m = β1·m + (1−β1)·g; n = max(β2·n, |g| + ε); u = k·(m / n).</summary>
    private readonly struct Operator(float b1, float c1, float b2, float eps, float k) : IElementwiseOperator
    {
        public static int States => 2;

        public TV Invoke<TV>(TV g, TV p, ref TV m, ref TV n, ref TV c, ref TV d) where TV : struct, ILanes<TV>
        {
            m = TV.Create(b1) * m + TV.Create(c1) * g;
            n = TV.Max(TV.Create(b2) * n, TV.Abs(g) + TV.Create(eps));
            return TV.Create(k) * (m / n);
        }
    }
}
