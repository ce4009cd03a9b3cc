using Momentum.Specs;

namespace Momentum.Tests.Engine;

/// <summary>
/// The step's preparation paths: the finite check fused with a head reduction's pre-pass, specialized parameters begun
/// inside the fused pass or in the parallel preparation pass, and schedules evaluated once per step.
/// </summary>
public class StepPreparationTests
{
    [Theory]
    [InlineData("chain(clip_by_global_norm(max_norm=0.05), adamw(lr=0.01))")]
    [InlineData("chain(clip_by_global_norm(max_norm=0.05), sgd(lr=0.1, momentum=0.9))")]
    [InlineData("chain(clip_by_norm(max_norm=0.05), adam(lr=0.01))")]
    public void CheckedStep_WithNormPrePass_SameBitsAsUnchecked(string spec)
    {
        // Throw fuses the finite check into the reduction's read of g; Propagate runs the reduction pass alone.
        foreach (int threads in new[] { 1, 2, 8 })
        {
            var checkedRun = Run(spec, NonFiniteGradients.Throw, threads);
            var uncheckedRun = Run(spec, NonFiniteGradients.Propagate, threads);
            EngineTestData.AssertSameBits(uncheckedRun, checkedRun, $"{spec}, {threads} threads");
        }
    }

    [Theory]
    [InlineData("chain(clip_by_global_norm(max_norm=0.05), adamw(lr=0.01))", NonFiniteGradients.Propagate)]
    [InlineData("chain(clip_by_global_norm(max_norm=0.05), adamw(lr=0.01))", NonFiniteGradients.Throw)]
    [InlineData("chain(clip_by_global_norm(max_norm=0.05), sgd(lr=0.1, momentum=0.9))", NonFiniteGradients.Propagate)]
    public void LargeModel_GroupedWorkItems_SameBitsForAnyThreadCount(string spec, NonFiniteGradients nonFinite)
    {
        // A model large enough that a work item groups a different number of chunks (and of packed small tensors) for
        // each thread count; the norm's partial sums stay per chunk, so every run must give the same bits.
        var set = MakeLargeSet();
        long total = set.Sum(p => (long)p.Length);
        int[] threadCounts = [1, 2, 3, 8];
        Assert.Equal(threadCounts.Length, threadCounts.Select(t => Optimizer.ChunksPerItem(total, t)).Distinct().Count());
        var reference = RunLarge(spec, nonFinite, threads: 1);
        foreach (int threads in threadCounts[1..])
        {
            var run = RunLarge(spec, nonFinite, threads);
            Assert.Equal(reference.Count, run.Count);
            for (int i = 0; i < reference.Count; i++)
                Assert.True(reference[i].AsSpan().SequenceEqual(run[i]), $"{spec}, {threads} threads: tensor {i} differs");
        }
    }

    [Theory]
    [InlineData(NonFiniteGradients.Propagate)]
    [InlineData(NonFiniteGradients.Throw)]
    public void LargeModel_GroupedWorkItems_GlobalSumIsTheSameForAnyThreadCount(NonFiniteGradients nonFinite)
    {
        // The total itself, not just the parameters: a clip factor rounded to float would hide a sum that differs in its
        // last bits.
        List<long> Totals(int threads)
        {
            var recorder = new RecordingGlobalSum();
            StepLarge(Transforms.Chain(recorder, Optimizers.AdamW()), nonFinite, threads, steps: 2);
            return recorder.Totals;
        }
        var reference = Totals(1);
        Assert.Equal(2 * MakeLargeSet().Count, reference.Count);
        foreach (int threads in new[] { 2, 3, 8 }) Assert.Equal(reference, Totals(threads));
    }

    /// <summary>A global sum of squares that changes nothing and records every total it is given (as bits).</summary>
    private sealed class RecordingGlobalSum : ReducingTransformation
    {
        public List<long> Totals { get; } = [];

        public override string Name => "recording_global_sum";

        public override ReductionScope Scope => ReductionScope.AllParameters;

        public override void Finish(TransformState? state, double total, in StepInfo step) => Totals.Add(BitConverter.DoubleToInt64Bits(total));

        public override void Apply(TransformState? state, in Block block)
        {
        }
    }

    private static ParameterSet MakeLargeSet()
    {
        var set = new ParameterSet();
        set.Add("big", 160 * Optimizer.ChunkLength + 3);
        for (int i = 0; i < 800; i++) set.Add($"small{i}", 997 + i % 5);
        foreach (var p in set)
        {
            var v = p.Values;
            for (int i = 0; i < v.Length; i++) v[i] = EngineTestData.Hash(p.Index, i, 0) * 2f;
        }
        return set;
    }

    /// <summary>Takes <paramref name="steps"/> steps on a fresh <see cref="MakeLargeSet"/>; returns the optimizer.</summary>
    private static Optimizer StepLarge(GradientTransformation transformation, NonFiniteGradients nonFinite, int threads, int steps)
    {
        var set = MakeLargeSet();
        var gradients = new GradientSet(set);
        var optimizer = new Optimizer(transformation, set, new OptimizerOptions { Threads = threads, NonFiniteGradients = nonFinite });
        for (int step = 0; step < steps; step++)
        {
            EngineTestData.FillGradients(gradients, step);
            optimizer.Step(gradients);
        }
        return optimizer;
    }

