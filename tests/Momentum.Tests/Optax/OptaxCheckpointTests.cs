using Momentum.IO;
using Momentum.Specs;

namespace Momentum.Tests.Optax;

/// <summary>Every Optax block's state (tensors, counts, NovoGrad's ν, factored and cover statistics) survives a checkpoint bit for bit.</summary>
public sealed class OptaxCheckpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("momentum-optax-ckpt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ParameterSet MakeParameters()
    {
        var set = new ParameterSet();
        var rng = new Random(5);
        set.Add("w", [17, 33], [.. Enumerable.Range(0, 17 * 33).Select(_ => (float)rng.NextDouble() - 0.5f)]);
        set.Add("b", [33], [.. Enumerable.Range(0, 33).Select(_ => (float)rng.NextDouble())]);
        set.Add("s", [], [0.5f]);
        return set;
    }

    private static void Steps(Optimizer optimizer, int from, int count)
    {
        var grads = new GradientSet(optimizer.Parameters);
        for (int t = from; t < from + count; t++)
        {
            var rng = new Random(2000 + t);
            foreach (var p in optimizer.Parameters)
            {
                var g = grads.Get(p);
                for (int i = 0; i < g.Length; i++) g[i] = (float)(rng.NextDouble() * 2 - 1);
            }
            optimizer.Step(grads, 1.0 + t);
        }
    }

    [Theory]
    [InlineData("acprop(lr=0.01, weight_decay=0.01)")]
    [InlineData("adan(lr=0.01)")]
    [InlineData("novograd(lr=0.01)")]
    [InlineData("lamb(lr=0.01)")]
    [InlineData("yogi(lr=0.01)")]
    [InlineData("optimistic_adam(lr=0.01)")]
    [InlineData("optax.rprop(lr=0.01)")]
    [InlineData("sm3(lr=0.1)")]
    [InlineData("adafactor(lr=0.01, min_dim_size_to_factor=16, momentum=0.9)")]
    [InlineData("noisy_sgd(lr=0.01, seed=3)")]
    [InlineData("polyak_sgd(f_min=-100)")]
    public void SaveLoadContinue_IsBitExact(string spec)
    {
        var straight = new Optimizer(SpecRegistry.Default.Create(spec), MakeParameters());
        Steps(straight, 0, 6);
        string path = Path.Combine(_dir, "ckpt.safetensors");
        Checkpoint.Save(path, straight);
        Steps(straight, 6, 6);

        var resumed = new Optimizer(SpecRegistry.Default.Create(spec), MakeParameters());
        Checkpoint.Load(path, resumed);
        Steps(resumed, 6, 6);
        foreach (var p in straight.Parameters)
            Assert.Equal(p.Values.ToArray(), resumed.Parameters[p.Name].Values.ToArray());
    }
}
