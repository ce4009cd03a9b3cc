namespace Momentum.TorchSharp.Tests;

/// <summary>docs/TORCHSHARP.md shows Examples/TrainingExample.cs verbatim, so the example in the docs compiles (it is
/// built with this project) and runs (<see cref="TrainingTests"/>).</summary>
public class DocsExampleTests
{
    [Fact]
    public void TorchSharpDoc_IncludesTheCompiledExampleVerbatim()
    {
        string root = FindRoot();
        string doc = File.ReadAllText(Path.Combine(root, "docs", "TORCHSHARP.md")).ReplaceLineEndings("\n");
        string example = File.ReadAllText(Path.Combine(root, "tests", "Momentum.TorchSharp.Tests", "Examples", "TrainingExample.cs")).ReplaceLineEndings("\n");
        Assert.Contains("```csharp\n" + example.TrimEnd('\n') + "\n```", doc);
    }

    internal static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Momentum.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException("The repository root (Momentum.slnx) was not found above the test folder.");
    }
}
