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
        foreach (var p in set) gradients.Get(p, clear: true).Fill(0.1f);
        var optimizer = new Optimizer(Optimizers.Adam(), set, new OptimizerOptions { Threads = 2 });
        optimizer.Step(gradients);

        ScaleByAdamState Adam(Parameter p) => (ScaleByAdamState)optimizer.States.Single(s => s.Parameter == p && s.State is ScaleByAdamState).State;
        var (sa, sb, sc, sbig) = (Adam(a), Adam(b), Adam(c), Adam(big));

        // The first moments of the small parameters share one slab, in parameter order, each on a 16-element boundary;
        // the second moments share another.
        Assert.Same(sa.Mu.Data, sb.Mu.Data);
        Assert.Same(sa.Mu.Data, sc.Mu.Data);
        Assert.Same(sa.Nu.Data, sc.Nu.Data);
        Assert.NotSame(sa.Mu.Data, sa.Nu.Data);
        Assert.True(sa.Mu.Offset < sb.Mu.Offset && sb.Mu.Offset < sc.Mu.Offset);
        Assert.Equal(sa.Mu.Offset + 112, sb.Mu.Offset);
        Assert.All(new[] { sa, sb, sc }, s => Assert.Equal(0, s.Mu.Offset % 16));

        // A large tensor streams well on its own: it keeps an array of its own.
        Assert.Equal(0, sbig.Mu.Offset);
        Assert.NotSame(sa.Mu.Data, sbig.Mu.Data);
        Assert.Equal(big.Length, sbig.Mu.Data.Length);
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

    private static List<List<(string What, long Bits)>> Run(bool specialized)
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
            optimizer.Step(gradients);
            snapshots.Add(EngineTestData.Snapshot(optimizer));
        }

        Step(first);
        Step(first);
        Step(second);                    // another gradient set: other buffers
        Step(first);
        Step(second, without: set[3]);   // a parameter without a gradient is skipped
        Step(second);                    // ... and comes back
        optimizer.ResetState(set[2]);
        Step(first);                     // a dropped state starts afresh
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
}
