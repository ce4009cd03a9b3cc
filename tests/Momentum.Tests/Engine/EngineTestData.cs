using Momentum.Specs;

namespace Momentum.Tests.Engine;

/// <summary>Shared parameter sets, gradients and bit comparisons for the engine tests.</summary>
internal static class EngineTestData
{
    /// <summary>
    /// A set that exercises every path of the work-item builder: a tensor of several full 16 Ki chunks plus a tail,
    /// a matrix, many small tensors packed together, an odd vector (vector tails) and a scalar; named so that the
    /// registry examples' group globs (<c>*.bias</c>, <c>embed.*</c>) each match a parameter.
    /// </summary>
    public static ParameterSet MakeSet(int smallTensors = 24)
    {
        var set = new ParameterSet();
        set.Add("big", 2 * Optimizer.ChunkLength + 37);
        set.Add("embed.matrix", 37, 45);
        for (int i = 0; i < smallTensors; i++) set.Add($"small{i}", 97 + i % 5);
        set.Add("odd.bias", 13);
        set.Add("scalar");
        foreach (var p in set)
        {
            var v = p.Values;
            for (int i = 0; i < v.Length; i++) v[i] = Hash(p.Index, i, 0) * 2f;
        }
        return set;
    }

    /// <summary>Fills every gradient with deterministic pseudo-random values for <paramref name="step"/>; allocates nothing.</summary>
    public static void FillGradients(GradientSet gradients, int step)
    {
        var set = gradients.Parameters;
        for (int k = 0; k < set.Count; k++) // an index loop: foreach over the set would box its enumerator
        {
            var p = set[k];
            var g = gradients.Get(p);
            for (int i = 0; i < g.Length; i++) g[i] = Hash(p.Index, i, step + 1);
        }
    }

    /// <summary>A value in [−0.5, 0.5) from a 32-bit integer hash (no allocation, no Random).</summary>
    public static float Hash(int a, int b, int c)
    {
        uint h = (uint)a * 0x9E3779B1u ^ (uint)b * 0x85EBCA77u ^ (uint)c * 0xC2B2AE3Du;
        h ^= h >> 15;
        h *= 0x2C1B3C6Du;
        h ^= h >> 12;
        h *= 0x297A2D39u;
        h ^= h >> 15;
        return (h >> 8) * (1f / (1 << 24)) - 0.5f;
    }

    /// <summary>
    /// Every transformation name of <see cref="SpecRegistry.Default"/> that builds with no arguments, as a spec
    /// (<c>name()</c>). Names that need arguments are left out; new registrations are picked up automatically.
    /// </summary>
    public static IEnumerable<string> DefaultConstructibleSpecs()
    {
        foreach (var (name, _) in SpecRegistry.Default.Transformations)
        {
            string spec = $"{name}()";
            try
            {
                SpecRegistry.Default.Create(spec);
            }
            catch (SpecException)
            {
                continue;
            }
            yield return spec;
        }
    }

    /// <summary>The raw bits of every parameter and every state tensor and scalar, in a fixed order.</summary>
    public static List<(string What, long Bits)> Snapshot(Optimizer optimizer)
    {
        var bits = new List<(string, long)>();
        foreach (var p in optimizer.Parameters)
        {
            var v = p.Values;
            for (int i = 0; i < v.Length; i++) bits.Add(($"{p.Name}[{i}]", BitConverter.SingleToInt32Bits(v[i])));
        }
        foreach (var (parameter, path, state) in optimizer.States)
        {
            foreach (var tensor in state.Tensors)
            {
                var v = tensor.Buffer.Span;
                for (int i = 0; i < v.Length; i++) bits.Add(($"{parameter.Name}/{path}/{tensor.Slot}[{i}]", BitConverter.SingleToInt32Bits(v[i])));
            }
            foreach (var scalar in state.Scalars)
                bits.Add(($"{parameter.Name}/{path}/{scalar.Slot}", BitConverter.DoubleToInt64Bits(scalar.Get())));
        }
        return bits;
    }

    /// <summary>Asserts two snapshots are identical, naming the first differing element.</summary>
    public static void AssertSameBits(List<(string What, long Bits)> expected, List<(string What, long Bits)> actual, string context)
    {
        Assert.True(expected.Count == actual.Count, $"{context}: {actual.Count} values, expected {expected.Count}");
        for (int i = 0; i < expected.Count; i++)
        {
            if (expected[i] != actual[i])
                Assert.Fail($"{context}: {actual[i].What} has bits 0x{actual[i].Bits:X} ({expected[i].What} expected 0x{expected[i].Bits:X})");
        }
    }
}
