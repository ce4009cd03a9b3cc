using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Momentum.Diagnostics;

namespace Momentum.Cli.Commands;

/// <summary>
/// <c>momentum bench</c>: times optimizer steps, each case interleaved step by step with a pass of its own traffic
/// ceiling (<see cref="TrafficCeiling"/>: the same read and write streams, nothing else to do) and with fused Adam on
/// the same number of elements, and optionally with PyTorch's CPU optimizers on the same case
/// (tools/bench/torch_bench.py, driven over a pipe).
/// </summary>
internal static partial class BenchCommand
{
    /// <summary>The default element count: 64 Mi, four times the size of a 32 MiB last-level cache per array.</summary>
    public const int DefaultSize = 64 * 1024 * 1024;

    /// <summary>The element count of <c>--breadth</c>: 16 Mi (a 4096 × 4096 matrix for the matrix cases).</summary>
    public const int BreadthSize = 16 * 1024 * 1024;

    /// <summary>The loss handed to every step (transformations that need one, such as Polyak's step size, read it).</summary>
    private const double Loss = 1.0;

    /// <summary>Builds the <c>bench</c> command.</summary>
    public static Command Create()
    {
        Option<int?> sizeOption = new("--size") { Description = $"Elements per optimizer case (default {DefaultSize:N0}; {BreadthSize:N0} with --breadth; 4 Mi with --quick)." };
        Option<int?> threadsOption = new("--threads") { Description = "Threads per step (default: the processor count)." };
        Option<int?> repeatsOption = new("--repeats") { Description = "Timed rounds per case; medians are reported (default 15; 5 with --quick)." };
        Option<bool> quickOption = new("--quick") { Description = "Small sizes and few repeats: a smoke run, not a measurement." };
        Option<bool> breadthOption = new("--breadth") { Description = "Every registered optimizer with its registry example arguments, and the matrix ones also on a square matrix." };
        Option<string?> jsonOption = new("--json") { Description = "Also write the results as JSON to this file; '-' writes JSON to stdout and the table to stderr." };
        Option<bool> torchOption = new("--torch") { Description = "Also time PyTorch's CPU optimizers on the same cases, interleaved (tools/bench/torch_bench.py)." };
        Option<string?> pythonOption = new("--python") { Description = "The Python interpreter for --torch (default /usr/bin/python3)." };
        Option<int?> matrixOption = new("--matrix")
        {
            Description = "Instead of the bandwidth cases: time Muon and Adafactor on an N × N parameter against Adam on N² elements, and the matrix multiply against the machine's peak.",
        };
        Command command = new("bench", "Time optimizer steps against their own memory-traffic ceiling and fused Adam: ms/step, GB/s, fraction of the ceiling, allocations.")
        {
            sizeOption, threadsOption, repeatsOption, quickOption, breadthOption, jsonOption, torchOption, pythonOption, matrixOption,
        };
        command.SetAction(parseResult =>
        {
            bool quick = parseResult.GetValue(quickOption);
            bool breadth = parseResult.GetValue(breadthOption);
            var settings = new BenchSettings(
                Size: parseResult.GetValue(sizeOption) ?? (quick ? 4 * 1024 * 1024 : breadth ? BreadthSize : DefaultSize),
                Threads: parseResult.GetValue(threadsOption) ?? Environment.ProcessorCount,
                Repeats: parseResult.GetValue(repeatsOption) ?? (quick ? 5 : 15),
                SmallCount: quick ? 10_000 : 100_000,
                SmallLength: 100,
                Torch: parseResult.GetValue(torchOption),
                Python: parseResult.GetValue(pythonOption) ?? "/usr/bin/python3")
            {
                Breadth = breadth,
                Json = parseResult.GetValue(jsonOption),
            };
            if (parseResult.GetValue(matrixOption) is { } n)
            {
                if (breadth || settings.Torch || settings.Json is not null)
                    return Usage(Console.Error, "--matrix does not combine with --breadth, --torch or --json.");
                return RunMatrix(settings, n, Console.Out, Console.Error);
            }
            return Run(settings, Console.Out, Console.Error);
        });
        return command;
    }

