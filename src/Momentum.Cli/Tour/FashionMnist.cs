using System.Buffers.Binary;
using System.IO.Compression;

namespace Momentum.Cli.Tour;

/// <summary>A labelled image set: <see cref="Count"/> images of <see cref="Pixels"/> values in [0, 1], row-major.</summary>
internal sealed record LabelledImages(float[] Images, byte[] Labels, int Pixels, int Classes)
{
    public int Count => Labels.Length;

    public ReadOnlySpan<float> Image(int i) => Images.AsSpan(i * Pixels, Pixels);

    /// <summary>The examples after the first <paramref name="count"/>.</summary>
    public LabelledImages Skip(int count)
    {
        count = Math.Min(count, Count);
        return new LabelledImages(Images[(count * Pixels)..], Labels[count..], Pixels, Classes);
    }

    /// <summary>The first <paramref name="count"/> examples (or all of them).</summary>
    public LabelledImages Take(int count)
    {
        count = Math.Min(count, Count);
        return new LabelledImages(Images[..(count * Pixels)], Labels[..count], Pixels, Classes);
    }
}

/// <summary>
/// Reads the idx files of MNIST-style data sets (http://yann.lecun.com/exdb/mnist/), gzip-compressed or not, strictly:
/// the magic number, the element type (unsigned byte), the number of dimensions and the exact length are checked, and
/// every problem is a one-line <see cref="InvalidDataException"/> naming the file.
/// </summary>
internal static class FashionMnist
{
    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> package installs the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    public static readonly string[] ClassNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>Whether the four files are present in <paramref name="directory"/>.</summary>
    public static bool IsPresent(string directory) =>
        File.Exists(Path.Combine(directory, "train-images-idx3-ubyte.gz")) && File.Exists(Path.Combine(directory, "train-labels-idx1-ubyte.gz"))
        && File.Exists(Path.Combine(directory, "t10k-images-idx3-ubyte.gz")) && File.Exists(Path.Combine(directory, "t10k-labels-idx1-ubyte.gz"));

    /// <summary>Loads up to <paramref name="maxTrain"/> training and <paramref name="maxTest"/> test examples.</summary>
    public static (LabelledImages Train, LabelledImages Test) Load(string directory, int maxTrain, int maxTest)
    {
        var train = LoadPair(Path.Combine(directory, "train-images-idx3-ubyte.gz"), Path.Combine(directory, "train-labels-idx1-ubyte.gz"), maxTrain);
        var test = LoadPair(Path.Combine(directory, "t10k-images-idx3-ubyte.gz"), Path.Combine(directory, "t10k-labels-idx1-ubyte.gz"), maxTest);
        if (train.Pixels != test.Pixels) throw new InvalidDataException($"{directory}: training images have {train.Pixels} pixels but test images {test.Pixels}.");
        return (train, test);
    }

