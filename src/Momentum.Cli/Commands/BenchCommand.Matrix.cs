using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Momentum.Diagnostics;

namespace Momentum.Cli.Commands;

/// <summary>
/// <c>momentum bench --matrix N</c>: the matrix transformations (Muon's Newton–Schulz, Adafactor's factored
/// statistics) on an N × N parameter, each interleaved step by step with Adam on N² elements, and the matrix multiply
/// against the machine's single-precision peak, measured in the same run.
/// </summary>
internal static partial class BenchCommand
{
    /// <summary>Runs the matrix cases and prints their table; returns the process exit code (2 for bad arguments).</summary>
    internal static int RunMatrix(BenchSettings settings, int n, TextWriter output, TextWriter error)
    {
        if (n < 1 || (long)n * n > Array.MaxLength) return Usage(error, $"--matrix must be between 1 and {(int)Math.Sqrt(Array.MaxLength)} (got {n}).");
        if (settings.Threads < 1) return Usage(error, $"--threads must be at least 1 (got {settings.Threads}).");
        if (settings.Repeats < 1) return Usage(error, $"--repeats must be at least 1 (got {settings.Repeats}).");
        int threads = settings.Threads, repeats = settings.Repeats;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"momentum bench --matrix {n}: threads {threads}, repeats {repeats} (medians, min–max), .NET {Environment.Version}, " +
            $"{CpuModel()}, {Environment.ProcessorCount} processors, widest accelerated vector {WidestVector()}, load average {LoadAverage()}"));

        // The peak and the multiply alternate, so that their ratio sees one machine load.
        var peak = new PeakThroughput(threads);
        var gemm = new GemmThroughput(n, threads);
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
        if (PeakThroughput.HasFma)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"peak, FMA ({threads} threads): {Median(fma):0.0} GFLOP/s ({fma.Min():0.0}–{fma.Max():0.0})"));
        else
            output.WriteLine("peak, FMA: not available on this machine");
        string ofFma = PeakThroughput.HasFma ? string.Create(CultureInfo.InvariantCulture, $", {Median(multiply) / Median(fma) * 100:0}% of the FMA peak") : "";
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"gemm {n} × {n} × {n}, float32: {Median(multiply):0.0} GFLOP/s ({multiply.Min():0.0}–{multiply.Max():0.0}), " +
            $"{Median(multiply) / Median(mulAdd) * 100:0}% of the multiply-and-add peak{ofFma}"));

        var adam = new BenchCase("adam", "adam()", null, () => Optimizers.Adam(), 1, n * n);
        BenchCase[] cases =
        [
            new("muon", "muon()", null, () => Optimizers.Muon(new MuonOptions()), 1, n * n) { Shape = [n, n] },
            new("adafactor", "adafactor()", null, () => Optimizers.Adafactor(), 1, n * n) { Shape = [n, n] },
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
        var (optimizer, gradients, _) = Setup(c, s);
        var (baseOptimizer, baseGradients, _) = Setup(baseline, s);
        WarmAtLeast(() =>
        {
            optimizer.Step(gradients);
            baseOptimizer.Step(baseGradients);
        }, 2);
        var times = new double[s.Repeats];
        var baseTimes = new double[s.Repeats];
        var ratios = new double[s.Repeats];
        double allocated = 0;
        for (int r = 0; r < s.Repeats; r++)
        {
            (baseTimes[r], _) = TimeSteps(baseOptimizer, baseGradients, 1);
            (times[r], double bytes) = TimeSteps(optimizer, gradients, 1);
            allocated += bytes;
            ratios[r] = times[r] / baseTimes[r];
        }
        return (times, baseTimes, ratios, allocated / s.Repeats);
    }

    /// <summary>Runs at least <paramref name="runs"/> times and for at least 0.5 s (a slow case is not run five times).</summary>
    private static void WarmAtLeast(Action action, int runs) => Warm(action, runs, 0.5);

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
}
