using System.CommandLine;
using System.Globalization;
using Momentum.Distributed;
using Momentum.Specs;

namespace Momentum.Cli.Commands;

/// <summary>
/// <c>momentum bench-sharded</c>: under <c>mpirun -np N</c>, times sharded steps of one large parameter set (every rank
/// has its own gradients) and reports the median step, its exchange and compute parts, and the bytes each rank moved.
/// </summary>
internal static class ShardedBenchCommand
{
    public static Command Create()
    {
        Option<string> optimizer = new("--optimizer", "-o") { Description = "Optimizer spec.", DefaultValueFactory = _ => "adamw(lr=1e-3)" };
        Option<long> elements = new("--elements") { Description = "Parameter elements in all (in tensors of 4 Mi elements).", DefaultValueFactory = _ => 16L << 20 };
        Option<int> steps = new("--steps") { Description = "Timed steps (after two warm-up steps).", DefaultValueFactory = _ => 10 };
        Option<int?> threads = new("--threads") { Description = "Threads per rank (default: the processor count divided by the ranks)." };
        Command command = new("bench-sharded", "Time ZeRO-1 sharded steps under mpirun (exchange versus compute, bytes per rank).")
        {
            optimizer, elements, steps, threads,
        };
        command.SetAction(r => Execute(r.GetValue(optimizer)!, r.GetValue(elements), r.GetValue(steps), r.GetValue(threads), Console.Out));
        return command;
    }

    internal static int Execute(string spec, long elements, int steps, int? threads, TextWriter output)
    {
        using var world = Communicator.FromEnvironment();
        const int tensor = 4 << 20;
        var set = new ParameterSet();
        var rng = new Random(7);
        for (long at = 0, i = 0; at < elements; at += tensor, i++)
        {
            int length = (int)Math.Min(tensor, elements - at);
            var values = new float[length];
            for (int k = 0; k < length; k++) values[k] = (float)(rng.NextDouble() - 0.5);
            set.Add($"w{i}", [length], values);
        }
        var options = new OptimizerOptions { Threads = threads ?? Math.Max(1, Environment.ProcessorCount / world.Size) };
        var sharded = new ShardedOptimizer(SpecRegistry.Default.Create(spec), set, world, new ShardedOptimizerOptions { Optimizer = options });
        var gradients = new GradientSet(set);
        var local = new Random(100 + world.Rank);
        foreach (var p in set)
        {
            var g = gradients.Get(p);
            for (int k = 0; k < g.Length; k++) g[k] = (float)(local.NextDouble() - 0.5) * 1e-2f;
        }
        var step = new List<double>();
        var exchange = new List<double>();
        var compute = new List<double>();
        for (int s = -2; s < steps; s++)
        {
            world.Barrier();
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            sharded.Step(gradients);
            double ms = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (s < 0) continue;
            step.Add(ms);
            exchange.Add(sharded.LastStep.Exchange.TotalMilliseconds);
            compute.Add(sharded.LastStep.Compute.TotalMilliseconds);
        }
        if (world.Rank == 0)
        {
            string F(List<double> v) => string.Create(CultureInfo.InvariantCulture, $"{Median(v):F1} ms ({v.Min():F1}–{v.Max():F1})");
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{spec}: {elements:N0} elements on {world.Size} ranks × {options.Threads} threads, {steps} steps"));
            output.WriteLine($"  step     {F(step)}");
            output.WriteLine($"  exchange {F(exchange)}");
            output.WriteLine($"  compute  {F(compute)}");
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  bytes per rank per step: {sharded.LastStep.BytesSent / 1e6:F1} MB sent, {sharded.LastStep.BytesReceived / 1e6:F1} MB received"));
        }
        return 0;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
