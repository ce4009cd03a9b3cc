using Momentum.Specs;

namespace Momentum.Tests.Scheduling;

/// <summary>Optax's schedules against the values printed in Optax's doctests (optax.md §4.1) and values derived by hand.</summary>
public class OptaxScheduleTests
{
    private static Schedule Spec(string spec) => SpecRegistry.Default.CreateSchedule(SpecParser.Parse(spec));

    private static void AssertValues(Schedule schedule, params (long Step, double Value)[] expected)
    {
        foreach (var (step, value) in expected)
            Assert.True(Math.Abs(schedule.Evaluate(step) - value) <= 1e-12 * Math.Max(1, Math.Abs(value)),
                $"step {step}: {schedule.Evaluate(step):R}, expected {value:R}");
    }

    [Fact]
    public void PolynomialSchedule_OptaxDoctest()
    {
        // Optax doctest, printed to 4 decimals: 1.0000, 1.0000, 0.9803, 0.0101, 0.0100, 0.0100.
        var s = Spec("polynomial_schedule(init_value=1.0, end_value=0.01, power=2, transition_steps=100, transition_begin=5)");
        double[] printed = [1.0, 1.0, 0.9803, 0.0101, 0.0100, 0.0100];
        long[] steps = [0, 5, 6, 104, 105, 110];
        for (int i = 0; i < steps.Length; i++) Assert.Equal(printed[i], s.Evaluate(steps[i]), 4);
        AssertValues(s, (6, 0.99 * 0.99 * 0.99 + 0.01), (55, 0.99 * 0.25 + 0.01));
    }

    [Fact]
    public void PiecewiseConstantSchedule_OptaxDoctest() =>
        AssertValues(Spec("piecewise_constant_schedule(init_value=1.0, boundaries_and_scales=[(100, 0.1), (200, 0.01)])"),
            (50, 1.0), (99, 1.0), (100, 0.1), (150, 0.1), (200, 0.1 * 0.01), (250, 0.1 * 0.01));

    [Fact]
    public void PiecewiseInterpolateSchedule_OptaxDoctest() =>
        AssertValues(Spec("piecewise_interpolate_schedule(interpolate_type='linear', init_value=1.0, boundaries_and_scales=[(4, 0.1), (8, 0.01)])"),
            (0, 1.0), (2, 0.55), (4, 0.1), (6, 0.0505), (8, 0.001), (10, 0.001));

    [Fact]
    public void PiecewiseInterpolate_Cosine_HalfwayIsTheMean() =>
        AssertValues(Schedules.PiecewiseInterpolate(Interpolation.Cosine, 2.0, new Dictionary<long, double> { [10] = 0.5 }),
            (0, 2.0), (5, 1.5), (10, 1.0), (20, 1.0), (1, 1.0 + 1.0 / 2 * (Math.Cos(Math.PI * 0.1) + 1)));

    [Fact]
    public void LinearSchedule_RampsThenHolds() =>
        AssertValues(Spec("linear_schedule(init_value=1, end_value=3, transition_steps=4, transition_begin=2)"),
            (0, 1), (2, 1), (3, 1.5), (4, 2), (6, 3), (100, 3));

    [Fact]
    public void ExponentialDecay_Continuous_Staircase_BeginAndBounds()
    {
        AssertValues(Spec("exponential_decay(init_value=1, transition_steps=10, decay_rate=0.5)"), (0, 1), (10, 0.5), (15, Math.Pow(0.5, 1.5)), (30, 0.125));
        AssertValues(Spec("exponential_decay(init_value=1, transition_steps=10, decay_rate=0.5, staircase=true)"), (9, 1), (15, 0.5), (29, 0.25));
        AssertValues(Spec("exponential_decay(init_value=1, transition_steps=10, decay_rate=0.5, transition_begin=5)"), (5, 1), (15, 0.5));
        AssertValues(Spec("exponential_decay(init_value=1, transition_steps=10, decay_rate=0.5, end_value=0.3)"), (10, 0.5), (20, 0.3), (1000, 0.3));
        AssertValues(Spec("exponential_decay(init_value=1, transition_steps=10, decay_rate=2, end_value=3)"), (10, 2), (20, 3));
        // As Optax: transition_steps = 0 or decay_rate = 0 give the constant init_value.
        AssertValues(Spec("exponential_decay(init_value=0.7, transition_steps=0, decay_rate=0.5)"), (0, 0.7), (50, 0.7));
        AssertValues(Spec("exponential_decay(init_value=0.7, transition_steps=10, decay_rate=0)"), (50, 0.7));
    }

