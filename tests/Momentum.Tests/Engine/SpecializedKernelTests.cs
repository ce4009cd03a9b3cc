using Momentum.Specs;

namespace Momentum.Tests.Engine;

/// <summary>The one-pass kernels for recognized chains give the same bits as the generic block-by-block chain.</summary>
public class SpecializedKernelTests
{
    public static TheoryData<string> RecognizedChains =>
    [
        "sgd(lr=0.1)",
        "sgd(lr=0.1, weight_decay=0.01)",
        "sgd(lr=0.1, momentum=0.9)",
        "sgd(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01, maximize=true)",
        "sgd(lr=0.1, momentum=0.9, nesterov=true)",
        "adam()",
        "adam(lr=0.01, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1, maximize=true)",
        "adamw()",
        "adamw(lr=0.01, weight_decay=0.3)",
        "adamw(lr=0.01, weight_decay=0)",
        "chain(clip_by_global_norm(max_norm=0.5), adamw(lr=0.01))",
        "chain(clip_by_global_norm(max_norm=1000), adam(lr=0.01))",
        "chain(clip_by_norm(max_norm=0.2), sgd(lr=0.1, momentum=0.5))",
        "chain(scale_by_adam(b1=0.5, eps_root=1e-8, nesterov=true), add_decayed_weights(weight_decay=0.1), scale_by_learning_rate(lr=0.05))",
        "chain(scale(step_size=-2), scale_by_learning_rate(lr=0.05))",
        "chain(scale_by_adam_bf16(), scale_by_learning_rate(lr=0.01))",
        "chain(scale_by_adam_bf16(b1=0.8, b2=0.99, eps=1e-6), add_decayed_weights(weight_decay=0.1), scale_by_learning_rate(lr=0.01))",
        "chain(clip_by_global_norm(max_norm=0.5), add_decayed_weights(weight_decay=0.1), scale_by_adam_bf16(), scale_by_learning_rate(lr=0.05))",
    ];

    [Theory]
    [MemberData(nameof(RecognizedChains))]
    public void Specialized_MatchesGenericChain_BitForBit(string spec)
    {
        var generic = Run(spec, specialized: false, out int genericCount);
        var fused = Run(spec, specialized: true, out int fusedCount);
        Assert.Equal(0, genericCount);
        Assert.True(fusedCount > 0, $"{spec} was not recognized by the specialized kernels");
        EngineTestData.AssertSameBits(generic, fused, spec);
    }

    [Fact]
    public void Specialized_WarmupCosineSchedule_MatchesGenericChain()
    {
        var lr = Schedule.FromFunction(static t => t < 2 ? 0.01 * (t + 1) / 2 : 0.005 * (1 + Math.Cos(Math.PI * Math.Min(1.0, (t - 2) / 10.0))));
        GradientTransformation Make() => Transforms.Chain(Transforms.ClipByGlobalNorm(0.3), Optimizers.AdamW(new AdamWOptions { LearningRate = lr }));
        var generic = Run(Make(), specialized: false, out _);
        var fused = Run(Make(), specialized: true, out int count);
        Assert.True(count > 0);
        EngineTestData.AssertSameBits(generic, fused, "warmup-cosine chain");
    }

    [Theory]
    [InlineData("adam(amsgrad=true)")]
    [InlineData("chain(clip(max_delta=0.1), adam())")]
    [InlineData("chain(adam(), clip_by_global_norm(max_norm=1))")]
    public void UnrecognizedChains_RunGeneric(string spec)
    {
        Run(spec, specialized: true, out int count);
        Assert.Equal(0, count);
    }

