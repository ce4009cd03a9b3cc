namespace Momentum.Tests.Optax;

/// <summary>
/// ACProp against its reference equations, computed by hand (issue 17: is its last place in the tour's classifier the
/// method or a bug?). The equations are Optax contrib's <c>scale_by_acprop</c> and the paper's (Zhuang et al., 2021):
/// <c>m_t = β1·m + (1−β1)·g</c>, <c>s_t = β2·s + (1−β2)·(g − m_t)² + ε_root</c>, and the asynchronous step
/// <c>u = −η·g / (√(s_{t−1}/(1−β2ᶜ)) + ε)</c> with c the previous count and ŝ := 1 on the first step.
/// </summary>
public class AcPropReferenceTests
{
    private static (Optimizer Optimizer, Parameter P, GradientSet Grads) Create(AcPropOptions options, int length)
    {
        var set = new ParameterSet();
        var p = set.Add("w", [length], new float[length]);
        return (new Optimizer(Optimizers.AcProp(options), set), p, new GradientSet(set));
    }

    /// <summary>
    /// β1 = β2 = ½, ε = ε_root = 0, η = 1, gradients 2, 4, 1, 2 from x = 0. By hand: step 1 is SGD (ŝ := 1), u = 2,
    /// m = 1, s = ½·1² = ½; step 2: ŝ = ½/(1−½) = 1, u = 4, m = 2.5, s = ¼ + ½·1.5² = 1.375; step 3: ŝ = 1.375/(1−¼)
    /// = 11/6, u = 1/√(11/6) = 0.738549; m = 1.75, s = 0.6875 + ½·0.75² = 0.96875; step 4: ŝ = 0.96875/(1−⅛) = 31/28,
    /// u = 2/√(31/28) = 1.900764. So x = −2, −6, −6.738549, −8.639313.
    /// </summary>
    [Fact]
    public void AcProp_FourHandComputedSteps_MatchTheReferenceEquations()
    {
        var (optimizer, p, grads) = Create(new AcPropOptions { LearningRate = 1.0, B1 = 0.5, B2 = 0.5, Eps = 0, EpsRoot = 0 }, 1);
        float[] gradients = [2, 4, 1, 2];
        double[] expected = [-2, -6, -6 - 1 / Math.Sqrt(11.0 / 6), -6 - 1 / Math.Sqrt(11.0 / 6) - 2 / Math.Sqrt(31.0 / 28)];
        for (int t = 0; t < gradients.Length; t++)
        {
            grads.Set(p, [gradients[t]]);
            optimizer.Step(grads);
            Assert.Equal(expected[t], p.Values[0], 1e-5);
        }
        Assert.Equal(-8.639313, p.Values[0], 1e-5);
    }

    /// <summary>
    /// The method, not a bug: a weight whose input is zero for k steps (an always-black pixel of Fashion-MNIST) keeps
    /// m = 0 and s_k = ε_root·(1−β2ᵏ)/(1−β2), so ŝ = ε_root/(1−β2) exactly, and its first non-zero gradient g takes the
    /// step η·g/(√(ε_root/(1−β2)) + ε). With Optax's defaults (ε = ε_root = 1e-16, β2 = 0.999) that is η·g·3.16e6:
    /// η = 1e-3 and g = 0.01 move the weight by 31.6. With the authors' ε = 1e-8 used inside the root as well
    /// (AdaBelief's convention), the same step is 3.16e-3, 10⁴ times smaller.
    /// </summary>
    [Theory]
    [InlineData(1e-16, 1e-16, 31.622776)]
    [InlineData(1e-8, 1e-8, 3.162267e-3)]
    public void AcProp_FirstGradientAfterZeros_TakesTheStepTheEquationsGive(double eps, double epsRoot, double expectedStep)
    {
        const int k = 50;
        const double lr = 1e-3, g = 0.01, b2 = 0.999;
        var (optimizer, p, grads) = Create(new AcPropOptions { LearningRate = lr, B2 = b2, Eps = eps, EpsRoot = epsRoot }, 2);
        for (int t = 0; t < k; t++)
        {
            grads.Set(p, [0.5f, 0f]);   // the first weight's input is always on, the second's is off (a zero gradient is a step)
            optimizer.Step(grads);
        }
        Assert.Equal(0f, p.Values[1]);
        grads.Set(p, [0.5f, (float)g]);
        optimizer.Step(grads);
        double byHand = lr * g / (Math.Sqrt(epsRoot / (1 - b2)) + eps);
        Assert.Equal(expectedStep, byHand, expectedStep * 1e-6);
        Assert.Equal(-byHand, p.Values[1], byHand * 1e-4);
    }
}
