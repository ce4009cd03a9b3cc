using System.Diagnostics;
using Momentum.Diagnostics;

namespace Momentum.Cli.Commands;

internal static partial class BenchCommand
{
    /// <summary>
    /// Measures cases one after another. Each case's round is one pass of its traffic ceiling (the better of ordinary and
    /// non-temporal stores), one sample of the case, one of fused Adam on as many elements, and, with PyTorch, one of its
    /// counterpart: every ratio is taken within a round, so both sides see the same machine load.
    /// </summary>
    private sealed class CaseRunner(BenchSettings settings, TorchClient? torch) : IDisposable
    {
        /// <summary>A step slower than this in warm-up makes a slow case: fewer warm-up steps and at most three rounds.</summary>
        private const double SlowStepSeconds = 1.0;

        private TrafficCeiling? _ceiling;
        private Baseline? _adam;

        public CaseResult Measure(BenchCase c)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var (optimizer, gradients, first) = Setup(c, settings);
            int elements = c.Elements;
            // Tiny cases time several steps per sample, so that a sample is long against the clock's resolution; PyTorch's
            // per-step overhead (a tenth of a millisecond or more) makes fewer of its steps enough.
            int perSample = Math.Clamp((1 << 18) / elements, 1, 1024);
            int torchPerSample = Math.Min(perSample, 16);
            long start = Stopwatch.GetTimestamp();
            optimizer.Step(gradients, Loss);
            bool slow = Stopwatch.GetElapsedTime(start).TotalSeconds > SlowStepSeconds;
            Warm(() => optimizer.Step(gradients, Loss), slow ? 1 : 5, slow ? 0 : settings.WarmSeconds);
            int repeats = slow ? Math.Min(settings.Repeats, 3) : settings.Repeats;

            string kind = KindOf(optimizer, first);
            var (reads, writes) = Traffic(optimizer, c, first);
            var ceiling = Ceiling(reads, elements);
            Warm(() => ceiling.MeasureBest(reads, writes, elements), 3, settings.WarmSeconds / 2);
            var adam = AdamOn(elements);
            if (torch is not null && c.TorchKey is not null) torch.Setup(c.TorchKey, c.Tensors, c.Length);
            bool withTorch = torch is not null && c.TorchKey is not null;

            var times = new double[repeats];
            var ceilingTimes = new double[repeats];
            var adamTimes = new double[repeats];
            var ofCeiling = new double[repeats];
            var timesAdam = new double[repeats];
            var torchTimes = new double[withTorch ? repeats : 0];
            var speedups = new double[withTorch ? repeats : 0];
            double allocated = 0;
            for (int r = 0; r < repeats; r++)
            {
                double ceilingSeconds = 0;
                for (int k = 0; k < perSample; k++) ceilingSeconds += ceiling.MeasureBest(reads, writes, elements);
                ceilingTimes[r] = ceilingSeconds * 1e3 / perSample;
                (times[r], double bytes) = TimeSteps(optimizer, gradients, perSample);
                allocated += bytes;
                (adamTimes[r], _) = TimeSteps(adam.Optimizer, adam.Gradients, perSample);
                ofCeiling[r] = ceilingTimes[r] / times[r];
                timesAdam[r] = times[r] / adamTimes[r];
                if (withTorch)
                {
                    torchTimes[r] = torch!.Step(torchPerSample);
                    speedups[r] = torchTimes[r] / times[r];
                }
            }
            if (withTorch) torch!.Free();
            return new CaseResult(c, kind, optimizer.IsFused, reads, writes, repeats, Stats.Of(times), Stats.Of(ceilingTimes),
                Stats.Of(ofCeiling), Stats.Of(adamTimes), Stats.Of(timesAdam), allocated / repeats, LoadAverage())
            {
                Torch = withTorch ? new TorchResult(Stats.Of(torchTimes), Stats.Of(speedups)) : null,
            };
        }

        public void Dispose() => _ceiling?.Dispose();

        /// <summary>A ceiling with at least <paramref name="streams"/> streams of <paramref name="elements"/> elements.</summary>
        private TrafficCeiling Ceiling(int streams, int elements)
        {
            if (_ceiling is null || _ceiling.Streams < streams || _ceiling.Capacity < elements)
            {
                int keep = _ceiling?.Streams ?? 0;
                _ceiling?.Dispose();
                _ceiling = new TrafficCeiling(Math.Max(streams, keep), Math.Max(elements, settings.Size), settings.Threads);
            }
            return _ceiling;
        }

