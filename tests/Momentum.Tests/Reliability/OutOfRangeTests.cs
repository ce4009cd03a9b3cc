using Momentum.Cli.Commands;
using Momentum.IO;
using Momentum.Specs;
using Momentum.Tests.Parity;

namespace Momentum.Tests.Reliability;

/// <summary>
/// Issue 13 item 8: values out of range are rejected where they enter, with the argument's (or tensor's) name: F64
/// parameters and gradients beyond float32's range (once silently ±∞), Muon's ns_steps beyond 100 (once accepted up to
/// 2³¹, and wrapped around above it), and whole-step wrappers inside a combinator or parameter groups (once accepted,
/// failing at the first step).
/// </summary>
public sealed class OutOfRangeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("momentum-range-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (int Code, string Error) Replay(string spec, string init, string grads)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = ReplayCommand.Execute(spec, init, grads, Path.Combine(_dir, "out.safetensors"), null, "propagate", stdout, stderr);
        return (code, stderr.ToString());
    }

    [Theory]
    [InlineData(1e39)]
    [InlineData(-1e300)]
    [InlineData(double.MaxValue)]
    public void Replay_F64BeyondFloat32_IsRefusedNamingTheTensorAndElement(double value)
    {
        string init = Path.Combine(_dir, "init.safetensors"), grads = Path.Combine(_dir, "grads.safetensors");
        new SafeTensorsWriter().Add("w", [1.0, value, 2.0], 3).WriteAtomic(init);
        new SafeTensorsWriter().Add("0/w", [1f, 1f, 1f], 3).WriteAtomic(grads);
        var (code, error) = Replay("sgd(lr=0.1)", init, grads);
        Assert.Equal(2, code);
        Assert.Contains("tensor 'w'", error);
        Assert.Contains("element 1", error);
        Assert.Contains("float32", error);

        new SafeTensorsWriter().Add("w", [1.0, 2.0, 3.0], 3).WriteAtomic(init);
        new SafeTensorsWriter().Add("0/w", [0.5, 0.25, value], 3).WriteAtomic(grads);
        (code, error) = Replay("sgd(lr=0.1)", init, grads);
        Assert.Equal(2, code);
        Assert.Contains("tensor '0/w'", error);
        Assert.Contains("element 2", error);
    }

    /// <summary>F64 values that are not finite in the file, or that round into float32's range, keep converting as before.</summary>
    [Fact]
    public void ReadParameters_F64WithinFloat32OrNotFinite_Converts()
    {
        double justBelow = float.MaxValue;
        var file = SafeTensorsFile.Read(new SafeTensorsWriter().Add("w", [justBelow, double.NaN, double.NegativeInfinity, 1e-50], 4).ToArray());
        var set = Momentum.IO.Replay.ReadParameters(file);
        Assert.Equal([float.MaxValue, float.NaN, float.NegativeInfinity, 0f], set["w"].Values.ToArray());
    }

    [Theory]
    [InlineData("scale_by_muon(ns_steps=101)")]
    [InlineData("scale_by_muon(ns_steps=4294967301)")]      // once wrapped around to 5
    [InlineData("muon(lr=0.02, ns_steps=1000)")]
    public void Muon_NsStepsPastTheLimit_IsRejectedWithItsName(string spec)
    {
        var e = Assert.Throws<SpecException>(() => SpecRegistry.Default.Create(spec));
        Assert.Contains("ns_steps", e.Message);
    }

    [Fact]
    public void ScaleByMuon_NsStepsPastTheLimit_ThrowsForNsSteps()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Transforms.ScaleByMuon(nsSteps: 101));
        Assert.Equal("ns_steps", e.ParamName);
        Assert.NotNull(Transforms.ScaleByMuon(nsSteps: 100));
    }

    public static TheoryData<string> NestedWrapperSpecs =>
    [
        "chain(lookahead(adam(lr=0.01), sync_period=2, slow_step_size=0.5), scale(step_size=1))",
        "lookahead(adam(lr=0.01), sync_period=2, slow_step_size=0.5, groups=[group(params='b', sync_period=3)])",
        "dadapt_adamw(groups=[group(params='b', weight_decay=0.1)])",
        "masked(apply_if_finite(sgd(lr=0.1), max_consecutive_errors=2), mask='w')",
        "partition(transforms=[('a', lookahead(adam(lr=0.01), sync_period=2, slow_step_size=0.5)), ('b', sgd(lr=0.1))], param_labels=[('w', 'a'), ('*', 'b')])",
    ];

    [Theory]
    [MemberData(nameof(NestedWrapperSpecs))]
    public void WrapperInsideACombinator_IsRejectedWhenBuilt(string spec)
    {
        var e = Assert.Throws<SpecException>(() => SpecRegistry.Default.Create(spec));
        Assert.Contains("must be the outermost transformation", e.Message);
    }

    [Fact]
    public void WrapperInsideACombinator_ThrowsNamingTheArgument()
    {
        var wrapper = Transforms.Lookahead(Optimizers.Sgd(new SgdOptions { LearningRate = 0.1 }), 2, 0.5);
        Assert.Equal("transformations", Assert.Throws<ArgumentException>(() => Transforms.Chain(Transforms.Identity(), wrapper)).ParamName);
        Assert.Equal("transformations", Assert.Throws<ArgumentException>(() => Transforms.NamedChain(("a", wrapper))).ParamName);
        Assert.Equal("inner", Assert.Throws<ArgumentException>(() => Transforms.Masked(wrapper, _ => true)).ParamName);
        Assert.Equal("transformations", Assert.Throws<ArgumentException>(() =>
            Transforms.Partition(_ => "a", new Dictionary<string, GradientTransformation> { ["a"] = wrapper })).ParamName);
        Assert.NotNull(Transforms.Lookahead(Transforms.ApplyIfFinite(Optimizers.Sgd(new SgdOptions { LearningRate = 0.1 }), 2), 2, 0.5));   // wrappers nest in wrappers
    }

    /// <summary>A constant learning rate or weight decay beyond float32's range would multiply every update by ±∞ (a
    /// constant weight decay was not even checked at each step): it is rejected when built.</summary>
    [Theory]
    [InlineData("adam(lr=1e300)", "Invalid learning rate")]
    [InlineData("sgd(lr=4e38)", "Invalid learning rate")]
    [InlineData("add_decayed_weights(weight_decay=1e300)", "Invalid weight_decay value")]
    [InlineData("chain(scale_by_adam(), scale_by_learning_rate(learning_rate=1e39))", "Invalid learning rate")]
    public void ConstantBeyondFloat32_IsRejectedWhenBuilt(string spec, string message)
    {
        var e = Assert.Throws<SpecException>(() => SpecRegistry.Default.Create(spec));
        Assert.Contains(message, e.Message);
    }
}
