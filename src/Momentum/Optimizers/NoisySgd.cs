using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.NoisySgd"/>, with Optax's names and defaults.</summary>
public sealed record NoisySgdOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>) (default here 1e-3).</summary>
    [Spec("learning_rate", "lr")]
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>eta</c>: the base noise variance (default 0.01).</summary>
    [Spec("eta")]
    public double Eta { get; init; } = 0.01;

    /// <summary><c>gamma</c>: the annealing exponent (default 0.55).</summary>
    [Spec("gamma")]
    public double Gamma { get; init; } = 0.55;

    /// <summary><c>seed</c> (default 0).</summary>
    [Spec("seed")]
    public long Seed { get; init; }
}

public static partial class Optimizers
{
    /// <summary>Noisy SGD (Neelakantan et al., 2015, https://arxiv.org/abs/1511.06807), Optax's <c>noisy_sgd</c>, with a seeded deterministic generator.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>add_noise(eta, gamma, seed)</c> → <c>scale_by_learning_rate</c>: <c>u = −η·(g + σ_t·z)</c>,
    /// <c>σ_t² = eta/tᵞ</c>; z from a counter-based generator (see <see cref="Transforms.AddNoise"/>), so runs are
    /// reproducible for any thread count (Optax's JAX numbers cannot be reproduced).</remarks>
    public static GradientTransformation NoisySgd(NoisySgdOptions? options = null)
    {
        options ??= new NoisySgdOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(Transforms.AddNoise(options.Eta, options.Gamma, options.Seed), Transforms.ScaleByLearningRate(options.LearningRate));
    }
}
