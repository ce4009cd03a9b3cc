using Momentum.Kernels;

namespace Momentum;

public static partial class Transforms
{
    /// <summary>
    /// Adadelta's unit-corrected step (Zeiler, 2012, https://arxiv.org/abs/1212.5701), as torch.optim.Adadelta computes
    /// it, with ε inside both square roots.
    /// </summary>
    /// <param name="rho">ρ, the decay of both averages; finite and in [0, 1].</param>
    /// <param name="eps">ε; finite and ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>
    /// <c>s ← ρ·s + (1−ρ)·g²</c>, <c>δ = √(a + ε) / √(s + ε) · g</c>, <c>a ← ρ·a + (1−ρ)·δ²</c>, <c>u = δ</c>
    /// (torch then multiplies by lr, default 1). State: s = a = 0 and a count. A NaN in g propagates to s, a and u.
    /// </remarks>
    public static GradientTransformation ScaleByTorchAdadelta(double rho = 0.9, double eps = 1e-6)
    {
        if (!double.IsFinite(rho) || rho < 0 || rho > 1) ThrowHelper.ThrowInvalid(nameof(rho), "rho value", rho);
        ValidateEpsilon(eps, nameof(eps));
        return new ScaleByTorchAdadeltaTransformation(rho, eps);
    }
}

/// <summary>The state of <c>scale_by_torch_adadelta</c>: the mean squared gradient and update, and a count.</summary>
internal sealed class ScaleByTorchAdadeltaState : TransformState
{
    public readonly RowBuffer SquareAverage;
    public readonly RowBuffer AccumulatedDelta;
    public long Count;

    public ScaleByTorchAdadeltaState(Parameter parameter) : base(parameter)
    {
        SquareAverage = AddTensor("square_avg");
        AccumulatedDelta = AddTensor("acc_delta");
        AddScalar("count", () => Count, v => Count = (long)v);
    }
}

/// <summary>torch's Adadelta step; see <see cref="Transforms.ScaleByTorchAdadelta"/>.</summary>
internal sealed class ScaleByTorchAdadeltaTransformation(double rho, double eps) : ElementwiseTransformation
{
    private readonly float _rho = (float)rho, _c = (float)(1 - rho), _eps = (float)eps;

    public override string Name => "scale_by_torch_adadelta";

    public override TransformState? CreateState(Parameter parameter) => new ScaleByTorchAdadeltaState(parameter);

    public override void BeginStep(TransformState? state, in StepInfo step) => ((ScaleByTorchAdadeltaState)state!).Count++;

    public override void Apply(TransformState? state, in Block block)
    {
        var s = (ScaleByTorchAdadeltaState)state!;
        int o = block.Offset, n = block.Length;
        ElementwiseLoop.Run(new Operator(_rho, _c, _eps), block.Updates, s.SquareAverage.Span.Slice(o, n), s.AccumulatedDelta.Span.Slice(o, n), block.Parameters);
    }

    /// <summary>s = ρ·s + (1−ρ)·g·g; δ = √(a + ε) / √(s + ε) · g; a = ρ·a + (1−ρ)·δ·δ.</summary>
    private readonly struct Operator(float rho, float c, float eps) : IElementwiseOperator
    {
        public static int States => 2;

        public TV Invoke<TV>(TV g, TV p, ref TV s, ref TV a, ref TV d, ref TV e) where TV : struct, ILanes<TV>
        {
            s = TV.Create(rho) * s + TV.Create(c) * g * g;
            var delta = TV.Sqrt(a + TV.Create(eps)) / TV.Sqrt(s + TV.Create(eps)) * g;
            a = TV.Create(rho) * a + TV.Create(c) * delta * delta;
            return delta;
        }
    }
}
