using System.Runtime.Intrinsics;
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
    private readonly struct Plain(float a, float c, float eps) : IUpdateOperator1
    {
        public float Invoke(float g, ref float s, float p)
        {
            s = a * s + c * g * g;
            return g / (MathF.Sqrt(s) + eps);
        }

        public Vector256<float> Invoke(Vector256<float> g, ref Vector256<float> s, Vector256<float> p)
        {
            s = Vector256.Create(a) * s + Vector256.Create(c) * g * g;
            return g / (Vector256.Sqrt(s) + Vector256.Create(eps));
        }

        public Vector512<float> Invoke(Vector512<float> g, ref Vector512<float> s, Vector512<float> p)
        {
            s = Vector512.Create(a) * s + Vector512.Create(c) * g * g;
            return g / (Vector512.Sqrt(s) + Vector512.Create(eps));
        }
    }

    /// <summary>s = α·s + (1−α)·g·g; ḡ = α·ḡ + (1−α)·g; u = g / (√(s − ḡ·ḡ) + ε).</summary>
    private readonly struct Centered(float a, float c, float eps) : IUpdateOperator2
    {
        public float Invoke(float g, ref float s, ref float m, float p)
        {
            s = a * s + c * g * g;
            m = a * m + c * g;
            return g / (MathF.Sqrt(s - m * m) + eps);
        }

        public Vector256<float> Invoke(Vector256<float> g, ref Vector256<float> s, ref Vector256<float> m, Vector256<float> p)
        {
            s = Vector256.Create(a) * s + Vector256.Create(c) * g * g;
            m = Vector256.Create(a) * m + Vector256.Create(c) * g;
            return g / (Vector256.Sqrt(s - m * m) + Vector256.Create(eps));
        }

        public Vector512<float> Invoke(Vector512<float> g, ref Vector512<float> s, ref Vector512<float> m, Vector512<float> p)
        {
            s = Vector512.Create(a) * s + Vector512.Create(c) * g * g;
            m = Vector512.Create(a) * m + Vector512.Create(c) * g;
            return g / (Vector512.Sqrt(s - m * m) + Vector512.Create(eps));
        }
    }
}
