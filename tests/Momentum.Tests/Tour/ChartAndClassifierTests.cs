using System.Xml.Linq;
using Momentum.Cli.Tour;

namespace Momentum.Tests.Tour;

/// <summary>A fact that needs Fashion-MNIST (Debian package dataset-fashion-mnist); skipped where it is not installed.</summary>
public sealed class FashionMnistFactAttribute : FactAttribute
{
    public FashionMnistFactAttribute()
    {
        if (!FashionMnist.IsPresent(FashionMnist.DefaultDirectory)) Skip = $"needs Fashion-MNIST in {FashionMnist.DefaultDirectory} (Debian package dataset-fashion-mnist)";
    }
}

public class ChartAndClassifierTests
{
    private static readonly XNamespace s_svg = "http://www.w3.org/2000/svg";

    [Fact]
    public void Chart_IsWellFormedSvg_WithLegendAndEscapedText()
    {
        var chart = new SvgChart("A & B <test>", "step", "value")
            .Add(new ChartSeries("first \"one\"", [0, 1, 2], [1, 4, 9]) { Lower = [0, 3, 8], Upper = [2, 5, 10] })
            .Add(new ChartSeries("second", [0, 1, 2], [double.NaN, 2, 3]));
        var doc = XDocument.Parse(chart.ToSvg("c1"));
        Assert.Equal(s_svg + "svg", doc.Root!.Name);
        var texts = doc.Descendants(s_svg + "text").Select(t => t.Value).ToList();
        Assert.Contains("A & B <test>", texts);
        Assert.Contains("first \"one\"", texts);
        Assert.Contains("second", texts);
        Assert.Contains("step", texts);
        // Two lines, one band; the NaN point breaks the second line instead of drawing it.
        var paths = doc.Descendants(s_svg + "path").ToList();
        Assert.Equal(3, paths.Count);
        Assert.DoesNotContain("NaN", chart.ToSvg("c1"));
        Assert.Single(paths, p => p.Attribute("stroke-dasharray") is not null && p.Attribute("fill")?.Value == "none");
    }

    [Fact]
    public void LogAxis_TicksAreWholeDecades_WithPowerLabels()
    {
        var axis = new SvgChart.Axis(AxisScale.Log, 0.003, 250, 0, 100);
        Assert.Equal(1e-3, axis.Min, 12);
        Assert.Equal(1e3, axis.Max, 6);
        var major = axis.Ticks().Where(t => t.Major).Select(t => t.Value).ToList();
        Assert.Equal(7, major.Count);
        Assert.Equal(1e-3, major[0], 12);
        Assert.Equal(1e3, major[^1], 6);
        Assert.Contains(axis.Ticks(), t => !t.Major && Math.Abs(t.Value - 0.02) < 1e-12);
        Assert.Equal("10<tspan dy=\"-6\" font-size=\"10\">\u22123</tspan>", axis.Ticks().First().Label);
        Assert.Equal(0, axis.Map(1e-3), 9);
        Assert.Equal(50, axis.Map(1), 9);
        // A huge range labels fewer decades but keeps every major tick.
        var wide = new SvgChart.Axis(AxisScale.Log, 1e-22, 1e22, 0, 100);
        Assert.Equal(45, wide.Ticks().Count());
        Assert.True(wide.Ticks().Count(t => t.Major) <= 9);
        Assert.All(wide.Ticks(), t => Assert.Equal(t.Major, t.Label is not null));
    }

    [Fact]
    public void LinearAxis_UsesNiceSteps()
    {
        var axis = new SvgChart.Axis(AxisScale.Linear, 0.13, 9.7, 0, 100);
        Assert.Equal(0, axis.Min);
        Assert.Equal(10, axis.Max);
        Assert.Equal(2, axis.Step);
        Assert.Equal(["0", "2", "4", "6", "8", "10"], axis.Ticks().Select(t => t.Label!).ToArray());
        Assert.Equal(0.5, SvgChart.Axis.NiceStep(0.41));
        Assert.Equal("\u22120.25", SvgChart.Axis.FormatLinear(-0.25, 0.25));
    }

