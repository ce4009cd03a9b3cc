using System.Text;

namespace Momentum.Cli.Tour;

/// <summary>An RGB image with float channels in [0, 1], stored row-major as R, G, B per pixel.</summary>
internal sealed class RgbImage
{
    public RgbImage(int width, int height, float[] pixels)
    {
        if (width <= 0 || height <= 0) throw new ArgumentException($"Image size {width}×{height} must be positive.", nameof(width));
        if (pixels.Length != width * height * 3) throw new ArgumentException($"A {width}×{height} RGB image needs {width * height * 3} values, not {pixels.Length}.", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public int Width { get; }
    public int Height { get; }
    public float[] Pixels { get; }

    /// <summary>
    /// The embedded default: a procedural picture with hard edges, concentric rings, a fine checker texture and smooth
    /// gradients, so that a fit needs both large and small Gaussians.
    /// </summary>
    public static RgbImage Procedural(int size)
    {
        if (size < 8 || size > 4096) throw new ArgumentException($"--size: {size} must be between 8 and 4096 pixels.", nameof(size));
        var p = new float[size * size * 3];
        double s = size;
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                double u = (x + 0.5) / s, v = (y + 0.5) / s;
                // Background: a smooth diagonal gradient.
                double r = 0.15 + 0.5 * u, g = 0.2 + 0.4 * v, b = 0.55 - 0.3 * u * v;
                // Concentric rings in the upper left.
                double d = Math.Sqrt((u - 0.3) * (u - 0.3) + (v - 0.3) * (v - 0.3));
                if (d < 0.24)
                {
                    double ring = 0.5 + 0.5 * Math.Cos(d * 2 * Math.PI * 7);
                    r = 0.95 * ring + 0.05;
                    g = 0.8 * ring + 0.1 * (1 - ring);
                    b = 0.2 + 0.2 * ring;
                }
                // A dark rotated square with a hard edge, lower right.
                double qx = (u - 0.7) * 0.8 - (v - 0.7) * 0.6, qy = (u - 0.7) * 0.6 + (v - 0.7) * 0.8;
                if (Math.Abs(qx) < 0.16 && Math.Abs(qy) < 0.16) { r = 0.08; g = 0.1; b = 0.3; }
                // A checker texture strip at the bottom.
                if (v > 0.86 && u < 0.55) { bool on = ((int)(u * s / 4) + (int)(v * s / 4)) % 2 == 0; r = g = b = on ? 0.92 : 0.12; }
                // A bright bar across the upper right.
                if (u > 0.6 && v > 0.12 && v < 0.2) { r = 1.0; g = 0.95; b = 0.6; }
                int i = (y * size + x) * 3;
                p[i] = (float)Math.Clamp(r, 0, 1);
                p[i + 1] = (float)Math.Clamp(g, 0, 1);
                p[i + 2] = (float)Math.Clamp(b, 0, 1);
            }
        return new RgbImage(size, size, p);
    }

    /// <summary>Reads a binary PPM (P6) or PGM (P5) file with maxval ≤ 255; any problem is a one-line error naming the file.</summary>
    public static RgbImage ReadNetpbm(string path)
    {
        byte[] data;
        try
        {
            data = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{path}: cannot be read ({e.Message.Split('\n')[0].TrimEnd()})");
        }
        return ParseNetpbm(data, path);
    }

    /// <summary>Parses binary PPM (P6) or PGM (P5) bytes strictly: header tokens, comments, one whitespace byte before the data, exact length.</summary>
    internal static RgbImage ParseNetpbm(byte[] data, string name)
    {
        int pos = 0;
        string magic = Token(data, ref pos, name, "magic number");
        int channels = magic switch
        {
            "P6" => 3,
            "P5" => 1,
            "P3" or "P2" => throw new InvalidDataException($"{name}: ASCII netpbm ({magic}) is not supported; use binary P6 or P5."),
            _ => throw new InvalidDataException($"{name}: not a binary PPM/PGM file (magic '{Printable(magic)}', expected P6 or P5)."),
        };
        int width = Number(data, ref pos, name, "width");
        int height = Number(data, ref pos, name, "height");
        int maxval = Number(data, ref pos, name, "maxval");
        if (maxval < 1 || maxval > 65535) throw new InvalidDataException($"{name}: maxval {maxval} must be between 1 and 65535.");
        if (maxval > 255) throw new InvalidDataException($"{name}: 16-bit images (maxval {maxval}) are not supported; use maxval ≤ 255.");
        if (pos >= data.Length || !IsSpace(data[pos])) throw new InvalidDataException($"{name}: expected one whitespace byte after maxval, then the pixel data.");
        pos++;
        long expected = (long)width * height * channels;
        if (width > 16384 || height > 16384) throw new InvalidDataException($"{name}: {width}×{height} is larger than the 16384×16384 limit.");
        long actual = data.Length - pos;
        if (actual != expected) throw new InvalidDataException($"{name}: expected {expected} bytes of pixel data for {width}×{height}×{channels} but found {actual}.");
        var pixels = new float[width * height * 3];
        float scale = 1f / maxval;
        for (int i = 0; i < width * height; i++)
        {
            for (int c = 0; c < 3; c++)
            {
                int value = data[pos + i * channels + (channels == 3 ? c : 0)];
                if (value > maxval) throw new InvalidDataException($"{name}: pixel {i} has value {value} above maxval {maxval}.");
                pixels[i * 3 + c] = value * scale;
            }
        }
        return new RgbImage(width, height, pixels);
    }

    /// <summary>Writes the image as binary PPM (P6).</summary>
    public void WritePpm(string path)
    {
        using var stream = File.Create(path);
        stream.Write(Encoding.ASCII.GetBytes($"P6\n{Width} {Height}\n255\n"));
        var bytes = new byte[Pixels.Length];
        for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)Math.Clamp((int)MathF.Round(Pixels[i] * 255), 0, 255);
        stream.Write(bytes);
    }

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or 0x0b or 0x0c;

    private static string Token(byte[] data, ref int pos, string name, string what)
    {
        while (pos < data.Length)
        {
            if (IsSpace(data[pos])) pos++;
            else if (data[pos] == (byte)'#')
            {
                while (pos < data.Length && data[pos] != (byte)'\n' && data[pos] != (byte)'\r') pos++;
            }
            else break;
        }
        int start = pos;
        while (pos < data.Length && !IsSpace(data[pos]) && data[pos] != (byte)'#' && pos - start < 16) pos++;
        if (pos == start) throw new InvalidDataException($"{name}: the header ends before the {what}.");
        return Encoding.ASCII.GetString(data, start, pos - start);
    }

    private static int Number(byte[] data, ref int pos, string name, string what)
    {
        string token = Token(data, ref pos, name, what);
        if (token.Length > 9 || !token.All(char.IsAsciiDigit)) throw new InvalidDataException($"{name}: the {what} '{Printable(token)}' is not a positive whole number.");
        int value = int.Parse(token, System.Globalization.CultureInfo.InvariantCulture);
        if (value <= 0) throw new InvalidDataException($"{name}: the {what} must be positive, not {value}.");
        return value;
    }

    private static string Printable(string s) => new([.. s.Select(c => c is >= ' ' and <= '~' ? c : '?')]);
}
