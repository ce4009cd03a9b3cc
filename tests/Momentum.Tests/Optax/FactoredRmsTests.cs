namespace Momentum.Tests.Optax;

/// <summary>Adafactor's factored second moment against a direct double-precision computation of Optax's formulas.</summary>
public class FactoredRmsTests
{
    [Theory]
    [InlineData(130, 200)] // largest axis last: R over rows, C over columns
    [InlineData(260, 129)] // largest axis first
    public void Factored2D_MatchesReference(int rows, int cols)
    {
        var set = new ParameterSet();
        var w = set.Add("w", [rows, cols]);
        var optimizer = new Optimizer(Transforms.ScaleByFactoredRms(), set);
        var grads = new GradientSet(set);
        bool lastLargest = cols >= rows;
        int nRow = lastLargest ? rows : cols, nCol = lastLargest ? cols : rows; // v_row keeps d1, v_col keeps d0
        var vRow = new double[nRow];
        var vCol = new double[nCol];
        var rng = new Random(7);
        for (int t = 0; t < 3; t++)
        {
            var g = new float[rows * cols];
            for (int i = 0; i < g.Length; i++) g[i] = (float)(rng.NextDouble() * 2 - 1);
            float[] before = w.Values.ToArray();
            grads.Set(w, g);
            optimizer.Step(grads);
            double beta = 1 - Math.Pow(t + 1, -0.8);
            var sumRow = new double[nRow];
            var sumCol = new double[nCol];
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < cols; c++)
                {
                    double sq = (double)g[r * cols + c] * g[r * cols + c] + 1e-30;
                    sumRow[lastLargest ? r : c] += sq;
                    sumCol[lastLargest ? c : r] += sq;
                }
            for (int i = 0; i < nRow; i++) vRow[i] = beta * vRow[i] + (1 - beta) * sumRow[i] / nCol;
            for (int j = 0; j < nCol; j++) vCol[j] = beta * vCol[j] + (1 - beta) * sumCol[j] / nRow;
            double mean = vRow.Average();
            for (int r = 0; r < rows; r += 17)
                for (int c = 0; c < cols; c += 13)
                {
                    int i = lastLargest ? r : c, j = lastLargest ? c : r;
                    double expected = g[r * cols + c] / Math.Sqrt(vRow[i] / mean) / Math.Sqrt(vCol[j]);
                    double actual = w.Values[r * cols + c] - before[r * cols + c];
                    Assert.True(Math.Abs(expected - actual) <= 1e-4 * Math.Max(1, Math.Abs(expected)), $"t={t} [{r},{c}]: {actual} vs {expected}");
                }
        }
        var state = optimizer.GetState(w, "scale_by_factored_rms")!;
        Assert.Equal(["v_row", "v_col"], state.Tensors.Select(x => x.Slot));
        Assert.False(state.SupportsRowOperations);
    }

    [Theory]
    [InlineData(new[] { 130, 200 })]       // largest axis last
    [InlineData(new[] { 260, 129 })]       // largest axis first
    [InlineData(new[] { 128, 128 })]       // a tie goes to the later axis
    [InlineData(new[] { 1000, 300 })]      // many row items and several column items
    [InlineData(new[] { 129, 4099 })]      // a vector tail in every row
    [InlineData(new[] { 3, 140, 131 })]    // a stack of three matrices
    [InlineData(new[] { 2, 300, 1, 150 })] // unit axes around the factored ones
    public void FactoredStackOfMatrices_GivesTheSerialLoopsBits(int[] shape)
    {
        // The statistics written as serial loops in element order (each sum over its axis in increasing index order,
        // in double): the parallel passes must give their bits, for every thread count the pool may use.
        var set = new ParameterSet();
        var w = set.Add("w", shape);
        var optimizer = new Optimizer(Transforms.ScaleByFactoredRms(), set);
        var grads = new GradientSet(set);
        int n = w.Values.Length;
        int[] dims = [.. shape.Where(d => d > 1)];
        int matrices = dims.Length == 3 ? dims[0] : 1, na = dims[^2], nb = dims[^1];
        bool lastLargest = nb >= na;
        var vRow = new float[matrices * (lastLargest ? na : nb)];
        var vCol = new float[matrices * (lastLargest ? nb : na)];
        var expected = new float[n];
        for (int t = 0; t < 3; t++)
        {
            var g = new float[n];
            for (int i = 0; i < n; i++) g[i] = Engine.EngineTestData.Hash(t, i, n) * (1 + i % 5);
            grads.Set(w, g);
            optimizer.Step(grads);
            float beta = (float)(1 - Math.Pow(t + 1, -0.8)), eps = 1e-30f;
            var sumI = new double[matrices * na];
            var sumJ = new double[matrices * nb];
            for (int p = 0; p < matrices; p++)
                for (int i = 0; i < na; i++)
                    for (int j = 0; j < nb; j++)
                    {
                        float x = g[(p * na + i) * nb + j];
                        double sq = x * x + eps;
                        sumI[p * na + i] += sq;
                        sumJ[p * nb + j] += sq;
                    }
            double[] sumRow = lastLargest ? sumI : sumJ, sumCol = lastLargest ? sumJ : sumI;
            for (int x = 0; x < vRow.Length; x++) vRow[x] = beta * vRow[x] + (1 - beta) * (float)(sumRow[x] / (lastLargest ? nb : na));
            for (int x = 0; x < vCol.Length; x++) vCol[x] = beta * vCol[x] + (1 - beta) * (float)(sumCol[x] / (lastLargest ? na : nb));
            int perMatrix = vRow.Length / matrices;
            for (int p = 0; p < matrices; p++)
            {
                double mean = 0;
                for (int x = 0; x < perMatrix; x++) mean += vRow[p * perMatrix + x];
                mean /= perMatrix;
                for (int i = 0; i < na; i++)
                    for (int j = 0; j < nb; j++)
                    {
                        int e = (p * na + i) * nb + j, ri = lastLargest ? p * na + i : p * nb + j, ci = lastLargest ? p * nb + j : p * na + i;
                        expected[e] += g[e] * (1f / MathF.Sqrt(vRow[ri] / (float)mean)) * (1f / MathF.Sqrt(vCol[ci]));
                    }
            }
            for (int e = 0; e < n; e++)
                Assert.True(BitConverter.SingleToInt32Bits(expected[e]) == BitConverter.SingleToInt32Bits(w.Values[e]),
                    $"t={t} element {e}: {w.Values[e]:R}, the serial loops give {expected[e]:R}");
        }
    }

    [Fact]
    public void Unfactored_LargeTensor_GivesTheElementwiseLoopsBits()
    {
        // 100,003 elements: seven chunks of the parallel pass, the last one short; every element as the scalar loop.
        const int n = 100_003;
        var set = new ParameterSet();
        var w = set.Add("w", [n]);
        var optimizer = new Optimizer(Transforms.ScaleByFactoredRms(), set);
        var grads = new GradientSet(set);
        var v = new float[n];
        var expected = new float[n];
        for (int t = 0; t < 3; t++)
        {
            var g = new float[n];
            for (int i = 0; i < n; i++) g[i] = Engine.EngineTestData.Hash(t, i, 5) * (1 + i % 3);
            grads.Set(w, g);
            optimizer.Step(grads);
            float beta = (float)(1 - Math.Pow(t + 1, -0.8)), gain = 1 - beta, eps = 1e-30f;
            for (int i = 0; i < n; i++)
            {
                v[i] = beta * v[i] + gain * (g[i] * g[i] + eps);
                expected[i] += g[i] * (1f / MathF.Sqrt(v[i]));
            }
            for (int i = 0; i < n; i++)
                Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(w.Values[i]),
                    $"t={t} element {i}: {w.Values[i]:R}, the scalar loop gives {expected[i]:R}");
        }
    }

    [Fact]
    public void SmallOrVector_IsNotFactored()
    {
        var set = new ParameterSet();
        var w = set.Add("w", [4, 300]);
        var optimizer = new Optimizer(Transforms.ScaleByFactoredRms(), set);
        var grads = new GradientSet(set);
        grads.Get(w).Fill(2f);
        optimizer.Step(grads);
        // β̂ = 0 on the first step: v = g² + ε, u = g/|g| = 1.
        Assert.All(w.Values.ToArray(), v => Assert.Equal(1f, v, 1e-6f));
        Assert.Equal(["v"], optimizer.GetState(w, "scale_by_factored_rms")!.Tensors.Select(x => x.Slot));
    }
}
