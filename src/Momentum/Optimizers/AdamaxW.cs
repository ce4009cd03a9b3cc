using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.AdamaxW"/>, with Optax's names and defaults.</summary>
public sealed record AdamaxWOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>) (default here 1e-3).</summary>
    [Spec("learning_rate", "lr")]
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>b1</c> (default 0.9).</summary>
    [Spec("b1")]
    public double B1 { get; init; } = 0.9;

    /// <summary><c>b2</c> (default 0.999).</summary>
    [Spec("b2")]
    public double B2 { get; init; } = 0.999;

    /// <summary><c>eps</c>: inside the maximum (default 1e-8).</summary>
    [Spec("eps")]
    public double Eps { get; init; } = 1e-8;

    /// <summary><c>weight_decay</c>: decoupled decay (default 1e-4).</summary>
    [Spec("weight_decay")]
    public Schedule WeightDecay { get; init; } = 1e-4;

    /// <summary><c>mask</c>: which parameters to decay; null decays all.</summary>
    public Func<Parameter, bool>? Mask { get; init; }
}

public static partial class Optimizers
{
    /// <summary>AdamaxW, Adamax with decoupled weight decay, Optax's <c>adamaxw</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults (weight decay 1e-4).</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>scale_by_adamax</c> → <c>add_decayed_weights(λ, mask)</c> → <c>scale_by_learning_rate</c>: <c>u = −η·(m̂/v + λθ)</c>.</remarks>
    public static GradientTransformation AdamaxW(AdamaxWOptions? options = null)
    {
        options ??= new AdamaxWOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(
            Transforms.ScaleByAdamax(options.B1, options.B2, options.Eps),
            DecoupledDecay(options.WeightDecay, options.Mask),
            Transforms.ScaleByLearningRate(options.LearningRate));
    }
}
