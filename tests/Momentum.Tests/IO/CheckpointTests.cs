using Momentum.IO;
using Momentum.Specs;

namespace Momentum.Tests.IO;

public sealed class CheckpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("momentum-ckpt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ParameterSet MakeParameters()
    {
        var set = new ParameterSet();
        var rng = new Random(7);
        set.Add("w", [17, 33], [.. Enumerable.Range(0, 17 * 33).Select(_ => (float)rng.NextDouble() - 0.5f)]);
        set.Add("b", [33], [.. Enumerable.Range(0, 33).Select(_ => (float)rng.NextDouble())]);
        set.Add("s", [], [0.5f]);
        set.Add("late", [4], [1f, 2f, 3f, 4f]);
        return set;
    }

    private static void Steps(Optimizer optimizer, int from, int count)
    {
        var grads = new GradientSet(optimizer.Parameters);
        for (int t = from; t < from + count; t++)
        {
            grads.ClearAll();
            var rng = new Random(1000 + t);
            foreach (var p in optimizer.Parameters)
            {
                if (p.Name == "late" && t < 25) continue; // no gradient yet: no state
                var g = grads.Get(p);
                for (int i = 0; i < g.Length; i++) g[i] = (float)(rng.NextDouble() * 2 - 1);
            }
            optimizer.Step(grads);
        }
    }

    [Theory]
    [InlineData("adam(lr=0.01, amsgrad=true, weight_decay=0.1)")]
    [InlineData("adamw(lr=0.01)")]
    [InlineData("sgd(lr=0.05, momentum=0.9, nesterov=true)")]
    [InlineData("chain(clip_by_global_norm(max_norm=1.0), adamw(lr=0.01))")]
    public void SaveLoadContinue_IsBitExact(string spec)
    {
        var straight = new Optimizer(SpecRegistry.Default.Create(spec), MakeParameters());
        Steps(straight, 0, 20);
        string path = Path.Combine(_dir, "ckpt.safetensors");
        Checkpoint.Save(path, straight);
        Assert.False(straight.HasState(straight.Parameters["late"]));
        Steps(straight, 20, 20);

        var resumed = new Optimizer(SpecRegistry.Default.Create(spec), MakeParameters());
        Checkpoint.Load(path, resumed);
        Assert.Equal(20, resumed.StepCount);
        Steps(resumed, 20, 20);
        foreach (var p in straight.Parameters)
            Assert.Equal(p.Values.ToArray(), resumed.Parameters[p.Name].Values.ToArray());
    }

    /// <summary>An Adam checkpoint after three steps, and an SGD optimizer after two to load it into.</summary>
    private (string Path, Optimizer Sgd) AdamCheckpointAndSgd()
    {
        var adam = new Optimizer(SpecRegistry.Default.Create("adam(lr=0.01)"), MakeParameters());
        Steps(adam, 0, 3);
        string path = Path.Combine(_dir, "adam.safetensors");
        Checkpoint.Save(path, adam);
        var sgd = new Optimizer(SpecRegistry.Default.Create("sgd(lr=0.01, momentum=0.9)"), MakeParameters());
        Steps(sgd, 0, 2);
        return (path, sgd);
    }

    [Fact]
    public void Load_WrongOptimizer_ChangesNothing()
    {
        var (path, sgd) = AdamCheckpointAndSgd();
        float[] before = sgd.Parameters["w"].Values.ToArray();
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, sgd));
        Assert.Contains("tensor 'state/", error.Message);
        Assert.Equal(before, sgd.Parameters["w"].Values.ToArray());
        Assert.Equal(2, sgd.StepCount);
    }

    [Fact]
    public void Load_WrongShape_NamesTheTensor()
    {
        var a = new Optimizer(SpecRegistry.Default.Create("adam(lr=0.01)"), MakeParameters());
        string path = Path.Combine(_dir, "a.safetensors");
        Checkpoint.Save(path, a);
        var other = new ParameterSet();
        other.Add("w", 17, 32);
        other.Add("b", 33);
        other.Add("s");
        other.Add("late", 4);
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, new Optimizer(Optimizers.Adam(), other)));
        Assert.Contains("'param/w' has shape [17, 33]; expected [17, 32]", error.Message);
    }

    [Fact]
    public void Load_MissingStateName_ListsTheNamesTheFileHasNearestFirst()
    {
        var (path, sgd) = AdamCheckpointAndSgd();
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, sgd));
        Assert.DoesNotContain('\n', error.Message);
        // The missing name, then what the file holds under that parameter, nearest first.
        Assert.Matches(@"tensor 'state/w/[^']*' is missing; the file has \d+ tensors, nearest: 'state/w/", error.Message);
        Assert.Contains("more)", error.Message); // the list is cut after a few names
    }

    [Fact]
    public void Load_MissingParameter_NamesTheNearestPresent()
    {
        var a = new Optimizer(Optimizers.Adam(), MakeParameters());
        string path = Path.Combine(_dir, "a.safetensors");
        Checkpoint.Save(path, a);
        var renamed = new ParameterSet();
        renamed.Add("weight", 17, 33);
        renamed.Add("b", 33);
        renamed.Add("s");
        renamed.Add("late", 4);
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.LoadParameters(path, renamed));
        Assert.Contains("tensor 'param/weight' is missing; the file has 6 tensors, nearest: 'param/w', ", error.Message);
    }

    [Fact]
    public void Save_IsReadableAsPlainSafetensors()
    {
        var a = new Optimizer(Optimizers.Adam(), MakeParameters());
        Steps(a, 0, 2);
        string path = Path.Combine(_dir, "a.safetensors");
        Checkpoint.Save(path, a);
        var file = SafeTensorsFile.Read(path);
        Assert.Equal([17L, 33L], file["state/w/0.scale_by_adam/mu"].Shape);
        Assert.Equal(2.0, file["state/w/0.scale_by_adam/count"].ToDouble()[0]);
        Assert.Equal(2L, file["optimizer/step_count"].ToInt64()[0]);
    }
}
