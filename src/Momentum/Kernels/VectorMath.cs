using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Momentum.Kernels;

/// <summary>
/// Small vectorized loops shared by the transformations and the engine, each written once over lanes
/// (<see cref="Lanes"/>), so every path gives identical bits. No FMA.
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
    public static void Scale(Span<float> x, float s) => ElementwiseLoop.Run(new ScaleOperator(s), x, x);

    /// <summary><c>x[i] += s·y[i]</c> (the product rounded, then the sum).</summary>
    public static void AddScaled(Span<float> x, ReadOnlySpan<float> y, float s)
    {
        if (y.Length != x.Length) ThrowHelper.ThrowLengthMismatch(nameof(y), x.Length, y.Length);
        ElementwiseLoop.Run(new AddScaledOperator(s), x, y);
    }

    /// <summary><c>x[i] += y[i]</c>.</summary>
    public static void Add(Span<float> x, ReadOnlySpan<float> y)
    {
        if (y.Length != x.Length) ThrowHelper.ThrowLengthMismatch(nameof(y), x.Length, y.Length);
        ElementwiseLoop.Run(default(AddOperator), x, y);
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
    public static double SumOfSquares(ReadOnlySpan<float> x)
    {
        if (SquareSums512.IsHardwareAccelerated) return SumOfSquares<SquareSums512>(x);
        if (SquareSums256.IsHardwareAccelerated) return SumOfSquares<SquareSums256>(x);
        if (SquareSums128.IsHardwareAccelerated) return SumOfSquares<SquareSums128>(x);
        return SumOfSquares<SquareSums1>(x);
    }

    /// <summary><see cref="SumOfSquares(ReadOnlySpan{float})"/> with the running sums held in <typeparamref name="TS"/>,
    /// accelerated or not (tests call it with every width).</summary>
    internal static unsafe double SumOfSquares<TS>(ReadOnlySpan<float> x) where TS : struct, ISquareSums<TS>
    {
        ref float r = ref MemoryMarshal.GetReference(x);
        int i = 0, n = x.Length;
        // Sums k hold lanes 8k..8k+7.
        TS s0 = default, s1 = default, s2 = default, s3 = default;
        fixed (float* px = x)
        for (; i <= n - SumLanes; i += SumLanes)
        {
            Prefetch(px + i + PrefetchDistance);
            Prefetch(px + i + PrefetchDistance + 16);
            s0 = s0.AddSquares(ref r, (nuint)i);
            s1 = s1.AddSquares(ref r, (nuint)(i + 8));
            s2 = s2.AddSquares(ref r, (nuint)(i + 16));
            s3 = s3.AddSquares(ref r, (nuint)(i + 24));
        }
        Span<double> lanes = stackalloc double[SumLanes];
        ref double lane = ref MemoryMarshal.GetReference(lanes);
        s0.Store(ref lane, 0);
        s1.Store(ref lane, 8);
        s2.Store(ref lane, 16);
        s3.Store(ref lane, 24);
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
    public static int IndexOfNonFinite(ReadOnlySpan<float> x)
    {
        var loop = new NonFiniteLoop(x);
        int i = Lanes.Run(ref loop);
        return i < x.Length ? i : -1;
    }

    /// <summary>
    /// Stops at the first group that holds a NaN or ±∞: x − x is 0 for finite x and NaN for NaN or ±∞. Four vectors are
    /// tested at once (one branch per four vectors); when a group fails, single vectors, then narrower lanes, close in on
    /// the element, and the scalar lane stops exactly at it.
    /// </summary>
    internal readonly ref struct NonFiniteLoop(ReadOnlySpan<float> x) : ILaneLoop
    {
        private readonly ReadOnlySpan<float> _x = x;

        public unsafe int Run<TV>(int start) where TV : struct, ILanes<TV>
        {
            ref float r = ref MemoryMarshal.GetReference(_x);
            int i = start, n = _x.Length, c = TV.Count;
            var zero = TV.Create(0f);
            fixed (float* px = _x)
            {
                for (; i <= n - 4 * c; i += 4 * c)
                {
                    if (c > 1)
                        for (int line = 0; line < 4 * c; line += 16) Prefetch(px + i + PrefetchDistance + line);
                    var a = TV.Load(ref r, (nuint)i);
                    var b = TV.Load(ref r, (nuint)(i + c));
                    var d = TV.Load(ref r, (nuint)(i + 2 * c));
                    var e = TV.Load(ref r, (nuint)(i + 3 * c));
                    if (!TV.EqualsAll((a - a + (b - b)) + (d - d + (e - e)), zero)) break;
                }
            }
            for (; i <= n - c; i += c)
            {
                var v = TV.Load(ref r, (nuint)i);
                if (!TV.EqualsAll(v - v, zero)) break;
            }
            return i;
        }
    }

    /// <summary><c>u·s</c>.</summary>
    internal readonly struct ScaleOperator(float s) : IElementwiseOperator
    {
        public static int States => 0;

        public TV Invoke<TV>(TV u, TV p, ref TV a, ref TV b, ref TV c, ref TV d) where TV : struct, ILanes<TV> => u * TV.Create(s);
    }

    /// <summary><c>u + s·p</c>.</summary>
    internal readonly struct AddScaledOperator(float s) : IElementwiseOperator
    {
        public static int States => 0;

        public TV Invoke<TV>(TV u, TV p, ref TV a, ref TV b, ref TV c, ref TV d) where TV : struct, ILanes<TV> => u + TV.Create(s) * p;
    }

    /// <summary><c>u + p</c>.</summary>
    internal readonly struct AddOperator : IElementwiseOperator
    {
        public static int States => 0;

        public TV Invoke<TV>(TV u, TV p, ref TV a, ref TV b, ref TV c, ref TV d) where TV : struct, ILanes<TV> => u + p;
    }
}
