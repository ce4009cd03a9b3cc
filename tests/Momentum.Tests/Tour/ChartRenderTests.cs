using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using Momentum.Cli.Tour;

namespace Momentum.Tests.Tour;

/// <summary>A fact that renders SVG with headless Chromium (Debian's <c>chromium</c>); skipped where it is not installed.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (ChartRenderTests.Chromium is null) Skip = "needs headless Chromium (Debian package chromium) on PATH";
    }
}

/// <summary>
/// Every figure of the tour, from small runs of each experiment, rendered to PNG by headless Chromium: the file exists,
/// has the chart's size and is not blank (enough non-white pixels and several colours). Set MOMENTUM_TOUR_PNG to a
/// folder to keep the PNGs for looking at them.
/// </summary>
public class ChartRenderTests
{
    internal static readonly string? Chromium = FindOnPath("chromium") ?? FindOnPath("chromium-browser");

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    private static List<(SvgChart Chart, string Stem)> AllFigures()
    {
        var saddle = new SaddleSettings { Steps = 400 };
        var gan = new DiracGanSettings { Steps = 400 };
        var results = new List<ExperimentResult>
        {
            SaddleExperiment.Report(saddle, SaddleExperiment.Run(saddle)),
            DiracGanExperiment.Report(gan, DiracGanExperiment.Run(gan)),
            GaussianExperiment.Run(new GaussianSettings { ImageSize = 32, Steps = 200, Seeds = 2, InitialGaussians = 30, MaxGaussians = 120, RefineEvery = 50 }),
            ClassifierExperiment.Run(new ClassifierSettings
            {
                TrainCount = 400, ValidationCount = 100, TestCount = 100, Epochs = 1, Seeds = 2, Hidden = [8],
                Optimizers = TourOptimizer.ParseList("sgd(lr=0.03, momentum=0.9); adam(lr=3e-3); lion(learning_rate=1e-3)", "--optimizers"),
            }),
        };
        return [.. results.SelectMany(r => r.Charts.Select(c => (c.Chart, c.FileStem)))];
    }

    [ChromiumFact]
    public void EveryTourFigure_RendersToANonBlankPngOfItsSize()
    {
        var figures = AllFigures();
        Assert.Equal(11, figures.Count);
        string? keep = Environment.GetEnvironmentVariable("MOMENTUM_TOUR_PNG");
        string dir = keep ?? Directory.CreateTempSubdirectory("momentum-png-").FullName;
        Directory.CreateDirectory(dir);
        try
        {
            foreach (var (chart, stem) in figures)
            {
                string svg = Path.Combine(dir, stem + ".svg"), png = Path.Combine(dir, stem + ".png");
                File.WriteAllText(svg, chart.ToSvg(stem));
                File.Delete(png);
                Render(svg, png, chart.Width, chart.Height);
                Assert.True(File.Exists(png), $"{stem}: Chromium wrote no PNG");
                var (width, height, pixels) = Png.Decode(File.ReadAllBytes(png));
                Assert.Equal((chart.Width, chart.Height), (width, height));
                int inked = 0;
                var colours = new HashSet<int>();
                foreach (int rgb in pixels)
                {
                    if (rgb != 0xFFFFFF) inked++;
                    colours.Add(rgb & 0xF0F0F0);   // coarse buckets, so that anti-aliasing does not count
                }
                Assert.True(inked > pixels.Length / 100, $"{stem}: only {inked} of {pixels.Length} pixels are not white");
                Assert.True(colours.Count >= 8, $"{stem}: only {colours.Count} colours");
            }
        }
        finally
        {
            if (keep is null) Directory.Delete(dir, recursive: true);
        }
    }

    private static void Render(string svg, string png, int width, int height)
    {
        var info = new ProcessStartInfo(Chromium!, ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", $"--screenshot={png}", $"--window-size={width},{height}", svg])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(info)!;
        process.StandardOutput.ReadToEndAsync();
        process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(120_000), $"Chromium did not finish rendering {svg} in 120 s");
    }
}

/// <summary>A minimal PNG reader for the render test: 8-bit RGB or RGBA, not interlaced (what Chromium writes).</summary>
internal static class Png
{
    public static (int Width, int Height, int[] Rgb) Decode(byte[] file)
    {
        ReadOnlySpan<byte> signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
        Assert.True(file.AsSpan(0, 8).SequenceEqual(signature), "not a PNG file");
        int width = 0, height = 0, channels = 0;
        using var idat = new MemoryStream();
        for (int at = 8; at + 8 <= file.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(at));
            string type = System.Text.Encoding.ASCII.GetString(file, at + 4, 4);
            var data = file.AsSpan(at + 8, length);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                Assert.Equal(8, data[8]);                       // bit depth
                channels = data[9] switch { 2 => 3, 6 => 4, _ => throw new InvalidDataException($"PNG colour type {data[9]} is not RGB or RGBA") };
                Assert.Equal(0, data[12]);                      // not interlaced
            }
            else if (type == "IDAT")
            {
                idat.Write(data);
            }
            at += 12 + length;
        }
        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionMode.Decompress)) z.CopyTo(inflated);
        byte[] raw = inflated.ToArray();
        int stride = width * channels;
        Assert.Equal(height * (stride + 1), raw.Length);
        var current = new byte[stride];
        var previous = new byte[stride];
        var rgb = new int[width * height];
        for (int y = 0; y < height; y++)
        {
            byte filter = raw[y * (stride + 1)];
            var line = raw.AsSpan(y * (stride + 1) + 1, stride);
            for (int i = 0; i < stride; i++)
            {
                int a = i >= channels ? current[i - channels] : 0, b = previous[i], c = i >= channels ? previous[i - channels] : 0;
                int predictor = filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => throw new InvalidDataException($"PNG filter {filter}"),
                };
                current[i] = (byte)(line[i] + predictor);
            }
            for (int x = 0; x < width; x++)
                rgb[y * width + x] = current[x * channels] << 16 | current[x * channels + 1] << 8 | current[x * channels + 2];
            (previous, current) = (current, previous);
        }
        return (width, height, rgb);
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
