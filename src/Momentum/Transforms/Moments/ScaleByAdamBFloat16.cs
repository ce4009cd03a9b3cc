using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Momentum.Kernels;

namespace Momentum;

public static partial class Transforms
{
    /// <summary>
    /// <see cref="ScaleByAdam"/> with its moments stored in bfloat16 (Kingma and Ba, 2015, https://arxiv.org/abs/1412.6980):
    /// the math runs in float32 and m and v are rounded to bfloat16 (nearest, ties to even) when stored, which halves
    /// the state memory (4 instead of 8 bytes per parameter) and the state traffic.
    /// </summary>
    /// <param name="b1">β1, the decay of the first moment, in [0, 1).</param>
    /// <param name="b2">β2, the decay of the second moment, in [0, 1).</param>
    /// <param name="eps">ε, added to the denominator outside the square root; ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>
    /// Per element, with m and v widened from bfloat16: <c>m ← β1·m + (1−β1)·g</c>, <c>v ← β2·v + (1−β2)·g²</c>,
    /// <c>u = (m/(1−β1ᵗ)) / (√v/√(1−β2ᵗ) + ε)</c> from the float32 m and v, then m and v are rounded to bfloat16.
    /// bfloat16 keeps 8 significant bits, so an update of v smaller than about 2⁻⁹·v is lost to rounding: with β2 = 0.999
    /// the second moment only follows large changes of g² (see docs/PERFORMANCE.md for the measured accuracy cost).
    /// The moments are stored as packed tensors (<c>mu_bf16</c>, <c>nu_bf16</c>, two values per float32 slot) that
    /// checkpoints save bit-exactly as BF16 tensors of the parameter's shape; they are not per-row, so this state does not follow row operations. In the usual
    /// chains (<c>adam</c>/<c>adamw</c> with <c>BFloat16State</c>, optionally after a clip) the optimizer runs it as one
    /// pass over memory with the same bits (20 bytes per element instead of float32 Adam's 28).
    /// State: m = v = 0 and count = 0. A NaN in g propagates to m, v and u.
    /// </remarks>
    public static GradientTransformation ScaleByAdamBFloat16State(double b1 = 0.9, double b2 = 0.999, double eps = 1e-8)
    {
        ValidateBetas(b1, b2);
        ValidateEpsilon(eps, nameof(eps));
        return new ScaleByAdamBFloat16Transformation(b1, b2, eps);
    }
}

/// <summary>The state of <c>scale_by_adam_bf16</c>: bfloat16 moments packed two per float32 slot, and the count.</summary>
internal sealed class ScaleByAdamBFloat16State : TransformState
{
    public readonly RowBuffer MuPacked;
    public readonly RowBuffer NuPacked;
    public long Count;
    public float MomentScale, SqrtBc2;

    public ScaleByAdamBFloat16State(Parameter parameter) : base(parameter)
    {
        MuPacked = AddBFloat16Tensor("mu_bf16");
        NuPacked = AddBFloat16Tensor("nu_bf16");
        AddScalar("count", () => Count, v => Count = (long)v);
    }

    public Span<ushort> Mu => MemoryMarshal.Cast<float, ushort>(MuPacked.Span);

    public Span<ushort> Nu => MemoryMarshal.Cast<float, ushort>(NuPacked.Span);
}

/// <summary>Adam with bfloat16 moments; see <see cref="Transforms.ScaleByAdamBFloat16State"/>.</summary>
internal sealed class ScaleByAdamBFloat16Transformation(double b1, double b2, double eps) : ElementwiseTransformation, IFusedCore
{
    private readonly float _b1 = (float)b1, _c1 = (float)(1 - b1), _b2 = (float)b2, _c2 = (float)(1 - b2), _eps = (float)eps;

    public override string Name => "scale_by_adam_bf16";

    bool IFusedCore.CanFuse => true;

    bool IFusedCore.HasSecondMoment => true;

    int IFusedCore.StatePerSlot => 2; // two bfloat16 values per float32 slot

    void IFusedCore.SetConstants(ref ChainScalars k) => (k.B1, k.C1, k.B2, k.C2, k.Eps) = (_b1, _c1, _b2, _c2, _eps);

    void IFusedCore.BeginFusedStep(TransformState state, in StepInfo step, ref AdamScalarMemo memo) => BeginStep(state, in step);

    void IFusedCore.PrepareFused(TransformState state, ref ChainScalars k)
    {
        var s = (ScaleByAdamBFloat16State)state;
        (k.Km, k.SqrtBc2) = (s.MomentScale, s.SqrtBc2);
    }

    FusedStateArrays IFusedCore.StateArrays(TransformState state)
    {
        var s = (ScaleByAdamBFloat16State)state;
        return new(s.MuPacked.Data, s.MuPacked.Offset, s.NuPacked.Data, s.NuPacked.Offset);
    }

