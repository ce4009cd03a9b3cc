namespace Momentum.Cli.Tour;

/// <summary>
/// Renders 2-D Gaussians into an RGB image and backpropagates the mean-squared error to their parameters analytically.
/// </summary>
/// <remarks>
/// Gaussian i has a centre μ (pixels), log-scales (ℓx, ℓy) with σ = e^ℓ (pixels), a rotation θ, a colour c (three
/// unconstrained channels) and an opacity logit a, α = sigmoid(a). With d = p − μ, u = cosθ·dx + sinθ·dy and
/// v = −sinθ·dx + cosθ·dy, its weight at pixel centre p is w = exp(−q/2), q = u²/σx² + v²/σy². The image is the
/// plain (un-normalized, order-free) sum C(p) = Σ α c w, as in GaussianImage's accumulated summation; each Gaussian is
/// evaluated only inside its 3σ bounding box and ellipse (q ≤ 9), elsewhere w is taken as 0.
/// The loss is the MSE over all pixels and channels, L = mean((C − T)²), and PSNR = 10·log10(1/L).
/// Gradients: with r = 2(C − T)/(3HW) and G = −½·w·Σ_ch r_ch·α·c_ch:
/// ∂L/∂c_ch = Σ r_ch·α·w; ∂L/∂a = Σ w·Σ_ch r_ch c_ch · α(1 − α); ∂q/∂μx = −2u·cosθ/σx² + 2v·sinθ/σy²,
/// ∂q/∂μy = −2u·sinθ/σx² − 2v·cosθ/σy²; ∂q/∂ℓx = −2u²/σx², ∂q/∂ℓy = −2v²/σy²; ∂q/∂θ = 2uv(1/σx² − 1/σy²);
/// each times G summed over the pixels. No buffer is allocated per pixel or per call.
/// </remarks>
internal sealed class GaussianRenderer(int width, int height)
{
    private readonly float[] _image = new float[width * height * 3];
    private readonly float[] _residual = new float[width * height * 3];

    public int Width { get; } = width;
    public int Height { get; } = height;

    /// <summary>The last rendered image.</summary>
    public float[] Image => _image;

    /// <summary>How many standard deviations the evaluation box extends (3 by default; tests use more).</summary>
    public float BoxSigmas { get; init; } = 3f;

    /// <summary>Renders the Gaussians into <see cref="Image"/>.</summary>
    public void Render(ReadOnlySpan<float> pos, ReadOnlySpan<float> logScale, ReadOnlySpan<float> rot, ReadOnlySpan<float> color, ReadOnlySpan<float> opacity)
    {
        Array.Clear(_image);
        int n = rot.Length;
        var img = _image.AsSpan();
        for (int i = 0; i < n; i++)
        {
            var g = Geometry.Of(pos, logScale, rot, i, BoxSigmas, Width, Height);
            if (g.Empty) continue;
            float alpha = Sigmoid(opacity[i]);
            float cr = alpha * color[3 * i], cg = alpha * color[3 * i + 1], cb = alpha * color[3 * i + 2];
            float limit = BoxSigmas * BoxSigmas;
            for (int y = g.Y0; y <= g.Y1; y++)
            {
                float dy = y + 0.5f - g.Mx1;
                int row = y * Width;
                for (int x = g.X0; x <= g.X1; x++)
                {
                    float dx = x + 0.5f - g.Mx0;
                    float u = g.C * dx + g.S * dy, v = g.C * dy - g.S * dx;
                    float q = u * u * g.Ix + v * v * g.Iy;
                    if (q > limit) continue;
                    float w = MathF.Exp(-0.5f * q);
                    int k = (row + x) * 3;
                    img[k] += cr * w;
                    img[k + 1] += cg * w;
                    img[k + 2] += cb * w;
                }
            }
        }
    }

    /// <summary>The MSE of the last render against <paramref name="target"/>; fills the residual for <see cref="Backward"/>.</summary>
    public double Loss(ReadOnlySpan<float> target)
    {
        double sum = 0;
        float scale = 2f / _image.Length;
        for (int k = 0; k < _image.Length; k++)
        {
            float d = _image[k] - target[k];
            sum += d * d;
            _residual[k] = scale * d;
        }
        return sum / _image.Length;
    }

