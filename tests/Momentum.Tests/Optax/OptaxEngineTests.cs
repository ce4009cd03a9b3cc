using Momentum.Specs;
using Momentum.Tests.Common;

namespace Momentum.Tests.Optax;

/// <summary>The Optax building blocks inside the engine: identical bits at every vector width and thread count, no
/// steady-state allocation, per-parameter norms and counts, and the deterministic noise.</summary>
public class OptaxEngineTests
{
    private static float[] RandomGradient(Random rng, int n)
    {
        var g = new float[n];
        for (int i = 0; i < n; i++) g[i] = (float)(rng.NextDouble() * 4 - 2);
        return g;
    }

    public static TheoryData<string> ElementwiseSpecs() =>
    [
        "acprop(lr=0.01)", "adabelief(lr=0.01, nesterov=true)", "amsgrad(lr=0.01)", "optax.adamax(lr=0.01)", "adan(lr=0.01)", "yogi(lr=0.01)",
        "optax.radam(lr=0.01)", "lion(lr=0.01)", "signum(lr=0.01)", "sign_sgd(lr=0.01)", "optimistic_gd(lr=0.01, alpha=0.7, beta=0.1)",
        "optimistic_adam(lr=0.01)", "optax.rprop(lr=0.01)", "optax.rmsprop(lr=0.01, centered=true, momentum=0.9)", "optax.adagrad(lr=0.1)",
        "optax.adadelta(lr=1.0, weight_decay=0.01)", "chain(ema(decay=0.9), scale(step_size=-0.1))", "chain(scale_by_lion(mode='refined'), scale(step_size=-0.1))", "adamaxw(lr=0.01)", "nadamw(lr=0.01)",
        "chain(scale_by_rms(bias_correction=true, eps_in_sqrt=false), scale(step_size=-0.1))", "sm3(lr=0.1)",
    ];

    /// <summary>One 29-element parameter (vector bodies plus a scalar tail) equals 29 one-element parameters (scalar only), bit for bit.</summary>
    [Theory]
    [MemberData(nameof(ElementwiseSpecs))]
    public void VectorAndScalarPaths_GiveIdenticalBits(string spec)
    {
        const int n = 29; // 16 (Vector512) + 8 (Vector256) + 5 (scalar tail) on AVX-512 machines
        var rng = new Random(3);
        var start = RandomGradient(rng, n);
        var wide = new ParameterSet();
        var w = wide.Add("w", [n], start);
        var narrow = new ParameterSet();
        var singles = Enumerable.Range(0, n).Select(i => narrow.Add("p" + i, [1], [start[i]])).ToArray();
        var a = new Optimizer(SpecRegistry.Default.Create(spec), wide);
        var b = new Optimizer(SpecRegistry.Default.Create(spec), narrow);
        var ga = new GradientSet(wide);
        var gb = new GradientSet(narrow);
        for (int step = 0; step < 8; step++)
        {
            var g = RandomGradient(rng, n);
            if (step == 3) g[5] = 0f;
            ga.Set(w, g);
            for (int i = 0; i < n; i++) gb.Set(singles[i], [g[i]]);
            a.Step(ga);
            b.Step(gb);
        }
        for (int i = 0; i < n; i++) Assert.Equal(BitConverter.SingleToInt32Bits(w.Values[i]), BitConverter.SingleToInt32Bits(singles[i].Values[0]));
    }

    [Theory]
    [InlineData("lamb(lr=0.01, weight_decay=0.01)")]
    [InlineData("novograd(lr=0.01, weight_decay=0.01)")]
    [InlineData("fromage(lr=0.01)")]
    [InlineData("lars(lr=0.1, weight_decay=0.01)")]
    [InlineData("noisy_sgd(lr=0.01, seed=5)")]
    [InlineData("chain(clip_by_global_norm(max_norm=1.0), acprop(lr=1e-3))")]
    [InlineData("adafactor(lr=0.01)")]
    public void Results_AreTheSameForAnyThreadCount(string spec)
    {
        float[] Run(int threads)
        {
            var set = new ParameterSet();
            var rng = new Random(11);
            var big = set.Add("big", [300, 200], RandomGradient(rng, 60_000));
            var small = set.Add("small", [7], RandomGradient(rng, 7));
            var optimizer = new Optimizer(SpecRegistry.Default.Create(spec), set, new OptimizerOptions { Threads = threads });
            var grads = new GradientSet(set);
            for (int step = 0; step < 4; step++)
            {
                grads.Set(big, RandomGradient(rng, 60_000));
                grads.Set(small, RandomGradient(rng, 7));
                optimizer.Step(grads);
            }
            return [.. big.Values.ToArray(), .. small.Values.ToArray()];
        }
        Assert.Equal(Run(1), Run(3));
    }

