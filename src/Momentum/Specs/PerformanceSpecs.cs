namespace Momentum.Specs;

/// <summary>Spec names for the reduced-precision state variants.</summary>
[SpecProvider]
internal static class PerformanceSpecs
{
    public static void Register(SpecRegistry r)
    {
        r.Register("scale_by_adam_bf16", "scale_by_adam_bf16(b1=0.9, b2=0.999, eps=1e-8): scale_by_adam with bfloat16 moments (float32 math)", "scale_by_adam_bf16(b1=0.8, b2=0.99, eps=1e-6)", a =>
            Transforms.ScaleByAdamBFloat16State(a.Number("b1", 0.9), a.Number("b2", 0.999), a.Number("eps", 1e-8)));
    }
}
