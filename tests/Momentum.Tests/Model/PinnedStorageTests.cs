using System.Runtime.CompilerServices;
using Momentum.Specs;
using Momentum.Tests.Conformance;

namespace Momentum.Tests.Model;

/// <summary>
/// Pinned and external parameter storage (<see cref="ParameterSet.AddPinned"/>, <see cref="ParameterSet.AddExternal"/>):
/// the memory another library addresses keeps its address across steps, a step gives the same bits as ordinary
/// (slab-packed) storage, row operations report new memory through the handler, and steps neither copy nor allocate.
/// </summary>
public class PinnedStorageTests
{
    private const int Steps = 4;

    public static TheoryData<string> Names => [.. ConformanceSpecs.Names];

    /// <summary>Every registered name by its example: pinned storage, with gradients written into the pinned gradient
    /// arrays, steps bit for bit as ordinary (slab-packed) storage on the small mixed set (late, zero and missing gradients included).</summary>
    [Theory]
    [MemberData(nameof(Names))]
    public void RegistryExample_PinnedStorage_GivesTheBitsOfOrdinaryStorage(string name)
    {
        string spec = SpecRegistry.Default.Example(name);
        var specs = ConformanceSets.Small(0);
        var ordinary = ConformanceSets.Build(specs);
        var pinned = new ParameterSet();
        foreach (var p in specs) pinned.AddPinned(p.Name, p.Shape, p.Values);
        var options = new OptimizerOptions { Threads = 2 };
        var plainOptimizer = new Optimizer(SpecRegistry.Default.Create(spec), ordinary, options);
        var pinnedOptimizer = new Optimizer(SpecRegistry.Default.Create(spec), pinned, options);
        var plainGradients = new GradientSet(ordinary);
        var pinnedGradients = new GradientSet(pinned);
        var plan = new GradientPlan(specs, seed: 0);
        for (int step = 0; step < Steps; step++)
        {
            var g = plan.At(step);
            for (int i = 0; i < specs.Length; i++)
            {
                if (g[i] is { } values)
                {
                    plainGradients.Set(ordinary[i], values);
                    values.CopyTo(pinnedGradients.PinnedGradient(pinned[i]), 0); // as another library writes it
                    pinnedGradients.GetForOverwrite(pinned[i]);                   // then marks it present, keeping it
                }
                else
                {
                    plainGradients.Clear(ordinary[i]);
                    pinnedGradients.Clear(pinned[i]);
                }
            }
            double loss = 2.0 - 0.1 * step;
            var expected = Outcome.Of(() => plainOptimizer.Step(plainGradients, loss));
            var actual = Outcome.Of(() => pinnedOptimizer.Step(pinnedGradients, loss));
            Assert.Equal(expected.ToString(), actual.ToString());
            for (int i = 0; i < specs.Length; i++)
                Assert.True(ordinary[i].Values.SequenceEqual(pinned[i].Values), $"{spec}, step {step}: {pinned[i]} differs from ordinary storage");
        }
    }

    [Fact]
    public void PinnedParameters_KeepTheirArraysAndAddresses_AcrossStepsAndCollections()
    {
        var parameters = new ParameterSet();
        var small = Enumerable.Range(0, 50).Select(i => parameters.AddPinned($"small{i}", [10], Enumerable.Repeat(0.5f, 10).ToArray())).ToArray();
        var large = parameters.AddPinned("large", [300, 100], ReadOnlySpan<float>.Empty);
        var optimizer = new Optimizer(Optimizers.Adam(new AdamOptions { LearningRate = 0.01 }), parameters);
        var gradients = new GradientSet(parameters);
        var all = small.Append(large).ToArray();
        var values = all.Select(p => p.PinnedArray).ToArray();
        var grads = all.Select(p => gradients.PinnedGradient(p)).ToArray();
        var addresses = values.Concat(grads).Select(AddressOf).ToArray();

        for (int step = 0; step < 5; step++)
        {
            foreach (var (p, g) in all.Zip(grads))
            {
                g.AsSpan(0, p.Length).Fill(0.1f * (step + 1));
                gradients.Get(p);
            }
            optimizer.Step(gradients);
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        }

        for (int i = 0; i < all.Length; i++)
        {
            Assert.Same(values[i], all[i].PinnedArray);
            Assert.Same(grads[i], gradients.PinnedGradient(all[i]));
            Assert.Equal(all[i].Length, values[i].Length); // an array of its own, not a view of a shared slab
            Assert.NotEqual(0.5f, all[i].Values[0]);       // the step wrote through the array
        }
        Assert.Equal(addresses, values.Concat(grads).Select(AddressOf).ToArray());
    }

    [Fact]
    public void AddExternal_UsesTheArrayInPlace()
    {
        var storage = GC.AllocateArray<float>(12, pinned: true);
        storage.AsSpan(0, 6).Fill(1f);
        var parameters = new ParameterSet();
        var p = parameters.AddExternal("w", [2, 3], storage);
        Assert.Same(storage, p.PinnedArray);
        Assert.Equal(4, p.Storage.Capacity); // the spare elements are row capacity

        var optimizer = new Optimizer(Optimizers.Sgd(new SgdOptions { LearningRate = 0.5 }), parameters);
        var gradients = new GradientSet(parameters);
        gradients.Get(p).Fill(1f);
        optimizer.Step(gradients);
        Assert.Equal([0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0f, 0f, 0f, 0f, 0f, 0f], storage);
    }

