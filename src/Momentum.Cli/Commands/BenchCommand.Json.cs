using System.Text;
using System.Text.Json;

namespace Momentum.Cli.Commands;

internal static partial class BenchCommand
{
    /// <summary>The machine a run measured: printed with every result and written into the JSON document.</summary>
    internal sealed record MachineInfo(string Cpu, int Processors, string Simd, string LoadAverage)
    {
        public static MachineInfo Read() => new(CpuModel(), Environment.ProcessorCount, WidestVector(), BenchCommand.LoadAverage());
    }

    /// <summary>The widest accelerated vector, the width the library's kernels run at (docs/ARCHITECTURE.md, "Kernels and lanes").</summary>
    internal static string WidestVector() =>
        System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? "Vector512"
        : System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated ? "Vector256"
        : System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated ? "Vector128" : "none (scalar)";

    /// <summary>
    /// Writes the <c>--json</c> document: <c>machine</c> (CPU model, processors, widest accelerated vector, .NET),
    /// <c>settings</c>, <c>load_average</c> (before and after), <c>torch</c> (or null) and <c>cases</c>, one object per
    /// table row with its medians and min–max over rounds. Times are milliseconds per step, ratios plain numbers.
    /// </summary>
    private static class BenchJson
    {
        public static void Write(TextWriter output, BenchSettings s, MachineInfo machine, string loadAfter, TorchClient? torch, List<CaseResult> results)
        {
            using var stream = new MemoryStream();
            using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            {
                w.WriteStartObject();
                w.WriteString("command", s.Breadth ? "bench --breadth" : "bench");
                w.WriteStartObject("machine");
                w.WriteString("cpu", machine.Cpu);
                w.WriteNumber("processors", machine.Processors);
                w.WriteString("simd", machine.Simd);
                w.WriteString("dotnet", Environment.Version.ToString());
                w.WriteEndObject();
                w.WriteStartObject("load_average");
                w.WriteString("before", machine.LoadAverage);
                w.WriteString("after", loadAfter);
                w.WriteEndObject();
                w.WriteStartObject("settings");
                w.WriteNumber("size", s.Size);
                w.WriteNumber("threads", s.Threads);
                w.WriteNumber("repeats", s.Repeats);
                w.WriteBoolean("breadth", s.Breadth);
                w.WriteEndObject();
                if (torch is null) w.WriteNull("torch");
                else
                {
                    w.WriteStartObject("torch");
                    w.WriteString("version", torch.Version);
                    w.WriteNumber("threads", torch.Threads);
                    w.WriteEndObject();
                }
                w.WriteStartArray("cases");
                foreach (var r in results) WriteCase(w, r);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            output.WriteLine(Encoding.UTF8.GetString(stream.ToArray()));
        }

        private static void WriteCase(Utf8JsonWriter w, CaseResult r)
        {
            w.WriteStartObject();
            w.WriteString("name", r.Case.Name);
            w.WriteString("spec", r.Case.Spec);
            w.WriteString("kind", r.Kind);
            w.WriteBoolean("fused", r.Fused);
            w.WriteNumber("tensors", r.Case.Tensors);
            w.WriteNumber("elements", r.Case.Elements);
            w.WriteStartArray("shape");
            foreach (int d in r.Case.Shape ?? (r.Case.Tensors == 1 ? [r.Case.Length] : [r.Case.Tensors, r.Case.Length])) w.WriteNumberValue(d);
            w.WriteEndArray();
            w.WriteNumber("read_streams", r.Reads);
            w.WriteNumber("write_streams", r.Writes);
            w.WriteNumber("bytes_per_element", 4 * (r.Reads + r.Writes));
            w.WriteNumber("rounds", r.Repeats);
            WriteStats(w, "ms_per_step", r.Times);
            w.WriteNumber("gb_per_s", r.GigabytesPerSecond);
            WriteStats(w, "ceiling_ms", r.CeilingTimes);
            w.WriteNumber("ceiling_gb_per_s", r.CeilingGigabytesPerSecond);
            WriteStats(w, "fraction_of_ceiling", r.OfCeiling);
            WriteStats(w, "adam_ms", r.AdamTimes);
            WriteStats(w, "times_adam", r.TimesAdam);
            w.WriteNumber("allocated_bytes_per_step", r.AllocatedPerStep);
            w.WriteString("load_average", r.LoadAverage);
            if (r.Torch is { } t)
            {
                w.WriteStartObject("torch");
                WriteStats(w, "ms_per_step", t.Times);
                WriteStats(w, "times_momentum", t.Speedup);
                w.WriteEndObject();
            }
            else
            {
                w.WriteNull("torch");
            }
            w.WriteEndObject();
        }

        private static void WriteStats(Utf8JsonWriter w, string name, Stats stats)
        {
            w.WriteStartObject(name);
            w.WriteNumber("median", stats.Median);
            w.WriteNumber("min", stats.Min);
            w.WriteNumber("max", stats.Max);
            w.WriteEndObject();
        }
    }
}
