using Momentum.Distributed;
using Momentum.IO;
using Momentum.Specs;
using Momentum.Tests.Conformance;

namespace Momentum.Tests.Distributed;

/// <summary>Sharded checkpoints: consolidation gives one process's checkpoint byte for byte; resuming at another rank count is bit-exact.</summary>
public sealed class ShardedCheckpointTests
{
    public static TheoryData<string> Specs =>
    [
        "adam(lr=0.01, amsgrad=true)",
        "chain(clip_by_global_norm(max_norm=1.0), adamw(lr=1e-3))",
        "lamb(learning_rate=0.01, b1=0.8, weight_decay=0.01)",
        "adafactor(learning_rate=0.01)",
        SpecRegistry.Default.Example("prodigy"),
        SpecRegistry.Default.Example("lookahead"),
    ];

    [Theory]
    [MemberData(nameof(Specs))]
    public void SaveAtFour_ConsolidatesToOneProcessBytes_AndResumesAtThreeAndOne(string spec)
    {
        var recording = ShardedRuns.Random(seed: 0, ranks: 4, steps: 5, sameOnEveryRank: true);
        var options = new OptimizerOptions { Threads = 2 };
        var set = ConformanceSets.Build(recording.Parameters);
        var single = new Optimizer(SpecRegistry.Default.Create(spec), set, options);
        var gradients = new GradientSet(set);
        byte[]? expectedCheckpoint = null;
        for (int t = 0; t < 5; t++)
        {
            gradients.ClearAll();
            for (int p = 0; p < set.Count; p++)
                if (recording.Steps[t][0][p] is { } g) gradients.Set(set[p], g);
            single.Step(gradients, ShardedRuns.Loss(t));
            if (t != 2) continue;
            using var stream = new MemoryStream();
            Checkpoint.Save(stream, single);
            expectedCheckpoint = stream.ToArray();
        }
        float[][] expected = [.. set.Select(p => p.Values.ToArray())];

        var directory = Directory.CreateTempSubdirectory("momentum-sharded-");
        try
        {
            Run(spec, recording, ranks: 4, options, directory.FullName, from: 0, to: 3, load: false);
            Assert.Equal(expectedCheckpoint, ShardedCheckpoint.Consolidate(directory.FullName).ToArray());
            foreach (int ranks in new[] { 3, 1 })
            {
                var final = Run(spec, recording, ranks, options, directory.FullName, from: 3, to: 5, load: true);
                ShardedRuns.AssertSameBits(expected, final, recording.Parameters, $"{spec} saved at 4 ranks, resumed at {ranks}");
            }
        }
        finally { directory.Delete(recursive: true); }
    }

    [Fact]
    public void Load_OtherTransformation_ThrowsAndChangesNothing()
    {
        var recording = ShardedRuns.Random(seed: 0, ranks: 2, steps: 1, sameOnEveryRank: true);
        var directory = Directory.CreateTempSubdirectory("momentum-sharded-");
        try
        {
            Run("adam(lr=0.01)", recording, ranks: 2, new OptimizerOptions(), directory.FullName, from: 0, to: 1, load: false);
            InProcessCommunicator.Run(2, communicator =>
            {
                var set = ConformanceSets.Build(recording.Parameters);
                var sharded = new ShardedOptimizer(SpecRegistry.Default.Create("sgd(lr=0.1, momentum=0.9)"), set, communicator);
                float[][] before = [.. set.Select(p => p.Values.ToArray())];
                Assert.Throws<InvalidDataException>(() => ShardedCheckpoint.Load(directory.FullName, sharded));
                Assert.Equal(before, set.Select(p => p.Values.ToArray()));
                Assert.Empty(sharded.Local.States);
                return 0;
            });
        }
        finally { directory.Delete(recursive: true); }
    }

    /// <summary>Steps <paramref name="from"/> to <paramref name="to"/> on in-process ranks, loading the checkpoint first or saving it after.</summary>
    private static float[][][] Run(string spec, ShardedRuns.Recording recording, int ranks, OptimizerOptions options, string directory,
        int from, int to, bool load) =>
        InProcessCommunicator.Run(ranks, communicator =>
        {
            var set = ConformanceSets.Build(recording.Parameters);
            var sharded = new ShardedOptimizer(SpecRegistry.Default.Create(spec), set, communicator, new ShardedOptimizerOptions { Optimizer = options });
            if (load) ShardedCheckpoint.Load(directory, sharded);
            var gradients = new GradientSet(set);
            for (int t = from; t < to; t++)
            {
                gradients.ClearAll();
                for (int p = 0; p < set.Count; p++)
                    if (recording.Steps[t][0][p] is { } g) gradients.Set(set[p], g);
                sharded.Step(gradients, ShardedRuns.Loss(t));
            }
            if (!load) ShardedCheckpoint.Save(directory, sharded);
            return set.Select(p => p.Values.ToArray()).ToArray();
        });
}
