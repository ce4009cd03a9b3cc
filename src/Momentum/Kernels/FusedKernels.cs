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
/// bit-identical to the generic block-by-block path). Vector512 where accelerated, then Vector256, then a scalar tail.
/// </summary>
internal static class FusedKernels
{
    private const int AdamPrefetchDistance = 256; // elements

    /// <summary>Adam or AdamW (any of the optional pre- and post-stages): 28 B/element.</summary>
    public static unsafe void Adam(in ChainScalars k, ReadOnlySpan<float> g, Span<float> p, Span<float> m, Span<float> v)
    {
        int n = g.Length;
        if (p.Length != n) ThrowHelper.ThrowLengthMismatch(nameof(p), n, p.Length);
        if (m.Length != n) ThrowHelper.ThrowLengthMismatch(nameof(m), n, m.Length);
        if (v.Length != n) ThrowHelper.ThrowLengthMismatch(nameof(v), n, v.Length);
        ref float rg = ref MemoryMarshal.GetReference(g);
        ref float rp = ref MemoryMarshal.GetReference(p);
        ref float rm = ref MemoryMarshal.GetReference(m);
        ref float rv = ref MemoryMarshal.GetReference(v);
        bool hasClip = k.HasClip, hasScale = k.HasScale, hasWd1 = k.HasWd1, hasWd2 = k.HasWd2;
        int i = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            Vector512<float> clip = Vector512.Create(k.Clip), scale = Vector512.Create(k.Scale), wd1 = Vector512.Create(k.Wd1), wd2 = Vector512.Create(k.Wd2);
            Vector512<float> b1 = Vector512.Create(k.B1), c1 = Vector512.Create(k.C1), b2 = Vector512.Create(k.B2), c2 = Vector512.Create(k.C2);
            Vector512<float> km = Vector512.Create(k.Km), kg = Vector512.Create(k.Kg), sqrtBc2 = Vector512.Create(k.SqrtBc2);
            Vector512<float> epsRoot = Vector512.Create(k.EpsRoot), eps = Vector512.Create(k.Eps), lr = Vector512.Create(k.Lr);
            // Pinned raw addresses for the prefetches, which reach past the end of the arrays (a prefetch never faults;
            // a managed reference must not point outside its object).
            fixed (float* ag = g, ap = p, am = m, av = v)
            for (; i <= n - 16; i += 16)
            {
                // 1 KiB ahead on each of the four streams, past the end of a small tensor into the next one's data:
                // Adam 5-12 % faster on the 2-core VM, one tensor or many (docs/PERFORMANCE.md).
                VectorMath.Prefetch(ag + i + AdamPrefetchDistance);
                VectorMath.Prefetch(ap + i + AdamPrefetchDistance);
                VectorMath.Prefetch(am + i + AdamPrefetchDistance);
                VectorMath.Prefetch(av + i + AdamPrefetchDistance);
                var u = Vector512.LoadUnsafe(ref rg, (nuint)i);
                var vp = Vector512.LoadUnsafe(ref rp, (nuint)i);
                if (hasClip) u *= clip;
                if (hasScale) u *= scale;
                if (hasWd1) u += wd1 * vp;
                var vm = b1 * Vector512.LoadUnsafe(ref rm, (nuint)i) + c1 * u;
                var vv = b2 * Vector512.LoadUnsafe(ref rv, (nuint)i) + c2 * u * u;
                u = (km * vm + kg * u) / (Vector512.Sqrt(vv + epsRoot) / sqrtBc2 + eps);
                if (hasWd2) u += wd2 * vp;
                vm.StoreUnsafe(ref rm, (nuint)i);
                vv.StoreUnsafe(ref rv, (nuint)i);
                (vp + u * lr).StoreUnsafe(ref rp, (nuint)i);
            }
        }
        if (Vector256.IsHardwareAccelerated && n - i >= 8)
        {
            Vector256<float> clip = Vector256.Create(k.Clip), scale = Vector256.Create(k.Scale), wd1 = Vector256.Create(k.Wd1), wd2 = Vector256.Create(k.Wd2);
            Vector256<float> b1 = Vector256.Create(k.B1), c1 = Vector256.Create(k.C1), b2 = Vector256.Create(k.B2), c2 = Vector256.Create(k.C2);
            Vector256<float> km = Vector256.Create(k.Km), kg = Vector256.Create(k.Kg), sqrtBc2 = Vector256.Create(k.SqrtBc2);
            Vector256<float> epsRoot = Vector256.Create(k.EpsRoot), eps = Vector256.Create(k.Eps), lr = Vector256.Create(k.Lr);
            for (; i <= n - 8; i += 8)
            {
                var u = Vector256.LoadUnsafe(ref rg, (nuint)i);
                var vp = Vector256.LoadUnsafe(ref rp, (nuint)i);
                if (hasClip) u *= clip;
                if (hasScale) u *= scale;
                if (hasWd1) u += wd1 * vp;
                var vm = b1 * Vector256.LoadUnsafe(ref rm, (nuint)i) + c1 * u;
                var vv = b2 * Vector256.LoadUnsafe(ref rv, (nuint)i) + c2 * u * u;
                u = (km * vm + kg * u) / (Vector256.Sqrt(vv + epsRoot) / sqrtBc2 + eps);
                if (hasWd2) u += wd2 * vp;
                vm.StoreUnsafe(ref rm, (nuint)i);
                vv.StoreUnsafe(ref rv, (nuint)i);
                (vp + u * lr).StoreUnsafe(ref rp, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float u = Unsafe.Add(ref rg, i);
            float sp = Unsafe.Add(ref rp, i);
            if (hasClip) u *= k.Clip;
            if (hasScale) u *= k.Scale;
            if (hasWd1) u += k.Wd1 * sp;
            ref float sm = ref Unsafe.Add(ref rm, i);
            ref float sv = ref Unsafe.Add(ref rv, i);
            sm = k.B1 * sm + k.C1 * u;
            sv = k.B2 * sv + k.C2 * u * u;
            u = (k.Km * sm + k.Kg * u) / (MathF.Sqrt(sv + k.EpsRoot) / k.SqrtBc2 + k.Eps);
            if (hasWd2) u += k.Wd2 * sp;
            Unsafe.Add(ref rp, i) = sp + u * k.Lr;
        }
    }

    /// <summary>
    /// Adam or AdamW with bfloat16 moments (<c>scale_by_adam_bf16</c>'s math: m and v widened, updated in float32, then
    /// rounded back; <c>u = Km·m / (√v/SqrtBc2 + Eps)</c>), with the same optional pre- and post-stages: 20 B/element.
    /// </summary>
    public static unsafe void AdamBFloat16(in ChainScalars k, ReadOnlySpan<float> g, Span<float> p, Span<ushort> m, Span<ushort> v)
    {
        int n = g.Length;
        if (p.Length != n) ThrowHelper.ThrowLengthMismatch(nameof(p), n, p.Length);
        if (m.Length != n) ThrowHelper.ThrowLengthMismatch(nameof(m), n, m.Length);
        if (v.Length != n) ThrowHelper.ThrowLengthMismatch(nameof(v), n, v.Length);
        ref float rg = ref MemoryMarshal.GetReference(g);
        ref float rp = ref MemoryMarshal.GetReference(p);
        ref ushort rm = ref MemoryMarshal.GetReference(m);
        ref ushort rv = ref MemoryMarshal.GetReference(v);
        bool hasClip = k.HasClip, hasScale = k.HasScale, hasWd1 = k.HasWd1, hasWd2 = k.HasWd2;
        int i = 0;
        if (Vector512.IsHardwareAccelerated && n >= 32)
        {
            Vector512<float> clip = Vector512.Create(k.Clip), scale = Vector512.Create(k.Scale), wd1 = Vector512.Create(k.Wd1), wd2 = Vector512.Create(k.Wd2);
            Vector512<float> b1 = Vector512.Create(k.B1), c1 = Vector512.Create(k.C1), b2 = Vector512.Create(k.B2), c2 = Vector512.Create(k.C2);
            Vector512<float> km = Vector512.Create(k.Km), sqrtBc2 = Vector512.Create(k.SqrtBc2), eps = Vector512.Create(k.Eps), lr = Vector512.Create(k.Lr);
            fixed (float* ag = g, ap = p)
            fixed (ushort* am = m, av = v)
            for (; i <= n - 32; i += 32)
            {
                // The Adam kernel's prefetch, 1 KiB ahead on the float streams (and as many elements on the bf16 ones).
                VectorMath.Prefetch(ag + i + AdamPrefetchDistance);
                VectorMath.Prefetch(ag + i + AdamPrefetchDistance + 16);
                VectorMath.Prefetch(ap + i + AdamPrefetchDistance);
                VectorMath.Prefetch(ap + i + AdamPrefetchDistance + 16);
                VectorMath.Prefetch((float*)(am + i + AdamPrefetchDistance));
                VectorMath.Prefetch((float*)(av + i + AdamPrefetchDistance));
                var (m0, m1) = BFloat16.Widen(Vector512.LoadUnsafe(ref rm, (nuint)i));
                var (v0, v1) = BFloat16.Widen(Vector512.LoadUnsafe(ref rv, (nuint)i));
                var u0 = Vector512.LoadUnsafe(ref rg, (nuint)i);
                var u1 = Vector512.LoadUnsafe(ref rg, (nuint)(i + 16));
                var p0 = Vector512.LoadUnsafe(ref rp, (nuint)i);
                var p1 = Vector512.LoadUnsafe(ref rp, (nuint)(i + 16));
                if (hasClip) (u0, u1) = (u0 * clip, u1 * clip);
                if (hasScale) (u0, u1) = (u0 * scale, u1 * scale);
                if (hasWd1) (u0, u1) = (u0 + wd1 * p0, u1 + wd1 * p1);
                m0 = b1 * m0 + c1 * u0;
                m1 = b1 * m1 + c1 * u1;
                v0 = b2 * v0 + c2 * u0 * u0;
                v1 = b2 * v1 + c2 * u1 * u1;
                u0 = km * m0 / (Vector512.Sqrt(v0) / sqrtBc2 + eps);
                u1 = km * m1 / (Vector512.Sqrt(v1) / sqrtBc2 + eps);
                if (hasWd2) (u0, u1) = (u0 + wd2 * p0, u1 + wd2 * p1);
                BFloat16.Narrow(m0, m1).StoreUnsafe(ref rm, (nuint)i);
                BFloat16.Narrow(v0, v1).StoreUnsafe(ref rv, (nuint)i);
                (p0 + u0 * lr).StoreUnsafe(ref rp, (nuint)i);
                (p1 + u1 * lr).StoreUnsafe(ref rp, (nuint)(i + 16));
            }
        }
        if (Vector256.IsHardwareAccelerated && n - i >= 16)
        {
            Vector256<float> clip = Vector256.Create(k.Clip), scale = Vector256.Create(k.Scale), wd1 = Vector256.Create(k.Wd1), wd2 = Vector256.Create(k.Wd2);
            Vector256<float> b1 = Vector256.Create(k.B1), c1 = Vector256.Create(k.C1), b2 = Vector256.Create(k.B2), c2 = Vector256.Create(k.C2);
            Vector256<float> km = Vector256.Create(k.Km), sqrtBc2 = Vector256.Create(k.SqrtBc2), eps = Vector256.Create(k.Eps), lr = Vector256.Create(k.Lr);
            for (; i <= n - 16; i += 16)
            {
                var (m0, m1) = BFloat16.Widen(Vector256.LoadUnsafe(ref rm, (nuint)i));
                var (v0, v1) = BFloat16.Widen(Vector256.LoadUnsafe(ref rv, (nuint)i));
                var u0 = Vector256.LoadUnsafe(ref rg, (nuint)i);
                var u1 = Vector256.LoadUnsafe(ref rg, (nuint)(i + 8));
                var p0 = Vector256.LoadUnsafe(ref rp, (nuint)i);
                var p1 = Vector256.LoadUnsafe(ref rp, (nuint)(i + 8));
                if (hasClip) (u0, u1) = (u0 * clip, u1 * clip);
                if (hasScale) (u0, u1) = (u0 * scale, u1 * scale);
                if (hasWd1) (u0, u1) = (u0 + wd1 * p0, u1 + wd1 * p1);
                m0 = b1 * m0 + c1 * u0;
                m1 = b1 * m1 + c1 * u1;
                v0 = b2 * v0 + c2 * u0 * u0;
                v1 = b2 * v1 + c2 * u1 * u1;
                u0 = km * m0 / (Vector256.Sqrt(v0) / sqrtBc2 + eps);
                u1 = km * m1 / (Vector256.Sqrt(v1) / sqrtBc2 + eps);
                if (hasWd2) (u0, u1) = (u0 + wd2 * p0, u1 + wd2 * p1);
                BFloat16.Narrow(m0, m1).StoreUnsafe(ref rm, (nuint)i);
                BFloat16.Narrow(v0, v1).StoreUnsafe(ref rv, (nuint)i);
                (p0 + u0 * lr).StoreUnsafe(ref rp, (nuint)i);
                (p1 + u1 * lr).StoreUnsafe(ref rp, (nuint)(i + 8));
            }
        }
        for (; i < n; i++)
        {
            float u = Unsafe.Add(ref rg, i);
            float sp = Unsafe.Add(ref rp, i);
            if (hasClip) u *= k.Clip;
            if (hasScale) u *= k.Scale;
            if (hasWd1) u += k.Wd1 * sp;
            ref ushort sm = ref Unsafe.Add(ref rm, i);
            ref ushort sv = ref Unsafe.Add(ref rv, i);
            float mi = k.B1 * BFloat16.ToSingle(sm) + k.C1 * u;
            float vi = k.B2 * BFloat16.ToSingle(sv) + k.C2 * u * u;
            u = k.Km * mi / (MathF.Sqrt(vi) / k.SqrtBc2 + k.Eps);
            if (hasWd2) u += k.Wd2 * sp;
            sm = BFloat16.FromSingle(mi);
            sv = BFloat16.FromSingle(vi);
            Unsafe.Add(ref rp, i) = sp + u * k.Lr;
        }
    }

    /// <summary>SGD with momentum (PyTorch's buffer semantics, optional Nesterov and coupled decay): 20 B/element.</summary>
    public static void Momentum(in ChainScalars k, ReadOnlySpan<float> g, Span<float> p, Span<float> b)
    {
        int n = g.Length;
        if (p.Length != n) ThrowHelper.ThrowLengthMismatch(nameof(p), n, p.Length);
        if (b.Length != n) ThrowHelper.ThrowLengthMismatch(nameof(b), n, b.Length);
        ref float rg = ref MemoryMarshal.GetReference(g);
        ref float rp = ref MemoryMarshal.GetReference(p);
        ref float rb = ref MemoryMarshal.GetReference(b);
        bool hasClip = k.HasClip, hasScale = k.HasScale, hasWd1 = k.HasWd1, hasWd2 = k.HasWd2, first = k.First, nesterov = k.Nesterov;
        int i = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            Vector512<float> clip = Vector512.Create(k.Clip), scale = Vector512.Create(k.Scale), wd1 = Vector512.Create(k.Wd1), wd2 = Vector512.Create(k.Wd2);
            Vector512<float> decay = Vector512.Create(k.Decay), gain = Vector512.Create(k.Gain), lr = Vector512.Create(k.Lr);
            for (; i <= n - 16; i += 16)
            {
                var u = Vector512.LoadUnsafe(ref rg, (nuint)i);
                var vp = Vector512.LoadUnsafe(ref rp, (nuint)i);
                if (hasClip) u *= clip;
                if (hasScale) u *= scale;
                if (hasWd1) u += wd1 * vp;
                var vb = first ? u : Vector512.LoadUnsafe(ref rb, (nuint)i) * decay + gain * u;
                vb.StoreUnsafe(ref rb, (nuint)i);
                u = nesterov ? u + decay * vb : vb;
                if (hasWd2) u += wd2 * vp;
                (vp + u * lr).StoreUnsafe(ref rp, (nuint)i);
            }
        }
        if (Vector256.IsHardwareAccelerated && n - i >= 8)
        {
            Vector256<float> clip = Vector256.Create(k.Clip), scale = Vector256.Create(k.Scale), wd1 = Vector256.Create(k.Wd1), wd2 = Vector256.Create(k.Wd2);
            Vector256<float> decay = Vector256.Create(k.Decay), gain = Vector256.Create(k.Gain), lr = Vector256.Create(k.Lr);
            for (; i <= n - 8; i += 8)
            {
                var u = Vector256.LoadUnsafe(ref rg, (nuint)i);
                var vp = Vector256.LoadUnsafe(ref rp, (nuint)i);
                if (hasClip) u *= clip;
                if (hasScale) u *= scale;
                if (hasWd1) u += wd1 * vp;
                var vb = first ? u : Vector256.LoadUnsafe(ref rb, (nuint)i) * decay + gain * u;
                vb.StoreUnsafe(ref rb, (nuint)i);
                u = nesterov ? u + decay * vb : vb;
                if (hasWd2) u += wd2 * vp;
                (vp + u * lr).StoreUnsafe(ref rp, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float u = Unsafe.Add(ref rg, i);
            float sp = Unsafe.Add(ref rp, i);
            if (hasClip) u *= k.Clip;
            if (hasScale) u *= k.Scale;
            if (hasWd1) u += k.Wd1 * sp;
            ref float sb = ref Unsafe.Add(ref rb, i);
            sb = first ? u : sb * k.Decay + k.Gain * u;
            u = nesterov ? u + k.Decay * sb : sb;
            if (hasWd2) u += k.Wd2 * sp;
            Unsafe.Add(ref rp, i) = sp + u * k.Lr;
        }
    }

    /// <summary>Plain SGD (optional clip, scale and coupled decay): 12 B/element.</summary>
    public static void Plain(in ChainScalars k, ReadOnlySpan<float> g, Span<float> p)
    {
        int n = g.Length;
        if (p.Length != n) ThrowHelper.ThrowLengthMismatch(nameof(p), n, p.Length);
        ref float rg = ref MemoryMarshal.GetReference(g);
        ref float rp = ref MemoryMarshal.GetReference(p);
        bool hasClip = k.HasClip, hasScale = k.HasScale, hasWd1 = k.HasWd1, hasWd2 = k.HasWd2;
        int i = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            Vector512<float> clip = Vector512.Create(k.Clip), scale = Vector512.Create(k.Scale), wd1 = Vector512.Create(k.Wd1), wd2 = Vector512.Create(k.Wd2);
            Vector512<float> lr = Vector512.Create(k.Lr);
            for (; i <= n - 16; i += 16)
            {
                var u = Vector512.LoadUnsafe(ref rg, (nuint)i);
                var vp = Vector512.LoadUnsafe(ref rp, (nuint)i);
                if (hasClip) u *= clip;
                if (hasScale) u *= scale;
                if (hasWd1) u += wd1 * vp;
                if (hasWd2) u += wd2 * vp;
                (vp + u * lr).StoreUnsafe(ref rp, (nuint)i);
            }
        }
        if (Vector256.IsHardwareAccelerated && n - i >= 8)
        {
            Vector256<float> clip = Vector256.Create(k.Clip), scale = Vector256.Create(k.Scale), wd1 = Vector256.Create(k.Wd1), wd2 = Vector256.Create(k.Wd2);
            Vector256<float> lr = Vector256.Create(k.Lr);
            for (; i <= n - 8; i += 8)
            {
                var u = Vector256.LoadUnsafe(ref rg, (nuint)i);
                var vp = Vector256.LoadUnsafe(ref rp, (nuint)i);
                if (hasClip) u *= clip;
                if (hasScale) u *= scale;
                if (hasWd1) u += wd1 * vp;
                if (hasWd2) u += wd2 * vp;
                (vp + u * lr).StoreUnsafe(ref rp, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float u = Unsafe.Add(ref rg, i);
            float sp = Unsafe.Add(ref rp, i);
            if (hasClip) u *= k.Clip;
            if (hasScale) u *= k.Scale;
            if (hasWd1) u += k.Wd1 * sp;
            if (hasWd2) u += k.Wd2 * sp;
            Unsafe.Add(ref rp, i) = sp + u * k.Lr;
        }
    }
}
