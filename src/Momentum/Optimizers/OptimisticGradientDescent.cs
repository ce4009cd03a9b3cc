using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.OptimisticGradientDescent"/>, with Optax's names and defaults.</summary>
public sealed record OptimisticGradientDescentOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>): η or its schedule (default here 1e-3).</summary>
    [Spec("learning_rate", "lr")]
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>alpha</c>: the generalized optimistic coefficient α (default 1).</summary>
    [Spec("alpha")]
    public double Alpha { get; init; } = 1;

    /// <summary><c>beta</c>: the optimism β (default 1).</summary>
    [Spec("beta")]
    public double Beta { get; init; } = 1;
}

public static partial class Optimizers
{
    /// <summary>Optimistic gradient descent (Mokhtari et al., 2019, https://arxiv.org/abs/1901.08511), Optax's <c>optimistic_gradient_descent</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>scale_by_optimistic_gradient(α, β)</c> → <c>scale_by_learning_rate</c>:
    /// <c>θ ← θ − η_t·((α+β)·g_t − β·g_{t−1})</c>, first step <c>−η·α·g_1</c>. α = β = 1 is OGDA (2g_t − g_{t−1}).</remarks>
    public static GradientTransformation OptimisticGradientDescent(OptimisticGradientDescentOptions? options = null)
    {
        options ??= new OptimisticGradientDescentOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(
            Transforms.ScaleByOptimisticGradient(options.Alpha, options.Beta),
            Transforms.ScaleByLearningRate(options.LearningRate));
    }
}
