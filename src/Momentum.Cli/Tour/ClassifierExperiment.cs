using System.Diagnostics;
using System.Globalization;

namespace Momentum.Cli.Tour;

/// <summary>Settings of the classifier experiment.</summary>
internal sealed record ClassifierSettings
{
    public string? DataDirectory { get; init; }
    public int TrainCount { get; init; } = 10_000;
    public int TestCount { get; init; } = 2_000;

    /// <summary>Test images skipped before the ones used (tuning used a disjoint slice of the test set).</summary>
    public int TestOffset { get; init; }
    public int Epochs { get; init; } = 3;
    public int BatchSize { get; init; } = 64;
    public int Seeds { get; init; } = 1;
    public int[] Hidden { get; init; } = [128];

    /// <summary>Evaluations of the test set per epoch (for the curves).</summary>
    public int EvaluationsPerEpoch { get; init; } = 4;

    public IReadOnlyList<TourOptimizer> Optimizers { get; init; } = DefaultOptimizers;

    /// <summary>
    /// The optimizers and learning rates of the default run. The rates were tuned by a sweep over a factor-of-~3 grid
    /// with <c>momentum tour classifier --test-offset 5000 --optimizers ...</c> (3 epochs, 10k train, seed 1), keeping the
    /// best final accuracy on test images 5000–6999 (disjoint from the ones reported); docs/RESULTS.md lists the grid.
    /// </summary>
    public static readonly IReadOnlyList<TourOptimizer> DefaultOptimizers =
    [
        new("sgd+momentum(0.03, 0.9)", "sgd(lr=0.03, momentum=0.9)"),
        new("adam(3e-3)", "adam(lr=3e-3)"),
        new("adamw(1e-2, wd=1e-2)", "adamw(lr=1e-2, weight_decay=1e-2)"),
        new("nadam(3e-3)", "nadam(lr=3e-3)"),
        new("rmsprop(3e-3)", "rmsprop(lr=3e-3)"),
        new("acprop(3e-5)", "acprop(learning_rate=3e-5)", "acprop(lr=3e-5)"),
        new("lion(1e-3)", "lion(learning_rate=1e-3)", "lion(lr=1e-3)"),
        new("adabelief(3e-3)", "adabelief(learning_rate=3e-3)", "adabelief(lr=3e-3)"),
        new("schedule_free_adamw(1e-2)", "schedule_free_adamw(learning_rate=1e-2)", "schedule_free_adamw(lr=1e-2)"),
    ];
}

/// <summary>One optimizer's classifier curves (test metrics at evaluation points), per seed.</summary>
internal sealed record ClassifierRun(string Label, string Spec, string? Error, double[] Epoch, double[][] Accuracy, double[][] Loss, double[][] Seconds)
{
    public bool Available => Error is null;
}

