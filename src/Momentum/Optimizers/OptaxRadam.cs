using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.OptaxRadam"/>, with Optax's names and defaults.</summary>
public sealed record OptaxRadamOptions
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

    /// <summary><c>eps</c> (default 1e-8).</summary>
    [Spec("eps")]
    public double Eps { get; init; } = 1e-8;

    /// <summary><c>eps_root</c> (default 0).</summary>
    [Spec("eps_root")]
    public double EpsRoot { get; init; }

    /// <summary><c>threshold</c>: rectify when ρ_t ≥ threshold (default 5).</summary>
    [Spec("threshold")]
    public double Threshold { get; init; } = 5;

    /// <summary><c>nesterov</c> (default false).</summary>
    [Spec("nesterov")]
    public bool Nesterov { get; init; }
}

public static partial class Optimizers
{
    /// <summary>RAdam (Liu et al., 2020, https://arxiv.org/abs/1908.03265) with Optax's semantics, spec name <c>optax.radam</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>scale_by_radam</c> → <c>scale_by_learning_rate</c>; rectifies when ρ_t ≥ threshold (torch: &gt; 5).</remarks>
    public static GradientTransformation OptaxRadam(OptaxRadamOptions? options = null)
    {
        options ??= new OptaxRadamOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(
            Transforms.ScaleByRadam(options.B1, options.B2, options.Eps, options.EpsRoot, options.Threshold, options.Nesterov),
            Transforms.ScaleByLearningRate(options.LearningRate));
    }
}
