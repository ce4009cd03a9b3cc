using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.OptaxSgd"/>, with Optax's names and defaults.</summary>
public sealed record OptaxSgdOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>) (default here 1e-3).</summary>
    [Spec("learning_rate", "lr")]
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>momentum</c>: μ, or 0 for none (default 0, Optax's None).</summary>
    [Spec("momentum")]
    public double Momentum { get; init; }

    /// <summary><c>nesterov</c> (default false).</summary>
    [Spec("nesterov")]
    public bool Nesterov { get; init; }
}

public static partial class Optimizers
{
    /// <summary>SGD with Optax's semantics, spec name <c>optax.sgd</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: [<c>trace(μ, nesterov)</c>] → <c>scale_by_learning_rate</c>: <c>b ← g + μ·b</c>,
    /// <c>u = −η·b</c> (Nesterov: <c>−η·(g + μ·b)</c>); no dampening or weight decay.</remarks>
    public static GradientTransformation OptaxSgd(OptaxSgdOptions? options = null)
    {
        options ??= new OptaxSgdOptions();
        ValidateLearningRate(options.LearningRate);
        OptaxGuard.NonNegative(options.Momentum, "momentum");
        if (options.Nesterov && options.Momentum == 0) ThrowHelper.ThrowArgument("nesterov", "Nesterov momentum requires a momentum.");
        return ChainOf(
            options.Momentum != 0 ? Transforms.Trace(options.Momentum, options.Nesterov) : null,
            Transforms.ScaleByLearningRate(options.LearningRate));
    }
}
