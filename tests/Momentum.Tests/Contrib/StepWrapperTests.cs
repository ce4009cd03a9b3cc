namespace Momentum.Tests.Contrib;

using T = Momentum.Transforms;

public class StepWrapperTests
{
    private static readonly OptimizerOptions s_propagate = new() { NonFiniteGradients = NonFiniteGradients.Propagate };

    private static (ParameterSet Set, Parameter P, GradientSet Grads) One(params float[] values)
    {
        var set = new ParameterSet();
        var p = set.Add("p", [values.Length], values);
        return (set, p, new GradientSet(set));
    }

    [Fact]
    public void ApplyIfFinite_OptaxConditionalityTest_SkipsCountsAndGivesUp()
    {
        // optax _conditionality_test: max_consecutive_errors=2, SGD lr 1, param 0.
        var (set, p, grads) = One(0f);
        var optimizer = new Optimizer(T.ApplyIfFinite(Optimizers.Sgd(new SgdOptions { LearningRate = 1.0 }), 2), set, s_propagate);
        var state = (ApplyIfFiniteState)optimizer.GetWrapperState("apply_if_finite")!;
        float[] inputs = [1f, float.NaN, float.NaN, 1f, float.NaN, float.NaN, float.NaN];
        bool[] applied = [true, false, false, true, false, false, true];
        float[] expected = [-1f, -1f, -1f, -2f, -2f, -2f, float.NaN];
        long[] counts = [0, 1, 2, 0, 1, 2, 3];
        for (int i = 0; i < inputs.Length; i++)
        {
            grads.Set(p, [inputs[i]]);
            Assert.Equal(applied[i], optimizer.Step(grads));
            Assert.Equal(expected[i], p.Values[0]);
            Assert.Equal(counts[i], state.NotFiniteCount);
            Assert.Equal(!float.IsNaN(inputs[i]), state.LastFinite);
        }
        Assert.Equal(5, state.TotalNotFinite);
        Assert.Equal(3, optimizer.StepCount);
    }

