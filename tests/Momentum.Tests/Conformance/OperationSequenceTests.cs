using Momentum.Specs;

namespace Momentum.Tests.Conformance;

/// <summary>
/// Random interleavings of steps, selective steps, row operations, checkpoint reloads and refused steps (non-finite
/// gradients under Throw and Skip, NaN schedules) keep the engine equal to the reference stepper after every
/// operation: for every registered name by its example on a small mixed set, and for recognized one-pass chains on a
/// set with a tensor of more than sixteen chunks. Fixed seeds (<see cref="ConformanceSets.Seeds"/>); a failure shrinks.
/// </summary>
public class OperationSequenceTests
{
    public static TheoryData<string> Names => [.. ConformanceSpecs.Names];

    // One-pass chains (docs/ARCHITECTURE.md) and a factored one, on a set large enough for many work items.
    public static TheoryData<string> LargeSpecs => ["adamw", "sgd", "chain"];

    [Theory]
    [MemberData(nameof(Names))]
    public void RandomOperations_KeepTheEngineEqualToTheReference(string name) =>
        OperationSequences.Check(SpecRegistry.Default.Example(name), () => ConformanceSets.Small(4), ConformanceSets.Seeds(defaultCount: 4));

    [Theory]
    [MemberData(nameof(LargeSpecs))]
    public void RandomOperations_OnALargeTensor_KeepTheEngineEqualToTheReference(string name) =>
        OperationSequences.Check(SpecRegistry.Default.Example(name), LargeSet, ConformanceSets.Seeds(defaultCount: 4));

    /// <summary>The small set plus a [8705, 32] tensor: 17 chunks and a tail, so a full step has more segments than a fresh optimizer's arrays.</summary>
    private static ParameterSpec[] LargeSet() =>
        [.. ConformanceSets.Small(5), new ParameterSpec("big.weight", [8705, 32], GradientPlan.Random(5, 99, 0, 8705 * 32, 1f))];
}