    [Theory]
    [InlineData("acprop(lr=0.01, weight_decay=0.01)")]
    [InlineData("lamb(lr=0.01)")]
    [InlineData("novograd(lr=0.01)")]
    [InlineData("noisy_sgd(lr=0.01)")]
    [InlineData("optimistic_adam(lr=0.01)")]
    [InlineData("adan(lr=0.01)")]
    [InlineData("sm3(lr=0.1)")]
    [InlineData("adafactor(lr=0.01)")]
    [InlineData("polyak_sgd")]
    public void SteadyStateStep_AllocatesNothing(string spec)
    {
        Assert.Equal(0, SteadyStateAllocation.BytesOverTenSteps(spec, 1.0));
    }

    [Fact]
    public void Lamb_FirstStep_UsesEachParametersOwnTrustRatio()
    {
        var set = new ParameterSet();
        var a = set.Add("a", [2], [3f, 4f]);   // ‖θ‖ = 5
        var b = set.Add("b", [3], [1f, 0f, 0f]); // ‖θ‖ = 1
        var optimizer = new Optimizer(Optimizers.Lamb(new LambOptions { LearningRate = 0.1, Eps = 0 }), set);
        var grads = new GradientSet(set);
        grads.Set(a, [1f, -2f]);
        grads.Set(b, [0.5f, 0.5f, -1f]);
        optimizer.Step(grads);
        // First Adam step with ε = 0 is sign(g); ‖sign(g)‖ = √n; u = −η·‖θ‖/√n·sign(g).
        Assert.Equal(3f - 0.1f * 5 / MathF.Sqrt(2), a.Values[0], 1e-5f);
        Assert.Equal(4f + 0.1f * 5 / MathF.Sqrt(2), a.Values[1], 1e-5f);
        Assert.Equal(1f - 0.1f / MathF.Sqrt(3), b.Values[0], 1e-5f);
        Assert.Equal(0f + 0.1f / MathF.Sqrt(3), b.Values[2], 1e-5f);
        Assert.False(optimizer.IsFused);
    }

    [Fact]
    public void Novograd_SecondMomentIsOneNumberPerParameter()
    {
        var set = new ParameterSet();
        var a = set.Add("a", [2], [0f, 0f]);
        var optimizer = new Optimizer(Optimizers.Novograd(new NovogradOptions { LearningRate = 1, Eps = 0 }), set);
        var grads = new GradientSet(set);
        grads.Set(a, [3f, 4f]);
        optimizer.Step(grads);
        Assert.Equal([-0.6f, -0.8f], a.Values.ToArray());
        grads.Set(a, [0f, 1f]);
        optimizer.Step(grads);
        // ν = 0.25·25 + 0.75·1 = 7; m = 0.9·[0.6, 0.8] + [0, 1]/√7.
        Assert.Equal(-0.6f - 0.9f * 0.6f, a.Values[0], 1e-5f);
        Assert.Equal(-0.8f - (0.9f * 0.8f + 1f / MathF.Sqrt(7)), a.Values[1], 1e-5f);
        var state = optimizer.GetState(a, "0.scale_by_novograd")!;
        Assert.Equal(7.0, state.Scalars.Single(s => s.Slot == "nu").Get(), 1e-9);
    }

