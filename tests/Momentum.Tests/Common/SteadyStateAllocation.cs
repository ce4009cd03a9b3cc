using Momentum.Specs;

namespace Momentum.Tests.Common;

/// <summary>The steady-state allocation probe shared by the optimizer families' "a step allocates nothing" tests.</summary>
internal static class SteadyStateAllocation
{
    /// <summary>
    /// Builds <paramref name="spec"/> on one thread over a [4, 33] matrix and a [33] vector with constant gradients,
    /// takes 3 warm-up steps, and returns the bytes this thread allocated during the next 10 steps — the fewest of up
    /// to three such windows. A step's code path is the same at every steady-state step, so an allocation of ours shows
    /// in every window; a one-off lazy initialization of the runtime (seen under load, e.g. on a tier-up) shows in one.
    /// </summary>
    public static long BytesOverTenSteps(string spec, double loss = double.NaN)
    {
        long fewest = long.MaxValue;
        for (int window = 0; window < 3 && fewest != 0; window++) fewest = Math.Min(fewest, OneWindow(spec, loss));
        return fewest;
    }

    private static long OneWindow(string spec, double loss)
    {
        var set = new ParameterSet();
        var w = set.Add("w", [4, 33]);
        var b = set.Add("b", [33]);
        var optimizer = new Optimizer(SpecRegistry.Default.Create(spec), set, new OptimizerOptions { Threads = 1 });
        var grads = new GradientSet(set);
        grads.Get(w).Fill(0.5f);
        grads.Get(b).Fill(-0.25f);
        for (int k = 0; k < 3; k++) optimizer.Step(grads, loss);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 10; k++) optimizer.Step(grads, loss);
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
