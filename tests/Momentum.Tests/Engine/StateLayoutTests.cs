using Momentum.IO;
using Momentum.Specs;

namespace Momentum.Tests.Engine;

/// <summary>
/// The per-step caches and the packed state layout of the engine (StateArena; the arrays, lengths and states a step
/// keeps from the previous one) change no result, whatever happens between steps.
/// </summary>
public class StateLayoutTests
{
    [Fact]
    public void SmallParameters_StateTensors_ArePackedSlotBySlot()
    {
        var set = new ParameterSet();
        var a = set.Add("a", 100);
        var b = set.Add("b", 37, 3);
        var c = set.Add("c", 1000);
        var big = set.Add("big", Optimizer.ChunkLength + 5);
        var gradients = new GradientSet(set);
        foreach (var p in set.Reverse()) gradients.Get(p, clear: true).Fill(0.1f); // last to first, as a backward pass
        var optimizer = new Optimizer(Optimizers.Adam(), set, new OptimizerOptions { Threads = 2 });
        optimizer.Step(gradients);
        var ga = gradients.BufferIfPresent(a)!;
        var gc = gradients.BufferIfPresent(c)!;
        Assert.Same(ga.Data, gc.Data);
        Assert.Equal(ga.Offset + 211, gc.Offset);

        ScaleByAdamState Adam(Parameter p) => (ScaleByAdamState)optimizer.States.Single(s => s.Parameter == p && s.State is ScaleByAdamState).State;
        var (sa, sb, sc, sbig) = (Adam(a), Adam(b), Adam(c), Adam(big));

        // The first moments of the small parameters lie one after another in one slab, in parameter order; the second
        // moments in another; and so do the parameters' values and their gradients.
        Assert.Same(sa.Mu.Data, sb.Mu.Data);
        Assert.Same(sa.Mu.Data, sc.Mu.Data);
        Assert.Same(sa.Nu.Data, sc.Nu.Data);
        Assert.NotSame(sa.Mu.Data, sa.Nu.Data);
        Assert.Equal(sa.Mu.Offset + 100, sb.Mu.Offset);
        Assert.Equal(sb.Mu.Offset + 111, sc.Mu.Offset);
        Assert.Equal(sa.Nu.Offset + 211, sc.Nu.Offset);
        Assert.Same(a.Storage.Data, c.Storage.Data);
        Assert.Equal(a.Storage.Offset + 211, c.Storage.Offset);

        // A large tensor streams well on its own: it keeps an array of its own.
        Assert.Equal(0, sbig.Mu.Offset);
        Assert.NotSame(sa.Mu.Data, sbig.Mu.Data);
        Assert.Equal(big.Length, sbig.Mu.Data.Length);
    }

    [Fact]
    public void AdjacentSmallTensors_ShareKernelCalls_UnlessSomethingSeparatesThem()
    {
        var set = new ParameterSet();
        for (int i = 0; i < 30; i++) set.Add($"w{i}", 100 + i);
        var gradients = new GradientSet(set);
        var optimizer = new Optimizer(Optimizers.AdamW(), set, new OptimizerOptions { Threads = 1 });
        EngineTestData.FillGradients(gradients, 0);
        optimizer.Step(gradients);
        // 30 tensors of 100–129 elements (3,435 in all) fit in one work item and in the first slab of every array, one
        // after another.
        Assert.Equal(1, optimizer.KernelRunsLastStep);

        EngineTestData.FillGradients(gradients, 1);
        gradients.Clear(set[10]);           // a gap in the step: the tensors before and after it are not adjacent
        optimizer.ResetState(set[20]);      // fresh state, created at the end of the state slabs
        optimizer.Step(gradients);
        Assert.Equal(4, optimizer.KernelRunsLastStep); // [0, 10), [11, 20), [20], [21, 30)
    }

    [Theory]
    [InlineData(100, 1)]  // even lengths: each packed bfloat16 moment ends exactly where the next one starts
    [InlineData(101, 30)] // odd lengths: each ends with half a float32 slot of padding, so none continues the previous
    public void BFloat16Moments_ShareKernelCalls_OnlyWhenPackedWithoutPadding(int firstLength, int expectedRuns)
    {
        List<(string What, long Bits)> Run(bool specialized, out int runs)
        {
            var set = new ParameterSet();
            for (int i = 0; i < 30; i++) set.Add($"w{i}", firstLength + 2 * i);
            var gradients = new GradientSet(set);
            var optimizer = new Optimizer(Optimizers.AdamW(new AdamWOptions { BFloat16State = true }), set,
                new OptimizerOptions { Threads = 1, SpecializedKernels = specialized });
            for (int step = 0; step < 3; step++)
            {
                EngineTestData.FillGradients(gradients, step);
                optimizer.Step(gradients);
            }
            runs = optimizer.KernelRunsLastStep;
            return EngineTestData.Snapshot(optimizer);
        }
        var fused = Run(specialized: true, out int fusedRuns);
        var generic = Run(specialized: false, out _);
        Assert.Equal(expectedRuns, fusedRuns);
        EngineTestData.AssertSameBits(generic, fused, $"bf16 moments, lengths from {firstLength}");
    }