    /// <summary>
    /// Runs the benchmark and prints the table (and writes the JSON document); returns the process exit code: 0, 2
    /// for bad arguments, 1 when the run itself fails (PyTorch is missing for <c>--torch</c>, the JSON file cannot be
    /// written).
    /// </summary>
    internal static int Run(BenchSettings settings, TextWriter output, TextWriter error)
    {
        if (Validate(settings) is { } problem) return Usage(error, problem);
        bool jsonToStdout = settings.Json == "-";
        var table = jsonToStdout ? error : output;

        TorchClient? torch = null;
        if (settings.Torch)
        {
            torch = TorchClient.Start(settings.Python, settings.Threads, out string? torchError);
            if (torch is null) return Failure(error, torchError!);
        }
        using var torchScope = torch;

        var machine = MachineInfo.Read();
        table.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"momentum bench{(settings.Breadth ? " --breadth" : "")}: size {settings.Size:N0}, threads {settings.Threads}, repeats {settings.Repeats} (medians), " +
            $".NET {Environment.Version}, {machine.Cpu}, {machine.Processors} processors, widest accelerated vector {machine.Simd}, load average {machine.LoadAverage}"));
        if (torch is not null) table.WriteLine($"PyTorch {torch.Version}, {torch.Threads} threads, interleaved case by case (best of the for-loop and foreach implementations)");

        var cases = settings.Breadth ? BreadthCases(settings) : DefaultCases(settings);
        var results = new List<CaseResult>();
        using (var runner = new CaseRunner(settings, torch))
        {
            try
            {
                foreach (var c in cases) results.Add(runner.Measure(c));
            }
            catch (InvalidOperationException e) when (torch is not null)
            {
                return Failure(error, e.Message);
            }
        }
        string loadAfter = LoadAverage();

        table.WriteLine();
        WriteTable(table, results, torch is not null);
        table.WriteLine();
        table.WriteLine("traffic: read/written float32 streams per element (θ, g and every state tensor; one more read of g for a pre-pass).");
        table.WriteLine("of ceiling: a pass of the same streams' time / the step's time; × adam: the step's time / fused Adam's on as many elements;");
        table.WriteLine("both medians of per-round ratios, the ceiling, the case and Adam alternating round by round.");
        if (settings.Breadth)
        {
            table.WriteLine();
            table.WriteLine("specs:");
            foreach (var r in results) table.WriteLine($"  {r.Case.Name}: {r.Case.Spec}");
        }
        table.WriteLine();
        table.WriteLine($"load average after the run: {loadAfter}");

        if (settings.Json is not null)
        {
            try
            {
                if (jsonToStdout) BenchJson.Write(output, settings, machine, loadAfter, torch, results);
                else
                {
                    using var file = new StreamWriter(settings.Json);
                    BenchJson.Write(file, settings, machine, loadAfter, torch, results);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return Failure(error, $"cannot write {settings.Json}: {e.Message}");
            }
        }
        return 0;
    }

    /// <summary>The first problem with the settings, or null.</summary>
    private static string? Validate(BenchSettings s)
    {
        if (s.Size < 1) return $"--size must be at least 1 (got {s.Size}).";
        if (s.Threads < 1) return $"--threads must be at least 1 (got {s.Threads}).";
        if (s.Repeats < 1) return $"--repeats must be at least 1 (got {s.Repeats}).";
        if (s.Torch && s.Breadth) return "--torch times the default cases; it does not combine with --breadth.";
        if (s.Json is { Length: 0 }) return "--json needs a file name, or '-' for stdout.";
        if (s.Json is { } path && path != "-")
        {
            string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
            if (directory is not null && !Directory.Exists(directory)) return $"--json: the directory {directory} does not exist.";
        }
        return null;
    }

    /// <summary>The default cases: the common optimizers at <c>--size</c>, with and without the finite check, and many small tensors.</summary>
    private static List<BenchCase> DefaultCases(BenchSettings s) =>
    [
        new("sgd", "sgd(lr=1e-3)", "sgd", () => Optimizers.Sgd(new SgdOptions { LearningRate = 1e-3 }), 1, s.Size),
        new("sgd-momentum", "sgd(lr=1e-3, momentum=0.9)", "sgd_momentum", () => Optimizers.Sgd(new SgdOptions { LearningRate = 1e-3, Momentum = 0.9 }), 1, s.Size),
        new("adam", "adam()", "adam", () => Optimizers.Adam(), 1, s.Size),
        new("adam, bf16 state", "adam(), bfloat16 moments", null, () => Optimizers.Adam(new AdamOptions { BFloat16State = true }), 1, s.Size),
        new("adamw", "adamw()", "adamw", () => Optimizers.AdamW(), 1, s.Size),
        ChainCase(s),
        new("adamw, finite check", "adamw(), NonFiniteGradients.Throw", null, () => Optimizers.AdamW(), 1, s.Size) { Check = NonFiniteGradients.Throw },
        ChainCase(s) with { Name = "chain, finite check", TorchKey = null, Check = NonFiniteGradients.Throw },
        new($"adam, {s.SmallCount:N0} x {s.SmallLength:N0}", "adam(), many small tensors", "adam_many", () => Optimizers.Adam(), s.SmallCount, s.SmallLength),
        new("adam, 10 x 100", "adam(), per-step overhead", "adam_tiny", () => Optimizers.Adam(), 10, 100),
    ];

    private static BenchCase ChainCase(BenchSettings s) => new(
        "chain", "chain(clip_by_global_norm(1.0), adamw(lr=warmup_cosine_decay(0, 1e-3, 100, 10000)))", "chain",
        () => Transforms.Chain(
            Transforms.ClipByGlobalNorm(1.0),
            Optimizers.AdamW(new AdamWOptions { LearningRate = Schedules.WarmupCosineDecay(0, 1e-3, 100, 10_000) })),
        1, s.Size);

    /// <summary>
    /// Every registered optimizer by its registry example, on a vector of <c>--size</c> elements; those with a tensor
    /// stage on a matrix (Muon, Adafactor) also on the largest square matrix that fits.
    /// </summary>
    internal static List<BenchCase> BreadthCases(BenchSettings s)
    {
        var registry = Specs.SpecRegistry.Default;
        int side = (int)Math.Sqrt(s.Size);
        var cases = new List<BenchCase>();
        foreach (string name in registry.OptimizerNames)
        {
            string spec = registry.Example(name);
            cases.Add(new BenchCase(name, spec, null, () => registry.Create(spec), 1, s.Size));
            if (side >= 2 && HasTensorStage(registry.Create(spec), [Math.Min(side, 256), Math.Min(side, 256)]))
                cases.Add(new BenchCase($"{name} ({side} x {side})", spec, null, () => registry.Create(spec), 1, side * side) { Shape = [side, side] });
        }
        return cases;
    }

    /// <summary>Whether the transformation has a tensor stage on a parameter of <paramref name="shape"/>.</summary>
    private static bool HasTensorStage(GradientTransformation transformation, int[] shape)
    {
        var set = new ParameterSet();
        var p = set.Add("embed.weight", shape);
        set.Add("head.bias", 64); // so that the examples' group globs ('*.bias', 'embed.*') match, as in the cases
        var optimizer = new Optimizer(transformation, set);
        return optimizer.StagesOf(p).Any(stage => stage.Transformation is TensorTransformation);
    }

    /// <summary>What a case's chain is made of: element-wise, with a reduction, with a tensor stage, or a whole-step wrapper.</summary>
    internal static string KindOf(Optimizer optimizer, Parameter parameter)
    {
        if (optimizer.Transformation is StepWrapper) return "whole-step";
        var stages = optimizer.StagesOf(parameter);
        if (stages.Any(s => s.Transformation is TensorTransformation)) return "tensor";
        if (stages.Any(s => s.Transformation is ReducingTransformation)) return "reduction";
        return "element-wise";
    }

    private static void WriteTable(TextWriter table, List<CaseResult> results, bool torch)
    {
        table.WriteLine($"| case | kind | traffic | ms/step | GB/s | of ceiling | × adam | B/step |{(torch ? " torch ms | speed-up |" : "")}");
        table.WriteLine($"|---|---|---:|---:|---:|---:|---:|---:|{(torch ? "---:|---:|" : "")}");
        foreach (var r in results)
        {
            string torchColumns = !torch ? "" : r.Torch is { } t
                ? string.Create(CultureInfo.InvariantCulture, $" {Milliseconds(t.Times.Median)} | {t.Speedup.Median:0.00} |")
                : " | |";
            table.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Case.Name} | {r.Kind} | {r.Reads}r/{r.Writes}w | {Milliseconds(r.Times.Median)} | {r.GigabytesPerSecond:0.0} | " +
                $"{r.OfCeiling.Median * 100:0}% | {r.TimesAdam.Median:0.00} | {r.AllocatedPerStep:0} |{torchColumns}"));
        }
    }

    /// <summary>Milliseconds with three significant decimals for fast steps, fewer for slow ones.</summary>
    private static string Milliseconds(double ms) =>
        ms.ToString(ms < 0.1 ? "0.0000" : ms < 100 ? "0.000" : "0.0", CultureInfo.InvariantCulture);

    /// <summary>Runs at least <paramref name="runs"/> times and for at least <paramref name="seconds"/>; returns the mean seconds per run.</summary>
    private static double Warm(Action action, int runs, double seconds)
    {
        long start = Stopwatch.GetTimestamp();
        int i = 0;
        for (; i < runs || Stopwatch.GetElapsedTime(start).TotalSeconds < seconds; i++) action();
        return Stopwatch.GetElapsedTime(start).TotalSeconds / i;
    }

    private static double Median(double[] values)
    {
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    }

    /// <summary>Bad input: one line on stderr, exit code 2 (the command-line convention).</summary>
    private static int Usage(TextWriter error, string message)
    {
        error.WriteLine($"momentum bench: {message}");
        return 2;
    }

    /// <summary>The run itself failed: one line on stderr, exit code 1.</summary>
    private static int Failure(TextWriter error, string message)
    {
        error.WriteLine($"momentum bench: {message}");
        return 1;
    }

    /// <summary>One case: an optimizer on a set of tensors.</summary>
    /// <param name="Name">The name in the table.</param>
    /// <param name="Spec">What it runs, as a spec where it is one.</param>
    /// <param name="TorchKey">The case's name in tools/bench/torch_bench.py, or null if PyTorch has no counterpart.</param>
    /// <param name="Create">Builds the optimizer's transformation.</param>
    /// <param name="Tensors">How many tensors.</param>
    /// <param name="Length">Elements per tensor.</param>
    internal sealed record BenchCase(string Name, string Spec, string? TorchKey, Func<GradientTransformation> Create, int Tensors, int Length)
    {
        /// <summary>The finite check (off by default, so that every implementation moves the same bytes; PyTorch does not check).</summary>
        public NonFiniteGradients Check { get; init; } = NonFiniteGradients.Propagate;

        /// <summary>The one tensor's shape, when it is not a vector of <see cref="Length"/> elements.</summary>
        public int[]? Shape { get; init; }

        /// <summary>Elements in all.</summary>
        public int Elements => Tensors * Length;
    }
}

/// <summary>The settings of one <c>momentum bench</c> run.</summary>
internal sealed record BenchSettings(int Size, int Threads, int Repeats, int SmallCount, int SmallLength, bool Torch, string Python)
{
    /// <summary>Every registered optimizer instead of the default cases.</summary>
    public bool Breadth { get; init; }

    /// <summary>Where to write the JSON document: a file, "-" for stdout, or null for none.</summary>
    public string? Json { get; init; }

    /// <summary>The least time each case and baseline is warmed up for, in seconds (tests use 0).</summary>
    public double WarmSeconds { get; init; } = 0.5;
}
