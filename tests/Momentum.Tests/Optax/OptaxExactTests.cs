using Momentum.Specs;

namespace Momentum.Tests.Optax;

/// <summary>Exact small cases from Optax's tests and doctests (optax.md §4.1 B and C), and the ACProp second-moment test.</summary>
public class OptaxExactTests
{
    /// <summary>Feeds <paramref name="inputs"/> one per step into a one-element parameter at 0 and returns each step's update.</summary>
    private static float[] Outputs(GradientTransformation transformation, params float[] inputs)
    {
        var set = new ParameterSet();
        var p = set.Add("x", [1], [0f]);
        var optimizer = new Optimizer(transformation, set);
        var grads = new GradientSet(set);
        var outputs = new float[inputs.Length];
        for (int k = 0; k < inputs.Length; k++)
        {
            float before = p.Values[0];
            grads.Set(p, [inputs[k]]);
            optimizer.Step(grads);
            outputs[k] = p.Values[0] - before;
        }
        return outputs;
    }

    [Fact]
    public void OptimisticGradient_2_3_4_Gives_2_4_5() =>
        Assert.Equal([2f, 4f, 5f], Outputs(Transforms.ScaleByOptimisticGradient(), 2f, 3f, 4f));

    [Fact]
    public void OptimisticGradient_FirstStepIsAlphaTimesGradient() =>
        Assert.Equal(0.7f * 3f, Outputs(Transforms.ScaleByOptimisticGradient(0.7, 0.1), 3f)[0], 1e-6f);

    [Fact]
    public void Ema_NoDebias_5_7_Gives_05_115()
    {
        var o = Outputs(Transforms.Ema(0.9, debias: false), 5f, 7f);
        Assert.Equal(0.5f, o[0], 1e-6f);
        Assert.Equal(1.15f, o[1], 1e-5f);
    }

    [Fact]
    public void Ema_Debias_5_7_Gives_5_60526()
    {
        var o = Outputs(Transforms.Ema(0.9), 5f, 7f);
        Assert.Equal(5f, o[0], 1e-5f);
        Assert.Equal((0.7 + 0.45) / 0.19, o[1], 1e-4);
    }

    [Fact]
    public void Lion_RefinedMode_IsLinearBelowOne()
    {
        // c = (1−β1)·g on the first step: 0.1·5 = 0.5 stays, 0.1·30 = 3 becomes 1.
        Assert.Equal([0.5f], Outputs(Transforms.Chain(Transforms.ScaleByLion(mode: "refined"), Transforms.Scale(1)), 5f));
        Assert.Equal([1f], Outputs(Transforms.Chain(Transforms.ScaleByLion(mode: "refined"), Transforms.Scale(1)), 30f));
        Assert.Equal([1f], Outputs(Transforms.ScaleByLion(), 5f));
        Assert.Throws<ArgumentException>(() => Transforms.ScaleByLion(mode: "smooth"));
    }

    [Fact]
    public void OptaxAdamW_Mask_DecaysOnlySelectedParameters()
    {
        var set = new ParameterSet();
        var w = set.Add("w", [1], [2f]);
        var bias = set.Add("bias", [1], [2f]);
        var optimizer = new Optimizer(Optimizers.OptaxAdamW(new OptaxAdamWOptions { LearningRate = 0.1, WeightDecay = 0.5, Mask = p => p.Name != "bias" }), set);
        var grads = new GradientSet(set);
        grads.Set(w, [0f]);
        grads.Set(bias, [0f]);
        optimizer.Step(grads);
        Assert.Equal(2f - 0.1f * 0.5f * 2f, w.Values[0], 1e-6f);
        Assert.Equal(2f, bias.Values[0]);
    }

    [Fact]
    public void Sign_MapsToMinusOneZeroOne() =>
        Assert.Equal([1f, -1f, 0f], Outputs(Transforms.ScaleBySign(), 3f, -0.5f, 0f));

