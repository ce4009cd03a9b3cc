using System.Diagnostics;
using System.Text.Json;
using Momentum.Cli.Commands;
using Momentum.Specs;

namespace Momentum.Tests.Cli;

public sealed class BenchCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("momentum-bench-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Tiny sizes, one round, no warm-up time: a run that checks the output, not the machine.</summary>
    private static BenchSettings Tiny(int size = 4096) =>
        new(Size: size, Threads: 2, Repeats: 1, SmallCount: 20, SmallLength: 100, Torch: false, Python: "/usr/bin/python3") { WarmSeconds = 0 };

    private static (string Message, BenchSettings Settings)[] BadSettings(string dir) =>
    [
        ("--size must be at least 1 (got 0).", Tiny() with { Size = 0 }),
        ("--threads must be at least 1 (got 0).", Tiny() with { Threads = 0 }),
        ("--repeats must be at least 1 (got -1).", Tiny() with { Repeats = -1 }),
        ("--torch times the default cases; it does not combine with --breadth.", Tiny() with { Torch = true, Breadth = true }),
        ("--json needs a file name, or '-' for stdout.", Tiny() with { Json = "" }),
        ($"--json: the directory {Path.Combine(dir, "missing")} does not exist.", Tiny() with { Json = Path.Combine(dir, "missing", "out.json") }),
    ];

    [Fact]
    public void Bench_BadArguments_ExitTwoWithOneLineOnStderr()
    {
        foreach (var (message, settings) in BadSettings(_dir))
        {
            var output = new StringWriter();
            var error = new StringWriter();
            Assert.Equal(2, BenchCommand.Run(settings, output, error));
            Assert.Equal($"momentum bench: {message}{Environment.NewLine}", error.ToString());
            Assert.Equal("", output.ToString());
        }
    }

    [Fact]
    public void Bench_MatrixWithBreadth_ExitsTwoFromTheCommandLine()
    {
        var (code, output, error) = ChildProcessRun("bench", "--matrix", "8", "--breadth");
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Equal("momentum bench: --matrix does not combine with --breadth, --torch or --json.", error.Trim());
    }

    [Fact]
    public void Bench_Json_ParsesAndHasTheFields()
    {
        string path = Path.Combine(_dir, "bench.json");
        var output = new StringWriter();
        Assert.Equal(0, BenchCommand.Run(Tiny() with { Json = path }, output, TextWriter.Null));

        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        var machine = root.GetProperty("machine");
        Assert.False(string.IsNullOrWhiteSpace(machine.GetProperty("cpu").GetString()));
        Assert.Equal(Environment.ProcessorCount, machine.GetProperty("processors").GetInt32());
        Assert.Contains(machine.GetProperty("simd").GetString(), new[] { "Vector512", "Vector256", "Vector128", "none (scalar)" });
        Assert.Equal(3, root.GetProperty("load_average").GetProperty("before").GetString()!.Split(' ').Length);
        Assert.Equal(4096, root.GetProperty("settings").GetProperty("size").GetInt32());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("torch").ValueKind);
        var cases = root.GetProperty("cases").EnumerateArray().ToList();
        Assert.Equal(10, cases.Count);
        foreach (var c in cases)
        {
            string name = c.GetProperty("name").GetString()!;
            Assert.Contains($"| {name} |", output.ToString());
            Assert.Contains(c.GetProperty("kind").GetString(), new[] { "element-wise", "reduction", "tensor", "whole-step" });
            int reads = c.GetProperty("read_streams").GetInt32(), writes = c.GetProperty("write_streams").GetInt32();
            Assert.InRange(writes, 1, reads);
            Assert.Equal(4 * (reads + writes), c.GetProperty("bytes_per_element").GetInt32());
            foreach (string stats in new[] { "ms_per_step", "ceiling_ms", "fraction_of_ceiling", "adam_ms", "times_adam" })
            {
                var s = c.GetProperty(stats);
                Assert.True(s.GetProperty("min").GetDouble() > 0, $"{name}: {stats}");
                Assert.InRange(s.GetProperty("median").GetDouble(), s.GetProperty("min").GetDouble(), s.GetProperty("max").GetDouble());
            }
            Assert.True(c.GetProperty("gb_per_s").GetDouble() > 0);
            Assert.True(c.GetProperty("allocated_bytes_per_step").GetDouble() >= 0);
            Assert.Equal(3, c.GetProperty("load_average").GetString()!.Split(' ').Length);
        }
        var adam = cases.Single(c => c.GetProperty("name").GetString() == "adam");
        Assert.Equal(4, adam.GetProperty("read_streams").GetInt32());
        Assert.Equal(3, adam.GetProperty("write_streams").GetInt32());
        Assert.Contains("load average after the run:", output.ToString());
    }

    [Fact]
    public void Bench_JsonToStdout_WritesOnlyJsonThere_AndTheTableToStderr()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.Equal(0, BenchCommand.Run(Tiny(1024) with { Json = "-" }, output, error));
        using var doc = JsonDocument.Parse(output.ToString());
        Assert.Equal(10, doc.RootElement.GetProperty("cases").GetArrayLength());
        Assert.Contains("| case | kind | traffic |", error.ToString());
    }

    /// <summary>Every registered optimizer is a row of --breadth, and the element-wise ones (judged here from their
    /// stages, independently of the command) are listed as such.</summary>
    [Fact]
    public void Breadth_ListsEveryRegisteredOptimizer_WithTheElementwiseOnesAsSuch()
    {
        var output = new StringWriter();
        Assert.Equal(0, BenchCommand.Run(Tiny(256) with { Breadth = true, Json = "-" }, output, TextWriter.Null));
        using var doc = JsonDocument.Parse(output.ToString());
        var rows = doc.RootElement.GetProperty("cases").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => (Kind: c.GetProperty("kind").GetString()!, Spec: c.GetProperty("spec").GetString()!));

        var registry = SpecRegistry.Default;
        var elementwise = new List<string>();
        foreach (string name in registry.OptimizerNames)
        {
            Assert.True(rows.TryGetValue(name, out var row), $"{name} is missing");
            Assert.Equal(registry.Example(name), row.Spec);
            var set = new ParameterSet();
            var p = set.Add("embed.weight", 256);
            set.Add("head.bias", 64); // the examples' group globs must match, as in the bench's cases
            var optimizer = new Optimizer(registry.Create(registry.Example(name)), set);
            bool isElementwise = optimizer.Transformation is not StepWrapper
                && optimizer.StagesOf(p).All(s => s.Transformation is ElementwiseTransformation and not ReducingTransformation);
            if (isElementwise) elementwise.Add(name);
            Assert.True(isElementwise == (row.Kind == "element-wise"), $"{name}: listed as {row.Kind}");
        }
        Assert.Contains("adam", elementwise);
        Assert.Contains("rmsprop", elementwise);
        Assert.True(elementwise.Count >= 30, $"only {elementwise.Count} element-wise optimizers");
        foreach (string name in new[] { "lamb", "lars", "schedule_free_adamw" }) Assert.True(rows.ContainsKey(name), name);
        Assert.Equal("tensor", rows["muon (16 x 16)"].Kind);
        Assert.Equal("tensor", rows["adafactor (16 x 16)"].Kind);
    }

    [Fact]
    public void Traffic_IsDerivedFromTheState()
    {
        Assert.Equal((2, 1), TrafficOf(Optimizers.Sgd(new SgdOptions { LearningRate = 0.1 })));
        Assert.Equal((3, 2), TrafficOf(Optimizers.Sgd(new SgdOptions { LearningRate = 0.1, Momentum = 0.9 })));
        Assert.Equal((4, 3), TrafficOf(Optimizers.Adam()));
        Assert.Equal((3, 2), TrafficOf(Optimizers.Adam(new AdamOptions { BFloat16State = true })));
        Assert.Equal((5, 3), TrafficOf(Optimizers.Adam(), NonFiniteGradients.Throw));
        Assert.Equal((5, 3), TrafficOf(Transforms.Chain(Transforms.ClipByGlobalNorm(1.0), Optimizers.Adam())));
    }

    private static (int, int) TrafficOf(GradientTransformation transformation, NonFiniteGradients check = NonFiniteGradients.Propagate)
    {
        var c = new BenchCommand.BenchCase("t", "t", null, () => transformation, 1, 1001) { Check = check };
        var set = new ParameterSet();
        var p = set.Add("w", 1001);
        var gradients = new GradientSet(set);
        gradients.Get(p, clear: true).Fill(0.01f);
        var optimizer = new Optimizer(transformation, set, new OptimizerOptions { NonFiniteGradients = check });
        optimizer.Step(gradients);
        return BenchCommand.Traffic(optimizer, c, p);
    }

    [Fact]
    public void Torch_ScriptShipsNextToTheTool() =>
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "tools", "bench", "torch_bench.py"), BenchCommand.TorchClient.FindScript());

    [Fact]
    public void Torch_MissingInterpreter_SaysSoInOneLineAndExitsOne()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        string python = Path.Combine(_dir, "no-such-python3");
        Assert.Equal(1, BenchCommand.Run(Tiny() with { Torch = true, Python = python }, output, error));
        Assert.Single(error.ToString().Trim().Split('\n'));
        Assert.StartsWith($"momentum bench: --torch needs Python 3 with PyTorch: cannot start {python}", error.ToString());
        Assert.Equal("", output.ToString());
    }

    [TorchAbsentFact]
    public void Torch_NotInstalled_SaysSoInOneLineAndExitsOne()
    {
        var error = new StringWriter();
        Assert.Equal(1, BenchCommand.Run(Tiny() with { Torch = true }, TextWriter.Null, error));
        Assert.Single(error.ToString().Trim().Split('\n'));
        Assert.StartsWith("momentum bench: --torch: PyTorch is not installed for /usr/bin/python3", error.ToString());
    }

    [TorchFact]
    public void Torch_Installed_TimesTheSameCasesInterleaved()
    {
        var output = new StringWriter();
        Assert.Equal(0, BenchCommand.Run(Tiny() with { Torch = true, Json = "-" }, output, TextWriter.Null));
        using var doc = JsonDocument.Parse(output.ToString());
        Assert.False(string.IsNullOrEmpty(doc.RootElement.GetProperty("torch").GetProperty("version").GetString()));
        var timed = doc.RootElement.GetProperty("cases").EnumerateArray().Where(c => c.GetProperty("torch").ValueKind == JsonValueKind.Object).ToList();
        Assert.Equal(7, timed.Count);
        foreach (var c in timed) Assert.True(c.GetProperty("torch").GetProperty("ms_per_step").GetProperty("min").GetDouble() > 0);
    }

    private static (int Code, string Output, string Error) ChildProcessRun(params string[] arguments) =>
        Common.ChildProcess.Run("Momentum.Cli.dll", TimeSpan.FromMinutes(1), arguments);

    /// <summary>Whether /usr/bin/python3 imports torch; null when there is no /usr/bin/python3.</summary>
    internal static readonly Lazy<bool?> s_torch = new(() =>
    {
        if (!File.Exists("/usr/bin/python3")) return null;
        using var process = Process.Start(new ProcessStartInfo("/usr/bin/python3", ["-c", "import torch"]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        process.WaitForExit();
        return process.ExitCode == 0;
    });
}

/// <summary>A fact that needs /usr/bin/python3 without PyTorch; skipped where torch is installed or Python is missing.</summary>
public sealed class TorchAbsentFactAttribute : FactAttribute
{
    public TorchAbsentFactAttribute()
    {
        if (BenchCommandTests.s_torch.Value != false) Skip = "needs /usr/bin/python3 without PyTorch";
    }
}

/// <summary>A fact that needs /usr/bin/python3 with PyTorch (Debian's python3-torch); skipped elsewhere.</summary>
public sealed class TorchFactAttribute : FactAttribute
{
    public TorchFactAttribute()
    {
        if (BenchCommandTests.s_torch.Value != true) Skip = "needs /usr/bin/python3 with PyTorch (python3-torch)";
    }
}
