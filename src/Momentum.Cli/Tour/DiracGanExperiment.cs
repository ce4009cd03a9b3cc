namespace Momentum.Cli.Tour;

/// <summary>One arm of the Dirac GAN: an optimizer and whether the players move simultaneously or in turn.</summary>
internal sealed record GanArm(TourOptimizer Optimizer, bool Alternating);

/// <summary>Settings of the Dirac GAN experiment.</summary>
internal sealed record DiracGanSettings
{
    public int Steps { get; init; } = 5_000;
    public double StartTheta { get; init; } = 1;
    public double StartPsi { get; init; } = 1;
    public IReadOnlyList<GanArm> Arms { get; init; } = DefaultArms;

    public static readonly IReadOnlyList<GanArm> DefaultArms =
    [
        new(new TourOptimizer("simultaneous GD: sgd(0.1)", "sgd(lr=0.1)"), false),
        new(new TourOptimizer("alternating GD: sgd(0.1)", "sgd(lr=0.1)"), true),
        new(new TourOptimizer("adam(0.05)", "adam(lr=0.05)"), false),
        new(new TourOptimizer("optimistic_gd(0.1)", "optimistic_gradient_descent(learning_rate=0.1)", "optimistic_gd(lr=0.1)", "optimistic_gd(learning_rate=0.1)"), false),
        new(new TourOptimizer("optimistic_adam(0.05, 0.5)", "optimistic_adam_v2(learning_rate=1.0, alpha=0.05, beta=0.5)", "optimistic_adam(learning_rate=0.05, optimism=0.5)",
            "optimistic_adam(lr=0.05, optimism=0.5)", "optimistic_adam(alpha=0.05, beta=0.5)"), false),
    ];
}

/// <summary>
/// The Dirac GAN of Mescheder, Geiger and Nowozin, "Which Training Methods for GANs do actually Converge?" (ICML 2018,
/// https://arxiv.org/abs/1801.04406): generator δ_θ, data δ_0, discriminator D(x) = ψ·x, and
/// L(θ, ψ) = f(ψθ) + f(0) with f(t) = −log(1 + e^{−t}). The generator minimizes L, the discriminator maximizes it; the
/// unique equilibrium is (0, 0). Gradients: ∂L/∂θ = f′(ψθ)·ψ and ∂L/∂ψ = f′(ψθ)·θ with f′(t) = 1/(1 + e^{t}).
/// </summary>
internal static class DiracGanExperiment
{
    /// <summary>f′(t) = 1 / (1 + e^t), computed stably.</summary>
    internal static double FPrime(double t) => t >= 0 ? Math.Exp(-t) / (1 + Math.Exp(-t)) : 1 / (1 + Math.Exp(t));

