using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Momentum.Kernels;

/// <summary>An element-wise operator on an update <c>u</c> and the parameter value <c>p</c>, with no state.</summary>
internal interface IUpdateOperator
{
    float Invoke(float u, float p);
    Vector256<float> Invoke(Vector256<float> u, Vector256<float> p);
    Vector512<float> Invoke(Vector512<float> u, Vector512<float> p);
}

/// <summary>An element-wise operator with one state tensor <c>a</c>, updated in place.</summary>
internal interface IUpdateOperator1
{
    float Invoke(float u, ref float a, float p);
    Vector256<float> Invoke(Vector256<float> u, ref Vector256<float> a, Vector256<float> p);
    Vector512<float> Invoke(Vector512<float> u, ref Vector512<float> a, Vector512<float> p);
}

/// <summary>An element-wise operator with two state tensors, updated in place.</summary>
internal interface IUpdateOperator2
{
    float Invoke(float u, ref float a, ref float b, float p);
    Vector256<float> Invoke(Vector256<float> u, ref Vector256<float> a, ref Vector256<float> b, Vector256<float> p);
    Vector512<float> Invoke(Vector512<float> u, ref Vector512<float> a, ref Vector512<float> b, Vector512<float> p);
}

/// <summary>An element-wise operator with three state tensors, updated in place.</summary>
internal interface IUpdateOperator3
{
    float Invoke(float u, ref float a, ref float b, ref float c, float p);
    Vector256<float> Invoke(Vector256<float> u, ref Vector256<float> a, ref Vector256<float> b, ref Vector256<float> c, Vector256<float> p);
    Vector512<float> Invoke(Vector512<float> u, ref Vector512<float> a, ref Vector512<float> b, ref Vector512<float> c, Vector512<float> p);
}

