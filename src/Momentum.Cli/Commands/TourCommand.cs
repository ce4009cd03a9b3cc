using System.CommandLine;
using Momentum.Cli.Tour;
using Spectre.Console;

namespace Momentum.Cli.Commands;

/// <summary>
/// <c>momentum tour</c>: runs every experiment of the tour on embedded defaults and writes <c>out/report.html</c>;
/// <c>tour saddle|gan|gaussians|classifier</c> run one experiment with its own options.
/// </summary>
internal static class TourCommand
{
    public static Command Create()
    {
        Option<string> outAll = OutOption();
        Option<string?> dataAll = DataOption();
        Option<string?> imageAll = ImageOption();
        Option<string?> optAll = new("--optimizers")
        {
            Description = "Optimizers for the saddle, gan and classifier experiments, as 'label=spec' or bare specs separated by ';' (default: each experiment's own list).",
        };
        Command tour = new("tour", "Reproduce the experiments behind the optimizers (saddle point, Dirac GAN, Gaussian image fitting with refine, classifier) and write out/report.html.")
        {
            outAll, dataAll, imageAll, optAll,
        };
        tour.SetAction(r => Execute("tour", r.GetValue(outAll)!, () =>
        {
            var given = r.GetValue(optAll) is { } o ? TourOptimizer.ParseList(o, "--optimizers") : null;
            return
            [
                Saddle(new SaddleSettings { Optimizers = given ?? SaddleSettings.DefaultOptimizers }),
                Gan(new DiracGanSettings { Arms = given is null ? DiracGanSettings.DefaultArms : [.. given.Select(t => new GanArm(t, false))] }),
                Gaussians(new GaussianSettings { ImagePath = r.GetValue(imageAll) }),
                Classifier(new ClassifierSettings { DataDirectory = r.GetValue(dataAll), Optimizers = given ?? ClassifierSettings.DefaultOptimizers }),
            ];
        }));

        // tour saddle
        Option<string> outS = OutOption();
        Option<int> stepsS = new Option<int>("--steps") { Description = "Steps per optimizer.", DefaultValueFactory = _ => new SaddleSettings().Steps }.AtLeast(1);
        Option<string?> optS = OptimizersOption();
        Command saddle = new("saddle", "Bilinear saddle point min_x max_y x·y from (1, 1): GDA, OGDA, Adam and optimistic Adam.") { stepsS, optS, outS };
        saddle.SetAction(r => Execute("tour saddle", r.GetValue(outS)!, () => [Saddle(new SaddleSettings
        {
            Steps = r.GetValue(stepsS),
            Optimizers = r.GetValue(optS) is { } o ? TourOptimizer.ParseList(o, "--optimizers") : SaddleSettings.DefaultOptimizers,
        })]));

        // tour gan
        Option<string> outG = OutOption();
        Option<int> stepsG = new Option<int>("--steps") { Description = "Steps per arm.", DefaultValueFactory = _ => new DiracGanSettings().Steps }.AtLeast(1);
        Option<string?> optG = OptimizersOption();
        Command gan = new("gan", "Dirac GAN (Mescheder et al. 2018): simultaneous and alternating GD, Adam, optimistic GD and optimistic Adam.") { stepsG, optG, outG };
        gan.SetAction(r => Execute("tour gan", r.GetValue(outG)!, () => [Gan(new DiracGanSettings
        {
            Steps = r.GetValue(stepsG),
            Arms = r.GetValue(optG) is { } o ? [.. TourOptimizer.ParseList(o, "--optimizers").Select(t => new GanArm(t, false))] : DiracGanSettings.DefaultArms,
        })]));

        // tour gaussians
        var defaults = new GaussianSettings();
        Option<string> outI = OutOption();
        Option<string?> imageI = ImageOption();
        Option<int> stepsI = new Option<int>("--steps") { Description = "Steps per run.", DefaultValueFactory = _ => defaults.Steps }.AtLeast(1);
        Option<int> seedsI = new Option<int>("--seeds") { Description = "Number of seeds (seeds 1..N).", DefaultValueFactory = _ => defaults.Seeds }.AtLeast(1);
        Option<int> gaussiansI = new Option<int>("--gaussians") { Description = "Initial number of Gaussians.", DefaultValueFactory = _ => defaults.InitialGaussians }.AtLeast(1);
        Option<int> maxI = new Option<int>("--max-gaussians") { Description = "Cap on the number of Gaussians (at least --gaussians).", DefaultValueFactory = _ => defaults.MaxGaussians }.AtLeast(1);
        Option<int> refineI = new Option<int>("--refine-every") { Description = "Steps between refines.", DefaultValueFactory = _ => defaults.RefineEvery }.AtLeast(1);
        Option<double> targetI = new Option<double>("--target-psnr") { Description = "Target PSNR in dB; 0 picks it from the runs (the worst arm's final mean PSNR − 0.5 dB).", DefaultValueFactory = _ => 0 }.Positive(orZero: true);
        Option<double> lrScaleI = new Option<double>("--lr-scale") { Description = "Multiply every per-tensor Adam learning rate by this factor.", DefaultValueFactory = _ => 1.0 }.Positive();
        Option<int> sizeI = new Option<int>("--size") { Description = "Side of the embedded procedural image in pixels (8 to 4096).", DefaultValueFactory = _ => defaults.ImageSize }.Between(8, 4096);
        Command gaussians = new("gaussians", "Fit an image with 2-D Gaussians and refine (split/clone/prune): how optimizer state is carried through refine changes convergence.")
        {
            imageI, stepsI, seedsI, gaussiansI, maxI, refineI, targetI, lrScaleI, sizeI, outI,
        };
        gaussians.SetAction(r => Execute("tour gaussians", r.GetValue(outI)!, () => [Gaussians(new GaussianSettings
        {
            ImagePath = r.GetValue(imageI),
            Steps = r.GetValue(stepsI),
            Seeds = r.GetValue(seedsI),
            InitialGaussians = r.GetValue(gaussiansI),
            MaxGaussians = r.GetValue(maxI),
            RefineEvery = r.GetValue(refineI),
            TargetPsnr = r.GetValue(targetI) is var t && t > 0 ? t : null,
            ImageSize = r.GetValue(sizeI),
        }.ScaleLearningRates(r.GetValue(lrScaleI)))]));

        // tour classifier
        var cdefaults = new ClassifierSettings();
        Option<string> outC = OutOption();
        Option<string?> dataC = DataOption();
        Option<int> epochsC = new Option<int>("--epochs") { Description = "Epochs per optimizer.", DefaultValueFactory = _ => cdefaults.Epochs }.AtLeast(1);
        Option<int> trainC = new Option<int>("--train") { Description = "Training images used (a prefix of the training set).", DefaultValueFactory = _ => cdefaults.TrainCount }.AtLeast(1);
        Option<int> testC = new Option<int>("--test") { Description = "Test images used (a prefix of the test set).", DefaultValueFactory = _ => cdefaults.TestCount }.AtLeast(1);
        Option<int> offsetC = new Option<int>("--test-offset") { Description = "Test images to skip before the ones used (for tuning on a disjoint slice).", DefaultValueFactory = _ => 0 }.AtLeast(0);
        Option<int> seedsC = new Option<int>("--seeds") { Description = "Number of seeds per optimizer.", DefaultValueFactory = _ => cdefaults.Seeds }.AtLeast(1);
        Option<string?> optC = OptimizersOption();
        Command classifier = new("classifier", "Train an MLP on Fashion-MNIST with several optimizers: test accuracy and loss against epochs and wall time.")
        {
            dataC, epochsC, trainC, testC, offsetC, seedsC, optC, outC,
        };
        classifier.SetAction(r => Execute("tour classifier", r.GetValue(outC)!, () => [Classifier(new ClassifierSettings
        {
            DataDirectory = r.GetValue(dataC),
            Epochs = r.GetValue(epochsC),
            TrainCount = r.GetValue(trainC),
            TestCount = r.GetValue(testC),
            TestOffset = r.GetValue(offsetC),
            Seeds = r.GetValue(seedsC),
            Optimizers = r.GetValue(optC) is { } o ? TourOptimizer.ParseList(o, "--optimizers") : ClassifierSettings.DefaultOptimizers,
        })]));

        tour.Subcommands.Add(saddle);
        tour.Subcommands.Add(gan);
        tour.Subcommands.Add(gaussians);
        tour.Subcommands.Add(classifier);
        return tour;
    }