    private static LabelledImages LoadPair(string imagesPath, string labelsPath, int max)
    {
        var (imageDims, imageBytes) = ReadIdx(File.ReadAllBytes(imagesPath), imagesPath, expectedRank: 3, max);
        var (labelDims, labels) = ReadIdx(File.ReadAllBytes(labelsPath), labelsPath, expectedRank: 1, max);
        if (imageDims[0] != labelDims[0])
            throw new InvalidDataException($"{imagesPath}: {imageDims[0]} images but {labelsPath} has {labelDims[0]} labels.");
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] > 9) throw new InvalidDataException($"{labelsPath}: label {i} is {labels[i]}, not a class 0–9.");
        int pixels = imageDims[1] * imageDims[2];
        int count = Math.Min(imageDims[0], max);
        var images = new float[count * pixels];
        for (int i = 0; i < images.Length; i++) images[i] = imageBytes[i] / 255f;
        return new LabelledImages(images, labels[..count], pixels, 10);
    }

    /// <summary>
    /// Parses one idx file (gzip-compressed when it starts with the gzip magic). Returns its dimensions and the bytes of
    /// its first <paramref name="maxItems"/> items; the whole file is still checked for its exact length.
    /// </summary>
    internal static (int[] Dims, byte[] Data) ReadIdx(byte[] file, string name, int expectedRank, int maxItems = int.MaxValue)
    {
        byte[] raw = file;
        if (file.Length >= 2 && file[0] == 0x1f && file[1] == 0x8b)
        {
            try
            {
                using var gz = new GZipStream(new MemoryStream(file), CompressionMode.Decompress);
                using var ms = new MemoryStream();
                gz.CopyTo(ms);
                raw = ms.ToArray();
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{name}: not a valid gzip stream ({e.Message.Split('\n')[0]})");
            }
        }
        if (raw.Length < 4) throw new InvalidDataException($"{name}: {raw.Length} bytes is too short for an idx header.");
        if (raw[0] != 0 || raw[1] != 0) throw new InvalidDataException($"{name}: not an idx file (the magic number must start with two zero bytes).");
        if (raw[2] != 0x08) throw new InvalidDataException($"{name}: element type 0x{raw[2]:x2} is not supported (only unsigned byte, 0x08).");
        int rank = raw[3];
        if (rank != expectedRank) throw new InvalidDataException($"{name}: has {rank} dimensions, expected {expectedRank}.");
        if (raw.Length < 4 + 4 * rank) throw new InvalidDataException($"{name}: header is truncated ({raw.Length} bytes for {rank} dimensions).");
        var dims = new int[rank];
        long count = 1;
        for (int d = 0; d < rank; d++)
        {
            uint v = BinaryPrimitives.ReadUInt32BigEndian(raw.AsSpan(4 + 4 * d));
            if (v == 0 || v > int.MaxValue) throw new InvalidDataException($"{name}: dimension {d} is {v}; it must be between 1 and {int.MaxValue}.");
            dims[d] = (int)v;
            count *= v;
        }
        long expected = 4 + 4L * rank + count;
        if (raw.Length != expected)
            throw new InvalidDataException($"{name}: expected {expected} bytes for dimensions [{string.Join(", ", dims)}] but the data has {raw.Length}.");
        long itemSize = count / dims[0];
        int items = Math.Min(dims[0], maxItems);
        return (dims, raw.AsSpan(4 + 4 * rank, (int)(items * itemSize)).ToArray());
    }

    /// <summary>
    /// A generated stand-in when the data set is not installed: 10 classes of 28×28 images, each a fixed random
    /// smooth prototype plus per-example noise and a random shift of brightness.
    /// </summary>
    public static (LabelledImages Train, LabelledImages Test) Generate(int trainCount, int testCount, int seed = 12345)
    {
        const int side = 28, pixels = side * side, classes = 10;
        var rng = new Random(seed);
        var prototypes = new float[classes * pixels];
        for (int c = 0; c < classes; c++)
        {
            // Three random blobs per class.
            for (int b = 0; b < 3; b++)
            {
                double cx = rng.NextDouble() * side, cy = rng.NextDouble() * side, r = 3 + rng.NextDouble() * 5;
                for (int y = 0; y < side; y++)
                    for (int x = 0; x < side; x++)
                    {
                        double d2 = ((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (r * r);
                        prototypes[c * pixels + y * side + x] += (float)Math.Exp(-d2);
                    }
            }
        }
        LabelledImages Make(int count)
        {
            var images = new float[count * pixels];
            var labels = new byte[count];
            for (int i = 0; i < count; i++)
            {
                int c = rng.Next(classes);
                labels[i] = (byte)c;
                float gain = 0.6f + 0.4f * rng.NextSingle();
                for (int p = 0; p < pixels; p++)
                    images[i * pixels + p] = Math.Clamp(gain * prototypes[c * pixels + p] + 0.45f * (rng.NextSingle() - 0.3f), 0f, 1f);
            }
            return new LabelledImages(images, labels, pixels, classes);
        }
        return (Make(trainCount), Make(testCount));
    }
}