    [Fact]
    public void Sm3_Matrix_KeepsOneCoverVectorPerDimension()
    {
        var set = new ParameterSet();
        var w = set.Add("w", [2, 3]);
        var optimizer = new Optimizer(Transforms.ScaleBySm3(b1: 0, b2: 1, eps: 0), set);
        var grads = new GradientSet(set);
        float[] g1 = [1, 2, 3, 4, 5, 6];
        grads.Set(w, g1);
        optimizer.Step(grads);
        // Step 1: acc = g² (covers 0) → ĝ = sign(g) = 1; μ_row = [9, 36], μ_col = [16, 25, 36].
        Assert.All(w.Values.ToArray(), v => Assert.Equal(1f, v, 1e-6f));
        var state = optimizer.GetState(w, "scale_by_sm3")!;
        Assert.Equal([9f, 36f], state.Tensors.Single(t => t.Slot == "mu_0").Buffer.Span.ToArray());
        Assert.Equal([16f, 25f, 36f], state.Tensors.Single(t => t.Slot == "mu_1").Buffer.Span.ToArray());
        float[] before = w.Values.ToArray();
        grads.Set(w, [1, 1, 1, 1, 1, 1]);
        optimizer.Step(grads);
        // Step 2: acc[r, c] = 1 + min(μ_row[r], μ_col[c]).
        float[,] cover = { { 9, 9, 9 }, { 16, 25, 36 } };
        for (int r = 0; r < 2; r++)
            for (int c = 0; c < 3; c++)
                Assert.Equal(1 / MathF.Sqrt(1 + cover[r, c]), w.Values[r * 3 + c] - before[r * 3 + c], 1e-6f);
    }

    [Fact]
    public void AcProp_CountIsPerParameter()
    {
        var set = new ParameterSet();
        var a = set.Add("a", [1]);
        var b = set.Add("b", [1]);
        var optimizer = new Optimizer(Optimizers.AcProp(), set);
        var grads = new GradientSet(set);
        for (int k = 0; k < 6; k++)
        {
            grads.ClearAll();
            grads.Set(a, [1f]);
            if (k % 2 == 0) grads.Set(b, [1f]);
            optimizer.Step(grads);
        }
        Assert.Equal(6, ((OptaxState)optimizer.GetState(a, "0.scale_by_acprop")!).Count);
        Assert.Equal(3, ((OptaxState)optimizer.GetState(b, "0.scale_by_acprop")!).Count);
    }

    [Fact]
    public void NoisySgd_IsReproducible_AndDependsOnTheSeed()
    {
        float[] Run(long seed) => OptaxDoctestTests.RunQuadratic(Optimizers.NoisySgd(new NoisySgdOptions { LearningRate = 0.1, Eta = 1, Seed = seed }), 3).X;
        Assert.Equal(Run(1), Run(1));
        Assert.NotEqual(Run(1), Run(2));
    }

    [Fact]
    public void CounterNormal_IsStandardNormal_AndLogIsAccurate()
    {
        ulong key = CounterNormal.Key(42, 0, 1);
        const int n = 200_000;
        double sum = 0, sumSq = 0, beyond2 = 0;
        for (int i = 0; i < n; i++)
        {
            double z = CounterNormal.Sample(key, i);
            sum += z;
            sumSq += z * z;
            if (Math.Abs(z) > 2) beyond2++;
        }
        double mean = sum / n, variance = sumSq / n - mean * mean;
        Assert.True(Math.Abs(mean) < 0.01, $"mean {mean}");
        Assert.True(Math.Abs(variance - 1) < 0.015, $"variance {variance}");
        Assert.True(Math.Abs(beyond2 / n - 0.0455) < 0.003, $"P(|z| > 2) = {beyond2 / n}");
        foreach (double x in new[] { 1e-300, 1e-20, 0.001, 0.3, 0.7071, 0.7072, 0.999999, 1.0, 1.5 })
            Assert.Equal(Math.Log(x), CounterNormal.Log(x), Math.Abs(Math.Log(x)) * 1e-15 + 1e-15);
    }

    [Fact]
    public void Fromage_KeepsTheNormBounded()
    {
        // θ ← (θ − η‖θ‖/‖g‖·g)/√(1+η²): with g ∥ θ the norm shrinks by (1 − η)/√(1+η²).
        var set = new ParameterSet();
        var w = set.Add("w", [2], [3f, 4f]);
        var optimizer = new Optimizer(Optimizers.Fromage(new FromageOptions { LearningRate = 0.1 }), set);
        var grads = new GradientSet(set);
        grads.Set(w, [0.3f, 0.4f]);
        optimizer.Step(grads);
        double expected = 5 * (1 - 0.1) / Math.Sqrt(1.01);
        Assert.Equal(expected, Math.Sqrt(w.Values[0] * w.Values[0] + w.Values[1] * w.Values[1]), 1e-5);
    }
}
