using System.Globalization;
using Momentum.Specs;
using Momentum.Tests.Engine;

namespace Momentum.Tests.Specs;

/// <summary>The binder that reads options records from specs through their <see cref="SpecAttribute"/> properties.</summary>
public class SpecBindingTests
{
    [Theory]
    [InlineData(0.0, "0")]
    [InlineData(1e-3, "1e-3")]
    [InlineData(0.0025, "2.5e-3")]
    [InlineData(0.01, "1e-2")]
    [InlineData(1e-8, "1e-8")]
    [InlineData(1.5e-30, "1.5e-30")]
    [InlineData(0.1, "0.1")]
    [InlineData(0.9999, "0.9999")]
    [InlineData(1.0, "1")]
    [InlineData(5.0, "5")]
    [InlineData(128.0, "128")]
    [InlineData(100000.0, "100000")]
    [InlineData(1e6, "1e6")]
    [InlineData(1.25e20, "1.25e20")]
    [InlineData(-4.775, "-4.775")]
    [InlineData(-1e-4, "-1e-4")]
    public void FormatNumber_WritesTheShortForm(double value, string expected) => Assert.Equal(expected, SpecBinding.FormatNumber(value));

    [Fact]
    public void FormatNumber_ReadsBackAsTheSameDouble()
    {
        var random = new Random(12);
        for (int i = 0; i < 10_000; i++)
        {
            double value = (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-40, 40));
            string text = SpecBinding.FormatNumber(value);
            Assert.Equal(value, double.Parse(text, CultureInfo.InvariantCulture));
            Assert.Equal(value, Assert.IsType<SpecNumber>(Assert.Single(SpecParser.Parse($"x(v={text})").Arguments).Value).Value);
        }
    }

    [Fact]
    public void Alias_LrAndLearningRate_BuildTheSame()
    {
        var viaLr = Steps("adan(lr=0.01)");
        EngineTestData.AssertSameBits(viaLr, Steps("adan(learning_rate=0.01)"), "adan");
        Assert.NotEqual(Steps("adan()"), viaLr);
    }

    [Theory]
    [InlineData("adan(lr=0.1, learning_rate=0.1)", "'adan' takes learning_rate or lr, not both")]
    [InlineData("adopt()", "'adopt' needs the argument 'learning_rate' (or 'lr')")]
    [InlineData("adopt(b1=0.8)", "'adopt' needs the argument 'learning_rate' (or 'lr')")]
    [InlineData("adam(lr=0.1, learning_rate=0.1)", "'adam' takes lr or learning_rate, not both")]
    [InlineData("rprop(etas=(0.5,))", "argument 'etas' of 'rprop' must be a tuple of 2 numbers")]
    [InlineData("rprop(lr=cosine_decay_schedule(init_value=0.1, decay_steps=10))", "argument 'lr' of 'rprop' must be a number")]
    [InlineData("optax.rprop(learning_rate=cosine_decay_schedule(init_value=0.1, decay_steps=10))", "argument 'learning_rate' of 'optax.rprop' must be a number")]
    [InlineData("adam(step_count='per_step')", "argument 'step_count' of 'adam' must be 'per_tensor', 'per_row' or 'none', not 'per_step'")]
    [InlineData("adam(step_count=1)", "argument 'step_count' of 'adam' must be a quoted string")]
    [InlineData("sgd(nesterov=1)", "argument 'nesterov' of 'sgd' must be true or false")]
    [InlineData("polyak_sgd(variant=1)", "argument 'variant' of 'polyak_sgd' must be a quoted string")]
    [InlineData("adafactor(min_dim_size_to_factor=1.5)", "argument 'min_dim_size_to_factor' of 'adafactor' must be a whole number")]
    [InlineData("muon(lr=0.02, ns_steps=3000000000)", "argument 'ns_steps' of 'muon' is out of range")]
    [InlineData("schedule_free_sgd(warmup_steps=3000000000)", "argument 'warmup_steps' of 'schedule_free_sgd' is out of range")]
    [InlineData("optax.nadam(nesterov=false)", "unknown argument 'nesterov' for 'optax.nadam'")]
    [InlineData("nadamw(nesterov=true)", "unknown argument 'nesterov' for 'nadamw'")]
    [InlineData("adamw(bfloat16_state=true)", "unknown argument 'bfloat16_state' for 'adamw'")]
    [InlineData("muon(lr=0.02, ns_coeffs=\"newton\")", "Unknown ns_coeffs preset 'newton'")]
    public void BadArguments_AreErrors(string spec, string message) =>
        Assert.Contains(message, Assert.Throws<SpecException>(() => SpecRegistry.Default.Create(spec)).Message);

    [Fact]
    public void Custom_KeywordIsReadByTheRegistration()
    {
        var dion = Steps("muon(lr=0.02, ns_coeffs=\"dion\")");
        Assert.NotEqual(Steps("muon(lr=0.02)"), dion);
        EngineTestData.AssertSameBits(Steps("muon(lr=0.02)"), Steps("muon(lr=0.02, ns_coeffs=\"standard\")"), "muon");
    }

    [Fact]
    public void Bind_GivenKeywords_SetTheirPropertiesAndLeaveTheRest()
    {
        var binding = SpecBinding.For<AdamOptions>();
        var options = (AdamOptions)Bind(binding, "adam(lr=0.5, betas=(0.7, 0.8), amsgrad=true, step_count='per_row')");
        Assert.Equal(0.5, options.LearningRate.Evaluate(0));
        Assert.Equal((0.7, 0.8), (options.Beta1, options.Beta2));
        Assert.True(options.Amsgrad);
        Assert.Equal(StepCounting.PerRow, options.StepCounting);
        Assert.Equal(new AdamOptions() with { LearningRate = options.LearningRate, Beta1 = 0.7, Beta2 = 0.8, Amsgrad = true, StepCounting = StepCounting.PerRow }, options);
    }

    [Fact]
    public void Summary_IsTheTitleTheKeywordsAndTheNote()
    {
        Assert.Equal("torch.optim.Rprop(lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize=false)", SpecBinding.For<RpropOptions>().Summary("torch.optim.Rprop", null));
        Assert.Equal("t(learning_rate, b1=0.9, b2=0.9999, eps=1e-6, nesterov=false, use_clipping=true): n", SpecBinding.For<AdoptOptions>().Summary("t", "n"));
        Assert.Equal("t(learning_rate=1e-3, b1=0.9, b2=0.999, eps=1e-8, eps_root=0)", SpecBinding.For<OptaxAdamOptions>(nameof(OptaxAdamOptions.Nesterov)).Summary("t", null));
    }

    [Fact]
    public void For_RejectsRecordsItCannotBind()
    {
        Assert.Contains("cannot read", Assert.Throws<InvalidOperationException>(() => SpecBinding.For<UnreadableOptions>()).Message);
        Assert.Contains("twice", Assert.Throws<InvalidOperationException>(() => SpecBinding.For<TwiceOptions>()).Message);
        Assert.Contains("numbered 0, 1", Assert.Throws<InvalidOperationException>(() => SpecBinding.For<GapOptions>()).Message);
        Assert.Contains("must be doubles", Assert.Throws<InvalidOperationException>(() => SpecBinding.For<TupleOfBoolOptions>()).Message);
        Assert.Contains("no [Spec] property", Assert.Throws<InvalidOperationException>(() => SpecBinding.For<PlainOptions>()).Message);
        Assert.Contains("no property Missing", Assert.Throws<InvalidOperationException>(() => SpecBinding.For<AdamOptions>("Missing")).Message);
    }

    private static object Bind(SpecBinding binding, string spec)
    {
        var call = SpecParser.Parse(spec);
        object? result = null;
        // Bind inside a registry so that the arguments carry their registry, as every factory's do.
        var registry = new SpecRegistry();
        registry.Register(call.Name, "test", spec, a =>
        {
            result = binding.Bind(a);
            return Transforms.Identity();
        });
        registry.Create(call);
        return result!;
    }

    private static List<(string What, long Bits)> Steps(string spec) => SpecDefaultsTests.Run(SpecRegistry.Default.Create(spec));

    private sealed record UnreadableOptions
    {
        [Spec("f")]
        public Func<int>? F { get; init; }
    }

    private sealed record TwiceOptions
    {
        [Spec("x")]
        public double X { get; init; }

        [Spec("y", "x")]
        public double Y { get; init; }
    }

    private sealed record GapOptions
    {
        [Spec("pair", Item = 0)]
        public double A { get; init; }

        [Spec("pair", Item = 2)]
        public double B { get; init; }
    }

    private sealed record TupleOfBoolOptions
    {
        [Spec("pair", Item = 0)]
        public bool A { get; init; }

        [Spec("pair", Item = 1)]
        public bool B { get; init; }
    }

    private sealed record PlainOptions
    {
        public double X { get; init; }
    }
}
