using System.Globalization;

namespace Momentum.Cli.Tour;

/// <summary>Settings of the bilinear saddle-point experiment.</summary>
internal sealed record SaddleSettings
{
    public int Steps { get; init; } = 10_000;
    public double StartX { get; init; } = 1;
    public double StartY { get; init; } = 1;
    public IReadOnlyList<TourOptimizer> Optimizers { get; init; } = DefaultOptimizers;

    /// <summary>Optax's optimistic-gradient example: GDA, OGDA, Adam (Nesterov) and optimistic Adam.</summary>
    public static readonly IReadOnlyList<TourOptimizer> DefaultOptimizers =
    [
        new("GDA: sgd(0.1)", "sgd(lr=0.1)"),
        new("OGDA: optimistic_gd(0.1)", "optimistic_gradient_descent(learning_rate=0.1)", "optimistic_gd(lr=0.1)", "optimistic_gd(learning_rate=0.1)"),
        new("adam(0.05, nesterov)", "chain(scale_by_adam(nesterov=true), scale_by_learning_rate(lr=0.05))"),
        new("optimistic_adam(0.05, 0.5)", "optimistic_adam_v2(learning_rate=1.0, alpha=0.05, beta=0.5)", "optimistic_adam(learning_rate=0.05, optimism=0.5)",
            "optimistic_adam(lr=0.05, optimism=0.5)", "optimistic_adam(alpha=0.05, beta=0.5)"),
    ];
}

/// <summary>One optimizer's run on a two-player game: its trajectory and distance to the equilibrium per step.</summary>
internal sealed record GameRun(string Label, string Spec, string? Error, double[] X, double[] Y, double[] Distance)
{
    public bool Available => Error is null;

    /// <summary>The distance after <paramref name="step"/> steps (index 0 is the start).</summary>
    public double DistanceAt(int step) => Distance[Math.Min(step, Distance.Length - 1)];
}