    [Fact]
    public void ApplyIfFinite_RejectedStep_RestoresInnerAdamState()
    {
        var set = new ParameterSet();
        var a = set.Add("a", [3], [1f, 2f, 3f]);
        var b = set.Add("b", [2], [4f, 5f]);
        var grads = new GradientSet(set);
        var optimizer = new Optimizer(T.ApplyIfFinite(Optimizers.Adam(new AdamOptions { LearningRate = 0.1 }), 10), set, s_propagate);
        grads.Set(a, [0.5f, -1f, 2f]);
        grads.Set(b, [1f, 1f]);
        Assert.True(optimizer.Step(grads));
        var adam = (ScaleByAdamState)optimizer.GetState(a, "0.scale_by_adam")!;
        float[] mu = adam.Mu.Span.ToArray(), nu = adam.Nu.Span.ToArray();
        float[] aBefore = a.Values.ToArray(), bBefore = b.Values.ToArray();
        grads.Set(a, [0.5f, -1f, 2f]);
        grads.Set(b, [1f, float.PositiveInfinity]); // b's update is not finite: the whole step is rejected, a included
        Assert.False(optimizer.Step(grads));
        Assert.Equal(aBefore, a.Values.ToArray());
        Assert.Equal(bBefore, b.Values.ToArray());
        Assert.Equal(1, adam.Count);
        Assert.Equal(mu, adam.Mu.Span.ToArray());
        Assert.Equal(nu, adam.Nu.Span.ToArray());
        Assert.Equal(1, ((ScaleByAdamState)optimizer.GetState(b, "0.scale_by_adam")!).Count);
        Assert.All(((ScaleByAdamState)optimizer.GetState(b, "0.scale_by_adam")!).Nu.Span.ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void ApplyIfFinite_InsideAChain_IsRejectedWithAClearError()
    {
        var e = Assert.Throws<ArgumentException>(() => T.Chain(T.ApplyIfFinite(Optimizers.Adam(), 1)));
        Assert.Equal("transformations", e.ParamName);
        Assert.Contains("outermost", e.Message);
    }

    [Fact]
    public void MultiSteps_EqualsOneInnerStepOnTheMeanGradient_ParametersStillInBetween()
    {
        var (set, p, grads) = One(1f, -2f, 3f);
        var (refSet, refP, refGrads) = One(1f, -2f, 3f);
        var optimizer = new Optimizer(T.MultiSteps(Optimizers.Adam(new AdamOptions { LearningRate = 0.1 }), 3), set);
        var reference = new Optimizer(Optimizers.Adam(new AdamOptions { LearningRate = 0.1 }), refSet);
        var state = (MultiStepsState)optimizer.GetWrapperState("multi_steps")!;
        float[][] micro = [[0.3f, -1f, 2f], [0.6f, 1f, -4f], [1.2f, 3f, 5f], [1f, 1f, 1f], [2f, 2f, 2f], [-3f, 0f, 6f]];
        for (int round = 0; round < 2; round++)
        {
            float[] before = p.Values.ToArray();
            double[] mean = new double[3];
            for (int m = 0; m < 3; m++)
            {
                var g = micro[3 * round + m];
                for (int i = 0; i < 3; i++) mean[i] += g[i] / 3.0;
                grads.Set(p, g);
                Assert.True(optimizer.Step(grads));
                Assert.Equal(m == 2, state.HasUpdated);
                if (m < 2) Assert.Equal(before, p.Values.ToArray());
            }
            refGrads.Set(refP, [.. mean.Select(v => (float)v)]);
            reference.Step(refGrads);
            for (int i = 0; i < 3; i++) Assert.Equal(refP.Values[i], p.Values[i], 1e-6f);
        }
        Assert.Equal(2, optimizer.StepCount);
        Assert.Equal(2, state.GradientStep);
        Assert.Equal(2, ((ScaleByAdamState)optimizer.GetState(p, "0.scale_by_adam")!).Count);
    }

    [Fact]
    public void MultiSteps_Sum_AddsTheGradients()
    {
        var (set, p, grads) = One(0f);
        var optimizer = new Optimizer(T.MultiSteps(T.Scale(-1), 2, useGradMean: false), set);
        grads.Set(p, [1.5f]);
        optimizer.Step(grads);
        grads.Set(p, [2f]);
        optimizer.Step(grads);
        Assert.Equal(-3.5f, p.Values[0]);
    }

    [Fact]
    public void Lookahead_OptaxLookaheadTest_SlowWeightsAfterSixSteps()
    {
        // lookahead_test: grads {x: 2, y: -2}, params {x: 3, y: -3}, fast update -0.5 g, sync 3, slow step 1/3.
        var (set, p, grads) = One(3f, -3f);
        var optimizer = new Optimizer(T.Lookahead(T.Scale(-0.5), 3, 1.0 / 3), set);
        float[] fastX = [2f, 1f, 2f, 1f, 0f, 1f];
        for (int step = 0; step < 6; step++)
        {
            grads.Set(p, [2f, -2f]);
            optimizer.Step(grads);
            Assert.Equal(fastX[step], p.Values[0], 1e-6f);
        }
        var slow = T.LookaheadSlowWeights(optimizer, p).ToArray();
        Assert.Equal(1f, slow[0], 1e-6f);
        Assert.Equal(-1f, slow[1], 1e-6f);
    }

    [Theory]
    [InlineData(1, 0.5, 1.0)]
    [InlineData(1, 0.0, 3.0)]
    [InlineData(1, 1.0, -1.0)]
    [InlineData(2, 1.0, -1.0)]
    public void Lookahead_OptaxEdgeCases(int syncPeriod, double slowStep, double expected)
    {
        var (set, p, grads) = One(3f);
        var optimizer = new Optimizer(T.Lookahead(T.Scale(-1), syncPeriod, slowStep), set);
        for (int step = 0; step < 2; step++)
        {
            grads.Set(p, [2f]);
            optimizer.Step(grads);
        }
        Assert.Equal((float)expected, T.LookaheadSlowWeights(optimizer, p)[0], 1e-6f);
    }

    [Fact]
    public void Lookahead_ResetState_RestartsTheFastOptimizerAtSync()
    {
        var (set, p, grads) = One(1f);
        var optimizer = new Optimizer(T.Lookahead(Optimizers.Adam(), 2, 0.5, resetState: true), set);
        grads.Set(p, [1f]);
        optimizer.Step(grads);
        Assert.Equal(1, ((ScaleByAdamState)optimizer.GetState(p, "0.scale_by_adam")!).Count);
        optimizer.Step(grads);
        Assert.Null(optimizer.GetState(p, "0.scale_by_adam"));
        optimizer.Step(grads);
        Assert.Equal(1, ((ScaleByAdamState)optimizer.GetState(p, "0.scale_by_adam")!).Count);
    }

    public static TheoryData<string, double[]> ScheduleFreeDoctests => new()
    {
        // Optax doctests of schedule_free_sgd() and schedule_free_adamw(1.0): f(eval params) after each of 5 steps.
        { "sgd", [14.0, 1.75e-14, 0.996, 0.806, 0.241] },
        { "adamw", [5.00, 3.05, 1.73, 0.894, 0.413] },
    };

    [Theory]
    [MemberData(nameof(ScheduleFreeDoctests))]
    public void ScheduleFree_OptaxDoctest_Quadratic(string which, double[] expected)
    {
        var (set, p, grads) = One(1f, 2f, 3f);
        var optimizer = new Optimizer(which == "sgd"
            ? Optimizers.ScheduleFreeSgd()
            : Optimizers.ScheduleFreeAdamW(new ScheduleFreeAdamWOptions { LearningRate = 1.0 }), set);
        var x = new float[3];
        for (int step = 0; step < 5; step++)
        {
            grads.Set(p, [.. p.Values.ToArray().Select(v => 2 * v)]);
            optimizer.Step(grads);
            Optimizers.ScheduleFreeEvalParameters(optimizer, p, x);
            double f = x.Sum(v => (double)v * v);
            if (expected[step] < 1e-6) Assert.True(f < 1e-6, $"step {step}: f = {f}");
            else Assert.Equal(expected[step], f, expected[step] * 6e-3);
        }
    }
}
