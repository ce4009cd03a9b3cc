using Momentum.Specs;

namespace Momentum.Tests.TorchOptim;

/// <summary>
/// One test per known TorchSharp optimizer bug or divergence (shared/reference/torch-burn-torchsharp.md §4.2), each
/// written so that the bug, if present in ours, would make it fail.
/// </summary>
public class TorchSharpBugTests
{
    private static (ParameterSet Set, Parameter P, GradientSet Grads) Scalar(float value)
    {
        var set = new ParameterSet();
        var p = set.Add("p", [], [value]);
        return (set, p, new GradientSet(set));
    }

    /// <summary>RAdam's update in double, current torch's formula, for a constant gradient g.</summary>
    private static double RadamReference(double lr, double g, int steps, double theta)
    {
        double b1 = 0.9, b2 = 0.999, eps = 1e-8, m = 0, v = 0;
        for (int t = 1; t <= steps; t++)
        {
            m = b1 * m + (1 - b1) * g;
            v = b2 * v + (1 - b2) * g * g;
            double bc1 = 1 - Math.Pow(b1, t), bc2 = 1 - Math.Pow(b2, t);
            double rhoInf = 2 / (1 - b2) - 1, rhoT = rhoInf - 2 * t * Math.Pow(b2, t) / bc2;
            if (rhoT > 5)
            {
                double rect = Math.Sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
                theta -= lr * (m / bc1) * rect * Math.Sqrt(bc2) / (Math.Sqrt(v) + eps);
            }
            else
            {
                theta -= lr * (m / bc1);
            }
        }
        return theta;
    }

    [Fact]
    public void RAdam_AppliesTheLearningRateOnce_InTheRectifiedPhase()
    {
        // TorchSharp multiplies the rectified step by lr twice. With lr = 0.1 that would shrink the late steps tenfold.
        var (set, p, grads) = Scalar(1f);
        var optimizer = new Optimizer(Momentum.Optimizers.RAdam(new RAdamOptions { LearningRate = 0.1 }), set);
        for (int t = 0; t < 12; t++)
        {
            grads.Set(p, [0.5f]);
            optimizer.Step(grads);
        }
        double expected = RadamReference(0.1, 0.5, 12, 1);
        Assert.Equal(expected, p.Values[0], 1e-5);
        double lrSquared = RadamReference(0.1, 0.5, 6, 1) - (RadamReference(0.1, 0.5, 6, 1) - expected) * 0.1;
        Assert.True(Math.Abs(p.Values[0] - lrSquared) > 1e-2, "the rectified steps look scaled by lr twice");
    }

    [Fact]
    public void RAdam_And_Asgd_DefaultLearningRates_AreTorchs()
    {
        // TorchSharp: RAdam 2e-3 and ASGD 1e-3; torch: 1e-3 and 1e-2.
        Assert.Equal(1e-3, new RAdamOptions().LearningRate.Evaluate(0));
        Assert.Equal(1e-2, new AsgdOptions().LearningRate.Evaluate(0));
        foreach (var (defaults, explicitLr) in new[] { ("radam()", "radam(lr=0.001)"), ("asgd()", "asgd(lr=0.01)") })
        {
            var (a, pa, ga) = Scalar(1f);
            var (b, pb, gb) = Scalar(1f);
            var oa = new Optimizer(SpecRegistry.Default.Create(defaults), a);
            var ob = new Optimizer(SpecRegistry.Default.Create(explicitLr), b);
            for (int t = 0; t < 8; t++)
            {
                ga.Set(pa, [0.3f]);
                gb.Set(pb, [0.3f]);
                oa.Step(ga);
                ob.Step(gb);
            }
            Assert.Equal(pb.Values[0], pa.Values[0]);
            Assert.NotEqual(1f, pa.Values[0]);
        }
    }