    void IFusedCore.RunFused(in ChainScalars k, ReadOnlySpan<float> g, Span<float> p, in FusedStateArrays state, int start, int length)
    {
        // Two bfloat16 values per float32 slot, starting at the tensor's first slot.
        var m = MemoryMarshal.Cast<float, ushort>(state.A.AsSpan(state.AAt)).Slice(start, length);
        var v = MemoryMarshal.Cast<float, ushort>(state.B.AsSpan(state.BAt)).Slice(start, length);
        FusedKernels.AdamBFloat16(in k, g, p, m, v);
    }

    public override TransformState? CreateState(Parameter parameter) => new ScaleByAdamBFloat16State(parameter);

    public override void BeginStep(TransformState? state, in StepInfo step)
    {
        var s = (ScaleByAdamBFloat16State)state!;
        long t = ++s.Count;
        s.MomentScale = (float)(1 / (1 - PowCache.Pow(b1, t)));
        s.SqrtBc2 = (float)Math.Sqrt(1 - PowCache.Pow(b2, t));
    }

    public override void Apply(TransformState? state, in Block block)
    {
        var s = (ScaleByAdamBFloat16State)state!;
        int o = block.Offset, n = block.Length;
        Run(block.Updates, s.Mu.Slice(o, n), s.Nu.Slice(o, n), s.MomentScale, s.SqrtBc2);
    }

    private void Run(Span<float> u, Span<ushort> m, Span<ushort> v, float km, float sqrtBc2)
    {
        var loop = new Loop(u, m, v, _b1, _c1, _b2, _c2, km, sqrtBc2, _eps);
        Lanes.Run(ref loop);
    }

    /// <summary>m, v widened; m = β1·m + c1·g; v = β2·v + (c2·g)·g; u = k_m·m / (√v/√bc2 + ε); m, v rounded back.</summary>
    internal readonly ref struct Loop(Span<float> u, Span<ushort> m, Span<ushort> v, float b1, float c1, float b2, float c2, float km, float sqrtBc2, float eps)
        : ILaneLoop
    {
        private readonly Span<float> _u = u;
        private readonly Span<ushort> _m = m, _v = v;

        public int Run<TV>(int start) where TV : struct, ILanes<TV>
        {
            ref float ru = ref MemoryMarshal.GetReference(_u);
            ref ushort rm = ref MemoryMarshal.GetReference(_m);
            ref ushort rv = ref MemoryMarshal.GetReference(_v);
            var math = new AdamBFloat16Math<TV>(b1, c1, b2, c2, km, sqrtBc2, eps);
            int i = start, n = _u.Length, c = TV.Count, step = AdamBFloat16Math<TV>.Step;
            for (; i <= n - step; i += step)
            {
                nuint k0 = (nuint)i, k1 = (nuint)(i + c);
                var m0 = TV.LoadBFloat16(ref rm, k0);
                var v0 = TV.LoadBFloat16(ref rv, k0);
                math.Update(TV.Load(ref ru, k0), ref m0, ref v0).Store(ref ru, k0);
                if (c == 1)
                {
                    m0.StoreBFloat16(ref rm, k0);
                    v0.StoreBFloat16(ref rv, k0);
                    continue;
                }
                var m1 = TV.LoadBFloat16(ref rm, k1);
                var v1 = TV.LoadBFloat16(ref rv, k1);
                math.Update(TV.Load(ref ru, k1), ref m1, ref v1).Store(ref ru, k1);
                TV.StoreBFloat16(m0, m1, ref rm, k0);
                TV.StoreBFloat16(v0, v1, ref rv, k0);
            }
            return i;
        }
    }
}

/// <summary>
/// <c>scale_by_adam_bf16</c>'s float32 math on lanes, with its constants broadcast once per loop: m and v widened,
/// <c>m ← β1·m + c1·u</c>, <c>v ← β2·v + (c2·u)·u</c>, and the update <c>k_m·m / (√v/√bc2 + ε)</c>. The stage and the
/// engine's one-pass kernel (<see cref="FusedKernels.AdamBFloat16"/>) both run it, so they perform the same operations.
/// </summary>
internal readonly struct AdamBFloat16Math<TV>(float b1, float c1, float b2, float c2, float km, float sqrtBc2, float eps)
    where TV : struct, ILanes<TV>
{
    private readonly TV _b1 = TV.Create(b1), _c1 = TV.Create(c1), _b2 = TV.Create(b2), _c2 = TV.Create(c2);
    private readonly TV _km = TV.Create(km), _sqrtBc2 = TV.Create(sqrtBc2), _eps = TV.Create(eps);

    /// <summary>
    /// Elements per iteration of the bf16 loops: vectors go two at a time, so one narrowing rounds and stores both
    /// halves of each moment (<c>TV.StoreBFloat16(lower, upper, ...)</c>); the scalar lane goes one at a time.
    /// </summary>
    public static int Step => TV.Count == 1 ? 1 : 2 * TV.Count;

    /// <summary>Updates the widened moments from <paramref name="u"/>; returns Adam's update.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Update(TV u, ref TV m, ref TV v)
    {
        m = _b1 * m + _c1 * u;
        v = _b2 * v + _c2 * u * u;
        return _km * m / (TV.Sqrt(v) / _sqrtBc2 + _eps);
    }
}
