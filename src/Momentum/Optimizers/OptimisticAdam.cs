using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.OptimisticAdam"/>, with the names and defaults of Optax's <c>optimistic_adam_v2</c>.</summary>
public sealed record OptimisticAdamOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>): η or its schedule (default here 1e-3).</summary>
    [Spec("learning_rate", "lr")]
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>alpha</c> (default 1).</summary>
    [Spec("alpha")]
    public double Alpha { get; init; } = 1;

    /// <summary><c>beta</c>: the optimism (default 1).</summary>
    [Spec("beta")]
    public double Beta { get; init; } = 1;

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

    /// <summary><c>nesterov</c> (default true).</summary>
    [Spec("nesterov")]
    public bool Nesterov { get; init; } = true;
}

public static partial class Optimizers
{
    /// <summary>Optimistic Adam (Daskalakis et al., 2018, https://arxiv.org/abs/1711.00141) with the semantics of Optax's <c>optimistic_adam_v2</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>scale_by_adam(b1, b2, eps, eps_root, nesterov)</c> → <c>scale_by_optimistic_gradient(α, β)</c>
    /// → <c>scale_by_learning_rate(η)</c>: with r_t the Adam direction, <c>u = −η_t·((α+β)·r_t − β·r_{t−1})</c>. η may
    /// be a schedule. Optax's deprecated v1 <c>optimistic_adam(lr, o)</c> equals this with η = 1, α = lr, β = o.</remarks>
    public static GradientTransformation OptimisticAdam(OptimisticAdamOptions? options = null)
    {
        options ??= new OptimisticAdamOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(
            Transforms.ScaleByAdam(options.B1, options.B2, options.Eps, options.EpsRoot, nesterov: options.Nesterov),
            Transforms.ScaleByOptimisticGradient(options.Alpha, options.Beta),
            Transforms.ScaleByLearningRate(options.LearningRate));
    }
}
