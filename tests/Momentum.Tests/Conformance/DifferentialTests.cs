using Momentum.Specs;

namespace Momentum.Tests.Conformance;

/// <summary>
/// Every registered name, by its example (and variants: a parameter group, a leading global clip), on randomized mixed
/// parameter sets with missing, zero and late gradients: the engine's chosen path (one-pass kernels where it recognizes
/// a chain, fused rounds for a materialized chain), its generic path, and its materialized path run round by round in
/// separate passes (for every chain, element-wise ones included), at different thread counts, all equal the reference
/// stepper bit for bit after every step. Seeds: <see cref="ConformanceSets.Seeds"/> (set <c>MOMENTUM_CONFORMANCE_SEEDS</c> to run more).
/// </summary>
public class DifferentialTests
{
    private const int Steps = 4;
    private static readonly int[] s_threads = [1, 2, 3, 8];

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (string name in ConformanceSpecs.Names)
            foreach (int seed in ConformanceSets.Seeds(defaultCount: 3)) data.Add(name, seed);
        return data;
    }

    [Fact]
    public void Cases_CoverEveryRegisteredName()
    {
        var covered = Cases().Select(c => (string)c[0]).ToHashSet();
        var registered = SpecRegistry.Default.Transformations.Select(t => t.Name).ToList();
        Assert.True(registered.Count > 100, $"only {registered.Count} names are registered");
        Assert.All(registered, name => Assert.Contains(name, covered));
        Assert.Contains("partition", covered);
        Assert.Contains("multi_steps", covered);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ChosenAndGenericPaths_MatchTheReference(string name, int seed)
    {
        string spec = ConformanceSpecs.Variant(name, seed);
        var parameters = ConformanceSets.Mixed(seed);
        var plan = new GradientPlan(parameters, seed);
        int chosenThreads = s_threads[seed % s_threads.Length], genericThreads = s_threads[(seed + 2) % s_threads.Length];
        int materializedThreads = s_threads[(seed + 1) % s_threads.Length];
        string context = $"{spec}, seed {seed}, threads {chosenThreads} (chosen path), {genericThreads} (generic path) and {materializedThreads} (materialized path), parameters {ConformanceSets.Describe(parameters)}";

        var chosen = new EngineRun(SpecRegistry.Default.Create(spec), parameters, new OptimizerOptions { Threads = chosenThreads });
        var generic = new EngineRun(SpecRegistry.Default.Create(spec), parameters, new OptimizerOptions { Threads = genericThreads, SpecializedKernels = false });
        var materialized = new EngineRun(SpecRegistry.Default.Create(spec), parameters,
            new OptimizerOptions { Threads = materializedThreads, SpecializedKernels = false, Materialized = true, FusedRounds = false });
        var reference = new ReferenceStepper(SpecRegistry.Default.Create(spec), parameters, NonFiniteGradients.Throw);
        for (int step = 0; step < Steps; step++)
        {
            var gradients = plan.At(step);
            double loss = 2.0 - 0.25 * Math.Min(step, 2); // falls, then a plateau (Polyak, reduce_on_plateau)
            var expected = Outcome.Of(() => reference.Step(gradients, loss));
            var genericOutcome = generic.Step(gradients, loss);
            var chosenOutcome = chosen.Step(gradients, loss);
            var materializedOutcome = materialized.Step(gradients, loss);
            Assert.True(expected.SameAs(genericOutcome), $"{context}, step {step}: the reference {expected}, the generic path {genericOutcome}");
            Assert.True(expected.SameAs(chosenOutcome), $"{context}, step {step}: the reference {expected}, the chosen path {chosenOutcome}");
            Assert.True(expected.SameAs(materializedOutcome), $"{context}, step {step}: the reference {expected}, the materialized path {materializedOutcome}");
            var want = reference.Snapshot();
            StateSnapshot.AssertSame(want, StateSnapshot.Of(generic.Optimizer), $"{context}, after step {step}: generic path against the reference");
            StateSnapshot.AssertSame(want, StateSnapshot.Of(chosen.Optimizer), $"{context}, after step {step}: chosen path against the reference");
            StateSnapshot.AssertSame(want, StateSnapshot.Of(materialized.Optimizer), $"{context}, after step {step}: materialized path against the reference");
        }
    }
}
