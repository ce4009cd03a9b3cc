namespace Momentum.Tests.Core;

/// <summary>
/// What <see cref="GradientSet.Get"/> hands out: zeros after a clear (so <c>+=</c> accumulation starts from zero, as
/// torch's <c>.grad</c> does after <c>zero_grad(set_to_none=True)</c>), the accumulated values while the gradient is
/// present, and stale values only through the explicit <see cref="GradientSet.GetForOverwrite"/>.
/// </summary>
public class GradientSetTests
{
    private static (ParameterSet Set, Parameter W, Parameter B, GradientSet Grads) MakeSet()
    {
        var set = new ParameterSet();
        var w = set.Add("w", [3, 4]);
        var b = set.Add("b", [5]);
        return (set, w, b, new GradientSet(set));
    }

    [Fact]
    public void Get_AfterClearAll_HandsOutZeros()
    {
        var (_, w, b, grads) = MakeSet();
        grads.Get(w).Fill(3f);
        grads.Get(b).Fill(-2f);
        grads.ClearAll();
        var g = grads.Get(w);
        for (int i = 0; i < g.Length; i++) g[i] += 1f; // accumulation must start from zero, not from last step's 3
        Assert.All(grads.Read(w).ToArray(), x => Assert.Equal(1f, x));
        Assert.False(grads.HasGradient(b)); // cleared and not asked for: no gradient, not a zero one
    }

    [Fact]
    public void Get_AfterClearOfOneParameter_HandsOutZerosForItOnly()
    {
        var (_, w, b, grads) = MakeSet();
        grads.Get(w).Fill(3f);
        grads.Get(b).Fill(-2f);
        grads.Clear(w);
        Assert.All(grads.Get(w).ToArray(), x => Assert.Equal(0f, x));
        Assert.All(grads.Get(b).ToArray(), x => Assert.Equal(-2f, x)); // still present: accumulates
    }

    [Fact]
    public void Get_WhilePresent_AccumulatesAcrossCalls()
    {
        var (_, w, _, grads) = MakeSet();
        grads.ClearAll();
        for (int micro = 0; micro < 3; micro++)
        {
            var g = grads.Get(w);
            for (int i = 0; i < g.Length; i++) g[i] += 0.5f;
        }
        Assert.All(grads.Read(w).ToArray(), x => Assert.Equal(1.5f, x));
    }

    [Fact]
    public void Get_AfterStepWithoutClear_KeepsTheValues()
    {
        var (set, w, _, grads) = MakeSet();
        var optimizer = new Optimizer(Optimizers.Sgd(new SgdOptions { LearningRate = 0.1 }), set);
        grads.Get(w).Fill(2f);
        optimizer.Step(grads);
        Assert.All(grads.Get(w).ToArray(), x => Assert.Equal(2f, x)); // a step does not clear, as in torch
    }

    [Fact]
    public void GetForOverwrite_AfterClearAll_LeavesOldValuesAndMarksPresent()
    {
        var (_, w, _, grads) = MakeSet();
        grads.Get(w).Fill(3f);
        grads.ClearAll();
        var g = grads.GetForOverwrite(w);
        Assert.True(grads.HasGradient(w));
        Assert.All(g.ToArray(), x => Assert.Equal(3f, x)); // not zeroed: the caller writes every element
    }

    [Fact]
    public void Get_ClearTrue_ZeroesAPresentGradient()
    {
        var (_, w, _, grads) = MakeSet();
        grads.Get(w).Fill(3f);
        Assert.All(grads.Get(w, clear: true).ToArray(), x => Assert.Equal(0f, x));
    }

    [Fact]
    public void ClearAllThenGet_EveryStep_AllocatesNothing()
    {
        var (set, w, b, grads) = MakeSet();
        var optimizer = new Optimizer(Optimizers.Adam(), set, new OptimizerOptions { Threads = 1 });
        void OneStep()
        {
            grads.ClearAll();
            grads.Get(w)[0] += 1f;
            grads.Get(b)[1] += 1f;
            optimizer.Step(grads);
        }
        for (int k = 0; k < 3; k++) OneStep();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 10; k++) OneStep();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1f, grads.Read(w)[0]);
        Assert.Equal(0f, grads.Read(w)[1]);
    }
}