    [Fact]
    public void PackedStateTensor_GrowingPastItsRows_MovesToItsOwnArray_KeepingItsValues()
    {
        var set = new ParameterSet();
        var a = set.Add("a", 4, 3);
        var b = set.Add("b", 5);
        var gradients = new GradientSet(set);
        foreach (var p in set) gradients.Get(p, clear: true).Fill(0.5f);
        var optimizer = new Optimizer(Optimizers.Adam(), set, new OptimizerOptions { Threads = 1 });
        optimizer.Step(gradients);
        var mu = ((ScaleByAdamState)optimizer.States.Single(s => s.Parameter == a && s.State is ScaleByAdamState).State).Mu;
        var muB = ((ScaleByAdamState)optimizer.States.Single(s => s.Parameter == b && s.State is ScaleByAdamState).State).Mu;
        float[] before = mu.Span.ToArray();
        float[] beforeB = muB.Span.ToArray();
        Assert.Same(mu.Data, muB.Data);

        optimizer.ApplyRowPlan(new RowPlan(4).Append(20), a);

        Assert.NotSame(mu.Data, muB.Data);
        Assert.Equal(before, mu.Span[..12].ToArray());
        Assert.All(mu.Span[12..].ToArray(), x => Assert.Equal(0f, x));
        Assert.Equal(beforeB, muB.Span.ToArray()); // the neighbour in the slab is untouched
    }

    [Fact]
    public void Specialized_MatchesGeneric_ThroughEverythingThatCanChangeBetweenSteps()
    {
        // The one-pass kernels keep the arrays, lengths and states they read at earlier steps; the generic path reads
        // everything afresh. Both must see each change: another gradient set, a parameter without a gradient, a
        // dropped state, rows appended past the reserved capacity, rows removed, and a checkpoint loaded.
        var generic = Run(specialized: false);
        var fused = Run(specialized: true);
        Assert.Equal(generic.Count, fused.Count);
        for (int i = 0; i < generic.Count; i++) EngineTestData.AssertSameBits(generic[i], fused[i], $"after event {i}");
    }

    [Fact]
    public void ReusedCollection_MatchesAFreshOneEveryStep()
    {
        // A step reuses the previous step's active list and work items when nothing they depend on changed. Handing
        // the optimizer a new (equal) gradient set each step forces a fresh collection every time: same bits.
        var reused = Run(specialized: true);
        var fresh = Run(specialized: true, freshGradientSets: true);
        Assert.Equal(reused.Count, fresh.Count);
        for (int i = 0; i < reused.Count; i++) EngineTestData.AssertSameBits(fresh[i], reused[i], $"after event {i}");
    }

    private static List<List<(string What, long Bits)>> Run(bool specialized, bool freshGradientSets = false)
    {
        var set = EngineTestData.MakeSet(smallTensors: 12);
        var rows = set.Add("rows", 6, 5);
        var optimizer = new Optimizer(SpecRegistry.Default.Create("adamw(lr=0.01, weight_decay=0.1)"), set,
            new OptimizerOptions { Threads = 2, SpecializedKernels = specialized });
        var first = new GradientSet(set);
        var second = new GradientSet(set);
        var snapshots = new List<List<(string What, long Bits)>>();
        int step = 0;
        void Step(GradientSet gradients, Parameter? without = null)
        {
            EngineTestData.FillGradients(gradients, step++);
            if (without is not null) gradients.Clear(without);
            optimizer.Step(freshGradientSets ? Copy(gradients) : gradients);
            snapshots.Add(EngineTestData.Snapshot(optimizer));
        }

        Step(first);
        Step(first);
        Step(second);                    // another gradient set: other buffers
        Step(first);
        Step(second, without: set[3]);   // a parameter without a gradient is skipped
        Step(second);                    // ... and comes back
        Step(first);
        optimizer.ResetState(set[2]);
        Step(first);                     // a dropped state starts afresh (same gradient set as the step before)
        optimizer.ApplyRowPlan(new RowPlan(6).Append(40), first, rows);
        Step(first);                     // rows past the reserved capacity: new arrays
        optimizer.ApplyRowPlan(new RowPlan(46).Keep([0, 5, 7, 45]), first, rows);
        Step(first);                     // fewer rows in the same arrays
        string path = Path.Combine(Path.GetTempPath(), $"momentum-layout-{Guid.NewGuid():N}.safetensors");
        try
        {
            Checkpoint.Save(path, optimizer);
            Step(first);
            Checkpoint.Load(path, optimizer); // states replaced by the file's
            step--;
            Step(first);
        }
        finally
        {
            File.Delete(path);
        }
        return snapshots;
    }

    private static GradientSet Copy(GradientSet gradients)
    {
        var copy = new GradientSet(gradients.Parameters);
        foreach (var p in gradients.Parameters)
            if (gradients.HasGradient(p)) copy.Set(p, gradients.Read(p));
        return copy;
    }
}
