using Momentum;
using Momentum.IO;
using Momentum.Tests.Reliability;
using SharpFuzz;

namespace Momentum.Fuzz;

/// <summary>
/// The afl++ target: each input goes through <see cref="SafeTensorsFile.Read(ReadOnlySpan{byte}, string)"/> and, when it
/// parses, <see cref="Checkpoint.Load(Stream, Optimizer)"/> into the first optimizer of the fault tests' inputs
/// (<see cref="FaultInputs"/>: a lookahead-wrapped AMSGrad Adam with a row statistic).
/// Only <see cref="InvalidDataException"/> may escape either; anything else is a crash that afl++ records.
/// <c>seed &lt;folder&gt;</c> writes the seed corpus instead.
/// </summary>
internal static class Program
{
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
            optimizer ??= FaultInputs.Trained(FaultInputs.Specs[0], 1);
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

    /// <summary>The seeds: this target's checkpoint after 0 and 3 steps, and three small plain safetensors files.</summary>
    private static void WriteSeeds(string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (string old in Directory.GetFiles(folder)) File.Delete(old);      // afl++ hard-links its inputs, which an atomic write refuses to replace
        Checkpoint.Save(Path.Combine(folder, "checkpoint-0.safetensors"), FaultInputs.Trained(FaultInputs.Specs[0], 0));
        Checkpoint.Save(Path.Combine(folder, "checkpoint-3.safetensors"), FaultInputs.Trained(FaultInputs.Specs[0], 3));
        new SafeTensorsWriter().WriteAtomic(Path.Combine(folder, "empty.safetensors"));
        new SafeTensorsWriter().Add("a", [1f, 2f], 2).Add("s", [3.0]).AddMetadata("k", "v").WriteAtomic(Path.Combine(folder, "two.safetensors"));
        new SafeTensorsWriter().AddBytes("h", SafeTensorsDType.BF16, [0x80, 0x3f, 0x00, 0x40], 2).Add("n", [7L], 1).WriteAtomic(Path.Combine(folder, "bf16-i64.safetensors"));
    }
}
