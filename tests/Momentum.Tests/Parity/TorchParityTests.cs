using System.Text.Json;
using Momentum.IO;
using Momentum.Specs;

namespace Momentum.Tests.Parity;

/// <summary>
/// Replays every case the PyTorch fixture generator (tools/fixtures/torch_fixtures.py) recorded and compares our final
/// parameters with torch.optim's: |ours − torch| ≤ 2e-5 + 1e-4·|torch| per element.
/// </summary>
public class TorchParityTests
{
    internal static readonly string FixtureDirectory = Path.Combine(AppContext.BaseDirectory, "Fixtures", "torch");

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(FixtureDirectory, "cases.json")));
        foreach (var c in doc.RootElement.EnumerateArray()) data.Add(c.GetProperty("name").GetString()!, c.GetProperty("spec").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Replay_MatchesTorch(string name, string spec)
    {
        var parameters = Replay.ReadParameters(SafeTensorsFile.Read(Path.Combine(FixtureDirectory, $"{name}.init.safetensors")));
        var gradients = Replay.ReadGradients(SafeTensorsFile.Read(Path.Combine(FixtureDirectory, $"{name}.grads.safetensors")), parameters);
        Replay.Run(SpecRegistry.Default.Create(spec), parameters, gradients);
        var expected = SafeTensorsFile.Read(Path.Combine(FixtureDirectory, $"{name}.expected.safetensors"));
        foreach (var tensor in expected.Tensors)
        {
            float[] torch = tensor.ToSingle();
            var ours = parameters[tensor.Name].Values;
            Assert.Equal(torch.Length, ours.Length);
            for (int i = 0; i < torch.Length; i++)
            {
                double tolerance = 2e-5 + 1e-4 * Math.Abs(torch[i]);
                Assert.True(Math.Abs(ours[i] - torch[i]) <= tolerance,
                    $"{name} ({spec}): {tensor.Name}[{i}] = {ours[i]:R}, torch {torch[i]:R}, difference {Math.Abs(ours[i] - torch[i]):E2} > {tolerance:E2}");
            }
        }
    }

    [Fact]
    public void Fixtures_CoverEveryFoundationOptimizer()
    {
        var specs = Cases().Select(row => (string)row[1]).ToList();
        foreach (string optimizer in new[] { "sgd(", "adam(", "adamw(" })
            Assert.Contains(specs, s => s.StartsWith(optimizer, StringComparison.Ordinal));
    }
}
