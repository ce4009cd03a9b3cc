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
        var w = set.Add("w", Length);
        _gradients = new GradientSet(set);
        var g = _gradients.Get(w, clear: true);
        var random = new Random(42);
        for (int i = 0; i < Length; i++)
        {
            w.Values[i] = (float)(random.NextDouble() - 0.5);
            g[i] = (float)((random.NextDouble() - 0.5) * 1e-2);
        }
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

/// <summary>10,000 tensors of 1,000 elements against one tensor of 10,000,000 (Adam): the work-item builder's packing.</summary>
[MemoryDiagnoser]
public class Perf_ManySmallTensors
{
    private Optimizer _optimizer = null!;
    private GradientSet _gradients = null!;

    [Params(1, 10_000)]
    public int Tensors { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        int length = 10_000_000 / Tensors;
        var set = new ParameterSet();
        for (int i = 0; i < Tensors; i++) set.Add($"w{i}", length);
        _gradients = new GradientSet(set);
        foreach (var p in set)
        {
            var g = _gradients.Get(p, clear: true);
            for (int i = 0; i < length; i++) (p.Values[i], g[i]) = (1f / (i + 1), 1e-3f * (i % 7 - 3));
        }
        _optimizer = new Optimizer(Optimizers.Adam(), set, new OptimizerOptions { NonFiniteGradients = NonFiniteGradients.Propagate });
        _optimizer.Step(_gradients);
    }

    [Benchmark]
    public bool Step() => _optimizer.Step(_gradients);
}

/// <summary>The bandwidth reference: in-place <c>x += a·y</c> (12 B/element) on one thread.</summary>
[MemoryDiagnoser]
public class Perf_Axpy
{
    private float[] _x = [];
    private float[] _y = [];

    [Params(4099, (1 << 20) + 7, (1 << 24) + 3)]
    public int Length { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _x = new float[Length];
        _y = Enumerable.Range(0, Length).Select(i => i * 1e-9f).ToArray();
    }

    [Benchmark]
    public void Axpy() => Kernels.VectorMath.AddScaled(_x, _y, 1e-3f);
}
