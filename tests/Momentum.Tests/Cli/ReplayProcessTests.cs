using Momentum.Tests.Common;
using Momentum.Tests.Parity;

namespace Momentum.Tests.Cli;

/// <summary><c>momentum replay</c> run as its own process: inputs that once crashed the process exit 2 with one line.</summary>
public sealed class ReplayProcessTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("momentum-replay-process-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (int Code, string Output, string Error) Replay(string spec) => ChildProcess.Momentum(
        "replay", "--optimizer", spec,
        "--params", Path.Combine(TorchParityTests.FixtureDirectory, "adam_default.init.safetensors"),
        "--grads", Path.Combine(TorchParityTests.FixtureDirectory, "adam_default.grads.safetensors"),
        "--out", Path.Combine(_dir, "final.safetensors"));

    /// <summary>20,000 nested lists or 12,000 nested calls once overflowed the stack (an uncatchable crash).</summary>
    [Theory]
    [InlineData("adam(lr=", "[", "1", "]", 20_000)]
    [InlineData("", "chain(", "adam", ")", 12_000)]
    public void Replay_DeeplyNestedSpec_ExitsTwoWithOneLine(string prefix, string open, string inner, string close, int depth)
    {
        string spec = prefix + string.Concat(Enumerable.Repeat(open, depth)) + inner + string.Concat(Enumerable.Repeat(close, depth)) + (prefix.Length > 0 ? ")" : "");
        var (code, output, error) = Replay(spec);
        Assert.True(code == 2, $"exit code {code}; stderr: {error[..Math.Min(error.Length, 400)]}");
        Assert.Equal("", output);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Contains("nested deeper than 64 levels", error);
    }
}
