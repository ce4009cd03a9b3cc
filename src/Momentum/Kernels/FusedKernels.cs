using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Momentum.Kernels;

/// <summary>
/// The step scalars of a recognized chain, gathered once per step per parameter from the stages' states:
/// <c>[clip] → [scale] → [add_decayed_weights] → core → [add_decayed_weights] → scale_by_learning_rate</c>, where the
/// core is <c>scale_by_adam</c>, <c>trace</c> or nothing. A stage that is absent (or a no-op this step, exactly as the
/// stage itself would skip it) has its flag off.
/// </summary>
internal struct ChainScalars
{
    /// <summary>Clip factor (u ← u·Clip), applied when <see cref="HasClip"/>.</summary>
    public float Clip;
    public bool HasClip;

    /// <summary>Constant factor (u ← u·Scale), applied when <see cref="HasScale"/>.</summary>
    public float Scale;
    public bool HasScale;

    /// <summary>Coupled weight decay before the core (u ← u + Wd1·θ).</summary>
    public float Wd1;
    public bool HasWd1;

    /// <summary>Adam: m ← B1·m + C1·u; v ← B2·v + (C2·u)·u; u ← (Km·m + Kg·u) / (√(v + EpsRoot)/SqrtBc2 + Eps).</summary>
    public float B1, C1, B2, C2, Km, Kg, SqrtBc2, EpsRoot, Eps;

    /// <summary>Momentum: first step b ← u, then b ← b·Decay + Gain·u; u ← b, or u + Decay·b with Nesterov.</summary>
    public float Decay, Gain;
    public bool Nesterov, First;

    /// <summary>Decoupled weight decay after the core (u ← u + Wd2·θ).</summary>
    public float Wd2;
    public bool HasWd2;

    /// <summary>The signed learning rate (u ← u·Lr), then θ ← θ + u.</summary>
    public float Lr;

    /// <summary>Whether two sets of scalars are the same, bit for bit (so a kernel gives the same results with either).</summary>
    public static bool Same(in ChainScalars a, in ChainScalars b) =>
        Bits(a.Clip) == Bits(b.Clip) && a.HasClip == b.HasClip && Bits(a.Scale) == Bits(b.Scale) && a.HasScale == b.HasScale
        && Bits(a.Wd1) == Bits(b.Wd1) && a.HasWd1 == b.HasWd1
        && Bits(a.B1) == Bits(b.B1) && Bits(a.C1) == Bits(b.C1) && Bits(a.B2) == Bits(b.B2) && Bits(a.C2) == Bits(b.C2)
        && Bits(a.Km) == Bits(b.Km) && Bits(a.Kg) == Bits(b.Kg) && Bits(a.SqrtBc2) == Bits(b.SqrtBc2)
        && Bits(a.EpsRoot) == Bits(b.EpsRoot) && Bits(a.Eps) == Bits(b.Eps)
        && Bits(a.Decay) == Bits(b.Decay) && Bits(a.Gain) == Bits(b.Gain) && a.Nesterov == b.Nesterov && a.First == b.First
        && Bits(a.Wd2) == Bits(b.Wd2) && a.HasWd2 == b.HasWd2 && Bits(a.Lr) == Bits(b.Lr);

    private static int Bits(float value) => BitConverter.SingleToInt32Bits(value);
}

/// <summary>
/// One-pass kernels for the common chains: each element of θ, g and the state is read once and written once, with
/// exactly the operations, in exactly the order, that the chain's stages perform one after another (so the results are
/// bit-identical to the generic block-by-block path). Each kernel is one loop body over lanes (<see cref="Lanes"/>):
/// the widest accelerated vector, then narrower ones, then the scalar lane.
/// </summary>
internal static class FusedKernels
{
    /// <summary>How far ahead the Adam kernels prefetch each stream, in elements (1 KiB of float32).</summary>
    private const int AdamPrefetchDistance = 256;

    /// <summary>Adam or AdamW (any of the optional pre- and post-stages): 28 B/element.</summary>
    public static void Adam(in ChainScalars k, ReadOnlySpan<float> g, Span<float> p, Span<float> m, Span<float> v)
    {
        CheckLengths(g.Length, p.Length, m.Length, v.Length);
        var loop = new AdamLoop(k, g, p, m, v);
        Lanes.Run(ref loop);
    }

    /// <summary>
    /// Adam or AdamW with bfloat16 moments (<c>scale_by_adam_bf16</c>'s math: m and v widened, updated in float32, then
    /// rounded back; <c>u = Km·m / (√v/SqrtBc2 + Eps)</c>), with the same optional pre- and post-stages: 20 B/element.
    /// </summary>
    public static void AdamBFloat16(in ChainScalars k, ReadOnlySpan<float> g, Span<float> p, Span<ushort> m, Span<ushort> v)
    {
        CheckLengths(g.Length, p.Length, m.Length, v.Length);
        var loop = new AdamBFloat16Loop(k, g, p, m, v);
        Lanes.Run(ref loop);
    }