    public static List<GameRun> Run(DiracGanSettings settings, Action<double>? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.Steps, "steps");
        var runs = new List<GameRun>();
        int k = 0;
        foreach (var arm in settings.Arms)
        {
            runs.Add(RunOne(arm, settings, f => progress?.Invoke((k + f) / settings.Arms.Count)));
            k++;
        }
        progress?.Invoke(1);
        return runs;
    }

    private static GameRun RunOne(GanArm arm, DiracGanSettings settings, Action<double> progress)
    {
        var (transformation, spec, error) = arm.Optimizer.Resolve();
        if (transformation is null) return new GameRun(arm.Optimizer.Label, spec, error, [], [], []);
        var set = new ParameterSet();
        var theta = set.Add("theta", [1], [(float)settings.StartTheta]);
        var psi = set.Add("psi", [1], [(float)settings.StartPsi]);
        var optimizer = new Optimizer(transformation, set, new OptimizerOptions { Threads = 1, NonFiniteGradients = NonFiniteGradients.Propagate });
        var grads = new GradientSet(set);
        int n = settings.Steps;
        var th = new double[n + 1];
        var ps = new double[n + 1];
        var d = new double[n + 1];
        Record(0);
        for (int t = 1; t <= n; t++)
        {
            if (arm.Alternating)
            {
                // The discriminator moves first, then the generator answers the new discriminator.
                grads.ClearAll();
                grads.Get(psi)[0] = (float)-(FPrime(psi.Values[0] * (double)theta.Values[0]) * theta.Values[0]);
                optimizer.Step(grads);
                grads.ClearAll();
                grads.Get(theta)[0] = (float)(FPrime(psi.Values[0] * (double)theta.Values[0]) * psi.Values[0]);
                optimizer.Step(grads);
            }
            else
            {
                double a = theta.Values[0], b = psi.Values[0], fp = FPrime(a * b);
                grads.Get(theta)[0] = (float)(fp * b);
                grads.Get(psi)[0] = (float)-(fp * a);
                optimizer.Step(grads);
            }
            Record(t);
            if ((t & 1023) == 0) progress((double)t / n);
        }
        return new GameRun(arm.Optimizer.Label, spec, null, th, ps, d);

        void Record(int t)
        {
            th[t] = theta.Values[0];
            ps[t] = psi.Values[0];
            d[t] = Math.Sqrt(th[t] * th[t] + ps[t] * ps[t]);
        }
    }

    public static ExperimentResult Report(DiracGanSettings settings, List<GameRun> runs)
    {
        var result = new ExperimentResult("gan", "2. Dirac GAN (Mescheder et al., 2018)");
        result.Description = "The smallest GAN: the generator is a point mass δ_θ, the data are δ_0 and the discriminator is D(x) = ψx, with " +
            "L(θ, ψ) = f(ψθ) + f(0), f(t) = −log(1 + e^{−t}). The equilibrium is (0, 0); near it the game is the bilinear saddle of experiment 1 at half strength. " +
            "Mescheder et al. show that simultaneous and alternating gradient descent do not converge on it (the Jacobian's eigenvalues are imaginary); " +
            "optimism is one of the fixes.";
        result.Setting("loss", "L(θ, ψ) = f(ψθ) + f(0), f(t) = −log(1 + e^{−t}); θ minimizes, ψ maximizes (ψ receives −∂L/∂ψ)");
        result.Setting("start", $"(θ, ψ) = ({settings.StartTheta}, {settings.StartPsi})");
        result.Setting("steps", $"{settings.Steps} (an alternating step moves ψ, then θ at the new ψ)");
        result.Setting("seeds", "none (deterministic)");
        foreach (var r in runs) result.Setting("optimizer " + r.Label, r.Available ? r.Spec : "not available: " + r.Error);

        int[] checkpoints = [.. new[] { 100, 1000, settings.Steps }.Where(c => c <= settings.Steps).Distinct()];
        var table = new SummaryTable("Dirac GAN: distance to the equilibrium (0, 0)",
            ["arm", .. checkpoints.Select(c => "n = " + c), "min over run", "verdict"]);
        foreach (var r in runs)
        {
            if (!r.Available)
            {
                table.Add([r.Label, .. checkpoints.Select(_ => "–"), "–", "not available yet"]);
                continue;
            }
            double last = r.Distance[^1], first = r.Distance[0];
            string verdict = !double.IsFinite(last) ? "diverges" : last < 0.01 * first ? "converges" : last > 1.5 * first ? "moves away" : last < 0.5 * first ? "approaches slowly" : "does not converge (circles)";
            table.Add([r.Label, .. checkpoints.Select(c => SaddleExperiment.Fmt(r.DistanceAt(c))), SaddleExperiment.Fmt(r.Distance.Min()), verdict]);
        }
        result.Tables.Add(table);
        foreach (var r in runs.Where(r => !r.Available)) result.Notes.Add($"{r.Label} is not available in this build ({r.Error}); it is left out of the charts.");

        var trajectory = new SvgChart("Dirac GAN: trajectories", "θ (generator)", "ψ (discriminator)")
        { XRange = (-3, 3), YRange = (-3, 3), PlotWidth = 250, PlotHeight = 250, SmallMultiples = true, Columns = 3 };
        // Cut at 1e-12 below: the float32-denormal tail (1e-44) would take 32 decades.
        var distance = new SvgChart("Dirac GAN: distance to the equilibrium", "step", "‖(θ, ψ)‖ (log scale)") { YScale = AxisScale.Log, YRange = (1e-12, 10) };
        int style = 0;
        foreach (var r in runs)
        {
            if (r.Available)
            {
                trajectory.Add(new ChartSeries(r.Label, r.X, r.Y) { MarkStart = true, Style = style });
                distance.Add(new ChartSeries(r.Label, SaddleExperiment.Steps(r.Distance.Length), r.Distance) { Style = style });
            }
            style++;
        }
        result.Chart(trajectory, "gan_trajectories", $"Dirac GAN trajectories in the (θ, ψ) plane from ({settings.StartTheta}, {settings.StartPsi}) (circle), one panel per arm (the others in grey), clipped to ±3.");
        result.Chart(distance, "gan_distance", "Dirac GAN: distance to the equilibrium (0, 0) against steps, log scale. " +
            distance.OutOfRangeNote(1e-12, 10) + " Values below about 1e-38 are float32 denormals.");
        return result;
    }
}
