using Momentum.Specs;

namespace Momentum.Tests.Conformance;

/// <summary>
/// Every registered name, by its example, on a mixed set (a scalar, [1], an odd vector, matrices, a 3-D tensor, an
/// embedding) with non-zero gradients that keep their sign: at every step, every parameter moves. The parameters an example leaves alone
/// by design are listed in <see cref="s_stays"/>, each with its reason; those must then stay exactly as they were
/// (or, where listed so, are not checked).
/// </summary>
public class EveryParameterMovesTests
{
    private const int Steps = 4;

    /// <summary>
    /// Where an example leaves a parameter unchanged by design: <see cref="Expect"/> gives <c>true</c> (the parameter must
    /// stay exactly), <c>null</c> (either way: not checked) or <c>false</c> (it must move, the default).
    /// </summary>
    private sealed record Exception(Func<Situation, bool?> Expect, string Reason);

    /// <summary>A parameter at a step: its name, the step, this step's gradient and its values before the step.</summary>
    private sealed record Situation(string Parameter, int Step, float[] Gradient, float[] Before);

    private static readonly Dictionary<string, Exception> s_stays = new(StringComparer.Ordinal)
    {
        ["set_to_zero"] = new(_ => true, "every update is zero"),
        ["freeze"] = new(x => x.Parameter.EndsWith("bias", StringComparison.Ordinal) ? true : false, "mask='bias$' freezes the biases"),
        ["selective_transform"] = new(x => x.Parameter.StartsWith("embed", StringComparison.Ordinal) ? true : false, "freeze_mask='^embed' freezes the embedding"),
        ["multi_steps"] = new(x => x.Step % 2 == 0 ? true : false, "every_k_schedule=2: calls 0 and 2 only accumulate"),
        ["adopt"] = new(x => x.Step == 0 ? true : false, "ADOPT's first step only sets v = g² and outputs exactly 0"),
        ["scale_by_adopt"] = new(x => x.Step == 0 ? true : false, "ADOPT's first step only sets v = g² and outputs exactly 0"),
        ["optax.rprop"] = new(x => x.Step == 0 ? true : false, "Optax's rprop outputs the previous step's update, so its first step does not move"),
        ["scale_by_rprop"] = new(x => x.Step == 0 ? true : false, "Optax's scale_by_rprop outputs the previous step's update, so its first step does not move"),
        ["keep_params_nonnegative"] = new(x => x.Before.Select((v, i) => v == 0 && v + x.Gradient[i] < 0).All(clipped => clipped) ? true : false,
            "a parameter at 0 with a negative update is clipped to stay at 0 (here: every element)"),
        ["schedule_free_sgd"] = new(x => x.Step == 0 ? null : false, "warmup_steps=2: the learning rate is 0 at step 0, so parameters change only by the rounding of x = (y − (1−β)z)/β"),
        ["schedule_free_adamw"] = new(x => x.Step == 0 ? null : false, "warmup_steps=2: the learning rate is 0 at step 0, so parameters change only by the rounding of x = (y − (1−β)z)/β"),
    };

    public static TheoryData<string> Names => [.. ConformanceSpecs.Names];

    [Fact]
    public void Exceptions_NameRegisteredSpecs()
    {
        foreach (string name in s_stays.Keys) Assert.Contains(name, ConformanceSpecs.Names);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void EveryParameterWithANonZeroGradient_Moves(string name)
    {
        string spec = SpecRegistry.Default.Example(name);
        var parameters = MixedSmall();
        var run = new EngineRun(SpecRegistry.Default.Create(spec), parameters, new OptimizerOptions { Threads = 2 });
        var exception = s_stays.GetValueOrDefault(name, new Exception(_ => false, ""));
        var problems = new List<string>();
        for (int step = 0; step < Steps; step++)
        {
            var before = run.Parameters.Select(p => p.Values.ToArray()).ToArray();
            var gradients = SteadyGradients(parameters, step);
            var outcome = run.Step(gradients, loss: 2.0 - 0.1 * step);
            Assert.True(outcome.Result == true, $"{spec}, step {step}: {outcome}");
            foreach (var p in run.Parameters)
            {
                bool moved = !p.Values.SequenceEqual(before[p.Index]);
                bool? stays = exception.Expect(new Situation(p.Name, step, gradients[p.Index], before[p.Index]));
                if (stays is null || moved != stays) continue;
                problems.Add(stays.Value ? $"{p} moved at step {step}, but should stay ({exception.Reason})" : $"{p} did not move at step {step}");
            }
        }
        Assert.True(problems.Count == 0, $"{spec}:\n  {string.Join("\n  ", problems)}");
    }

    /// <summary>
    /// Non-zero gradients whose sign per element holds from step to step (magnitudes vary): a gradient that keeps pointing
    /// the same way, so that sign-flip rules (Rprop) do not stop an element by chance.
    /// </summary>
    private static float[][] SteadyGradients(ParameterSpec[] parameters, int step) =>
        [.. parameters.Select((p, i) => Enumerable.Range(0, p.Values.Length)
            .Select(j => MathF.CopySign(0.25f + MathF.Abs(Engine.EngineTestData.Hash(i, j, step + 1)), Engine.EngineTestData.Hash(i, j, 0)))
            .ToArray())];

    private static ParameterSpec[] MixedSmall() =>
        [.. ConformanceSets.Small(3), new ParameterSpec("odd.bias", [13], [.. Enumerable.Range(0, 13).Select(i => 0.05f * i - 0.3f)])];
}
