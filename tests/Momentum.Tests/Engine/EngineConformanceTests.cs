using Momentum.Kernels;
using Momentum.Specs;

namespace Momentum.Tests.Engine;

/// <summary>Tests that run every optimizer registered in <see cref="SpecRegistry.Default"/> (those buildable with default arguments).</summary>
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

    [Fact]
    public void ShapeRestricted_ListsOnlyRegisteredNamesThatRejectTheGeneralSet()
    {
        // The explicit list must not hide anything: each entry is registered, rejects the general set, accepts its own.
        foreach (var (name, make) in EngineTestData.ShapeRestricted)
        {
            string spec = $"{name}()";
            Assert.Contains(spec, EngineTestData.DefaultConstructibleSpecs());
            Assert.Throws<ArgumentException>(() => new Optimizer(SpecRegistry.Default.Create(spec), EngineTestData.MakeSet()));
            _ = new Optimizer(SpecRegistry.Default.Create(spec), make());
        }
    }

    [Theory]
    [MemberData(nameof(Specs))]
    public void Step_AnyThreadCount_GivesIdenticalBits(string spec)
    {
        foreach (string s in Variants(spec))
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
        foreach (string s in Variants(spec))
        {
            var set = EngineTestData.MakeSetFor(s);
            var optimizer = new Optimizer(SpecRegistry.Default.Create(s), set, new OptimizerOptions { Threads = 2, NonFiniteGradients = NonFiniteGradients.Throw });
            var gradients = new GradientSet(set);
            int step = 0;
            for (; step < 3; step++)
            {
                EngineTestData.FillGradients(gradients, step);
                optimizer.Step(gradients, loss: 1.0);
            }
            // Exact: the calling thread and the pool's helper threads allocate nothing in any of three steps.
            // Process-wide (GC.GetTotalAllocatedBytes) also counts the test runner's background threads, so that count
            // must be zero over at least one of ten single steps.
            long processWideMin = long.MaxValue;
            WorkerPool.TrackWorkerAllocations = true;
            try
            {
                for (int attempt = 0; attempt < 10; attempt++, step++)
                {
                    EngineTestData.FillGradients(gradients, step);
                    long workers = WorkerPool.Shared.WorkerAllocatedBytes;
                    long thread = GC.GetAllocatedBytesForCurrentThread();
                    long total = GC.GetTotalAllocatedBytes(precise: true);
                    optimizer.Step(gradients, loss: 1.0);
                    processWideMin = Math.Min(processWideMin, GC.GetTotalAllocatedBytes(precise: true) - total);
                    thread = GC.GetAllocatedBytesForCurrentThread() - thread;
                    workers = WorkerPool.Shared.WorkerAllocatedBytes - workers;
                    Assert.True(thread == 0, $"{s}: step {step} allocated {thread} bytes on the calling thread");
                    Assert.True(workers == 0, $"{s}: step {step} allocated {workers} bytes on worker threads");
                }
            }
            finally
            {
                WorkerPool.TrackWorkerAllocations = false;
            }
            Assert.True(processWideMin == 0, $"{s}: every one of ten steps allocated at least {processWideMin} bytes process-wide");
        }
    }

    /// <summary>The spec alone, and after <c>clip_by_global_norm</c> when that chain can be built (whole-step wrappers must be outermost).</summary>
    private static IEnumerable<string> Variants(string spec)
    {
        yield return spec;
        string clipped = $"chain(clip_by_global_norm(max_norm=0.05), {spec})";
        try
        {
            _ = new Optimizer(SpecRegistry.Default.Create(clipped), EngineTestData.MakeSetFor(clipped, smallTensors: 1));
        }
        catch (ArgumentException)
        {
            yield break;
        }
        yield return clipped;
    }

    private static List<(string What, long Bits)> RunSteps(string spec, int threads)
    {
        var set = EngineTestData.MakeSetFor(spec);
        var optimizer = new Optimizer(SpecRegistry.Default.Create(spec), set, new OptimizerOptions { Threads = threads });
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
