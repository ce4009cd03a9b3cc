using System.Buffers.Binary;
using Momentum.IO;
using Momentum.Tests.IO;

namespace Momentum.Tests.Reliability;

/// <summary>
/// The malformed-input corpus of <see cref="Checkpoint.Load(Stream, Optimizer)"/>: every malformed safetensors file of
/// <see cref="SafeTensorsTests.MalformedFiles"/>, and every well-formed file that is not this optimizer's checkpoint
/// (each tensor of two rich checkpoints removed, renamed, given another dtype or another shape; a tensor added; the format
/// marker missing or wrong; negative counters). Each must raise <see cref="InvalidDataException"/> and change nothing.
/// </summary>
public sealed class MalformedCheckpointTests
{
    public static TheoryData<string, byte[]> Tampered()
    {
        var data = new TheoryData<string, byte[]>();
        for (int b = 0; b < FaultInputs.Specs.Length; b++)
        {
            var (tensors, metadata) = FaultInputs.Open(FaultInputs.Bytes(FaultInputs.Trained(FaultInputs.Specs[b], 3)));
            for (int i = 0; i < tensors.Count; i++)
            {
                var t = tensors[i];
                data.Add($"{b}: {t.Name} removed", FaultInputs.Write(tensors.Where((_, k) => k != i), metadata));
                data.Add($"{b}: {t.Name} renamed", FaultInputs.Write(tensors.Select((u, k) => k == i ? u with { Name = u.Name + "x" } : u), metadata));
                data.Add($"{b}: {t.Name} retyped", FaultInputs.Write(tensors.Select((u, k) => k == i ? Retyped(u) : u), metadata));
                data.Add($"{b}: {t.Name} reshaped", FaultInputs.Write(tensors.Select((u, k) => k == i ? u with { Shape = [1, .. u.Shape] } : u), metadata));
            }
            data.Add($"{b}: unknown tensor", FaultInputs.Write([.. tensors, new("state/w/extra/mu", SafeTensorsDType.F32, [1], new byte[4])], metadata));
            data.Add($"{b}: no format", FaultInputs.Write(tensors, metadata.Where(kv => kv.Key != "format").ToDictionary()));
            data.Add($"{b}: other format", FaultInputs.Write(tensors, new Dictionary<string, string>(metadata) { ["format"] = "momentum-checkpoint-0" }));
            data.Add($"{b}: negative step count", FaultInputs.Write(tensors.Select(u => u.Name == "optimizer/step_count" ? u with { Data = Int64(-1) } : u), metadata));
            data.Add($"{b}: negative skipped steps", FaultInputs.Write(tensors.Select(u => u.Name == "optimizer/skipped_steps" ? u with { Data = Int64(-5) } : u), metadata));
        }
        foreach (var row in SafeTensorsTests.MalformedFiles()) data.Add($"malformed file: {row[0]}", (byte[])row[1]);
        return data;
    }

    /// <summary>The same values under another dtype of a different size (F32 → F64, F64 → F32, I64 → F64, BF16 → F32).</summary>
    private static FaultInputs.Tensor Retyped(FaultInputs.Tensor t) => t.DType switch
    {
        SafeTensorsDType.F32 => t with { DType = SafeTensorsDType.F64, Data = [.. Floats(t.Data).SelectMany(f => BitConverter.GetBytes((double)f))] },
        SafeTensorsDType.F64 => t with { DType = SafeTensorsDType.F32, Data = new byte[t.Data.Length / 2] },
        SafeTensorsDType.I64 => t with { DType = SafeTensorsDType.F64 },
        _ => t with { DType = SafeTensorsDType.F32, Data = [.. t.Data, .. t.Data] },
    };

    private static IEnumerable<float> Floats(byte[] data)
    {
        for (int i = 0; i < data.Length; i += 4) yield return BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan(i));
    }

    private static byte[] Int64(long value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        return bytes;
    }

    [Fact]
    public void Corpus_HasAtLeastEightyCases() => Assert.True(Tampered().Count >= 80, $"{Tampered().Count} cases");

    [Theory]
    [MemberData(nameof(Tampered))]
    public void Load_NotThisOptimizersCheckpoint_ThrowsInvalidDataAndChangesNothing(string caseName, byte[] bytes)
    {
        _ = caseName;
        foreach (string spec in FaultInputs.Specs)
        {
            var target = FaultInputs.Trained(spec, 1);
            byte[] before = FaultInputs.Bytes(target);
            Assert.Throws<InvalidDataException>(() => Checkpoint.Load(new MemoryStream(bytes), target));
            Assert.Equal(before, FaultInputs.Bytes(target));
        }
    }

    /// <summary>The untampered checkpoints do load (so the cases above fail for their tampering).</summary>
    [Fact]
    public void Load_TheBaseCheckpoints_Succeeds()
    {
        foreach (string spec in FaultInputs.Specs)
        {
            byte[] saved = FaultInputs.Bytes(FaultInputs.Trained(spec, 3));
            var target = FaultInputs.Trained(spec, 1);
            Checkpoint.Load(new MemoryStream(saved), target);
            Assert.Equal(saved, FaultInputs.Bytes(target));
        }
    }
}
