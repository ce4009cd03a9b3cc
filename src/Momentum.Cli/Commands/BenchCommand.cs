using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Momentum.Cli.Commands;

/// <summary>
/// <c>momentum bench</c>: times optimizer steps against the in-place axpy bandwidth of the same machine, in the same
/// process, and optionally against PyTorch's CPU optimizers (tools/bench/torch_bench.py) on the same sizes.
/// </summary>
internal static class BenchCommand
{
    /// <summary>The default element count: 64 Mi, four times the size of a 32 MiB last-level cache per array.</summary>
    public const int DefaultSize = 64 * 1024 * 1024;

    /// <summary>Builds the <c>bench</c> command.</summary>
    public static Command Create()
    {
        Option<int?> sizeOption = new("--size") { Description = $"Elements per optimizer case (default {DefaultSize:N0}; 4 Mi with --quick)." };
        Option<int?> threadsOption = new("--threads") { Description = "Threads per step (default: the processor count)." };
        Option<int?> repeatsOption = new("--repeats") { Description = "Timed steps per case; the median is reported (default 15; 5 with --quick)." };
        Option<bool> quickOption = new("--quick") { Description = "Small sizes and few repeats: a smoke run, not a measurement." };
        Option<bool> torchOption = new("--torch") { Description = "Also run tools/bench/torch_bench.py with /usr/bin/python3 on the same sizes." };
        Option<string?> pythonOption = new("--python") { Description = "The Python interpreter for --torch (default /usr/bin/python3)." };
        Command command = new("bench", "Time optimizer steps: ms/step, GB/s at nominal bytes, ratio to in-place axpy, allocations.")
        {
            sizeOption, threadsOption, repeatsOption, quickOption, torchOption, pythonOption,
        };
        command.SetAction(parseResult =>
        {
            bool quick = parseResult.GetValue(quickOption);
            var settings = new BenchSettings(
                Size: parseResult.GetValue(sizeOption) ?? (quick ? 4 * 1024 * 1024 : DefaultSize),
                Threads: parseResult.GetValue(threadsOption) ?? Environment.ProcessorCount,
                Repeats: parseResult.GetValue(repeatsOption) ?? (quick ? 5 : 15),
                SmallCount: quick ? 1_000 : 10_000,
                SmallLength: 1_000,
                Torch: parseResult.GetValue(torchOption),
                Python: parseResult.GetValue(pythonOption) ?? "/usr/bin/python3");
            return Run(settings, Console.Out);
        });
        return command;
    }

