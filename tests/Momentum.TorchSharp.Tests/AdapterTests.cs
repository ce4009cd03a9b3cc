using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Momentum.TorchSharp.Tests;

/// <summary>The adapter's semantics: none versus zero through autograd, checkpoints, row operations, Adam state.</summary>
public class AdapterTests
{
    /// <summary>A frozen module gets no gradient through autograd (its grad stays untouched) and does not drift under
    /// AdamW with weight decay, while a zero gradient is a real step that decays the weights.</summary>
    [Fact]
    public void FrozenModule_GetsNoGradient_AndDoesNotDriftUnderAdamW()
    {
        var model = TestModels.Mlp(seed: 7);
        var optimizer = new TorchOptimizer(model, "adamw(lr=0.01, weight_decay=0.5)");
        foreach (var (name, p) in model.named_parameters())
            if (name.StartsWith("fc1", StringComparison.Ordinal)) p.requires_grad = false;
        var before = TestModels.Values(model);
        for (int t = 0; t < 5; t++)
        {
            var (x, y) = TestModels.Batch(seed: t);
            optimizer.zero_grad();
            TestModels.Backward(model, x, y);
            optimizer.step();
        }
        var after = TestModels.Values(model);
        Assert.Equal(before["fc1.weight"], after["fc1.weight"]);
        Assert.Equal(before["fc1.bias"], after["fc1.bias"]);
        Assert.NotEqual(before["fc2.weight"], after["fc2.weight"]);
        Assert.False(optimizer.Gradients.HasGradient(optimizer.Parameters["fc1.weight"]));
        Assert.Equal(5, optimizer.Optimizer.StepCount);
    }

    /// <summary>A grad set to null by the caller is no gradient; a parameter marked with SetNoGradient too; so is a
    /// parameter that requires grad but took no part in backward (PyTorch leaves its grad None after
    /// zero_grad(set_to_none=True)): under AdamW it does not decay.</summary>
    [Fact]
    public void NullGrad_SetNoGradient_AndUnusedParameter_AreNoGradient()
    {
        var used = new global::TorchSharp.Modules.Parameter(torch.ones(3));
        var nulled = new global::TorchSharp.Modules.Parameter(torch.ones(3));
        var marked = new global::TorchSharp.Modules.Parameter(torch.ones(3));
        var unused = new global::TorchSharp.Modules.Parameter(torch.ones(3));
        var optimizer = new TorchOptimizer([("used", used), ("nulled", nulled), ("marked", marked), ("unused", unused)],
            Optimizers.AdamW(new AdamWOptions { LearningRate = 0.1, WeightDecay = 0.5 }));
        optimizer.zero_grad();
        using (var loss = (used * used).sum() + (nulled * nulled).sum() + (marked * marked).sum()) loss.backward();
        nulled.grad = null;
        optimizer.SetNoGradient("marked");
        optimizer.step();

        Assert.NotEqual(1f, used.data<float>()[0]);
        Assert.Equal([1f, 1f, 1f], nulled.data<float>().ToArray());
        Assert.Equal([1f, 1f, 1f], marked.data<float>().ToArray());
        Assert.Equal([1f, 1f, 1f], unused.data<float>().ToArray());
        Assert.False(optimizer.Gradients.HasGradient(optimizer.Parameters["unused"]));
        // The adapter attached its buffer again: the next backward accumulates into Momentum's memory.
        optimizer.zero_grad();
        using (var loss = (nulled * nulled).sum()) loss.backward();
        Assert.True(SameMemory(nulled.grad!, optimizer.Gradients.PinnedGradient(optimizer.Parameters["nulled"])));
    }

    /// <summary>zero_grad(set_to_none: false) gives every parameter that requires grad a gradient, zero where backward
    /// did not reach: a real AdamW step, so the unused parameter decays (PyTorch's set_to_none=False).</summary>
    [Fact]
    public void ZeroGradNotToNone_UnusedParameterTakesAZeroGradientStep()
    {
        var used = new global::TorchSharp.Modules.Parameter(torch.ones(3));
        var unused = new global::TorchSharp.Modules.Parameter(torch.ones(3));
        var optimizer = new TorchOptimizer([("used", used), ("unused", unused)],
            Optimizers.AdamW(new AdamWOptions { LearningRate = 0.1, WeightDecay = 0.5 }));
        optimizer.zero_grad(set_to_none: false);
        using (var loss = (used * used).sum()) loss.backward();
        optimizer.step();
        Assert.Equal(1f - 0.1f * 0.5f, unused.data<float>()[0]); // decoupled decay only: Adam's update of g = 0 is 0
        Assert.True(optimizer.Gradients.HasGradient(optimizer.Parameters["unused"]));
    }

