using Momentum.IO;
using Momentum.Specs;
using Momentum.Tests.Common;
using Xunit.Abstractions;

namespace Momentum.Tests.Reliability;

/// <summary>
/// Resume in a new process, for every registered name by its example spec: run 8 steps straight; separately save after 4,
/// load the file in a fresh process (nothing carried over in memory), run the other 4 there and save. The two final
/// checkpoints (parameters, every state tensor and scalar, counters) must be the same bytes.
/// </summary>
public sealed class ResumeInNewProcessTests(ITestOutputHelper output) : IDisposable
{
    private const int Steps = 8, Saved = 4;
    private readonly string _dir = Directory.CreateTempSubdirectory("momentum-resume-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A matrix, a vector that has no gradient at step 2, a scalar, and a parameter whose first gradient comes after the save;
    /// named so that the registry examples' group globs (<c>*.bias</c>, <c>embed.*</c>) each match a parameter.</summary>
    private static ParameterSet Parameters()
    {
        var set = new ParameterSet();
        set.Add("embed.weight", [5, 7], [.. Enumerable.Range(0, 35).Select(i => MathF.Sin(i) * 0.5f)]);
        set.Add("layer.bias", [9], [.. Enumerable.Range(0, 9).Select(i => 0.1f * i - 0.4f)]);
        set.Add("s", [], [1.5f]);
        set.Add("late", [4], [1f, -1f, 0.5f, 2f]);
        return set;
    }

    private static void Run(Optimizer optimizer, int from, int to)
    {
        var gradients = new GradientSet(optimizer.Parameters);
        for (int t = from; t < to; t++)
        {
            gradients.ClearAll();
            foreach (var p in optimizer.Parameters)
            {
                if ((p.Name == "layer.bias" && t == 2) || (p.Name == "late" && t < 6)) continue;
                var g = gradients.Get(p);
                for (int i = 0; i < g.Length; i++) g[i] = MathF.Cos(t * 13 + i * 7 + p.Index * 3) * (1 + (t % 3));
            }
            optimizer.Step(gradients, loss: 2.0 / (t + 1));
        }
    }

    private static byte[] InMemory(Optimizer optimizer)
    {
        using var stream = new MemoryStream();
        Checkpoint.Save(stream, optimizer);
        return stream.ToArray();
    }

    /// <summary>The child: loads every <c>*.saved.safetensors</c> of <paramref name="directory"/> into an optimizer built
    /// from the spec in its metadata, runs the remaining steps and saves <c>*.final.safetensors</c>.</summary>
    internal static int ResumeAll(string directory)
    {
        foreach (string path in Directory.GetFiles(directory, "*.saved.safetensors").Order(StringComparer.Ordinal))
        {
            string spec = SafeTensorsFile.Read(path).Metadata["spec"];
            var optimizer = new Optimizer(SpecRegistry.Default.Create(spec), Parameters());
            Checkpoint.Load(path, optimizer);
            Run(optimizer, Saved, Steps);
            Checkpoint.Save(path.Replace(".saved.", ".final.", StringComparison.Ordinal), optimizer);
        }
        return 0;
    }

    [Fact]
    public void EveryRegisteredName_ResumedInANewProcess_IsBitExact()
    {
        var names = SpecRegistry.Default.Transformations.Select(t => t.Name).ToList();
        Assert.Contains("adam", names);
        var straight = new Dictionary<string, byte[]>();
        foreach (string name in names)
        {
            string spec = SpecRegistry.Default.Example(name);
            var optimizer = new Optimizer(SpecRegistry.Default.Create(spec), Parameters());
            Run(optimizer, 0, Saved);
            Checkpoint.Save(Path.Combine(_dir, $"{name}.saved.safetensors"), optimizer, new Dictionary<string, string> { ["spec"] = spec });
            Run(optimizer, Saved, Steps);
            straight[name] = InMemory(optimizer);
        }

        var (code, _, error) = ChildProcess.Run("Momentum.Tests.dll", TimeSpan.FromMinutes(5), "resume", _dir);
        Assert.True(code == 0, $"the resuming process failed: {error}");
        var differ = new List<string>();
        foreach (string name in names)
        {
            byte[] resumed = File.ReadAllBytes(Path.Combine(_dir, $"{name}.final.safetensors"));
            // The saved file carries the spec as metadata, the straight run's bytes do not: compare the tensors.
            if (!SameTensors(straight[name], resumed)) differ.Add($"{name} ({SpecRegistry.Default.Example(name)})");
        }
        output.WriteLine($"{names.Count} registered names resumed in a new process; {differ.Count} differ");
        Assert.True(differ.Count == 0, $"resumed in a new process, these differ from the straight run: {string.Join("; ", differ)}");
    }

    private static bool SameTensors(byte[] a, byte[] b)
    {
        var fa = SafeTensorsFile.Read(a, "straight");
        var fb = SafeTensorsFile.Read(b, "resumed");
        if (fa.Tensors.Count != fb.Tensors.Count) return false;
        foreach (var t in fa.Tensors)
            if (!fb.TryGet(t.Name, out var u) || u.DType != t.DType || !u.Shape.SequenceEqual(t.Shape) || !u.Data.SequenceEqual(t.Data)) return false;
        return true;
    }
}
