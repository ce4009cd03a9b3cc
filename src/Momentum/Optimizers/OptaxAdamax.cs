using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.OptaxAdamax"/>, with Optax's names and defaults.</summary>
public sealed record OptaxAdamaxOptions
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
}

public static partial class Optimizers
{
    /// <summary>Adamax (Kingma and Ba, 2015, §7.1) with Optax's semantics, spec name <c>optax.adamax</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>scale_by_adamax</c> → <c>scale_by_learning_rate</c>: <c>v ← max(|g| + ε, β2·v)</c>, <c>u = −η·m̂/v</c>.</remarks>
    public static GradientTransformation OptaxAdamax(OptaxAdamaxOptions? options = null)
    {
        options ??= new OptaxAdamaxOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(Transforms.ScaleByAdamax(options.B1, options.B2, options.Eps), Transforms.ScaleByLearningRate(options.LearningRate));
    }
}
