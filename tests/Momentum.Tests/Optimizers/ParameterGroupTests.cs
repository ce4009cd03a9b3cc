using Momentum.IO;
using Momentum.Specs;

namespace Momentum.Tests.Grouping;

public class ParameterGroupTests
{
    private static readonly (string Name, int[] Shape)[] s_layout = [("body.weight", [4, 3]), ("body.bias", [3]), ("head.weight", [3, 2]), ("head.bias", [2])];

    private static ParameterSet MakeSet(string? only = null)
    {
        var set = new ParameterSet();
        var rng = new Random(3);
        foreach (var (name, shape) in s_layout)
        {
            int n = shape.Aggregate(1, (a, b) => a * b);
            float[] values = [.. Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble() - 0.5f)];
            if (only is null || only == name) set.Add(name, shape, values);
        }
        return set;
    }

    private static void Run(Optimizer optimizer, int steps)
    {
        var grads = new GradientSet(optimizer.Parameters);
        for (int t = 0; t < steps; t++)
        {
            foreach (var p in optimizer.Parameters)
            {
                var rng = new Random(HashCode.Combine(p.Name.Length, p.Name[0], p.Name[^1], t));
                var g = grads.Get(p);
                for (int i = 0; i < g.Length; i++) g[i] = (float)(rng.NextDouble() * 2 - 1);
            }
            optimizer.Step(grads);
        }
    }

    private const string GroupSpec = "adamw(lr=1e-3, weight_decay=0.1, groups=[group(params='*.bias', weight_decay=0), group(params='head.*', lr=1e-2)])";

    [Fact]
    public void SpecGroups_EachParameterGetsItsFirstMatchingGroupsOptimizer_BitForBit()
    {
        var grouped = MakeSet();
        Run(new Optimizer(SpecRegistry.Default.Create(GroupSpec), grouped), 20);
        // First match wins: head.bias is in '*.bias' (weight_decay 0, lr from the base), not in 'head.*'.
        var expectedSpecs = new Dictionary<string, string>
        {
            ["body.weight"] = "adamw(lr=1e-3, weight_decay=0.1)",
            ["body.bias"] = "adamw(lr=1e-3, weight_decay=0)",
            ["head.weight"] = "adamw(lr=1e-2, weight_decay=0.1)",
            ["head.bias"] = "adamw(lr=1e-3, weight_decay=0)",
        };
        foreach (var (name, spec) in expectedSpecs)
        {
            var alone = MakeSet(name);
            Run(new Optimizer(SpecRegistry.Default.Create(spec), alone), 20);
            Assert.Equal(alone[name].Values.ToArray(), grouped[name].Values.ToArray());
        }
    }

    [Fact]
    public void CSharpGroups_MatchTheSpec_AndLearningRateOfReportsEachGroup()
    {
        var fromSpec = MakeSet();
        var fromCode = MakeSet();
        var specOptimizer = new Optimizer(SpecRegistry.Default.Create(GroupSpec), fromSpec);
        var codeOptimizer = new Optimizer(Optimizers.WithGroups(new AdamWOptions { LearningRate = 1e-3, WeightDecay = 0.1 }, o => Optimizers.AdamW(o),
            new ParameterGroup<AdamWOptions>("*.bias", o => o with { WeightDecay = 0 }),
            new ParameterGroup<AdamWOptions>("head.*", o => o with { LearningRate = 1e-2 })), fromCode);
        Run(specOptimizer, 5);
        Run(codeOptimizer, 5);
        foreach (var p in fromSpec) Assert.Equal(p.Values.ToArray(), fromCode[p.Name].Values.ToArray());
        Assert.Equal(1e-3, codeOptimizer.LearningRateOf(fromCode["body.weight"]));
        Assert.Equal(1e-2, codeOptimizer.LearningRateOf(fromCode["head.weight"]));
        Assert.Equal(1e-3, codeOptimizer.LearningRateOf(fromCode["head.bias"]));
        Assert.Equal(["group0.0.scale_by_adam", "group0.1.scale_by_learning_rate"], codeOptimizer.StagesOf(fromCode["body.bias"]).Select(s => s.Path));
        Assert.Equal("default.0.scale_by_adam", codeOptimizer.StagesOf(fromCode["body.weight"])[0].Path);
    }

    [Fact]
    public void SpecGroups_WithSchedules_LearningRateOfFollowsEachGroupsSchedule()
    {
        var set = MakeSet();
        var optimizer = new Optimizer(SpecRegistry.Default.Create(
            "sgd(lr=linear_schedule(init_value=0.1, end_value=0, transition_steps=10), " +
            "groups=[group(name='head', params=['head.weight', 'head.bias'], lr=step_lr(lr=1.0, step_size=2, gamma=0.5))])"), set);
        Run(optimizer, 4);
        Assert.Equal(0.06, optimizer.LearningRateOf(set["body.weight"])!.Value, 15);
        Assert.Equal(0.25, optimizer.LearningRateOf(set["head.bias"]));
        Assert.Equal("head.0.scale_by_learning_rate", optimizer.StagesOf(set["head.weight"])[0].Path);
        Assert.Equal(0.06, optimizer.LearningRate!.Value, 15);  // the first parameter's
    }

    [Fact]
    public void SpecGroups_CheckpointRoundTrip_ResumesBitExact()
    {
        string path = Path.Combine(Path.GetTempPath(), $"momentum-groups-{Guid.NewGuid():N}.safetensors");
        try
        {
            var a = MakeSet();
            var optimizerA = new Optimizer(SpecRegistry.Default.Create(GroupSpec), a);
            Run(optimizerA, 3);
            Checkpoint.Save(path, optimizerA);
            Run(optimizerA, 3);
            var b = MakeSet();
            var optimizerB = new Optimizer(SpecRegistry.Default.Create(GroupSpec), b);
            Checkpoint.Load(path, optimizerB);
            Run(optimizerB, 3);
            foreach (var p in a) Assert.Equal(p.Values.ToArray(), b[p.Name].Values.ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("adamw(groups=[group(params='*.bias', momentum=0.9)])", "unknown argument 'momentum'")]
    [InlineData("adamw(groups=[group(params='*.bias', momentum=0.9)])", "group 0")]
    [InlineData("adamw(groups=[group(weight_decay=0)])", "needs params=")]
    [InlineData("adamw(groups=[group(params='')])", "params")]
    [InlineData("adamw(groups=[group(params=3)])", "params")]
    [InlineData("adamw(groups=[adam(lr=1)])", "group(params=")]
    [InlineData("adamw(groups=group(params='x'))", "must be a list")]
    [InlineData("adamw(groups=[group(params='a', groups=[])])", "cannot have groups")]
    [InlineData("adamw(groups=[group(params='a', name='g'), group(params='b', name='g')])", "'g'")]
    [InlineData("adamw(groups=[group(params='a', lr=-1)])", "Invalid learning rate: -1.0")]
    [InlineData("adamw(groups=[group('a')])", "positional")]
    public void SpecGroups_InvalidGroups_AreClearErrors(string spec, string expected)
    {
        var e = Assert.Throws<SpecException>(() => SpecRegistry.Default.Create(spec));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SpecGroups_WorkForEveryRegisteredOptimizerWithDefaults()
    {
        // The groups argument is handled once in the registry, so any transformation name accepts it.
        var set = MakeSet();
        foreach (string name in new[] { "sgd", "adam", "adamw" })
        {
            var optimizer = new Optimizer(SpecRegistry.Default.Create($"{name}(groups=[group(params='head.*', lr=0.5)])"), set);
            Assert.Equal(0.5, optimizer.LearningRateOf(set["head.bias"]));
            Assert.Equal(1e-3, optimizer.LearningRateOf(set["body.bias"]));
        }
    }

    [Fact]
    public void GroupLr_ReplacesABaseLearningRateGivenUnderOptaxsName()
    {
        var set = MakeSet();
        var optimizer = new Optimizer(SpecRegistry.Default.Create(
            "scale_by_learning_rate(learning_rate=0.1, groups=[group(params='head.*', lr=0.5)])"), set);
        Assert.Equal(0.5, optimizer.LearningRateOf(set["head.bias"]));
        Assert.Equal(0.1, optimizer.LearningRateOf(set["body.bias"]));
    }

    [Fact]
    public void GlobalClipOutsideTheGroups_ReducesOverEveryParameter()
    {
        var set = new ParameterSet();
        var a = set.Add("a.weight", [1], [0f]);
        var b = set.Add("b.bias", [1], [0f]);
        var optimizer = new Optimizer(SpecRegistry.Default.Create(
            "chain(clip_by_global_norm(max_norm=1.0), sgd(lr=1.0, groups=[group(params='*.bias', lr=2.0)]))"), set);
        var grads = new GradientSet(set);
        grads.Set(a, [3f]);
        grads.Set(b, [4f]);
        optimizer.Step(grads);
        Assert.Equal(-0.6f, a.Values[0], 6);        // (3, 4)/5, then lr 1
        Assert.Equal(-1.6f, b.Values[0], 6);        // 0.8 · lr 2
    }

    [Fact]
    public void ReportMetric_ReachesThePlateauScheduleOfEveryGroup()
    {
        var set = MakeSet();
        var optimizer = new Optimizer(SpecRegistry.Default.Create(
            "sgd(lr=reduce_lr_on_plateau(lr=0.1, patience=0), groups=[group(params='head.*', lr=reduce_lr_on_plateau(lr=1.0, patience=0))])"), set);
        Assert.Equal(2, optimizer.ReportMetric(1.0));
        Assert.Equal(2, optimizer.ReportMetric(2.0));
        Assert.Equal(0.01, optimizer.LearningRateOf(set["body.weight"])!.Value, 15);
        Assert.Equal(0.1, optimizer.LearningRateOf(set["head.weight"])!.Value, 15);
    }

    [Theory]
    [InlineData(GroupSpec)]
    [InlineData("adamw(lr=warmup_cosine_decay_schedule(init_value=0, peak_value=1e-3, warmup_steps=5, decay_steps=50), " +
        "groups=[group(params='head.*', lr=one_cycle_lr(max_lr=0.01, total_steps=50)), group(params='*.bias', lr=reduce_lr_on_plateau(lr=1e-3))])")]
    [InlineData("chain(clip_by_global_norm(max_norm=1.0), sgd(lr=step_lr(lr=0.1, step_size=3), momentum=0.9, groups=[group(params='*.bias', lr=0.5)]))")]
    public void GroupsWithSchedules_SteadyStateStep_AllocatesNothing(string spec)
    {
        var set = MakeSet();
        var optimizer = new Optimizer(SpecRegistry.Default.Create(spec), set, new OptimizerOptions { Threads = 1 });
        var grads = new GradientSet(set);
        foreach (var p in set) grads.Get(p).Fill(0.25f);
        for (int i = 0; i < 3; i++) optimizer.Step(grads);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) optimizer.Step(grads);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [InlineData("*.bias", "head.bias", true)]
    [InlineData("*.bias", "bias", false)]
    [InlineData("head.*", "head.w.x", true)]
    [InlineData("head.*", "body.head.w", false)]
    [InlineData("*", "", true)]
    [InlineData("a?c", "abc", true)]
    [InlineData("a?c", "ac", false)]
    [InlineData("*a*b", "xxaxxbxb", true)]
    [InlineData("*a*b", "xxaxxbx", false)]
    [InlineData("layer.[0]", "layer.[0]", true)]
    public void Glob_MatchesWholeNames(string pattern, string name, bool expected) => Assert.Equal(expected, ParameterGroups.Matches(pattern, name));

    [Fact]
    public void SpecGroup_GlobMatchingNoParameter_IsAnErrorNamingTheGlobAndANearMatch()
    {
        var transformation = SpecRegistry.Default.Create("adamw(lr=1e-3, weight_decay=0.1, groups=[group(params='*.bais', weight_decay=0)])");
        var e = Assert.ThrowsAny<ArgumentException>(() => new Optimizer(transformation, MakeSet()));
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("'*.bais'", e.Message);
        Assert.Contains("matches no parameter", e.Message);
        Assert.Contains("'body.bias'", e.Message);
    }

    [Fact]
    public void CSharpGroup_OneOfItsGlobsMatchingNoParameter_IsAnError()
    {
        var transformation = Optimizers.WithGroups(new AdamWOptions(), o => Optimizers.AdamW(o),
            new ParameterGroup<AdamWOptions>(["*.bias", "haed.*"], o => o with { WeightDecay = 0 }, "nodecay"));
        var e = Assert.ThrowsAny<ArgumentException>(() => new Optimizer(transformation, MakeSet()));
        Assert.Contains("'haed.*'", e.Message);
        Assert.Contains("'nodecay'", e.Message);
        Assert.Contains("'head.", e.Message);
    }

    [Fact]
    public void Group_GlobMatchingOnlyParametersAnEarlierGroupTook_IsAccepted()
    {
        // '*.bias' takes head.bias first; 'head.bias' still matches a parameter, so it is not a typo.
        var transformation = SpecRegistry.Default.Create("adamw(groups=[group(params='*.bias', weight_decay=0), group(params='head.bias', lr=1e-2)])");
        Run(new Optimizer(transformation, MakeSet()), 2);
    }
}