/// <summary>
/// min_x max_y x·y from (1, 1): Optax's optimistic-gradient example. Simultaneous updates: x gets ∂f/∂x = y and y gets
/// −∂f/∂y = −x (ascent). Gradient descent-ascent spirals outward, optimistic gradient descent converges.
/// </summary>
internal static class SaddleExperiment
{
    public static List<GameRun> Run(SaddleSettings settings, Action<double>? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.Steps, "steps");
        var runs = new List<GameRun>();
        int k = 0;
        foreach (var opt in settings.Optimizers)
        {
            runs.Add(RunOne(opt, settings, f => progress?.Invoke((k + f) / settings.Optimizers.Count)));
            k++;
        }
        progress?.Invoke(1);
        return runs;
    }

    private static GameRun RunOne(TourOptimizer opt, SaddleSettings settings, Action<double> progress)
    {
        var (transformation, spec, error) = opt.Resolve();
        if (transformation is null) return new GameRun(opt.Label, spec, error, [], [], []);
        var set = new ParameterSet();
        var xy = set.Add("xy", [2], [(float)settings.StartX, (float)settings.StartY]);
        var optimizer = new Optimizer(transformation, set, new OptimizerOptions { Threads = 1, NonFiniteGradients = NonFiniteGradients.Propagate });
        var grads = new GradientSet(set);
        int n = settings.Steps;
        var xs = new double[n + 1];
        var ys = new double[n + 1];
        var d = new double[n + 1];
        Record(0);
        for (int t = 1; t <= n; t++)
        {
            var g = grads.Get(xy);
            float x = xy.Values[0], y = xy.Values[1];
            g[0] = y;   // ∂(xy)/∂x
            g[1] = -x;  // −∂(xy)/∂y: ascent in y
            optimizer.Step(grads);
            Record(t);
            if ((t & 1023) == 0) progress((double)t / n);
        }
        return new GameRun(opt.Label, spec, null, xs, ys, d);

        void Record(int t)
        {
            xs[t] = xy.Values[0];
            ys[t] = xy.Values[1];
            d[t] = Math.Sqrt(xs[t] * xs[t] + ys[t] * ys[t]);
        }
    }

    public static ExperimentResult Report(SaddleSettings settings, List<GameRun> runs)
    {
        var result = new ExperimentResult("saddle", "1. Bilinear saddle point: min_x max_y x·y");
        result.Description = "Optax's optimistic-gradient example. Both players update simultaneously from (1, 1): x descends on x·y, y ascends. " +
            "Gradient descent-ascent (GDA) rotates around the saddle and each step multiplies the distance to it by √(1 + η²), so it spirals outward; " +
            "optimistic gradient descent (OGDA, u = −η(2g_t − g_{t−1})) corrects the rotation and converges to the saddle (0, 0).";
        result.Setting("problem", "f(x, y) = x·y, x minimizes, y maximizes; equilibrium (0, 0)");
        result.Setting("start", $"({settings.StartX}, {settings.StartY})");
        result.Setting("steps", $"{settings.Steps}");
        result.Setting("updates", "simultaneous; y receives −∂f/∂y; float32 parameters through the Momentum engine");
        result.Setting("seeds", "none (deterministic)");
        foreach (var r in runs) result.Setting("optimizer " + r.Label, r.Available ? r.Spec : "not available: " + r.Error);

        int[] checkpoints = [10, 100, 1000, settings.Steps];
        checkpoints = [.. checkpoints.Where(c => c <= settings.Steps).Distinct()];
        var table = new SummaryTable("Saddle point: distance to (0, 0) after n steps", ["optimizer", .. checkpoints.Select(c => "n = " + c.ToString(CultureInfo.InvariantCulture)), "verdict"]);
        foreach (var r in runs)
        {
            if (!r.Available)
            {
                table.Add([r.Label, .. checkpoints.Select(_ => "–"), "not available yet"]);
                continue;
            }
            double last = r.Distance[^1];
            string verdict = !double.IsFinite(last) || last > 10 * r.Distance[0] ? "diverges" : last < 1e-2 * r.Distance[0] ? "converges" : last < r.Distance[0] ? "approaches slowly" : "does not converge";
            table.Add([r.Label, .. checkpoints.Select(c => Fmt(r.DistanceAt(c))), verdict]);
        }
        result.Tables.Add(table);
        foreach (var r in runs.Where(r => !r.Available)) result.Notes.Add($"{r.Label} is not available in this build ({r.Error}); it is left out of the charts.");

        var trajectory = new SvgChart("Saddle point x·y: trajectories", "x (minimizing player)", "y (maximizing player)")
        { XRange = (-3, 3), YRange = (-3, 3), PlotWidth = 250, PlotHeight = 250, SmallMultiples = true, Columns = 2 };
        // Cut at 1e-12 below (the float32-denormal tail, 1e-45, would take 33 decades) and 1e6 above.
        var distance = new SvgChart("Saddle point x·y: distance to the equilibrium", "step", "‖(x, y)‖ (log scale)") { YScale = AxisScale.Log, YRange = (1e-12, 1e6) };
        int style = 0;
        foreach (var r in runs)
        {
            if (r.Available)
            {
                trajectory.Add(new ChartSeries(r.Label, r.X, r.Y) { MarkStart = true, Style = style });
                distance.Add(new ChartSeries(r.Label, Steps(r.Distance.Length), r.Distance) { Style = style });
            }
            style++;
        }
        result.Chart(trajectory, "saddle_trajectories", $"Trajectories in the (x, y) plane from ({settings.StartX}, {settings.StartY}) (circle), one panel per optimizer (the others in grey), clipped to ±3. GDA spirals outward; OGDA spirals into the saddle.");
        result.Chart(distance, "saddle_distance", "Distance to the saddle point (0, 0) against steps, log scale. A straight rising line is geometric divergence (GDA), a falling one geometric convergence. " +
            distance.OutOfRangeNote(1e-12, 1e6) + " Values below about 1e-38 are float32 denormals.");
        return result;
    }

    internal static double[] Steps(int count)
    {
        var s = new double[count];
        for (int i = 0; i < count; i++) s[i] = i;
        return s;
    }

    /// <summary>A distance with four significant digits: fixed point from 0.001 to 10⁴, otherwise "1.751e-6".</summary>
    internal static string Fmt(double v)
    {
        if (double.IsNaN(v)) return "nan";
        if (double.IsInfinity(v)) return v > 0 ? "inf" : "-inf";
        if (v == 0) return "0";
        double r = double.Parse(v.ToString("G4", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        if (Math.Abs(r) >= 1e4 || Math.Abs(r) < 1e-3) return r.ToString("0.000e0", CultureInfo.InvariantCulture);
        int decimals = Math.Max(0, 3 - (int)Math.Floor(Math.Log10(Math.Abs(r))));
        return r.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }
}
