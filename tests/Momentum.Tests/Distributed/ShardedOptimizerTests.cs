using Momentum.Distributed;
using Momentum.Specs;

namespace Momentum.Tests.Distributed;

/// <summary>Sharded steps on in-process ranks against one process, bit for bit, for every registered optimizer.</summary>
public sealed class ShardedOptimizerTests
{
    public static TheoryData<string> Names => [.. SpecRegistry.Default.Transformations.Select(t => t.Name)];

    [Theory]
    [MemberData(nameof(Names))]
    public void Sharded_EveryRankCount_MatchesOneProcess(string name)
    {
        string spec = SpecRegistry.Default.Example(name);
        for (int ranks = 1; ranks <= 8; ranks++)
        {
            var options = new OptimizerOptions { Threads = 1 + ranks % 3 };
            var recording = ShardedRuns.Random(seed: ranks % 3, ranks, steps: 3, sameOnEveryRank: ranks % 2 == 1);
            var (expected, _) = ShardedRuns.Single(spec, recording, options);
            var actual = ShardedRuns.Sharded(spec, recording, ranks, options);
            ShardedRuns.AssertSameBits(expected, actual, recording.Parameters, $"{spec} at {ranks} ranks");
        }
    }
}
