using System.Diagnostics;
using System.Globalization;

namespace Momentum.Cli.Tour;

/// <summary>Settings of the classifier experiment.</summary>
internal sealed record ClassifierSettings
{
    public string? DataDirectory { get; init; }
    public int TrainCount { get; init; } = 10_000;

    /// <summary>Training images after the first <see cref="TrainCount"/> held out for tuning the learning rates.</summary>
    public int ValidationCount { get; init; } = 2_000;
    public int TestCount { get; init; } = 2_000;

    /// <summary>Test images skipped before the ones used.</summary>
    public int TestOffset { get; init; }
    public int Epochs { get; init; } = 3;
    public int BatchSize { get; init; } = 64;

    /// <summary>Seeds 1..N of the reported runs (the tuning runs use <see cref="TuningSeed"/>).</summary>
    public int Seeds { get; init; } = 3;

    /// <summary>The seed of the tuning runs, not one of the reported seeds.</summary>
    public int TuningSeed { get; init; }
    public int[] Hidden { get; init; } = [128];

    /// <summary>Evaluations of the test set per epoch (for the curves).</summary>
    public int EvaluationsPerEpoch { get; init; } = 4;

    /// <summary>
    /// The optimizers to run. The default list (this very instance, <see cref="DefaultOptimizers"/>) is tuned: each
    /// entry of <see cref="Tuning"/> tries every rate of its grid on the validation split and the best rate is
    /// reported on the test images. A list the user gives runs as given, with no tuning.
    /// </summary>
    public IReadOnlyList<TourOptimizer> Optimizers { get; init; } = DefaultOptimizers;

    /// <summary>The learning-rate grids tuned when <see cref="Optimizers"/> is the default list.</summary>
    public IReadOnlyList<TunedOptimizer> Tuning { get; init; } = DefaultTuning;

    /// <summary>Whether this run tunes the learning rates (the default optimizer list) or runs the user's specs as given.</summary>
    public bool Tunes => ReferenceEquals(Optimizers, DefaultOptimizers);

    /// <summary>
    /// The default optimizers and their 5-point grids (factors of about 3). ACProp runs twice:
    /// with Optax's ε = ε_root = 1e-16, and with the 1e-8 its authors used (inside the root too, AdaBelief's convention).
    /// </summary>
    public static readonly IReadOnlyList<TunedOptimizer> DefaultTuning =
    [
        new("sgd+momentum 0.9", "sgd(lr={lr}, momentum=0.9)", [3e-3, 1e-2, 3e-2, 1e-1, 3e-1]),
        new("adam", "adam(lr={lr})", [1e-4, 3e-4, 1e-3, 3e-3, 1e-2]),
        new("adamw wd=1e-2", "adamw(lr={lr}, weight_decay=1e-2)", [1e-4, 3e-4, 1e-3, 3e-3, 1e-2]),
        new("nadam", "nadam(lr={lr})", [1e-4, 3e-4, 1e-3, 3e-3, 1e-2]),
        new("rmsprop", "rmsprop(lr={lr})", [1e-4, 3e-4, 1e-3, 3e-3, 1e-2]),
        new("acprop", "acprop(learning_rate={lr})", [1e-6, 3e-6, 1e-5, 3e-5, 1e-4]),
        new("acprop ε=1e-8", "acprop(learning_rate={lr}, eps=1e-8, eps_root=1e-8)", [3e-5, 1e-4, 3e-4, 1e-3, 3e-3]),
        new("lion", "lion(learning_rate={lr})", [3e-5, 1e-4, 3e-4, 1e-3, 3e-3]),
        new("adabelief", "adabelief(learning_rate={lr})", [1e-4, 3e-4, 1e-3, 3e-3, 1e-2]),
        new("schedule_free_adamw", "schedule_free_adamw(learning_rate={lr})", [1e-3, 3e-3, 1e-2, 3e-2, 1e-1]),
    ];

    /// <summary>The default list; its identity means "tune" (see <see cref="Optimizers"/>).</summary>
    public static readonly IReadOnlyList<TourOptimizer> DefaultOptimizers = [.. DefaultTuning.Select(t => t.At(t.Grid[t.Grid.Length / 2]))];
}

/// <summary>An optimizer with a learning-rate grid; <c>{lr}</c> in the spec template stands for the rate.</summary>
internal sealed record TunedOptimizer(string Name, string SpecTemplate, double[] Grid)
{
    public TourOptimizer At(double lr) => new($"{Name} ({Rate(lr)})", SpecTemplate.Replace("{lr}", Rate(lr), StringComparison.Ordinal));

    /// <summary>A rate as the specs write it: 3e-3, 0.03 → 3e-2.</summary>
    public static string Rate(double lr) => lr.ToString("0.###e0", CultureInfo.InvariantCulture);
}

