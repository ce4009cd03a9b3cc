namespace Momentum.Tests.RowMean;

public sealed class ScaleByAdamRowMeanTests
{
    // Reference written out in double: m = β1·m + (1−β1)·g; v_r = β2·v_r + (1−β2)·mean_j(g_rj²);
    // p += (m/(1−β1ᵗ)) / (√(v_r/(1−β2ᵗ)) + ε), β = (0.9, 0.999), ε = 1e-8, p₀ = 0,
    // g₁ = [[1, 2], [3, 4]], g₂ = [[−1, 0], [0, 2]].
    // Step 1: u = g/√mean(g²) per row: [1, 2]/√2.5, [3, 4]/√12.5.
    private static readonly double[] s_afterStep1 = [0.632455528, 1.26491106, 0.848528135, 1.13137085];
    private static readonly double[] s_afterStep2 = [0.589474856, 2.03856314, 1.37638945, 2.22619431];

    [Fact]
    public void TwoSteps_MatchTheWrittenOutReference()
    {
        var set = new ParameterSet();
        var p = set.Add("sh", [2, 2], new float[4]);
        var optimizer = new Optimizer(Transforms.ScaleByAdamRowMean(), set);
        var grads = new GradientSet(set);
        grads.Set(p, [1f, 2f, 3f, 4f]);
        optimizer.Step(grads);
        AssertClose(s_afterStep1, p.Values.ToArray());
        Assert.Equal([0.0025f, 0.0125f], optimizer.StateSlot(p, "nu_row").Span.ToArray(), new RelativeComparer(1e-6));
        grads.Set(p, [-1f, 0f, 0f, 2f]);
        optimizer.Step(grads);
        AssertClose(s_afterStep2, p.Values.ToArray());
        Assert.Equal(2, optimizer.GetStepCount(p));
    }

    [Fact]
    public void RowStateFollowsRowOperations()
    {
        var set = new ParameterSet();
        var p = set.Add("sh", [3, 2], new float[6]);
        var optimizer = new Optimizer(Transforms.ScaleByAdamRowMean(), set);
        var grads = new GradientSet(set);
        grads.Set(p, [1f, 2f, 3f, 4f, 5f, 6f]);
        optimizer.Step(grads);
        float[] nu = optimizer.StateSlot(p, "nu_row").Span.ToArray();

        optimizer.ApplyRowPlan(new RowPlan(3).Keep([2, 0]).Append([1], RowInit.Fresh), p);

        Assert.Equal([nu[2], nu[0], 0f], optimizer.StateSlot(p, "nu_row").Span.ToArray());
        optimizer.VerifyRows();
    }

    [Fact]
    public void Spec_BuildsTheSameTransformation()
    {
        var fromSpec = Momentum.Specs.SpecRegistry.Default.Create("scale_by_adam_row_mean(b1=0.8, b2=0.99, eps=1e-6)");
        Assert.Equal("scale_by_adam_row_mean", fromSpec.Name);
        Assert.Throws<ArgumentOutOfRangeException>("b2", () => Transforms.ScaleByAdamRowMean(b2: 1));
    }

    private static void AssertClose(double[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6 * Math.Abs(expected[i]) + 1e-7, $"element {i}: expected {expected[i]}, got {actual[i]}");
    }

    private sealed class RelativeComparer(double tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance * Math.Abs(x);
        public int GetHashCode(float obj) => 0;
    }
}
