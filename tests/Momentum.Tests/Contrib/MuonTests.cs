using Momentum.Kernels;

namespace Momentum.Tests.Contrib;

public class MuonTests
{
    [Fact]
    public void Muon_FirstStep_MatchesFloat64Rederivation()
    {
        // tools/fixtures/contrib_reference.py muon_first_step: a 3×2 parameter (more rows than columns: transposed inside).
        var set = new ParameterSet();
        var w = set.Add("w", [3, 2], new float[6]);
        var o = new Optimizer(Optimizers.Muon(), set);
        var g = new GradientSet(set);
        g.Set(w, [1f, -2f, 0.5f, 3f, -1.5f, 0.25f]);
        o.Step(g);
        double[] expected = [-0.012590410834940086, 0.008734849164511276, -0.009783745039821037, -0.014846543557942415, 0.021283987242776463, 0.00010732934961925609];
        for (int i = 0; i < 6; i++) Assert.Equal(expected[i], w.Values[i], 2e-6);
    }

    [Fact]
    public void Muon_OrthogonalizesTowardsSingularValuesNearOne()
    {
        var set = new ParameterSet();
        var rng = new Random(3);
        var w = set.Add("w", [8, 16], new float[128]);
        var o = new Optimizer(Momentum.Transforms.Chain(Momentum.Transforms.ScaleByMuon(nesterov: false, beta: 0)), set);
        var g = new GradientSet(set);
        g.Set(w, [.. Enumerable.Range(0, 128).Select(_ => (float)(rng.NextDouble() - 0.5))]);
        o.Step(g);
        // X·Xᵀ has diagonal ≈ 1 (the quintic iteration gives singular values in about [0.5, 1.5]).
        for (int i = 0; i < 8; i++)
        {
            double d = 0;
            for (int j = 0; j < 16; j++) d += w.Values[i * 16 + j] * w.Values[i * 16 + j];
            Assert.InRange(d, 0.25, 2.25);
        }
    }

    [Fact]
    public void Muon_NonMatrixParameters_GoToAdamW()
    {
        var set = new ParameterSet();
        var w = set.Add("w", [2, 3], new float[6]);
        var b = set.Add("b", [3], new float[3]);
        var o = new Optimizer(Optimizers.Muon(), set);
        Assert.Equal(["muon.0.scale_by_muon", "muon.1.scale_by_shape", "muon.2.add_decayed_weights", "muon.3.scale_by_learning_rate"], o.StagesOf(w).Select(s => s.Path));
        Assert.Equal("adam.0.scale_by_adam", o.StagesOf(b)[0].Path);
        Assert.False(o.IsFused);
    }

    [Fact]
    public void MuonPreset_AcceptsTheCodesKeysAndTheDocumentedName()
    {
        Assert.Same(Optimizers.MuonPreset("standard"), Optimizers.MuonPreset("muon"));
        Assert.Equal(5, Optimizers.MuonPreset("dion").Count);
        Assert.Throws<ArgumentException>("name", () => Optimizers.MuonPreset("fast"));
    }

