using System.Text.RegularExpressions;
using Momentum.Specs;

namespace Momentum.Tests.Scheduling;

/// <summary>Every spec in a <c>```text</c> block of docs/SCHEDULES.md and docs/TORCH.md builds.</summary>
public partial class DocsExamplesTests
{
    [GeneratedRegex("```text\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex TextBlock();

    private static string? DocsDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "docs", "SCHEDULES.md"))) return Path.Combine(dir.FullName, "docs");
        return null;
    }

    [Theory]
    [InlineData("SCHEDULES.md")]
    [InlineData("TORCH.md")]
    public void SpecExamples_Build(string file)
    {
        string? docs = DocsDirectory();
        Assert.NotNull(docs);
        int count = 0;
        foreach (Match block in TextBlock().Matches(File.ReadAllText(Path.Combine(docs!, file))))
        {
            // A spec may continue on indented lines.
            string text = Regex.Replace(block.Groups[1].Value, "\\n\\s+", " ");
            foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                Assert.NotNull(SpecRegistry.Default.Create(line));
                count++;
            }
        }
        Assert.True(count > 0);
    }

    [Fact]
    public void LearningRateOf_IsNullWhereTheRateIsFoldedIntoTheOptimizersOwnTransformation()
    {
        var set = new ParameterSet();
        var w = set.Add("w", [2]);
        Assert.Null(new Optimizer(SpecRegistry.Default.Create("asgd(lr=0.1)"), set).LearningRateOf(w));
        Assert.Null(new Optimizer(SpecRegistry.Default.Create("rprop(lr=0.1)"), set).LearningRateOf(w));
        Assert.Equal(0.1, new Optimizer(SpecRegistry.Default.Create("rmsprop(lr=0.1)"), set).LearningRateOf(w));
    }
}
