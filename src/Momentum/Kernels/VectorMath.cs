using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Momentum.Kernels;

/// <summary>
/// Small vectorized loops shared by the transformations: the widest vector first (Vector512, then Vector256), then a
/// scalar tail that performs the same operations in the same order, so every path gives identical bits. No FMA.
/// </summary>
internal static class VectorMath
{
    /// <summary>How far ahead the read-only passes ask for data, in elements (4 KiB).</summary>
    private const int PrefetchDistance = 1024;

    /// <summary>
    /// Hints the processor to start loading the cache line holding <paramref name="element"/> (x86; elsewhere nothing).
    /// One core streaming a single read-only array keeps too few loads in flight to use the memory bandwidth; asking
    /// for the data a few KiB ahead raises that (docs/PERFORMANCE.md). A prefetch never faults, so the address may lie
    /// past the end of the (pinned) array: the passes prefetch through to their span's end, because a work item's next
    /// segment usually follows it in memory.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Prefetch(float* element)
    {
        if (Sse.IsSupported) Sse.Prefetch0(element);
    }

    /// <summary><c>x[i] *= s</c>.</summary>
    public static void Scale(Span<float> x, float s)
    {
        ref float r = ref MemoryMarshal.GetReference(x);
        int i = 0, n = x.Length;
        if (Vector512.IsHardwareAccelerated)
        {
            var vs = Vector512.Create(s);
            for (; i <= n - 16; i += 16) Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref r, (nuint)i) * vs, ref r, (nuint)i);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var vs = Vector256.Create(s);
            for (; i <= n - 8; i += 8) Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref r, (nuint)i) * vs, ref r, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref r, i) *= s;
    }

    /// <summary><c>x[i] += s·y[i]</c> (the product rounded, then the sum).</summary>
    public static void AddScaled(Span<float> x, ReadOnlySpan<float> y, float s)
    {
        if (y.Length != x.Length) ThrowHelper.ThrowLengthMismatch(nameof(y), x.Length, y.Length);
        ref float rx = ref MemoryMarshal.GetReference(x);
        ref float ry = ref MemoryMarshal.GetReference(y);
        int i = 0, n = x.Length;
        if (Vector512.IsHardwareAccelerated)
        {
            var vs = Vector512.Create(s);
            for (; i <= n - 16; i += 16)
                Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref rx, (nuint)i) + vs * Vector512.LoadUnsafe(ref ry, (nuint)i), ref rx, (nuint)i);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var vs = Vector256.Create(s);
            for (; i <= n - 8; i += 8)
                Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref rx, (nuint)i) + vs * Vector256.LoadUnsafe(ref ry, (nuint)i), ref rx, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref rx, i) += s * Unsafe.Add(ref ry, i);
    }

    /// <summary><c>x[i] += y[i]</c>.</summary>
    public static void Add(Span<float> x, ReadOnlySpan<float> y)
    {
        if (y.Length != x.Length) ThrowHelper.ThrowLengthMismatch(nameof(y), x.Length, y.Length);
        ref float rx = ref MemoryMarshal.GetReference(x);
        ref float ry = ref MemoryMarshal.GetReference(y);
        int i = 0, n = x.Length;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - 16; i += 16)
                Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref rx, (nuint)i) + Vector512.LoadUnsafe(ref ry, (nuint)i), ref rx, (nuint)i);
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8)
                Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref rx, (nuint)i) + Vector256.LoadUnsafe(ref ry, (nuint)i), ref rx, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref rx, i) += Unsafe.Add(ref ry, i);
    }

    /// <summary><c>x[i] = clamp(x[i], lo, hi)</c>; NaN stays NaN.</summary>
    public static void Clamp(Span<float> x, float lo, float hi)
    {
        for (int i = 0; i < x.Length; i++)
        {
            float v = x[i];
            x[i] = v < lo ? lo : v > hi ? hi : v;
        }
    }

    /// <summary>The number of double lanes in <see cref="SumOfSquares"/>'s fixed summation pattern.</summary>
    internal const int SumLanes = 32;

    /// <summary>
    /// The sum of squares in double precision (each square is exact), accumulated in a fixed pattern whatever the
    /// machine's vector width, so the result is the same on every machine: lane k of 32 adds the squares of elements
    /// 32j + k in order of j; then the lanes are added in order 0..31, then the elements past the last full group of 32.
    /// Thirty-two independent running sums keep the loop limited by memory rather than by the latency of the adds
    /// (eight lanes held one core to about 33 GB/s even in cache; docs/PERFORMANCE.md).
    /// </summary>
    public static unsafe double SumOfSquares(ReadOnlySpan<float> x)
    {
        ref float r = ref MemoryMarshal.GetReference(x);
        int i = 0, n = x.Length;
        Span<double> lanes = stackalloc double[SumLanes];
        ref double lane = ref MemoryMarshal.GetReference(lanes);
        if (Vector512.IsHardwareAccelerated)
        {
            // Accumulator k holds lanes 8k..8k+7.
            var a0 = Vector512<double>.Zero;
            var a1 = Vector512<double>.Zero;
            var a2 = Vector512<double>.Zero;
            var a3 = Vector512<double>.Zero;
            fixed (float* px = x)
            for (; i <= n - SumLanes; i += SumLanes)
            {
                Prefetch(px + i + PrefetchDistance);
                Prefetch(px + i + PrefetchDistance + 16);
                var (l0, h0) = Vector512.Widen(Vector512.LoadUnsafe(ref r, (nuint)i));
                var (l1, h1) = Vector512.Widen(Vector512.LoadUnsafe(ref r, (nuint)(i + 16)));
                a0 += l0 * l0;
                a1 += h0 * h0;
                a2 += l1 * l1;
                a3 += h1 * h1;
            }
            a0.StoreUnsafe(ref lane, 0);
            a1.StoreUnsafe(ref lane, 8);
            a2.StoreUnsafe(ref lane, 16);
            a3.StoreUnsafe(ref lane, 24);
        }
        else
        {
            // Accumulator k holds lanes 4k..4k+3 (Vector256 is emulated where the hardware lacks it: same bits).
            var a0 = Vector256<double>.Zero;
            var a1 = Vector256<double>.Zero;
            var a2 = Vector256<double>.Zero;
            var a3 = Vector256<double>.Zero;
            var a4 = Vector256<double>.Zero;
            var a5 = Vector256<double>.Zero;
            var a6 = Vector256<double>.Zero;
            var a7 = Vector256<double>.Zero;
            fixed (float* px = x)
            for (; i <= n - SumLanes; i += SumLanes)
            {
                Prefetch(px + i + PrefetchDistance);
                Prefetch(px + i + PrefetchDistance + 16);
                var (l0, h0) = Vector256.Widen(Vector256.LoadUnsafe(ref r, (nuint)i));
                var (l1, h1) = Vector256.Widen(Vector256.LoadUnsafe(ref r, (nuint)(i + 8)));
                var (l2, h2) = Vector256.Widen(Vector256.LoadUnsafe(ref r, (nuint)(i + 16)));
                var (l3, h3) = Vector256.Widen(Vector256.LoadUnsafe(ref r, (nuint)(i + 24)));
                a0 += l0 * l0;
                a1 += h0 * h0;
                a2 += l1 * l1;
                a3 += h1 * h1;
                a4 += l2 * l2;
                a5 += h2 * h2;
                a6 += l3 * l3;
                a7 += h3 * h3;
            }
            a0.StoreUnsafe(ref lane, 0);
            a1.StoreUnsafe(ref lane, 4);
            a2.StoreUnsafe(ref lane, 8);
            a3.StoreUnsafe(ref lane, 12);
            a4.StoreUnsafe(ref lane, 16);
            a5.StoreUnsafe(ref lane, 20);
            a6.StoreUnsafe(ref lane, 24);
            a7.StoreUnsafe(ref lane, 28);
        }
        double sum = 0;
        for (int k = 0; k < SumLanes; k++) sum += lanes[k];
        for (; i < n; i++)
        {
            double d = Unsafe.Add(ref r, i);
            sum += d * d;
        }
        return sum;
    }

    /// <summary>Returns the index of the first element that is NaN or infinite, or -1.</summary>
    public static unsafe int IndexOfNonFinite(ReadOnlySpan<float> x)
    {
        ref float r = ref MemoryMarshal.GetReference(x);
        int i = 0, n = x.Length;
        // x − x is 0 for finite x and NaN for NaN or ±∞. Four vectors are tested at once (one branch per 256 bytes);
        // when a group fails, the narrower loops below find the element.
        fixed (float* px = x)
        {
            if (Vector512.IsHardwareAccelerated)
            {
                for (; i <= n - 64; i += 64)
                {
                    for (int line = 0; line < 64; line += 16) Prefetch(px + i + PrefetchDistance + line);
                    var a = Vector512.LoadUnsafe(ref r, (nuint)i);
                    var b = Vector512.LoadUnsafe(ref r, (nuint)(i + 16));
                    var c = Vector512.LoadUnsafe(ref r, (nuint)(i + 32));
                    var d = Vector512.LoadUnsafe(ref r, (nuint)(i + 48));
                    if (!Vector512.EqualsAll((a - a + (b - b)) + (c - c + (d - d)), Vector512<float>.Zero)) break;
                }
            }
            if (Vector256.IsHardwareAccelerated)
            {
                for (; i <= n - 32; i += 32)
                {
                    Prefetch(px + i + PrefetchDistance);
                    Prefetch(px + i + PrefetchDistance + 16);
                    var a = Vector256.LoadUnsafe(ref r, (nuint)i);
                    var b = Vector256.LoadUnsafe(ref r, (nuint)(i + 8));
                    var c = Vector256.LoadUnsafe(ref r, (nuint)(i + 16));
                    var d = Vector256.LoadUnsafe(ref r, (nuint)(i + 24));
                    if (!Vector256.EqualsAll((a - a + (b - b)) + (c - c + (d - d)), Vector256<float>.Zero)) break;
                }
                for (; i <= n - 8; i += 8)
                {
                    var v = Vector256.LoadUnsafe(ref r, (nuint)i);
                    if (!Vector256.EqualsAll(v - v, Vector256<float>.Zero)) break;
                }
            }
        }
        for (; i < n; i++)
            if (!float.IsFinite(Unsafe.Add(ref r, i))) return i;
        return -1;
    }
}