    /// <summary>Backward reaching a parameter with an exact zero gradient is a gradient, even after
    /// zero_grad(set_to_none: true): the buffer's negative zeros become +0 where the gradient is +0, so AdamW decays
    /// it; and the buffer holds PyTorch's bits, -0 where backward's gradient is -0.</summary>
    [Fact]
    public void ReachedWithZeroGradient_IsAGradient_WithTheGradientsBits()
    {
        var p = new global::TorchSharp.Modules.Parameter(torch.ones(2));
        var optimizer = new TorchOptimizer([("p", p)], Optimizers.AdamW(new AdamWOptions { LearningRate = 0.1, WeightDecay = 0.5 }));
        optimizer.zero_grad();
        using (var scale = torch.tensor(new[] { 0f, -0f }))
        using (var loss = (p * scale).sum()) loss.backward(); // d/dp = (+0, -0)
        var grad = optimizer.Gradients.PinnedGradient(optimizer.Parameters["p"]);
        Assert.Equal(0u, BitConverter.SingleToUInt32Bits(grad[0]));
        Assert.Equal(0x8000_0000u, BitConverter.SingleToUInt32Bits(grad[1]));
        optimizer.step();
        Assert.Equal(1f - 0.1f * 0.5f, p.data<float>()[0]);
        Assert.True(optimizer.Gradients.HasGradient(optimizer.Parameters["p"]));
    }

    /// <summary>Before any zero_grad the adapter starts as PyTorch does: no gradient until backward reaches a parameter.</summary>
    [Fact]
    public void BeforeAnyZeroGrad_UnreachedParameterHasNoGradient()
    {
        var used = new global::TorchSharp.Modules.Parameter(torch.ones(3));
        var unused = new global::TorchSharp.Modules.Parameter(torch.ones(3));
        var optimizer = new TorchOptimizer([("used", used), ("unused", unused)],
            Optimizers.AdamW(new AdamWOptions { LearningRate = 0.1, WeightDecay = 0.5 }));
        using (var loss = (used * used).sum()) loss.backward();
        optimizer.step();
        Assert.NotEqual(1f, used.data<float>()[0]);
        Assert.Equal([1f, 1f, 1f], unused.data<float>().ToArray());
    }

    /// <summary>A grad made by backward after the caller set it to null is copied in once, and the step uses it.</summary>
    [Fact]
    public void GradMadeByBackward_AfterTheCallerNulledIt_IsUsed()
    {
        var a = TestModels.Mlp(seed: 9);
        var b = TestModels.Mlp(seed: 9);
        var oa = new TorchOptimizer(a, "adam(lr=0.01)");
        var ob = new TorchOptimizer(b, "adam(lr=0.01)");
        var (x, y) = TestModels.Batch(seed: 1);
        oa.zero_grad();
        TestModels.Backward(a, x, y);
        oa.step();
        ob.zero_grad();
        b.zero_grad(set_to_none: true); // TorchSharp's module zero_grad: grads become null, backward makes new ones
        TestModels.Backward(b, x, y);
        ob.step();
        Assert.Equal(TestModels.Values(a)["fc2.weight"], TestModels.Values(b)["fc2.weight"]);
    }

