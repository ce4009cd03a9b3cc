// docs/TORCHSHARP.md includes this file verbatim (DocsExampleTests checks that it does).
using Momentum.TorchSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace Momentum.TorchSharp.Examples;

public static class TrainingExample
{
    /// <summary>Trains a 784-256-128-10 MLP with Momentum's AdamW on TorchSharp's autograd; returns the test accuracy.</summary>
    public static double Train(Tensor trainImages, Tensor trainLabels, Tensor testImages, Tensor testLabels, int epochs = 1, int batchSize = 100)
    {
        torch.manual_seed(0);
        var model = nn.Sequential(
            ("fc1", nn.Linear(784, 256)), ("relu1", nn.ReLU()),
            ("fc2", nn.Linear(256, 128)), ("relu2", nn.ReLU()),
            ("fc3", nn.Linear(128, 10)));

        // Any Momentum spec or C# optimizer; groups select by named_parameters() names.
        var optimizer = new TorchOptimizer(model,
            "adamw(lr=1e-3, weight_decay=0.01, groups=[group(params='*.bias', weight_decay=0)])");

        long n = trainImages.shape[0];
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            for (long start = 0; start + batchSize <= n; start += batchSize)
            {
                using var scope = torch.NewDisposeScope();
                var x = trainImages.narrow(0, start, batchSize);
                var y = trainLabels.narrow(0, start, batchSize);
                optimizer.zero_grad();                       // grads stay Momentum's buffers (zero copy)
                var loss = nn.functional.cross_entropy(model.forward(x), y);
                loss.backward();                             // accumulates straight into Momentum's gradients
                optimizer.step();                            // one fused Momentum step, in place
            }
        }

        using (torch.no_grad())
        using (var scope = torch.NewDisposeScope())
        {
            var predicted = model.forward(testImages).argmax(1);
            return predicted.eq(testLabels).to_type(ScalarType.Float32).mean().item<float>();
        }
    }
}
