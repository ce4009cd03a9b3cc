using System.Buffers.Binary;
using System.IO.Compression;

namespace FashionMnistMlp;

/// <summary>Images of 784 pixels in [0, 1] with labels 0–9, and where they came from.</summary>
internal sealed record Dataset(float[][] Images, byte[] Labels, string Source);

/// <summary>Fashion-MNIST from its idx files (as Debian's dataset-fashion-mnist installs them), or a generated stand-in.</summary>
internal static class Data
{
    public const string DebianDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>
    /// The first <paramref name="count"/> training or test examples of Fashion-MNIST in <paramref name="directory"/>;
    /// when the files are not there, a generated stand-in that says so in <see cref="Dataset.Source"/>.
    /// </summary>
    public static Dataset Load(string directory, bool train, int count)
    {
        string prefix = train ? "train" : "t10k";
        string images = Path.Combine(directory, $"{prefix}-images-idx3-ubyte.gz"), labels = Path.Combine(directory, $"{prefix}-labels-idx1-ubyte.gz");
        if (!File.Exists(images) || !File.Exists(labels)) return StandIn(train ? 1 : 2, count, directory);
        byte[] pixels = ReadIdx(images, 0x0803), classes = ReadIdx(labels, 0x0801);
        count = Math.Min(count, classes.Length);
        var result = new float[count][];
        for (int i = 0; i < count; i++)
        {
            result[i] = new float[784];
            for (int p = 0; p < 784; p++) result[i][p] = pixels[i * 784 + p] / 255f;
        }
        return new Dataset(result, classes[..count], $"Fashion-MNIST ({directory})");
    }

    /// <summary>The payload of a gzip-compressed idx file after its header, checking the magic number.</summary>
    private static byte[] ReadIdx(string path, int magic)
    {
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var memory = new MemoryStream();
        gzip.CopyTo(memory);
        byte[] bytes = memory.ToArray();
        if (bytes.Length < 8 || BinaryPrimitives.ReadInt32BigEndian(bytes) != magic) throw new InvalidDataException($"{path}: not an idx file of the expected kind.");
        int header = 4 + 4 * (magic & 0xff);
        return bytes[header..];
    }

    /// <summary>
    /// A STAND-IN, not Fashion-MNIST: 10 classes of noisy 28×28 images, class c a bright bar at angle c·18°, so that
    /// the program runs (and CI checks it) where the data set is not installed.
    /// </summary>
    private static Dataset StandIn(int seed, int count, string directory)
    {
        var random = new Random(seed);
        var images = new float[count][];
        var labels = new byte[count];
        for (int i = 0; i < count; i++)
        {
            int c = random.Next(10);
            labels[i] = (byte)c;
            double angle = c * Math.PI / 10, cos = Math.Cos(angle), sin = Math.Sin(angle);
            images[i] = new float[784];
            for (int y = 0; y < 28; y++)
                for (int x = 0; x < 28; x++)
                {
                    double u = x - 13.5, v = y - 13.5, across = -u * sin + v * cos;
                    double bar = Math.Abs(across) < 2.5 ? 0.8 : 0.0;
                    images[i][y * 28 + x] = (float)Math.Clamp(bar + 0.3 * random.NextDouble(), 0, 1);
                }
        }
        return new Dataset(images, labels, $"GENERATED STAND-IN (Fashion-MNIST not found in {directory}): 10 classes of noisy bars");
    }
}
