using BenchmarkDotNet.Attributes;
using Momentum.Diagnostics;
using Momentum.Specs;

namespace Momentum.Benchmarks;

/// <summary>Seeded parameters and gradients, as <c>momentum bench</c> makes them.</summary>
internal static class Seeded
{
    /// <summary>Fills every parameter with values in [−0.5, 0.5) and returns gradients in [−0.005, 0.005) for all of them.</summary>
    public static GradientSet Gradients(ParameterSet set)
    {
        var gradients = new GradientSet(set);
        var random = new Random(42);
        foreach (var p in set)
        {
            var values = p.Values;
            var g = gradients.Get(p, clear: true);
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = (float)(random.NextDouble() - 0.5);
                g[i] = (float)((random.NextDouble() - 0.5) * 1e-2);
            }
        }
        return gradients;
    }

    /// <summary>An optimizer over <paramref name="set"/>, without the finite check (PyTorch does not check either), stepped once.</summary>
    public static (Optimizer Optimizer, GradientSet Gradients) Stepped(GradientTransformation transformation, ParameterSet set)
    {
        var gradients = Gradients(set);
        var optimizer = new Optimizer(transformation, set, new OptimizerOptions { NonFiniteGradients = NonFiniteGradients.Propagate });
        optimizer.Step(gradients, 1.0);
        return (optimizer, gradients);
    }
}

/// <summary>
/// <c>momentum bench --breadth</c>'s cases: every registered optimizer by its registry example on a vector of 16 Mi
/// elements, and those with a tensor stage on a matrix (Muon, Adafactor, SM3) also on a 1024 × 1024 matrix (smaller
/// than the command's 4096 × 4096, so that Muon's Newton–Schulz steps keep the suite short).
/// </summary>
[MemoryDiagnoser]
public class Perf_Breadth
{
    private const int Length = 16 * 1024 * 1024;
    private const int Side = 1024;
    private const string MatrixSuffix = " (1024 x 1024)";
    private Optimizer _optimizer = null!;
    private GradientSet _gradients = null!;

    /// <summary>Every optimizer name, and the matrix cases.</summary>
    public static IEnumerable<string> Cases()
    {
        var registry = SpecRegistry.Default;
        foreach (string name in registry.OptimizerNames)
        {
            yield return name;
            var set = new ParameterSet();
            var p = set.Add("embed.weight", [Side, Side]);
            set.Add("head.bias", 64);
            if (new Optimizer(registry.Create(registry.Example(name)), set).StagesOf(p).Any(s => s.Transformation is TensorTransformation))
                yield return name + MatrixSuffix;
        }
    }

    [ParamsSource(nameof(Cases))]
    public string Case { get; set; } = "adam";

    [GlobalSetup]
    public void Setup()
    {
        bool matrix = Case.EndsWith(MatrixSuffix, StringComparison.Ordinal);
        string name = matrix ? Case[..^MatrixSuffix.Length] : Case;
        // A group glob must match a parameter, and the registry's examples with groups name '*.bias' and 'embed.*': the
        // case's tensor is 'embed.weight', joined by a 64-element 'head.bias' (a negligible share of the traffic).
        var set = new ParameterSet();
        if (matrix) set.Add("embed.weight", [Side, Side]);
        else set.Add("embed.weight", Length);
        set.Add("head.bias", 64);
        (_optimizer, _gradients) = Seeded.Stepped(SpecRegistry.Default.Create(SpecRegistry.Default.Example(name)), set);
    }

    [Benchmark]
    public bool Step() => _optimizer.Step(_gradients, 1.0);
}

/// <summary>
/// The traffic ceilings the command measures each case against (<see cref="TrafficCeiling"/>): k read streams of which
/// the first j are written back, over 16 Mi elements on every processor; 2r/1w is SGD's pattern, 4r/3w Adam's.
/// </summary>
public class Perf_TrafficCeiling
{
    private const int Length = 16 * 1024 * 1024;
    private TrafficCeiling _ceiling = null!;
    private int _reads, _writes;

    [Params("2r/1w", "3r/2w", "4r/3w", "5r/4w", "6r/5w")]
    public string Pattern { get; set; } = "4r/3w";

    [Params(false, true)]
    public bool NonTemporal { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _reads = Pattern[0] - '0';
        _writes = Pattern[3] - '0';
        _ceiling = new TrafficCeiling(_reads, Length, Environment.ProcessorCount);
    }

    [GlobalCleanup]
    public void Cleanup() => _ceiling.Dispose();

    [Benchmark]
    public double Pass() => _ceiling.Measure(_reads, _writes, Length, NonTemporal);
}

/// <summary>Adam over 10 M elements as one tensor, 10,000 of 1,000 and 100,000 of 100: the cost of many small tensors.</summary>
[MemoryDiagnoser]
public class Perf_ManySmallTensors
{
    private Optimizer _optimizer = null!;
    private GradientSet _gradients = null!;

    [Params(1, 10_000, 100_000)]
    public int Tensors { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        int length = 10_000_000 / Tensors;
        var set = new ParameterSet();
        for (int i = 0; i < Tensors; i++) set.Add($"w{i}", length);
        (_optimizer, _gradients) = Seeded.Stepped(Optimizers.Adam(), set);
    }

    [Benchmark]
    public bool Step() => _optimizer.Step(_gradients);
}

/// <summary>Adam over 10 tensors of 100 elements: the per-step overhead.</summary>
[MemoryDiagnoser]
public class Perf_TinyStep
{
    private Optimizer _optimizer = null!;
    private GradientSet _gradients = null!;

    [GlobalSetup]
    public void Setup()
    {
        var set = new ParameterSet();
        for (int i = 0; i < 10; i++) set.Add($"w{i}", 100);
        (_optimizer, _gradients) = Seeded.Stepped(Optimizers.Adam(), set);
    }

    [Benchmark]
    public bool Step() => _optimizer.Step(_gradients);
}
