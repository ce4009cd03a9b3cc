using System.Text.Json;
using Momentum.IO;
using Momentum.Specs;
using Momentum.Tests.Common;
using Momentum.Tests.Parity;

namespace Momentum.Tests.TorchOptim;

/// <summary>
/// The rest of torch.optim (rmsprop, adagrad, adadelta, adamax, nadam, radam, rprop, asgd) beyond the parity replay in
/// <see cref="TorchParityTests"/>: torch's validation messages, ASGD's averages, skipped versus zero gradients, and
/// identical bits for any thread count and for vector versus scalar paths.
/// </summary>
public class TorchOptimizerTests
{
    private static readonly string[] s_names = ["rmsprop", "adagrad", "adadelta", "adamax", "nadam", "radam", "rprop", "asgd"];

    /// <summary>Specs that switch on every optional stage (maximize, weight decay, momentum, centered, decoupled decay).</summary>
    public static TheoryData<string> FullSpecs => new()
    {
        "rmsprop(lr=0.01, weight_decay=0.1, momentum=0.9, centered=true, maximize=true)",
        "rmsprop(lr=0.01)",
        "adagrad(lr=0.1, lr_decay=0.1, weight_decay=0.1, initial_accumulator_value=0.2, maximize=true)",
        "adadelta(lr=0.5, weight_decay=0.1, maximize=true)",
        "adamax(lr=0.01, weight_decay=0.1, maximize=true)",
        "nadam(lr=0.01, weight_decay=0.1, maximize=true)",
        "nadam(lr=0.01, weight_decay=0.1, decoupled_weight_decay=true)",
        "radam(lr=0.01, weight_decay=0.1, maximize=true)",
        "radam(lr=0.01, weight_decay=0.1, decoupled_weight_decay=true)",
        "rprop(lr=0.01, maximize=true)",
        "asgd(lr=0.05, lambd=0.01, t0=2, weight_decay=0.1, maximize=true)",
    };