    [Fact]
    public void AddExternal_ArrayShorterThanTheShape_Throws()
    {
        var parameters = new ParameterSet();
        var e = Assert.Throws<ArgumentException>("storage", () => parameters.AddExternal("w", [2, 3], new float[5]));
        Assert.Contains("6 elements", e.Message);
        Assert.Empty(parameters);
    }

    [Fact]
    public void NotPinned_PinnedArrayAndPinnedGradient_Throw()
    {
        var parameters = new ParameterSet();
        var p = parameters.Add("w", 3);
        Assert.False(p.IsPinned);
        Assert.Throws<InvalidOperationException>(() => p.PinnedArray);
        Assert.Throws<InvalidOperationException>(() => new GradientSet(parameters).PinnedGradient(p));
    }

    /// <summary>Growing past the capacity moves values and gradients to new pinned arrays and tells the handler, with the
    /// rows already in place; shrinking keeps the arrays and tells it the new row count.</summary>
    [Fact]
    public void RowOperations_CallTheHandler_WithTheNewMemory()
    {
        var calls = new List<(string Which, int Rows, float[] Array)>();
        var parameters = new ParameterSet();
        var p = parameters.AddPinned("means", [4, 3], Enumerable.Range(0, 12).Select(i => (float)i).ToArray(),
            (parameter, g) => calls.Add((g is null ? "values" : "gradient", parameter.Rows, g is null ? parameter.PinnedArray : g.PinnedGradient(parameter))));
        var optimizer = new Optimizer(Optimizers.Adam(), parameters);
        var gradients = new GradientSet(parameters);
        var oldValues = p.PinnedArray;
        var oldGradient = gradients.PinnedGradient(p);
        gradients.Get(p).Fill(1f);
        optimizer.Step(gradients);
        Assert.Empty(calls);

        optimizer.ApplyRowPlan(new RowPlan(4).Append([0, 1, 2, 3, 0, 1, 2, 3]), gradients, p); // 12 rows: past the capacity
        Assert.Equal(2, calls.Count);
        Assert.Equal(("values", 12), (calls[0].Which, calls[0].Rows));
        Assert.Equal(("gradient", 12), (calls[1].Which, calls[1].Rows));
        Assert.NotSame(oldValues, calls[0].Array);
        Assert.NotSame(oldGradient, calls[1].Array);
        Assert.Same(p.PinnedArray, calls[0].Array);
        Assert.Same(gradients.PinnedGradient(p), calls[1].Array);
        Assert.True(p.PinnedArray.AsSpan(0, 12).SequenceEqual(p.PinnedArray.AsSpan(12, 12))); // the clones' values
        var grown = p.PinnedArray;

        calls.Clear();
        optimizer.Rows(p).Gather([0, 5]); // shrink: same array, new row count
        Assert.Equal(("values", 2), (calls.Single().Which, calls.Single().Rows));
        Assert.Same(grown, p.PinnedArray);
        Assert.Equal(2, p.Rows);
    }

    /// <summary>A gradient set that was not passed to a row operation resizes its pinned buffer when next used, and
    /// tells the handler then.</summary>
    [Fact]
    public void GradientSetNotPassed_TellsTheHandler_WhenItCatchesUp()
    {
        var calls = new List<GradientSet?>();
        var parameters = new ParameterSet();
        var p = parameters.AddPinned("w", [2, 2], ReadOnlySpan<float>.Empty, (_, g) => calls.Add(g));
        var optimizer = new Optimizer(Optimizers.Sgd(), parameters);
        var gradients = new GradientSet(parameters);
        gradients.PinnedGradient(p);
        optimizer.Rows(p).Append(3);
        Assert.Equal([null], calls);
        Assert.Equal(5 * 2, gradients.Get(p).Length);
        Assert.Equal([null, gradients], calls);
    }

    [Fact]
    public void SteadyStep_OnPinnedStorage_AllocatesNothing()
    {
        var parameters = new ParameterSet();
        var ps = Enumerable.Range(0, 20).Select(i => parameters.AddPinned($"p{i}", [i + 1, 7], ReadOnlySpan<float>.Empty)).ToArray();
        var optimizer = new Optimizer(Optimizers.AdamW(), parameters, new OptimizerOptions { Threads = 1 });
        var gradients = new GradientSet(parameters);
        void Step()
        {
            foreach (var p in ps)
            {
                gradients.PinnedGradient(p).AsSpan(0, p.Length).Fill(0.25f);
                gradients.Get(p);
            }
            optimizer.Step(gradients);
        }
        for (int i = 0; i < 3; i++) Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static unsafe nint AddressOf(float[] array) => (nint)Unsafe.AsPointer(ref array[0]);
}
