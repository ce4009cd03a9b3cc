using Momentum.Kernels;

namespace Momentum;

public static partial class Transforms
{
    /// <summary>
    /// Divides updates by a running root mean square of the gradient, as torch.optim.RMSprop does (Hinton's lecture 6e,
    /// https://www.cs.toronto.edu/~tijmen/csc321/slides/lecture_slides_lec6.pdf; centered form: Graves, 2013,
    /// https://arxiv.org/abs/1308.0850). ε is added <em>outside</em> the square root (Optax's <c>scale_by_rms</c> adds it
    /// inside and starts the average at its own initial scale).
    /// </summary>
    /// <param name="alpha">α, the decay of the averages; finite and ≥ 0.</param>
    /// <param name="eps">ε, added to the root; finite and ≥ 0.</param>
    /// <param name="centered">Also average the gradient and divide by the estimated standard deviation.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>
    /// <c>s ← α·s + (1−α)·g²</c>; centered: <c>ḡ ← α·ḡ + (1−α)·g</c> and <c>u = g / (√(s − ḡ²) + ε)</c>, otherwise
    /// <c>u = g / (√s + ε)</c>. State: s = ḡ = 0 and a count. A NaN in g propagates to s, ḡ and u.
    /// </remarks>
    public static GradientTransformation ScaleByTorchRmsProp(double alpha = 0.99, double eps = 1e-8, bool centered = false)
    {
        if (!double.IsFinite(alpha) || alpha < 0) ThrowHelper.ThrowInvalid(nameof(alpha), "alpha value", alpha);
        ValidateEpsilon(eps, nameof(eps));
        return new ScaleByTorchRmsPropTransformation(alpha, eps, centered);
    }
}

/// <summary>The state of <c>scale_by_torch_rmsprop</c>: the mean square, the mean gradient when centered, and a count.</summary>
internal sealed class ScaleByTorchRmsPropState : TransformState
{
    public readonly RowBuffer SquareAverage;
    public readonly RowBuffer? GradientAverage;
    public long Count;

    public ScaleByTorchRmsPropState(Parameter parameter, bool centered) : base(parameter)
    {
        SquareAverage = AddTensor("square_avg");
        if (centered) GradientAverage = AddTensor("grad_avg");
        AddScalar("count", () => Count, v => Count = (long)v);
    }
}

/// <summary>torch's RMSprop scaling; see <see cref="Transforms.ScaleByTorchRmsProp"/>.</summary>
internal sealed class ScaleByTorchRmsPropTransformation(double alpha, double eps, bool centered) : ElementwiseTransformation
{
    private readonly float _a = (float)alpha, _c = (float)(1 - alpha), _eps = (float)eps;

    public override string Name => "scale_by_torch_rmsprop";

    public override TransformState? CreateState(Parameter parameter) => new ScaleByTorchRmsPropState(parameter, centered);

    public override void BeginStep(TransformState? state, in StepInfo step) => ((ScaleByTorchRmsPropState)state!).Count++;

    public override void Apply(TransformState? state, in Block block)
    {
        var s = (ScaleByTorchRmsPropState)state!;
        int o = block.Offset, n = block.Length;
        if (s.GradientAverage is null)
            ElementwiseLoop.Run(new Plain(_a, _c, _eps), block.Updates, s.SquareAverage.Span.Slice(o, n), block.Parameters);
        else
            ElementwiseLoop.Run(new Centered(_a, _c, _eps), block.Updates, s.SquareAverage.Span.Slice(o, n), s.GradientAverage.Span.Slice(o, n), block.Parameters);
    }

    /// <summary>s = α·s + (1−α)·g·g; u = g / (√s + ε).</summary>
    private readonly struct Plain(float a, float c, float eps) : IElementwiseOperator
    {
        public static int States => 1;

        public TV Invoke<TV>(TV g, TV p, ref TV s, ref TV b, ref TV d, ref TV e) where TV : struct, ILanes<TV>
        {
            s = TV.Create(a) * s + TV.Create(c) * g * g;
            return g / (TV.Sqrt(s) + TV.Create(eps));
        }
    }

    /// <summary>s = α·s + (1−α)·g·g; ḡ = α·ḡ + (1−α)·g; u = g / (√(s − ḡ·ḡ) + ε).</summary>
    private readonly struct Centered(float a, float c, float eps) : IElementwiseOperator
    {
        public static int States => 2;

        public TV Invoke<TV>(TV g, TV p, ref TV s, ref TV m, ref TV d, ref TV e) where TV : struct, ILanes<TV>
        {
            s = TV.Create(a) * s + TV.Create(c) * g * g;
            m = TV.Create(a) * m + TV.Create(c) * g;
            return g / (TV.Sqrt(s - m * m) + TV.Create(eps));
        }
    }
}
