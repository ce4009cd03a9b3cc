using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Momentum.TorchSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace Momentum.TorchSharp.Tests;

/// <summary>Parameters and gradients are shared between TorchSharp and Momentum: no copy in either direction.</summary>
public class ZeroCopyTests
{
    [Fact]
    public void ParametersAndGradients_ShareMemory_AndBackwardAccumulatesIntoMomentumsBuffer()
    {
        torch.manual_seed(1);
        var model = nn.Linear(3, 2);
        var optimizer = new TorchOptimizer(model, "sgd(lr=0.1)");
        var weight = optimizer.Parameters["weight"];
        Assert.True(SameMemory(model.weight!, weight.PinnedArray));

        optimizer.zero_grad();
        using (var x = torch.ones(4, 3))
        using (var loss = model.forward(x).sum())
            loss.backward();
        Assert.True(SameMemory(model.weight!.grad!, optimizer.Gradients.PinnedGradient(weight)));
        Assert.All(optimizer.Gradients.PinnedGradient(weight).AsSpan(0, 6).ToArray(), g => Assert.Equal(4f, g));

        var before = weight.Values.ToArray();
        optimizer.step();
        var after = MemoryMarshal.Cast<byte, float>(model.weight!.bytes).ToArray();
        Assert.Equal(before.Select(v => v - 0.1f * 4f), after);
    }

    private static bool SameMemory(Tensor t, float[] array) =>
        Unsafe.AreSame(ref MemoryMarshal.GetReference(MemoryMarshal.Cast<byte, float>(t.bytes)), ref array[0]);
}