    /// <summary>Writes ∂L/∂(every parameter) into the gradient spans (overwriting them), using the residual of the last <see cref="Loss"/>.</summary>
    public void Backward(ReadOnlySpan<float> pos, ReadOnlySpan<float> logScale, ReadOnlySpan<float> rot, ReadOnlySpan<float> color, ReadOnlySpan<float> opacity,
        Span<float> gPos, Span<float> gLogScale, Span<float> gRot, Span<float> gColor, Span<float> gOpacity)
    {
        int n = rot.Length;
        var res = _residual.AsSpan();
        float limit = BoxSigmas * BoxSigmas;
        for (int i = 0; i < n; i++)
        {
            var g = Geometry.Of(pos, logScale, rot, i, BoxSigmas, Width, Height);
            float alpha = Sigmoid(opacity[i]);
            float c0 = color[3 * i], c1 = color[3 * i + 1], c2 = color[3 * i + 2];
            double sC0 = 0, sC1 = 0, sC2 = 0, sA = 0, sMx = 0, sMy = 0, sLx = 0, sLy = 0, sT = 0;
            if (!g.Empty)
            {
                float diff = g.Ix - g.Iy;
                for (int y = g.Y0; y <= g.Y1; y++)
                {
                    float dy = y + 0.5f - g.Mx1;
                    int row = y * Width;
                    for (int x = g.X0; x <= g.X1; x++)
                    {
                        float dx = x + 0.5f - g.Mx0;
                        float u = g.C * dx + g.S * dy, v = g.C * dy - g.S * dx;
                        float q = u * u * g.Ix + v * v * g.Iy;
                        if (q > limit) continue;
                        float w = MathF.Exp(-0.5f * q);
                        int k = (row + x) * 3;
                        float r0 = res[k], r1 = res[k + 1], r2 = res[k + 2];
                        float rc = r0 * c0 + r1 * c1 + r2 * c2;
                        sC0 += r0 * w;
                        sC1 += r1 * w;
                        sC2 += r2 * w;
                        sA += rc * w;
                        float G = -0.5f * w * rc * alpha;
                        float au = 2 * u * g.Ix, bv = 2 * v * g.Iy;
                        sMx += G * (-au * g.C + bv * g.S);
                        sMy += G * (-au * g.S - bv * g.C);
                        sLx += G * (-au * u);
                        sLy += G * (-bv * v);
                        sT += G * 2 * u * v * diff;
                    }
                }
            }
            gColor[3 * i] = (float)(sC0 * alpha);
            gColor[3 * i + 1] = (float)(sC1 * alpha);
            gColor[3 * i + 2] = (float)(sC2 * alpha);
            gOpacity[i] = (float)(sA * alpha * (1 - alpha));
            gPos[2 * i] = (float)sMx;
            gPos[2 * i + 1] = (float)sMy;
            gLogScale[2 * i] = (float)sLx;
            gLogScale[2 * i + 1] = (float)sLy;
            gRot[i] = (float)sT;
        }
    }

    internal static float Sigmoid(float a) => 1f / (1f + MathF.Exp(-a));

    /// <summary>The per-Gaussian quantities of one render: rotation, inverse variances and the clipped pixel box.</summary>
    private readonly struct Geometry
    {
        public readonly float Mx0, Mx1, C, S, Ix, Iy;
        public readonly int X0, X1, Y0, Y1;
        public readonly bool Empty;

        private Geometry(float mx, float my, float c, float s, float sx, float sy, float k, int width, int height)
        {
            Mx0 = mx;
            Mx1 = my;
            C = c;
            S = s;
            Ix = 1f / (sx * sx);
            Iy = 1f / (sy * sy);
            // Half-extents of the k-sigma ellipse's bounding box.
            float ex = k * MathF.Sqrt(c * c * sx * sx + s * s * sy * sy);
            float ey = k * MathF.Sqrt(s * s * sx * sx + c * c * sy * sy);
            float fx0 = MathF.Floor(mx - ex - 0.5f) + 1, fx1 = MathF.Floor(mx + ex - 0.5f);
            float fy0 = MathF.Floor(my - ey - 0.5f) + 1, fy1 = MathF.Floor(my + ey - 0.5f);
            X0 = (int)Math.Max(0f, Math.Min(fx0, width));
            X1 = (int)Math.Min(width - 1f, Math.Max(fx1, -1f));
            Y0 = (int)Math.Max(0f, Math.Min(fy0, height));
            Y1 = (int)Math.Min(height - 1f, Math.Max(fy1, -1f));
            Empty = X0 > X1 || Y0 > Y1 || !float.IsFinite(ex) || !float.IsFinite(ey);
        }

        public static Geometry Of(ReadOnlySpan<float> pos, ReadOnlySpan<float> logScale, ReadOnlySpan<float> rot, int i, float k, int width, int height)
        {
            float sx = MathF.Exp(logScale[2 * i]), sy = MathF.Exp(logScale[2 * i + 1]);
            float c = MathF.Cos(rot[i]), s = MathF.Sin(rot[i]);
            return new Geometry(pos[2 * i], pos[2 * i + 1], c, s, sx, sy, k, width, height);
        }
    }
}