    [Fact]
    public void CosineDecay_AlphaAndExponent()
    {
        AssertValues(Spec("cosine_decay_schedule(init_value=2, decay_steps=100, alpha=0.1)"), (0, 2), (50, 2 * (0.9 * 0.5 + 0.1)), (100, 0.2), (500, 0.2));
        AssertValues(Spec("cosine_decay_schedule(init_value=2, decay_steps=100, alpha=0.1, exponent=2)"), (50, 2 * (0.9 * 0.25 + 0.1)));
    }

    [Fact]
    public void WarmupCosineDecay_DecayStepsIncludeTheWarmup()
    {
        var s = Spec("warmup_cosine_decay_schedule(init_value=0, peak_value=1e-3, warmup_steps=100, decay_steps=1000)");
        AssertValues(s, (0, 0), (50, 5e-4), (100, 1e-3), (550, 5e-4), (1000, 0), (5000, 0));
        AssertValues(Spec("warmup_cosine_decay_schedule(init_value=0, peak_value=1e-3, warmup_steps=100, decay_steps=1000, end_value=1e-5)"),
            (1000, 1e-5), (550, (1e-3 - 1e-5) / 2 + 1e-5));
    }

    [Fact]
    public void WarmupExponentialDecay_And_WarmupConstant()
    {
        AssertValues(Spec("warmup_exponential_decay_schedule(init_value=0, peak_value=1, warmup_steps=10, transition_steps=10, decay_rate=0.5)"),
            (5, 0.5), (10, 1), (20, 0.5), (30, 0.25));
        AssertValues(Spec("warmup_constant_schedule(init_value=0.1, peak_value=1, warmup_steps=9)"), (0, 0.1), (3, 0.4), (9, 1), (90, 1));
    }

    [Fact]
    public void OneCycle_LinearAndCosine_PassThroughTheirKnots()
    {
        AssertValues(Spec("linear_onecycle_schedule(transition_steps=100, peak_value=1)"),
            (0, 0.04), (15, 0.52), (30, 1), (85, 0.04), (90, 0.04 + (4e-6 - 0.04) / 3), (100, 4e-6), (200, 4e-6));
        AssertValues(Spec("cosine_onecycle_schedule(transition_steps=100, peak_value=1)"),
            (0, 0.04), (15, 0.52), (30, 1), (65, (1 + 4e-6) / 2), (100, 4e-6));
    }

    [Fact]
    public void JoinSchedules_EachScheduleSeesStepsFromItsBoundary() =>
        AssertValues(Spec("join_schedules(schedules=[constant_schedule(value=1), linear_schedule(init_value=1, end_value=0, transition_steps=10)], boundaries=[5])"),
            (0, 1), (4, 1), (5, 1), (10, 0.5), (15, 0), (100, 0));

    [Fact]
    public void Sgdr_RestartsEachCycle()
    {
        var s = Spec("sgdr_schedule(cosine_kwargs=[warmup_cosine_decay_schedule(init_value=0, peak_value=1, warmup_steps=10, decay_steps=30)," +
                     " warmup_cosine_decay_schedule(init_value=0, peak_value=0.5, warmup_steps=0, decay_steps=20)])");
        AssertValues(s, (0, 0), (5, 0.5), (10, 1), (20, 0.5), (30, 0.5), (40, 0.25), (50, 0), (80, 0));
    }