    [Fact]
    public void Checkpoint_RoundTrip_ResumesBitExact()
    {
        string path = Path.Combine(Path.GetTempPath(), $"momentum-torchsharp-{Environment.ProcessId}-{Guid.NewGuid():N}.safetensors");
        try
        {
            var model = TestModels.Mlp(seed: 11);
            var optimizer = new TorchOptimizer(model, "adamw(lr=0.01, weight_decay=0.1, amsgrad=true)");
            void Train(TorchOptimizer o, nn.Module<Tensor, Tensor> m, int from)
            {
                for (int t = from; t < from + 3; t++)
                {
                    var (x, y) = TestModels.Batch(seed: 50 + t);
                    o.zero_grad();
                    TestModels.Backward(m, x, y);
                    o.step();
                }
            }
            Train(optimizer, model, 0);
            optimizer.Save(path);
            Train(optimizer, model, 3);
            var expected = TestModels.Values(model);

            var resumedModel = TestModels.Mlp(seed: 99); // other weights: the checkpoint restores them
            var resumed = new TorchOptimizer(resumedModel, "adamw(lr=0.01, weight_decay=0.1, amsgrad=true)");
            resumed.Load(path);
            Train(resumed, resumedModel, 3);
            var actual = TestModels.Values(resumedModel);
            foreach (var name in expected.Keys) Assert.Equal(expected[name], actual[name]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>A row operation re-points the TorchSharp parameter and its grad at the new memory and shape.</summary>
    [Fact]
    public void RowOperation_RepointsTheTorchSharpParameter()
    {
        var means = new global::TorchSharp.Modules.Parameter(torch.arange(12, dtype: ScalarType.Float32).reshape(4, 3));
        var optimizer = new TorchOptimizer([("means", means)], Optimizers.Adam());
        var p = optimizer.Parameters["means"];
        optimizer.Optimizer.Rows(p).Append([0, 1, 2, 3, 0, 1, 2, 3]);
        Assert.Equal([12L, 3L], means.shape);
        Assert.True(SameMemory(means, p.PinnedArray));
        Assert.Equal(means.data<float>().ToArray()[..12], means.data<float>().ToArray()[12..24]);
        optimizer.zero_grad();
        using (var loss = means.sum()) loss.backward();
        Assert.Equal([12L, 3L], means.grad!.shape);
        Assert.True(SameMemory(means.grad!, optimizer.Gradients.PinnedGradient(p)));
        optimizer.step();
        Assert.Equal(-1e-3f, means.data<float>()[0], 1e-9f); // Adam's first step: −lr · g / (|g| + ε)
    }

    /// <summary>TorchSharp Adam state loads under PyTorch's names: training on with Momentum continues where TorchSharp
    /// stopped (as TorchSharp itself would, up to rounding).</summary>
    [Fact]
    public void LoadTorchAdamState_ContinuesTorchSharpsAdam()
    {
        var theirs = TestModels.Mlp(seed: 13);
        var torchAdam = optim.Adam(theirs.parameters(), lr: 0.01);
        for (int t = 0; t < 3; t++)
        {
            var (x, y) = TestModels.Batch(seed: 300 + t);
            torchAdam.zero_grad();
            TestModels.Backward(theirs, x, y);
            torchAdam.step();
        }
        var ours = TestModels.Mlp(seed: 0);
        var control = TestModels.Mlp(seed: 0);
        TestModels.CopyValues(theirs, ours);
        TestModels.CopyValues(theirs, control);
        var momentum = new TorchOptimizer(ours, "adam(lr=0.01)");
        momentum.LoadTorchAdamState(TorchOptimizer.FromTorchSharpAdam(torchAdam));
        Assert.Equal(3, momentum.Optimizer.StepCount);
        var controlMomentum = new TorchOptimizer(control, "adam(lr=0.01)"); // the same weights, fresh state

        double difference = TestModels.TrainSideBySide(ours, momentum, theirs, torchAdam, firstSeed: 303, steps: 3);
        Assert.True(difference < 1e-5, $"max relative difference {difference:E2}");
        // Without the state, Momentum restarts Adam (bias correction from step 1): far from TorchSharp's continuation.
        for (int t = 303; t < 306; t++)
        {
            var (x, y) = TestModels.Batch(seed: t);
            controlMomentum.zero_grad();
            TestModels.Backward(control, x, y);
            controlMomentum.step();
        }
        double fresh = TestModels.MaxRelativeDifference(TestModels.Values(control), TestModels.Values(theirs));
        Assert.True(fresh > 1e-3, $"fresh state: max relative difference {fresh:E2}");
    }

    [Fact]
    public void LoadTorchAdamState_WrongShape_ChangesNothing()
    {
        var model = TestModels.Mlp(seed: 1);
        var optimizer = new TorchOptimizer(model, "adam(lr=0.01)");
        var state = new Dictionary<string, Tensor>
        {
            ["state.0.step"] = torch.tensor(2f),
            ["state.0.exp_avg"] = torch.zeros(3),
            ["state.0.exp_avg_sq"] = torch.zeros(3),
        };
        Assert.Throws<InvalidDataException>(() => optimizer.LoadTorchAdamState(state));
        Assert.Equal(0, optimizer.Optimizer.StepCount);
    }

    [Fact]
    public void NonFloat32Parameter_IsRejected()
    {
        var p = new global::TorchSharp.Modules.Parameter(torch.ones(3, dtype: ScalarType.Float64));
        var e = Assert.Throws<NotSupportedException>(() => new TorchOptimizer([("w", p)], Optimizers.Sgd()));
        Assert.Contains("float32", e.Message);
    }

    private static bool SameMemory(Tensor t, float[] array) =>
        Unsafe.AreSame(ref MemoryMarshal.GetReference(MemoryMarshal.Cast<byte, float>(t.bytes)), ref array[0]);
}
