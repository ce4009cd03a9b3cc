using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using Momentum.TorchSharp;
using TorchSharp;
using static TorchSharp.torch;

/// <summary>
/// A real training comparison: the same 784-256-128-10 MLP from the same initialization, trained on Fashion-MNIST with
/// Adam (lr 1e-3, batch 100) through the Momentum adapter and with TorchSharp's <c>torch.optim.Adam</c>, the two runs
/// interleaved batch by batch so that load affects both alike. Reports the loss of the first steps side by side, the
/// test accuracy after every epoch, and the optimizer part of a step (zero_grad + step; median and min–max in ms).
/// </summary>
internal static class Training
{
    private const string Folder = "/usr/share/datasets/fashion-mnist";

    public static int Run(string[] args)
    {
        int epochs = 3;
        for (int i = 0; i + 1 < args.Length; i++)
            if (args[i] == "--epochs") epochs = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
        if (!File.Exists(Path.Combine(Folder, "train-images-idx3-ubyte.gz")))
        {
            Console.Error.WriteLine($"bench --train: Fashion-MNIST is not installed (Debian's dataset-fashion-mnist puts it in {Folder}).");
            return 2;
        }
        var trainX = Images("train-images-idx3-ubyte.gz", 60_000);
        var trainY = Labels("train-labels-idx1-ubyte.gz", 60_000);
        var testX = Images("t10k-images-idx3-ubyte.gz", 10_000);
        var testY = Labels("t10k-labels-idx1-ubyte.gz", 10_000);

        var ours = Mlp();
        var theirs = Mlp();
        var momentum = new TorchOptimizer(ours, "adam(lr=1e-3)");
        var torchAdam = optim.Adam(theirs.parameters(), lr: 1e-3);
        var arms = new (string Name, nn.Module<Tensor, Tensor> Model, Action ZeroGrad, Action Step, List<double> Ms, List<float> Loss)[]
        {
            ("Momentum Adam (adapter)", ours, () => momentum.zero_grad(), () => momentum.step(), [], []),
            ("TorchSharp Adam", theirs, () => torchAdam.zero_grad(), () => torchAdam.step(), [], []),
        };
        Console.WriteLine($"Fashion-MNIST, 784-256-128-10 MLP, Adam lr 1e-3, batch 100, {epochs} epochs; threads: torch {torch.get_num_threads()}");
        const int batch = 100;
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            for (long start = 0; start + batch <= 60_000; start += batch)
                foreach (var arm in arms)
                {
                    using var scope = torch.NewDisposeScope();
                    var x = trainX.narrow(0, start, batch);
                    var y = trainY.narrow(0, start, batch);
                    var watch = Stopwatch.StartNew();
                    arm.ZeroGrad();
                    double zeroMs = watch.Elapsed.TotalMilliseconds;
                    var loss = nn.functional.cross_entropy(arm.Model.forward(x), y);
                    loss.backward();
                    watch.Restart();
                    arm.Step();
                    arm.Ms.Add(zeroMs + watch.Elapsed.TotalMilliseconds);
                    if (arm.Loss.Count < 10) arm.Loss.Add(loss.item<float>());
                }
            Console.WriteLine($"epoch {epoch}: test accuracy " + string.Join(", ", arms.Select(a => $"{a.Name} {Accuracy(a.Model, testX, testY):P2}")));
        }
        Console.WriteLine("loss of the first 10 steps (same initialization, same batches):");
        foreach (var arm in arms) Console.WriteLine($"  {arm.Name,-24} " + string.Join(" ", arm.Loss.Select(l => l.ToString("F5", CultureInfo.InvariantCulture))));
        double baseline = Median(arms[0].Ms);
        Console.WriteLine("optimizer part of a step (zero_grad + step), ms: median, min–max; × Momentum's median");
        foreach (var arm in arms)
            Console.WriteLine($"  {arm.Name,-24} {Median(arm.Ms),8:F3}  {arm.Ms.Min(),8:F3}–{arm.Ms.Max(),-8:F3} {Median(arm.Ms) / baseline,6:F2}×");
        return 0;
    }

    private static nn.Module<Tensor, Tensor> Mlp()
    {
        torch.manual_seed(0);
        return nn.Sequential(
            ("fc1", nn.Linear(784, 256)), ("relu1", nn.ReLU()),
            ("fc2", nn.Linear(256, 128)), ("relu2", nn.ReLU()),
            ("fc3", nn.Linear(128, 10)));
    }

    private static double Accuracy(nn.Module<Tensor, Tensor> model, Tensor x, Tensor y)
    {
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        return model.forward(x).argmax(1).eq(y).to_type(ScalarType.Float32).mean().item<float>();
    }

    private static byte[] Read(string file, int header, int count, int itemBytes)
    {
        using var gz = new GZipStream(File.OpenRead(Path.Combine(Folder, file)), CompressionMode.Decompress);
        var bytes = new byte[header + count * itemBytes];
        gz.ReadExactly(bytes);
        return bytes[header..];
    }

    private static Tensor Images(string file, int count) =>
        torch.tensor(Array.ConvertAll(Read(file, 16, count, 784), b => b / 255f), [count, 784]);

    private static Tensor Labels(string file, int count) =>
        torch.tensor(Array.ConvertAll(Read(file, 8, count, 1), b => (long)b));

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