    [Fact]
    public void ScaleByMuon_OnAConvolutionWeight_UsesItsRowMatrixView()
    {
        // [2, 1, 1, 2] is the 2 × 2 matrix [[3, 0], [0, 1]]; its orthogonalized form is diagonal with equal signs.
        var set = new ParameterSet();
        var w = set.Add("conv", [2, 1, 1, 2], new float[4]);
        var o = new Optimizer(Momentum.Transforms.ScaleByMuon(nesterov: false, beta: 0), set);
        var g = new GradientSet(set);
        g.Set(w, [3f, 0f, 0f, 1f]);
        o.Step(g);
        Assert.Equal(0f, w.Values[1]);
        Assert.Equal(0f, w.Values[2]);
        Assert.InRange(w.Values[0], 0.5f, 1.5f);
        Assert.InRange(w.Values[3], 0.5f, 1.5f);
    }
    [Theory]
    [InlineData(8, 16, false)]
    [InlineData(16, 8, true)]
    [InlineData(1, 5, false)]
    [InlineData(97, 130, false)]
    [InlineData(300, 7, true)]
    [InlineData(40, 40, true)]
    public void ScaleByMuon_TwoSteps_GiveTheNaiveFloat32IterationsBits(int rows, int cols, bool nesterov)
    {
        // Optax's algorithm written out with naive float32 loops (the iterate transposed explicitly when rows > cols):
        // the blocked kernel, and the iteration on X itself instead of its transpose, must give the same bits.
        var set = new ParameterSet();
        var w = set.Add("w", [rows, cols], new float[rows * cols]);
        var coefficients = Momentum.Transforms.MuonDionCoefficients;
        var o = new Optimizer(Momentum.Transforms.ScaleByMuon(coefficients, beta: 0.9, nesterov: nesterov), set);
        var grads = new GradientSet(set);
        var mu = new float[rows * cols];
        var expected = new float[rows * cols];
        for (int t = 1; t <= 2; t++)
        {
            var g = new float[rows * cols];
            for (int i = 0; i < g.Length; i++) g[i] = Engine.EngineTestData.Hash(t, i, rows) * (1 + i % 3);
            grads.Set(w, g);
            o.Step(grads);
            float km = nesterov ? (float)(0.9 / (1 - Math.Pow(0.9, t + 1))) : (float)(1 / (1 - Math.Pow(0.9, t)));
            float kg = nesterov ? (float)((1 - 0.9) / (1 - Math.Pow(0.9, t))) : 0f;
            var u = new float[g.Length];
            for (int i = 0; i < g.Length; i++)
            {
                mu[i] = 0.9f * mu[i] + (float)(1 - 0.9) * g[i];
                u[i] = km * mu[i] + kg * g[i];
            }
            var o2 = NaiveNewtonSchulz(u, rows, cols, coefficients);
            for (int i = 0; i < g.Length; i++) expected[i] += o2[i];
        }
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(w.Values[i]),
                $"[{i / cols}, {i % cols}]: {w.Values[i]:R}, the naive iteration gives {expected[i]:R}");
    }

    /// <summary>The Newton–Schulz iteration of <c>scale_by_muon</c> with naive float32 loops, sums over k in increasing order.</summary>
    private static float[] NaiveNewtonSchulz(float[] u, int rows, int cols, IReadOnlyList<(double A, double B, double C)> coefficients)
    {
        bool transposed = rows > cols;
        int k = transposed ? cols : rows, n = transposed ? rows : cols;
        float scale = (float)(1 / ((float)Math.Sqrt(VectorMath.SumOfSquares(u)) + 1e-8));
        var x = new float[k * n];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                x[transposed ? c * n + r : r * n + c] = u[r * cols + c] * scale;
        var a = new float[k * k];
        var b = new float[k * k];
        var y = new float[k * n];
        foreach (var (ca, cb, cc) in coefficients)
        {
            for (int i = 0; i < k; i++)
                for (int j = 0; j < k; j++)
                {
                    float sum = 0;
                    for (int l = 0; l < n; l++) sum += x[i * n + l] * x[j * n + l];
                    a[i * k + j] = sum;
                }
            for (int i = 0; i < k; i++)
                for (int j = 0; j < k; j++)
                {
                    float sum = 0;
                    for (int l = 0; l < k; l++) sum += a[i * k + l] * a[l * k + j];
                    b[i * k + j] = (float)cc * sum + (float)cb * a[i * k + j];
                }
            for (int i = 0; i < k; i++)
                for (int j = 0; j < n; j++)
                {
                    float sum = 0;
                    for (int l = 0; l < k; l++) sum += b[i * k + l] * x[l * n + j];
                    y[i * n + j] = sum + (float)ca * x[i * n + j];
                }
            (x, y) = (y, x);
        }
        var o = new float[rows * cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                o[r * cols + c] = x[transposed ? c * n + r : r * n + c];
        return o;
    }
}