    [Fact]
    public void ShortLogAxis_SnapsTo1235_InsteadOfWholeDecades()
    {
        var axis = new SvgChart.Axis(AxisScale.Log, 0.38, 2.3, 0, 100);
        Assert.Equal(0.3, axis.Min, 12);
        Assert.Equal(3, axis.Max, 12);
        var labels = axis.Ticks().Where(t => t.Label is not null).Select(t => t.Label).ToList();
        Assert.Equal(["0.3", "0.5", "1", "2", "3"], labels);
        Assert.All(axis.Ticks(), t => Assert.InRange(t.Value, 0.3 - 1e-12, 3 + 1e-12));
        Assert.True(axis.MinorGrid);
        Assert.False(new SvgChart.Axis(AxisScale.Log, 1e-45, 1e21, 0, 100).MinorGrid);
    }

    [Fact]
    public void Chart_ReferenceLabelInLegend_SharedStartMarkerOnce_NamesCutSeries()
    {
        var chart = new SvgChart("t", "x", "y") { YScale = AxisScale.Log, YRange = (1e-12, 10) }
            .Add(new ChartSeries("down", [1, 1.5, 2], [1, 1e-30, 1e-45]) { MarkStart = true })
            .Add(new ChartSeries("flat", [1, 1.5, 2], [1, 2, 3]) { MarkStart = true })
            .AddHorizontalLine(0.5, "target 0.5");
        var doc = XDocument.Parse(chart.ToSvg("c"));
        Assert.Single(doc.Descendants(s_svg + "circle"), c => c.Parent!.Name == s_svg + "g");   // one start marker in the plot
        Assert.Contains("target 0.5", doc.Descendants(s_svg + "text").Select(t => t.Value));
        Assert.Equal("The axis shows 1e-12 to 10; below it down (down to 1e-45); the CSV has every value.", chart.OutOfRangeNote(1e-12, 10));
        Assert.Equal("", chart.OutOfRangeNote(1e-50, 10));
    }

    [Fact]
    public void Chart_SmallMultiplesAndZoom_DrawOnePanelEach()
    {
        var panels = new SvgChart("t", "x", "y") { SmallMultiples = true, Columns = 2, PlotWidth = 100, PlotHeight = 100 }
            .Add(new ChartSeries("a", [0, 1], [0, 1])).Add(new ChartSeries("b", [0, 1], [1, 0])).Add(new ChartSeries("c", [0, 1], [1, 1]));
        var doc = XDocument.Parse(panels.ToSvg("p"));
        Assert.Equal(3, doc.Descendants(s_svg + "clipPath").Count());
        var zoom = new SvgChart("t", "x", "y") { Zoom = ((0.5, 1), (0.5, 1)) }.Add(new ChartSeries("a", [0, 1], [0, 1]));
        Assert.Equal(2, XDocument.Parse(zoom.ToSvg("z")).Descendants(s_svg + "clipPath").Count());
    }

    [Fact]
    public void ConfidenceInterval_UsesStudentT()
    {
        // n = 3, mean 2, sd 1: half-width 4.303/√3 = 2.484.
        Assert.Equal("[-0.48, 4.48] %", ClassifierExperiment.ConfidenceInterval([1, 2, 3], "F2", " %"));
        Assert.Equal("–", ClassifierExperiment.ConfidenceInterval([1], "F2", ""));
        Assert.Equal(1.96, ClassifierExperiment.StudentT975(100));
    }

    [Fact]
    public void Classifier_DefaultListTunesOnValidation_AUserListRunsAsGiven()
    {
        var settings = new ClassifierSettings { TrainCount = 300, ValidationCount = 100, TestCount = 100, Epochs = 1, Seeds = 1, Hidden = [4],
            Tuning = [new TunedOptimizer("sgd", "sgd(lr={lr})", [1e-3, 1e-1])] };
        Assert.True(settings.Tunes);
        var result = ClassifierExperiment.Run(settings);
        Assert.Contains(result.Tables, t => t.Title.Contains("tuning", StringComparison.Ordinal));
        Assert.DoesNotContain(result.Tables.SelectMany(t => t.Headers), h => h.Contains("best", StringComparison.Ordinal));
        Assert.StartsWith("sgd (", result.Tables[^1].Rows.Single()[0]);
        var given = settings with { Optimizers = TourOptimizer.ParseList("adam(lr=1e-3)", "--optimizers") };
        Assert.False(given.Tunes);
        Assert.DoesNotContain(ClassifierExperiment.Run(given).Tables, t => t.Title.Contains("tuning", StringComparison.Ordinal));
    }

