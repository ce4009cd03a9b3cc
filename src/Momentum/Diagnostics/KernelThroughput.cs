using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Momentum.Kernels;

namespace Momentum.Diagnostics;

// Measurements of the library's own matrix kernel and of the machine's single-precision peak, for `momentum bench
// --matrix`: public so that the command-line tool needs none of the library's internals.

/// <summary>One float32 <c>C = A·B</c> of N × N matrices with the library's kernel, in GFLOP/s (2N³ operations).</summary>
public sealed class GemmThroughput(int n, int threads)
{
    private readonly float[] _a = Filled(n * n, 1), _b = Filled(n * n, 2), _c = new float[n * n];
    private readonly Gemm _gemm = new();

    /// <summary>Times one product; returns GFLOP/s (2N³ operations).</summary>
    public double Measure()
    {
        long start = Stopwatch.GetTimestamp();
        _gemm.Multiply(_a, false, _b, false, _c, n, n, n, threads: threads);
        return 2.0 * n * n * n / Stopwatch.GetElapsedTime(start).TotalSeconds / 1e9;
    }

    private static float[] Filled(int length, int seed)
    {
        var random = new Random(seed);
        var x = new float[length];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(random.NextDouble() - 0.5);
        return x;
    }
}

/// <summary>
/// The machine's single-precision peak, measured with known-good loops on the worker pool, one item per thread, in
/// the widest vectors the hardware has: independent chains of multiplies and of adds (what a kernel without FMA can
/// issue), and independent FMA chains (the machine's peak). Two operations per multiply-add either way.
/// </summary>
public sealed class PeakThroughput(int threads) : IParallelBody
{
    private const long Iterations = 20_000_000;
    private readonly int _threads = threads;
    private readonly float[] _sink = new float[threads * 16];
    private bool _fused;

    /// <summary>The widest vector the matrix kernel uses, in float32 lanes (16, 8, 4 or 1).</summary>
    public static int WidestLanes => Gemm.WidestLanes;

    /// <summary>Whether the machine has FMA (the fused peak is measured only then).</summary>
    public static bool HasFma => (Avx512F.IsSupported && Vector512.IsHardwareAccelerated) || Fma.IsSupported;

    /// <summary>Returns GFLOP/s over all threads.</summary>
    /// <param name="fused">Measure FMA chains instead of separate multiplies and adds (NaN without FMA).</param>
    public double Measure(bool fused = false)
    {
        if (fused && !HasFma) return double.NaN;
        _fused = fused;
        long start = Stopwatch.GetTimestamp();
        WorkerPool.Shared.Run(this, _threads, _threads);
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        int lanes = Gemm.WidestLanes == 16 ? 16 : fused ? 8 : Gemm.WidestLanes;
        double perIteration = fused ? 12 * 2 : 7 * 2; // 12 FMA chains, or 7 multiply chains and 7 add chains
        return _threads * Iterations * perIteration * lanes / seconds / 1e9;
    }

    /// <summary>One thread's chains (the worker pool's body).</summary>
    /// <param name="item">The thread's item.</param>
    /// <param name="worker">The worker running it.</param>
    public void Run(int item, int worker)
    {
        float one = 1f + _sink[0] * 0f, step = 1e-7f;
        float result = (_fused, Gemm.WidestLanes) switch
        {
            (true, 16) => Fma512(Iterations, one, step),
            (true, _) => Fma256(Iterations, one, step),
            (false, 16) => MultiplyAdd<GemmLanes16>(Iterations, one, step),
            (false, 8) => MultiplyAdd<GemmLanes8>(Iterations, one, step),
            (false, 4) => MultiplyAdd<GemmLanes4>(Iterations, one, step),
            _ => MultiplyAdd<GemmLanes1>(Iterations, one, step),
        };
        _sink[item * 16] = result;
    }