    /// <summary>optax/contrib/_acprop_test.py::test_second_moment_uses_new_first_moment (commit bdd0ad77).</summary>
    [Fact]
    public void AcProp_SecondMomentUsesNewFirstMoment()
    {
        const double b1 = 0.9, b2 = 0.999, eps = 1e-16;
        var set = new ParameterSet();
        var p = set.Add("w", [2], [0f, 0f]);
        var optimizer = new Optimizer(Transforms.ScaleByAcProp(b1, b2, eps, epsRoot: 0), set);
        var grads = new GradientSet(set);
        double[][] gs = [[1, -2], [0.5, -1.5], [-1, 0.3]];
        double[] m = new double[2], s = new double[2], oldFormS = new double[2], oldM = new double[2];
        bool differsFromOldForm = false;
        for (int t = 0; t < gs.Length; t++)
        {
            float[] before = p.Values.ToArray();
            grads.Set(p, [(float)gs[t][0], (float)gs[t][1]]);
            optimizer.Step(grads);
            var state = (OptaxState)optimizer.GetState(p, "scale_by_acprop")!;
            for (int i = 0; i < 2; i++)
            {
                double g = gs[t][i];
                double denominator = t == 0 ? 1 + eps : Math.Sqrt(s[i] / (1 - Math.Pow(b2, t))) + eps;
                double e0 = g - oldM[i];
                oldFormS[i] = b2 * oldFormS[i] + (1 - b2) * e0 * e0;
                oldM[i] = b1 * oldM[i] + (1 - b1) * g;
                m[i] = b1 * m[i] + (1 - b1) * g;
                double e = g - m[i];
                s[i] = b2 * s[i] + (1 - b2) * e * e;
                Assert.Equal(m[i], state.A!.Span[i], 1e-6 + 1e-6 * Math.Abs(m[i]));
                Assert.Equal(s[i], state.B!.Span[i], 1e-6 + 1e-6 * Math.Abs(s[i]));
                Assert.Equal(g / denominator, p.Values[i] - before[i], 1e-5 * Math.Max(1, Math.Abs(g / denominator)));
                if (Math.Abs(oldFormS[i] - s[i]) > 1e-5 + 1e-6 * Math.Abs(s[i])) differsFromOldForm = true;
            }
        }
        Assert.True(differsFromOldForm, "the data must distinguish the documented form from the old code form");
    }

    /// <summary>The optimistic_adam / optimistic_adam_v2 doctest: f(x, y) = x·y from (1, 2), the update gets (y, −x).</summary>
    [Fact]
    public void OptimisticAdam_BilinearGame_MatchesDoctestDistances()
    {
        var set = new ParameterSet();
        var p = set.Add("xy", [2], [1f, 2f]);
        var optimizer = new Optimizer(SpecRegistry.Default.Create("optimistic_adam(lr=1.0, alpha=1e-2, beta=1.0)"), set);
        var grads = new GradientSet(set);
        var distances = new double[1025];
        for (int k = 0; k < 1025; k++)
        {
            distances[k] = Math.Sqrt((double)p.Values[0] * p.Values[0] + (double)p.Values[1] * p.Values[1]);
            var g = grads.Get(p);
            g[0] = p.Values[1];
            g[1] = -p.Values[0];
            optimizer.Step(grads);
        }
        int[] at = [1, 4, 16, 64, 256, 1024];
        double[] printed = [2.243, 2.195, 2.161, 2.055, 0.796, 0.001];
        for (int j = 0; j < at.Length; j++)
            Assert.True(Math.Abs(distances[at[j]] - printed[j]) <= 1.5e-3, $"distance before step {at[j]} is {distances[at[j]]}, Optax printed {printed[j]}");
    }

    [Fact]
    public void OptimisticAdam_V1Equivalence_LearningRateScheduleWorks()
    {
        // optimistic_adam_v2(lr) with a schedule: a constant schedule given as a function equals the number.
        var a = OptaxDoctestTests.RunQuadratic(Optimizers.OptimisticAdam(new OptimisticAdamOptions { LearningRate = 0.01 }), 5).X;
        var b = OptaxDoctestTests.RunQuadratic(Optimizers.OptimisticAdam(new OptimisticAdamOptions { LearningRate = Schedule.FromFunction(_ => 0.01) }), 5).X;
        Assert.Equal(a, b);
    }

