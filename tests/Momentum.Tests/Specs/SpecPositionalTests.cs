using Momentum.Specs;
using Momentum.Tests.Conformance;

namespace Momentum.Tests.Specs;

/// <summary>
/// Optax's call style: a name's first argument may be given positionally (<c>adam(1e-3)</c>, <c>clip_by_global_norm(1.0)</c>),
/// and <c>lr</c> and <c>learning_rate</c> are one keyword everywhere.
/// </summary>
public class SpecPositionalTests
{
    public static TheoryData<string> Names => [.. ConformanceSpecs.Names];

    /// <summary>The parameters after three steps of <paramref name="spec"/> on a small mixed set.</summary>
    private static float[][] Run(SpecCall spec)
    {
        var set = ConformanceSets.Build(ConformanceSets.Small(1));
        var optimizer = new Optimizer(SpecRegistry.Default.Create(spec), set);
        var grads = new GradientSet(set);
        for (int t = 0; t < 3; t++)
        {
            foreach (var p in set)
            {
                var g = grads.GetForOverwrite(p);
                for (int i = 0; i < g.Length; i++) g[i] = Engine.EngineTestData.Hash(p.Index, i, t + 1);
            }
            optimizer.Step(grads, loss: 2.0 - 0.1 * t);
        }
        return [.. set.Select(p => p.Values.ToArray())];
    }

    private static string? PositionalKeyword(string name) =>
        SpecRegistry.PositionalKeyword(SpecRegistry.Default.Transformations.Single(t => t.Name == name).Summary);

    [Theory]
    [MemberData(nameof(Names))]
    public void FirstArgument_GivenPositionally_StepsAsTheKeyword(string name)
    {
        string? key = PositionalKeyword(name);
        if (key is null) return; // chain(t1, t2, ...) and multi_transform(...) take transformations positionally
        var example = SpecParser.Parse(SpecRegistry.Default.Example(name));
        int at = example.Arguments.ToList().FindIndex(a => a.Key is not null && (a.Key == key || a.Key == SpecArguments.Synonym(key)));
        SpecCall keyword, positional;
        if (at >= 0)
        {
            keyword = example;
            var rest = example.Arguments.Where((_, i) => i != at);
            positional = example with { Arguments = [example.Arguments[at] with { Key = null }, .. rest] };
        }
        else if (example.Arguments is [{ Key: null } first, ..])
        {
            // Wrappers' examples give their transformation positionally already: the keyword must mean the same.
            positional = example;
            keyword = example with { Arguments = [first with { Key = key }, .. example.Arguments.Skip(1)] };
        }
        else
        {
            // The example leaves the keyword at its default: give the summary's default positionally.
            string summary = SpecRegistry.Default.Transformations.Single(t => t.Name == name).Summary;
            var match = System.Text.RegularExpressions.Regex.Match(summary, $@"\({key}=([^,)]+)");
            string? text = match.Success ? match.Groups[1].Value : null;
            Assert.True(text is not null, $"{name}: its example gives no '{key}' and it has no default to give positionally");
            keyword = SpecParser.Parse($"{name}()");
            positional = SpecParser.Parse($"{name}({text})");
        }
        var expected = Run(keyword);
        var actual = Run(positional);
        for (int p = 0; p < expected.Length; p++) Assert.Equal(expected[p], actual[p]);
    }

    [Fact]
    public void PositionalKeyword_IsTheFirstOptaxOrTorchArgument()
    {
        Assert.Equal("max_norm", PositionalKeyword("clip_by_global_norm"));
        Assert.Equal("lr", PositionalKeyword("adam"));
        Assert.Equal("lr", PositionalKeyword("sgd"));
        Assert.Equal("learning_rate", PositionalKeyword("optax.adam"));
        Assert.Equal("learning_rate", PositionalKeyword("lion"));
        Assert.Null(PositionalKeyword("chain"));
        Assert.Null(PositionalKeyword("multi_transform"));
    }

    [Theory]
    [InlineData("adam(1e-2)", "adam(lr=1e-2)")]
    [InlineData("sgd(0.1, momentum=0.9)", "sgd(lr=0.1, momentum=0.9)")]
    [InlineData("chain(clip_by_global_norm(1.0), adam(1e-3))", "chain(clip_by_global_norm(max_norm=1.0), adam(lr=1e-3))")]
    [InlineData("adam(learning_rate=1e-2)", "adam(lr=1e-2)")]
    [InlineData("lion(lr=1e-3)", "lion(learning_rate=1e-3)")]
    [InlineData("adam(cosine_decay_schedule(1e-2, decay_steps=10))", "adam(lr=cosine_decay_schedule(init_value=1e-2, decay_steps=10))")]
    [InlineData("sgd(step_lr(learning_rate=0.1, step_size=1))", "sgd(lr=step_lr(lr=0.1, step_size=1))")]
    [InlineData("adamw(1e-2, groups=[group(params='*.bias', weight_decay=0)])", "adamw(lr=1e-2, groups=[group(params='*.bias', weight_decay=0)])")]
    [InlineData("masked(adam(1e-2), mask='^layer')", "masked(adam(lr=1e-2), mask='^layer')")]
    public void OptaxCallStyle_StepsAsTheKeywordSpec(string spec, string same)
    {
        var expected = Run(SpecParser.Parse(same));
        var actual = Run(SpecParser.Parse(spec));
        for (int p = 0; p < expected.Length; p++) Assert.Equal(expected[p], actual[p]);
    }

    [Theory]
    [InlineData("adam(0.1, 0.9)", "'adam' takes only its first argument (lr) positionally; write key=value")]
    [InlineData("adam(0.1, lr=0.2)", "'adam' got lr both positionally and as 'lr'")]
    [InlineData("adam(0.1, learning_rate=0.2)", "'adam' got lr both positionally and as 'learning_rate'")]
    [InlineData("adam(lr=0.1, learning_rate=0.2)", "takes lr or learning_rate, not both")]
    [InlineData("clip_by_global_norm(true)", "max_norm")]
    [InlineData("chain(0.1)", "must be transformations")]
    public void BadPositionalOrDoubledArguments_SayWhichNameToUse(string spec, string message) =>
        Assert.Contains(message, Assert.Throws<SpecException>(() => SpecRegistry.Default.Create(spec)).Message);
}
