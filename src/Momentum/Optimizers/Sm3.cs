using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.Sm3"/>, with Optax's names and defaults.</summary>
public sealed record Sm3Options
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>) (default here 1e-3).</summary>
    [Spec("learning_rate", "lr")]
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>momentum</c>: the decay of the output EMA, SM3's β1 (default 0.9).</summary>
    [Spec("momentum")]
    public double Momentum { get; init; } = 0.9;
}

public static partial class Optimizers
{
    /// <summary>SM3 (Anil et al., 2019, https://arxiv.org/abs/1901.11150), Optax's <c>sm3</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>scale_by_sm3(b1 = momentum)</c> → <c>scale_by_learning_rate</c>; see <see cref="Transforms.ScaleBySm3"/>.
    /// Optax takes a constant lr here; a schedule also works.</remarks>
    public static GradientTransformation Sm3(Sm3Options? options = null)
    {
        options ??= new Sm3Options();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(Transforms.ScaleBySm3(options.Momentum), Transforms.ScaleByLearningRate(options.LearningRate));
    }
}