    [Fact]
    public void Spec_ClipThenAcProp_RunsThroughTheRegistry()
    {
        var transformation = SpecRegistry.Default.Create("chain(clip_by_global_norm(max_norm=1.0), acprop(lr=1e-3))");
        var set = new ParameterSet();
        var w = set.Add("w", [2, 2], [1f, 2f, 3f, 4f]);
        var b = set.Add("b", [2], [0.5f, -0.5f]);
        var optimizer = new Optimizer(transformation, set);
        var grads = new GradientSet(set);
        grads.Set(w, [3f, 0f, 0f, 0f]);
        grads.Set(b, [0f, 4f]);
        Assert.True(optimizer.Step(grads));
        // Global norm 5 → clipped to [0.6, 0, 0, 0] and [0, 0.8]; ACProp's first step is −η·g/(1 + ε).
        Assert.Equal([1f - 0.0006f, 2f, 3f, 4f], w.Values.ToArray());
        Assert.Equal(0.5f, b.Values[0]);
        Assert.Equal(-0.5f - 0.0008f, b.Values[1], 1e-7f);
        for (int k = 0; k < 5; k++) Assert.True(optimizer.Step(grads));
        Assert.All(w.Values.ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Spec_LrAndLearningRate_AreSynonyms_BothIsAnError()
    {
        var a = OptaxDoctestTests.RunQuadratic(SpecRegistry.Default.Create("lion(lr=0.003)"), 3).X;
        var b = OptaxDoctestTests.RunQuadratic(SpecRegistry.Default.Create("lion(learning_rate=0.003)"), 3).X;
        Assert.Equal(a, b);
        Assert.Throws<SpecException>(() => SpecRegistry.Default.Create("lion(lr=0.003, learning_rate=0.003)"));
    }

    [Theory]
    [InlineData("acprop(b1=1.5)", "b1")]
    [InlineData("yogi(lr=-1)", "learning rate")]
    [InlineData("lion(weight_decay=-1)", "weight_decay")]
    [InlineData("polyak_sgd(variant='sps-')", "variant")]
    [InlineData("optax.rprop(eta_minus=2)", "eta_minus")]
    [InlineData("sm3(momentum=1)", "b1")]
    public void Spec_BadHyperparameter_IsAOneLineErrorNamingIt(string spec, string named)
    {
        var e = Assert.Throws<SpecException>(() => SpecRegistry.Default.Create(spec));
        Assert.Contains(named, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Options_BadHyperparameter_NamesTheArgument()
    {
        Assert.Equal("b1", Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.AcProp(new AcPropOptions { B1 = 1 })).ParamName);
        Assert.Equal("eps", Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.Yogi(new YogiOptions { Eps = double.NaN })).ParamName);
        Assert.Equal("lr", Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.Lion(new LionOptions { LearningRate = -1 })).ParamName);
        Assert.Equal("weight_decay", Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.Adan(new AdanOptions { WeightDecay = -0.1 })).ParamName);
        Assert.Equal("b3", Assert.Throws<ArgumentOutOfRangeException>(() => Transforms.ScaleByAdan(b3: 1.5)).ParamName);
        Assert.Equal("maxStepSize", Assert.Throws<ArgumentOutOfRangeException>(() => Transforms.ScaleByRprop(0.1, minStepSize: 1, maxStepSize: 0.5)).ParamName);
    }

    [Fact]
    public void Spec_EveryOptaxName_BuildsWithItsDefaults()
    {
        string[] names =
        [
            "acprop", "adabelief", "adamaxw", "adan", "amsgrad", "fromage", "lamb", "lars", "lion", "nadamw", "noisy_sgd", "novograd",
            "optimistic_gradient_descent", "optimistic_gd", "optimistic_adam", "optimistic_adam_v2", "polyak_sgd", "sign_sgd", "signum", "sm3", "yogi",
            "optax.sgd", "optax.adam", "optax.adamw", "optax.nadam", "optax.radam", "optax.rmsprop", "optax.adagrad", "optax.adadelta",
            "optax.adamax", "optax.rprop", "scale_by_belief", "scale_by_acprop", "scale_by_optimistic_gradient", "scale_by_lion",
            "scale_by_amsgrad", "scale_by_adan", "scale_by_novograd", "scale_by_sm3", "scale_by_yogi", "scale_by_rms", "scale_by_stddev",
            "scale_by_rss", "scale_by_trust_ratio", "scale_by_param_block_norm", "scale_by_param_block_rms", "scale_by_sign",
            "scale_by_polyak", "scale_by_radam", "scale_by_adamax", "scale_by_adadelta", "scale_by_rprop(learning_rate=0.1)",
            "add_noise(eta=0.01, gamma=0.55)", "ema(decay=0.9)", "polyak_sgd(variant='sps+')", "adafactor", "scale_by_factored_rms",
            "scale_by_lion(mode='refined')",
        ];
        foreach (var name in names)
        {
            var t = SpecRegistry.Default.Create(name);
            var (losses, _) = OptaxDoctestTests.RunQuadratic(t, 2, passLoss: true);
            Assert.All(losses, l => Assert.True(double.IsFinite(l), name));
        }
    }
}
