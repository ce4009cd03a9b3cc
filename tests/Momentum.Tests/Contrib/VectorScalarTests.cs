using Momentum.Specs;

namespace Momentum.Tests.Contrib;

public class VectorScalarTests
{
    /// <summary>One 37-element parameter (vector bodies and a tail) against 37 one-element parameters (scalar tails only): identical bits.</summary>
    [Theory]
    [InlineData("adopt(lr=1e-2)")]
    [InlineData("adopt(lr=1e-2, nesterov=true, use_clipping=false)")]
    [InlineData("ademamix(lr=1e-2, alpha=8, eps_root=1e-9)")]
    [InlineData("simplified_ademamix(lr=1e-2, alpha=2)")]
    [InlineData("cocob()")]
    public void VectorAndScalarPaths_GiveIdenticalBits(string spec)
    {
        const int n = 37;
        var rng = new Random(11);
        float[] init = [.. Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 4 - 2))];
        var wide = new ParameterSet();
        var w = wide.Add("w", [n], init);
        var narrow = new ParameterSet();
        var ps = Enumerable.Range(0, n).Select(i => narrow.Add($"p{i}", [1], [init[i]])).ToArray();
        var ow = new Optimizer(SpecRegistry.Default.Create(spec), wide);
        var on = new Optimizer(SpecRegistry.Default.Create(spec), narrow);
        var gw = new GradientSet(wide);
        var gn = new GradientSet(narrow);
        for (int step = 0; step < 5; step++)
        {
            float[] g = [.. w.Values.ToArray().Select((v, i) => v * (1 + 0.1f * (i % 3)) - 0.3f)];
            gw.Set(w, g);
            for (int i = 0; i < n; i++) gn.Set(ps[i], [g[i]]);
            ow.Step(gw);
            on.Step(gn);
        }
        Assert.Equal(w.Values.ToArray(), ps.Select(p => p.Values[0]).ToArray());
    }
}
