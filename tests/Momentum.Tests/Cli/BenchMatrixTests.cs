using Momentum.Cli.Commands;

namespace Momentum.Tests.Cli;

public class BenchMatrixTests
{
    [Fact]
    public void BenchMatrix_PrintsThePeakTheMultiplyAndBothCases()
    {
        var output = new StringWriter();
        var settings = new BenchSettings(Size: 1, Threads: 2, Repeats: 1, SmallCount: 1, SmallLength: 1, Torch: false, Python: "");
        Assert.Equal(0, BenchCommand.RunMatrix(settings, 48, output, TextWriter.Null));
        string text = output.ToString();
        Assert.Contains("peak, separate multiply and add (2 threads):", text);
        Assert.Contains("gemm 48 × 48 × 48, float32:", text);
        Assert.Contains("| muon | 48 × 48 |", text);
        Assert.Contains("| adafactor | 48 × 48 |", text);
    }

    [Fact]
    public void BenchMatrix_BadSize_FailsWithAMessage()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var settings = new BenchSettings(Size: 1, Threads: 2, Repeats: 1, SmallCount: 1, SmallLength: 1, Torch: false, Python: "");
        Assert.Equal(2, BenchCommand.RunMatrix(settings, 0, output, error));
        Assert.StartsWith("momentum bench: --matrix must be between 1 and", error.ToString());
        Assert.Empty(output.ToString());
    }
}
