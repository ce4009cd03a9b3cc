using Momentum.Specs;

namespace Momentum.Tests.Core;

public class EngineTests
{
    /// <summary>Sizes around the chunk and block lengths so packing, splitting and tails are all exercised.</summary>
    private static ParameterSet MakeParameters(int seed)
    {
        var rng = new Random(seed);
        var set = new ParameterSet();
        int[][] shapes = [[3], [], [Optimizer.ChunkLength + 5], [7, 1031], [Optimizer.ChunkLength * 2], [1, 17], [0, 4], [Optimizer.BlockLength - 1]];
        for (int i = 0; i < shapes.Length; i++)
        {
            long n = shapes[i].Aggregate(1L, (a, d) => a * d);
            set.Add($"p{i}", shapes[i], [.. Enumerable.Range(0, (int)n).Select(_ => (float)(rng.NextDouble() * 2 - 1))]);
        }
        return set;
    }

    private static ParameterSet Run(string spec, int threads, int steps = 6, NonFiniteGradients policy = NonFiniteGradients.Throw)
    {
        var set = MakeParameters(1);
        var optimizer = new Optimizer(SpecRegistry.Default.Create(spec), set, new OptimizerOptions { Threads = threads, NonFiniteGradients = policy });
        var grads = new GradientSet(set);
        for (int t = 0; t < steps; t++)
        {
            var rng = new Random(100 + t);
            grads.ClearAll();
            foreach (var p in set)
            {
                if ((p.Index + t) % 4 == 3) continue; // some parameters have no gradient at some steps
                var g = grads.Get(p);
                for (int i = 0; i < g.Length; i++) g[i] = (float)(rng.NextDouble() * 4 - 2);
            }
            optimizer.Step(grads);
        }
        return set;
    }

    [Theory]
    [InlineData("adamw(lr=0.01)")]
    [InlineData("chain(clip_by_global_norm(max_norm=3.0), adam(lr=0.01, amsgrad=true))")]
    [InlineData("chain(adam(lr=0.01), clip_by_global_norm(max_norm=0.5))")]
    [InlineData("chain(clip_by_norm(max_norm=1.0), sgd(lr=0.1, momentum=0.9, nesterov=true))")]
    public void Step_AnyThreadCount_GivesIdenticalBits(string spec)
    {
        var one = Run(spec, threads: 1);
        foreach (int threads in new[] { 2, 3, 8 })
        {
            var many = Run(spec, threads);
            foreach (var p in one) Assert.Equal(p.Values.ToArray(), many[p.Name].Values.ToArray());
        }
    }

    [Fact]
    public void MaterializedPath_MatchesFusedPath_BitForBit()
    {
        // A reduction in the middle of a chain forces the materialized path; with a limit no update reaches, it is the
        // identity, so both paths must give the same bits.
        var fused = Run("adamw(lr=0.01)", threads: 2);
        var materialized = Run("chain(scale(step_size=1.0), clip_by_global_norm(max_norm=1e30), adamw(lr=0.01))", threads: 2);
        foreach (var p in fused) Assert.Equal(p.Values.ToArray(), materialized[p.Name].Values.ToArray());
        var optimizer = new Optimizer(SpecRegistry.Default.Create("chain(scale(step_size=1.0), clip_by_global_norm(max_norm=1e30), adamw(lr=0.01))"), MakeParameters(1));
        Assert.False(optimizer.IsFused);
        Assert.True(new Optimizer(Optimizers.AdamW(), MakeParameters(1)).IsFused);
    }

    [Fact]
    public void ClipByGlobalNorm_ScalesAllGradientsTogether()
    {
        var set = new ParameterSet();
        var a = set.Add("a", [2], [0f, 0f]);
        var b = set.Add("b", [1], [0f]);
        var optimizer = new Optimizer(Transforms.Chain(Transforms.ClipByGlobalNorm(1.0), Transforms.ScaleByLearningRate(1.0)), set);
        var grads = new GradientSet(set);
        grads.Set(a, [3f, 0f]);
        grads.Set(b, [4f]);
        optimizer.Step(grads);
        Assert.Equal([-0.6f, 0f], a.Values.ToArray());
        Assert.Equal([-0.8f], b.Values.ToArray());
    }

    [Fact]
    public void ClipByNorm_ClipsEachTensorByItsOwnNorm()
    {
        var set = new ParameterSet();
        var a = set.Add("a", [2], [0f, 0f]);
        var b = set.Add("b", [1], [0f]);
        var optimizer = new Optimizer(Transforms.Chain(Transforms.ClipByNorm(1.0), Transforms.ScaleByLearningRate(1.0)), set);
        var grads = new GradientSet(set);
        grads.Set(a, [3f, 4f]);
        grads.Set(b, [0.5f]);
        optimizer.Step(grads);
        Assert.Equal(-0.6, a.Values[0], 1e-6);
        Assert.Equal(-0.8, a.Values[1], 1e-6);
        Assert.Equal(-0.5f, b.Values[0]);
    }