    /// <summary>SGD with momentum (PyTorch's buffer semantics, optional Nesterov and coupled decay): 20 B/element.</summary>
    public static void Momentum(in ChainScalars k, ReadOnlySpan<float> g, Span<float> p, Span<float> b)
    {
        if (p.Length != g.Length) ThrowHelper.ThrowLengthMismatch(nameof(p), g.Length, p.Length);
        if (b.Length != g.Length) ThrowHelper.ThrowLengthMismatch(nameof(b), g.Length, b.Length);
        var loop = new MomentumLoop(k, g, p, b);
        Lanes.Run(ref loop);
    }

    /// <summary>Plain SGD (optional clip, scale and coupled decay): 12 B/element.</summary>
    public static void Plain(in ChainScalars k, ReadOnlySpan<float> g, Span<float> p)
    {
        if (p.Length != g.Length) ThrowHelper.ThrowLengthMismatch(nameof(p), g.Length, p.Length);
        var loop = new PlainLoop(k, g, p);
        Lanes.Run(ref loop);
    }

    /// <summary>Throws unless θ and both moments have the gradient's length.</summary>
    private static void CheckLengths(int g, int p, int m, int v)
    {
        if (p != g) ThrowHelper.ThrowLengthMismatch(nameof(p), g, p);
        if (m != g) ThrowHelper.ThrowLengthMismatch(nameof(m), g, m);
        if (v != g) ThrowHelper.ThrowLengthMismatch(nameof(v), g, v);
    }

    /// <summary>
    /// Whether the iteration at element <paramref name="i"/> starts a new 64-byte line of a stream holding
    /// <paramref name="perLine"/> elements per line (every iteration when a vector spans a line or more): the kernels
    /// prefetch each stream once per line. The scalar lane does not prefetch.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool AtLine<TV>(int i, int perLine) where TV : struct, ILanes<TV> =>
        TV.Count > 1 && (TV.Count >= perLine || (i & (perLine - 1)) == 0);

    /// <summary>
    /// The optional stages around the core, with this step's scalars broadcast once per loop: clip, scale and coupled
    /// weight decay before it; decoupled weight decay and the learning rate after it.
    /// </summary>
    private readonly struct Stages<TV>(in ChainScalars k) where TV : struct, ILanes<TV>
    {
        private readonly TV _clip = TV.Create(k.Clip), _scale = TV.Create(k.Scale), _wd1 = TV.Create(k.Wd1), _wd2 = TV.Create(k.Wd2), _lr = TV.Create(k.Lr);
        private readonly bool _hasClip = k.HasClip, _hasScale = k.HasScale, _hasWd1 = k.HasWd1, _hasWd2 = k.HasWd2;

        /// <summary><c>u·Clip</c>, <c>u·Scale</c>, <c>u + Wd1·θ</c>, each where present.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Before(TV u, TV p)
        {
            if (_hasClip) u *= _clip;
            if (_hasScale) u *= _scale;
            if (_hasWd1) u += _wd1 * p;
            return u;
        }

        /// <summary><c>u + Wd2·θ</c> where present, then the new <c>θ + u·Lr</c>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV After(TV u, TV p)
        {
            if (_hasWd2) u += _wd2 * p;
            return p + u * _lr;
        }
    }

    internal readonly ref struct AdamLoop(ChainScalars k, ReadOnlySpan<float> g, Span<float> p, Span<float> m, Span<float> v) : ILaneLoop
    {
        private readonly ChainScalars _k = k;
        private readonly ReadOnlySpan<float> _g = g;
        private readonly Span<float> _p = p, _m = m, _v = v;

        public unsafe int Run<TV>(int start) where TV : struct, ILanes<TV>
        {
            ref readonly ChainScalars k = ref _k;
            var stages = new Stages<TV>(in k);
            TV b1 = TV.Create(k.B1), c1 = TV.Create(k.C1), b2 = TV.Create(k.B2), c2 = TV.Create(k.C2);
            TV km = TV.Create(k.Km), kg = TV.Create(k.Kg), sqrtBc2 = TV.Create(k.SqrtBc2), epsRoot = TV.Create(k.EpsRoot), eps = TV.Create(k.Eps);
            int i = start, n = _g.Length;
            // Pinned raw addresses for the prefetches, which reach past the end of the arrays (a managed reference must
            // not point outside its object).
            fixed (float* rg = _g, rp = _p, rm = _m, rv = _v)
            for (; i <= n - TV.Count; i += TV.Count)
            {
                if (AtLine<TV>(i, 16))
                {
                    VectorMath.Prefetch(rg + i + AdamPrefetchDistance);
                    VectorMath.Prefetch(rp + i + AdamPrefetchDistance);
                    VectorMath.Prefetch(rm + i + AdamPrefetchDistance);
                    VectorMath.Prefetch(rv + i + AdamPrefetchDistance);
                }
                var p = TV.Load(ref *rp, (nuint)i);
                var u = stages.Before(TV.Load(ref *rg, (nuint)i), p);
                var m = b1 * TV.Load(ref *rm, (nuint)i) + c1 * u;
                var v = b2 * TV.Load(ref *rv, (nuint)i) + c2 * u * u;
                u = (km * m + kg * u) / (TV.Sqrt(v + epsRoot) / sqrtBc2 + eps);
                m.Store(ref *rm, (nuint)i);
                v.Store(ref *rv, (nuint)i);
                stages.After(u, p).Store(ref *rp, (nuint)i);
            }
            return i;
        }
    }

