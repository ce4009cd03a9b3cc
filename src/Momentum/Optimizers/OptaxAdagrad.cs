using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.OptaxAdagrad"/>, with Optax's names and defaults.</summary>
public sealed record OptaxAdagradOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>) (default here 1e-2).</summary>
    [Spec("learning_rate", "lr")]
    public Schedule LearningRate { get; init; } = 1e-2;

    /// <summary><c>initial_accumulator_value</c> (default 0.1; torch uses 0).</summary>
    [Spec("initial_accumulator_value")]
    public double InitialAccumulatorValue { get; init; } = 0.1;

    /// <summary><c>eps</c>, inside the square root (default 1e-7; torch: 1e-10 outside).</summary>
    [Spec("eps")]
    public double Eps { get; init; } = 1e-7;
}

public static partial class Optimizers
{
    /// <summary>Adagrad (Duchi et al., 2011) with Optax's semantics, spec name <c>optax.adagrad</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>scale_by_rss(initial_accumulator_value, eps)</c> → <c>scale_by_learning_rate</c>:
    /// <c>G ← G + g²</c> (G₀ = 0.1), <c>u = −η·g/√(G + ε)</c>.</remarks>
    public static GradientTransformation OptaxAdagrad(OptaxAdagradOptions? options = null)
    {
        options ??= new OptaxAdagradOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(Transforms.ScaleByRss(options.InitialAccumulatorValue, options.Eps), Transforms.ScaleByLearningRate(options.LearningRate));
    }
}
