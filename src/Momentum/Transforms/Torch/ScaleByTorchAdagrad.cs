using Momentum.Kernels;

namespace Momentum;

public static partial class Transforms
{
    /// <summary>
    /// Divides updates by the root of the accumulated squared gradients, as torch.optim.Adagrad does (Duchi, Hazan and
    /// Singer, 2011, https://jmlr.org/papers/v12/duchi11a.html), with torch's learning-rate decay folded in. ε is added
    /// outside the square root and the accumulator starts at <paramref name="initialAccumulatorValue"/> (Optax's
    /// <c>scale_by_rss</c> starts at 0.1 with ε inside).
    /// </summary>
    /// <param name="lrDecay">d, the learning-rate decay; finite and ≥ 0.</param>
    /// <param name="initialAccumulatorValue">The accumulator's initial value; finite and ≥ 0.</param>
    /// <param name="eps">ε, added to the root; finite and ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>
    /// With t the parameter's own step count (1 on its first step): <c>S ← S + g²</c>,
    /// <c>u = g / (√S + ε) / (1 + (t−1)·d)</c>; followed by <c>scale_by_learning_rate(η)</c> this is torch's
    /// <c>θ ← θ − η/(1 + (t−1)·d) · g/(√S + ε)</c>. State: S filled with the initial value (rows appended later get it
    /// too) and count = 0. A NaN in g propagates to S and u.
    /// </remarks>
    public static GradientTransformation ScaleByTorchAdagrad(double lrDecay = 0, double initialAccumulatorValue = 0, double eps = 1e-10)
    {
        if (!double.IsFinite(lrDecay) || lrDecay < 0) ThrowHelper.ThrowInvalid("lr_decay", "lr_decay value", lrDecay);
        if (!double.IsFinite(initialAccumulatorValue) || initialAccumulatorValue < 0)
            ThrowHelper.ThrowInvalid("initial_accumulator_value", "initial_accumulator_value value", initialAccumulatorValue);
        ValidateEpsilon(eps, nameof(eps));
        return new ScaleByTorchAdagradTransformation(lrDecay, initialAccumulatorValue, eps);
    }
}

/// <summary>The state of <c>scale_by_torch_adagrad</c>: the accumulator and a count.</summary>
internal sealed class ScaleByTorchAdagradState : TransformState
{
    public readonly RowBuffer Sum;
    public long Count;
    public float Decay;

    public ScaleByTorchAdagradState(Parameter parameter, float initial) : base(parameter)
    {
        Sum = AddTensor("sum", initial);
        AddScalar("count", () => Count, v => Count = (long)v);
    }
}

/// <summary>torch's Adagrad scaling; see <see cref="Transforms.ScaleByTorchAdagrad"/>.</summary>
internal sealed class ScaleByTorchAdagradTransformation(double lrDecay, double initialAccumulatorValue, double eps) : ElementwiseTransformation
{
    private readonly float _eps = (float)eps;

    public override string Name => "scale_by_torch_adagrad";

    public override TransformState? CreateState(Parameter parameter) => new ScaleByTorchAdagradState(parameter, (float)initialAccumulatorValue);

    public override void BeginStep(TransformState? state, in StepInfo step)
    {
        var s = (ScaleByTorchAdagradState)state!;
        long t = ++s.Count;
        s.Decay = (float)(1 / (1 + (t - 1) * lrDecay));
    }

    public override void Apply(TransformState? state, in Block block)
    {
        var s = (ScaleByTorchAdagradState)state!;
        ElementwiseLoop.Run(new Operator(s.Decay, _eps), block.Updates, s.Sum.Span.Slice(block.Offset, block.Length), block.Parameters);
    }

    /// <summary>S = S + g·g; u = k·(g / (√S + ε)).</summary>
    private readonly struct Operator(float k, float eps) : IElementwiseOperator
    {
        public static int States => 1;

        public TV Invoke<TV>(TV g, TV p, ref TV sum, ref TV b, ref TV c, ref TV d) where TV : struct, ILanes<TV>
        {
            sum = sum + g * g;
            return TV.Create(k) * (g / (TV.Sqrt(sum) + TV.Create(eps)));
        }
    }
}
