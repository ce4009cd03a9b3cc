using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Momentum.Kernels;

namespace Momentum.Cli.Commands;

/// <summary>
/// <c>momentum bench --matrix N</c>: the matrix transformations (Muon's Newton–Schulz, Adafactor's factored
/// statistics) on an N × N parameter, each interleaved step by step with Adam on N² elements, and the matrix multiply
/// against the machine's single-precision peak, measured in the same run.
/// </summary>
internal static partial class BenchCommand
{
    /// <summary>Runs the matrix cases and prints their table; returns the process exit code.</summary>
    internal static int RunMatrix(BenchSettings settings, int n, TextWriter output)
    {
        if (n < 1 || (long)n * n > Array.MaxLength) return Fail(output, $"--matrix must be between 1 and {(int)Math.Sqrt(Array.MaxLength)} (got {n}).");
        if (settings.Threads < 1) return Fail(output, $"--threads must be at least 1 (got {settings.Threads}).");
        if (settings.Repeats < 1) return Fail(output, $"--repeats must be at least 1 (got {settings.Repeats}).");
        int threads = settings.Threads, repeats = settings.Repeats;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"momentum bench --matrix {n}: threads {threads}, repeats {repeats} (medians, min–max), .NET {Environment.Version}, " +
            $"{CpuModel()}, {Environment.ProcessorCount} processors, {Gemm.WidestLanes * 32}-bit vectors, load average {LoadAverage()}"));

        // The peak and the multiply alternate, so that their ratio sees one machine load.
        var peak = new PeakBody(threads);
        var gemm = new GemmCase(n, threads);
        WarmAtLeast(() => peak.Measure(), 2);
        WarmAtLeast(() => gemm.Measure(), 2);
        var mulAdd = new double[repeats];
        var fma = new double[repeats];
        var multiply = new double[repeats];
        for (int r = 0; r < repeats; r++)
        {
            mulAdd[r] = peak.Measure(fused: false);
            fma[r] = peak.Measure(fused: true);
            multiply[r] = gemm.Measure();
        }
        output.WriteLine();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"peak, separate multiply and add ({threads} threads): {Median(mulAdd):0.0} GFLOP/s ({mulAdd.Min():0.0}–{mulAdd.Max():0.0})"));
        if (PeakBody.HasFma)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"peak, FMA ({threads} threads): {Median(fma):0.0} GFLOP/s ({fma.Min():0.0}–{fma.Max():0.0})"));
        else
            output.WriteLine("peak, FMA: not available on this machine");
        string ofFma = PeakBody.HasFma ? string.Create(CultureInfo.InvariantCulture, $", {Median(multiply) / Median(fma) * 100:0}% of the FMA peak") : "";
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"gemm {n} × {n} × {n}, float32: {Median(multiply):0.0} GFLOP/s ({multiply.Min():0.0}–{multiply.Max():0.0}), " +
            $"{Median(multiply) / Median(mulAdd) * 100:0}% of the multiply-and-add peak{ofFma}"));

        var adam = new BenchCase("adam", "adam", () => Optimizers.Adam(), 28, 1, n * n);
        BenchCase[] cases =
        [
            new("muon", "muon", () => Optimizers.Muon(new MuonOptions()), 0, 1, n * n) { Shape = [n, n] },
            new("adafactor", "adafactor", () => Optimizers.Adafactor(), 0, 1, n * n) { Shape = [n, n] },
        ];
        output.WriteLine();
        output.WriteLine("| case | shape | median ms/step | min–max ms/step | adam ms/step (interleaved) | × adam, median (min–max) | alloc B/step |");
        output.WriteLine("|---|---|---:|---:|---:|---:|---:|");
        foreach (var c in cases)
        {
            var (times, adamTimes, ratios, allocated) = MeasureAgainst(c, adam, settings);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {c.Name} | {n} × {n} | {Median(times):0.0} | {times.Min():0.0}–{times.Max():0.0} | {Median(adamTimes):0.00} | " +
                $"{Median(ratios):0.00} ({ratios.Min():0.00}–{ratios.Max():0.00}) | {allocated:0} |"));
        }
        output.WriteLine();
        output.WriteLine($"load average after the run: {LoadAverage()}");
        return 0;
    }

    /// <summary>Steps <paramref name="c"/> and <paramref name="baseline"/> alternately; returns both times, the per-round ratios and bytes per step of c.</summary>
    private static (double[] Times, double[] Baseline, double[] Ratios, double Allocated) MeasureAgainst(BenchCase c, BenchCase baseline, BenchSettings s)
    {
        var (optimizer, gradients) = Setup(c, s);
        var (baseOptimizer, baseGradients) = Setup(baseline, s);
        WarmAtLeast(() =>
        {
            optimizer.Step(gradients);
            baseOptimizer.Step(baseGradients);
        }, 2);
        var times = new double[s.Repeats];
        var baseTimes = new double[s.Repeats];
        var ratios = new double[s.Repeats];
        long allocated = 0;
        for (int r = 0; r < s.Repeats; r++)
        {
            (baseTimes[r], _) = TimeStep(baseOptimizer, baseGradients);
            (times[r], long bytes) = TimeStep(optimizer, gradients);
            allocated += bytes;
            ratios[r] = times[r] / baseTimes[r];
        }
        return (times, baseTimes, ratios, (double)allocated / s.Repeats);
    }

    /// <summary>Runs at least <paramref name="runs"/> times and for at least 0.5 s (a slow case is not run five times).</summary>
    private static void WarmAtLeast(Action action, int runs)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < runs || Stopwatch.GetElapsedTime(start).TotalSeconds < 0.5; i++) action();
    }

    private static string CpuModel()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("model name", StringComparison.Ordinal)) return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return "CPU model unknown";
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
        catch (UnauthorizedAccessException)
        {
            return "unknown";
        }
    }

    /// <summary>One float32 <c>C = A·B</c> of N × N matrices with the library's kernel, in GFLOP/s (2N³ operations).</summary>
    private sealed class GemmCase(int n, int threads)
    {
        private readonly float[] _a = Filled(n * n, 1), _b = Filled(n * n, 2), _c = new float[n * n];
        private readonly Gemm _gemm = new();

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
    private sealed class PeakBody(int threads) : IParallelBody
    {
        private const long Iterations = 20_000_000;
        private readonly int _threads = threads;
        private readonly float[] _sink = new float[threads * 16];
        private bool _fused;

        public static bool HasFma => (Avx512F.IsSupported && Vector512.IsHardwareAccelerated) || Fma.IsSupported;

        /// <summary>Returns GFLOP/s over all threads.</summary>
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
}
