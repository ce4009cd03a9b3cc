using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.Lion"/>, with Optax's names and defaults.</summary>
public sealed record LionOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>) (default here 1e-4).</summary>
    [Spec("learning_rate", "lr")]
    public Schedule LearningRate { get; init; } = 1e-4;

    /// <summary><c>b1</c> (default 0.9).</summary>
    [Spec("b1")]
    public double B1 { get; init; } = 0.9;

    /// <summary><c>b2</c> (default 0.99).</summary>
    [Spec("b2")]
    public double B2 { get; init; } = 0.99;

    /// <summary><c>weight_decay</c>: decoupled decay (default 1e-3).</summary>
    [Spec("weight_decay")]
    public Schedule WeightDecay { get; init; } = 1e-3;

    /// <summary><c>mask</c>: which parameters to decay; null decays all.</summary>
    public Func<Parameter, bool>? Mask { get; init; }
}

public static partial class Optimizers
{
    /// <summary>Lion (Chen et al., 2023, https://arxiv.org/abs/2302.06675), Optax's <c>lion</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>scale_by_lion(b1, b2)</c> → <c>add_decayed_weights(λ, mask)</c> → <c>scale_by_learning_rate</c>:
    /// <c>u = −η·(sign((1−β1)·g + β1·m) + λθ)</c>, then <c>m ← β2·m + (1−β2)·g</c>.</remarks>
    public static GradientTransformation Lion(LionOptions? options = null)
    {
        options ??= new LionOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(
            Transforms.ScaleByLion(options.B1, options.B2),
            DecoupledDecay(options.WeightDecay, options.Mask),
            Transforms.ScaleByLearningRate(options.LearningRate));
    }
}