/// <summary>
/// The shared SIMD loops: Vector512 where accelerated, then Vector256, then a scalar tail that visits each remaining
/// index once (in-place state is updated exactly once per element). Operators perform the same operations in the same
/// order at every width, so the results are identical on every machine.
/// </summary>
internal static class ElementwiseLoop
{
    public static void Run<TOp>(TOp op, Span<float> u, ReadOnlySpan<float> p) where TOp : struct, IUpdateOperator
    {
        int n = u.Length;
        if (p.Length != n) ThrowHelper.ThrowLengthMismatch(nameof(p), n, p.Length);
        ref float ru = ref MemoryMarshal.GetReference(u);
        ref float rp = ref MemoryMarshal.GetReference(p);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - 16; i += 16)
                Vector512.StoreUnsafe(op.Invoke(Vector512.LoadUnsafe(ref ru, (nuint)i), Vector512.LoadUnsafe(ref rp, (nuint)i)), ref ru, (nuint)i);
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8)
                Vector256.StoreUnsafe(op.Invoke(Vector256.LoadUnsafe(ref ru, (nuint)i), Vector256.LoadUnsafe(ref rp, (nuint)i)), ref ru, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref ru, i) = op.Invoke(Unsafe.Add(ref ru, i), Unsafe.Add(ref rp, i));
    }

    public static void Run<TOp>(TOp op, Span<float> u, Span<float> a, ReadOnlySpan<float> p) where TOp : struct, IUpdateOperator1
    {
        int n = u.Length;
        if (a.Length != n) ThrowHelper.ThrowLengthMismatch(nameof(a), n, a.Length);
        if (p.Length != n) ThrowHelper.ThrowLengthMismatch(nameof(p), n, p.Length);
        ref float ru = ref MemoryMarshal.GetReference(u);
        ref float ra = ref MemoryMarshal.GetReference(a);
        ref float rp = ref MemoryMarshal.GetReference(p);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - 16; i += 16)
            {
                var va = Vector512.LoadUnsafe(ref ra, (nuint)i);
                var r = op.Invoke(Vector512.LoadUnsafe(ref ru, (nuint)i), ref va, Vector512.LoadUnsafe(ref rp, (nuint)i));
                va.StoreUnsafe(ref ra, (nuint)i);
                r.StoreUnsafe(ref ru, (nuint)i);
            }
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8)
            {
                var va = Vector256.LoadUnsafe(ref ra, (nuint)i);
                var r = op.Invoke(Vector256.LoadUnsafe(ref ru, (nuint)i), ref va, Vector256.LoadUnsafe(ref rp, (nuint)i));
                va.StoreUnsafe(ref ra, (nuint)i);
                r.StoreUnsafe(ref ru, (nuint)i);
            }
        for (; i < n; i++) Unsafe.Add(ref ru, i) = op.Invoke(Unsafe.Add(ref ru, i), ref Unsafe.Add(ref ra, i), Unsafe.Add(ref rp, i));
    }

    public static void Run<TOp>(TOp op, Span<float> u, Span<float> a, Span<float> b, ReadOnlySpan<float> p) where TOp : struct, IUpdateOperator2
    {
        int n = u.Length;
        if (a.Length != n) ThrowHelper.ThrowLengthMismatch(nameof(a), n, a.Length);
        if (b.Length != n) ThrowHelper.ThrowLengthMismatch(nameof(b), n, b.Length);
        if (p.Length != n) ThrowHelper.ThrowLengthMismatch(nameof(p), n, p.Length);
        ref float ru = ref MemoryMarshal.GetReference(u);
        ref float ra = ref MemoryMarshal.GetReference(a);
        ref float rb = ref MemoryMarshal.GetReference(b);
        ref float rp = ref MemoryMarshal.GetReference(p);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - 16; i += 16)
            {
                var va = Vector512.LoadUnsafe(ref ra, (nuint)i);
                var vb = Vector512.LoadUnsafe(ref rb, (nuint)i);
                var r = op.Invoke(Vector512.LoadUnsafe(ref ru, (nuint)i), ref va, ref vb, Vector512.LoadUnsafe(ref rp, (nuint)i));
                va.StoreUnsafe(ref ra, (nuint)i);
                vb.StoreUnsafe(ref rb, (nuint)i);
                r.StoreUnsafe(ref ru, (nuint)i);
            }
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8)
            {
                var va = Vector256.LoadUnsafe(ref ra, (nuint)i);
                var vb = Vector256.LoadUnsafe(ref rb, (nuint)i);
                var r = op.Invoke(Vector256.LoadUnsafe(ref ru, (nuint)i), ref va, ref vb, Vector256.LoadUnsafe(ref rp, (nuint)i));
                va.StoreUnsafe(ref ra, (nuint)i);
                vb.StoreUnsafe(ref rb, (nuint)i);
                r.StoreUnsafe(ref ru, (nuint)i);
            }
        for (; i < n; i++)
            Unsafe.Add(ref ru, i) = op.Invoke(Unsafe.Add(ref ru, i), ref Unsafe.Add(ref ra, i), ref Unsafe.Add(ref rb, i), Unsafe.Add(ref rp, i));
    }

    public static void Run<TOp>(TOp op, Span<float> u, Span<float> a, Span<float> b, Span<float> c, ReadOnlySpan<float> p) where TOp : struct, IUpdateOperator3
    {
        int n = u.Length;
        if (a.Length != n) ThrowHelper.ThrowLengthMismatch(nameof(a), n, a.Length);
        if (b.Length != n) ThrowHelper.ThrowLengthMismatch(nameof(b), n, b.Length);
        if (c.Length != n) ThrowHelper.ThrowLengthMismatch(nameof(c), n, c.Length);
        if (p.Length != n) ThrowHelper.ThrowLengthMismatch(nameof(p), n, p.Length);
        ref float ru = ref MemoryMarshal.GetReference(u);
        ref float ra = ref MemoryMarshal.GetReference(a);
        ref float rb = ref MemoryMarshal.GetReference(b);
        ref float rc = ref MemoryMarshal.GetReference(c);
        ref float rp = ref MemoryMarshal.GetReference(p);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - 16; i += 16)
            {
                var va = Vector512.LoadUnsafe(ref ra, (nuint)i);
                var vb = Vector512.LoadUnsafe(ref rb, (nuint)i);
                var vc = Vector512.LoadUnsafe(ref rc, (nuint)i);
                var r = op.Invoke(Vector512.LoadUnsafe(ref ru, (nuint)i), ref va, ref vb, ref vc, Vector512.LoadUnsafe(ref rp, (nuint)i));
                va.StoreUnsafe(ref ra, (nuint)i);
                vb.StoreUnsafe(ref rb, (nuint)i);
                vc.StoreUnsafe(ref rc, (nuint)i);
                r.StoreUnsafe(ref ru, (nuint)i);
            }
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8)
            {
                var va = Vector256.LoadUnsafe(ref ra, (nuint)i);
                var vb = Vector256.LoadUnsafe(ref rb, (nuint)i);
                var vc = Vector256.LoadUnsafe(ref rc, (nuint)i);
                var r = op.Invoke(Vector256.LoadUnsafe(ref ru, (nuint)i), ref va, ref vb, ref vc, Vector256.LoadUnsafe(ref rp, (nuint)i));
                va.StoreUnsafe(ref ra, (nuint)i);
                vb.StoreUnsafe(ref rb, (nuint)i);
                vc.StoreUnsafe(ref rc, (nuint)i);
                r.StoreUnsafe(ref ru, (nuint)i);
            }
        for (; i < n; i++)
            Unsafe.Add(ref ru, i) = op.Invoke(Unsafe.Add(ref ru, i), ref Unsafe.Add(ref ra, i), ref Unsafe.Add(ref rb, i), ref Unsafe.Add(ref rc, i), Unsafe.Add(ref rp, i));
    }
}