    [Fact]
    public void NAdam_MuProductStartsAtOne_AndHasNoExtraMu()
    {
        // TorchSharp once left mu_product at 0 and copied torch 1.13's mu_product·μ_t·μ_{t+1} (extra μ_t).
        const double lr = 0.1, b1 = 0.9, b2 = 0.999, eps = 1e-8, psi = 4e-3;
        var (set, p, grads) = Scalar(1f);
        var optimizer = new Optimizer(Momentum.Optimizers.NAdam(new NAdamOptions { LearningRate = lr }), set);
        double theta = 1, m = 0, v = 0, product = 1, buggy = 1, buggyProduct = 1, buggyM = 0, buggyV = 0;
        double[] g = [0.5, -0.25, 0.75];
        for (int t = 1; t <= g.Length; t++)
        {
            grads.Set(p, [(float)g[t - 1]]);
            optimizer.Step(grads);
            double mu = b1 * (1 - 0.5 * Math.Pow(0.96, t * psi)), muNext = b1 * (1 - 0.5 * Math.Pow(0.96, (t + 1) * psi));
            product *= mu;
            m = b1 * m + (1 - b1) * g[t - 1];
            v = b2 * v + (1 - b2) * g[t - 1] * g[t - 1];
            double d = Math.Sqrt(v / (1 - Math.Pow(b2, t))) + eps;
            theta -= lr * (1 - mu) / (1 - product) * g[t - 1] / d + lr * muNext / (1 - product * muNext) * m / d;
            buggyProduct *= mu;
            buggyM = b1 * buggyM + (1 - b1) * g[t - 1];
            buggyV = b2 * buggyV + (1 - b2) * g[t - 1] * g[t - 1];
            double bd = Math.Sqrt(buggyV / (1 - Math.Pow(b2, t))) + eps;
            buggy -= lr * (1 - mu) / (1 - buggyProduct) * g[t - 1] / bd + lr * muNext / (1 - buggyProduct * mu * muNext) * buggyM / bd;
        }
        var state = optimizer.States.Single(s => s.State is ScaleByTorchNadamState).State;
        Assert.Equal(product, state.Scalars.Single(s => s.Slot == "mu_product").Get(), 1e-12);
        Assert.Equal(theta, p.Values[0], 1e-5);
        Assert.True(Math.Abs(buggy - theta) > 1e-3, "the test data must tell the 1.13 formula apart");
    }

    [Fact]
    public void Rprop_DoesNotAddStepSizeTimesParameterToTheGradient()
    {
        // TorchSharp (before PR #1421) added max_step·θ to g as if it were weight decay.
        var (set, p, grads) = Scalar(1000f);
        var optimizer = new Optimizer(Momentum.Optimizers.Rprop(), set);
        grads.Set(p, [-1e-3f]);
        optimizer.Step(grads);
        Assert.Equal(1000f + 0.01f, p.Values[0]);
        grads.Set(p, [0f]);
        optimizer.Step(grads);
        Assert.Equal(1000f + 0.01f, p.Values[0]);
    }

    public static TheoryData<string> DecayingSpecs => new()
    {
        "rmsprop(lr=0.01, weight_decay=0.5, maximize=true)",
        "adagrad(lr=0.01, weight_decay=0.5, maximize=true)",
        "adadelta(lr=1.0, weight_decay=0.5, maximize=true)",
        "adamax(lr=0.01, weight_decay=0.5, maximize=true)",
        "nadam(lr=0.01, weight_decay=0.5, maximize=true)",
        "nadam(lr=0.01, weight_decay=0.5, decoupled_weight_decay=true, maximize=true)",
        "radam(lr=0.01, weight_decay=0.5, maximize=true)",
        "radam(lr=0.01, weight_decay=0.5, decoupled_weight_decay=true, maximize=true)",
        "asgd(lr=0.01, weight_decay=0.5, maximize=true)",
    };

    [Theory]
    [MemberData(nameof(DecayingSpecs))]
    public void MaximizeWithWeightDecay_StillDecaysTowardZero(string spec)
    {
        // TorchSharp's SGD added λθ to the un-negated gradient and then ascended, so decay became growth.
        var set = new ParameterSet();
        var p = set.Add("p", [2], [2f, -2f]);
        var grads = new GradientSet(set);
        var optimizer = new Optimizer(SpecRegistry.Default.Create(spec), set);
        for (int t = 0; t < 5; t++)
        {
            grads.Get(p, clear: true);
            optimizer.Step(grads);
        }
        Assert.InRange(p.Values[0], 0f, 1.9999f);
        Assert.InRange(p.Values[1], -1.9999f, 0f);
    }

    [Theory]
    [InlineData("rmsprop(maximize=true)")]
    [InlineData("adagrad(maximize=true)")]
    [InlineData("adadelta(maximize=true)")]
    [InlineData("adamax(maximize=true)")]
    [InlineData("nadam(maximize=true)")]
    [InlineData("radam(maximize=true)")]
    [InlineData("rprop(maximize=true)")]
    [InlineData("asgd(maximize=true)")]
    public void Maximize_AscendsAndSkipsParametersWithoutGradient(string spec)
    {
        // TorchSharp negated param.grad before the null check (NullReferenceException); it also lacked maximize for
        // Adagrad, Adamax, NAdam and RAdam.
        var set = new ParameterSet();
        var p = set.Add("p", [], [1f]);
        var none = set.Add("none", [], [1f]);
        var grads = new GradientSet(set);
        var optimizer = new Optimizer(SpecRegistry.Default.Create(spec), set);
        for (int t = 0; t < 3; t++)
        {
            grads.Set(p, [1f]);
            optimizer.Step(grads);
        }
        Assert.True(p.Values[0] > 1f, $"{spec} should ascend: {p.Values[0]}");
        Assert.Equal(1f, none.Values[0]);
    }
}