    internal readonly ref struct AdamBFloat16Loop(ChainScalars k, ReadOnlySpan<float> g, Span<float> p, Span<ushort> m, Span<ushort> v) : ILaneLoop
    {
        private readonly ChainScalars _k = k;
        private readonly ReadOnlySpan<float> _g = g;
        private readonly Span<float> _p = p;
        private readonly Span<ushort> _m = m, _v = v;

        public unsafe int Run<TV>(int start) where TV : struct, ILanes<TV>
        {
            ref readonly ChainScalars k = ref _k;
            var stages = new Stages<TV>(in k);
            TV b1 = TV.Create(k.B1), c1 = TV.Create(k.C1), b2 = TV.Create(k.B2), c2 = TV.Create(k.C2);
            TV km = TV.Create(k.Km), sqrtBc2 = TV.Create(k.SqrtBc2), eps = TV.Create(k.Eps);
            int i = start, n = _g.Length;
            fixed (float* rg = _g, rp = _p)
            fixed (ushort* rm = _m, rv = _v)
            for (; i <= n - TV.Count; i += TV.Count)
            {
                // The Adam kernel's prefetch, as many elements ahead on the bf16 streams (a line holds 32 of them).
                if (AtLine<TV>(i, 16))
                {
                    VectorMath.Prefetch(rg + i + AdamPrefetchDistance);
                    VectorMath.Prefetch(rp + i + AdamPrefetchDistance);
                }
                if (AtLine<TV>(i, 32))
                {
                    VectorMath.Prefetch((float*)(rm + i + AdamPrefetchDistance));
                    VectorMath.Prefetch((float*)(rv + i + AdamPrefetchDistance));
                }
                var p = TV.Load(ref *rp, (nuint)i);
                var u = stages.Before(TV.Load(ref *rg, (nuint)i), p);
                var m = b1 * TV.LoadBFloat16(ref *rm, (nuint)i) + c1 * u;
                var v = b2 * TV.LoadBFloat16(ref *rv, (nuint)i) + c2 * u * u;
                u = km * m / (TV.Sqrt(v) / sqrtBc2 + eps);
                m.StoreBFloat16(ref *rm, (nuint)i);
                v.StoreBFloat16(ref *rv, (nuint)i);
                stages.After(u, p).Store(ref *rp, (nuint)i);
            }
            return i;
        }
    }

    internal readonly ref struct MomentumLoop(ChainScalars k, ReadOnlySpan<float> g, Span<float> p, Span<float> b) : ILaneLoop
    {
        private readonly ChainScalars _k = k;
        private readonly ReadOnlySpan<float> _g = g;
        private readonly Span<float> _p = p, _b = b;

        public int Run<TV>(int start) where TV : struct, ILanes<TV>
        {
            ref readonly ChainScalars k = ref _k;
            var stages = new Stages<TV>(in k);
            ref float rg = ref MemoryMarshal.GetReference(_g);
            ref float rp = ref MemoryMarshal.GetReference(_p);
            ref float rb = ref MemoryMarshal.GetReference(_b);
            TV decay = TV.Create(k.Decay), gain = TV.Create(k.Gain);
            bool first = k.First, nesterov = k.Nesterov;
            int i = start, n = _g.Length;
            for (; i <= n - TV.Count; i += TV.Count)
            {
                var p = TV.Load(ref rp, (nuint)i);
                var u = stages.Before(TV.Load(ref rg, (nuint)i), p);
                var b = first ? u : TV.Load(ref rb, (nuint)i) * decay + gain * u;
                b.Store(ref rb, (nuint)i);
                u = nesterov ? u + decay * b : b;
                stages.After(u, p).Store(ref rp, (nuint)i);
            }
            return i;
        }
    }

    internal readonly ref struct PlainLoop(ChainScalars k, ReadOnlySpan<float> g, Span<float> p) : ILaneLoop
    {
        private readonly ChainScalars _k = k;
        private readonly ReadOnlySpan<float> _g = g;
        private readonly Span<float> _p = p;

        public int Run<TV>(int start) where TV : struct, ILanes<TV>
        {
            ref readonly ChainScalars k = ref _k;
            var stages = new Stages<TV>(in k);
            ref float rg = ref MemoryMarshal.GetReference(_g);
            ref float rp = ref MemoryMarshal.GetReference(_p);
            int i = start, n = _g.Length;
            for (; i <= n - TV.Count; i += TV.Count)
            {
                var p = TV.Load(ref rp, (nuint)i);
                stages.After(stages.Before(TV.Load(ref rg, (nuint)i), p), p).Store(ref rp, (nuint)i);
            }
            return i;
        }
    }
}