/// <summary>An MLP on Fashion-MNIST (or a generated stand-in) trained with each optimizer.</summary>
internal static class ClassifierExperiment
{
    public static ExperimentResult Run(ClassifierSettings settings, Action<double>? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.Epochs, "epochs");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.TrainCount, "train");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.TestCount, "test");
        ArgumentOutOfRangeException.ThrowIfNegative(settings.TestOffset, "test-offset");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.Seeds, "seeds");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.BatchSize, "batch size");
        string directory = settings.DataDirectory ?? FashionMnist.DefaultDirectory;
        LabelledImages train, test;
        string dataDescription;
        if (settings.DataDirectory is not null || FashionMnist.IsPresent(directory))
        {
            if (!Directory.Exists(directory)) throw new ArgumentException($"--data: folder '{directory}' does not exist.", "data");
            (train, test) = FashionMnist.Load(directory, settings.TrainCount, settings.TestOffset + settings.TestCount);
            test = test.Skip(settings.TestOffset);
            dataDescription = $"Fashion-MNIST from {directory}: the first {train.Count} training images and test images {settings.TestOffset}..{settings.TestOffset + test.Count - 1}";
        }
        else
        {
            (train, test) = FashionMnist.Generate(settings.TrainCount, settings.TestCount);
            dataDescription = $"Fashion-MNIST is not installed ({directory}); a GENERATED stand-in task is used instead: 10 classes of 28×28 noisy blob images, {train.Count} train / {test.Count} test";
        }
        var runs = new List<ClassifierRun>();
        int total = settings.Optimizers.Count * settings.Seeds, done = 0;
        foreach (var opt in settings.Optimizers)
        {
            var (transformation, spec, error) = opt.Resolve();
            if (transformation is null)
            {
                runs.Add(new ClassifierRun(opt.Label, spec, error, [], [], [], []));
                done += settings.Seeds;
                continue;
            }
            var acc = new double[settings.Seeds][];
            var loss = new double[settings.Seeds][];
            var secs = new double[settings.Seeds][];
            double[] epochs = [];
            for (int s = 0; s < settings.Seeds; s++)
            {
                int d = done;
                (epochs, acc[s], loss[s], secs[s]) = Train(opt.Resolve().Transformation!, train, test, settings, seed: s + 1,
                    f => progress?.Invoke((d + f) / total));
                done++;
            }
            runs.Add(new ClassifierRun(opt.Label, spec, null, epochs, acc, loss, secs));
        }
        progress?.Invoke(1);
        return Report(settings, runs, dataDescription);
    }

    /// <summary>Trains one MLP; returns the test accuracy, loss and elapsed training seconds at each evaluation point.</summary>
    internal static (double[] Epoch, double[] Accuracy, double[] Loss, double[] Seconds) Train(GradientTransformation transformation,
        LabelledImages train, LabelledImages test, ClassifierSettings settings, int seed, Action<double>? progress = null)
    {
        var set = new ParameterSet();
        var mlp = new Mlp(set, [train.Pixels, .. settings.Hidden, train.Classes], seed);
        var optimizer = new Optimizer(transformation, set, new OptimizerOptions { Threads = 1 });
        var grads = new GradientSet(set);
        var rng = new Random(1000 + seed);
        var order = Enumerable.Range(0, train.Count).ToArray();
        int batches = (train.Count + settings.BatchSize - 1) / settings.BatchSize;
        int evals = Math.Max(1, settings.EvaluationsPerEpoch);
        var epochList = new List<double>();
        var accList = new List<double>();
        var lossList = new List<double>();
        var secList = new List<double>();
        var clock = new Stopwatch();
        bool scheduleFree = IsScheduleFree(optimizer, set[0]);
        var saved = scheduleFree ? set.Select(p => new float[p.Length]).ToArray() : [];
        void Evaluate(double epoch)
        {
            clock.Stop();
            if (scheduleFree)
            {
                // Evaluate at the schedule-free evaluation parameters x (Optax's schedule_free_eval_params), then restore y.
                for (int i = 0; i < set.Count; i++)
                {
                    set[i].Values.CopyTo(saved[i]);
                    Optimizers.ScheduleFreeEvalParameters(optimizer, set[i], set[i].Values);
                }
            }
            var (l, a) = mlp.Evaluate(test);
            if (scheduleFree)
                for (int i = 0; i < set.Count; i++) saved[i].CopyTo(set[i].Values);
            epochList.Add(epoch);
            accList.Add(a);
            lossList.Add(l);
            secList.Add(clock.Elapsed.TotalSeconds);
            clock.Start();
        }
        Evaluate(0);
        for (int e = 0; e < settings.Epochs; e++)
        {
            rng.Shuffle(order);
            int nextEval = 1;
            for (int b = 0; b < batches; b++)
            {
                int start = b * settings.BatchSize;
                var batch = order.AsSpan(start, Math.Min(settings.BatchSize, train.Count - start));
                double batchLoss = mlp.TrainBatch(train, batch, grads);
                optimizer.Step(grads, batchLoss);
                if ((b + 1) * evals >= nextEval * batches)
                {
                    Evaluate(e + (double)(b + 1) / batches);
                    nextEval++;
                }
                progress?.Invoke((e + (b + 1.0) / batches) / settings.Epochs);
            }
        }
        return ([.. epochList], [.. accList], [.. lossList], [.. secList]);
    }

    private static bool IsScheduleFree(Optimizer optimizer, Parameter probe)
    {
        try
        {
            Optimizers.ScheduleFreeEvalParameters(optimizer, probe, new float[probe.Length]);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static ExperimentResult Report(ClassifierSettings settings, List<ClassifierRun> runs, string dataDescription)
    {
        var result = new ExperimentResult("classifier", "4. Classifier: an MLP on Fashion-MNIST");
        result.Description = "A small image classifier trained with each optimizer from the same initialization and the same minibatch order per seed. " +
            "The curves show test accuracy and test loss against epochs and against training wall time (evaluation time excluded).";
        result.Setting("data", dataDescription);
        result.Setting("model", $"MLP {string.Join("-", new[] { 784 }.Concat(settings.Hidden).Append(10))}, ReLU, softmax cross-entropy, He-uniform init, analytic backprop (SIMD dot/axpy), float32");
        result.Setting("training", $"{settings.Epochs} epochs, minibatch {settings.BatchSize}, reshuffled each epoch; {settings.EvaluationsPerEpoch} test evaluations per epoch; one thread");
        result.Setting("seeds", $"{settings.Seeds} (seed s sets the initialization and the minibatch order)");
        result.Setting("learning rates", "tuned per optimizer on a factor-of-~3 grid (3 epochs, 10k train, seed 1), by final accuracy on test images 5000–6999, disjoint from the reported ones; grid in docs/RESULTS.md");
        foreach (var r in runs) result.Setting("optimizer " + r.Label, r.Available ? r.Spec : "not available: " + r.Error);
        if (dataDescription.Contains("GENERATED", StringComparison.Ordinal)) result.Notes.Add(dataDescription);

        var table = new SummaryTable($"Classifier: final test metrics ({OverSeeds(settings.Seeds)})", "optimizer", "test accuracy", "test loss", "best accuracy", "train time (s)");
        foreach (var r in runs)
        {
            if (!r.Available)
            {
                table.Add(r.Label, "–", "–", "–", "not available yet");
                continue;
            }
            table.Add(r.Label, Pm(r.Accuracy.Select(a => a[^1] * 100), "F2", "%"), Pm(r.Loss.Select(l => l[^1]), "F4", ""),
                Pm(r.Accuracy.Select(a => a.Max() * 100), "F2", "%"), Pm(r.Seconds.Select(s => s[^1]), "F1", ""));
        }
        result.Tables.Add(table);
        foreach (var r in runs.Where(r => !r.Available)) result.Notes.Add($"{r.Label} is not available in this build ({r.Error}); it is left out of the charts.");
        result.Setting("schedule-free", "schedule-free optimizers are evaluated at their evaluation parameters x = (y − (1−β1)z)/β1 (Optax's schedule_free_eval_params); training continues from y");

        var accEpoch = new SvgChart("Classifier: test accuracy", "epoch", "test accuracy (%)");
        var lossEpoch = new SvgChart("Classifier: test loss", "epoch", "test cross-entropy (log scale)") { YScale = AxisScale.Log };
        var accTime = new SvgChart("Classifier: test accuracy against wall time", "training time (s)", "test accuracy (%)");
        var lossTime = new SvgChart("Classifier: test loss against wall time", "training time (s)", "test cross-entropy (log scale)") { YScale = AxisScale.Log };
        int style = 0;
        foreach (var r in runs)
        {
            if (r.Available)
            {
                var (accMean, accLo, accHi) = MeanBand(r.Accuracy, 100);
                var (lossMean, lossLo, lossHi) = MeanBand(r.Loss, 1);
                var (secMean, _, _) = MeanBand(r.Seconds, 1);
                bool band = settings.Seeds > 1;
                // Skip the untrained point (epoch 0) in the accuracy charts so that the scale shows the differences.
                accEpoch.Add(new ChartSeries(r.Label, r.Epoch[1..], accMean[1..]) { Style = style, Lower = band ? accLo[1..] : null, Upper = band ? accHi[1..] : null });
                lossEpoch.Add(new ChartSeries(r.Label, r.Epoch, lossMean) { Style = style, Lower = band ? lossLo : null, Upper = band ? lossHi : null });
                accTime.Add(new ChartSeries(r.Label, secMean[1..], accMean[1..]) { Style = style });
                lossTime.Add(new ChartSeries(r.Label, secMean, lossMean) { Style = style });
            }
            style++;
        }
        string bandNote = settings.Seeds > 1 ? $" Lines are the mean over {settings.Seeds} seeds, bands ± one standard deviation." : "";
        result.Chart(accEpoch, "classifier_accuracy_epoch", $"Test accuracy against epochs (first point after a quarter epoch).{bandNote}");
        result.Chart(lossEpoch, "classifier_loss_epoch", $"Test loss against epochs, log scale.{bandNote}");
        result.Chart(accTime, "classifier_accuracy_time", "Test accuracy against training wall time (mean over seeds; single thread; evaluation time excluded).");
        result.Chart(lossTime, "classifier_loss_time", "Test loss against training wall time, log scale.");
        return result;
    }

    internal static (double[] Mean, double[] Lower, double[] Upper) MeanBand(double[][] values, double scale)
    {
        int n = values.Min(v => v.Length);
        var mean = new double[n];
        var lo = new double[n];
        var hi = new double[n];
        for (int i = 0; i < n; i++)
        {
            double m = 0;
            foreach (var v in values) m += v[i] * scale;
            m /= values.Length;
            double ss = 0;
            foreach (var v in values) ss += (v[i] * scale - m) * (v[i] * scale - m);
            double sd = values.Length > 1 ? Math.Sqrt(ss / (values.Length - 1)) : 0;
            mean[i] = m;
            lo[i] = m - sd;
            hi[i] = m + sd;
        }
        return (mean, lo, hi);
    }

    /// <summary>"one seed", or "mean ± sd over N seeds".</summary>
    internal static string OverSeeds(int seeds) => seeds == 1 ? "one seed" : $"mean ± sd over {seeds} seeds";

    internal static string Pm(IEnumerable<double> values, string format, string unit)
    {
        var v = values.ToArray();
        double m = v.Average();
        if (v.Length == 1) return m.ToString(format, CultureInfo.InvariantCulture) + unit;
        double sd = Math.Sqrt(v.Sum(x => (x - m) * (x - m)) / (v.Length - 1));
        return $"{m.ToString(format, CultureInfo.InvariantCulture)} ± {sd.ToString(format, CultureInfo.InvariantCulture)}{unit}";
    }
}
