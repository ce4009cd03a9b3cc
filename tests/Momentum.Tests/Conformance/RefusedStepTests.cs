using Momentum.Specs;

namespace Momentum.Tests.Conformance;

/// <summary>
/// A refused step changes nothing, for every registered name by its example: a step refused for a non-finite gradient
/// (under <see cref="NonFiniteGradients.Throw"/> and <see cref="NonFiniteGradients.Skip"/>), and one refused because a
/// learning-rate or weight-decay schedule gives NaN, leave every parameter, state tensor, scalar and counter
/// bit-identical (a skip counts itself in <see cref="Optimizer.SkippedSteps"/>), and the run then continues exactly as
/// the reference stepper's, which refused the same step.
/// </summary>
public class RefusedStepTests
{
    private const int RefusedAt = 2;

    public static TheoryData<string> Names => [.. ConformanceSpecs.Names];

    [Fact]
    public void PoisonedVariants_CoverTheLearningRatesAndDecays()
    {
        // Guards the rewriting: the common optimizers must get a poisoned learning rate (and decay, where it is a schedule).
        var registry = ConformanceSpecs.PoisonableRegistry(new PoisonSwitch());
        foreach (string name in new[] { "sgd", "adam", "adamw", "lion", "muon", "partition", "add_decayed_weights", "multi_steps" })
        {
            var variants = ConformanceSpecs.PoisonedVariants(registry, SpecRegistry.Default.Example(name));
            Assert.True(variants.Count > 0, $"{name}: no learning rate or decay could be poisoned");
        }
        Assert.Contains(ConformanceSpecs.PoisonedVariants(registry, SpecRegistry.Default.Example("lion")), v => v.What.StartsWith("weight_decay", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void NonFiniteGradient_RefusedUnderThrowAndSkip_ChangesNothing(string name)
    {
        string spec = SpecRegistry.Default.Example(name);
        foreach (var policy in new[] { NonFiniteGradients.Throw, NonFiniteGradients.Skip })
        {
            var parameters = RefusalSet();
            var run = new RefusalRun(SpecRegistry.Default, SpecParser.Parse(spec), parameters, policy);
            string context = $"{spec} under {policy}";
            run.StepBoth(0, context);
            run.StepBoth(1, context);
            var gradients = run.Gradients(RefusedAt);
            var bad = gradients[^1]!;
            bad[^1] = policy == NonFiniteGradients.Throw ? float.NaN : float.NegativeInfinity; // the last element of the last parameter
            var before = StateSnapshot.Of(run.Engine.Optimizer);
            var outcome = run.Engine.Step(gradients, run.Loss(RefusedAt));
            if (policy == NonFiniteGradients.Throw)
                Assert.True(outcome.Error is NonFiniteGradientException, $"{context}: the step with a NaN gradient {outcome}");
            else
                Assert.True(outcome.Result == false, $"{context}: the step with an infinite gradient {outcome}");
            var expected = policy == NonFiniteGradients.Skip ? before.WithSkippedSteps(1) : before; // a skip only counts itself
            StateSnapshot.AssertSame(expected, StateSnapshot.Of(run.Engine.Optimizer), $"{context}: the refused step changed the optimizer");
            var referenceOutcome = Outcome.Of(() => run.Reference.Step(gradients, run.Loss(RefusedAt)));
            Assert.True(referenceOutcome.SameAs(outcome), $"{context}: the reference {referenceOutcome}, the engine {outcome}");
            run.StepBoth(RefusedAt, context + ", after the refused step");
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void NaNSchedule_RefusedStep_ChangesNothing(string name)
    {
        var poison = new PoisonSwitch();
        var registry = ConformanceSpecs.PoisonableRegistry(poison);
        foreach (var (what, call) in ConformanceSpecs.PoisonedVariants(registry, SpecRegistry.Default.Example(name)))
        {
            var run = new RefusalRun(registry, call, RefusalSet(), NonFiniteGradients.Throw);
            string context = $"{SpecRegistry.Default.Example(name)} with a NaN {what}";
            int step = 0;
            for (; step < RefusedAt; step++) run.StepBoth(step, context);
            // Poison the schedule from step 2 on until a step consults it (a multi_steps accumulation call does not).
            bool consulted = false;
            for (; !consulted && step < RefusedAt + 3; step++)
            {
                var gradients = run.Gradients(step);
                var before = StateSnapshot.Of(run.Engine.Optimizer);
                poison.On = true;
                poison.Hits = 0;
                var outcome = run.Engine.Step(gradients, run.Loss(step));
                consulted = poison.Hits > 0;
                var referenceOutcome = Outcome.Of(() => run.Reference.Step(gradients, run.Loss(step)));
                poison.On = false;
                if (consulted)
                {
                    Assert.True(outcome.Result is not true, $"{context}: the step that read NaN {outcome} (it was not refused)");
                    StateSnapshot.AssertSame(before, StateSnapshot.Of(run.Engine.Optimizer), $"{context}: the step refused for a NaN schedule value changed the optimizer");
                }
                Assert.True(referenceOutcome.SameAs(outcome), $"{context}, step {step}: the reference {referenceOutcome}, the engine {outcome}");
                StateSnapshot.AssertSame(run.Reference.Snapshot(), StateSnapshot.Of(run.Engine.Optimizer), $"{context}, step {step}: the engine against the reference");
                if (consulted) step--; // the refused step is taken again, now with finite values
            }
            Assert.True(consulted, $"{context}: no step from {RefusedAt} on consulted the poisoned schedule");
            run.StepBoth(step, context + ", after the refused step");
        }
    }

    /// <summary>A small mixed set; <c>late.bias</c> gets its first gradient at the refused step (its state must not be created).</summary>
    private static ParameterSpec[] RefusalSet() =>
        [.. ConformanceSets.Small(1), new ParameterSpec("late.bias", [7], [.. Enumerable.Range(0, 7).Select(i => 0.1f * i - 0.3f)])];

    /// <summary>The engine and the reference on the same spec, set and gradients.</summary>
    private sealed class RefusalRun
    {
        private readonly ParameterSpec[] _parameters;

        public RefusalRun(SpecRegistry registry, SpecCall spec, ParameterSpec[] parameters, NonFiniteGradients policy)
        {
            _parameters = parameters;
            Engine = new EngineRun(registry.Create(spec), parameters, new OptimizerOptions { Threads = 2, NonFiniteGradients = policy });
            Reference = new ReferenceStepper(registry.Create(spec), parameters, policy);
        }

        public EngineRun Engine { get; }

        public ReferenceStepper Reference { get; }

        public double Loss(int step) => 1.5 - 0.1 * step;

        /// <summary>Every parameter gets a gradient, except <c>late.bias</c> before the refused step.</summary>
        public float[]?[] Gradients(int step)
        {
            var gradients = GradientPlan.Full([.. _parameters.Select(p => p.Values.Length)], 11, step);
            if (step < RefusedAt) gradients[^1] = null;
            return gradients;
        }

        public void StepBoth(int step, string context)
        {
            var gradients = Gradients(step);
            var expected = Outcome.Of(() => Reference.Step(gradients, Loss(step)));
            var actual = Engine.Step(gradients, Loss(step));
            Assert.True(expected.SameAs(actual), $"{context}, step {step}: the reference {expected}, the engine {actual}");
            StateSnapshot.AssertSame(Reference.Snapshot(), StateSnapshot.Of(Engine.Optimizer), $"{context}, step {step}: the engine against the reference");
        }
    }
}
