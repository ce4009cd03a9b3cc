using Momentum.Distributed;
using Momentum.IO;
using Momentum.Specs;
using Momentum.Tests.Conformance;

namespace Momentum.Tests.Distributed;

/// <summary>
/// The MPI tier (run by .ci/run under <c>mpirun -np N dotnet Momentum.Tests.dll mpi-checks ...</c>): sharded steps over
/// real MPI against one process computed on every rank, the negative controls, and checkpoints across rank counts.
/// Exit code 0 when every rank passed; each failure is one line on stderr.
/// </summary>
internal static class MpiChecks
{
    private static readonly string[] s_specs =
    [
        "adam(lr=0.01, amsgrad=true)", "chain(clip_by_global_norm(max_norm=0.5), adamw(lr=1e-3))", "sgd(lr=0.1, momentum=0.9, nesterov=true)",
        "lamb(learning_rate=0.01, b1=0.8, weight_decay=0.01)", "adafactor(learning_rate=0.01)", "muon(learning_rate=0.02)",
        SpecRegistry.Default.Example("prodigy"), SpecRegistry.Default.Example("dog"), SpecRegistry.Default.Example("apply_if_finite"),
        SpecRegistry.Default.Example("multi_steps"), SpecRegistry.Default.Example("novograd"), SpecRegistry.Default.Example("sm3"),
    ];

    public static int Run(string[] args)
    {
        using var world = MpiCommunicator.Initialize();
        int failures = 0;
        void Check(bool ok, string what)
        {
            if (ok) { if (world.Rank == 0) Console.WriteLine($"ok   {what}"); return; }
            failures++;
            Console.Error.WriteLine($"FAIL rank {world.Rank}/{world.Size}: {what}");
        }
        switch (args)
        {
            case ["steps"]:
                Steps(world, Check);
                Controls(world, Check);
                break;
            case ["save", string directory]:
                Checkpoints(world, Check, directory, save: true);
                break;
            case ["resume", string directory]:
                Checkpoints(world, Check, directory, save: false);
                break;
            default:
                Console.Error.WriteLine("usage: mpi-checks steps | save <directory> | resume <directory>");
                return 2;
        }
        Span<long> total = [failures];
        world.AllReduce(total, ReduceOperation.Sum);
        return total[0] == 0 ? 0 : 1;
    }

    private static void Steps(MpiCommunicator world, Action<bool, string> check)
    {
        foreach (string spec in s_specs)
        {
            var recording = ShardedRuns.Random(seed: 1, world.Size, steps: 3, sameOnEveryRank: false);
            var options = new OptimizerOptions { Threads = 2 };
            var (expected, _) = ShardedRuns.Single(spec, recording, options);
            var actual = Run(world, spec, recording, options, exchange: true);
            check(SameBits(expected, actual), $"{spec} at {world.Size} ranks: bit-identical to one process");
        }
    }

    /// <summary>The negative controls: clipping without the exchange, and MPI's own sums, differ from the single-process bits.</summary>
    private static void Controls(MpiCommunicator world, Action<bool, string> check)
    {
        if (world.Size < 2) return;
        string clip = "chain(clip_by_global_norm(max_norm=0.1), sgd(lr=0.1))";
        var recording = ShardedRuns.Random(seed: 1, world.Size, steps: 2, sameOnEveryRank: true);
        var (expected, _) = ShardedRuns.Single(clip, recording, new OptimizerOptions());
        var actual = Run(world, clip, recording, new OptimizerOptions(), exchange: false);
        check(!SameBits(expected, actual), $"control: {clip} without the reduction exchange differs");

        // MPI's reductions of the same doubles against the rank-order sum: counted, and required to differ from 3 ranks on.
        const int perRank = 1 << 20;
        var rng = new Random(31 + world.Rank);
        var mine = new double[perRank * world.Size];
        for (int i = 0; i < mine.Length; i++) mine[i] = (rng.NextDouble() - 0.5) * Math.Pow(2, rng.Next(-30, 30));
        var all = new double[mine.Length * world.Size];
        world.AllGather<double>(mine, all);
        var reduced = new double[mine.Length];
        world.AllReduceSum(mine, reduced);
        var scattered = new double[perRank];
        world.ReduceScatterBlock(mine, scattered);
        int allreduceDiffers = 0, scatterDiffers = 0;
        for (int i = 0; i < mine.Length; i++)
        {
            double sum = 0;
            for (int r = 0; r < world.Size; r++) sum += all[r * mine.Length + i];
            if (BitConverter.DoubleToInt64Bits(sum) != BitConverter.DoubleToInt64Bits(reduced[i])) allreduceDiffers++;
            int own = i - world.Rank * perRank;
            if (own >= 0 && own < perRank && BitConverter.DoubleToInt64Bits(sum) != BitConverter.DoubleToInt64Bits(scattered[own])) scatterDiffers++;
        }
        Span<long> counts = [allreduceDiffers, scatterDiffers];
        world.AllReduce(counts, ReduceOperation.Sum);
        if (world.Rank == 0)
            Console.WriteLine($"info control: of {mine.Length:N0} sums, MPI_Allreduce differs from the rank-order sum in {counts[0]:N0}, MPI_Reduce_scatter_block in {counts[1]:N0}");
        if (world.Size >= 3) check(counts[0] + counts[1] > 0, "control: MPI's own reductions differ from the rank-order sum");
    }

