using Momentum.Specs;

namespace Momentum.Tests.Contrib;

public class WrapperAllocationTests
{
    [Theory]
    [InlineData("apply_if_finite(lookahead(adam(lr=0.1), sync_period=2, slow_step_size=0.5), max_consecutive_errors=3)")]
    [InlineData("multi_steps(adam(lr=0.1), every_k_schedule=2)")]
    [InlineData("schedule_free_adamw()")]
    [InlineData("dadapt_adamw()")]
    [InlineData("prodigy()")]
    [InlineData("dog()")]
    [InlineData("muon(lr=0.02)")]
    [InlineData("chain(adopt(lr=1e-3), reduce_on_plateau())")]
    [InlineData("ademamix(lr=1e-3)")]
    public void Step_AfterWarmup_AllocatesNothing(string spec)
    {
        var set = new ParameterSet();
        var w = set.Add("w", [4, 5], [.. Enumerable.Range(0, 20).Select(i => 0.1f * i)]);
        var b = set.Add("b", [5], [1f, 2f, 3f, 4f, 5f]);
        var o = new Optimizer(SpecRegistry.Default.Create(spec), set, new OptimizerOptions { Threads = 1, NonFiniteGradients = NonFiniteGradients.Propagate });
        var g = new GradientSet(set);
        var gw = Enumerable.Range(0, 20).Select(i => 0.01f * (i % 5) - 0.02f).ToArray();
        float[] gb = [0.1f, -0.2f, 0.3f, float.NaN, 0.5f];
        float[] gbFinite = [0.1f, -0.2f, 0.3f, 0.4f, 0.5f];
        for (int step = 0; step < 6; step++)
        {
            g.Set(w, gw);
            g.Set(b, step == 3 && spec.StartsWith("apply_if_finite", StringComparison.Ordinal) ? gb : gbFinite);
            o.Step(g, 1.0);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int step = 0; step < 20; step++)
        {
            g.Set(w, gw);
            g.Set(b, gbFinite);
            o.Step(g, 1.0);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