    [Fact]
    public void Specialized_SlicesAtAnyOffsetAndLength_MatchScalarReference()
    {
        // Every length 0..70 at offsets 0..3, against the scalar formula written out here.
        var k = new Kernels.ChainScalars
        {
            B1 = 0.9f, C1 = 0.1f, B2 = 0.999f, C2 = 1e-3f, Km = 1.5f, Kg = 0f, SqrtBc2 = 0.2f, EpsRoot = 0f, Eps = 1e-8f,
            Wd2 = 0.01f, HasWd2 = true, Lr = -0.01f,
        };
        for (int length = 0; length <= 70; length++)
        {
            for (int offset = 0; offset < 4; offset++)
            {
                int n = offset + length;
                float[] g = new float[n], p = new float[n], m = new float[n], v = new float[n];
                for (int i = 0; i < n; i++) (g[i], p[i], m[i], v[i]) = (EngineTestData.Hash(1, i, n), EngineTestData.Hash(2, i, n), EngineTestData.Hash(3, i, n), Math.Abs(EngineTestData.Hash(4, i, n)));
                float[] ep = (float[])p.Clone(), em = (float[])m.Clone(), ev = (float[])v.Clone();
                for (int i = offset; i < n; i++)
                {
                    em[i] = k.B1 * em[i] + k.C1 * g[i];
                    ev[i] = k.B2 * ev[i] + k.C2 * g[i] * g[i];
                    float u = (k.Km * em[i] + k.Kg * g[i]) / (MathF.Sqrt(ev[i] + k.EpsRoot) / k.SqrtBc2 + k.Eps);
                    u += k.Wd2 * p[i];
                    ep[i] = p[i] + u * k.Lr;
                }
                Kernels.FusedKernels.Adam(in k, g.AsSpan(offset), p.AsSpan(offset), m.AsSpan(offset), v.AsSpan(offset));
                Assert.Equal(ep, p);
                Assert.Equal(em, m);
                Assert.Equal(ev, v);
            }
        }
    }

    [Fact]
    public void SpecializedBFloat16_SlicesAtAnyOffsetAndLength_MatchScalarReference()
    {
        // Every length 0..100 (the 32- and 16-element loops and the tail) at offsets 0..3, against the scalar formula of
        // scale_by_adam_bf16 written out here, with a decoupled decay and the learning rate after it.
        var k = new Kernels.ChainScalars
        {
            B1 = 0.9f, C1 = 0.1f, B2 = 0.999f, C2 = 1e-3f, Km = 1.5f, SqrtBc2 = 0.2f, Eps = 1e-8f,
            Clip = 0.5f, HasClip = true, Wd2 = 0.01f, HasWd2 = true, Lr = -0.01f,
        };
        for (int length = 0; length <= 100; length++)
        {
            for (int offset = 0; offset < 4; offset++)
            {
                int n = offset + length;
                float[] g = new float[n], p = new float[n];
                ushort[] m = new ushort[n], v = new ushort[n];
                for (int i = 0; i < n; i++)
                {
                    (g[i], p[i]) = (EngineTestData.Hash(1, i, n), EngineTestData.Hash(2, i, n));
                    (m[i], v[i]) = (Kernels.BFloat16.FromSingle(EngineTestData.Hash(3, i, n)), Kernels.BFloat16.FromSingle(Math.Abs(EngineTestData.Hash(4, i, n))));
                }
                float[] ep = (float[])p.Clone();
                ushort[] em = (ushort[])m.Clone(), ev = (ushort[])v.Clone();
                for (int i = offset; i < n; i++)
                {
                    float u = g[i] * k.Clip;
                    float mi = k.B1 * Kernels.BFloat16.ToSingle(em[i]) + k.C1 * u;
                    float vi = k.B2 * Kernels.BFloat16.ToSingle(ev[i]) + k.C2 * u * u;
                    u = k.Km * mi / (MathF.Sqrt(vi) / k.SqrtBc2 + k.Eps);
                    u += k.Wd2 * p[i];
                    ep[i] = p[i] + u * k.Lr;
                    (em[i], ev[i]) = (Kernels.BFloat16.FromSingle(mi), Kernels.BFloat16.FromSingle(vi));
                }
                Kernels.FusedKernels.AdamBFloat16(in k, g.AsSpan(offset), p.AsSpan(offset), m.AsSpan(offset), v.AsSpan(offset));
                Assert.Equal(ep, p);
                Assert.Equal(em, m);
                Assert.Equal(ev, v);
            }
        }
    }

    private static List<(string What, long Bits)> Run(string spec, bool specialized, out int specializedCount) =>
        Run(SpecRegistry.Default.Create(spec), specialized, out specializedCount);

    private static List<(string What, long Bits)> Run(GradientTransformation transformation, bool specialized, out int specializedCount)
    {
        var set = EngineTestData.MakeSet(smallTensors: 8);
        var optimizer = new Optimizer(transformation, set, new OptimizerOptions { Threads = 2, SpecializedKernels = specialized });
        var gradients = new GradientSet(set);
        for (int step = 0; step < 6; step++)
        {
            EngineTestData.FillGradients(gradients, step);
            if (step == 3) gradients.Clear(set["odd.bias"]); // a parameter without gradient on one step
            optimizer.Step(gradients);
        }
        specializedCount = optimizer.SpecializedPlanCount;
        return EngineTestData.Snapshot(optimizer);
    }
}
