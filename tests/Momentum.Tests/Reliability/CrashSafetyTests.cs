using System.Diagnostics;
using Momentum.IO;
using Momentum.Tests.Common;
using Xunit.Abstractions;

namespace Momentum.Tests.Reliability;

/// <summary>
/// Crash safety of <see cref="Checkpoint.Save(string, Optimizer, IReadOnlyDictionary{string, string}?)"/>: a child process
/// saves two checkpoints in turn to one destination, for ever, and is killed (SIGKILL on Unix) at a random moment, again
/// and again. After every kill the destination must be one of the two complete checkpoints, bit for bit, and at most one
/// temporary file (the killed save's) may be left. <c>MOMENTUM_CRASH_KILLS</c> sets the number of kills (default 100).
/// </summary>
public sealed class CrashSafetyTests(ITestOutputHelper output) : IDisposable
{
    private const int Lanes = 4;                 // children killed side by side, each with its own folder
    private const int Elements = 1 << 16;        // a 768 KiB checkpoint: parameters plus Adam's two moments
    private readonly string _dir = Directory.CreateTempSubdirectory("momentum-crash-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static int Kills =>
        int.TryParse(Environment.GetEnvironmentVariable("MOMENTUM_CRASH_KILLS"), out int n) && n > 0 ? n : 100;

    /// <summary>The two checkpoints the child writes in turn: the same Adam optimizer after one step and after two.</summary>
    internal static (Optimizer First, Optimizer Second) Optimizers()
    {
        Optimizer Make(int steps)
        {
            var set = new ParameterSet();
            var w = set.Add("w", [Elements / 256, 256], [.. Enumerable.Range(0, Elements).Select(i => (i % 1000) * 1e-3f)]);
            var optimizer = new Optimizer(Momentum.Optimizers.Adam(new AdamOptions { LearningRate = 0.01 }), set);
            var gradients = new GradientSet(set);
            var g = gradients.Get(w);
            for (int i = 0; i < g.Length; i++) g[i] = ((uint)i * 2654435761u >> 8) * (1f / (1 << 24)) - 0.5f;
            for (int t = 0; t < steps; t++) optimizer.Step(gradients);
            return optimizer;
        }
        return (Make(1), Make(2));
    }

    /// <summary>The child: saves both checkpoints once, says "ready &lt;ms the second save took&gt;", then saves them in
    /// turn until killed.</summary>
    internal static int SaveForever(string destination)
    {
        var (first, second) = Optimizers();
        Checkpoint.Save(destination, first);
        var watch = Stopwatch.StartNew();
        Checkpoint.Save(destination, second);
        Console.Out.WriteLine($"ready {Math.Max(1, (int)watch.Elapsed.TotalMilliseconds)}");
        Console.Out.Flush();
        for (long i = 0; ; i++) Checkpoint.Save(destination, i % 2 == 0 ? first : second);
    }

    private static byte[] InMemory(Optimizer optimizer)
    {
        using var stream = new MemoryStream();
        Checkpoint.Save(stream, optimizer);
        return stream.ToArray();
    }

    [Fact]
    public async Task KilledWhileSaving_LeavesTheOldOrTheNewCheckpointAndNoPileOfTemporaryFiles()
    {
        var (first, second) = Optimizers();
        byte[][] complete = [InMemory(first), InMemory(second)];
        int kills = Kills, perLane = (kills + Lanes - 1) / Lanes;
        var watch = Stopwatch.StartNew();
        var lanes = Enumerable.Range(0, Lanes).Select(lane => Task.Run(() => RunLane(lane, perLane, complete, first))).ToArray();
        var results = await Task.WhenAll(lanes);
        var total = results.Aggregate((a, b) => (a.Kills + b.Kills, a.WithTemporary + b.WithTemporary, a.Second + b.Second, a.SaveMs + b.SaveMs));
        output.WriteLine($"{total.Kills} kills in {watch.Elapsed.TotalSeconds:F1} s ({Lanes} side by side); a temporary file was on disk after {total.WithTemporary}; " +
            $"the destination held the second checkpoint after {total.Second}; a save took about {total.SaveMs / total.Kills} ms ({complete[0].Length} bytes)");
        Assert.True(total.WithTemporary > 0, "no kill landed while a temporary file existed: the test did not interrupt any save");
        Assert.True(total.Second > 0, "the child never completed a second save before its kill");
    }

    private (int Kills, int WithTemporary, int Second, long SaveMs) RunLane(int lane, int kills, byte[][] complete, Optimizer first)
    {
        string dir = Directory.CreateDirectory(Path.Combine(_dir, $"lane{lane}")).FullName;
        string destination = Path.Combine(dir, "final.safetensors");
        Checkpoint.Save(destination, first);
        var random = new Random(lane + 1);
        int withTemporary = 0, second = 0;
        long saveMs = 0;
        for (int k = 0; k < kills; k++)
        {
            using var child = ChildProcess.Start("Momentum.Tests.dll", "crash-save", destination);
            var ready = child.StandardOutput.ReadLineAsync();
            string line = ready.Wait(TimeSpan.FromSeconds(60)) ? ready.Result ?? "" : "";
            if (!line.StartsWith("ready ", StringComparison.Ordinal))
            {
                child.Kill();
                Assert.Fail($"lane {lane}, kill {k}: the child did not get ready: {child.StandardError.ReadToEnd()}");
            }
            int ms = int.Parse(line["ready ".Length..], System.Globalization.CultureInfo.InvariantCulture);
            saveMs += ms;
            Thread.Sleep(random.Next(0, 2 * ms + 2));     // over about two saves
            child.Kill();
            child.WaitForExit();

            byte[] now = File.ReadAllBytes(destination);
            int which = Array.FindIndex(complete, c => c.AsSpan().SequenceEqual(now));
            Assert.True(which >= 0, $"lane {lane}, kill {k}: the destination ({now.Length} bytes) is neither complete checkpoint");
            if (which == 1) second++;
            string[] others = [.. Directory.GetFiles(dir).Where(f => f != destination).Select(f => Path.GetFileName(f)!)];
            Assert.True(others.Length <= 1, $"lane {lane}, kill {k}: {others.Length} files beside the destination: {string.Join(", ", others)}");
            if (others.Length == 1)
            {
                Assert.Matches(@"^\.final\.safetensors\.[0-9a-f]{32}\.tmp$", others[0]);
                withTemporary++;
            }
        }
        Checkpoint.Save(destination, first);              // a later save removes the last killed save's temporary file
        Assert.Equal([destination], Directory.GetFiles(dir));
        var resumed = Optimizers().First;
        Checkpoint.Load(destination, resumed);
        return (kills, withTemporary, second, saveMs);
    }
}