    private static Option<string> OutOption() => new("--out", "-o") { Description = "Output folder for report.html and the CSV files.", DefaultValueFactory = _ => "out" };

    private static Option<string?> DataOption()
    {
        Option<string?> option = new("--data") { Description = $"Folder with the Fashion-MNIST idx .gz files (default {FashionMnist.DefaultDirectory})." };
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } folder && !Directory.Exists(folder)) r.AddError($"--data: folder '{folder}' does not exist");
        });
        return option;
    }

    private static Option<string?> ImageOption()
    {
        Option<string?> option = new("--image") { Description = "Binary PPM (P6) or PGM (P5) image to fit instead of the embedded procedural one." };
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } file && !File.Exists(file)) r.AddError($"--image: file '{file}' does not exist");
        });
        return option;
    }

    private static Option<string?> OptimizersOption() => new("--optimizers") { Description = "Optimizers as 'label=spec' or bare specs, separated by ';' (e.g. \"sgd(lr=0.1); fast=adam(lr=0.05)\")." };

    private static TourExperiment Saddle(SaddleSettings s) => new("saddle point", p => SaddleExperiment.Report(s, SaddleExperiment.Run(s, p)));

    private static TourExperiment Gan(DiracGanSettings s) => new("Dirac GAN", p => DiracGanExperiment.Report(s, DiracGanExperiment.Run(s, p)));

    private static TourExperiment Gaussians(GaussianSettings s) => new("Gaussian image fitting", p => GaussianExperiment.Run(s, p));

    private static TourExperiment Classifier(ClassifierSettings s) => new("classifier", p => ClassifierExperiment.Run(s, p));

    /// <summary>
    /// Builds the experiments (checking every user-given optimizer spec) and runs them; bad input exits 2 before anything
    /// runs, a failure of the run exits 1, each with one line naming <paramref name="command"/>.
    /// </summary>
    private static int Execute(string command, string outputDirectory, Func<IReadOnlyList<TourExperiment>> experiments) =>
        CliError.Run(command, Console.Error, () =>
        {
            var list = experiments();
            bool interactive = !Console.IsOutputRedirected;
            TourRunner.Run(list, outputDirectory, "momentum " + command, Console.Out, interactive ? AnsiConsole.Console : null);
            return 0;
        });
}
