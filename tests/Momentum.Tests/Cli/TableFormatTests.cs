using Momentum.Cli;
using Momentum.Cli.Tour;

namespace Momentum.Tests.Cli;

/// <summary>The tour's plain-text tables: one number format, 80 columns, and "one seed" rather than "1 seeds".</summary>
public sealed class TableFormatTests
{
    [Theory]
    [InlineData(1.48643, "1.486")]
    [InlineData(0.86, "0.8600")]
    [InlineData(204.73971, "204.7")]
    [InlineData(0.0088921, "0.008892")]
    [InlineData(5.7241e21, "5.724e21")]
    [InlineData(1.751e-6, "1.751e-6")]
    [InlineData(0.0, "0")]
    [InlineData(double.PositiveInfinity, "inf")]
    public void Distance_HasFourSignificantDigits(double value, string expected) => Assert.Equal(expected, SaddleExperiment.Fmt(value));

    [Theory]
    [InlineData(1, "one seed")]
    [InlineData(3, "mean ± sd over 3 seeds")]
    public void Seeds_AreCountedInWords(int seeds, string expected) => Assert.Equal(expected, ClassifierExperiment.OverSeeds(seeds));

    [Fact]
    public void WideTable_WrapsHeadersAndCellsInto80Columns()
    {
        var table = new SummaryTable("Gaussians, adaptive refine (each arm decides its own refines): mean ± sd over 3 seeds",
            "arm", "steps to 40.48 dB", "reached", "final PSNR (dB)", "PSNR at step 750", "final Gaussians", "time/run (s)");
        table.Add("B: zero moments, keep step", "47 ± 1", "3/3", "55.13 ± 23.79", "47.73 ± 0.89", "900 ± 0", "2.7 ± 1.5");
        table.Add("D: surgery (state follows rows)", "not reached", "0/3", "40.98 ± 1.83", "47.73 ± 0.89", "900 ± 0", "12.7 ± 1.5");
        var writer = new StringWriter();
        table.WritePlain(writer);
        string text = writer.ToString();
        foreach (string line in text.Split('\n')) Assert.True(line.Length <= TextWrap.Width, $"{line.Length} columns: {line}");
        foreach (string cell in new[] { "55.13 ± 23.79", "47.73 ± 0.89", "0/3", "12.7 ± 1.5", "surgery" }) Assert.Contains(cell, text);
    }

    [Fact]
    public void NarrowTable_KeepsOneLinePerRow()
    {
        var table = new SummaryTable("t", "optimizer", "n = 10");
        table.Add("adam", "1.486");
        var writer = new StringWriter();
        table.WritePlain(writer);
        Assert.Equal(["t", "optimizer  n = 10", "---------  ------", "adam       1.486", "", ""], writer.ToString().ReplaceLineEndings("\n").Split('\n'));
    }
}
