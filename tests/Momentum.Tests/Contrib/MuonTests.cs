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
}
