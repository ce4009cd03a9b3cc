using Momentum.IO;
using Momentum.Specs;

namespace Momentum.Tests.IO;

/// <summary>
/// Issue 13 item 9: checkpoints in memory (a torch <c>state_dict</c> user keeps state in memory or sends it over a
/// network): <see cref="Checkpoint.Save(Stream, Optimizer, IReadOnlyDictionary{string, string}?)"/> writes the bytes the
/// file would hold, <see cref="Checkpoint.Load(Stream, Optimizer)"/> checks them as a file and changes nothing on a
/// mismatch; <see cref="Checkpoint.LoadParameters(string, ParameterSet)"/> restores the parameters alone.
/// </summary>
public sealed class CheckpointStreamTests : IDisposable
{
    private const string Spec = "chain(clip_by_global_norm(max_norm=1.0), adamw(lr=0.01, weight_decay=0.1))";
    private readonly string _dir = Directory.CreateTempSubdirectory("momentum-ckpt-stream-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ParameterSet Parameters(float shift = 0f)
    {
        var set = new ParameterSet();
        set.Add("w", [6, 4], [.. Enumerable.Range(0, 24).Select(i => 0.05f * i - 0.5f + shift)]);
        set.Add("b", [4], [0.5f + shift, -0.25f, 1f, 0f]);
        set.Add("s", [], [2f]);
        return set;
    }

    private static Optimizer Trained(int steps, string spec = Spec)
    {
        var optimizer = new Optimizer(SpecRegistry.Default.Create(spec), Parameters());
        Steps(optimizer, steps);
        return optimizer;
    }

    private static void Steps(Optimizer optimizer, int count)
    {
        var gradients = new GradientSet(optimizer.Parameters);
        for (int t = 0; t < count; t++)
        {
            foreach (var p in optimizer.Parameters)
            {
                var g = gradients.Get(p);
                for (int i = 0; i < g.Length; i++) g[i] = MathF.Cos(optimizer.StepCount * 5 + i * 3 + p.Index);
            }
            optimizer.Step(gradients);
        }
    }

    private static byte[] InMemory(Optimizer optimizer)
    {
        using var stream = new MemoryStream();
        Checkpoint.Save(stream, optimizer);
        return stream.ToArray();
    }

    [Fact]
    public void SaveToStream_WritesTheFilesBytes_AndLoadFromStreamResumesBitExact()
    {
        var straight = Trained(5);
        string path = Path.Combine(_dir, "ckpt.safetensors");
        Checkpoint.Save(path, straight);
        byte[] bytes = InMemory(straight);
        Assert.Equal(File.ReadAllBytes(path), bytes);

        var resumed = new Optimizer(SpecRegistry.Default.Create(Spec), Parameters(shift: 1f));
        Checkpoint.Load(new NonSeekableStream(bytes), resumed);     // as from a network
        Assert.Equal(5, resumed.StepCount);
        Steps(straight, 4);
        Steps(resumed, 4);
        Assert.Equal(InMemory(straight), InMemory(resumed));
    }

    [Fact]
    public void SaveToStream_WritesAtThePositionAndLeavesTheStreamOpen()
    {
        var optimizer = Trained(2);
        using var stream = new MemoryStream();
        stream.Write([9, 9, 9]);
        Checkpoint.Save(stream, optimizer);
        Assert.True(stream.CanWrite);
        Assert.Equal(InMemory(optimizer), stream.ToArray()[3..]);
        stream.Position = 3;
        var resumed = new Optimizer(SpecRegistry.Default.Create(Spec), Parameters());
        Checkpoint.Load(stream, resumed);
        Assert.True(stream.CanRead);
        Assert.Equal(InMemory(optimizer), InMemory(resumed));
    }

    public static TheoryData<string> Broken => ["truncated", "other optimizer", "trailing bytes", "empty"];

    [Theory]
    [MemberData(nameof(Broken))]
    public void LoadFromStream_BadBytes_ThrowInvalidDataAndChangeNothing(string how)
    {
        byte[] good = InMemory(Trained(3));
        byte[] bytes = how switch
        {
            "truncated" => good[..^7],
            "other optimizer" => InMemory(Trained(3, "sgd(lr=0.1, momentum=0.9)")),
            "trailing bytes" => [.. good, 0],
            _ => [],
        };
        var target = Trained(1);
        byte[] before = InMemory(target);
        Assert.Throws<InvalidDataException>(() => Checkpoint.Load(new MemoryStream(bytes), target));
        Assert.Equal(before, InMemory(target));
    }

    [Fact]
    public void LoadParameters_RestoresTheParametersOnly()
    {
        var optimizer = Trained(4);
        string path = Path.Combine(_dir, "ckpt.safetensors");
        Checkpoint.Save(path, optimizer);
        var fromFile = Parameters(shift: 3f);
        Checkpoint.LoadParameters(path, fromFile);
        var fromStream = Parameters(shift: 3f);
        Checkpoint.LoadParameters(new MemoryStream(File.ReadAllBytes(path)), fromStream);
        foreach (var p in optimizer.Parameters)
        {
            Assert.Equal(p.Values.ToArray(), fromFile[p.Name].Values.ToArray());
            Assert.Equal(p.Values.ToArray(), fromStream[p.Name].Values.ToArray());
        }
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("extra")]
    [InlineData("shape")]
    public void LoadParameters_Mismatch_ThrowsInvalidDataAndChangesNothing(string how)
    {
        string path = Path.Combine(_dir, "ckpt.safetensors");
        Checkpoint.Save(path, Trained(2));
        var set = new ParameterSet();
        set.Add("w", how == "shape" ? [4, 6] : [6, 4], new float[24]);
        set.Add("b", [4], new float[4]);
        if (how != "extra") set.Add("s", [], [7f]);
        if (how == "missing") set.Add("z", [2], [1f, 2f]);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.LoadParameters(path, set));
        Assert.Contains(how == "missing" ? "param/z" : how == "extra" ? "param/s" : "param/w", e.Message);
        foreach (var p in set) Assert.All(p.Values.ToArray(), v => Assert.True(v is 0f or 7f or 1f or 2f));
    }

    /// <summary>A read-only stream that cannot seek or report its length, as a network stream.</summary>
    private sealed class NonSeekableStream(byte[] bytes) : Stream
    {
        private readonly MemoryStream _inner = new(bytes);

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 1000));
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
