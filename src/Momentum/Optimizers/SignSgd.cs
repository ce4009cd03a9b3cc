using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.SignSgd"/>, with Optax's names and defaults.</summary>
public sealed record SignSgdOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>) (default here 1e-3).</summary>
    [Spec("learning_rate", "lr")]
    public Schedule LearningRate { get; init; } = 1e-3;
}

public static partial class Optimizers
{
    /// <summary>signSGD (Bernstein et al., 2018, https://arxiv.org/abs/1802.04434), Optax's <c>sign_sgd</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>scale_by_sign</c> → <c>scale_by_learning_rate</c>: <c>u = −η·sign(g)</c>.</remarks>
    public static GradientTransformation SignSgd(SignSgdOptions? options = null)
    {
        options ??= new SignSgdOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(Transforms.ScaleBySign(), Transforms.ScaleByLearningRate(options.LearningRate));
    }
}
