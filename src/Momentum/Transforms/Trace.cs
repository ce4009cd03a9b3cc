using System.Runtime.Intrinsics;
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
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>State: the trace b and a count; b is set from the gradient on the first step, so no dampening applies
    /// there. A NaN in g propagates to b.</remarks>
    public static GradientTransformation Trace(double decay, bool nesterov = false, double dampening = 0)
    {
        if (!double.IsFinite(decay) || decay < 0) ThrowHelper.ThrowInvalid(nameof(decay), "momentum value", decay);
        if (!double.IsFinite(dampening)) ThrowHelper.ThrowInvalid(nameof(dampening), "dampening value", dampening);
        return new TraceTransformation(decay, nesterov, dampening);
    }
}

/// <summary>The state of <c>trace</c>: the momentum buffer and a count.</summary>
internal sealed class TraceState : TransformState
{
    public readonly RowBuffer Trace;
    public long Count;
    public bool First;

    public TraceState(Parameter parameter) : base(parameter)
    {
        Trace = AddTensor("trace");
        AddScalar("count", () => Count, v => Count = (long)v);
    }
}

/// <summary>Momentum; see <see cref="Transforms.Trace"/>.</summary>
internal sealed class TraceTransformation(double decay, bool nesterov, double dampening) : ElementwiseTransformation
{
    private readonly float _decay = (float)decay, _gain = (float)(1 - dampening);

    public override string Name => "trace";

    /// <summary>The constants as <see cref="Apply"/> uses them, for the engine's specialized kernels.</summary>
    internal (float Decay, float Gain, bool Nesterov) FusedConstants => (_decay, _gain, nesterov);

    public override TransformState? CreateState(Parameter parameter) => new TraceState(parameter);

    public override void BeginStep(TransformState? state, in StepInfo step)
    {
        var s = (TraceState)state!;
        s.First = s.Count == 0;
        s.Count++;
    }

    public override void Apply(TransformState? state, in Block block)
    {
        var s = (TraceState)state!;
        var trace = s.Trace.Span.Slice(block.Offset, block.Length);
        if (s.First) block.Updates.CopyTo(trace);
        else ElementwiseLoop.Run(new Accumulate(_decay, _gain), block.Updates, trace, block.Parameters);
        if (nesterov) VectorMath.AddScaled(block.Updates, trace, _decay);
        else if (!s.First) trace.CopyTo(block.Updates);
    }

    /// <summary>b = μ·b + (1−τ)·g; returns g unchanged.</summary>
    private readonly struct Accumulate(float decay, float gain) : IUpdateOperator1
    {
        public float Invoke(float g, ref float b, float p)
        {
            b = b * decay + gain * g;
            return g;
        }

        public Vector256<float> Invoke(Vector256<float> g, ref Vector256<float> b, Vector256<float> p)
        {
            b = b * Vector256.Create(decay) + Vector256.Create(gain) * g;
            return g;
        }

        public Vector512<float> Invoke(Vector512<float> g, ref Vector512<float> b, Vector512<float> p)
        {
            b = b * Vector512.Create(decay) + Vector512.Create(gain) * g;
            return g;
        }
    }
}