/// <summary>One grid point of the tuning: the rate and its validation score (tuning seed; the mean over the last epoch's evaluations).</summary>
internal sealed record TuningPoint(double Rate, double ValidationAccuracy);

/// <summary>One optimizer's classifier curves (test metrics at evaluation points), per seed.</summary>
internal sealed record ClassifierRun(string Label, string Spec, string? Error, double[] Epoch, double[][] Accuracy, double[][] Loss, double[][] Seconds)
{
    public bool Available => Error is null;

    /// <summary>The tuning grid this run's rate was chosen from (null: the user's spec, not tuned).</summary>
    public TuningPoint[]? Grid { get; init; }

    /// <summary>The chosen rate (with <see cref="Grid"/>).</summary>
    public double Rate { get; init; }
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
        ArgumentOutOfRangeException.ThrowIfNegative(settings.ValidationCount, "validation");
        if (settings.Tunes && settings.ValidationCount == 0) throw new ArgumentException("Tuning the learning rates needs a validation split.", "validation");
        string directory = settings.DataDirectory ?? FashionMnist.DefaultDirectory;
        LabelledImages train, validation, test;
        string dataDescription;
        if (settings.DataDirectory is not null || FashionMnist.IsPresent(directory))
        {
            if (!Directory.Exists(directory)) throw new ArgumentException($"--data: folder '{directory}' does not exist.", "data");
            LabelledImages all;
            (all, test) = FashionMnist.Load(directory, settings.TrainCount + settings.ValidationCount, settings.TestOffset + settings.TestCount);
            (train, validation) = (all.Take(settings.TrainCount), all.Skip(settings.TrainCount));
            test = test.Skip(settings.TestOffset);
            dataDescription = $"Fashion-MNIST from {directory}: training images 0..{train.Count - 1} for training, " +
                $"training images {train.Count}..{train.Count + validation.Count - 1} for validation (tuning), test images {settings.TestOffset}..{settings.TestOffset + test.Count - 1} for the results";
        }
        else
        {
            LabelledImages all;
            (all, test) = FashionMnist.Generate(settings.TrainCount + settings.ValidationCount, settings.TestCount);
            (train, validation) = (all.Take(settings.TrainCount), all.Skip(settings.TrainCount));
            dataDescription = $"Fashion-MNIST is not installed ({directory}); a GENERATED stand-in task is used instead: 10 classes of 28×28 noisy blob images, " +
                $"{train.Count} train / {validation.Count} validation / {test.Count} test";
        }
        if (settings.Tunes && validation.Count == 0)
            throw new ArgumentException($"--train: {settings.TrainCount} leaves no training images for the validation split that tunes the learning rates.", "train");
        int tuningRuns = settings.Tunes ? settings.Tuning.Sum(t => t.Grid.Length) : 0;
        int total = tuningRuns + settings.Optimizers.Count * settings.Seeds, done = 0;
        void Progress(double f) => progress?.Invoke((done + f) / total);

        // Tuning: each grid point once, on the validation split, with the tuning seed. The score is the mean validation
        // accuracy over the last epoch's evaluations (less noisy than the last one alone); the best score wins.
        var chosen = new List<(TourOptimizer Optimizer, TuningPoint[]? Grid, double Rate)>();
        if (settings.Tunes)
        {
            int lastEpoch = Math.Max(1, settings.EvaluationsPerEpoch);
            foreach (var t in settings.Tuning)
            {
                var points = new List<TuningPoint>();
                foreach (double lr in t.Grid)
                {
                    var (transformation, _, error) = t.At(lr).Resolve();
                    double accuracy = double.NaN;
                    if (transformation is not null) accuracy = Train(transformation, train, validation, settings, settings.TuningSeed, Progress).Accuracy[^lastEpoch..].Average();
                    if (error is null) points.Add(new TuningPoint(lr, accuracy));
                    done++;
                }
                var best = points.Where(p => double.IsFinite(p.ValidationAccuracy)).OrderByDescending(p => p.ValidationAccuracy).FirstOrDefault();
                chosen.Add((t.At(best?.Rate ?? t.Grid[t.Grid.Length / 2]), [.. points], best?.Rate ?? double.NaN));
            }
        }
        else
        {
            chosen.AddRange(settings.Optimizers.Select(o => (o, (TuningPoint[]?)null, double.NaN)));
        }

