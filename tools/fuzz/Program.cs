using Momentum;
using Momentum.IO;
using SharpFuzz;

namespace Momentum.Fuzz;

/// <summary>
/// The afl++ target: each input goes through <see cref="SafeTensorsFile.Read(ReadOnlySpan{byte}, string)"/> and, when it
/// parses, <see cref="Checkpoint.Load(Stream, Optimizer)"/> into a lookahead-wrapped AMSGrad Adam with a row statistic.
/// Only <see cref="InvalidDataException"/> may escape either; anything else is a crash that afl++ records.
/// <c>seed &lt;folder&gt;</c> writes the seed corpus instead.
/// </summary>
internal static class Program
{
    private const string Spec = "lookahead(chain(clip_by_global_norm(max_norm=1.0), adam(lr=0.01, amsgrad=true)), sync_period=2, slow_step_size=0.5)";

    private static int Main(string[] args)
    {
        if (args is ["seed", string folder])
        {
            WriteSeeds(folder);
            return 0;
        }
        Optimizer? optimizer = null;      // built inside the target: instrumented code must not run before the fuzzer starts
        Fuzzer.OutOfProcess.Run(stream =>
        {
            optimizer ??= Make(steps: 1);
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            try
            {
                SafeTensorsFile.Read(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), "fuzz");
                buffer.Position = 0;
                Checkpoint.Load(buffer, optimizer);
            }
            catch (InvalidDataException)
            {
            }
        });
        return 0;
    }

    private static Optimizer Make(int steps)
    {
        var set = new ParameterSet();
        set.Add("w", [4, 3], [.. Enumerable.Range(0, 12).Select(i => 0.1f * i - 0.5f)]);
        set.Add("b", [3], [0.25f, -0.5f, 1f]);
        set.Add("s", [], [2f]);
        set.Add("idle", [2], [7f, 8f]);
        var optimizer = new Optimizer(Specs.SpecRegistry.Default.Create(Spec), set);
        var visits = optimizer.AddRowStatistic(set["w"], "visits").Span;
        var gradients = new GradientSet(set);
        for (int t = 0; t < steps; t++)
        {
            foreach (var p in set)
            {
                if (p.Name == "idle") continue;
                var g = gradients.Get(p);
                for (int i = 0; i < g.Length; i++) g[i] = MathF.Sin(t * 5 + i + p.Index * 11);
            }
            optimizer.Step(gradients);
            for (int r = 0; r < visits.Length; r++) visits[r] += r + t;
        }
        return optimizer;
    }

    /// <summary>The seeds: this target's checkpoint after 0 and 3 steps, and three small plain safetensors files.</summary>
    private static void WriteSeeds(string folder)
    {
        Directory.CreateDirectory(folder);
        Checkpoint.Save(Path.Combine(folder, "checkpoint-0.safetensors"), Make(0));
        Checkpoint.Save(Path.Combine(folder, "checkpoint-3.safetensors"), Make(3));
        new SafeTensorsWriter().WriteAtomic(Path.Combine(folder, "empty.safetensors"));
        new SafeTensorsWriter().Add("a", [1f, 2f], 2).Add("s", [3.0]).AddMetadata("k", "v").WriteAtomic(Path.Combine(folder, "two.safetensors"));
        new SafeTensorsWriter().AddBytes("h", SafeTensorsDType.BF16, [0x80, 0x3f, 0x00, 0x40], 2).Add("n", [7L], 1).WriteAtomic(Path.Combine(folder, "bf16-i64.safetensors"));
    }
}
