using Momentum.Cli.Commands;
using Momentum.IO;
using Momentum.Tests.Parity;

namespace Momentum.Tests.Contrib;

public sealed class ContribReplayTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("momentum-contrib-replay-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private float[][] Replay(string spec)
    {
        string init = Path.Combine(TorchParityTests.FixtureDirectory, "adam_default.init.safetensors");
        string grads = Path.Combine(TorchParityTests.FixtureDirectory, "adam_default.grads.safetensors");
        string output = Path.Combine(_dir, "final.safetensors");
        var error = new StringWriter();
        int code = ReplayCommand.Execute(spec, init, grads, output, null, "throw", new StringWriter(), error);
        Assert.True(code == 0, error.ToString());
        var file = SafeTensorsFile.Read(output);
        Assert.NotEmpty(file.Tensors);
        Assert.All(file.Tensors, t => Assert.DoesNotContain('/', t.Name));
        return [.. file.Tensors.OrderBy(t => t.Name, StringComparer.Ordinal).Select(t => t.ToSingle())];
    }

    [Theory]
    [InlineData("apply_if_finite(adam(lr=1e-3), max_consecutive_errors=5)", "adam(lr=1e-3)")]
    [InlineData("multi_steps(sgd(lr=0.1), every_k_schedule=1)", "sgd(lr=0.1)")]
    [InlineData("flatten(adam(lr=1e-3))", "adam(lr=1e-3)")]
    [InlineData("lookahead(sgd(lr=0.1), sync_period=1, slow_step_size=1)", "sgd(lr=0.1)")]
    public void Replay_WrapperThatShouldNotChangeTheRun_GivesTheSameParameters(string wrapped, string plain) =>
        Assert.Equal(Replay(plain), Replay(wrapped));

    [Theory]
    [InlineData("multi_steps(adam(lr=1e-3), every_k_schedule=4)")]
    [InlineData("lookahead(sgd(lr=0.1), sync_period=5, slow_step_size=0.5)")]
    [InlineData("prodigy()")]
    [InlineData("muon(lr=0.02)")]
    public void Replay_AcceptsContribSpecs(string spec) => Assert.All(Replay(spec), t => Assert.All(t, v => Assert.True(float.IsFinite(v))));
}
