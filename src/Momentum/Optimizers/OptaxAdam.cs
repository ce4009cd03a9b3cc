using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.OptaxAdam"/> and <see cref="Optimizers.OptaxNAdam"/>, with Optax's names and defaults.</summary>
public sealed record OptaxAdamOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>): η or its schedule (Optax requires it; default here 1e-3).</summary>
    [Spec("learning_rate", "lr")]
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>b1</c> (default 0.9).</summary>
    [Spec("b1")]
    public double B1 { get; init; } = 0.9;

    /// <summary><c>b2</c> (default 0.999).</summary>
    [Spec("b2")]
    public double B2 { get; init; } = 0.999;

    /// <summary><c>eps</c>: outside the square root (default 1e-8).</summary>
    [Spec("eps")]
    public double Eps { get; init; } = 1e-8;

    /// <summary><c>eps_root</c>: inside the square root (default 0).</summary>
    [Spec("eps_root")]
    public double EpsRoot { get; init; }

    /// <summary><c>nesterov</c>: Dozat's Nesterov moment (default false; <see cref="Optimizers.OptaxNAdam"/> forces true).</summary>
    [Spec("nesterov")]
    public bool Nesterov { get; init; }
}

public static partial class Optimizers
{
    /// <summary>Adam (Kingma and Ba, 2015, https://arxiv.org/abs/1412.6980) with Optax's semantics, spec name <c>optax.adam</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>scale_by_adam(b1, b2, eps, eps_root, nesterov)</c> → <c>scale_by_learning_rate</c>:
    /// <c>u = −η·m̂/(√(v̂ + ε_root) + ε)</c>. Differs from torch's adam (<see cref="Adam"/>) only by ε_root and the
    /// absence of coupled weight decay; the count is per parameter.</remarks>
    public static GradientTransformation OptaxAdam(OptaxAdamOptions? options = null)
    {
        options ??= new OptaxAdamOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(
            Transforms.ScaleByAdam(options.B1, options.B2, options.Eps, options.EpsRoot, nesterov: options.Nesterov),
            Transforms.ScaleByLearningRate(options.LearningRate));
    }

    /// <summary>NAdam (Dozat, 2016) as Optax's <c>nadam</c> = <c>adam(nesterov=True)</c>, spec name <c>optax.nadam</c>.</summary>
    /// <param name="options">The hyperparameters (Nesterov is forced on); <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks><c>m̂ = β1·m/(1−β1ᵗ⁺¹) + (1−β1)·g/(1−β1ᵗ)</c>, no momentum-decay schedule (torch's NAdam has one).</remarks>
    public static GradientTransformation OptaxNAdam(OptaxAdamOptions? options = null) =>
        OptaxAdam((options ?? new OptaxAdamOptions()) with { Nesterov = true });
}
