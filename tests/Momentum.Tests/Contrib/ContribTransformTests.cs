namespace Momentum.Tests.Contrib;

using T = Momentum.Transforms;

public class ContribTransformTests
{
    /// <summary>Runs Optax's doctest: f(x) = Σx² from [1, 2, 3]; returns f after each step and the final x.</summary>
    internal static (double[] F, float[] X) Quadratic(GradientTransformation transformation, int steps = 5)
    {
        var set = new ParameterSet();
        var p = set.Add("x", [3], [1f, 2f, 3f]);
        var grads = new GradientSet(set);
        var optimizer = new Optimizer(transformation, set);
        var f = new double[steps];
        for (int s = 0; s < steps; s++)
        {
            grads.Set(p, [.. p.Values.ToArray().Select(v => 2 * v)]);
            optimizer.Step(grads);
            f[s] = p.Values.ToArray().Sum(v => (double)v * v);
        }
        return (f, p.Values.ToArray());
    }

    private static void AssertClose(double[] expected, double[] actual, double relative)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= relative * Math.Abs(expected[i]), $"[{i}] expected {expected[i]}, got {actual[i]}");
    }

    [Fact]
    public void Adopt_OptaxDoctest_FirstUpdateIsZero_AndMatchesRederivedParams()
    {
        var (f, x) = Quadratic(Optimizers.Adopt(new AdoptOptions { LearningRate = 0.003 }));
        Assert.All(f, v => Assert.Equal(14.0, v, 0.05));
        AssertClose([0.9972865, 1.9972859, 2.9972857], [.. x.Select(v => (double)v)], 1e-6);
        var (f1, _) = Quadratic(Optimizers.Adopt(new AdoptOptions { LearningRate = 0.003 }), 1);
        Assert.Equal(14.0, f1[0]);
    }

    [Fact]
    public void Ademamix_OptaxDoctest()
    {
        var (f, x) = Quadratic(Optimizers.Ademamix(new AdemamixOptions { LearningRate = 0.01 }));
        AssertClose([13.9, 13.8, 13.6, 13.5, 13.4], f, 4e-3);
        AssertClose([0.9499712, 1.9499474, 2.9499398], [.. x.Select(v => (double)v)], 1e-6);
    }

    [Fact]
    public void SimplifiedAdemamix_OptaxDoctest()
    {
        var (f, _) = Quadratic(Optimizers.SimplifiedAdemamix(new SimplifiedAdemamixOptions { LearningRate = 0.01 }));
        AssertClose([13.9, 13.6, 13.3, 12.8, 12.3], f, 4e-3);
    }

    [Fact]
    public void Ademamix_BuildingBlockAlphaDefault_IsSixAndTheAliasFive()
    {
        var alias = Quadratic(Optimizers.Ademamix(new AdemamixOptions { LearningRate = 0.01, Alpha = 6.0 })).X;
        var block = Quadratic(T.Chain(T.ScaleByAdemamix(), T.ScaleByLearningRate(0.01))).X;
        Assert.Equal(alias, block);
        Assert.NotEqual(alias, Quadratic(Optimizers.Ademamix(new AdemamixOptions { LearningRate = 0.01 })).X);
    }

    private static (Optimizer Optimizer, Parameter P, GradientSet Grads) Make(GradientTransformation t, int[] shape, float[] values)
    {
        var set = new ParameterSet();
        var p = set.Add("p", shape, values);
        return (new Optimizer(t, set), p, new GradientSet(set));
    }

    [Fact]
    public void Centralize_OptaxValue_SubtractsEachRowsMean()
    {
        var (o, p, g) = Make(T.Centralize(), [2, 2], [0f, 0f, 0f, 0f]);
        g.Set(p, [1f, 2f, 3f, 4f]);
        o.Step(g);
        Assert.Equal([-0.5f, 0.5f, -0.5f, 0.5f], p.Values.ToArray());
        var (o1, p1, g1) = Make(T.Centralize(), [3], [0f, 0f, 0f]);
        g1.Set(p1, [1f, 2f, 6f]);
        o1.Step(g1);
        Assert.Equal([1f, 2f, 6f], p1.Values.ToArray());
    }

    [Fact]
    public void KeepParamsNonnegative_LandsOnZero()
    {
        var (o, p, g) = Make(T.Chain(T.Scale(-1), T.KeepParamsNonnegative()), [3], [1f, 2f, 0.5f]);
        g.Set(p, [2f, 1f, -1f]);
        o.Step(g);
        Assert.Equal([0f, 1f, 1.5f], p.Values.ToArray());
    }

    [Fact]
    public void ZeroNans_ZeroesNaNsKeepsInfinities_AndRecordsIt()
    {
        var (o, p, g) = Make(T.ZeroNans(), [3], [1f, 1f, 1f]);
        var opts = new OptimizerOptions { NonFiniteGradients = NonFiniteGradients.Propagate };
        o = new Optimizer(T.ZeroNans(), o.Parameters, opts);
        g = new GradientSet(o.Parameters);
        g.Set(p, [float.NaN, 2f, float.PositiveInfinity]);
        o.Step(g);
        Assert.Equal([1f, 3f, float.PositiveInfinity], p.Values.ToArray());
        var state = o.GetState(p, "zero_nans")!;
        Assert.Equal(1.0, state.Scalars.Single(s => s.Slot == "found_nan").Get());
        g.Set(p, [1f, 1f, 1f]);
        o.Step(g);
        Assert.Equal(0.0, state.Scalars.Single(s => s.Slot == "found_nan").Get());
    }

    [Fact]
    public void Masked_UnselectedUpdatesPassThroughUnchanged()
    {
        var set = new ParameterSet();
        var a = set.Add("a", [2], [0f, 0f]);
        var b = set.Add("b", [2], [0f, 0f]);
        var o = new Optimizer(T.Masked(T.Scale(-3), p => p.Name == "a"), set);
        var g = new GradientSet(set);
        g.Set(a, [1f, 2f]);
        g.Set(b, [1f, 2f]);
        o.Step(g);
        Assert.Equal([-3f, -6f], a.Values.ToArray());
        Assert.Equal([1f, 2f], b.Values.ToArray()); // pass-through, not zero (Optax's masked)
    }

    [Fact]
    public void Freeze_ZeroesFrozen_ButTheOptimizerStillKeepsTheirState()
    {
        var set = new ParameterSet();
        var a = set.Add("a", [2], [1f, 1f]);
        var b = set.Add("b", [2], [1f, 1f]);
        var o = new Optimizer(T.Chain(Optimizers.Adam(), T.Freeze(p => p.Name == "b")), set);
        var g = new GradientSet(set);
        g.Set(a, [1f, 2f]);
        g.Set(b, [1f, 2f]);
        o.Step(g);
        Assert.NotEqual([1f, 1f], a.Values.ToArray());
        Assert.Equal([1f, 1f], b.Values.ToArray());
        Assert.NotNull(o.GetState(b, "0.0.scale_by_adam"));
    }

    [Fact]
    public void SelectiveTransform_FrozenParametersGetNoStateAtAll()
    {
        var set = new ParameterSet();
        var a = set.Add("a", [2], [1f, 1f]);
        var b = set.Add("b", [2], [1f, 1f]);
        var o = new Optimizer(T.SelectiveTransform(Optimizers.Adam(), p => p.Name == "b"), set);
        var g = new GradientSet(set);
        g.Set(a, [1f, 2f]);
        g.Set(b, [1f, 2f]);
        o.Step(g);
        Assert.Equal([1f, 1f], b.Values.ToArray());
        Assert.NotEqual([1f, 1f], a.Values.ToArray());
        Assert.DoesNotContain(o.States, s => s.Parameter == b);
        Assert.Single(o.StagesOf(b));
        Assert.Equal("set_to_zero", o.StagesOf(b)[0].Transformation.Name);
        Assert.NotNull(o.GetState(a, "0.scale_by_adam"));
    }

    [Fact]
    public void ClipByBlockRms_ScalesDownOnlyAboveTheThreshold()
    {
        var (o, p, g) = Make(T.ClipByBlockRms(1.0), [4], [0f, 0f, 0f, 0f]);
        g.Set(p, [2f, 2f, 2f, 2f]); // rms 2 → halved
        o.Step(g);
        Assert.Equal([1f, 1f, 1f, 1f], p.Values.ToArray());
        g.Set(p, [0.5f, -0.5f, 0.5f, 0.5f]); // rms 0.5 → unchanged
        o.Step(g);
        Assert.Equal([1.5f, 0.5f, 1.5f, 1.5f], p.Values.ToArray());
    }

    [Fact]
    public void AdaptiveGradClip_ClipsEachRowRelativeToItsParameterNorm()
    {
        // Row 0: ‖θ‖ = 5, max = 0.1·5 = 0.5, ‖g‖ = 10 → g·0.05. Row 1: ‖θ‖ = 0 → max = 0.1·1e-3; ‖g‖ = 5e-5 < 1e-4 → unchanged.
        var (o, p, g) = Make(T.AdaptiveGradClip(0.1), [2, 2], [3f, 4f, 0f, 0f]);
        g.Set(p, [6f, 8f, 3e-5f, 4e-5f]);
        o.Step(g);
        Assert.Equal(3.3f, p.Values[0], 1e-6f);
        Assert.Equal(4.4f, p.Values[1], 1e-6f);
        Assert.Equal(3e-5f, p.Values[2]);
        Assert.Equal(4e-5f, p.Values[3]);
    }
}
