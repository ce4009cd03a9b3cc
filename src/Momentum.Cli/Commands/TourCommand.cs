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
        Command tour = new("tour", "Reproduce the experiments behind the optimizers (saddle point, Dirac GAN, Gaussian image fitting with refine, classifier) and write out/report.html.")
        {
            outAll, dataAll, imageAll,
        };
        tour.SetAction(r => Execute(
            [Saddle(new SaddleSettings()), Gan(new DiracGanSettings()),
             Gaussians(new GaussianSettings { ImagePath = r.GetValue(imageAll) }),
             Classifier(new ClassifierSettings { DataDirectory = r.GetValue(dataAll) })],
            r.GetValue(outAll)!, "momentum tour"));

        // tour saddle
        Option<string> outS = OutOption();
        Option<int> stepsS = new("--steps") { Description = "Steps per optimizer.", DefaultValueFactory = _ => new SaddleSettings().Steps };
        Option<string?> optS = OptimizersOption();
        Command saddle = new("saddle", "Bilinear saddle point min_x max_y x·y from (1, 1): GDA, OGDA, Adam and optimistic Adam.") { stepsS, optS, outS };
        saddle.SetAction(r => Execute([Saddle(new SaddleSettings
        {
            Steps = r.GetValue(stepsS),
            Optimizers = r.GetValue(optS) is { } o ? TourOptimizer.ParseList(o, "--optimizers") : SaddleSettings.DefaultOptimizers,
        })], r.GetValue(outS)!, "momentum tour saddle"));

        // tour gan
        Option<string> outG = OutOption();
        Option<int> stepsG = new("--steps") { Description = "Steps per arm.", DefaultValueFactory = _ => new DiracGanSettings().Steps };
        Option<string?> optG = OptimizersOption();
        Command gan = new("gan", "Dirac GAN (Mescheder et al. 2018): simultaneous and alternating GD, Adam, optimistic GD and optimistic Adam.") { stepsG, optG, outG };
        gan.SetAction(r => Execute([Gan(new DiracGanSettings
        {
            Steps = r.GetValue(stepsG),
            Arms = r.GetValue(optG) is { } o ? [.. TourOptimizer.ParseList(o, "--optimizers").Select(t => new GanArm(t, false))] : DiracGanSettings.DefaultArms,
        })], r.GetValue(outG)!, "momentum tour gan"));

        // tour gaussians
        var defaults = new GaussianSettings();
        Option<string> outI = OutOption();
        Option<string?> imageI = ImageOption();
        Option<int> stepsI = new("--steps") { Description = "Steps per run.", DefaultValueFactory = _ => defaults.Steps };
        Option<int> seedsI = new("--seeds") { Description = "Number of seeds (seeds 1..N).", DefaultValueFactory = _ => defaults.Seeds };
        Option<int> gaussiansI = new("--gaussians") { Description = "Initial number of Gaussians.", DefaultValueFactory = _ => defaults.InitialGaussians };
        Option<int> maxI = new("--max-gaussians") { Description = "Cap on the number of Gaussians.", DefaultValueFactory = _ => defaults.MaxGaussians };
        Option<int> refineI = new("--refine-every") { Description = "Steps between refines.", DefaultValueFactory = _ => defaults.RefineEvery };
        Option<double> targetI = new("--target-psnr") { Description = "Target PSNR in dB; 0 picks it from the runs (the worst arm's final mean PSNR − 0.5 dB).", DefaultValueFactory = _ => 0 };
        Option<double> lrScaleI = new("--lr-scale") { Description = "Multiply every per-tensor Adam learning rate by this factor.", DefaultValueFactory = _ => 1.0 };
        Option<int> sizeI = new("--size") { Description = "Side of the embedded procedural image in pixels.", DefaultValueFactory = _ => defaults.ImageSize };
        Command gaussians = new("gaussians", "Fit an image with 2-D Gaussians and refine (split/clone/prune): how optimizer state is carried through refine changes convergence.")
        {
            imageI, stepsI, seedsI, gaussiansI, maxI, refineI, targetI, lrScaleI, sizeI, outI,
        };
        gaussians.SetAction(r => Execute([Gaussians(new GaussianSettings
        {
            ImagePath = r.GetValue(imageI),
            Steps = r.GetValue(stepsI),
            Seeds = r.GetValue(seedsI),
            InitialGaussians = r.GetValue(gaussiansI),
            MaxGaussians = r.GetValue(maxI),
            RefineEvery = r.GetValue(refineI),
            TargetPsnr = r.GetValue(targetI) is var t && t > 0 ? t : null,
            ImageSize = r.GetValue(sizeI),
        }.ScaleLearningRates(r.GetValue(lrScaleI)))], r.GetValue(outI)!, "momentum tour gaussians"));

        // tour classifier
        var cdefaults = new ClassifierSettings();
        Option<string> outC = OutOption();
        Option<string?> dataC = DataOption();
        Option<int> epochsC = new("--epochs") { Description = "Epochs per optimizer.", DefaultValueFactory = _ => cdefaults.Epochs };
        Option<int> trainC = new("--train") { Description = "Training images used (a prefix of the training set).", DefaultValueFactory = _ => cdefaults.TrainCount };
        Option<int> testC = new("--test") { Description = "Test images used (a prefix of the test set).", DefaultValueFactory = _ => cdefaults.TestCount };
        Option<int> offsetC = new("--test-offset") { Description = "Test images to skip before the ones used (for tuning on a disjoint slice).", DefaultValueFactory = _ => 0 };
        Option<int> seedsC = new("--seeds") { Description = "Number of seeds per optimizer.", DefaultValueFactory = _ => cdefaults.Seeds };
        Option<string?> optC = OptimizersOption();
        Command classifier = new("classifier", "Train an MLP on Fashion-MNIST with several optimizers: test accuracy and loss against epochs and wall time.")
        {
            dataC, epochsC, trainC, testC, offsetC, seedsC, optC, outC,
        };
        classifier.SetAction(r => Execute([Classifier(new ClassifierSettings
        {
            DataDirectory = r.GetValue(dataC),
            Epochs = r.GetValue(epochsC),
            TrainCount = r.GetValue(trainC),
            TestCount = r.GetValue(testC),
            TestOffset = r.GetValue(offsetC),
            Seeds = r.GetValue(seedsC),
            Optimizers = r.GetValue(optC) is { } o ? TourOptimizer.ParseList(o, "--optimizers") : ClassifierSettings.DefaultOptimizers,
        })], r.GetValue(outC)!, "momentum tour classifier"));

        tour.Subcommands.Add(saddle);
        tour.Subcommands.Add(gan);
        tour.Subcommands.Add(gaussians);
        tour.Subcommands.Add(classifier);
        return tour;
    }

    private static Option<string> OutOption() => new("--out", "-o") { Description = "Output folder for report.html and the CSV files.", DefaultValueFactory = _ => "out" };

    private static Option<string?> DataOption() => new("--data") { Description = $"Folder with the Fashion-MNIST idx .gz files (default {FashionMnist.DefaultDirectory})." };

    private static Option<string?> ImageOption() => new("--image") { Description = "Binary PPM (P6) or PGM (P5) image to fit instead of the embedded procedural one." };

    private static Option<string?> OptimizersOption() => new("--optimizers") { Description = "Optimizers as 'label=spec' or bare specs, separated by ';' (e.g. \"sgd(lr=0.1); fast=adam(lr=0.05)\")." };

    private static TourExperiment Saddle(SaddleSettings s) => new("saddle point", p => SaddleExperiment.Report(s, SaddleExperiment.Run(s, p)));

    private static TourExperiment Gan(DiracGanSettings s) => new("Dirac GAN", p => DiracGanExperiment.Report(s, DiracGanExperiment.Run(s, p)));

    private static TourExperiment Gaussians(GaussianSettings s) => new("Gaussian image fitting", p => GaussianExperiment.Run(s, p));

    private static TourExperiment Classifier(ClassifierSettings s) => new("classifier", p => ClassifierExperiment.Run(s, p));

    private static int Execute(IReadOnlyList<TourExperiment> experiments, string outputDirectory, string command)
    {
        try
        {
            bool interactive = !Console.IsOutputRedirected;
            TourRunner.Run(experiments, outputDirectory, command, Console.Out, interactive ? AnsiConsole.Console : null);
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            string message = e.Message.Split('\n')[0].TrimEnd();
            if (e is ArgumentException { ParamName: { } name } && message.EndsWith($" (Parameter '{name}')", StringComparison.Ordinal))
                message = message[..^$" (Parameter '{name}')".Length];
            Console.Error.WriteLine("error: " + message);
            return 1;
        }
    }
}
