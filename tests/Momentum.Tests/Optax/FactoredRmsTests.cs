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
