namespace Momentum.Tests.Core;

public class NoneVersusZeroGradientTests
{
    private static (ParameterSet Set, Parameter Frozen, Parameter Zero, Parameter Live) MakeSet()
    {
        var set = new ParameterSet();
        var frozen = set.Add("frozen", [3, 4], [.. Enumerable.Range(1, 12).Select(i => i * 0.25f)]);
        var zero = set.Add("zero", [3, 4], [.. Enumerable.Range(1, 12).Select(i => i * 0.25f)]);
        var live = set.Add("live", [5], [1f, 2f, 3f, 4f, 5f]);
        return (set, frozen, zero, live);
    }

    [Fact]
    public void AdamW_NoGradient_LeavesParameterBitForBitUnchanged_ZeroGradientDecays()
    {
        var (set, frozen, zero, live) = MakeSet();
        var optimizer = new Optimizer(Optimizers.AdamW(new AdamWOptions { LearningRate = 0.1, WeightDecay = 0.5 }), set);
        var grads = new GradientSet(set);
        float[] before = frozen.Values.ToArray();
        float[] zeroBefore = zero.Values.ToArray();
        for (int step = 0; step < 10; step++)
        {
            grads.ClearAll();
            grads.Get(zero, clear: true);
            grads.Set(live, [0.1f, -0.2f, 0.3f, -0.4f, 0.5f]);
            Assert.True(optimizer.Step(grads));
        }
        Assert.Equal(before, frozen.Values.ToArray());
        Assert.False(optimizer.HasState(frozen));
        for (int i = 0; i < zeroBefore.Length; i++)
        {
            // A zero gradient is a real step: decoupled decay θ ← θ(1 − η λ) ten times (Adam's m stays 0).
            double expected = zeroBefore[i] * Math.Pow(1 - 0.1 * 0.5, 10);
            Assert.Equal(expected, zero.Values[i], 1e-5);
        }
        var state = (ScaleByAdamState)optimizer.GetState(zero, "0.scale_by_adam")!;
        Assert.Equal(10, state.Count);
    }

    [Fact]
    public void Adam_SkippedSteps_DoNotAdvanceTheParametersOwnCount()
    {
        var (set, frozen, _, live) = MakeSet();
        var optimizer = new Optimizer(Optimizers.Adam(), set);
        var grads = new GradientSet(set);
        for (int step = 0; step < 6; step++)
        {
            grads.ClearAll();
            grads.Set(live, [1f, 1f, 1f, 1f, 1f]);
            if (step % 2 == 0) grads.Get(frozen, clear: true)[0] = 1f;
            optimizer.Step(grads);
        }
        Assert.Equal(6, ((ScaleByAdamState)optimizer.GetState(live, "0.scale_by_adam")!).Count);
        Assert.Equal(3, ((ScaleByAdamState)optimizer.GetState(frozen, "0.scale_by_adam")!).Count);
        Assert.Equal(6, optimizer.StepCount);
    }
}
