namespace Momentum.Tests.Contrib;

public class LearningRateFreeTests
{
    // Expected values: tools/fixtures/contrib_reference.py (float64 re-derivation of Optax's update equations).
    [Fact]
    public void DAdaptAdamW_Quadratic_MatchesFloat64Rederivation()
    {
        var t = Optimizers.DAdaptAdamW();
        var (_, x) = ContribTransformTests.Quadratic(t);
        AssertClose([0.9999827114038395, 1.9999827113865893, 2.999982711380839], x, 2e-7);
    }

    [Fact]
    public void Prodigy_Quadratic_MatchesFloat64Rederivation()
    {
        var (_, x) = ContribTransformTests.Quadratic(Optimizers.Prodigy());
        AssertClose([0.9999947215535845, 1.999994721553134, 2.9999947215529836], x, 2e-7);
    }

    [Fact]
    public void Dowg_OptaxDoctest()
    {
        var (f, x) = ContribTransformTests.Quadratic(Optimizers.Dowg());
        double[] doctest = [13.925367, 13.872763, 13.775433, 13.596172, 13.268837];
        for (int i = 0; i < 5; i++) Assert.Equal(doctest[i], f[i], 2e-5 * doctest[i]);
        AssertClose([0.9735369166272224, 1.9470738332544448, 2.920610749881667], x, 1e-6);
    }

    [Fact]
    public void Dog_OptaxDoctest_FirstStepsAreTiny()
    {
        var (f, _) = ContribTransformTests.Quadratic(Optimizers.Dog());
        Assert.All(f, v => Assert.InRange(v, 13.99, 14.0));
        Assert.True(f[4] < 14.0);
    }

    [Fact]
    public void Dog_LearningRateInitStep_TakesThatStepFirst()
    {
        var (f, x) = ContribTransformTests.Quadratic(Optimizers.Dog(new DogOptions { InitStep = DogInitStep.LearningRate, InitStepValue = 0.25 }), 1);
        Assert.Equal([0.5f, 1f, 1.5f], x); // x − 0.25·2x
        Assert.Equal(3.5, f[0], 1e-6);
    }

    [Theory]
    [InlineData("dadapt")]
    [InlineData("prodigy")]
    [InlineData("dog")]
    [InlineData("dowg")]
    public void GlobalSums_AnyThreadCount_GiveIdenticalBits(string which)
    {
        float[] Run(int threads)
        {
            var set = new ParameterSet();
            var rng = new Random(7);
            var ps = new[] { set.Add("a", [40000], [.. Enumerable.Range(0, 40000).Select(_ => (float)rng.NextDouble())]), set.Add("b", [3, 5], [.. Enumerable.Range(0, 15).Select(i => i * 0.1f)]) };
            GradientTransformation t = which switch
            {
                "dadapt" => Optimizers.DAdaptAdamW(),
                "prodigy" => Optimizers.Prodigy(),
                "dog" => Optimizers.Dog(),
                _ => Optimizers.Dowg(),
            };
            var o = new Optimizer(t, set, new OptimizerOptions { Threads = threads });
            var g = new GradientSet(set);
            for (int step = 0; step < 4; step++)
            {
                foreach (var p in ps) g.Set(p, [.. p.Values.ToArray().Select((v, i) => v - 0.3f + 0.01f * (i % 7))]);
                o.Step(g);
            }
            return [.. ps.SelectMany(p => p.Values.ToArray())];
        }
        Assert.Equal(Run(1), Run(4));
    }

    [Theory]
    [InlineData("dadapt")]
    [InlineData("prodigy")]
    [InlineData("dog")]
    [InlineData("dowg")]
    public void Parabola_Converges(string which)
    {
        GradientTransformation t = which switch
        {
            "dadapt" => Optimizers.DAdaptAdamW(),
            "prodigy" => Optimizers.Prodigy(),
            "dog" => Optimizers.Dog(),
            _ => Optimizers.Dowg(),
        };
        // Optax alias_test's parabola: x0 = [-1, 10, 1], target [1, -1, 1].
        var set = new ParameterSet();
        var p = set.Add("x", [3], [-1f, 10f, 1f]);
        var o = new Optimizer(t, set);
        var g = new GradientSet(set);
        float[] target = [1f, -1f, 1f];
        for (int step = 0; step < 3000; step++)
        {
            g.Set(p, [.. p.Values.ToArray().Select((v, i) => 2 * (v - target[i]))]);
            o.Step(g);
        }
        for (int i = 0; i < 3; i++) Assert.Equal(target[i], p.Values[i], 0.03f + 0.03f * Math.Abs(target[i]));
    }

    private static void AssertClose(double[] expected, float[] actual, double relative)
    {
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= relative * Math.Abs(expected[i]), $"[{i}] expected {expected[i]}, got {actual[i]}");
    }
}

public class CocobTests
{
    [Fact]
    public void Cocob_FirstStep_HandComputed()
    {
        // θ = θ₀ = 1, g = 2: L = 2, G = 2, R = 0, C = −2; u = −1 + 1 + (−2)/(2·max(4, 200))·2 = −0.01.
        var set = new ParameterSet();
        var p = set.Add("x", [1], [1f]);
        var o = new Optimizer(Optimizers.Cocob(), set);
        var g = new GradientSet(set);
        g.Set(p, [2f]);
        o.Step(g);
        Assert.Equal(0.99f, p.Values[0], 1e-7f);
    }

    [Fact]
    public void Cocob_Parabola_Converges()
    {
        var set = new ParameterSet();
        var p = set.Add("x", [3], [-1f, 10f, 1f]);
        var o = new Optimizer(Optimizers.Cocob(), set);
        var g = new GradientSet(set);
        float[] target = [1f, -1f, 1f];
        for (int step = 0; step < 5000; step++)
        {
            g.Set(p, [.. p.Values.ToArray().Select((v, i) => 2 * (v - target[i]))]);
            o.Step(g);
        }
        for (int i = 0; i < 3; i++) Assert.Equal(target[i], p.Values[i], 0.06f);
    }
}
