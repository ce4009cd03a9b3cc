using BenchmarkDotNet.Attributes;

namespace Momentum.Benchmarks;

/// <summary>
/// One optimizer step through the engine, per optimizer and size: 4099 (cache-resident, odd so the scalar tail is
/// timed), 1 Mi + 7 (L2/L3-resident) and 16 Mi + 3 (DRAM-bound on a 32 MiB L3). Allocations must read 0 B.
/// </summary>
[MemoryDiagnoser]
public class Perf_OptimizerStep
{
    private Optimizer _optimizer = null!;
    private GradientSet _gradients = null!;

    [Params("sgd", "sgd-momentum", "adam", "adam-bf16", "adamw", "clip+adamw")]
    public string Optimizer { get; set; } = "adam";

    [Params(4099, (1 << 20) + 7, (1 << 24) + 3)]
    public int Length { get; set; }

    [Params(false, true)]
    public bool Specialized { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var set = new ParameterSet();
        set.Add("w", Length);
        _gradients = Seeded.Gradients(set);
        GradientTransformation t = Optimizer switch
        {
            "sgd" => Optimizers.Sgd(),
            "sgd-momentum" => Optimizers.Sgd(new SgdOptions { Momentum = 0.9 }),
            "adam" => Optimizers.Adam(),
            "adam-bf16" => Optimizers.Adam(new AdamOptions { BFloat16State = true }),
            "adamw" => Optimizers.AdamW(),
            "clip+adamw" => Transforms.Chain(Transforms.ClipByGlobalNorm(1.0), Optimizers.AdamW()),
            _ => throw new ArgumentException($"unknown optimizer {Optimizer}"),
        };
        _optimizer = new Optimizer(t, set, new OptimizerOptions { NonFiniteGradients = NonFiniteGradients.Propagate, SpecializedKernels = Specialized });
        _optimizer.Step(_gradients);
    }

    [Benchmark]
    public bool Step() => _optimizer.Step(_gradients);
}
