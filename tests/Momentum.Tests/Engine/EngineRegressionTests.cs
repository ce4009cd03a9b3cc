using Momentum.Specs;

namespace Momentum.Tests.Engine;

/// <summary>
/// The engine bugs found by trying main as a new user would (issue 12): each test reproduces one, on the ordinary input
/// that showed it.
/// </summary>
public class EngineRegressionTests
{
    /// <summary>Sizes around every slab and chunk boundary (4 Ki first slab, 16 Ki chunk and packing limit, 32 Ki, 256 Ki last slab).</summary>
    public static TheoryData<int> BoundarySizes
    {
        get
        {
            var sizes = new SortedSet<int> { 1, 2, 7, 4095, 4096, 4097, 5000, 6400, 8191, 8192, 8193, 16383, 16384, 16385, 32767, 32768, 32769, 65536, 70000 };
            for (int n = 1; n <= 70_000; n += 4999) sizes.Add(n); // a sweep with a prime stride as well
            return [.. sizes];
        }
    }

    public static TheoryData<string> SlabSpecs => ["adam(lr=0.01)", "chain(scale_by_adam_bf16(), add_decayed_weights(weight_decay=0.01), scale_by_learning_rate(lr=0.01))", "sgd(lr=0.1, momentum=0.9)", "rmsprop(lr=0.01)"];

    /// <summary>Bug 1: a new slab was sized by doubling alone, smaller than a tensor of 4,097–16,383 elements.</summary>
    [Theory]
    [MemberData(nameof(BoundarySizes))]
    public void Step_FirstParameterOfAnySize_Trains(int length)
    {
        foreach (string spec in SlabSpecs)
        {
            AssertStepsAndMoves(spec, [length]);
            AssertStepsAndMoves(spec, [7, length]);
            AssertStepsAndMoves(spec, [length, 3, length]);
        }
    }

    [Fact]
    public void Step_MatrixOf64By100_Trains()
    {
        var set = new ParameterSet();
        var w = set.Add("w", [64, 100], Values(6400, 1));
        var optimizer = new Optimizer(SpecRegistry.Default.Create("adam(lr=0.01)"), set);
        var gradients = new GradientSet(set);
        gradients.Set(w, Values(6400, 2));
        float before = w.Values[0];
        optimizer.Step(gradients);
        Assert.NotEqual(before, w.Values[0]);
    }

    /// <summary>
    /// Bug 2: when one parameter needs the materialized path (a tensor stage), the parameters with one-pass kernels
    /// skipped BeginStep and then ran the generic chain with a learning rate nobody wrote (0): they never moved.
    /// </summary>
    [Theory]
    [InlineData("muon(learning_rate=0.02)")]
    [InlineData("partition(transforms=[('fact', adafactor()), ('rest', adamw(lr=0.01))], param_labels=[('w*', 'fact'), ('*', 'rest')])")]
    [InlineData("partition(transforms=[('fact', adafactor()), ('rest', sgd(lr=0.1, momentum=0.9))], param_labels=[('w*', 'fact'), ('*', 'rest')])")]
    [InlineData("chain(clip_by_global_norm(max_norm=100), muon(learning_rate=0.02))")]
    public void Step_MixOfMaterializedAndOnePassParameters_MovesEveryParameter(string spec)
    {
        var set = new ParameterSet();
        set.Add("w1", [16, 8], Values(128, 1));
        set.Add("b1", [8], Values(8, 2));
        set.Add("emb", [10, 4], Values(40, 3));
        set.Add("conv", [2, 3, 4], Values(24, 4));
        set.Add("scale", [], [0.5f]);
        foreach (bool specialized in new[] { true, false })
        {
            var copy = Clone(set);
            var optimizer = new Optimizer(SpecRegistry.Default.Create(spec), copy, new OptimizerOptions { SpecializedKernels = specialized });
            var gradients = new GradientSet(copy);
            var before = copy.Select(p => p.Values.ToArray()).ToList();
            for (int step = 0; step < 3; step++)
            {
                foreach (var p in copy) gradients.Set(p, Values(p.Length, 10 + step + p.Index));
                optimizer.Step(gradients);
            }
            foreach (var p in copy)
            {
                int moved = 0;
                for (int i = 0; i < p.Length; i++) if (p.Values[i] != before[p.Index][i]) moved++;
                Assert.True(moved == p.Length, $"{spec} (specialized kernels {specialized}): '{p.Name}' moved in {moved} of {p.Length} elements");
            }
        }
    }

    /// <summary>Bug 3: a selective step grew five of the seven segment arrays; the next full step overran the others.</summary>
    [Fact]
    public void Step_SelectiveThenFull_DoesNotCrash()
    {
        var set = new ParameterSet();
        var a = set.Add("a", [200, 3], Values(600, 1));
        for (int i = 0; i < 24; i++) set.Add($"small{i}", [5], Values(5, 2 + i));
        var optimizer = new Optimizer(SpecRegistry.Default.Create("adam(lr=0.01)"), set);
        var gradients = new GradientSet(set);
        var selection = new RowSelection(set);
        gradients.Set(a, Values(600, 50));
        selection.Set(a, [.. Enumerable.Range(0, 100).Select(r => 2 * r)]); // 100 runs of one row: many segments
        optimizer.Step(gradients, selection);
        foreach (var p in set) gradients.Set(p, Values(p.Length, 60 + p.Index));
        optimizer.Step(gradients);
        optimizer.Step(gradients, selection);
        optimizer.Step(gradients);
    }

