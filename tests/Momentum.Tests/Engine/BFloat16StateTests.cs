using System.Runtime.Intrinsics;
using Momentum.Kernels;
using Xunit.Abstractions;

namespace Momentum.Tests.Engine;

public class BFloat16StateTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1f, (ushort)0x3F80)]
    [InlineData(-2f, (ushort)0xC000)]
    [InlineData(0f, (ushort)0x0000)]
    [InlineData(-0f, (ushort)0x8000)]
    [InlineData(float.PositiveInfinity, (ushort)0x7F80)]
    [InlineData(float.MaxValue, (ushort)0x7F80)] // rounds up past the largest bfloat16
    public void FromSingle_RoundsToNearest(float value, ushort expected) => Assert.Equal(expected, BFloat16.FromSingle(value));

    [Fact]
    public void FromSingle_TiesGoToEven_AndNaNStaysNaN()
    {
        Assert.Equal(0x3F80, BFloat16.FromSingle(BitConverter.UInt32BitsToSingle(0x3F808000))); // tie, even below
        Assert.Equal(0x3F82, BFloat16.FromSingle(BitConverter.UInt32BitsToSingle(0x3F818000))); // tie, even above
        Assert.Equal(0x3F81, BFloat16.FromSingle(BitConverter.UInt32BitsToSingle(0x3F808001))); // just above the tie
        Assert.True(float.IsNaN(BFloat16.ToSingle(BFloat16.FromSingle(BitConverter.UInt32BitsToSingle(0x7F800001)))));
    }

    [Fact]
    public void VectorNarrowAndWiden_MatchScalar()
    {
        var values = new float[16];
        for (int trial = 0; trial < 2000; trial++)
        {
            for (int i = 0; i < 16; i++)
                values[i] = BitConverter.UInt32BitsToSingle((uint)(EngineTestData.Hash(trial, i, 7) * 4e9f) ^ (uint)(trial * 2654435761u));
            values[trial % 16] = trial % 3 == 0 ? float.NaN : values[trial % 16];
            var narrowed = BFloat16.Narrow(Vector256.Create(values.AsSpan(0, 8)), Vector256.Create(values.AsSpan(8, 8)));
            for (int i = 0; i < 16; i++) Assert.Equal(BFloat16.FromSingle(values[i]), narrowed[i]);
            var (lo, hi) = BFloat16.Widen(narrowed);
            for (int i = 0; i < 8; i++)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(BFloat16.ToSingle(narrowed[i])), BitConverter.SingleToInt32Bits(lo[i]));
                Assert.Equal(BitConverter.SingleToInt32Bits(BFloat16.ToSingle(narrowed[i + 8])), BitConverter.SingleToInt32Bits(hi[i]));
            }
        }
    }

    [Fact]
    public void FirstStep_EqualsFloat32Adam_AndStoresRoundedMoments()
    {
        var fp32 = Step(new AdamOptions { LearningRate = 0.01 }, out var fp32Opt, out var set32);
        var bf16 = Step(new AdamOptions { LearningRate = 0.01, BFloat16State = true }, out var bf16Opt, out var set16);
        Assert.Equal(fp32, bf16);
        foreach (var p in set32)
        {
            var s32 = (ScaleByAdamState)fp32Opt.GetState(p, "0.scale_by_adam")!;
            var s16 = (ScaleByAdamBFloat16State)bf16Opt.GetState(set16[p.Name], "0.scale_by_adam_bf16")!;
            for (int i = 0; i < p.Length; i++)
            {
                Assert.Equal(BFloat16.FromSingle(s32.Mu.Span[i]), s16.Mu[i]);
                Assert.Equal(BFloat16.FromSingle(s32.Nu.Span[i]), s16.Nu[i]);
            }
        }
    }

    [Fact]
    public void AmsgradWithBFloat16State_IsRejected() =>
        Assert.Throws<ArgumentException>("BFloat16State", () => Optimizers.Adam(new AdamOptions { Amsgrad = true, BFloat16State = true }));

    [Fact]
    public void LogisticRegression_Bf16State_ReachesAboutTheFloat32Loss()
    {
        // A fixed-seed logistic regression (2,000 samples, 32 features, 10% label noise), full batch, 400 steps.
        foreach (bool adamW in new[] { false, true })
        {
            double loss32 = Train(bf16: false, adamW), loss16 = Train(bf16: true, adamW);
            output.WriteLine($"{(adamW ? "adamw" : "adam")}: final loss fp32 state {loss32:F6}, bf16 state {loss16:F6} ({(loss16 - loss32) / loss32:+0.00%;-0.00%})");
            Assert.True(loss16 < 0.6, $"bf16 state did not train: loss {loss16}");
            Assert.True(Math.Abs(loss16 - loss32) < 0.02 * loss32, $"bf16 state loss {loss16} is more than 2% from fp32's {loss32}");
        }
    }

    private static float[] Step(AdamOptions options, out Optimizer optimizer, out ParameterSet set)
    {
        set = EngineTestData.MakeSet(smallTensors: 3);
        optimizer = new Optimizer(Optimizers.Adam(options), set);
        var gradients = new GradientSet(set);
        EngineTestData.FillGradients(gradients, 0);
        optimizer.Step(gradients);
        return [.. set.SelectMany(p => p.Values.ToArray())];
    }

    private static double Train(bool bf16, bool adamW)
    {
        const int n = 2000, d = 32, steps = 400;
        var random = new Random(1234);
        var x = new float[n * d];
        var y = new float[n];
        var truth = new double[d];
        for (int j = 0; j < d; j++) truth[j] = random.NextDouble() * 2 - 1;
        for (int i = 0; i < n; i++)
        {
            double z = 0;
            for (int j = 0; j < d; j++) z += (x[i * d + j] = (float)(random.NextDouble() * 2 - 1)) * truth[j];
            bool label = z > 0;
            if (random.NextDouble() < 0.1) label = !label;
            y[i] = label ? 1 : 0;
        }
        var set = new ParameterSet();
        var w = set.Add("w", d);
        var b = set.Add("b");
        var transformation = adamW
            ? Optimizers.AdamW(new AdamWOptions { LearningRate = 0.02, BFloat16State = bf16 })
            : Optimizers.Adam(new AdamOptions { LearningRate = 0.02, BFloat16State = bf16 });
        var optimizer = new Optimizer(transformation, set, new OptimizerOptions { Threads = 1 });
        var gradients = new GradientSet(set);
        double loss = 0;
        var gw = new double[d];
        for (int step = 0; step <= steps; step++)
        {
            Array.Clear(gw);
            double gb = 0;
            loss = 0;
            for (int i = 0; i < n; i++)
            {
                double z = b.Values[0];
                for (int j = 0; j < d; j++) z += w.Values[j] * x[i * d + j];
                double prob = 1 / (1 + Math.Exp(-z));
                loss += y[i] == 1 ? -Math.Log(prob + 1e-12) : -Math.Log(1 - prob + 1e-12);
                double r = (prob - y[i]) / n;
                for (int j = 0; j < d; j++) gw[j] += r * x[i * d + j];
                gb += r;
            }
            loss /= n;
            if (step == steps) break;
            var g = gradients.Get(w);
            for (int j = 0; j < d; j++) g[j] = (float)gw[j];
            gradients.Get(b)[0] = (float)gb;
            optimizer.Step(gradients);
        }
        return loss;
    }
}
