using System.Text.Json;
using Momentum.Tests.Common;
using Momentum.Tests.Parity;

namespace Momentum.Tests.Cli;

/// <summary>
/// The conventions of every <c>momentum</c> command, run as its own process: bad input is one line
/// "momentum &lt;command&gt;: …" on stderr with exit code 2, a failure of the run itself exits 1, no message carries .NET's
/// own text, misspelt names get the nearest ones suggested, and <c>--json</c> output parses.
/// </summary>
public sealed class CliConventionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("momentum-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Exit code 2, nothing on stdout, one line on stderr that names the command and carries no .NET text.</summary>
    private static string AssertBadInput((int Code, string Output, string Error) result, string command)
    {
        var (code, output, error) = result;
        Assert.True(code == 2, $"exit code {code}; stderr: {error}");
        Assert.Equal("", output);
        AssertOneCleanLine(error, command);
        return error.Trim();
    }

    private static void AssertOneCleanLine(string error, string command)
    {
        Assert.Single(error.Trim().Split('\n'));
        Assert.StartsWith(command.Length == 0 ? "momentum: " : $"momentum {command}: ", error);
        foreach (string dotnet in new[] { "(Parameter", "System.", "Actual value", "   at ", "Exception" })
            Assert.DoesNotContain(dotnet, error);
    }

    [Fact]
    public void Help_NamesTheToolMomentum()
    {
        var (code, output, _) = ChildProcess.Momentum("--help");
        Assert.Equal(0, code);
        Assert.Contains("momentum [command] [options]", output);
        Assert.DoesNotContain("Momentum.Cli", output);
        Assert.Contains("momentum tour saddle [options]", ChildProcess.Momentum("tour", "saddle", "--help").Output);
    }

    [Theory]
    [InlineData("lsit", "", "unknown command 'lsit' (did you mean list?)")]
    [InlineData("tuor", "", "unknown command 'tuor' (did you mean tour?)")]
    [InlineData("tour sadle", "tour", "unknown command 'sadle' (did you mean saddle?)")]
    [InlineData("frobnicate", "", "unknown command 'frobnicate'; the commands are replay, list, bench, tour, bench-sharded")]
    public void UnknownCommand_SaysSoAndSuggestsTheNearest(string arguments, string command, string expected)
    {
        string error = AssertBadInput(ChildProcess.Momentum(arguments.Split(' ')), command.Length == 0 ? "" : command);
        Assert.EndsWith(expected, error);
    }

    [Fact]
    public void UnknownOptimizer_SuggestsTheNearestFirst()
    {
        string error = AssertBadInput(ChildProcess.Momentum("tour", "saddle", "--optimizers", "adamm(lr=0.1)", "--out", _dir), "tour saddle");
        Assert.Contains("unknown optimizer or transformation 'adamm' (did you mean adam, adamw", error);
    }

    [Theory]
    [InlineData("--steps abc", "--steps: 'abc' is not an integer")]
    [InlineData("--steps -5", "--steps must be at least 1; got -5")]
    [InlineData("--steps 0", "--steps must be at least 1; got 0")]
    [InlineData("--optimizers ;", "--optimizers: no optimizer given")]
    [InlineData("--optimizers adam(lr=-1)", "adam: Invalid learning rate: -1.0")]
    [InlineData("--optimizers fast=", "--optimizers: 'fast=' must be label=spec")]
    [InlineData("--bogus", "unknown option or argument '--bogus'")]
    public void TourSaddle_BadInput_ExitsTwoWithOneLine(string arguments, string expected)
    {
        string error = AssertBadInput(ChildProcess.Momentum(["tour", "saddle", .. arguments.Split(' '), "--out", _dir]), "tour saddle");
        Assert.Contains(expected, error);
        Assert.False(File.Exists(Path.Combine(_dir, "report.html")));
    }

    /// <summary>An empty <c>--optimizers</c> once crashed with a stack trace (issue 15).</summary>
    [Fact]
    public void TourSaddle_EmptyOptimizers_ExitsTwoWithOneLine() =>
        Assert.Contains("--optimizers: no optimizer given", AssertBadInput(ChildProcess.Momentum("tour", "saddle", "--optimizers", "", "--out", _dir), "tour saddle"));

    [Theory]
    [InlineData("gaussians", "--seeds 0", "--seeds must be at least 1; got 0")]
    [InlineData("gaussians", "--size 3", "--size must be between 8 and 4096; got 3")]
    [InlineData("classifier", "--epochs 0", "--epochs must be at least 1; got 0")]
    [InlineData("classifier", "--data /nonexistent-momentum-data --optimizers sgd", "/nonexistent-momentum-data")]
    [InlineData("gan", "--optimizers nope(lr=1)", "unknown optimizer or transformation 'nope'")]
    [InlineData("gaussians", "--image /nonexistent-momentum.ppm", "--image: file '/nonexistent-momentum.ppm' does not exist")]
    public void TourExperiments_BadInput_ExitsTwoWithOneLine(string experiment, string arguments, string expected)
    {
        string error = AssertBadInput(ChildProcess.Momentum(["tour", experiment, .. arguments.Split(' '), "--out", _dir]), "tour " + experiment);
        Assert.Contains(expected, error);
    }

    /// <summary><c>tour</c> takes <c>--optimizers</c> itself (docs/TOUR.md) and checks it before any experiment runs.</summary>
    [Fact]
    public void Tour_Optimizers_IsAnOptionOfTheTourItself()
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        string error = AssertBadInput(ChildProcess.Momentum("tour", "--optimizers", "sgd(lr=0.1); adamm", "--out", _dir), "tour");
        Assert.Contains("unknown optimizer or transformation 'adamm'", error);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"took {watch.Elapsed}: the experiments ran before the check");
    }

    /// <summary>A failure of the run itself (here the output folder cannot be made: a file has its name) exits 1.</summary>
    [Fact]
    public void Tour_OutputFolderIsAFile_ExitsOne()
    {
        string file = Path.Combine(_dir, "taken");
        File.WriteAllText(file, "");
        var (code, _, error) = ChildProcess.Momentum("tour", "saddle", "--steps", "5", "--out", file);
        Assert.True(code == 1, $"exit code {code}; stderr: {error}");
        AssertOneCleanLine(error, "tour saddle");
    }

    [Theory]
    [InlineData("adam(lr=-0.1)", "Invalid learning rate: -0.1")]
    [InlineData("adamm(lr=0.1)", "(did you mean adam, adamw")]
    [InlineData("sgd(lr=step_lr(lr=0.1, step_size=0))", "step_lr: step_size must be > 0; got 0.")]
    [InlineData("multi_steps(sgd(lr=0.1), every_k_schedule=0)", "must be greater than or equal to 1; got 0.")]
    public void Replay_BadSpec_HasNoDotNetText(string spec, string expected)
    {
        string error = AssertBadInput(ChildProcess.Momentum(
            "replay", "--optimizer", spec,
            "--params", Path.Combine(TorchParityTests.FixtureDirectory, "adam_default.init.safetensors"),
            "--grads", Path.Combine(TorchParityTests.FixtureDirectory, "adam_default.grads.safetensors"),
            "--out", Path.Combine(_dir, "final.safetensors")), "replay");
        Assert.Contains(expected, error);
    }

    [Theory]
    [InlineData("replay", "--optimizer is required")]
    [InlineData("list extra", "unknown option or argument 'extra'")]
    [InlineData("replay --steps x --optimizer sgd --params a --grads b --out c", "--steps: 'x' is not an integer")]
    public void ParseErrors_AreOneLineNamingTheCommand(string arguments, string expected)
    {
        string[] words = arguments.Split(' ');
        Assert.Contains(expected, AssertBadInput(ChildProcess.Momentum(words), words[0]));
    }

    /// <summary><c>-o</c> means the output everywhere: <c>replay -o</c> is <c>--out</c>, as in the tour.</summary>
    [Fact]
    public void ShortO_IsTheOutputInEveryCommand()
    {
        string final = Path.Combine(_dir, "final.safetensors");
        var (code, _, error) = ChildProcess.Momentum("replay", "--optimizer", "sgd(lr=0.1)",
            "--params", Path.Combine(TorchParityTests.FixtureDirectory, "adam_default.init.safetensors"),
            "--grads", Path.Combine(TorchParityTests.FixtureDirectory, "adam_default.grads.safetensors"), "-o", final);
        Assert.True(code == 0, error);
        Assert.True(File.Exists(final));
    }

    [Fact]
    public void ListJson_ParsesAndNamesEveryEntry()
    {
        var (code, output, error) = ChildProcess.Momentum("list", "--json");
        Assert.True(code == 0, error);
        using var json = JsonDocument.Parse(output);
        var transformations = json.RootElement.GetProperty("transformations").EnumerateArray().ToList();
        var schedules = json.RootElement.GetProperty("schedules").EnumerateArray().ToList();
        Assert.Equal(Momentum.Specs.SpecRegistry.Default.Transformations.Count(), transformations.Count);
        Assert.Equal(Momentum.Specs.SpecRegistry.Default.Schedules.Count(), schedules.Count);
        Assert.Contains(transformations, t => t.GetProperty("name").GetString() == "adamw" && t.GetProperty("summary").GetString()!.Contains("torch.optim.AdamW"));
        Assert.Contains(schedules, t => t.GetProperty("name").GetString() == "cosine_decay_schedule");
    }

    [Fact]
    public void ReplayJson_IsASummaryThatParses()
    {
        string final = Path.Combine(_dir, "final.safetensors");
        var (code, output, error) = ChildProcess.Momentum("replay", "--json", "--optimizer", "adam(lr=0.01)",
            "--params", Path.Combine(TorchParityTests.FixtureDirectory, "adam_default.init.safetensors"),
            "--grads", Path.Combine(TorchParityTests.FixtureDirectory, "adam_default.grads.safetensors"), "--out", final);
        Assert.True(code == 0, error);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.Equal("adam(lr=0.01)", root.GetProperty("spec").GetString());
        Assert.Equal(Path.GetFullPath(final), root.GetProperty("output").GetString());
        Assert.True(root.GetProperty("steps").GetInt32() > 0);
        Assert.Equal(0, root.GetProperty("skipped_steps").GetInt32());
        var written = Momentum.IO.SafeTensorsFile.Read(final);
        var parameters = root.GetProperty("parameters").EnumerateArray().ToList();
        Assert.Equal(written.Tensors.Count, parameters.Count);
        foreach (var p in parameters)
        {
            float[] values = written[p.GetProperty("name").GetString()!].ToSingle();
            double norm = Math.Sqrt(values.Sum(v => (double)v * v));
            Assert.Equal(norm, p.GetProperty("final_norm").GetDouble(), 1e-9 * Math.Max(1, norm));
            Assert.Equal(values.Length, p.GetProperty("elements").GetInt32());
        }
    }
}