    /// <summary>
    /// Bug 4: a step refused because a schedule gave NaN had already advanced the counters of the stages before it
    /// and created the state of a parameter at its first gradient; nothing may change.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Step_LearningRateScheduleNaN_RefusedAndChangesNothing(bool specialized)
    {
        var lr = Schedule.FromFunction(static t => t == 3 ? double.NaN : 0.01);
        AssertRefusedStepChangesNothing(() => Optimizers.Adam(new AdamOptions { LearningRate = lr }), specialized);
        AssertRefusedStepChangesNothing(() => Transforms.Chain(Transforms.ClipByGlobalNorm(1.0), Optimizers.AdamW(new AdamWOptions { LearningRate = lr })), specialized);
        AssertRefusedStepChangesNothing(() => Transforms.Chain(Optimizers.Adam(new AdamOptions { LearningRate = lr }), Transforms.ClipByGlobalNorm(1.0)), specialized);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Step_WeightDecayScheduleNaN_RefusedAndChangesNothing(bool specialized)
    {
        var wd = Schedule.FromFunction(static t => t == 3 ? double.NaN : 0.01);
        AssertRefusedStepChangesNothing(() => Transforms.Chain(
            Transforms.ScaleByAdam(), Transforms.AddDecayedWeights(wd), Transforms.ScaleByLearningRate(0.01)), specialized);
        AssertRefusedStepChangesNothing(() => Transforms.Chain(
            Transforms.AddDecayedWeights(wd), Transforms.Trace(0.9), Transforms.ScaleByLearningRate(0.01)), specialized);
    }

    private static void AssertRefusedStepChangesNothing(Func<GradientTransformation> make, bool specialized)
    {
        var set = new ParameterSet();
        set.Add("big", [Optimizer.ChunkLength + 5], Values(Optimizer.ChunkLength + 5, 1));
        set.Add("w", [6, 5], Values(30, 2));
        var late = set.Add("late", [9], Values(9, 3));
        var optimizer = new Optimizer(make(), set, new OptimizerOptions { SpecializedKernels = specialized });
        var gradients = new GradientSet(set);
        for (int step = 0; step < 3; step++)
        {
            foreach (var p in set) if (p != late) gradients.Set(p, Values(p.Length, 10 + step));
            Assert.True(optimizer.Step(gradients));
        }
        gradients.Set(late, Values(9, 20)); // its first gradient comes with the refused step
        var before = EngineTestData.Snapshot(optimizer);
        long count = optimizer.StepCount;
        Assert.Throws<ArithmeticException>(() => optimizer.Step(gradients));
        EngineTestData.AssertSameBits(before, EngineTestData.Snapshot(optimizer), "after the refused step");
        Assert.Equal(count, optimizer.StepCount);
        Assert.False(optimizer.HasState(late), "the refused step created the state of a parameter at its first gradient");
    }

    private static void AssertStepsAndMoves(string spec, int[] lengths)
    {
        var fast = Steps(spec, lengths, specialized: true);
        var generic = Steps(spec, lengths, specialized: false);
        Assert.True(fast.AsSpan().SequenceEqual(generic), $"{spec} on [{string.Join(", ", lengths)}]: the one-pass kernels and the generic chain differ");
    }

    /// <summary>Two steps; every element must move in at least one of them (every gradient element is non-zero).</summary>
    private static int[] Steps(string spec, int[] lengths, bool specialized)
    {
        var set = new ParameterSet();
        for (int k = 0; k < lengths.Length; k++) set.Add($"p{k}", [lengths[k]], Values(lengths[k], k + 1));
        var optimizer = new Optimizer(SpecRegistry.Default.Create(spec), set, new OptimizerOptions { SpecializedKernels = specialized });
        var gradients = new GradientSet(set);
        var moved = set.Select(p => new bool[p.Length]).ToList();
        for (int step = 0; step < 2; step++)
        {
            foreach (var p in set) gradients.Set(p, Values(p.Length, 100 + step + p.Index));
            var before = set.Select(p => p.Values.ToArray()).ToList();
            optimizer.Step(gradients);
            foreach (var p in set)
                for (int i = 0; i < p.Length; i++) moved[p.Index][i] |= p.Values[i] != before[p.Index][i];
        }
        foreach (var p in set)
        {
            int i = Array.IndexOf(moved[p.Index], false);
            if (i >= 0) Assert.Fail($"{spec} on [{string.Join(", ", lengths)}] (specialized kernels {specialized}): '{p.Name}'[{i}] never moved");
        }
        // Bits of every parameter and state tensor, in order (a cheap form of EngineTestData.Snapshot for large sets).
        var bits = new List<int>();
        foreach (var p in set) foreach (float x in p.Values) bits.Add(BitConverter.SingleToInt32Bits(x));
        foreach (var (_, _, state) in optimizer.States)
            foreach (var tensor in state.Tensors) foreach (float x in tensor.Buffer.Span) bits.Add(BitConverter.SingleToInt32Bits(x));
        return [.. bits];
    }

    private static ParameterSet Clone(ParameterSet set)
    {
        var copy = new ParameterSet();
        foreach (var p in set) copy.Add(p.Name, [.. p.Shape], p.Values.ToArray());
        return copy;
    }

    /// <summary>Deterministic values in [−0.5, 0.5) with no zeros (so every element of a gradient is non-zero).</summary>
    private static float[] Values(int length, int seed)
    {
        var v = new float[length];
        for (int i = 0; i < length; i++)
        {
            float x = EngineTestData.Hash(seed, i, 7);
            v[i] = x == 0 ? 0.25f : x;
        }
        return v;
    }
}
