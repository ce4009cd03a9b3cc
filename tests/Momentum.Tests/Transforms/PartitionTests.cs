namespace Momentum.Tests.Partitioning;

public class PartitionTests
{
    private static (ParameterSet Set, Parameter A1, Parameter A2, Parameter B1) MakeSet()
    {
        var set = new ParameterSet();
        return (set, set.Add("a1", [1], [0f]), set.Add("a2", [1], [0f]), set.Add("b1", [1], [0f]));
    }

    private static void Step(Optimizer optimizer, Parameter a1, Parameter a2, Parameter b1)
    {
        var grads = new GradientSet(optimizer.Parameters);
        grads.Set(a1, [3f]);
        grads.Set(a2, [4f]);
        grads.Set(b1, [0.5f]);
        optimizer.Step(grads);
    }

    private static GradientTransformation ClippedSgd(GradientTransformation clip, bool clipFirst) => clipFirst
        ? Transforms.Chain(clip, Transforms.ScaleByLearningRate(1.0))
        : Transforms.Chain(Transforms.Scale(2), clip, Transforms.ScaleByLearningRate(1.0));

    [Theory]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(false, true)]
    public void ClipByGlobalNorm_InsideAPartition_ReducesOverThatPartitionOnly(bool clipFirst, bool sameInstance)
    {
        var (set, a1, a2, b1) = MakeSet();
        var clipA = Transforms.ClipByGlobalNorm(1.0);
        var clipB = sameInstance ? clipA : Transforms.ClipByGlobalNorm(1.0);
        var partition = Transforms.Partition(p => p.Name[..1], new Dictionary<string, GradientTransformation>
        {
            ["a"] = ClippedSgd(clipA, clipFirst),
            ["b"] = ClippedSgd(clipB, clipFirst),
        });
        var optimizer = new Optimizer(partition, set);
        Assert.Equal(clipFirst, optimizer.IsFused);
        Step(optimizer, a1, a2, b1);
        // Partition a: (3, 4) (or (6, 8)) has norm ≥ 5 → scaled to norm 1: (0.6, 0.8). Partition b: ‖0.5‖ (or ‖1‖) ≤ 1: unchanged.
        Assert.Equal(-0.6f, a1.Values[0], 6);
        Assert.Equal(-0.8f, a2.Values[0], 6);
        Assert.Equal(clipFirst ? -0.5f : -1f, b1.Values[0], 6);
    }

    [Fact]
    public void ClipByGlobalNorm_WithoutPartition_ReducesOverEveryParameter()
    {
        var (set, a1, a2, b1) = MakeSet();
        var optimizer = new Optimizer(ClippedSgd(Transforms.ClipByGlobalNorm(1.0), clipFirst: true), set);
        Step(optimizer, a1, a2, b1);
        double norm = Math.Sqrt(9 + 16 + 0.25);
        Assert.Equal(-3 / norm, a1.Values[0], 6);
        Assert.Equal(-0.5 / norm, b1.Values[0], 6);
    }

    [Fact]
    public void Partition_StateLivesUnderTheLabel_AndOnlyForItsParameters()
    {
        var (set, a1, _, b1) = MakeSet();
        var partition = Transforms.Partition(p => p.Name == "b1" ? "frozen" : "train", new Dictionary<string, GradientTransformation>
        {
            ["train"] = Optimizers.Adam(),
            ["frozen"] = Transforms.Scale(0),
        });
        var optimizer = new Optimizer(partition, set);
        Assert.Equal(["train.0.scale_by_adam", "train.1.scale_by_learning_rate"], optimizer.StagesOf(a1).Select(s => s.Path));
        Assert.Equal(["frozen.scale"], optimizer.StagesOf(b1).Select(s => s.Path));
        Assert.Null(optimizer.LearningRateOf(b1));
        Assert.Equal(1e-3, optimizer.LearningRateOf(a1));
    }

    [Fact]
    public void Partition_LabelWithoutTransformation_IsAnError()
    {
        var (set, _, _, _) = MakeSet();
        var partition = Transforms.Partition(p => p.Name, new Dictionary<string, GradientTransformation> { ["a1"] = Optimizers.Sgd() });
        var e = Assert.Throws<ArgumentException>(() => new Optimizer(partition, set));
        Assert.Contains("'a2'", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>("transformations", () => Transforms.Partition(p => "x", new Dictionary<string, GradientTransformation>()));
    }
}

public class PartitionSpecTests
{
    [Fact]
    public void PartitionSpec_RoutesByFirstMatchingGlob_LikeGroups()
    {
        var a = new ParameterSet();
        var b = new ParameterSet();
        foreach (var set in new[] { a, b })
        {
            set.Add("body.weight", [2, 2], [1f, 2f, 3f, 4f]);
            set.Add("body.bias", [2], [0.5f, -0.5f]);
        }
        var partition = new Optimizer(Momentum.Specs.SpecRegistry.Default.Create(
            "partition(transforms=[('decay', adamw(weight_decay=0.1)), ('no_decay', adamw(weight_decay=0))], param_labels=[('*.bias', 'no_decay'), ('*', 'decay')])"), a);
        var groups = new Optimizer(Momentum.Specs.SpecRegistry.Default.Create("adamw(weight_decay=0.1, groups=[group(params='*.bias', weight_decay=0)])"), b);
        foreach (var (optimizer, set) in new[] { (partition, a), (groups, b) })
        {
            var grads = new GradientSet(set);
            for (int t = 0; t < 3; t++)
            {
                grads.Set(set["body.weight"], [0.1f, -0.2f, 0.3f, -0.4f]);
                grads.Set(set["body.bias"], [1f, -1f]);
                optimizer.Step(grads);
            }
        }
        foreach (var p in a) Assert.Equal(p.Values.ToArray(), b[p.Name].Values.ToArray());
        Assert.Equal("no_decay.0.scale_by_adam", partition.StagesOf(a["body.bias"])[0].Path);
    }

    [Theory]
    [InlineData("partition(transforms=[('a', sgd())], param_labels=[('*', 'b')])", "'b'")]
    [InlineData("partition(transforms=[('a', sgd()), ('a', adam())], param_labels=[('*', 'a')])", "twice")]
    [InlineData("partition(transforms=[('a', sgd())])", "param_labels")]
    [InlineData("partition(transforms=[], param_labels=[('*', 'a')])", "transforms")]
    [InlineData("partition(transforms=[(1, sgd())], param_labels=[('*', 'a')])", "('label', transformation)")]
    public void PartitionSpec_Invalid_IsAClearError(string spec, string expected) =>
        Assert.Contains(expected, Assert.Throws<Momentum.Specs.SpecException>(() => Momentum.Specs.SpecRegistry.Default.Create(spec)).Message, StringComparison.Ordinal);

    [Fact]
    public void PartitionSpec_UnlabelledParameter_IsAnErrorWhenPlanned()
    {
        var set = new ParameterSet();
        set.Add("w", [1]);
        var t = Momentum.Specs.SpecRegistry.Default.Create("partition(transforms=[('a', sgd())], param_labels=[('*.bias', 'a')])");
        Assert.Contains("matches none", Assert.Throws<ArgumentException>(() => new Optimizer(t, set)).Message, StringComparison.Ordinal);
    }
}
