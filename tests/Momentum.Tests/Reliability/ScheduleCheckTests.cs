using Momentum.Cli.Commands;
using Momentum.IO;
using Momentum.Specs;
using Momentum.Tests.Parity;

namespace Momentum.Tests.Reliability;

/// <summary>
/// Issue 13 item 3: every schedule-carrying hyperparameter is checked before any state changes, and <c>momentum replay</c>
/// reports a schedule that gives a value that is not finite (in double, or once rounded to float32) with exit 2 and one line.
/// </summary>
public sealed class ScheduleCheckTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("momentum-schedules-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Fixture(string name) => Path.Combine(TorchParityTests.FixtureDirectory, name);

    /// <summary>At step 3 each schedule's value leaves the range: 1e10·1e300 is +∞ in double, 1e-3·1e300 is finite in
    /// double but +∞ as the float32 the kernels multiply by.</summary>
    public static TheoryData<string> NonFiniteSchedules => new()
    {
        "adam(lr=piecewise_constant_schedule(init_value=1e10, boundaries_and_scales=[(3, 1e300)]))",
        "adam(lr=piecewise_constant_schedule(init_value=1e-3, boundaries_and_scales=[(3, 1e300)]))",
        "sgd(lr=piecewise_constant_schedule(init_value=1e-3, boundaries_and_scales=[(3, 1e300)]), momentum=0.9)",
        "asgd(lr=piecewise_constant_schedule(init_value=1e-3, boundaries_and_scales=[(3, 1e300)]))",
        "chain(scale_by_adam(), add_decayed_weights(weight_decay=piecewise_constant_schedule(init_value=1e10, boundaries_and_scales=[(3, 1e300)])), scale_by_learning_rate(learning_rate=1e-3))",
        "chain(scale_by_adam(), add_decayed_weights(weight_decay=piecewise_constant_schedule(init_value=1e-2, boundaries_and_scales=[(3, 1e300)])), scale_by_learning_rate(learning_rate=1e-3))",
        "ademamix(lr=1e-3, alpha=piecewise_constant_schedule(init_value=5, boundaries_and_scales=[(3, 1e300)]))",
    };

    [Theory]
    [MemberData(nameof(NonFiniteSchedules))]
    public void Replay_ScheduleNotFinite_ExitsTwoWithOneLineAndWritesNothing(string spec)
    {
        string output = Path.Combine(_dir, "final.safetensors");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = ReplayCommand.Execute(spec, Fixture("adam_default.init.safetensors"), Fixture("adam_default.grads.safetensors"), output, null, "throw", stdout, stderr);
        Assert.True(code == 2, $"exit code {code}; stderr: {stderr}");
        Assert.Single(stderr.ToString().Trim().Split('\n'));
        Assert.Contains("schedule gave", stderr.ToString());
        Assert.Contains(" 3; the step was refused", stderr.ToString());
        Assert.False(File.Exists(output));
    }

    /// <summary>The same schedules through the library: step 3 throws ArithmeticException and changes nothing.</summary>
    [Theory]
    [MemberData(nameof(NonFiniteSchedules))]
    public void Step_ScheduleNotFinite_ThrowsAndChangesNothing(string spec) =>
        AssertStepThreeRefused(SpecRegistry.Default.Create(spec));

    /// <summary>
    /// Whole-step wrappers that evaluate a learning-rate schedule themselves (in AfterInner, after the inner chain ran): a
    /// NaN at step 3 must be refused before any state changes.
    /// </summary>
    [Theory]
    [InlineData("dadapt_adamw")]
    [InlineData("prodigy")]
    public void Step_WrapperScheduleNaN_ThrowsAndChangesNothing(string name) =>
        AssertStepThreeRefused(Wrapper(name, Schedule.FromFunction(static t => t == 3 ? double.NaN : 0.5)));

    /// <summary>
    /// Whole-step wrappers check their own schedules in the validation phase (StepWrapper.ValidateStep) as the stages do:
    /// NaN, and a value that rounds to ±∞ in float32 (1e300), refuse the step before anything changed.
    /// </summary>
    [Theory]
    [InlineData("schedule_free", true)]
    [InlineData("dadapt_adamw", false)]
    [InlineData("prodigy", false)]
    [InlineData("schedule_free", false)]
    [InlineData("dog", false)]
    public void Step_WrapperScheduleNotFinite_ThrowsAndChangesNothing(string name, bool nan)
    {
        // schedule_free evaluates its schedule at its own 1-based count (count k + 1 at step k), the others at step k.
        long at = name == "schedule_free" ? 4 : 3;
        AssertStepThreeRefused(Wrapper(name, nan
            ? Schedule.FromFunction(t => t == at ? double.NaN : 0.5)
            : Schedule.FromFunction(t => t == at ? 1e300 : 0.5)));
    }

    private static GradientTransformation Wrapper(string name, Schedule lr) => name switch
    {
        "dadapt_adamw" => Optimizers.DAdaptAdamW(new DAdaptAdamWOptions { LearningRate = lr }),
        "prodigy" => Optimizers.Prodigy(new ProdigyOptions { LearningRate = lr }),
        "schedule_free" => Optimizers.ScheduleFree(Optimizers.Sgd(new SgdOptions { LearningRate = 0.1 }), lr),
        _ => SpecRegistry.Default.Create("dog(lr=piecewise_constant_schedule(init_value=1, boundaries_and_scales=[(3, 1e300)]))"),
    };

    /// <summary>Three good steps, then step 3 must throw ArithmeticException with every parameter, state and counter unchanged.</summary>
    private void AssertStepThreeRefused(GradientTransformation transformation)
    {
        var set = new ParameterSet();
        var w = set.Add("w", [3, 4], [.. Enumerable.Range(0, 12).Select(i => 0.1f * i - 0.5f)]);
        var b = set.Add("b", [4], [0.25f, -0.5f, 0.75f, 1f]);
        var optimizer = new Optimizer(transformation, set);
        var gradients = new GradientSet(set);
        for (int step = 0; step < 4; step++)
        {
            var gw = gradients.Get(w);
            for (int i = 0; i < gw.Length; i++) gw[i] = MathF.Sin(step + i) + 0.1f;
            var gb = gradients.Get(b);
            for (int i = 0; i < gb.Length; i++) gb[i] = MathF.Cos(step * 3 + i);
            if (step < 3)
            {
                optimizer.Step(gradients, loss: 1.0 / (step + 1));
                continue;
            }
            string before = Path.Combine(_dir, "before.safetensors"), after = Path.Combine(_dir, "after.safetensors");
            Checkpoint.Save(before, optimizer);
            Assert.ThrowsAny<ArithmeticException>(() => optimizer.Step(gradients, loss: 0.25));
            Checkpoint.Save(after, optimizer);
            Assert.True(File.ReadAllBytes(before).AsSpan().SequenceEqual(File.ReadAllBytes(after)), "the refused step changed the parameters, the state or a counter");
            Assert.Equal(3, optimizer.StepCount);
        }
    }
}