    [Fact]
    public void Chart_Csv_HasEveryPoint()
    {
        var chart = new SvgChart("t", "x", "y").Add(new ChartSeries("a,b", [1, 2], [3, 4]));
        var lines = chart.ToCsv().TrimEnd().Split('\n');
        Assert.Equal(["series,x,y,lower,upper", "\"a,b\",1,3,,", "\"a,b\",2,4,,"], lines);
    }

    [Fact]
    public void Classifier_BeatsChanceClearly_OnTheGeneratedTask()
    {
        var (train, test) = FashionMnist.Generate(1500, 500);
        var settings = new ClassifierSettings { Epochs = 2, Hidden = [32] };
        var (epochs, accuracy, loss, _) = ClassifierExperiment.Train(Momentum.Specs.SpecRegistry.Default.Create("adam(lr=3e-3)"), train, test, settings, seed: 1);
        Assert.Equal(0, epochs[0]);
        Assert.True(accuracy[^1] > 0.6, $"accuracy {accuracy[^1]}");
        Assert.True(loss[^1] < loss[0]);
    }

    [FashionMnistFact]
    public void Classifier_BeatsChanceClearly_OnFashionMnistWhenInstalled()
    {
        var (train, test) = FashionMnist.Load(FashionMnist.DefaultDirectory, 2000, 500);
        Assert.Equal(784, train.Pixels);
        var settings = new ClassifierSettings { Epochs = 1, Hidden = [32] };
        var (_, accuracy, _, _) = ClassifierExperiment.Train(Momentum.Specs.SpecRegistry.Default.Create("sgd(lr=0.05, momentum=0.9)"), train, test, settings, seed: 2);
        Assert.True(accuracy[^1] > 0.55, $"accuracy {accuracy[^1]}");
    }

    [Fact]
    public void Mlp_Gradient_MatchesFiniteDifferences()
    {
        var (train, _) = FashionMnist.Generate(4, 1);
        var set = new ParameterSet();
        var mlp = new Mlp(set, [train.Pixels, 5, 10], seed: 4);
        var grads = new GradientSet(set);
        int[] batch = [0, 1, 2, 3];
        mlp.TrainBatch(train, batch, grads);
        var rng = new Random(1);
        foreach (var p in set)
        {
            var g = grads.Read(p).ToArray();
            for (int k = 0; k < 6; k++)
            {
                int i = rng.Next(p.Length);
                float keep = p.Values[i];
                const float h = 3e-3f;
                p.Values[i] = keep + h;
                double up = mlp.TrainBatch(train, batch, grads);
                p.Values[i] = keep - h;
                double down = mlp.TrainBatch(train, batch, grads);
                p.Values[i] = keep;
                double fd = (up - down) / (2 * h);
                Assert.True(Math.Abs(fd - g[i]) <= 2e-2 * Math.Max(Math.Abs(fd), 1e-2), $"{p.Name}[{i}]: {g[i]} vs {fd}");
            }
        }
    }

    [Fact]
    public void Runner_WritesSelfContainedReportAndCsvs()
    {
        string dir = Directory.CreateTempSubdirectory("momentum-tour-").FullName;
        try
        {
            var writer = new StringWriter();
            var s = new SaddleSettings { Steps = 50 };
            var results = TourRunner.Run([new TourExperiment("saddle", p => SaddleExperiment.Report(s, SaddleExperiment.Run(s, p)))], dir, "test", writer);
            string html = File.ReadAllText(Path.Combine(dir, "report.html"));
            Assert.Contains("<svg", html);
            Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("http://", html.Replace("http://www.w3.org/2000/svg", ""));
            Assert.DoesNotContain("https://", html);
            Assert.True(File.Exists(Path.Combine(dir, "saddle_distance.csv")));
            Assert.True(File.Exists(Path.Combine(dir, "saddle_trajectories.csv")));
            Assert.Contains("Saddle point: distance", writer.ToString());
            Assert.Single(results);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