    private static void Checkpoints(MpiCommunicator world, Action<bool, string> check, string directory, bool save)
    {
        foreach (string spec in s_specs.Take(6))
        {
            string where = Path.Combine(directory, new string([.. spec.Where(char.IsLetterOrDigit)]));
            var recording = ShardedRuns.Random(seed: 2, ranks: 1, steps: 5, sameOnEveryRank: true);
            var set = ConformanceSets.Build(recording.Parameters);
            var single = new Optimizer(SpecRegistry.Default.Create(spec), set);
            var sharded = new ShardedOptimizer(SpecRegistry.Default.Create(spec), ConformanceSets.Build(recording.Parameters), world);
            var gradients = new GradientSet(set);
            var shardedGradients = new GradientSet(sharded.Parameters);
            if (!save) ShardedCheckpoint.Load(where, sharded);
            for (int t = 0; t < 5; t++)
            {
                gradients.ClearAll();
                shardedGradients.ClearAll();
                for (int p = 0; p < set.Count; p++)
                {
                    if (recording.Steps[t][0][p] is not { } g) continue;
                    gradients.Set(set[p], g);
                    shardedGradients.Set(sharded.Parameters[p], g);
                }
                single.Step(gradients, ShardedRuns.Loss(t));
                if (save && t < 3) sharded.Step(shardedGradients, ShardedRuns.Loss(t));
                if (!save && t >= 3) sharded.Step(shardedGradients, ShardedRuns.Loss(t));
                if (!save || t != 2) continue;
                ShardedCheckpoint.Save(where, sharded);
                using var stream = new MemoryStream();
                Checkpoint.Save(stream, single);
                check(stream.ToArray().SequenceEqual(ShardedCheckpoint.Consolidate(where).ToArray()), $"{spec}: saved at {world.Size} ranks, consolidated to one process's bytes");
                break;
            }
            if (!save)
                check(SameBits([.. set.Select(p => p.Values.ToArray())], [.. sharded.Parameters.Select(p => p.Values.ToArray())]),
                    $"{spec}: resumed at {world.Size} ranks, bit-identical to one process");
        }
    }

    private static float[][] Run(ICommunicator world, string spec, ShardedRuns.Recording recording, OptimizerOptions options, bool exchange)
    {
        var set = ConformanceSets.Build(recording.Parameters);
        var sharded = new ShardedOptimizer(SpecRegistry.Default.Create(spec), set, world,
            new ShardedOptimizerOptions { Optimizer = options, ExchangeReductions = exchange });
        var gradients = new GradientSet(set);
        for (int t = 0; t < recording.Steps.Length; t++)
        {
            gradients.ClearAll();
            for (int p = 0; p < set.Count; p++)
                if (recording.Steps[t][world.Rank][p] is { } g) gradients.Set(set[p], g);
            sharded.Step(gradients, ShardedRuns.Loss(t));
        }
        return [.. set.Select(p => p.Values.ToArray())];
    }

    private static bool SameBits(float[][] a, float[][] b) =>
        a.Length == b.Length && a.Zip(b).All(x => BitsEqual(x.First, x.Second));

    private static bool BitsEqual(float[] a, float[] b) =>
        a.Length == b.Length && Enumerable.Range(0, a.Length).All(i => BitConverter.SingleToInt32Bits(a[i]) == BitConverter.SingleToInt32Bits(b[i]));
}