    public static TheoryData<string, string> ValidationCases()
    {
        var data = new TheoryData<string, string>();
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(TorchParityTests.FixtureDirectory, "validation.json")));
        foreach (var entry in doc.RootElement.EnumerateArray())
        {
            string spec = entry.GetProperty("spec").GetString()!;
            if (s_names.Contains(spec[..spec.IndexOf('(')])) data.Add(spec, entry.GetProperty("error").GetString()!);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ValidationCases))]
    public void InvalidHyperparameter_FailsWithTorchsMessage(string spec, string torchError)
    {
        var e = Assert.Throws<SpecException>(() => SpecRegistry.Default.Create(spec));
        Assert.Contains(torchError, e.Message);
    }

    [Fact]
    public void ValidationFixtures_CoverEveryOptimizer()
    {
        var specs = ValidationCases().Select(row => (string)row[0]).ToList();
        foreach (string name in s_names) Assert.Contains(specs, s => s.StartsWith(name + "(", StringComparison.Ordinal));
    }

    [Fact]
    public void ParityFixtures_CoverEveryOptimizerAndEveryArgument()
    {
        var specs = TorchParityTests.Cases().Select(row => (string)row[1]).ToList();
        var arguments = new Dictionary<string, string[]>
        {
            ["rmsprop"] = ["lr", "alpha", "eps", "weight_decay", "momentum", "centered", "maximize"],
            ["adagrad"] = ["lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps", "maximize"],
            ["adadelta"] = ["lr", "rho", "eps", "weight_decay", "maximize"],
            ["adamax"] = ["lr", "betas", "eps", "weight_decay", "maximize"],
            ["nadam"] = ["lr", "betas", "eps", "weight_decay", "momentum_decay", "decoupled_weight_decay", "maximize"],
            ["radam"] = ["lr", "betas", "eps", "weight_decay", "decoupled_weight_decay", "maximize"],
            ["rprop"] = ["lr", "etas", "step_sizes", "maximize"],
            ["asgd"] = ["lr", "lambd", "alpha", "t0", "weight_decay", "maximize"],
        };
        foreach (var (name, keys) in arguments)
        {
            Assert.Contains(specs, s => s == name + "()");
            foreach (string key in keys) Assert.Contains(specs, s => s.StartsWith(name + "(", StringComparison.Ordinal) && s.Contains(key + "="));
        }
    }

    [Fact]
    public void Options_InvalidValues_NameTheArgument()
    {
        Assert.Equal("alpha", Assert.Throws<ArgumentOutOfRangeException>(() => Momentum.Optimizers.RmsProp(new RmsPropOptions { Alpha = double.NaN })).ParamName);
        Assert.Equal("lr", Assert.Throws<ArgumentOutOfRangeException>(() => Momentum.Optimizers.Adagrad(new AdagradOptions { LearningRate = double.PositiveInfinity })).ParamName);
        Assert.Equal("rho", Assert.Throws<ArgumentOutOfRangeException>(() => Momentum.Optimizers.Adadelta(new AdadeltaOptions { Rho = 1.5 })).ParamName);
        Assert.Equal("momentum_decay", Assert.Throws<ArgumentOutOfRangeException>(() => Momentum.Optimizers.NAdam(new NAdamOptions { MomentumDecay = -1 })).ParamName);
        Assert.Equal("etas", Assert.Throws<ArgumentOutOfRangeException>(() => Momentum.Optimizers.Rprop(new RpropOptions { EtaPlus = double.NaN })).ParamName);
        Assert.Equal("step_sizes", Assert.Throws<ArgumentOutOfRangeException>(() => Momentum.Optimizers.Rprop(new RpropOptions { MinStepSize = 1, MaxStepSize = 0.5 })).ParamName);
        Assert.Equal("t0", Assert.Throws<ArgumentOutOfRangeException>(() => Momentum.Optimizers.Asgd(new AsgdOptions { T0 = double.NaN })).ParamName);
    }

    public static TheoryData<string> AsgdCases()
    {
        var data = new TheoryData<string>();
        foreach (var row in TorchParityTests.Cases())
            if (((string)row[1]).StartsWith("asgd(", StringComparison.Ordinal)) data.Add((string)row[0]);
        return data;
    }

    [Theory]
    [MemberData(nameof(AsgdCases))]
    public void AsgdAverage_MatchesTorchsAx(string name)
    {
        string dir = TorchParityTests.FixtureDirectory;
        var parameters = Replay.ReadParameters(SafeTensorsFile.Read(Path.Combine(dir, $"{name}.init.safetensors")));
        var gradients = Replay.ReadGradients(SafeTensorsFile.Read(Path.Combine(dir, $"{name}.grads.safetensors")), parameters);
        var spec = SafeTensorsFile.Read(Path.Combine(dir, $"{name}.init.safetensors")).Metadata["spec"];
        var optimizer = Replay.Run(SpecRegistry.Default.Create(spec), parameters, gradients);
        var expected = SafeTensorsFile.Read(Path.Combine(dir, $"{name}.ax.safetensors"));
        Assert.Equal(parameters.Count, expected.Tensors.Count);
        foreach (var tensor in expected.Tensors)
        {
            float[] torch = tensor.ToSingle();
            var ours = Momentum.Optimizers.AsgdAverage(optimizer, parameters[tensor.Name]);
            Assert.Equal(torch.Length, ours.Length);
            for (int i = 0; i < torch.Length; i++)
                Assert.True(Math.Abs(ours[i] - torch[i]) <= 2e-5 + 1e-4 * Math.Abs(torch[i]), $"{name}: ax {tensor.Name}[{i}] = {ours[i]:R}, torch {torch[i]:R}");
        }
    }

    [Fact]
    public void AsgdAverage_WithoutStateOrStage_Throws()
    {
        var set = new ParameterSet();
        var p = set.Add("p", [3]);
        Assert.Throws<InvalidOperationException>(() => Momentum.Optimizers.AsgdAverage(new Optimizer(Momentum.Optimizers.Asgd(), set), p));
        Assert.Throws<ArgumentException>("optimizer", () => Momentum.Optimizers.AsgdAverage(new Optimizer(Momentum.Optimizers.RmsProp(), set), p));
    }

    [Theory]
    [MemberData(nameof(FullSpecs))]
    public void NoGradient_SkipsEntirely_ZeroGradient_IsARealStep(string spec)
    {
        var set = new ParameterSet();
        var frozen = set.Add("frozen", [2, 3], [0.5f, -1f, 1.5f, -2f, 2.5f, -3f]);
        var zero = set.Add("zero", [2, 3], [0.5f, -1f, 1.5f, -2f, 2.5f, -3f]);
        var live = set.Add("live", [4], [1f, 2f, 3f, 4f]);
        var optimizer = new Optimizer(SpecRegistry.Default.Create(spec), set);
        var grads = new GradientSet(set);
        float[] frozenBefore = frozen.Values.ToArray();
        for (int step = 0; step < 7; step++)
        {
            grads.ClearAll();
            grads.Set(live, [0.1f * step, -0.2f, 0.3f, -0.4f]);
            if (step >= 4) grads.Get(zero, clear: true);
            optimizer.Step(grads);
        }
        Assert.Equal(frozenBefore, frozen.Values.ToArray());
        Assert.False(optimizer.HasState(frozen));
        Assert.True(optimizer.HasState(zero));
        // Every stage that counts steps counts the parameter's own: 3 zero-gradient steps and 7 live ones.
        var counts = optimizer.States.Where(s => s.State.Scalars.Any(x => x.Slot == "count")).ToList();
        Assert.Contains(counts, s => s.Parameter == zero);
        foreach (var (parameter, _, state) in counts)
            Assert.Equal(parameter == zero ? 3 : 7, state.Scalars.Single(x => x.Slot == "count").Get());
    }

    [Theory]
    [MemberData(nameof(FullSpecs))]
    public void AnyThreadCount_GivesIdenticalBits(string spec)
    {
        float[] Run(int threads)
        {
            var set = new ParameterSet();
            var big = set.Add("big", [40_000], [.. Enumerable.Range(0, 40_000).Select(i => MathF.Sin(i * 0.37f))]);
            var small = set.Add("small", [7], [1f, -2f, 3f, -4f, 5f, -6f, 7f]);
            var optimizer = new Optimizer(SpecRegistry.Default.Create(spec), set, new OptimizerOptions { Threads = threads });
            var grads = new GradientSet(set);
            for (int step = 0; step < 8; step++)
            {
                var g = grads.Get(big);
                for (int i = 0; i < g.Length; i++) g[i] = MathF.Cos(i * 0.11f + step) * (step % 3 == 2 ? -1 : 1);
                grads.Set(small, [0.1f, 0.2f, -0.3f, 0.4f, -0.5f, 0.6f, step]);
                optimizer.Step(grads);
            }
            return [.. big.Values.ToArray(), .. small.Values.ToArray()];
        }

        float[] one = Run(1);
        float[] three = Run(3);
        Assert.Equal(one.Select(BitConverter.SingleToInt32Bits), three.Select(BitConverter.SingleToInt32Bits));
    }

    [Theory]
    [MemberData(nameof(FullSpecs))]
    public void VectorBodyAndScalarTail_GiveIdenticalBits(string spec)
    {
        const int n = 67; // 4 Vector512 bodies (or 8 Vector256), then a 3-element scalar tail
        float Value(int i) => (i % 5 - 2) * 0.75f + i * 0.01f;
        float Grad(int i, int step) => MathF.Sin(i * 1.3f + step * 0.7f) * (i % 7 == 0 ? 0 : 1);

        var set = new ParameterSet();
        var vector = set.Add("vector", [n], [.. Enumerable.Range(0, n).Select(Value)]);
        var scalars = Enumerable.Range(0, n).Select(i => set.Add($"s{i}", [], [Value(i)])).ToArray();
        var optimizer = new Optimizer(SpecRegistry.Default.Create(spec), set, new OptimizerOptions { Threads = 1 });
        var grads = new GradientSet(set);
        for (int step = 0; step < 9; step++)
        {
            var g = grads.Get(vector);
            for (int i = 0; i < n; i++)
            {
                g[i] = Grad(i, step);
                grads.Set(scalars[i], [Grad(i, step)]);
            }
            optimizer.Step(grads);
        }
        for (int i = 0; i < n; i++)
            Assert.Equal(BitConverter.SingleToInt32Bits(scalars[i].Values[0]), BitConverter.SingleToInt32Bits(vector.Values[i]));
    }

    [Fact]
    public void Adagrad_AccumulatorStartsAtInitialValue_EvenBeforeTheFirstGradient()
    {
        var set = new ParameterSet();
        var p = set.Add("p", [2, 3]);
        var optimizer = new Optimizer(Momentum.Optimizers.Adagrad(new AdagradOptions { InitialAccumulatorValue = 0.25 }), set);
        optimizer.InitializeAllState();
        var state = optimizer.States.Single(s => s.State is ScaleByTorchAdagradState).State;
        Assert.All(state.Tensors.Single(t => t.Slot == "sum").Buffer.Span.ToArray(), v => Assert.Equal(0.25f, v));
        Assert.Equal(p.Values.ToArray(), new float[6]);
    }

    [Fact]
    public void Rprop_FirstStep_MovesEveryElementByLrAgainstTheGradientSign()
    {
        var set = new ParameterSet();
        var p = set.Add("p", [4], [100f, -100f, 0.5f, 3f]);
        var optimizer = new Optimizer(Momentum.Optimizers.Rprop(new RpropOptions { LearningRate = 0.125 }), set);
        var grads = new GradientSet(set);
        grads.Set(p, [2f, -3f, 0f, 1e-30f]);
        optimizer.Step(grads);
        Assert.Equal([99.875f, -99.875f, 0.5f, 2.875f], p.Values.ToArray());
    }

    [Theory]
    [MemberData(nameof(FullSpecs))]
    public void CheckpointSaveLoadContinue_IsBitExact(string spec)
    {
        static ParameterSet Make()
        {
            var set = new ParameterSet();
            set.Add("w", [3, 5], [.. Enumerable.Range(0, 15).Select(i => MathF.Cos(i))]);
            set.Add("b", [4], [0.5f, -0.5f, 1f, -1f]);
            return set;
        }

        static void Steps(Optimizer optimizer, int from, int count)
        {
            var grads = new GradientSet(optimizer.Parameters);
            for (int t = from; t < from + count; t++)
            {
                grads.ClearAll();
                foreach (var p in optimizer.Parameters)
                {
                    if ((t + p.Length) % 5 == 0) continue; // no gradient now and then
                    var g = grads.Get(p);
                    for (int i = 0; i < g.Length; i++) g[i] = MathF.Sin(t * 0.9f + i) * (t % 4 == 3 ? 0 : 1);
                }
                optimizer.Step(grads);
            }
        }

        string path = Path.Combine(Path.GetTempPath(), $"momentum-torchoptim-{Guid.NewGuid():N}.safetensors");
        try
        {
            var straight = new Optimizer(SpecRegistry.Default.Create(spec), Make());
            Steps(straight, 0, 7);
            Checkpoint.Save(path, straight);
            Steps(straight, 7, 7);
            var resumed = new Optimizer(SpecRegistry.Default.Create(spec), Make());
            Checkpoint.Load(path, resumed);
            Steps(resumed, 7, 7);
            foreach (var p in straight.Parameters)
                Assert.Equal(p.Values.ToArray(), resumed.Parameters[p.Name].Values.ToArray());
            if (spec.StartsWith("asgd", StringComparison.Ordinal))
                foreach (var p in straight.Parameters)
                    Assert.Equal(Momentum.Optimizers.AsgdAverage(straight, p).ToArray(), Momentum.Optimizers.AsgdAverage(resumed, resumed.Parameters[p.Name]).ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [MemberData(nameof(FullSpecs))]
    public void SteadyStateStep_AllocatesNothing(string spec)
    {
        Assert.Equal(0, SteadyStateAllocation.BytesOverTenSteps(spec));
    }
}
