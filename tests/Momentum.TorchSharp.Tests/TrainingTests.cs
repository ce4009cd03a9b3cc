using System.IO.Compression;
using Momentum.TorchSharp.Examples;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Momentum.TorchSharp.Tests;

/// <summary>
/// A real, short training run: docs/TORCHSHARP.md's example (an MLP, Momentum's AdamW, TorchSharp's autograd) on
/// Fashion-MNIST from Debian's <c>dataset-fashion-mnist</c> package (.ci/run installs it), 6,000 training images, one
/// epoch; where the package is absent, on a generated stand-in of the same shape (ten classes of noisy prototypes).
/// </summary>
public class TrainingTests(ITestOutputHelper output)
{
    private const string Folder = "/usr/share/datasets/fashion-mnist";

    [Fact]
    public void DocsExample_TrainsAnMlp()
    {
        bool real = File.Exists(Path.Combine(Folder, "train-images-idx3-ubyte.gz"));
        var (trainX, trainY, testX, testY) = real ? FashionMnist(6000, 2000) : StandIn(6000, 2000);
        double accuracy = TrainingExample.Train(trainX, trainY, testX, testY);
        output.WriteLine($"{(real ? "Fashion-MNIST" : "generated stand-in")}: test accuracy {accuracy:P1} after one epoch of 6,000 images");
        Assert.True(accuracy > (real ? 0.70 : 0.90), $"test accuracy {accuracy:P1}");
    }

    private static (Tensor, Tensor, Tensor, Tensor) FashionMnist(int train, int test) =>
        (Images("train-images-idx3-ubyte.gz", train), Labels("train-labels-idx1-ubyte.gz", train),
         Images("t10k-images-idx3-ubyte.gz", test), Labels("t10k-labels-idx1-ubyte.gz", test));

    private static byte[] Read(string file, int header, int count, int itemBytes)
    {
        using var gz = new GZipStream(File.OpenRead(Path.Combine(Folder, file)), CompressionMode.Decompress);
        var bytes = new byte[header + count * itemBytes];
        gz.ReadExactly(bytes);
        return bytes[header..];
    }

    private static Tensor Images(string file, int count)
    {
        var pixels = Read(file, 16, count, 784);
        return torch.tensor(Array.ConvertAll(pixels, b => b / 255f), [count, 784]);
    }

    private static Tensor Labels(string file, int count) => torch.tensor(Array.ConvertAll(Read(file, 8, count, 1), b => (long)b));

    private static (Tensor, Tensor, Tensor, Tensor) StandIn(int train, int test)
    {
        var g = new torch.Generator(42);
        var prototypes = torch.rand([10, 784], generator: g);
        (Tensor, Tensor) Make(int n)
        {
            var labels = torch.randint(10, [n], generator: g);
            return (prototypes.index_select(0, labels) + 0.5f * torch.randn([n, 784], generator: g), labels);
        }
        var (a, b) = Make(train);
        var (c, d) = Make(test);
        return (a, b, c, d);
    }
}
