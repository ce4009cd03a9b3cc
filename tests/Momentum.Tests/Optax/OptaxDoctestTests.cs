using Momentum.Specs;

namespace Momentum.Tests.Optax;

/// <summary>
/// Optax's docstring examples (optax.md §4.1 A): f(x) = Σx², x₀ = [1, 2, 3], five steps, f printed after each step to
/// three significant figures (Optax runs in float32, as here). Where a float64 re-derivation of the final x is known, it
/// is checked too.
/// </summary>
public class OptaxDoctestTests
{
    public static TheoryData<string, double[], double[]?> Quadratics() => new()
    {
        { "optax.adam(lr=0.003)", [14.0, 13.9, 13.9, 13.9, 13.8], [0.985004, 1.985002, 2.9850013] },
        { "optax.nadam(lr=0.003)", [13.9, 13.9, 13.9, 13.8, 13.8], [0.9826612, 1.9826507, 2.9826472] },
        { "optax.adamw(lr=0.003)", [14.0, 13.9, 13.9, 13.9, 13.8], [0.9850025, 1.984999, 2.9849968] },
        { "optax.adagrad(lr=1.0)", [5.01, 2.40, 1.25, 0.686, 0.385], [0.0, 0.1031316, 0.6120116] },
        { "adabelief(lr=0.003)", [14.0, 13.9, 13.9, 13.8, 13.8], [0.9816157, 1.9816119, 2.9816107] },
        { "optax.sgd(lr=0.003)", [13.8, 13.7, 13.5, 13.3, 13.2], [0.9703578, 1.9407157, 2.9110735] },
        { "optax.rmsprop(lr=0.003)", [13.9, 13.8, 13.7, 13.7, 13.6], [0.9682359, 1.9681496, 2.968121] },
        { "lion(lr=0.003)", [14.0, 13.9, 13.9, 13.9, 13.8], [0.9849851, 1.9849701, 2.9849551] },
        { "amsgrad(lr=0.003)", [14.0, 13.9, 13.9, 13.9, 13.8], [0.9850489, 1.9850245, 2.9850163] },
        { "optax.adamax(lr=0.003)", [14.0, 13.9, 13.9, 13.9, 13.8], [0.985019, 1.9849945, 2.9849863] },
        { "yogi(lr=0.002)", [14.0, 14.0, 13.9, 13.9, 13.9], [0.9900123, 1.9900085, 2.9900073] },
        { "optax.radam(lr=0.003)", [13.8, 13.7, 13.5, 13.3, 13.2], [0.9701953, 1.9403906, 2.9105859] },
        { "adan(lr=0.1)", [12.8, 11.7, 10.7, 9.68, 8.76], [0.5036968, 1.5009219, 2.500449] },
        { "optimistic_gradient_descent(lr=0.003)", [13.8, 13.7, 13.5, 13.3, 13.2], [0.9704986, 1.9409973, 2.9114959] },
        { "acprop(lr=0.003)", [13.8, 13.8, 13.8, 13.7, 13.7], [0.9797427, 1.9737109, 2.9677002] },
        { "optax.adadelta(lr=10.0)", [13.6, 13.2, 12.9, 12.5, 12.1], null },
        { "adafactor(lr=0.003)", [13.9, 13.8, 13.8, 13.7, 13.6], null },
        { "fromage(lr=0.003)", [13.9, 13.8, 13.7, 13.7, 13.6], null },
        { "lamb(lr=0.003)", [13.9, 13.8, 13.8, 13.7, 13.6], null },
        { "lars(lr=0.003)", [14.0, 14.0, 14.0, 14.0, 14.0], null },
        { "novograd(lr=0.003)", [14.0, 13.9, 13.9, 13.8, 13.7], null },
        { "optax.rprop(lr=0.003)", [14.0, 14.0, 13.9, 13.9, 13.8], null },
        { "sign_sgd(lr=0.003)", [14.0, 13.9, 13.9, 13.9, 13.8], null },
        { "sm3(lr=0.003)", [14.0, 14.0, 14.0, 14.0, 14.0], null },
    };

    [Theory]
    [MemberData(nameof(Quadratics))]
    public void Quadratic_MatchesOptaxDoctest(string spec, double[] printed, double[]? finalX)
    {
        var (losses, x) = RunQuadratic(SpecRegistry.Default.Create(spec), 5);
        for (int k = 0; k < printed.Length; k++)
        {
            // Three significant figures: half a unit in the last printed place, plus a hair for float32.
            double unit = Math.Pow(10, Math.Floor(Math.Log10(Math.Abs(printed[k]))) - 2);
            Assert.True(Math.Abs(losses[k] - printed[k]) <= 0.5 * unit + 1e-6 * printed[k], $"{spec}: f after step {k + 1} is {losses[k]}, Optax printed {printed[k]}");
        }
        if (finalX is not null)
            for (int i = 0; i < 3; i++) Assert.True(Math.Abs(x[i] - finalX[i]) <= 1e-5, $"{spec}: x[{i}] = {x[i]}, re-derived {finalX[i]}");
    }

    [Fact]
    public void AcProp_DocumentedForm_MatchesFloat64Losses()
    {
        // optax.md: the documented form gives 13.83250, 13.79302, 13.75152, 13.70807, 13.66268; the old code form
        // (e = g − m_{t−1}) gives 13.79696 at step 2, which this tolerance rejects.
        var (losses, _) = RunQuadratic(Optimizers.AcProp(new AcPropOptions { LearningRate = 0.003 }), 5);
        double[] expected = [13.83250, 13.79302, 13.75152, 13.70807, 13.66268];
        for (int k = 0; k < 5; k++) Assert.Equal(expected[k], losses[k], 1e-4);
    }

    [Fact]
    public void PolyakSgd_HalvesXEachStep()
    {
        var (losses, x) = RunQuadratic(Optimizers.PolyakSgd(), 5, passLoss: true);
        double[] expected = [3.5, 0.875, 0.21875, 0.0546875, 0.013671875];
        for (int k = 0; k < 5; k++) Assert.Equal(expected[k], losses[k], 1e-6);
        Assert.Equal([0.03125f, 0.0625f, 0.09375f], x);
    }

    [Fact]
    public void PolyakSgd_WithoutLoss_ThrowsBeforeChangingAnything()
    {
        var set = new ParameterSet();
        var p = set.Add("x", [3], [1f, 2f, 3f]);
        var optimizer = new Optimizer(Optimizers.PolyakSgd(), set);
        var grads = new GradientSet(set);
        grads.Set(p, [2f, 4f, 6f]);
        var e = Assert.Throws<InvalidOperationException>(() => optimizer.Step(grads));
        Assert.Contains("loss", e.Message);
        Assert.Equal([1f, 2f, 3f], p.Values.ToArray());
        Assert.Equal(0, optimizer.StepCount);
    }

    internal static (double[] Losses, float[] X) RunQuadratic(GradientTransformation transformation, int steps, bool passLoss = false)
    {
        var set = new ParameterSet();
        var p = set.Add("x", [3], [1f, 2f, 3f]);
        var optimizer = new Optimizer(transformation, set);
        var grads = new GradientSet(set);
        var losses = new double[steps];
        for (int k = 0; k < steps; k++)
        {
            var g = grads.Get(p);
            double loss = 0;
            for (int i = 0; i < 3; i++)
            {
                g[i] = 2 * p.Values[i];
                loss += (double)p.Values[i] * p.Values[i];
            }
            optimizer.Step(grads, passLoss ? loss : double.NaN);
            losses[k] = p.Values.ToArray().Sum(v => (double)v * v);
        }
        return (losses, p.Values.ToArray());
    }
}
