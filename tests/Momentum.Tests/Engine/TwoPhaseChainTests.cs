using Momentum.Specs;

namespace Momentum.Tests.Engine;

/// <summary>
/// Chains headed by a two-phase tensor stage (Adafactor's factored second moment on a stack of matrices) run without an
/// update buffer (Optimizer.TwoPhase.cs) and give the bits of the generic materialized rounds.
/// </summary>
public class TwoPhaseChainTests
{
    public static TheoryData<string> Chains =>
    [
        "adafactor()",
        "adafactor(clipping_threshold=0.5)",
        "adafactor(learning_rate=0.01, min_dim_size_to_factor=16, decay_rate=0.7, momentum=0.9, weight_decay_rate=0.01)",
        "adafactor(learning_rate=0.05, multiply_by_parameter_scale=false)",
        "chain(scale_by_factored_rms(), clip_by_global_norm(max_norm=0.5), scale(step_size=-0.1))",
        "chain(scale_by_factored_rms(min_dim_size_to_factor=8), scale_by_learning_rate(lr=0.1))",
    ];

    /// <summary>Odd shapes: both orientations, rows that cross chunk and block edges, a stack, unit axes, and layouts without two phases.</summary>
    private static readonly int[][] Shapes =
    [
        [130, 200], [260, 129], [129, 4099], [1000, 300], [3, 140, 131], [2, 300, 1, 150], [1, 128, 128],
        [100_003], [130, 140, 3], [17], [], [0, 130, 200],
    ];

    [Theory]
    [MemberData(nameof(Chains))]
    public void TwoPhase_MatchesGenericRounds_BitForBit(string spec)
    {
        var expected = Run(spec, specialized: false, threads: 2, out int genericRuns);
        Assert.Equal(0, genericRuns);
        foreach (int threads in new[] { 1, 2, 3, 8 })
        {
            var actual = Run(spec, specialized: true, threads, out int twoPhaseRuns);
            Assert.True(twoPhaseRuns >= 6, $"{spec}: only {twoPhaseRuns} parameters ran the two-phase path");
            AssertSameBits(expected, actual, $"{spec}, {threads} threads");
        }
    }

    [Fact]
    public void TwoPhase_SteadyStateStep_AllocatesNothing()
    {
        var set = new ParameterSet();
        var w = set.Add("w", [260, 129]);
        var optimizer = new Optimizer(SpecRegistry.Default.Create("adafactor(learning_rate=0.01, momentum=0.9, weight_decay_rate=0.01)"), set,
            new OptimizerOptions { Threads = 1 });
        var grads = new GradientSet(set);
        grads.Get(w).Fill(0.5f);
        for (int k = 0; k < 3; k++) optimizer.Step(grads);
        Assert.Equal(1, optimizer.TwoPhaseRunsLastStep);
        long fewest = long.MaxValue;
        for (int window = 0; window < 3 && fewest != 0; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int k = 0; k < 10; k++) optimizer.Step(grads);
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.Equal(0, fewest);
    }

    private static void AssertSameBits(List<(string What, int[] Bits)> expected, List<(string What, int[] Bits)> actual, string context)
    {
        Assert.Equal(expected.Select(e => e.What), actual.Select(a => a.What));
        for (int k = 0; k < expected.Count; k++)
        {
            int i = expected[k].Bits.AsSpan().CommonPrefixLength(actual[k].Bits);
            if (i < expected[k].Bits.Length || actual[k].Bits.Length != expected[k].Bits.Length)
                Assert.Fail($"{context}: {actual[k].What}[{i}] differs from the generic path's ({expected[k].Bits.Length} elements)");
        }
    }

    /// <summary>Three steps of <paramref name="spec"/> over <see cref="Shapes"/>; every parameter's values and state bits after each.</summary>
    private static List<(string What, int[] Bits)> Run(string spec, bool specialized, int threads, out int twoPhaseRuns)
    {
        var set = new ParameterSet();
        for (int k = 0; k < Shapes.Length; k++)
        {
            var p = set.Add($"p{k}", Shapes[k]);
            var values = p.Values;
            for (int i = 0; i < values.Length; i++) values[i] = EngineTestData.Hash(k, i, 11);
        }
        var optimizer = new Optimizer(SpecRegistry.Default.Create(spec), set,
            new OptimizerOptions { Threads = threads, SpecializedKernels = specialized, NonFiniteGradients = NonFiniteGradients.Propagate });
        var grads = new GradientSet(set);
        var bits = new List<(string What, int[] Bits)>();
        twoPhaseRuns = 0;
        for (int t = 0; t < 3; t++)
        {
            foreach (var p in set)
            {
                var g = grads.Get(p);
                // Rows of very different scales, so that the factors differ and the clip engages on some parameters.
                int row = Math.Max(1, p.RowLength);
                for (int i = 0; i < g.Length; i++) g[i] = EngineTestData.Hash(t, i, p.Index) * (1 + i / row % 7) * (p.Index % 2 == 0 ? 4 : 0.25f);
            }
            optimizer.Step(grads);
            twoPhaseRuns = Math.Max(twoPhaseRuns, optimizer.TwoPhaseRunsLastStep);
            foreach (var p in set) bits.Add(($"t={t} {p.Name}", Bits(p.Values)));
            foreach (var (parameter, path, state) in optimizer.States)
                foreach (var tensor in state.Tensors) bits.Add(($"t={t} {parameter.Name}/{path}/{tensor.Slot}", Bits(tensor.Buffer.Span)));
        }
        return bits;
    }

    private static int[] Bits(ReadOnlySpan<float> values) => [.. System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(values)];
}
