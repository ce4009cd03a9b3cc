using System.Text.Json;
using Momentum.IO;
using Momentum.Specs;

namespace Momentum.Tests.Dynamic;

/// <summary>
/// Replays the torch.optim.SparseAdam fixtures (tools/fixtures/torch_sparse_fixtures.py) as selective steps of adam and
/// compares parameters and moments, rows that were never or rarely selected included: |ours − torch| ≤ 2e-5 + 1e-4·|torch|.
/// </summary>
public class SparseAdamParityTests
{
    private static readonly string s_directory = Path.Combine(AppContext.BaseDirectory, "Fixtures", "sparse");

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(s_directory, "cases.json")));
        foreach (var c in doc.RootElement.EnumerateArray()) data.Add(c.GetProperty("name").GetString()!, c.GetProperty("spec").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SelectiveAdam_MatchesTorchSparseAdam(string name, string spec)
    {
        var init = SafeTensorsFile.Read(Path.Combine(s_directory, $"{name}.init.safetensors"));
        var grads = SafeTensorsFile.Read(Path.Combine(s_directory, $"{name}.grads.safetensors"));
        var expected = SafeTensorsFile.Read(Path.Combine(s_directory, $"{name}.expected.safetensors"));
        var set = new ParameterSet();
        foreach (var t in init.Tensors) set.Add(t.Name, [.. t.Shape.Select(d => (int)d)], t.ToSingle());
        var optimizer = new Optimizer(SpecRegistry.Default.Create(spec), set);
        var gradients = new GradientSet(set);
        var selection = new RowSelection(set);
        int steps = JsonDocument.Parse(File.ReadAllText(Path.Combine(s_directory, "cases.json"))).RootElement
            .EnumerateArray().First(c => c.GetProperty("name").GetString() == name).GetProperty("steps").GetInt32();
        var untouched = set.ToDictionary(p => p, p => new HashSet<int>(Enumerable.Range(0, p.Rows)));
        for (int step = 0; step < steps; step++)
        {
            gradients.ClearAll();
            selection.ClearAll();
            foreach (var p in set)
            {
                if (!grads.TryGet($"{step}/{p.Name}/rows", out var rowsTensor)) continue;
                int[] rows = [.. rowsTensor.ToSingle().Select(r => (int)r)];
                float[] values = grads[$"{step}/{p.Name}/values"].ToSingle();
                var g = gradients.Get(p, clear: true);
                for (int k = 0; k < rows.Length; k++) values.AsSpan(k * p.RowLength, p.RowLength).CopyTo(g.Slice(rows[k] * p.RowLength, p.RowLength));
                selection.Set(p, rows);
                untouched[p].ExceptWith(rows);
            }
            Assert.True(optimizer.Step(gradients, selection));
        }
        foreach (var p in set)
        {
            var state = DynamicTestHelpers.StateOf<ScaleByAdamState>(optimizer, p);
            AssertClose(name, p.Name, expected[p.Name].ToSingle(), p.Values);
            AssertClose(name, p.Name + "/exp_avg", expected[p.Name + "/exp_avg"].ToSingle(), state.Mu.Span);
            AssertClose(name, p.Name + "/exp_avg_sq", expected[p.Name + "/exp_avg_sq"].ToSingle(), state.Nu.Span);
            Assert.Equal(expected[p.Name + "/step"].ToSingle()[0], state.Count);
            // Rows never selected were never touched: their values are the initial ones, bit for bit, and their moments 0.
            float[] initial = init[p.Name].ToSingle();
            foreach (int r in untouched[p])
                for (int j = 0; j < p.RowLength; j++)
                {
                    int i = r * p.RowLength + j;
                    Assert.Equal(BitConverter.SingleToInt32Bits(initial[i]), BitConverter.SingleToInt32Bits(p.Values[i]));
                    Assert.Equal(0f, state.Mu.Span[i]);
                }
        }
    }

    private static void AssertClose(string name, string what, float[] torch, ReadOnlySpan<float> ours)
    {
        Assert.Equal(torch.Length, ours.Length);
        for (int i = 0; i < torch.Length; i++)
        {
            double tolerance = 2e-5 + 1e-4 * Math.Abs(torch[i]);
            Assert.True(Math.Abs(ours[i] - torch[i]) <= tolerance, $"{name}: {what}[{i}] = {ours[i]:R}, torch {torch[i]:R}");
        }
    }
}
