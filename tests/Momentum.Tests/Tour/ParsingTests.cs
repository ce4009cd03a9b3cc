using System.IO.Compression;
using System.Text;
using Momentum.Cli.Tour;

namespace Momentum.Tests.Tour;

public class ParsingTests
{
    private static byte[] Netpbm(string header, params byte[] data) => [.. Encoding.ASCII.GetBytes(header), .. data];

    [Fact]
    public void Ppm_WithComments_ParsesPixels()
    {
        var image = RgbImage.ParseNetpbm(Netpbm("P6\n# a comment\n2 1 # trailing\n255\n", 255, 0, 0, 0, 51, 255), "x.ppm");
        Assert.Equal(2, image.Width);
        Assert.Equal(1, image.Height);
        float[] expected = [1f, 0f, 0f, 0f, 0.2f, 1f];
        for (int i = 0; i < 6; i++) Assert.Equal(expected[i], image.Pixels[i], 1e-6f);
    }

    [Fact]
    public void Pgm_IsReplicatedToRgb_AndScaledByMaxval()
    {
        var image = RgbImage.ParseNetpbm(Netpbm("P5 1 2 100\n", 50, 100), "x.pgm");
        float[] expected = [0.5f, 0.5f, 0.5f, 1f, 1f, 1f];
        for (int i = 0; i < 6; i++) Assert.Equal(expected[i], image.Pixels[i], 1e-6f);
    }

    [Theory]
    [InlineData("P3\n1 1\n255\n", "ASCII netpbm")]
    [InlineData("P7\n1 1\n255\n", "not a binary PPM/PGM")]
    [InlineData("P6\n1\n", "header ends before the height")]
    [InlineData("P6\n0 1\n255\n", "width must be positive")]
    [InlineData("P6\n1 x\n255\n", "height 'x' is not a positive whole number")]
    [InlineData("P6\n1 1\n65535\n", "16-bit")]
    [InlineData("P6\n1 1\n255", "one whitespace byte after maxval")]
    public void Netpbm_BadHeader_IsAOneLineError(string header, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => RgbImage.ParseNetpbm(Encoding.ASCII.GetBytes(header), "bad.ppm"));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith("bad.ppm:", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Netpbm_WrongDataLength_IsAnError()
    {
        var shortData = Assert.Throws<InvalidDataException>(() => RgbImage.ParseNetpbm(Netpbm("P6 2 1 255\n", 1, 2, 3, 4, 5), "s.ppm"));
        Assert.Contains("expected 6 bytes", shortData.Message);
        var longData = Assert.Throws<InvalidDataException>(() => RgbImage.ParseNetpbm(Netpbm("P5 1 1 255\n", 1, 2), "l.pgm"));
        Assert.Contains("found 2", longData.Message);
        var above = Assert.Throws<InvalidDataException>(() => RgbImage.ParseNetpbm(Netpbm("P5 1 1 10\n", 11), "m.pgm"));
        Assert.Contains("above maxval", above.Message);
    }

    [Fact]
    public void Netpbm_WriteThenRead_RoundTrips()
    {
        var image = RgbImage.Procedural(16);
        string path = Path.Combine(Path.GetTempPath(), $"momentum-tour-{Guid.NewGuid():N}.ppm");
        try
        {
            image.WritePpm(path);
            var back = RgbImage.ReadNetpbm(path);
            Assert.Equal(16, back.Width);
            for (int i = 0; i < image.Pixels.Length; i++) Assert.Equal(image.Pixels[i], back.Pixels[i], 1f / 255);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static byte[] Idx(byte type, int[] dims, int dataLength)
    {
        var bytes = new List<byte> { 0, 0, type, (byte)dims.Length };
        foreach (int d in dims) bytes.AddRange([(byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d]);
        for (int i = 0; i < dataLength; i++) bytes.Add((byte)(i % 7));
        return [.. bytes];
    }

    private static byte[] Gzip(byte[] raw)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest)) gz.Write(raw);
        return ms.ToArray();
    }

    [Fact]
    public void Idx_PlainAndGzipped_Parse()
    {
        var raw = Idx(0x08, [3, 2, 2], 12);
        foreach (var file in new[] { raw, Gzip(raw) })
        {
            var (dims, data) = FashionMnist.ReadIdx(file, "f", expectedRank: 3);
            Assert.Equal([3, 2, 2], dims);
            Assert.Equal(12, data.Length);
            Assert.Equal(5, data[5]);
        }
        var (_, firstTwo) = FashionMnist.ReadIdx(raw, "f", 3, maxItems: 2);
        Assert.Equal(8, firstTwo.Length);
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 8 }, "too short")]
    [InlineData(new byte[] { 1, 0, 8, 1, 0, 0, 0, 1, 0 }, "not an idx file")]
    [InlineData(new byte[] { 0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0 }, "element type 0x0d")]
    [InlineData(new byte[] { 0, 0, 8, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0 }, "has 2 dimensions, expected 1")]
    [InlineData(new byte[] { 0, 0, 8, 1, 0, 0 }, "header is truncated")]
    [InlineData(new byte[] { 0, 0, 8, 1, 0, 0, 0, 0 }, "dimension 0 is 0")]
    [InlineData(new byte[] { 0, 0, 8, 1, 0, 0, 0, 3, 1, 2 }, "expected 11 bytes")]
    [InlineData(new byte[] { 0, 0, 8, 1, 0, 0, 0, 1, 1, 2 }, "expected 9 bytes")]
    public void Idx_Malformed_IsAOneLineError(byte[] file, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.ReadIdx(file, "labels.idx", expectedRank: 1));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith("labels.idx:", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Idx_BrokenGzip_IsAnError()
    {
        var gz = Gzip(Idx(0x08, [4], 4));
        var truncated = gz[..(gz.Length / 2)];
        Assert.Throws<InvalidDataException>(() => FashionMnist.ReadIdx(truncated, "t.gz", 1));
    }

    [Fact]
    public void Load_MismatchedCountsAndBadLabels_AreErrors()
    {
        string dir = Directory.CreateTempSubdirectory("momentum-idx-").FullName;
        try
        {
            void Write(string name, byte[] raw) => File.WriteAllBytes(Path.Combine(dir, name), Gzip(raw));
            var images = Idx(0x08, [2, 2, 2], 8);
            Write("train-images-idx3-ubyte.gz", images);
            Write("t10k-images-idx3-ubyte.gz", images);
            Write("t10k-labels-idx1-ubyte.gz", [0, 0, 8, 1, 0, 0, 0, 2, 1, 2]);
            Write("train-labels-idx1-ubyte.gz", [0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3]);
            var count = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(dir, 100, 100));
            Assert.Contains("2 images but", count.Message);
            Write("train-labels-idx1-ubyte.gz", [0, 0, 8, 1, 0, 0, 0, 2, 1, 12]);
            var label = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(dir, 100, 100));
            Assert.Contains("label 1 is 12", label.Message);
            Write("train-labels-idx1-ubyte.gz", [0, 0, 8, 1, 0, 0, 0, 2, 1, 9]);
            var (train, test) = FashionMnist.Load(dir, 1, 100);
            Assert.Equal(1, train.Count);
            Assert.Equal(2, test.Count);
            Assert.Equal(4, train.Pixels);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
