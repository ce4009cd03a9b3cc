using Momentum.Distributed;

namespace Momentum.Cli.Commands;

// momentum replay --sharded: the same replay on the ranks of mpirun or srun, each rank stepping its shard (docs/DISTRIBUTED.md).
internal static partial class ReplayCommand
{
    /// <summary>
    /// Runs the recorded steps on a <see cref="ShardedOptimizer"/>: every rank read the same inputs and passes the same
    /// gradients, whose mean is each gradient exactly, so the parameters end bit-identical to a plain replay's.
    /// </summary>
    /// <returns>The skipped steps (the same on every rank).</returns>
    internal static long RunSharded(ICommunicator world, GradientTransformation transformation, ParameterSet set,
        IReadOnlyList<IReadOnlyDictionary<Parameter, float[]>> recorded, OptimizerOptions options)
    {
        var optimizer = new ShardedOptimizer(transformation, set, world, new ShardedOptimizerOptions { Optimizer = options });
        var gradients = new GradientSet(set);
        foreach (var step in recorded)
        {
            gradients.ClearAll();
            foreach (var (parameter, gradient) in step) gradients.Set(parameter, gradient);
            optimizer.Step(gradients);
        }
        return optimizer.SkippedSteps;
    }
}