        var runs = new List<ClassifierRun>();
        foreach (var (opt, grid, rate) in chosen)
        {
            var (transformation, spec, error) = opt.Resolve();
            if (transformation is null)
            {
                runs.Add(new ClassifierRun(opt.Label, spec, error, [], [], [], []) { Grid = grid, Rate = rate });
                done += settings.Seeds;
                continue;
            }
            var acc = new double[settings.Seeds][];
            var loss = new double[settings.Seeds][];
            var secs = new double[settings.Seeds][];
            double[] epochs = [];
            for (int s = 0; s < settings.Seeds; s++)
            {
                (epochs, acc[s], loss[s], secs[s]) = Train(opt.Resolve().Transformation!, train, test, settings, seed: s + 1, Progress);
                done++;
            }
            runs.Add(new ClassifierRun(opt.Label, spec, null, epochs, acc, loss, secs) { Grid = grid, Rate = rate });
        }
        progress?.Invoke(1);
        return Report(settings, runs, dataDescription, validation.Count);
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

    private static ExperimentResult Report(ClassifierSettings settings, List<ClassifierRun> runs, string dataDescription, int validationCount)
    {
        var result = new ExperimentResult("classifier", "4. Classifier: an MLP on Fashion-MNIST");
        result.Description = "A small image classifier trained with each optimizer from the same initialization and the same minibatch order per seed. " +
            (settings.Tunes ? "Each optimizer's learning rate is chosen on a validation split of the training images; the results are the final test metrics at that rate. " : "") +
            "The curves show test accuracy and test loss against epochs and against training wall time (evaluation time excluded).";
        result.Setting("data", dataDescription);
        result.Setting("model", $"MLP {string.Join("-", new[] { 784 }.Concat(settings.Hidden).Append(10))}, ReLU, softmax cross-entropy, He-uniform init, analytic backprop (SIMD dot/axpy), float32");
        result.Setting("training", $"{settings.Epochs} epoch{(settings.Epochs == 1 ? "" : "s")}, minibatch {settings.BatchSize}, reshuffled each epoch; {settings.EvaluationsPerEpoch} test evaluations per epoch (for the curves only); one thread");
        result.Setting("seeds", settings.Seeds == 1 ? "1 (seed 1 sets the initialization and the minibatch order)" : $"{settings.Seeds} (1..{settings.Seeds}; seed s sets the initialization and the minibatch order)");
        result.Setting("learning rates", settings.Tunes
            ? $"tuned per optimizer over the grid below: one run per rate with seed {settings.TuningSeed} (not a reported seed), the same epochs, scored by the mean accuracy over the last epoch's {settings.EvaluationsPerEpoch} evaluations on the {validationCount} validation images (training images, never the test images); the best rate is reported"
            : "as given by --optimizers (not tuned)");
        result.Setting("reported", "the final test accuracy after the last epoch (not the best over evaluations), mean ± sd over seeds with a 95% confidence interval (Student's t)");
        foreach (var r in runs) result.Setting("optimizer " + r.Label, r.Available ? r.Spec : "not available: " + r.Error);
        if (dataDescription.Contains("GENERATED", StringComparison.Ordinal)) result.Notes.Add(dataDescription);

        if (settings.Tunes)
        {
            var grid = new SummaryTable("Classifier: learning-rate tuning, validation accuracy (%) per rate (mean over the last epoch's evaluations)", "optimizer", "grid (rate: accuracy)", "chosen");
            foreach (var r in runs.Where(r => r.Grid is not null))
            {
                var g = r.Grid!;
                string cells = string.Join(", ", g.Select(p => $"{TunedOptimizer.Rate(p.Rate)}: {(double.IsFinite(p.ValidationAccuracy) ? (p.ValidationAccuracy * 100).ToString("F2", CultureInfo.InvariantCulture) : "–")}"));
                bool edge = g.Length > 1 && (r.Rate == g[0].Rate || r.Rate == g[^1].Rate);
                grid.Add(r.Label, cells, TunedOptimizer.Rate(r.Rate) + (edge ? " (edge of the grid)" : ""));
            }
            result.Tables.Add(grid);
        }

        var table = new SummaryTable($"Classifier: final test metrics after {settings.Epochs} epoch{(settings.Epochs == 1 ? "" : "s")} ({OverSeeds(settings.Seeds)})",
            "optimizer", "test accuracy", "95% CI", "test loss", "train time (s)");
        foreach (var r in runs)
        {
            if (!r.Available)
            {
                table.Add(r.Label, "–", "–", "–", "not available yet");
                continue;
            }
            var final = r.Accuracy.Select(a => a[^1] * 100).ToArray();
            table.Add(r.Label, Pm(final, "F2", " %"), ConfidenceInterval(final, "F2", " %"), Pm(r.Loss.Select(l => l[^1]), "F4", ""), Pm(r.Seconds.Select(s => s[^1]), "F1", ""));
        }
        result.Tables.Add(table);
        foreach (var r in runs.Where(r => !r.Available)) result.Notes.Add($"{r.Label} is not available in this build ({r.Error}); it is left out of the charts.");
        result.Setting("schedule-free", "schedule-free optimizers are evaluated at their evaluation parameters x = (y − (1−β1)z)/β1 (Optax's schedule_free_eval_params); training continues from y");

        var available = runs.Where(r => r.Available).ToList();
        // The accuracy axis: from 12 points below the median final accuracy (rounded down to 5) unless every value is above.
        var finals = available.Select(r => MeanBand(r.Accuracy, 100).Mean[^1]).Order().ToArray();
        var accValues = available.SelectMany(r => MeanBand(r.Accuracy, 100).Mean.Skip(1)).ToArray();
        (double, double)? accRange = null;
        if (finals.Length > 0)
        {
            double floor = Math.Floor((finals[finals.Length / 2] - 12) / 5) * 5, top = Math.Ceiling(accValues.Max() / 5) * 5;
            if (accValues.Min() < floor) accRange = (floor, top);
        }
        double maxSeconds = available.Select(r => MeanBand(r.Seconds, 1).Mean[^1]).DefaultIfEmpty(1).Max();
        bool milliseconds = maxSeconds < 1;
        string timeLabel = milliseconds ? "training time (ms)" : "training time (s)";
        double timeScale = milliseconds ? 1000 : 1;
        var accEpoch = new SvgChart("Classifier: test accuracy", "epoch", "test accuracy (%)") { YRange = accRange };
        var lossEpoch = new SvgChart("Classifier: test loss", "epoch", "test cross-entropy (log scale)") { YScale = AxisScale.Log };
        var accTime = new SvgChart("Classifier: test accuracy against wall time", timeLabel, "test accuracy (%)") { YRange = accRange };
        var lossTime = new SvgChart("Classifier: test loss against wall time", timeLabel, "test cross-entropy (log scale)") { YScale = AxisScale.Log };
        int style = 0;
        foreach (var r in runs)
        {
            if (r.Available)
            {
                var (accMean, accLo, accHi) = MeanBand(r.Accuracy, 100);
                var (lossMean, lossLo, lossHi) = MeanBand(r.Loss, 1);
                var (secMean, _, _) = MeanBand(r.Seconds, timeScale);
                bool band = settings.Seeds > 1;
                // Skip the untrained point (epoch 0) in the accuracy charts so that the scale shows the differences.
                accEpoch.Add(new ChartSeries(r.Label, r.Epoch[1..], accMean[1..]) { Style = style, Lower = band ? accLo[1..] : null, Upper = band ? accHi[1..] : null });
                lossEpoch.Add(new ChartSeries(r.Label, r.Epoch, lossMean) { Style = style, Lower = band ? lossLo : null, Upper = band ? lossHi : null });
                accTime.Add(new ChartSeries(r.Label, secMean[1..], accMean[1..]) { Style = style });
                lossTime.Add(new ChartSeries(r.Label, secMean, lossMean) { Style = style });
            }
            style++;
        }
        string bandNote = settings.Seeds > 1 ? $" Lines are the mean over {settings.Seeds} seeds, bands ± one standard deviation." : " One seed.";
        string cut = accRange is { } ar ? " " + accEpoch.OutOfRangeNote(ar.Item1, ar.Item2) : "";
        string timeNote = (settings.Seeds > 1 ? $"mean over {settings.Seeds} seeds; " : "") + "single thread; evaluation time excluded; a shared machine's load moves these times by tens of percent";
        result.Chart(accEpoch, "classifier_accuracy_epoch", $"Test accuracy against epochs (first point after a quarter epoch).{bandNote}{cut}");
        result.Chart(lossEpoch, "classifier_loss_epoch", $"Test loss against epochs, log scale.{bandNote}");
        result.Chart(accTime, "classifier_accuracy_time", $"Test accuracy against training wall time ({timeNote}).{cut}");
        result.Chart(lossTime, "classifier_loss_time", $"Test loss against training wall time, log scale ({timeNote}).");
        return result;
    }

    /// <summary>The 95% confidence interval of the mean, mean ± t·sd/√n with Student's t for n − 1 degrees of freedom; "–" for one value.</summary>
    internal static string ConfidenceInterval(IReadOnlyList<double> values, string format, string unit)
    {
        int n = values.Count;
        if (n < 2) return "–";
        double m = values.Average();
        double sd = Math.Sqrt(values.Sum(x => (x - m) * (x - m)) / (n - 1));
        double h = StudentT975(n - 1) * sd / Math.Sqrt(n);
        return $"[{(m - h).ToString(format, CultureInfo.InvariantCulture)}, {(m + h).ToString(format, CultureInfo.InvariantCulture)}]{unit}";
    }

    /// <summary>The 97.5 % quantile of Student's t with <paramref name="df"/> degrees of freedom (table to 30, then the normal's 1.96).</summary>
    internal static double StudentT975(int df)
    {
        double[] table = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
            2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042];
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(df);
        return df <= table.Length ? table[df - 1] : 1.96;
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
