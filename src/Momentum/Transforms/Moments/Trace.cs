using Momentum.Kernels;

namespace Momentum;

public static partial class Transforms
{
    /// <summary>
    /// Accumulates a momentum trace (Optax's <c>trace</c>, with PyTorch SGD's dampening):
    /// on a parameter's first step <c>b ← g</c>; afterwards <c>b ← μ·b + (1−τ)·g</c>. The output is <c>b</c>, or
    /// <c>g + μ·b</c> with Nesterov. With τ = 0 this is Optax's <c>trace</c> exactly (<c>b₀ = 0</c> gives <c>b₁ = g</c>).
    /// </summary>
    /// <param name="decay">μ, the momentum; finite and ≥ 0.</param>
    /// <param name="nesterov">Whether to use Nesterov momentum.</param>
    /// <param name="dampening">τ, the dampening of the gradient (not applied on the first step, as in PyTorch); finite.</param>
    /// <param name="stepCounting">Which count decides "first step" (<c>b ← g</c>): the tensor's (default), each row's,
    /// or none (always <c>b ← μ·b + (1−τ)·g</c>, Optax's <c>trace</c>); see docs/DYNAMIC.md.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>State: the trace b and a count; b is set from the gradient on the first step, so no dampening applies
    /// there. A NaN in g propagates to b.</remarks>
    public static GradientTransformation Trace(double decay, bool nesterov = false, double dampening = 0, StepCounting stepCounting = StepCounting.PerTensor)
    {
        if (!double.IsFinite(decay) || decay < 0) ThrowHelper.ThrowInvalid(nameof(decay), "momentum value", decay);
        if (!double.IsFinite(dampening)) ThrowHelper.ThrowInvalid(nameof(dampening), "dampening value", dampening);
        StepCounts.Validate(stepCounting, nameof(stepCounting));
        return new TraceTransformation(decay, nesterov, dampening, stepCounting);
    }
}

/// <summary>The state of <c>trace</c>: the momentum buffer and a count.</summary>
internal sealed class TraceState : TransformState
{
    public readonly RowBuffer Trace;
    public long Count;
    public bool First;

    public readonly RowBuffer? RowCounts;

    public TraceState(Parameter parameter, bool perRow = false) : base(parameter)
    {
        Trace = AddTensor("trace");
        AddScalar("count", () => Count, v => Count = (long)v);
        if (perRow) RowCounts = AddRowCounter("row_count");
    }
}

/// <summary>Momentum; see <see cref="Transforms.Trace"/>.</summary>
internal sealed class TraceTransformation(double decay, bool nesterov, double dampening, StepCounting stepCounting = StepCounting.PerTensor)
    : ElementwiseTransformation, IFusedCore
{
    private readonly float _decay = (float)decay, _gain = (float)(1 - dampening);

    public override string Name => "trace";

    public StepCounting StepCounting => stepCounting;

    bool IFusedCore.CanFuse => stepCounting == StepCounting.PerTensor;

    bool IFusedCore.HasSecondMoment => false;

    int IFusedCore.StatePerSlot => 1;

    void IFusedCore.SetConstants(ref ChainScalars k) => (k.Decay, k.Gain, k.Nesterov) = (_decay, _gain, nesterov);

    void IFusedCore.BeginFusedStep(TransformState state, in StepInfo step, ref AdamScalarMemo memo) => BeginStep(state, in step);

    void IFusedCore.PrepareFused(TransformState state, ref ChainScalars k) => k.First = ((TraceState)state).First;

    FusedStateArrays IFusedCore.StateArrays(TransformState state)
    {
        var s = (TraceState)state;
        return new(s.Trace.Data, s.Trace.Offset, [], 0);
    }

    void IFusedCore.RunFused(in ChainScalars k, ReadOnlySpan<float> g, Span<float> p, in FusedStateArrays state, int start, int length) =>
        FusedKernels.Momentum(in k, g, p, new Span<float>(state.A, state.AAt + start, length));

    public override TransformState? CreateState(Parameter parameter) => new TraceState(parameter, stepCounting == StepCounting.PerRow);

    public override void BeginStep(TransformState? state, in StepInfo step)
    {
        var s = (TraceState)state!;
        s.First = s.Count == 0 && stepCounting == StepCounting.PerTensor;
        s.Count++;
        if (s.RowCounts is not null) StepCounts.Advance(s.RowCounts, in step);
    }

    public override void Apply(TransformState? state, in Block block)
    {
        var s = (TraceState)state!;
        if (s.RowCounts is null)
        {
            Run(s.First, block.Updates, s.Trace.Span.Slice(block.Offset, block.Length), block.Parameters);
            return;
        }
        // Per row: a row on its first step (count 1 after BeginStep) takes b ← g; runs of rows share the rule.
        var counts = s.RowCounts.Span;
        int rowLength = s.Trace.RowLength;
        int start = block.Offset, end = start + block.Length;
        for (int a = start; a < end;)
        {
            int b = StepCounts.RunEnd(counts, rowLength, a, end);
            int n = b - a;
            Run(counts[a / rowLength] == 1f, block.Updates.Slice(a - start, n), s.Trace.Span.Slice(a, n), block.Parameters.Slice(a - start, n));
            a = b;
        }
    }

    private void Run(bool first, Span<float> updates, Span<float> trace, ReadOnlySpan<float> parameters)
    {
        if (first) updates.CopyTo(trace);
        else ElementwiseLoop.Run(new Accumulate(_decay, _gain), updates, trace, parameters);
        if (nesterov) VectorMath.AddScaled(updates, trace, _decay);
        else if (!first) trace.CopyTo(updates);
    }

    /// <summary>b = μ·b + (1−τ)·g; returns g unchanged.</summary>
    private readonly struct Accumulate(float decay, float gain) : IElementwiseOperator
    {
        public static int States => 1;

        public TV Invoke<TV>(TV g, TV p, ref TV b, ref TV c, ref TV d, ref TV e) where TV : struct, ILanes<TV>
        {
            b = b * TV.Create(decay) + TV.Create(gain) * g;
            return g;
        }
    }
}
