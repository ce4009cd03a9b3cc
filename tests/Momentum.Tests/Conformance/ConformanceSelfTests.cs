using Momentum.Specs;

namespace Momentum.Tests.Conformance;

/// <summary>The suite's own machinery can fail: the snapshot comparison sees one bit, and the reference stepper computes.</summary>
public class ConformanceSelfTests
{
    private static readonly ParameterSpec[] s_parameters =
        [new("w", [2, 3], [0.5f, -1f, 2f, 0.25f, -0.75f, 1.5f]), new("b", [3], [0.1f, 0.2f, -0.3f]), new("s", [], [4f])];

    [Fact]
    public void Snapshot_NamesAOneBitDifferenceAndAMissingState()
    {
        var run = new EngineRun(SpecRegistry.Default.Create("adam(lr=0.01)"), s_parameters, new OptimizerOptions { Threads = 1 });
        run.Step(Gradients(1), loss: double.NaN);
        var before = StateSnapshot.Of(run.Optimizer);
        StateSnapshot.AssertSame(before, StateSnapshot.Of(run.Optimizer), "unchanged");

        var w = run.Parameters["w"];
        w.Values[4] = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(w.Values[4]) ^ 1);
        var oneBit = Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => StateSnapshot.AssertSame(before, StateSnapshot.Of(run.Optimizer), "one bit"));
        Assert.Contains("param/w[4]", oneBit.Message);

        run.Optimizer.ResetState(run.Parameters["b"]);
        var missing = Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => StateSnapshot.AssertSame(before, StateSnapshot.Of(run.Optimizer), "dropped state"));
        Assert.Contains("has_state/b", missing.Message);
    }

    [Fact]
    public void Reference_WithAnotherLearningRate_DiffersFromTheEngine()
    {
        var run = new EngineRun(SpecRegistry.Default.Create("adam(lr=0.01)"), s_parameters, new OptimizerOptions { Threads = 1 });
        var reference = new ReferenceStepper(SpecRegistry.Default.Create("adam(lr=0.0101)"), s_parameters, NonFiniteGradients.Throw);
        run.Step(Gradients(1), loss: double.NaN);
        reference.Step(Gradients(1));
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => StateSnapshot.AssertSame(reference.Snapshot(), StateSnapshot.Of(run.Optimizer), "lr 0.0101 against 0.01"));
    }

    [Fact]
    public void Reference_Sgd_TakesTheTextbookStep_AndSkipsAParameterWithoutGradient()
    {
        var reference = new ReferenceStepper(SpecRegistry.Default.Create("sgd(lr=0.5)"), s_parameters, NonFiniteGradients.Throw);
        var gradients = Gradients(1);
        gradients[1] = null;
        Assert.True(reference.Step(gradients));
        var w = reference.Parameters["w"].Values.ToArray();
        for (int i = 0; i < w.Length; i++) Assert.Equal(s_parameters[0].Values[i] + gradients[0]![i] * -0.5f, w[i]);
        Assert.Equal(s_parameters[1].Values, reference.Parameters["b"].Values.ToArray());
        Assert.Equal(1, reference.StepCount);
    }

    [Fact]
    public void Reference_MultiSteps_AccumulatesThenStepsWithTheMean()
    {
        // The wrapper protocol run by the reference: the first call only accumulates, the second steps with the running mean.
        var reference = new ReferenceStepper(SpecRegistry.Default.Create("multi_steps(sgd(lr=1), every_k_schedule=2)"), s_parameters, NonFiniteGradients.Throw);
        var (g0, g1) = (Gradients(1), Gradients(2));
        reference.Step(g0);
        Assert.Equal(s_parameters[2].Values, reference.Parameters["s"].Values.ToArray());
        Assert.Equal(0, reference.StepCount);
        reference.Step(g1);
        float acc = g0[2]![0];
        acc += (g1[2]![0] - acc) / 2f;
        Assert.Equal(s_parameters[2].Values[0] + acc * -1f, reference.Parameters["s"].Values[0]);
        Assert.Equal(1, reference.StepCount);
    }

    private static float[]?[] Gradients(int step) => GradientPlan.Full([.. s_parameters.Select(p => p.Values.Length)], 3, step);
}
