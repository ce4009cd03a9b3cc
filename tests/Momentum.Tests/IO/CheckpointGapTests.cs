using System.Buffers.Binary;
using Momentum.IO;
using Momentum.Specs;

namespace Momentum.Tests.IO;

/// <summary>
/// Issue 13 item 7: what a checkpoint once missed or accepted. A <c>has_state</c> or <c>has_wstate</c> marker must be an
/// I64 scalar 1; a plateau schedule's state survives even when no parameter has state yet; row statistics are saved; and
/// bfloat16 moments are saved as BF16 tensors of the parameter's shape, so Python reads their true values.
/// </summary>
public sealed class CheckpointGapTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("momentum-ckpt-gaps-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private static ParameterSet Parameters()
    {
        var set = new ParameterSet();
        set.Add("w", [5, 3], [.. Enumerable.Range(0, 15).Select(i => 0.1f * i - 0.7f)]);
        set.Add("b", [3], [0.5f, -0.25f, 1f]);
        return set;
    }

    private static void Steps(Optimizer optimizer, int count)
    {
        var gradients = new GradientSet(optimizer.Parameters);
        for (int t = 0; t < count; t++)
        {
            foreach (var p in optimizer.Parameters)
            {
                var g = gradients.Get(p);
                for (int i = 0; i < g.Length; i++) g[i] = MathF.Sin(optimizer.StepCount * 7 + i + p.Index) * 0.5f;
            }
            optimizer.Step(gradients);
        }
    }

    /// <summary>Copies a checkpoint with one tensor replaced (dtype, shape and raw bytes).</summary>
    private static void Rewrite(string from, string to, string name, SafeTensorsDType dtype, int[] shape, byte[] bytes)
    {
        var file = SafeTensorsFile.Read(from);
        var writer = new SafeTensorsWriter();
        foreach (var (k, v) in file.Metadata) writer.AddMetadata(k, v);
        Assert.True(file.TryGet(name, out _), $"the checkpoint has no tensor '{name}'");
        foreach (var t in file.Tensors)
        {
            if (t.Name == name) writer.AddBytes(name, dtype, bytes, shape);
            else writer.AddBytes(t.Name, t.DType, t.Data, [.. t.Shape.Select(d => (int)d)]);
        }
        writer.WriteAtomic(to);
    }

    private static byte[] Int64(long value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        return bytes;
    }

    public static TheoryData<string, SafeTensorsDType, int[], byte[]> BadMarkers => new()
    {
        { "has_state/w", SafeTensorsDType.F32, [], BitConverter.GetBytes(1f) },
        { "has_state/w", SafeTensorsDType.I64, [1], Int64(1) },
        { "has_state/w", SafeTensorsDType.I64, [], Int64(0) },
        { "has_state/b", SafeTensorsDType.I64, [], Int64(2) },
        { "has_state/b", SafeTensorsDType.U8, [3], [1, 1, 1] },
        { "has_wstate/w/lookahead", SafeTensorsDType.I64, [], Int64(-1) },
        { "has_wstate/b/lookahead", SafeTensorsDType.F64, [], BitConverter.GetBytes(1.0) },
    };

    [Theory]
    [MemberData(nameof(BadMarkers))]
    public void Load_StateMarkerNotAnInt64ScalarOne_IsRejectedAndChangesNothing(string name, SafeTensorsDType dtype, int[] shape, byte[] bytes)
    {
        const string spec = "lookahead(adam(lr=0.01), sync_period=3, slow_step_size=0.5)";
        var saved = new Optimizer(SpecRegistry.Default.Create(spec), Parameters());
        Steps(saved, 4);
        Checkpoint.Save(PathOf("good.safetensors"), saved);
        Rewrite(PathOf("good.safetensors"), PathOf("bad.safetensors"), name, dtype, shape, bytes);

        var target = new Optimizer(SpecRegistry.Default.Create(spec), Parameters());
        Steps(target, 2);
        Checkpoint.Save(PathOf("before.safetensors"), target);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(PathOf("bad.safetensors"), target));
        Assert.Contains($"'{name}'", e.Message);
        Checkpoint.Save(PathOf("after.safetensors"), target);
        Assert.Equal(File.ReadAllBytes(PathOf("before.safetensors")), File.ReadAllBytes(PathOf("after.safetensors")));
    }

    /// <summary>Reports can reduce a plateau schedule's learning rate before any parameter has state; that state is saved.</summary>
    [Fact]
    public void SaveLoad_PlateauStateWithoutAnyParameterState_IsRestored()
    {
        var plateau = Schedules.ReduceLROnPlateau(0.1, factor: 0.5, patience: 0);
        var optimizer = new Optimizer(Optimizers.Adam(new AdamOptions { LearningRate = plateau }), Parameters());
        optimizer.ReportMetric(1.0);
        optimizer.ReportMetric(2.0);        // no improvement, patience 0: the learning rate halves
        optimizer.ReportMetric(0.5);
        Assert.Equal(0.05, plateau.LearningRate);
        Checkpoint.Save(PathOf("plateau.safetensors"), optimizer);

        var restored = Schedules.ReduceLROnPlateau(0.1, factor: 0.5, patience: 0);
        var resumed = new Optimizer(Optimizers.Adam(new AdamOptions { LearningRate = restored }), Parameters());
        Checkpoint.Load(PathOf("plateau.safetensors"), resumed);
        Assert.Equal(plateau.State, restored.State);

        Steps(optimizer, 3);                // and the runs continue alike, parameter states now saved too
        Steps(resumed, 3);
        foreach (var p in optimizer.Parameters) Assert.Equal(p.Values.ToArray(), resumed.Parameters[p.Name].Values.ToArray());
    }

    [Fact]
    public void SaveLoad_RowStatistics_AreRestoredAndRequired()
    {
        var optimizer = new Optimizer(Optimizers.Adam(), Parameters());
        var w = optimizer.Parameters["w"];
        var accum = optimizer.AddRowStatistic(w, "grad_accum", rowLength: 2, initial: 0.5f);
        for (int i = 0; i < accum.Span.Length; i++) accum.Span[i] = i * 0.25f;
        Steps(optimizer, 2);
        Checkpoint.Save(PathOf("stats.safetensors"), optimizer);

        var resumed = new Optimizer(Optimizers.Adam(), Parameters());
        var restored = resumed.AddRowStatistic(resumed.Parameters["w"], "grad_accum", rowLength: 2, initial: 0.5f);
        Checkpoint.Load(PathOf("stats.safetensors"), resumed);
        Assert.Equal(accum.Span.ToArray(), restored.Span.ToArray());

        var without = new Optimizer(Optimizers.Adam(), Parameters());
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(PathOf("stats.safetensors"), without));
        Assert.Contains("grad_accum", e.Message);
        var other = new Optimizer(Optimizers.Adam(), Parameters());
        other.AddRowStatistic(other.Parameters["w"], "visits");
        Assert.Throws<InvalidDataException>(() => Checkpoint.Load(PathOf("stats.safetensors"), other));
    }

    /// <summary>bfloat16 moments are BF16 tensors of the parameter's shape holding the true moment values (not float32
    /// words that pack two of them), and save, load and continue stays bit-exact.</summary>
    [Fact]
    public void Save_BFloat16Moments_AreBF16TensorsOfTheParametersShape()
    {
        const string spec = "chain(scale_by_adam_bf16(), scale_by_learning_rate(learning_rate=0.01))";
        var optimizer = new Optimizer(SpecRegistry.Default.Create(spec), Parameters());
        Steps(optimizer, 3);
        Checkpoint.Save(PathOf("bf16.safetensors"), optimizer);
        var file = SafeTensorsFile.Read(PathOf("bf16.safetensors"));
        foreach (var (parameter, path, state) in optimizer.States)
        {
            foreach (var tensor in state.Tensors)
            {
                var saved = file[$"state/{parameter.Name}/{path}/{tensor.Slot}"];
                Assert.Equal(SafeTensorsDType.BF16, saved.DType);
                Assert.Equal(parameter.Shape.Select(d => (long)d), saved.Shape);
                ushort[] packed = System.Runtime.InteropServices.MemoryMarshal.Cast<float, ushort>(tensor.Buffer.Span).ToArray();
                float[] expected = [.. Enumerable.Range(0, parameter.Length).Select(i => BitConverter.Int32BitsToSingle(packed[i] << 16))];
                Assert.Equal(expected, saved.ToSingle());
                Assert.Contains(expected, x => x != 0f);
            }
        }

        var resumed = new Optimizer(SpecRegistry.Default.Create(spec), Parameters());
        Checkpoint.Load(PathOf("bf16.safetensors"), resumed);
        Steps(optimizer, 3);
        Steps(resumed, 3);
        foreach (var p in optimizer.Parameters) Assert.Equal(p.Values.ToArray(), resumed.Parameters[p.Name].Values.ToArray());
    }
}
