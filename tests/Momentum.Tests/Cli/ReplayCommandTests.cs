using Momentum.Cli.Commands;
using Momentum.IO;
using Momentum.Tests.Parity;

namespace Momentum.Tests.Cli;

public sealed class ReplayCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("momentum-replay-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Fixture(string name) => Path.Combine(TorchParityTests.FixtureDirectory, name);

    private (int Code, string Output, string Error) Run(string spec, string init, string grads, int? steps = null, string nonFinite = "throw")
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = ReplayCommand.Execute(spec, init, grads, Path.Combine(_dir, "final.safetensors"), steps, nonFinite, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void Replay_WritesTorchsFinalParameters()
    {
        var (code, _, error) = Run("adamw(lr=0.02, weight_decay=0.1)", Fixture("adamw_weight_decay.init.safetensors"), Fixture("adamw_weight_decay.grads.safetensors"));
        Assert.Equal("", error);
        Assert.Equal(0, code);
        var ours = SafeTensorsFile.Read(Path.Combine(_dir, "final.safetensors"));
        var torch = SafeTensorsFile.Read(Fixture("adamw_weight_decay.expected.safetensors"));
        Assert.Equal(torch.Tensors.Select(t => t.Name).Order(), ours.Tensors.Select(t => t.Name).Order());
        foreach (var t in torch.Tensors)
        {
            Assert.Equal(t.Shape, ours[t.Name].Shape);
            float[] a = ours[t.Name].ToSingle(), b = t.ToSingle();
            for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - b[i]) <= 2e-5 + 1e-4 * Math.Abs(b[i]));
        }
        Assert.Equal("adamw(lr=0.02, weight_decay=0.1)", ours.Metadata["spec"]);
    }

    [Theory]
    [InlineData("adam(lr=-0.1)", "Invalid learning rate: -0.1")]
    [InlineData("adam(betas=(0.9, 1.0))", "Invalid beta parameter at index 1: 1.0")]
    [InlineData("adam(lr=0.1, foo=1)", "unknown argument 'foo' for 'adam'")]
    [InlineData("adamm(lr=0.1)", "unknown optimizer or transformation 'adamm'")]
    [InlineData("adam(lr=0.1", "spec position")]
    [InlineData("sgd(lr=0.1, nesterov=true)", "Nesterov momentum requires a momentum and zero dampening")]
    [InlineData("adam(amsgrad=1)", "must be true or false")]
    public void Replay_BadSpec_ExitsTwoWithOneLineError(string spec, string expected)
    {
        var (code, _, error) = Run(spec, Fixture("adam_default.init.safetensors"), Fixture("adam_default.grads.safetensors"));
        Assert.Equal(2, code);
        Assert.Contains(expected, error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.False(File.Exists(Path.Combine(_dir, "final.safetensors")));
    }

    [Fact]
    public void Replay_GradientForUnknownParameter_NamesTheTensor()
    {
        string grads = Path.Combine(_dir, "grads.safetensors");
        new SafeTensorsWriter().Add("0/nope", [1f, 2f], 2).WriteAtomic(grads);
        var (code, _, error) = Run("sgd(lr=0.1)", Fixture("adam_default.init.safetensors"), grads);
        Assert.Equal(2, code);
        Assert.Contains("'0/nope'", error);
    }

    [Fact]
    public void Replay_MisnamedOrMisshapenGradient_IsRejected()
    {
        string grads = Path.Combine(_dir, "grads.safetensors");
        new SafeTensorsWriter().Add("x/bias", new float[13], 13).WriteAtomic(grads);
        Assert.Contains("not named <step>/<parameter>", Run("sgd(lr=0.1)", Fixture("adam_default.init.safetensors"), grads).Error);
        new SafeTensorsWriter().Add("0/bias", new float[12], 12).WriteAtomic(grads);
        var (code, _, error) = Run("sgd(lr=0.1)", Fixture("adam_default.init.safetensors"), grads);
        Assert.Equal(2, code);
        Assert.Contains("has shape [12] but parameter 'bias' has [13]", error);
    }

    [Fact]
    public void Replay_NonFiniteGradient_IsRefusedOrSkipped()
    {
        string grads = Path.Combine(_dir, "grads.safetensors");
        var bad = new float[13];
        bad[4] = float.NaN;
        new SafeTensorsWriter().Add("0/bias", bad, 13).WriteAtomic(grads);
        var (code, _, error) = Run("adam(lr=0.1)", Fixture("adam_default.init.safetensors"), grads);
        Assert.Equal(2, code);
        Assert.Contains("'bias' is not finite at element 4", error);
        (code, _, _) = Run("adam(lr=0.1)", Fixture("adam_default.init.safetensors"), grads, nonFinite: "skip");
        Assert.Equal(0, code);
        var final = SafeTensorsFile.Read(Path.Combine(_dir, "final.safetensors"));
        Assert.Equal("1", final.Metadata["skipped_steps"]);
        Assert.Equal(SafeTensorsFile.Read(Fixture("adam_default.init.safetensors"))["bias"].ToSingle(), final["bias"].ToSingle());
    }

    [Fact]
    public void Replay_MissingFile_NamesIt()
    {
        var (code, _, error) = Run("sgd(lr=0.1)", Path.Combine(_dir, "missing.safetensors"), Fixture("adam_default.grads.safetensors"));
        Assert.Equal(2, code);
        Assert.Contains("missing.safetensors", error);
    }

    private string Gradients(params string[] names)
    {
        string grads = Path.Combine(_dir, "grads.safetensors");
        var writer = new SafeTensorsWriter();
        foreach (string name in names) writer.Add(name, new float[13], 13);
        writer.WriteAtomic(grads);
        return grads;
    }

    /// <summary>A step key past Replay's maximum (1,000,000 steps) is refused from the key alone, in any file size.</summary>
    [Theory]
    [InlineData("2147483647/bias")]      // once overflowed the step count
    [InlineData("100000000/bias")]       // once took a minute and 8.7 GB from a 128-byte file
    [InlineData("1000000/bias")]         // the first key past the maximum
    [InlineData("99999999999999999999/bias")]
    public void Replay_StepKeyPastTheMaximum_ExitsTwoAtOnce(string name)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var (code, _, error) = Run("sgd(lr=0.1)", Fixture("adam_default.init.safetensors"), Gradients(name));
        Assert.Equal(2, code);
        Assert.Contains($"'{name}'", error);
        Assert.Contains("past the last step a replay may have (1000000 steps)", error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }

    [Theory]
    [InlineData(1_000_001)]
    [InlineData(2_000_000_000)]          // once ran for ever
    [InlineData(-1)]
    public void Replay_StepsOutOfRange_ExitsTwoAtOnce(int steps)
    {
        var (code, _, error) = Run("sgd(lr=0.1)", Fixture("adam_default.init.safetensors"), Gradients("0/bias"), steps);
        Assert.Equal(2, code);
        Assert.Contains($"--steps {steps}", error);
        Assert.Single(error.Trim().Split('\n'));
    }

    /// <summary>'0/w' and '00/w' once merged silently into step 0; a step key must be written one way only.</summary>
    [Theory]
    [InlineData("00/bias", "0/bias")]
    [InlineData("01/bias")]
    [InlineData("007/bias", "7/bias")]
    public void Replay_NonCanonicalStepKey_IsRefused(params string[] names)
    {
        var (code, _, error) = Run("sgd(lr=0.1)", Fixture("adam_default.init.safetensors"), Gradients(names));
        Assert.Equal(2, code);
        Assert.Contains($"'{names[0]}'", error);
        Assert.Contains("is not written canonically", error);
    }

    [Fact]
    public void Replay_LastAllowedStepKey_RunsThatManySteps()
    {
        var (code, output, error) = Run("sgd(lr=0.1)", Fixture("adam_default.init.safetensors"), Gradients("999999/bias"));
        Assert.Equal("", error);
        Assert.Equal(0, code);
        Assert.Contains("replayed 1000000 steps", output);
    }

    /// <summary>Issue 13 item 6: --out naming the same file as --params or --grads once overwrote the input silently.</summary>
    [Theory]
    [InlineData("--params", "same")]
    [InlineData("--grads", "same")]
    [InlineData("--params", "dots")]
    [InlineData("--grads", "dots")]
    [InlineData("--params", "linked folder")]
    public void Replay_OutputIsAnInput_IsRefusedAndTheInputKept(string input, string spelling)
    {
        string init = Path.Combine(_dir, "init.safetensors"), grads = Path.Combine(_dir, "grads.safetensors");
        File.Copy(Fixture("adam_default.init.safetensors"), init);
        File.Copy(Fixture("adam_default.grads.safetensors"), grads);
        string target = input == "--params" ? init : grads;
        byte[] before = File.ReadAllBytes(target);
        Directory.CreateDirectory(Path.Combine(_dir, "sub"));
        Directory.CreateSymbolicLink(Path.Combine(_dir, "alias"), _dir);
        string output = spelling switch
        {
            "dots" => Path.Combine(_dir, ".", "sub", "..", Path.GetFileName(target)),
            "linked folder" => Path.Combine(_dir, "alias", Path.GetFileName(target)),
            _ => target,
        };
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = ReplayCommand.Execute("sgd(lr=0.1)", init, grads, output, null, "throw", stdout, stderr);
        Assert.Equal(2, code);
        Assert.Contains($"is the same file as {input}", stderr.ToString());
        Assert.Equal(before, File.ReadAllBytes(target));
    }
}
