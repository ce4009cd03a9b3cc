namespace Momentum.Tests.Engine;

/// <summary>Tests that run every optimizer registered in <see cref="Momentum.Specs.SpecRegistry.Default"/> (those buildable with default arguments).</summary>
[Collection(nameof(AllocationCollection))]
public class EngineConformanceTests
{
    public static TheoryData<string> Specs => [.. EngineTestData.DefaultConstructibleSpecs()];

    [Fact]
    public void Registry_HasTheFoundationOptimizers()
    {
        // Guards the enumeration itself: the theories below must not silently run over nothing.
        var specs = EngineTestData.DefaultConstructibleSpecs().ToList();
        Assert.Contains("sgd()", specs);
        Assert.Contains("adam()", specs);
        Assert.Contains("adamw()", specs);
    }

    [Theory]
    [MemberData(nameof(Specs))]
    public void Step_AnyThreadCount_GivesIdenticalBits(string spec)
    {
        foreach (string s in new[] { spec, $"chain(clip_by_global_norm(max_norm=0.05), {spec})" })
        {
            var expected = RunSteps(s, threads: 1);
            foreach (int threads in new[] { 2, 8 })
                EngineTestData.AssertSameBits(expected, RunSteps(s, threads), $"{s} with {threads} threads");
        }
    }

    [Theory]
    [MemberData(nameof(Specs))]
    public void Step_AfterWarmup_AllocatesNothing(string spec)
    {
        foreach (string s in new[] { spec, $"chain(clip_by_global_norm(max_norm=0.05), {spec})" })
        {
            var set = EngineTestData.MakeSet();
            var optimizer = new Optimizer(Momentum.Specs.SpecRegistry.Default.Create(s), set,
                new OptimizerOptions { Threads = 2, NonFiniteGradients = NonFiniteGradients.Throw });
            var gradients = new GradientSet(set);
            int step = 0;
            for (; step < 3; step++)
            {
                EngineTestData.FillGradients(gradients, step);
                optimizer.Step(gradients, loss: 1.0);
            }
            // The calling thread must allocate nothing. The process-wide count can include the test runner's own
            // background work, so it must reach zero on at least one of a few attempts (a step that allocates on a
            // worker thread fails every attempt).
            long processWide = long.MaxValue;
            for (int attempt = 0; attempt < 5 && processWide != 0; attempt++)
            {
                long thread = GC.GetAllocatedBytesForCurrentThread();
                long total = GC.GetTotalAllocatedBytes(precise: true);
                for (int k = 0; k < 3; k++, step++)
                {
                    EngineTestData.FillGradients(gradients, step);
                    optimizer.Step(gradients, loss: 1.0);
                }
                processWide = GC.GetTotalAllocatedBytes(precise: true) - total;
                thread = GC.GetAllocatedBytesForCurrentThread() - thread;
                Assert.True(thread == 0, $"{s}: a step allocated {thread / 3.0:0} bytes on the calling thread");
            }
            Assert.True(processWide == 0, $"{s}: three steps allocated {processWide} bytes across threads");
        }
    }

    private static List<(string What, long Bits)> RunSteps(string spec, int threads)
    {
        var set = EngineTestData.MakeSet();
        var optimizer = new Optimizer(Momentum.Specs.SpecRegistry.Default.Create(spec), set, new OptimizerOptions { Threads = threads });
        var gradients = new GradientSet(set);
        for (int step = 0; step < 4; step++)
        {
            EngineTestData.FillGradients(gradients, step);
            optimizer.Step(gradients, loss: 1.0);
        }
        return EngineTestData.Snapshot(optimizer);
    }
}

/// <summary>Allocation counts are process-wide, so these tests run alone, after the parallel ones.</summary>
[CollectionDefinition(nameof(AllocationCollection), DisableParallelization = true)]
public sealed class AllocationCollection;
