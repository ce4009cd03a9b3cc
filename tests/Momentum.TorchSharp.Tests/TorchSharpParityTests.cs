using TorchSharp;
using static TorchSharp.torch;

namespace Momentum.TorchSharp.Tests;

/// <summary>
/// Momentum through the adapter against TorchSharp's own optimizers on the same model, data and initial weights, where
/// TorchSharp agrees with PyTorch (its Adam, AdamW, SGD with momentum and RMSprop): the same numbers up to float32
/// rounding (TorchSharp runs tensor ops, Momentum a fused kernel). Where TorchSharp disagrees with PyTorch, see
/// <see cref="TorchSharpDifferenceTests"/>.
/// </summary>
public class TorchSharpParityTests
{
    private const int Steps = 10;

    public static TheoryData<string, string> Cases => new()
    {
        { "adam(lr=0.01, betas=(0.9, 0.99), weight_decay=0.01)", "adam" },
        { "adamw(lr=0.01, weight_decay=0.1)", "adamw" },
        { "sgd(lr=0.05, momentum=0.9, nesterov=true, weight_decay=0.001)", "sgd" },
        { "rmsprop(lr=0.001, alpha=0.9, momentum=0.5)", "rmsprop" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Adapter_MatchesTorchSharp_WhereTorchSharpIsRight(string spec, string kind)
    {
        var ours = TestModels.Mlp(seed: 3);
        var theirs = TestModels.Mlp(seed: 3);
        var momentum = new TorchOptimizer(ours, spec);
        var parameters = theirs.parameters();
        optim.Optimizer torchSharp = kind switch
        {
            "adam" => optim.Adam(parameters, lr: 0.01, beta1: 0.9, beta2: 0.99, weight_decay: 0.01),
            "adamw" => optim.AdamW(parameters, lr: 0.01, weight_decay: 0.1),
            "sgd" => optim.SGD(parameters, 0.05, momentum: 0.9, nesterov: true, weight_decay: 0.001),
            _ => optim.RMSProp(parameters, lr: 0.001, alpha: 0.9, momentum: 0.5),
        };
        Assert.Equal(TestModels.Values(theirs).Keys, TestModels.Values(ours).Keys);
        double difference = TestModels.TrainSideBySide(ours, momentum, theirs, torchSharp, firstSeed: 100, Steps);
        Assert.True(difference < 2e-5, $"{spec}: max relative difference {difference:E2} after {Steps} steps");
    }
}
