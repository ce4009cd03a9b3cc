using Momentum.Distributed;
using Momentum.Specs;

namespace Momentum.Tests.Distributed;

/// <summary>Sharded steps on in-process ranks against one process, bit for bit, for every registered optimizer.</summary>
public sealed class ShardedOptimizerTests
{
    /// <summary>
    /// Every registered name with three rank counts: 2, 3 and one of 1, 4, 5, 6, 7, 8 in turn (so every count from 1 to 8
    /// runs for many names); <c>MOMENTUM_SHARDED_ALL_RANKS=1</c> runs every count for every name.
    /// </summary>
    public static TheoryData<string, int[]> Names
    {
        get
        {
            int[] others = [1, 4, 5, 6, 7, 8];
            bool all = Environment.GetEnvironmentVariable("MOMENTUM_SHARDED_ALL_RANKS") == "1";
            var data = new TheoryData<string, int[]>();
            int i = 0;
            foreach (var (name, _) in SpecRegistry.Default.Transformations)
                data.Add(name, all ? [1, 2, 3, 4, 5, 6, 7, 8] : [2, 3, others[i++ % others.Length]]);
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Sharded_RankCounts_MatchOneProcess(string name, int[] rankCounts)
    {
        string spec = SpecRegistry.Default.Example(name);
        foreach (int ranks in rankCounts)
        {
            var options = new OptimizerOptions { Threads = 1 + ranks % 3 };
            var recording = ShardedRuns.Random(seed: ranks % 3, ranks, steps: 3, sameOnEveryRank: ranks % 2 == 1);
            var (expected, _) = ShardedRuns.Single(spec, recording, options);
            var actual = ShardedRuns.Sharded(spec, recording, ranks, options);
            ShardedRuns.AssertSameBits(expected, actual, recording.Parameters, $"{spec} at {ranks} ranks");
        }
    }
}

public sealed class ShardedStepTests
{
    [Theory]
    [InlineData(NonFiniteGradients.Throw)]
    [InlineData(NonFiniteGradients.Skip)]
    public void NonFiniteOnOneRank_EveryRankRefusesTheStep_AsOneProcess(NonFiniteGradients policy)
    {
        var recording = ShardedRuns.Random(seed: 0, ranks: 3, steps: 2, sameOnEveryRank: false);
        int split = Array.FindIndex(recording.Parameters, p => p.Name == "split.bias");
        recording.Steps[1][2][split] = [.. recording.Steps[1][2][split] ?? new float[50000]];
        recording.Steps[1][2][split]![40000] = float.NaN; // on rank 2 only, in a piece another rank owns
        var options = new OptimizerOptions { NonFiniteGradients = policy, Threads = 2 };
        string spec = "chain(clip_by_global_norm(max_norm=1.0), adamw(lr=1e-3))";
        if (policy == NonFiniteGradients.Throw)
        {
            var single = Assert.Throws<NonFiniteGradientException>(() => ShardedRuns.Single(spec, recording, options));
            var sharded = Assert.Throws<NonFiniteGradientException>(() => ShardedRuns.Sharded(spec, recording, 3, options));
            Assert.Equal(single.Message, sharded.Message);
            return;
        }
        var (expected, optimizer) = ShardedRuns.Single(spec, recording, options);
        long[] skipped = new long[3];
        var actual = ShardedRuns.Sharded(spec, recording, 3, options, s => skipped[s.Rank] = s.SkippedSteps);
        ShardedRuns.AssertSameBits(expected, actual, recording.Parameters, "skipped step");
        Assert.Equal(1, optimizer.SkippedSteps);
        Assert.All(skipped, s => Assert.Equal(1, s));
    }

    [Fact]
    public void Layout_SplitsOnlyAtChunksAndRows_KeepsTensorStagesWhole()
    {
        var set = new ParameterSet();
        set.Add("small", 100);
        set.Add("split", 9000, 8);     // rows of 8: cuts at multiples of 16 Ki elements
        set.Add("odd", 3000, 7);       // rows of 7: cuts at multiples of 7 × 16 Ki, past its end: whole
        set.Add("matrix", 300, 200);   // under muon: whole
        var layout = ShardLayout.Create(set, 5, p => p != 3);
        for (int p = 0; p < set.Count; p++)
        {
            int owners = 0;
            long total = 0;
            for (int r = 0; r < 5; r++)
            {
                int start = layout.PieceStart(p, r), length = layout.PieceLength(p, r);
                if (length == 0) continue;
                owners++;
                total += length;
                Assert.Equal(0, start % Optimizer.ChunkLength);
                Assert.Equal(0, length % set[p].RowLength);
            }
            Assert.Equal(set[p].Length, total);
            Assert.True(owners == 1 || layout.Splittable[p], $"{set[p]} is split across {owners} ranks");
        }
        Assert.True(Enumerable.Range(0, 5).Count(r => layout.PieceLength(1, r) > 0) > 1, "the 72 Ki tensor is split");
        Assert.Equal(set.ElementCount, Enumerable.Range(0, 5).Sum(layout.OwnedElements));
    }
}