    /// <summary>Runs the benchmark and prints the table; returns the process exit code.</summary>
    internal static int Run(BenchSettings settings, TextWriter output)
    {
        if (settings.Size < 1) return Fail(output, $"--size must be at least 1 (got {settings.Size}).");
        if (settings.Threads < 1) return Fail(output, $"--threads must be at least 1 (got {settings.Threads}).");
        if (settings.Repeats < 1) return Fail(output, $"--repeats must be at least 1 (got {settings.Repeats}).");
        output.WriteLine($"momentum bench: size {settings.Size:N0}, threads {settings.Threads}, repeats {settings.Repeats} (medians), " +
            $".NET {Environment.Version}, {Environment.ProcessorCount} processors, widest accelerated vector {WidestVector()}");

        var results = new List<BenchResult>();
        var axpy = new Axpy(Math.Max(settings.Size, settings.SmallCount * settings.SmallLength), settings.Threads);
        double axpyMs = axpy.Measure(settings.Size, settings.Repeats);
        results.Add(new BenchResult("axpy (x += a*y)", settings.Size, 12, axpyMs, 0, axpyMs));
        foreach (var c in Cases(settings)) results.Add(MeasureOptimizer(c, settings, axpy));
        // The two target ratios are measured in pairs whose steps alternate, so that both sides of a ratio see the same
        // machine load; the ratio printed is the median of the per-round ratios.
        var (adamw, chain, chainRatio) = MeasurePair(AdamWCase(settings), ChainCase(settings), settings, axpy);
        results.Add(adamw);
        results.Add(chain);
        // The same pair with the library's default finite check (Throw), which reads g once in both; the chain's
        // global norm shares that read.
        var (checkedAdamW, checkedChain, checkedRatio) = MeasurePair(
            AdamWCase(settings) with { Name = "adamw, finite check on", Key = "adamw_checked", Check = NonFiniteGradients.Throw, BytesPerElement = 32 },
            ChainCase(settings) with { Name = "chain(...), finite check on", Key = "chain_checked", Check = NonFiniteGradients.Throw },
            settings, axpy);
        results.Add(checkedAdamW);
        results.Add(checkedChain);
        var (single, many, manyRatio) = MeasurePair(
            new BenchCase($"adam, 1 x {settings.SmallCount * settings.SmallLength / 1e6:0.#}M tensor", "adam_one", () => Optimizers.Adam(), 28, 1, settings.SmallCount * settings.SmallLength),
            new BenchCase($"adam, {settings.SmallCount:N0} x {settings.SmallLength:N0} tensors", "adam_many", () => Optimizers.Adam(), 28, settings.SmallCount, settings.SmallLength),
            settings, axpy);
        results.Add(single);
        results.Add(many);

        Dictionary<string, double>? torchBest = null;
        string? torchError = null;
        if (settings.Torch)
        {
            GC.Collect();
            (torchBest, torchError) = RunTorch(settings, output);
        }

        output.WriteLine();
        output.WriteLine($"| case | elements | B/elem | median ms/step | GB/s | axpy GB/s (interleaved) | vs axpy | alloc B/step |{(torchBest is null ? "" : " torch best ms | speed-up |")}");
        output.WriteLine($"|---|---:|---:|---:|---:|---:|---:|---:|{(torchBest is null ? "" : "---:|---:|")}");
        foreach (var r in results)
        {
            double gbs = r.BytesPerElement * (double)r.Elements / (r.MedianMs * 1e6);
            double axpyGbs = 12.0 * r.Elements / (r.AxpyMs * 1e6);
            string torch = "";
            if (torchBest is not null)
                torch = r.Key is not null && torchBest.TryGetValue(r.Key, out double t)
                    ? $" {t.ToString("0.00", CultureInfo.InvariantCulture)} | {(t / r.MedianMs).ToString("0.00", CultureInfo.InvariantCulture)}x |"
                    : " | |";
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Name} | {r.Elements:N0} | {r.BytesPerElement} | {r.MedianMs:0.000} | {gbs:0.0} | {axpyGbs:0.0} | {gbs / axpyGbs * 100:0}% | {r.AllocatedPerStep:0} |{torch}"));
        }
        output.WriteLine();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{chain.Name} / adamw: {chainRatio:0.00}x (median of {settings.Repeats} interleaved pairs)"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"the same with the default finite check on: {checkedRatio:0.00}x (median of {settings.Repeats} interleaved pairs)"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{many.Name} / one tensor of the same total: {manyRatio:0.00}x (median of {settings.Repeats} interleaved pairs)"));
        if (torchError is not null) output.WriteLine($"torch: {torchError}");
        return 0;
    }

    /// <summary>The optimizer cases, with their nominal bytes per element.</summary>
    private static IEnumerable<BenchCase> Cases(BenchSettings s)
    {
        yield return new("sgd", "sgd", () => Optimizers.Sgd(new SgdOptions { LearningRate = 1e-3 }), 12, 1, s.Size);
        yield return new("sgd-momentum", "sgd_momentum", () => Optimizers.Sgd(new SgdOptions { LearningRate = 1e-3, Momentum = 0.9 }), 20, 1, s.Size);
        yield return new("adam", "adam", () => Optimizers.Adam(), 28, 1, s.Size);
        // Moments stored in bfloat16 (half the state memory): 20 B/elem, through its one-pass kernel.
        yield return new("adam, bf16 state", "adam_bf16", () => Optimizers.Adam(new AdamOptions { BFloat16State = true }), 20, 1, s.Size);
    }

    private static BenchCase AdamWCase(BenchSettings s) => new("adamw", "adamw", () => Optimizers.AdamW(), 28, 1, s.Size);

    // The global-norm pre-pass reads the gradient once more: 32 B/elem nominal.
    private static BenchCase ChainCase(BenchSettings s) => new("chain(clip_by_global_norm, adamw, warmup-cosine)", "chain", () => Transforms.Chain(
        Transforms.ClipByGlobalNorm(1.0),
        Optimizers.AdamW(new AdamWOptions { LearningRate = Schedules.WarmupCosineDecay(0, 1e-3, 100, 10_000) })), 32, 1, s.Size);

    private static BenchResult MeasureOptimizer(BenchCase c, BenchSettings s, Axpy axpy)
    {
        var (optimizer, gradients) = Setup(c, s);
        Warm(() => optimizer.Step(gradients));
        int elements = c.Tensors * c.Length;
        axpy.Measure(elements, 1);
        // Steps and axpy passes alternate, so both see the same machine load (the machine may be shared).
        var times = new double[s.Repeats];
        var axpyTimes = new double[s.Repeats];
        long allocated = 0;
        for (int r = 0; r < s.Repeats; r++)
        {
            (times[r], long bytes) = TimeStep(optimizer, gradients);
            allocated += bytes;
            axpyTimes[r] = axpy.Measure(elements, 1);
        }
        return new BenchResult(c.Name, elements, c.BytesPerElement, Median(times), (double)allocated / s.Repeats, Median(axpyTimes)) { Key = c.Key };
    }

    /// <summary>
    /// Measures two cases with alternating steps (a, b, axpy, a, b, axpy, …); returns both results and the median of the
    /// per-round ratios b/a.
    /// </summary>
    private static (BenchResult A, BenchResult B, double Ratio) MeasurePair(BenchCase a, BenchCase b, BenchSettings s, Axpy axpy)
    {
        var (optimizerA, gradientsA) = Setup(a, s);
        var (optimizerB, gradientsB) = Setup(b, s);
        Warm(() =>
        {
            optimizerA.Step(gradientsA);
            optimizerB.Step(gradientsB);
        });
        int elementsA = a.Tensors * a.Length, elementsB = b.Tensors * b.Length;
        axpy.Measure(Math.Max(elementsA, elementsB), 1);
        var timesA = new double[s.Repeats];
        var timesB = new double[s.Repeats];
        var ratios = new double[s.Repeats];
        var axpyA = new double[s.Repeats];
        var axpyB = new double[s.Repeats];
        long allocatedA = 0, allocatedB = 0;
        for (int r = 0; r < s.Repeats; r++)
        {
            (timesA[r], long bytesA) = TimeStep(optimizerA, gradientsA);
            (timesB[r], long bytesB) = TimeStep(optimizerB, gradientsB);
            allocatedA += bytesA;
            allocatedB += bytesB;
            ratios[r] = timesB[r] / timesA[r];
            axpyA[r] = axpy.Measure(elementsA, 1);
            axpyB[r] = elementsB == elementsA ? axpyA[r] : axpy.Measure(elementsB, 1);
        }
        return (
            new BenchResult(a.Name, elementsA, a.BytesPerElement, Median(timesA), (double)allocatedA / s.Repeats, Median(axpyA)) { Key = a.Key },
            new BenchResult(b.Name, elementsB, b.BytesPerElement, Median(timesB), (double)allocatedB / s.Repeats, Median(axpyB)) { Key = b.Key },
            Median(ratios));
    }

    /// <summary>Times one step; returns milliseconds and the bytes allocated process-wide meanwhile.</summary>
    private static (double Ms, long Bytes) TimeStep(Optimizer optimizer, GradientSet gradients)
    {
        long before = GC.GetTotalAllocatedBytes(precise: true);
        long start = Stopwatch.GetTimestamp();
        optimizer.Step(gradients);
        double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        return (ms, GC.GetTotalAllocatedBytes(precise: true) - before);
    }

    private static (Optimizer Optimizer, GradientSet Gradients) Setup(BenchCase c, BenchSettings s)
    {
        var set = new ParameterSet();
        var parameters = new Parameter[c.Tensors];
        for (int i = 0; i < c.Tensors; i++) parameters[i] = set.Add(c.Tensors == 1 ? "w" : $"w{i}", c.Length);
        var gradients = new GradientSet(set);
        var random = new Random(42);
        foreach (var p in parameters)
        {
            var values = p.Values;
            var g = gradients.Get(p, clear: true);
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = (float)(random.NextDouble() - 0.5);
                g[i] = (float)((random.NextDouble() - 0.5) * 1e-2);
            }
        }
        // NaN checks are off (unless the case says otherwise) so that every implementation moves the same bytes
        // (PyTorch does not check either).
        var optimizer = new Optimizer(c.Create(), set, new OptimizerOptions { Threads = s.Threads, NonFiniteGradients = c.Check });
        return (optimizer, gradients);
    }

    /// <summary>
    /// In-place <c>x += a·y</c> over fixed 16 Ki chunks on <c>threads</c> threads: the bandwidth ceiling. Written here
    /// against plain spans and <see cref="Parallel"/>, not with the library's kernels or worker pool, so it measures the
    /// machine whatever the library does.
    /// </summary>
    private sealed class Axpy
    {
        /// <summary>The chunk length: the engine's segment length (docs/ARCHITECTURE.md).</summary>
        private const int ChunkLength = 16 * 1024;
        private const float A = 1e-3f;

        private readonly float[] _x, _y;
        private readonly ParallelOptions _options;
        private readonly Action<int> _chunk;
        private int _length;
        private bool _warm;

        public Axpy(int capacity, int threads)
        {
            _x = new float[capacity];
            _y = new float[capacity];
            for (int i = 0; i < _y.Length; i++) _y[i] = i * 1e-9f;
            _options = new ParallelOptions { MaxDegreeOfParallelism = threads };
            _chunk = Chunk;
        }

        /// <summary>Returns the median time of <paramref name="repeats"/> passes over the first <paramref name="length"/> elements.</summary>
        public double Measure(int length, int repeats)
        {
            _length = length;
            int items = (length + ChunkLength - 1) / ChunkLength;
            if (!_warm) Warm(() => Parallel.For(0, items, _options, _chunk));
            _warm = true;
            var times = new double[repeats];
            for (int r = 0; r < repeats; r++)
            {
                long start = Stopwatch.GetTimestamp();
                Parallel.For(0, items, _options, _chunk);
                times[r] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
            return Median(times);
        }

        private void Chunk(int item)
        {
            int start = item * ChunkLength;
            int length = Math.Min(ChunkLength, _length - start);
            AddScaled(_x.AsSpan(start, length), _y.AsSpan(start, length));
        }

        private static void AddScaled(Span<float> x, ReadOnlySpan<float> y)
        {
            var vx = MemoryMarshal.Cast<float, Vector<float>>(x);
            var vy = MemoryMarshal.Cast<float, Vector<float>>(y);
            var a = new Vector<float>(A);
            for (int i = 0; i < vx.Length; i++) vx[i] += a * vy[i];
            for (int i = vx.Length * Vector<float>.Count; i < x.Length; i++) x[i] += A * y[i];
        }
    }

    /// <summary>Runs the committed PyTorch script and returns its fastest median per case key.</summary>
    private static (Dictionary<string, double>? Best, string? Error) RunTorch(BenchSettings s, TextWriter output)
    {
        string? script = FindScript();
        if (script is null) return (null, "tools/bench/torch_bench.py was not found (run from the repository).");
        var info = new ProcessStartInfo(s.Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[]
        {
            script, "--size", s.Size.ToString(CultureInfo.InvariantCulture), "--threads", s.Threads.ToString(CultureInfo.InvariantCulture),
            "--repeats", s.Repeats.ToString(CultureInfo.InvariantCulture), "--small-count", s.SmallCount.ToString(CultureInfo.InvariantCulture),
            "--small-length", s.SmallLength.ToString(CultureInfo.InvariantCulture),
        })
            info.ArgumentList.Add(arg);
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("no process");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return (null, $"could not start {s.Python}: {e.Message}");
        }
        var stderrTask = process.StandardError.ReadToEndAsync();
        var best = new Dictionary<string, double>(StringComparer.Ordinal);
        output.WriteLine();
        output.WriteLine("PyTorch (median ms/step):");
        string? line;
        while ((line = process.StandardOutput.ReadLine()) is not null)
        {
            if (!line.StartsWith('{')) continue;
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (root.TryGetProperty("error", out var error)) return (null, error.GetString());
            if (root.TryGetProperty("torch", out var version))
            {
                output.WriteLine($"  torch {version.GetString()}, {root.GetProperty("threads").GetInt32()} threads");
                continue;
            }
            string key = root.GetProperty("case").GetString()!;
            string impl = root.GetProperty("impl").GetString()!;
            double ms = root.GetProperty("median_ms").GetDouble();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {key,-14} {impl,-9} {ms,10:0.000}"));
            if (!best.TryGetValue(key, out double b) || ms < b) best[key] = ms;
        }
        process.WaitForExit();
        string stderr = stderrTask.Result.Trim();
        if (process.ExitCode != 0)
            return (null, $"{s.Python} {script} failed (exit {process.ExitCode}): {LastLine(stderr)}");
        return (best, null);
    }

    private static string LastLine(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "(no message)" : lines[^1];
    }

    private static string? FindScript()
    {
        foreach (string start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "tools", "bench", "torch_bench.py");
                if (File.Exists(candidate)) return candidate;
            }
        }
        return null;
    }

    /// <summary>Runs at least 5 times and for at least 0.5 s, so tiered JIT has promoted the hot loops.</summary>
    /// <summary>The widest accelerated vector, the width the library's kernels run at (docs/ARCHITECTURE.md, "Kernels and lanes").</summary>
    internal static string WidestVector() =>
        System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? "Vector512"
        : System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated ? "Vector256"
        : System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated ? "Vector128" : "none (scalar)";

    private static void Warm(Action action)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < 5 || Stopwatch.GetElapsedTime(start).TotalSeconds < 0.5; i++) action();
    }

    private static double Median(double[] values)
    {
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    }

    private static int Fail(TextWriter output, string message)
    {
        output.WriteLine($"momentum bench: {message}");
        return 1;
    }

    private sealed record BenchCase(string Name, string Key, Func<GradientTransformation> Create, int BytesPerElement, int Tensors, int Length)
    {
        public NonFiniteGradients Check { get; init; } = NonFiniteGradients.Propagate;
    }

    private sealed record BenchResult(string Name, long Elements, int BytesPerElement, double MedianMs, double AllocatedPerStep, double AxpyMs)
    {
        public string? Key { get; init; }
    }
}

/// <summary>The settings of one <c>momentum bench</c> run.</summary>
internal sealed record BenchSettings(int Size, int Threads, int Repeats, int SmallCount, int SmallLength, bool Torch, string Python);