    /// <summary>Three steps; returns the bits of every parameter and state tensor, in a fixed order.</summary>
    private static List<int[]> RunLarge(string spec, NonFiniteGradients nonFinite, int threads)
    {
        var optimizer = StepLarge(SpecRegistry.Default.Create(spec), nonFinite, threads, steps: 3);
        var bits = new List<int[]>();
        foreach (var p in optimizer.Parameters) bits.Add(System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(p.Values).ToArray());
        foreach (var (_, _, state) in optimizer.States)
        {
            foreach (var tensor in state.Tensors) bits.Add(System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(tensor.Buffer.Span).ToArray());
        }
        return bits;
    }

    [Fact]
    public void NonFiniteGradient_WithNormPrePass_ThrowsChangingNothing_ThenStepsNormally()
    {
        const string spec = "chain(clip_by_global_norm(max_norm=0.05), adamw(lr=0.01))";
        var set = EngineTestData.MakeSet();
        var gradients = new GradientSet(set);
        var optimizer = new Optimizer(SpecRegistry.Default.Create(spec), set, new OptimizerOptions { Threads = 2 });
        EngineTestData.FillGradients(gradients, 0);
        optimizer.Step(gradients);
        var before = EngineTestData.Snapshot(optimizer);

        EngineTestData.FillGradients(gradients, 1);
        gradients.Get(set[0])[Optimizer.ChunkLength + 3] = float.NaN;
        var error = Assert.Throws<NonFiniteGradientException>(() => optimizer.Step(gradients));
        Assert.Equal("big", error.ParameterName);
        Assert.Equal(Optimizer.ChunkLength + 3, error.Index);
        EngineTestData.AssertSameBits(before, EngineTestData.Snapshot(optimizer), "after the rejected step");
        Assert.Equal(1, optimizer.StepCount);

        // The next finite step must use a fresh norm (not the rejected step's partial sums).
        EngineTestData.FillGradients(gradients, 1);
        optimizer.Step(gradients);
        var reference = Run(spec, NonFiniteGradients.Propagate, threads: 2, steps: 2);
        EngineTestData.AssertSameBits(reference, EngineTestData.Snapshot(optimizer), "after the next step");
    }

    [Fact]
    public void NonFiniteGradient_Skip_WithNormPrePass_CreatesNoState()
    {
        var set = EngineTestData.MakeSet();
        var gradients = new GradientSet(set);
        var optimizer = new Optimizer(SpecRegistry.Default.Create("chain(clip_by_global_norm(max_norm=1), adam())"), set,
            new OptimizerOptions { Threads = 2, NonFiniteGradients = NonFiniteGradients.Skip });
        EngineTestData.FillGradients(gradients, 0);
        gradients.Get(set[5])[3] = float.NegativeInfinity;
        Assert.False(optimizer.Step(gradients));
        Assert.Equal(1, optimizer.SkippedSteps);
        Assert.Equal(0, optimizer.StepCount);
        Assert.All(set, p => Assert.False(optimizer.HasState(p)));
    }

    [Fact]
    public void SpecializedAndGenericParameters_InOneOptimizer_MatchAllGeneric()
    {
        // A partition gives the small tensors a specialized chain (begun inside the fused pass) and the others a generic
        // one (begun serially); a scheduled learning rate is evaluated once per step for all of them.
        var specialized = new Optimizer(Transform(), EngineTestData.MakeSet(), new OptimizerOptions { Threads = 2 });
        var generic = new Optimizer(Transform(), EngineTestData.MakeSet(), new OptimizerOptions { Threads = 2, SpecializedKernels = false });
        Assert.True(specialized.SpecializedPlanCount > 0);
        Assert.True(specialized.SpecializedPlanCount < specialized.Parameters.Count);
        for (int step = 0; step < 4; step++)
        {
            foreach (var o in new[] { specialized, generic })
            {
                var g = new GradientSet(o.Parameters);
                EngineTestData.FillGradients(g, step);
                if (step == 2) g.Clear(o.Parameters[3]); // a parameter that skips a step
                o.Step(g);
            }
        }
        EngineTestData.AssertSameBits(EngineTestData.Snapshot(generic), EngineTestData.Snapshot(specialized), "mixed chains");

        static GradientTransformation Transform()
        {
            var schedule = Schedules.WarmupCosineDecay(0, 1e-2, 2, 10);
            return Transforms.Partition(p => p.Name.StartsWith("small", StringComparison.Ordinal) ? "fast" : "slow",
                new Dictionary<string, GradientTransformation>
                {
                    ["fast"] = Optimizers.AdamW(new AdamWOptions { LearningRate = schedule, WeightDecay = 0.1 }),
                    ["slow"] = Optimizers.Adam(new AdamOptions { LearningRate = schedule, Amsgrad = true }),
                });
        }
    }

    private static List<(string What, long Bits)> Run(string spec, NonFiniteGradients nonFinite, int threads, int steps = 3)
    {
        var set = EngineTestData.MakeSet();
        var gradients = new GradientSet(set);
        var optimizer = new Optimizer(SpecRegistry.Default.Create(spec), set, new OptimizerOptions { Threads = threads, NonFiniteGradients = nonFinite });
        for (int step = 0; step < steps; step++)
        {
            EngineTestData.FillGradients(gradients, step);
            optimizer.Step(gradients);
        }
        return EngineTestData.Snapshot(optimizer);
    }
}