        /// <summary>Fused Adam on one tensor of <paramref name="elements"/> elements, warmed up (kept for the next case of that size).</summary>
        private Baseline AdamOn(int elements)
        {
            if (_adam is { } kept && kept.Elements == elements) return kept;
            _adam = null;
            GC.Collect();
            var (optimizer, gradients, _) = Setup(new BenchCase("adam", "adam()", null, () => Optimizers.Adam(), 1, elements), settings);
            Warm(() => optimizer.Step(gradients, Loss), 5, settings.WarmSeconds);
            _adam = new Baseline(elements, optimizer, gradients);
            return _adam;
        }

        private sealed record Baseline(int Elements, Optimizer Optimizer, GradientSet Gradients);
    }

    /// <summary>
    /// The case's nominal traffic in float32 streams per element, derived from its state: θ and g are read, θ is
    /// written, and every state tensor (rounded to whole streams per element: a bfloat16 tensor is half a stream, factored
    /// statistics nearly none) is read and written; a pre-pass over the gradients (the finite check, or a reduction at
    /// the head of the chain) reads g once more.
    /// </summary>
    internal static (int Reads, int Writes) Traffic(Optimizer optimizer, BenchCase c, Parameter first)
    {
        long stateFloats = 0;
        foreach (var (_, _, state) in optimizer.States)
            foreach (var tensor in state.Tensors)
                stateFloats += tensor.Buffer.Length;
        int stateStreams = (int)Math.Round(stateFloats / (double)c.Elements, MidpointRounding.AwayFromZero);
        var stages = optimizer.StagesOf(first);
        bool prePass = c.Check != NonFiniteGradients.Propagate || (stages.Count > 0 && stages[0].Transformation is ReducingTransformation);
        return (2 + stateStreams + (prePass ? 1 : 0), 1 + stateStreams);
    }

    /// <summary>Times <paramref name="steps"/> steps; returns milliseconds and bytes allocated process-wide, per step.</summary>
    private static (double Ms, double Bytes) TimeSteps(Optimizer optimizer, GradientSet gradients, int steps)
    {
        long before = GC.GetTotalAllocatedBytes(precise: true);
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < steps; i++) optimizer.Step(gradients, Loss);
        double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        return (ms / steps, (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)steps);
    }

    private static (Optimizer Optimizer, GradientSet Gradients, Parameter First) Setup(BenchCase c, BenchSettings s)
    {
        var set = new ParameterSet();
        // A group glob must match a parameter, and the registry's examples with groups name '*.bias' and 'embed.*': such a
        // case's tensor is 'embed.weight', joined by a 64-element 'head.bias' (a negligible share of the traffic).
        bool grouped = c.Tensors == 1 && c.Spec.Contains("group(", StringComparison.Ordinal);
        var parameters = new Parameter[c.Tensors + (grouped ? 1 : 0)];
        string single = grouped ? "embed.weight" : "w";
        for (int i = 0; i < c.Tensors; i++) parameters[i] = c.Shape is { } shape ? set.Add(single, shape) : set.Add(c.Tensors == 1 ? single : $"w{i}", c.Length);
        if (grouped) parameters[^1] = set.Add("head.bias", 64);
        var gradients = new GradientSet(set);
        var random = new Random(42);
        foreach (var p in parameters)
        {
            var values = p.Values;
            var g = gradients.Get(p, clear: true);
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = (float)(random.NextDouble() - 0.5);
                g[i] = (float)((random.NextDouble() - 0.5) * 1e-2);
            }
        }
        var optimizer = new Optimizer(c.Create(), set, new OptimizerOptions { Threads = s.Threads, NonFiniteGradients = c.Check });
        return (optimizer, gradients, parameters[0]);
    }

    /// <summary>The median, least and greatest of a set of samples.</summary>
    internal readonly record struct Stats(double Median, double Min, double Max)
    {
        public static Stats Of(double[] samples) => new(BenchCommand.Median(samples), samples.Min(), samples.Max());
    }

    /// <summary>One case's measurements; times in milliseconds per step.</summary>
    internal sealed record CaseResult(
        BenchCase Case, string Kind, bool Fused, int Reads, int Writes, int Repeats, Stats Times, Stats CeilingTimes,
        Stats OfCeiling, Stats AdamTimes, Stats TimesAdam, double AllocatedPerStep, string LoadAverage)
    {
        /// <summary>PyTorch's times and its time over Momentum's, per round, or null.</summary>
        public TorchResult? Torch { get; init; }

        /// <summary>Nominal bytes over the median time.</summary>
        public double GigabytesPerSecond => TrafficCeiling.BytesPerPass(Reads, Writes, Case.Elements) / (Times.Median * 1e6);

        /// <summary>The ceiling's bytes over its median time.</summary>
        public double CeilingGigabytesPerSecond => TrafficCeiling.BytesPerPass(Reads, Writes, Case.Elements) / (CeilingTimes.Median * 1e6);
    }

    /// <summary>PyTorch's best implementation's times, and its time over Momentum's in the same round.</summary>
    internal sealed record TorchResult(Stats Times, Stats Speedup);
}
