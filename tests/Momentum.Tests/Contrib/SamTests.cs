namespace Momentum.Tests.Contrib;

public class SamTests
{
    [Fact]
    public void Sam_StepsWithTheGradientAtThePerturbedPoint_AndRestoresTheParameters()
    {
        // f(x) = Σ x⁴/4, ∇f = x³. x = [1, 2], g = [1, 8], ‖g‖ = √65; x' = x + ρ g/‖g‖; SGD(lr) steps with x'³ from x.
        var set = new ParameterSet();
        var p = set.Add("x", [2], [1f, 2f]);
        var sam = new SamOptimizer(Optimizers.Sgd(new SgdOptions { LearningRate = 0.1 }), set, rho: 0.5);
        var g = new GradientSet(set);
        g.Set(p, [1f, 8f]);
        float[] seen = [];
        sam.Step(g, grads =>
        {
            seen = p.Values.ToArray();
            grads.Set(p, [.. seen.Select(v => v * v * v)]);
            return seen.Sum(v => v * v * v * v / 4.0);
        });
        double n = Math.Sqrt(65);
        double[] perturbed = [1 + 0.5 / n, 2 + 0.5 * 8 / n];
        Assert.Equal(perturbed[0], seen[0], 1e-6);
        Assert.Equal(perturbed[1], seen[1], 1e-6);
        Assert.Equal(1 - 0.1 * Math.Pow(perturbed[0], 3), p.Values[0], 1e-5);
        Assert.Equal(2 - 0.1 * Math.Pow(perturbed[1], 3), p.Values[1], 1e-5);
    }

    [Fact]
    public void Sam_Adaptive_PerturbsByThetaSquaredTimesG_OverTheNormOfThetaG()
    {
        var set = new ParameterSet();
        var p = set.Add("x", [2], [0.5f, -2f]);
        var sam = new SamOptimizer(Optimizers.Sgd(new SgdOptions { LearningRate = 0 }), set, rho: 1, adaptive: true);
        var g = new GradientSet(set);
        g.Set(p, [2f, 1f]);
        float[] seen = [];
        sam.Step(g, grads => { seen = p.Values.ToArray(); return 0; });
        // θg = [1, −2], ‖θg‖ = √5; ε = θ²g/‖θg‖ = [0.5, 4]/√5.
        Assert.Equal(0.5 + 0.5 / Math.Sqrt(5), seen[0], 1e-6);
        Assert.Equal(-2 + 4 / Math.Sqrt(5), seen[1], 1e-6);
        Assert.Equal([0.5f, -2f], p.Values.ToArray());
    }

    [Fact]
    public void Sam_Parabola_Converges()
    {
        var set = new ParameterSet();
        var p = set.Add("x", [3], [-1f, 10f, 1f]);
        var sam = new SamOptimizer(Optimizers.Sgd(new SgdOptions { LearningRate = 0.05 }), set, rho: 0.01);
        var g = new GradientSet(set);
        float[] target = [1f, -1f, 1f];
        void Grad(GradientSet gs) => gs.Set(p, [.. p.Values.ToArray().Select((v, i) => 2 * (v - target[i]))]);
        for (int step = 0; step < 500; step++)
        {
            Grad(g);
            sam.Step(g, gs => { Grad(gs); return 0; });
        }
        for (int i = 0; i < 3; i++) Assert.Equal(target[i], p.Values[i], 0.03f);
    }
}

public class SamRestoreTests
{
    [Fact]
    public void Sam_ParameterWithoutGradient_IsNeitherPerturbedNorOverwritten()
    {
        var set = new ParameterSet();
        var a = set.Add("a", [1], [1f]);
        var b = set.Add("b", [1], [5f]);
        var sam = new SamOptimizer(Optimizers.Sgd(new SgdOptions { LearningRate = 0.1 }), set, rho: 0.5);
        var g = new GradientSet(set);
        g.Set(a, [1f]);
        g.Set(b, [1f]);
        sam.Step(g, gs => 0); // both perturbed and stepped
        float bAfterFirst = b.Values[0];
        g.ClearAll();
        g.Set(a, [1f]);
        float bSeen = float.NaN;
        sam.Step(g, gs => { bSeen = b.Values[0]; return 0; });
        Assert.Equal(bAfterFirst, bSeen);
        Assert.Equal(bAfterFirst, b.Values[0]); // not restored to a stale copy
    }
}
