using Momentum.Kernels;

namespace Momentum;

public static partial class Transforms
{
    /// <summary>
    /// Resilient backpropagation's sign-based steps (Riedmiller and Braun, 1993, https://doi.org/10.1109/ICNN.1993.298623),
    /// as torch.optim.Rprop computes them. The output is <c>sign(g)·step_size</c>; negate it (<c>scale(−1)</c>) to descend.
    /// </summary>
    /// <param name="initialStepSize">Every element's first step size (torch's <c>lr</c>); finite and ≥ 0.</param>
    /// <param name="etaMinus">η−, the factor when the gradient's sign flips; 0 &lt; η− &lt; 1.</param>
    /// <param name="etaPlus">η+, the factor when it keeps its sign; η+ &gt; 1.</param>
    /// <param name="minStepSize">The smallest step size; finite and ≥ 0.</param>
    /// <param name="maxStepSize">The largest step size; finite and ≥ <paramref name="minStepSize"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>
    /// With p the previous (possibly zeroed) gradient: where <c>g·p &gt; 0</c> the step size is multiplied by η+, where
    /// <c>g·p &lt; 0</c> by η− and g is set to 0, elsewhere unchanged; it is then clamped to
    /// [<paramref name="minStepSize"/>, <paramref name="maxStepSize"/>]. <c>u = sign(g)·step_size</c> and p ← g.
    /// State: p = 0, step sizes = <paramref name="initialStepSize"/> (also for rows appended later), and a count.
    /// </remarks>
    public static GradientTransformation ScaleByTorchRprop(double initialStepSize = 1e-2, double etaMinus = 0.5, double etaPlus = 1.2,
        double minStepSize = 1e-6, double maxStepSize = 50)
    {
        if (!double.IsFinite(initialStepSize) || initialStepSize < 0) ThrowHelper.ThrowInvalid("lr", "learning rate", initialStepSize);
        ValidateEtas(etaMinus, etaPlus);
        ValidateStepSizes(minStepSize, maxStepSize);
        return new ScaleByTorchRpropTransformation(initialStepSize, etaMinus, etaPlus, minStepSize, maxStepSize);
    }

    /// <summary>torch's check <c>0 &lt; etas[0] &lt; 1 &lt; etas[1]</c> ("Invalid eta values: 0.5, 1.2"), finiteness first.</summary>
    internal static void ValidateEtas(double etaMinus, double etaPlus)
    {
        if (!double.IsFinite(etaMinus) || !double.IsFinite(etaPlus) || !(0 < etaMinus && etaMinus < 1 && 1 < etaPlus))
            throw new ArgumentOutOfRangeException("etas", $"Invalid eta values: {ThrowHelper.Format(etaMinus)}, {ThrowHelper.Format(etaPlus)}");
    }

    /// <summary>Step-size bounds: finite, 0 ≤ min ≤ max (torch does not check them; a stricter rule than torch's).</summary>
    internal static void ValidateStepSizes(double min, double max)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max) || !(0 <= min && min <= max))
            throw new ArgumentOutOfRangeException("step_sizes", $"Invalid step_sizes values: {ThrowHelper.Format(min)}, {ThrowHelper.Format(max)} (need 0 <= min <= max, finite)");
    }
}

/// <summary>The state of <c>scale_by_torch_rprop</c>: the previous gradient, the step sizes and a count.</summary>
internal sealed class ScaleByTorchRpropState : TransformState
{
    public readonly RowBuffer Previous;
    public readonly RowBuffer StepSize;
    public long Count;

    public ScaleByTorchRpropState(Parameter parameter, float initialStepSize) : base(parameter)
    {
        Previous = AddTensor("prev");
        StepSize = AddTensor("step_size", initialStepSize);
        AddScalar("count", () => Count, v => Count = (long)v);
    }
}

/// <summary>torch's Rprop; see <see cref="Transforms.ScaleByTorchRprop"/>.</summary>
internal sealed class ScaleByTorchRpropTransformation(double initialStepSize, double etaMinus, double etaPlus, double minStepSize, double maxStepSize)
    : ElementwiseTransformation
{
    private readonly float _minus = (float)etaMinus, _plus = (float)etaPlus, _min = (float)minStepSize, _max = (float)maxStepSize;

    public override string Name => "scale_by_torch_rprop";

    public override TransformState? CreateState(Parameter parameter) => new ScaleByTorchRpropState(parameter, (float)initialStepSize);

    public override void BeginStep(TransformState? state, in StepInfo step) => ((ScaleByTorchRpropState)state!).Count++;

    public override void Apply(TransformState? state, in Block block)
    {
        var s = (ScaleByTorchRpropState)state!;
        int o = block.Offset, n = block.Length;
        ElementwiseLoop.Run(new Operator(_minus, _plus, _min, _max), block.Updates, s.Previous.Span.Slice(o, n), s.StepSize.Span.Slice(o, n), block.Parameters);
    }

    /// <summary>f = η+ if g·p &gt; 0, η− if g·p &lt; 0, else 1; s = clamp(s·f); g = 0 where g·p &lt; 0; p = g; u = sign(g)·s.</summary>
    private readonly struct Operator(float minus, float plus, float min, float max) : IElementwiseOperator
    {
        public static int States => 2;

        public TV Invoke<TV>(TV g, TV p, ref TV prev, ref TV size, ref TV c, ref TV d) where TV : struct, ILanes<TV>
        {
            var zero = TV.Create(0f);
            var product = g * prev;
            var factor = TV.IfGreater(product, zero, TV.Create(plus), TV.IfLess(product, zero, TV.Create(minus), TV.Create(1f)));
            size = TV.Min(TV.Max(size * factor, TV.Create(min)), TV.Create(max));
            g = TV.IfLess(product, zero, zero, g);
            prev = g;
            return TV.IfGreater(g, zero, TV.Create(1f), TV.IfLess(g, zero, TV.Create(-1f), zero)) * size;
        }
    }
}
