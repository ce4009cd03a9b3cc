using Momentum.Kernels;

namespace Momentum;

public static partial class Transforms
{
    /// <summary>
    /// NAdam's rescaling with Dozat's momentum-decay schedule (Dozat, 2016, https://openreview.net/forum?id=OM0jvwB8jIp57ZJjtNEZ),
    /// as current torch.optim.NAdam computes it (with the <c>mu_product_next</c> fix of PyTorch PR #92699). Optax's
    /// <c>nadam</c> has no μ schedule.
    /// </summary>
    /// <param name="b1">β1, in [0, 1).</param>
    /// <param name="b2">β2, in [0, 1).</param>
    /// <param name="eps">ε, added outside the square root; finite and ≥ 0.</param>
    /// <param name="momentumDecay">ψ, the momentum decay; finite and ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>
    /// With t the parameter's own step count: <c>μ_t = β1·(1 − ½·0.96^(t·ψ))</c>, <c>Π ← Π·μ_t</c> (Π starts at 1
    /// and is kept in the state as <c>mu_product</c>), <c>m ← β1·m + (1−β1)·g</c>, <c>v ← β2·v + (1−β2)·g²</c>,
    /// <c>d = √(v / (1−β2ᵗ)) + ε</c>, and
    /// <c>u = (1−μ_t)/(1−Π) · g/d + μ_{t+1}/(1−Π·μ_{t+1}) · m/d</c>. Π is a double (torch keeps a float32 tensor);
    /// the scalars are computed once per step in double. A NaN in g propagates to m, v and u.
    /// </remarks>
    public static GradientTransformation ScaleByTorchNadam(double b1 = 0.9, double b2 = 0.999, double eps = 1e-8, double momentumDecay = 4e-3)
    {
        ValidateEpsilon(eps, nameof(eps));
        ValidateBetas(b1, b2);
        if (!double.IsFinite(momentumDecay) || momentumDecay < 0) ThrowHelper.ThrowInvalid("momentum_decay", "momentum_decay value", momentumDecay);
        return new ScaleByTorchNadamTransformation(b1, b2, eps, momentumDecay);
    }
}

/// <summary>The state of <c>scale_by_torch_nadam</c>: the moments, the product of the μ's, and a count.</summary>
internal sealed class ScaleByTorchNadamState : TransformState
{
    public readonly RowBuffer Mu;
    public readonly RowBuffer Nu;
    public long Count;
    public double MuProduct = 1;

    // This step's scalars.
    public float GradientScale, MomentScale, Bc2;

    public ScaleByTorchNadamState(Parameter parameter) : base(parameter)
    {
        Mu = AddTensor("exp_avg");
        Nu = AddTensor("exp_avg_sq");
        AddScalar("count", () => Count, v => Count = (long)v);
        AddScalar("mu_product", () => MuProduct, v => MuProduct = v);
    }
}

/// <summary>torch's NAdam scaling; see <see cref="Transforms.ScaleByTorchNadam"/>.</summary>
internal sealed class ScaleByTorchNadamTransformation(double b1, double b2, double eps, double momentumDecay) : ElementwiseTransformation
{
    private readonly float _b1 = (float)b1, _c1 = (float)(1 - b1), _b2 = (float)b2, _c2 = (float)(1 - b2), _eps = (float)eps;

    public override string Name => "scale_by_torch_nadam";

    public override TransformState? CreateState(Parameter parameter) => new ScaleByTorchNadamState(parameter);

    public override void BeginStep(TransformState? state, in StepInfo step)
    {
        var s = (ScaleByTorchNadamState)state!;
        long t = ++s.Count;
        double mu = b1 * (1 - 0.5 * Math.Pow(0.96, t * momentumDecay));
        double muNext = b1 * (1 - 0.5 * Math.Pow(0.96, (t + 1) * momentumDecay));
        s.MuProduct *= mu;
        s.GradientScale = (float)((1 - mu) / (1 - s.MuProduct));
        s.MomentScale = (float)(muNext / (1 - s.MuProduct * muNext));
        s.Bc2 = (float)(1 - Math.Pow(b2, t));
    }

    public override void Apply(TransformState? state, in Block block)
    {
        var s = (ScaleByTorchNadamState)state!;
        int o = block.Offset, n = block.Length;
        var op = new Operator(_b1, _c1, _b2, _c2, _eps, s.Bc2, s.GradientScale, s.MomentScale);
        ElementwiseLoop.Run(op, block.Updates, s.Mu.Span.Slice(o, n), s.Nu.Span.Slice(o, n), block.Parameters);
    }

    /// <summary>m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g·g; d = √(v/bc2) + ε; u = k_g·(g/d) + k_m·(m/d).</summary>
    private readonly struct Operator(float b1, float c1, float b2, float c2, float eps, float bc2, float kg, float km) : IElementwiseOperator
    {
        public static int States => 2;

        public TV Invoke<TV>(TV g, TV p, ref TV m, ref TV v, ref TV c, ref TV e) where TV : struct, ILanes<TV>
        {
            m = TV.Create(b1) * m + TV.Create(c1) * g;
            v = TV.Create(b2) * v + TV.Create(c2) * g * g;
            var d = TV.Sqrt(v / TV.Create(bc2)) + TV.Create(eps);
            return TV.Create(kg) * (g / d) + TV.Create(km) * (m / d);
        }
    }
}
