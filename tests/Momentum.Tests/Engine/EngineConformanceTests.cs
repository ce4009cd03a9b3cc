using Momentum.Kernels;
using Momentum.Specs;

namespace Momentum.Tests.Engine;

/// <summary>Tests that run every optimizer registered in <see cref="SpecRegistry.Default"/> (those buildable with default arguments).</summary>
[Collection(nameof(AllocationCollection))]
public class EngineConformanceTests
{
    /// <summary>Every registered name, by its registry example (no name is left out for needing arguments).</summary>
    public static TheoryData<string> Specs => [.. Examples()];

    private static IEnumerable<string> Examples() => SpecRegistry.Default.Transformations.Select(t => SpecRegistry.Default.Example(t.Name));

    [Fact]
    public void Registry_EveryNameIsCovered()
    {
        // Guards the enumeration itself: the theories below must not silently run over nothing or skip a name.
        var specs = Examples().ToList();
        Assert.Equal(SpecRegistry.Default.Transformations.Count(), specs.Count);
        Assert.True(specs.Count > 100, $"only {specs.Count} registered names");
        Assert.Contains(specs, s => s.StartsWith("adamw(", StringComparison.Ordinal));
        Assert.Contains(specs, s => s.StartsWith("muon(", StringComparison.Ordinal));
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
            var set = EngineTestData.MakeSet();
            var optimizer = new Optimizer(SpecRegistry.Default.Create(s), set, new OptimizerOptions { Threads = 2, NonFiniteGradients = NonFiniteGradients.Throw });
            var gradients = new GradientSet(set);
            int step = 0;
            for (; step < 3; step++)
            {
                EngineTestData.FillGradients(gradients, step);
                optimizer.Step(gradients, loss: 1.0);
            }
            // Per step of ten: bytes on the calling thread (step code plus the pool's hand-off and wait) and on the pool's
            // helper threads (inside bodies). Nothing is allocated inside the loop: the counts go to arrays made
            // beforehand and messages are built after it. (Building the assertion messages inside the loop, as this test
            // once did, made the calling thread's counter show sporadic 24 B to 8 KB counts at random steps of random
            // specs, also with DOTNET_TieredCompilation=0 and Threads = 1; the steps themselves count 0 bytes, here
            // and in a console host, 1200 of 1200 steps.)
            //
            // A step's code path is the same at every steady-state step, so an allocation in our code shows on every
            // step (or on a fixed period). Helper threads: zero on every step. Calling thread: zero on at least eight of
            // ten steps, which lets through only one-off lazy runtime initialization on a thread's first use of a
            // path (e.g. the first blocking wait), and fails any per-step or period-≤5 allocation.
            const int Steps = 10;
            long[] thread = new long[Steps], workers = new long[Steps], processWide = new long[Steps];
            WorkerPool.TrackWorkerAllocations = true;
            try
            {
                for (int k = 0; k < Steps; k++, step++)
                {
                    EngineTestData.FillGradients(gradients, step);
                    long total = GC.GetTotalAllocatedBytes(precise: true);
                    long w = WorkerPool.Shared.WorkerAllocatedBytes;
                    long t = GC.GetAllocatedBytesForCurrentThread();
                    optimizer.Step(gradients, loss: 1.0);
                    thread[k] = GC.GetAllocatedBytesForCurrentThread() - t;
                    workers[k] = WorkerPool.Shared.WorkerAllocatedBytes - w;
                    processWide[k] = GC.GetTotalAllocatedBytes(precise: true) - total;
                }
            }
            finally
            {
                WorkerPool.TrackWorkerAllocations = false;
            }
            string counts = $"calling thread [{string.Join(", ", thread)}], workers [{string.Join(", ", workers)}], process-wide [{string.Join(", ", processWide)}] bytes over steps {step - Steps}..{step - 1}";
            Assert.True(workers.All(b => b == 0), $"{s}: worker threads allocated: {counts}");
            Assert.True(thread.Count(b => b == 0) >= Steps - 2, $"{s}: the calling thread allocated on more than two of ten steps: {counts}");
            // Process-wide (GC.GetTotalAllocatedBytes) also counts the test runner's threads, which allocate in bursts
            // (reporting results): one step in up to fifty must count zero bytes in the whole process.
            long processWideMin = processWide.Min();
            for (int k = 0; k < 40 && processWideMin != 0; k++, step++)
            {
                EngineTestData.FillGradients(gradients, step);
                long total = GC.GetTotalAllocatedBytes(precise: true);
                optimizer.Step(gradients, loss: 1.0);
                processWideMin = Math.Min(processWideMin, GC.GetTotalAllocatedBytes(precise: true) - total);
            }
            Assert.True(processWideMin == 0, $"{s}: every one of fifty steps allocated process-wide (at least {processWideMin} bytes): {counts}");
        }
    }

    /// <summary>The spec alone, and after <c>clip_by_global_norm</c> when that chain can be built (whole-step wrappers must be outermost).</summary>
    private static IEnumerable<string> Variants(string spec)
    {
        yield return spec;
        string clipped = $"chain(clip_by_global_norm(max_norm=0.05), {spec})";
        try
        {
            _ = new Optimizer(SpecRegistry.Default.Create(clipped), EngineTestData.MakeSet(smallTensors: 1));
        }
        catch (Exception e) when (e is ArgumentException or SpecException)    // a wrapper inside chain is refused when built
        {
            yield break;
        }
        yield return clipped;
    }

    private static List<(string What, long Bits)> RunSteps(string spec, int threads)
    {
        var set = EngineTestData.MakeSet();
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
