using Momentum.Distributed;
using Momentum.Specs;
using Momentum.Tests.Conformance;

namespace Momentum.Tests.Distributed;

/// <summary>
/// Sharded and single-process runs of the same recorded steps: every rank's own gradients per step (a missing entry is
/// no gradient on that rank), and the single-process reference stepping their average, computed as
/// <see cref="GradientAveraging.Mean"/> documents it (rank-order sum in double, one division, one rounding).
/// </summary>
internal static class ShardedRuns
{
    /// <summary>Per step, per rank, per parameter index: the gradient, or null for none.</summary>
    public sealed record Recording(ParameterSpec[] Parameters, float[]?[][][] Steps);

    /// <summary>
    /// The conformance suite's mixed set for <paramref name="seed"/>, plus tensors that must be split (72 Ki elements of
    /// rows of 8, and 50,000 elements), with <paramref name="steps"/> steps of gradients: some parameters join late,
    /// some miss steps, and with <paramref name="sameOnEveryRank"/> false each rank has its own values and some ranks no
    /// gradient where others have one.
    /// </summary>
    public static Recording Random(int seed, int ranks, int steps, bool sameOnEveryRank)
    {
        var rng = new Random(seed * 7919 + ranks);
        var specs = ConformanceSets.Mixed(seed).ToList();
        specs.Insert(rng.Next(specs.Count + 1), new ParameterSpec("split.weight", [9000, 8], Values(rng, 72000)));
        specs.Insert(rng.Next(specs.Count + 1), new ParameterSpec("split.bias", [50000], Values(rng, 50000)));
        var recorded = new float[]?[steps][][];
        for (int t = 0; t < steps; t++)
        {
            recorded[t] = new float[]?[ranks][];
            for (int r = 0; r < ranks; r++) recorded[t][r] = new float[]?[specs.Count];
            for (int p = 0; p < specs.Count; p++)
            {
                bool late = p % 5 == 1 && t == 0, missing = p % 7 == 3 && t == 1;
                if (late || missing) continue;
                float[] shared = Values(rng, specs[p].Values.Length);
                for (int r = 0; r < ranks; r++)
                {
                    if (sameOnEveryRank) { recorded[t][r][p] = shared; continue; }
                    if ((p + r + t) % 4 == 0 && r != p % ranks) continue; // no gradient on this rank only
                    recorded[t][r][p] = Values(rng, specs[p].Values.Length);
                }
            }
        }
        return new Recording([.. specs], recorded);
    }

    /// <summary>The loss passed at step t (a decreasing positive value, for the transformations that read it).</summary>
    public static double Loss(int t) => 2.0 / (t + 1);

    private static float[] Values(Random rng, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(rng.NextDouble() * 2 - 1) * (i % 3 == 0 ? 0.01f : 1f);
        return values;
    }

    /// <summary>The average of the ranks' gradients as the sharded step computes it; null when no rank has one.</summary>
    public static float[]? Average(float[]?[] perRank, int length)
    {
        if (perRank.All(g => g is null)) return null;
        var mean = new float[length];
        for (int i = 0; i < length; i++)
        {
            double sum = 0;
            foreach (var g in perRank) sum += g is null ? 0 : g[i];
            mean[i] = (float)(sum / perRank.Length);
        }
        return mean;
    }

    /// <summary>The single-process run of the averaged gradients: the final parameters and the optimizer.</summary>
    public static (float[][] Values, Optimizer Optimizer) Single(string spec, Recording recording, OptimizerOptions options)
    {
        var set = ConformanceSets.Build(recording.Parameters);
        var optimizer = new Optimizer(SpecRegistry.Default.Create(spec), set, options);
        var gradients = new GradientSet(set);
        int t = 0;
        foreach (var step in recording.Steps)
        {
            gradients.ClearAll();
            for (int p = 0; p < set.Count; p++)
                if (Average([.. step.Select(r => r[p])], set[p].Length) is { } g) gradients.Set(set[p], g);
            optimizer.Step(gradients, Loss(t++));
        }
        return ([.. set.Select(p => p.Values.ToArray())], optimizer);
    }

    /// <summary>The sharded run on <paramref name="ranks"/> in-process ranks: each rank's final parameters.</summary>
    public static float[][][] Sharded(string spec, Recording recording, int ranks, OptimizerOptions options,
        Action<ShardedOptimizer>? after = null) =>
        InProcessCommunicator.Run(ranks, communicator =>
        {
            var set = ConformanceSets.Build(recording.Parameters);
            var sharded = new ShardedOptimizer(SpecRegistry.Default.Create(spec), set, communicator, new ShardedOptimizerOptions { Optimizer = options });
            var gradients = new GradientSet(set);
            int t = 0;
            foreach (var step in recording.Steps)
            {
                gradients.ClearAll();
                for (int p = 0; p < set.Count; p++)
                    if (step[communicator.Rank][p] is { } g) gradients.Set(set[p], g);
                sharded.Step(gradients, Loss(t++));
            }
            after?.Invoke(sharded);
            return set.Select(p => p.Values.ToArray()).ToArray();
        });

    /// <summary>Asserts that every rank's parameters equal the reference bit for bit, naming the first difference.</summary>
    public static void AssertSameBits(float[][] expected, float[][][] ranks, ParameterSpec[] parameters, string what)
    {
        for (int r = 0; r < ranks.Length; r++)
            for (int p = 0; p < expected.Length; p++)
                for (int i = 0; i < expected[p].Length; i++)
                    if (BitConverter.SingleToInt32Bits(expected[p][i]) != BitConverter.SingleToInt32Bits(ranks[r][p][i]))
                        Assert.Fail($"{what}: rank {r} of {ranks.Length}, {parameters[p]} element {i}: {ranks[r][p][i]:R}, expected {expected[p][i]:R}");
    }
}