    /// <summary>Seven chains <c>p = p·1</c> and seven <c>s = s + p</c>: each iteration issues 7 multiplies and 7 adds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float MultiplyAdd<TV>(long iterations, float one, float step) where TV : struct, IGemmLanes<TV>
    {
        var y = TV.Broadcast(one);
        TV p0 = TV.Broadcast(step), p1 = p0 + p0, p2 = p1 + p0, p3 = p2 + p0, p4 = p3 + p0, p5 = p4 + p0, p6 = p5 + p0;
        TV s0 = TV.Zero, s1 = TV.Zero, s2 = TV.Zero, s3 = TV.Zero, s4 = TV.Zero, s5 = TV.Zero, s6 = TV.Zero;
        for (long i = 0; i < iterations; i++)
        {
            p0 *= y; p1 *= y; p2 *= y; p3 *= y; p4 *= y; p5 *= y; p6 *= y;
            s0 += p0; s1 += p1; s2 += p2; s3 += p3; s4 += p4; s5 += p5; s6 += p6;
        }
        Span<float> x = stackalloc float[TV.Count];
        (s0 + s1 + s2 + s3 + s4 + s5 + s6).Store(ref x[0], 0);
        return x[0];
    }

    /// <summary>Twelve independent chains <c>a = a·1 + step</c> in 256-bit FMAs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Fma256(long iterations, float one, float step)
    {
        var y = Vector256.Create(one);
        var x = Vector256.Create(step);
        Vector256<float> a0 = x, a1 = x, a2 = x, a3 = x, a4 = x, a5 = x, a6 = x, a7 = x, a8 = x, a9 = x, a10 = x, a11 = x;
        for (long i = 0; i < iterations; i++)
        {
            a0 = Fma.MultiplyAdd(a0, y, x); a1 = Fma.MultiplyAdd(a1, y, x); a2 = Fma.MultiplyAdd(a2, y, x);
            a3 = Fma.MultiplyAdd(a3, y, x); a4 = Fma.MultiplyAdd(a4, y, x); a5 = Fma.MultiplyAdd(a5, y, x);
            a6 = Fma.MultiplyAdd(a6, y, x); a7 = Fma.MultiplyAdd(a7, y, x); a8 = Fma.MultiplyAdd(a8, y, x);
            a9 = Fma.MultiplyAdd(a9, y, x); a10 = Fma.MultiplyAdd(a10, y, x); a11 = Fma.MultiplyAdd(a11, y, x);
        }
        return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11).ToScalar();
    }

    /// <summary>Twelve independent chains <c>a = a·1 + step</c> in 512-bit FMAs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Fma512(long iterations, float one, float step)
    {
        var y = Vector512.Create(one);
        var x = Vector512.Create(step);
        Vector512<float> a0 = x, a1 = x, a2 = x, a3 = x, a4 = x, a5 = x, a6 = x, a7 = x, a8 = x, a9 = x, a10 = x, a11 = x;
        for (long i = 0; i < iterations; i++)
        {
            a0 = Avx512F.FusedMultiplyAdd(a0, y, x); a1 = Avx512F.FusedMultiplyAdd(a1, y, x); a2 = Avx512F.FusedMultiplyAdd(a2, y, x);
            a3 = Avx512F.FusedMultiplyAdd(a3, y, x); a4 = Avx512F.FusedMultiplyAdd(a4, y, x); a5 = Avx512F.FusedMultiplyAdd(a5, y, x);
            a6 = Avx512F.FusedMultiplyAdd(a6, y, x); a7 = Avx512F.FusedMultiplyAdd(a7, y, x); a8 = Avx512F.FusedMultiplyAdd(a8, y, x);
            a9 = Avx512F.FusedMultiplyAdd(a9, y, x); a10 = Avx512F.FusedMultiplyAdd(a10, y, x); a11 = Avx512F.FusedMultiplyAdd(a11, y, x);
        }
        return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11).ToScalar();
    }
}