    [Fact]
    public void ClipByValue_Clamps()
    {
        var set = new ParameterSet();
        var a = set.Add("a", [3], [0f, 0f, 0f]);
        var optimizer = new Optimizer(Transforms.Chain(Transforms.ClipByValue(0.5), Transforms.ScaleByLearningRate(1.0)), set);
        var grads = new GradientSet(set);
        grads.Set(a, [3f, -4f, 0.25f]);
        optimizer.Step(grads);
        Assert.Equal([-0.5f, 0.5f, -0.25f], a.Values.ToArray());
    }

    [Fact]
    public void NonFiniteGradient_Throw_ChangesNothing_Skip_Counts()
    {
        var set = MakeParameters(3);
        var optimizer = new Optimizer(Optimizers.Adam(new AdamOptions { LearningRate = 0.1 }), set);
        var grads = new GradientSet(set);
        foreach (var p in set) grads.Get(p, clear: true).Fill(0.5f);
        optimizer.Step(grads);
        var snapshot = set.Select(p => p.Values.ToArray()).ToList();
        var mu = ((ScaleByAdamState)optimizer.GetState(set[2], "0.scale_by_adam")!).Mu.Span.ToArray();
        grads.Get(set[2])[Optimizer.ChunkLength + 1] = float.PositiveInfinity;
        var error = Assert.Throws<NonFiniteGradientException>(() => optimizer.Step(grads));
        Assert.Equal("p2", error.ParameterName);
        Assert.Equal(Optimizer.ChunkLength + 1, error.Index);
        Assert.Equal(1, optimizer.StepCount);
        for (int i = 0; i < set.Count; i++) Assert.Equal(snapshot[i], set[i].Values.ToArray());
        Assert.Equal(mu, ((ScaleByAdamState)optimizer.GetState(set[2], "0.scale_by_adam")!).Mu.Span.ToArray());

        var skipping = new Optimizer(Optimizers.Adam(), set, new OptimizerOptions { NonFiniteGradients = NonFiniteGradients.Skip });
        Assert.False(skipping.Step(grads));
        Assert.Equal(1, skipping.SkippedSteps);
        Assert.False(skipping.HasState(set[0]));
    }

    [Fact]
    public void StateNames_FollowTheChainPaths()
    {
        var set = new ParameterSet();
        var p = set.Add("w", 2);
        var optimizer = new Optimizer(Optimizers.Adam(new AdamOptions { WeightDecay = 0.1, Amsgrad = true }), set);
        Assert.Equal(["0.add_decayed_weights", "1.scale_by_adam", "2.scale_by_learning_rate"], optimizer.StagesOf(p).Select(s => s.Path));
        var grads = new GradientSet(set);
        grads.Get(p, clear: true);
        optimizer.Step(grads);
        var adam = optimizer.GetState(p, "1.scale_by_adam")!;
        Assert.Equal(["mu", "nu", "nu_max"], adam.Tensors.Select(t => t.Slot));
        Assert.Equal(["count"], adam.Scalars.Select(s => s.Slot));
    }

    [Fact]
    public void ParametersAddedLater_ArePickedUp()
    {
        var set = new ParameterSet();
        var a = set.Add("a", [1], [1f]);
        var optimizer = new Optimizer(Optimizers.Sgd(new SgdOptions { LearningRate = 0.5 }), set);
        var grads = new GradientSet(set);
        grads.Set(a, [1f]);
        optimizer.Step(grads);
        var b = set.Add("b", [1], [1f]);
        grads.Set(b, [2f]);
        optimizer.Step(grads);
        Assert.Equal(0f, a.Values[0]);
        Assert.Equal(0f, b.Values[0]);
    }

    [Fact]
    public void LearningRate_IsReadableAndFollowsTheSchedule()
    {
        var set = new ParameterSet();
        var a = set.Add("a", [1], [0f]);
        var optimizer = new Optimizer(Optimizers.Sgd(new SgdOptions { LearningRate = Schedule.FromFunction(t => 1.0 / (t + 1)) }), set);
        Assert.Equal(1.0, optimizer.LearningRate);
        var grads = new GradientSet(set);
        grads.Set(a, [1f]);
        optimizer.Step(grads);
        optimizer.Step(grads);
        Assert.Equal(-1.5f, a.Values[0]);
        Assert.Equal(1.0 / 3, optimizer.LearningRate);
    }

    [Fact]
    public void GradientsOfAnotherSet_AreRejected()
    {
        var optimizer = new Optimizer(Optimizers.Sgd(), MakeParameters(1));
        Assert.Throws<ArgumentException>("gradients", () => optimizer.Step(new GradientSet(MakeParameters(1))));
    }
}
