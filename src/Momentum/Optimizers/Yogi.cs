using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.Yogi"/>, with Optax's names and defaults.</summary>
public sealed record YogiOptions
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

    /// <summary><c>eps</c> (default 1e-3).</summary>
    [Spec("eps")]
    public double Eps { get; init; } = 1e-3;
}

public static partial class Optimizers
{
    /// <summary>Yogi (Zaheer et al., 2018, NeurIPS), Optax's <c>yogi</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>scale_by_yogi(b1, b2, eps)</c> (m = v = 10⁻⁶ at start) → <c>scale_by_learning_rate</c>:
    /// <c>v ← v − (1−β2)·sign(v − g²)·g²</c>, <c>u = −η·m̂/(√v̂ + ε)</c>.</remarks>
    public static GradientTransformation Yogi(YogiOptions? options = null)
    {
        options ??= new YogiOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(Transforms.ScaleByYogi(options.B1, options.B2, options.Eps), Transforms.ScaleByLearningRate(options.LearningRate));
    }
}
