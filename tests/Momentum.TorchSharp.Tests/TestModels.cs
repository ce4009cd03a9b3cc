using System.Runtime.InteropServices;
using Momentum.TorchSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace Momentum.TorchSharp.Tests;

/// <summary>Small seeded models and data shared by the tests.</summary>
internal static class TestModels
{
    /// <summary>A 2-layer MLP with the same initial weights for the same seed.</summary>
    public static nn.Module<Tensor, Tensor> Mlp(int seed, int inputs = 8, int hidden = 16, int outputs = 3)
    {
        torch.manual_seed(seed);
        return nn.Sequential(("fc1", nn.Linear(inputs, hidden)), ("relu", nn.ReLU()), ("fc2", nn.Linear(hidden, outputs)));
    }

    /// <summary>A fixed batch: inputs and integer class targets.</summary>
    public static (Tensor X, Tensor Y) Batch(int seed, int count = 32, int inputs = 8, int classes = 3)
    {
        var g = new torch.Generator((ulong)seed);
        return (torch.randn([count, inputs], generator: g), torch.randint(classes, [count], generator: g));
    }

    /// <summary>Forward, cross-entropy, backward.</summary>
    public static float Backward(nn.Module<Tensor, Tensor> model, Tensor x, Tensor y)
    {
        using var output = model.forward(x);
        using var loss = nn.functional.cross_entropy(output, y);
        loss.backward();
        return loss.item<float>();
    }

    /// <summary>
    /// Trains two models side by side on the same batches (seeds <paramref name="firstSeed"/>, ...), each with its own
    /// optimizer (zero_grad, backward, step), and returns <see cref="MaxRelativeDifference"/> of their parameters.
    /// </summary>
    public static double TrainSideBySide(nn.Module<Tensor, Tensor> ours, TorchOptimizer momentum, nn.Module<Tensor, Tensor> theirs, optim.Optimizer torchSharp, int firstSeed, int steps)
    {
        for (int t = 0; t < steps; t++)
        {
            var (x, y) = Batch(seed: firstSeed + t);
            momentum.zero_grad();
            Backward(ours, x, y);
            momentum.step();
            torchSharp.zero_grad();
            Backward(theirs, x, y);
            torchSharp.step();
        }
        return MaxRelativeDifference(Values(ours), Values(theirs));
    }

    /// <summary>Copies <paramref name="source"/>'s parameter values into <paramref name="destination"/> (same architecture).</summary>
    public static void CopyValues(nn.Module source, nn.Module destination)
    {
        using var _ = torch.no_grad();
        foreach (var ((_, p), (_, q)) in destination.named_parameters().Zip(source.named_parameters())) p.copy_(q);
    }

    /// <summary>Every parameter's values, by name.</summary>
    public static Dictionary<string, float[]> Values(nn.Module model) =>
        model.named_parameters().ToDictionary(p => p.name, p => MemoryMarshal.Cast<byte, float>(p.parameter.bytes).ToArray());

    /// <summary>The largest |a − b| / (1 + |b|) over all parameters.</summary>
    public static double MaxRelativeDifference(Dictionary<string, float[]> a, Dictionary<string, float[]> b) =>
        a.Keys.Max(k => a[k].Zip(b[k]).Max(t => Math.Abs(t.First - t.Second) / (1 + Math.Abs((double)t.Second))));
}