    [Fact]
    public void Spec_WarmupCosineInAdam_DrivesTheLearningRate()
    {
        var set = new ParameterSet();
        var w = set.Add("w", [3], [1f, 2f, 3f]);
        var optimizer = new Optimizer(SpecRegistry.Default.Create(
            "adam(lr=warmup_cosine_decay_schedule(init_value=0, peak_value=1e-3, warmup_steps=100, decay_steps=1000))"), set);
        var grads = new GradientSet(set);
        Assert.Equal(0, optimizer.LearningRate);
        for (int i = 0; i < 50; i++)
        {
            grads.Set(w, [1f, 1f, 1f]);
            optimizer.Step(grads);
        }
        Assert.Equal(5e-4, optimizer.LearningRate!.Value, 15);
        Assert.Equal(5e-4, optimizer.LearningRateOf(w)!.Value, 15);
    }

    [Fact]
    public void AddDecayedWeights_AcceptsASchedule()
    {
        var set = new ParameterSet();
        var w = set.Add("w", [1], [1f]);
        var optimizer = new Optimizer(SpecRegistry.Default.Create("add_decayed_weights(weight_decay=linear_schedule(init_value=1, end_value=0, transition_steps=2))"), set);
        var grads = new GradientSet(set);
        grads.Set(w, [0f]);
        optimizer.Step(grads);   // u = 0 + 1·1 → w = 2
        grads.Set(w, [0f]);
        optimizer.Step(grads);   // u = 0 + 0.5·2 → w = 3
        grads.Set(w, [0f]);
        optimizer.Step(grads);   // u = 0 + 0·3 → w = 3
        Assert.Equal(3f, w.Values[0]);
    }

    [Theory]
    [InlineData("cosine_decay_schedule(init_value=1, decay_steps=0)", "decay_steps")]
    [InlineData("warmup_cosine_decay_schedule(init_value=0, peak_value=1, warmup_steps=100, decay_steps=100)", "decay_steps")]
    [InlineData("linear_schedule(init_value=1, end_value=0, transition_steps=-1)", "transition_steps")]
    [InlineData("exponential_decay(init_value=1, transition_steps=10, decay_rate=-0.5)", "decay_rate")]
    [InlineData("piecewise_constant_schedule(init_value=1, boundaries_and_scales=[(10, -0.5)])", "boundaries_and_scales")]
    [InlineData("piecewise_interpolate_schedule(interpolate_type='quadratic', init_value=1)", "interpolate_type")]
    [InlineData("linear_schedule(init_value=1, end_value=0)", "transition_steps")]
    [InlineData("linear_schedule(init_value=1, end_value=0, transition_steps=2.5)", "transition_steps")]
    [InlineData("join_schedules(schedules=[constant_schedule(value=1)], boundaries=[5])", "boundaries")]
    [InlineData("linear_onecycle_schedule(transition_steps=0, peak_value=1)", "transition_steps")]
    [InlineData("constant_schedule(value=1, extra=2)", "extra")]
    public void InvalidArguments_AreRejected_NamingTheArgument(string spec, string argument)
    {
        var e = Assert.Throws<SpecException>(() => Spec(spec));
        Assert.Contains(argument, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CSharpFactories_RejectNonFiniteValues()
    {
        Assert.Equal("init_value", Assert.Throws<ArgumentOutOfRangeException>(() => Schedules.Linear(double.NaN, 0, 10)).ParamName);
        Assert.Equal("alpha", Assert.Throws<ArgumentOutOfRangeException>(() => Schedules.CosineDecay(1, 10, double.PositiveInfinity)).ParamName);
        Assert.Equal("value", Assert.Throws<ArgumentOutOfRangeException>(() => Schedules.Constant(double.NegativeInfinity)).ParamName);
    }
}
