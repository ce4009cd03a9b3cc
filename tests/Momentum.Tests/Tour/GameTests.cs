using Momentum.Cli.Tour;

namespace Momentum.Tests.Tour;

public class GameTests
{
    private static GameRun RunSaddle(TourOptimizer optimizer, int steps = 1000) =>
        SaddleExperiment.Run(new SaddleSettings { Steps = steps, Optimizers = [optimizer] })[0];

    [Fact]
    public void Saddle_Gda_SpiralsOutwardAtTheKnownRate()
    {
        var run = RunSaddle(SaddleSettings.DefaultOptimizers[0]);
        Assert.True(run.Available);
        // Optax's notebook setting, distances re-derived in float64 (reference notes §5): 1.486, 2.326, 204.7.
        Assert.Equal(1.486, run.DistanceAt(10), 3);
        Assert.Equal(2.326, run.DistanceAt(100), 3);
        Assert.Equal(204.7, run.DistanceAt(1000), 1);
        // Each step multiplies the distance by √(1 + η²).
        Assert.Equal(Math.Sqrt(1.01), run.DistanceAt(501) / run.DistanceAt(500), 5);
    }

    [Fact]
    public void Saddle_Ogda_ConvergesAtTheKnownRate_OrIsReportedMissing()
    {
        var run = RunSaddle(SaddleSettings.DefaultOptimizers[1]);
        if (!run.Available)
        {
            // Not merged yet: the experiment reports it instead of failing.
            Assert.Contains("optimistic", run.Error);
            var report = SaddleExperiment.Report(new SaddleSettings { Steps = 1000 }, [run]);
            Assert.Contains(report.Tables[0].Rows, r => r[^1] == "not available yet");
            return;
        }
        Assert.Equal(1.358, run.DistanceAt(10), 3);
        Assert.Equal(0.860, run.DistanceAt(100), 3);
        Assert.Equal(0.00892, run.DistanceAt(1000), 5);
        Assert.True(run.DistanceAt(1000) < run.DistanceAt(100));
    }

    [Fact]
    public void Saddle_UnknownSpec_IsNotAvailableAndLeftOutOfCharts()
    {
        var settings = new SaddleSettings { Steps = 20, Optimizers = [new TourOptimizer("nope", "no_such_optimizer(lr=1)"), SaddleSettings.DefaultOptimizers[0]] };
        var runs = SaddleExperiment.Run(settings);
        Assert.False(runs[0].Available);
        var report = SaddleExperiment.Report(settings, runs);
        Assert.Equal("not available yet", report.Tables[0].Rows[0][^1]);
        Assert.All(report.Charts, c => Assert.Single(c.Chart.Series));
        Assert.Contains(report.Notes, n => n.Contains("nope", StringComparison.Ordinal));
    }

    [Fact]
    public void DiracGan_FPrime_IsTheDerivativeOfF()
    {
        static double F(double t) => -Math.Log(1 + Math.Exp(-t));
        foreach (double t in new[] { -30.0, -2, -0.3, 0, 0.7, 5, 40 })
        {
            double h = 1e-5, fd = (F(t + h) - F(t - h)) / (2 * h);
            Assert.Equal(fd, DiracGanExperiment.FPrime(t), 6);
        }
    }

    [Fact]
    public void DiracGan_GradientDescent_DoesNotConverge_OptimisticMethodsApproach()
    {
        var settings = new DiracGanSettings { Steps = 3000 };
        var runs = DiracGanExperiment.Run(settings);
        var simultaneous = runs[0];
        var alternating = runs[1];
        Assert.True(simultaneous.DistanceAt(3000) > 1.5 * simultaneous.Distance[0], "simultaneous GD should move away from the equilibrium");
        Assert.True(alternating.Distance.Skip(100).Min() > 0.9 * alternating.Distance[0], "alternating GD should circle, not converge");
        foreach (var optimistic in runs.Skip(3))
        {
            if (!optimistic.Available) continue;
            Assert.True(optimistic.DistanceAt(3000) < 0.1 * optimistic.Distance[0], $"{optimistic.Label} should approach the equilibrium");
        }
        var report = DiracGanExperiment.Report(settings, runs);
        Assert.Equal(runs.Count, report.Tables[0].Rows.Count);
    }
}

public class TourOptimizerTests
{
    [Fact]
    public void ParseList_TakesLabelsAndBareSpecs()
    {
        var list = TourOptimizer.ParseList("sgd(lr=0.1); fast=adam(lr=0.05, betas=(0.9, 0.99)) ;", "--optimizers");
        Assert.Equal(2, list.Count);
        Assert.Equal("sgd", list[0].Label);
        Assert.Equal("sgd(lr=0.1)", list[0].Specs[0]);
        Assert.Equal("fast", list[1].Label);
        Assert.Equal("adam(lr=0.05, betas=(0.9, 0.99))", list[1].Specs[0]);
    }

    [Fact]
    public void ParseList_EmptyOrHalfItems_AreErrors()
    {
        Assert.Throws<ArgumentException>("--optimizers", () => TourOptimizer.ParseList(" ; ", "--optimizers"));
        Assert.Throws<ArgumentException>("--optimizers", () => TourOptimizer.ParseList("label=", "--optimizers"));
    }

    [Fact]
    public void Resolve_UsesTheFirstAcceptedSpec()
    {
        var opt = new TourOptimizer("x", "no_such_thing(lr=1)", "sgd(lr=0.5)");
        var (transformation, spec, error) = opt.Resolve();
        Assert.NotNull(transformation);
        Assert.Equal("sgd(lr=0.5)", spec);
        Assert.Null(error);
        var missing = new TourOptimizer("y", "no_such_thing(lr=1)").Resolve();
        Assert.Null(missing.Transformation);
        Assert.Contains("no_such_thing", missing.Error);
    }
}

public class TourCommandTests
{
    [Fact]
    public void TourSaddle_FromTheCommandLine_WritesTheReport()
    {
        string dir = Directory.CreateTempSubdirectory("momentum-tour-cli-").FullName;
        try
        {
            int rc = Momentum.Cli.Commands.TourCommand.Create().Parse(["saddle", "--steps", "30", "--optimizers", "gda=sgd(lr=0.1)", "--out", dir]).Invoke();
            Assert.Equal(0, rc);
            string html = File.ReadAllText(Path.Combine(dir, "report.html"));
            Assert.Contains("gda", html);
            Assert.Contains("30", File.ReadAllLines(Path.Combine(dir, "saddle_distance.csv")).Last().Split(',')[1]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    /// <summary>A malformed image is bad input: exit code 2 (issue 15's convention; it was 1 before), and no report.</summary>
    public void TourGaussians_BadImage_ReturnsTwoWithoutWritingAReport()
    {
        string dir = Directory.CreateTempSubdirectory("momentum-tour-cli-").FullName;
        try
        {
            string image = Path.Combine(dir, "bad.ppm");
            File.WriteAllText(image, "P6\n2 2\n255\nabc");
            int rc = Momentum.Cli.Commands.TourCommand.Create().Parse(["gaussians", "--image", image, "--out", dir]).Invoke();
            Assert.Equal(2, rc);
            Assert.False(File.Exists(Path.Combine(dir, "report.html")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
