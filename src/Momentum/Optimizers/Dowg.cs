using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.Dowg"/>, with Optax's names and defaults.</summary>
public sealed record DowgOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>): a multiplier (schedule) of the step (default 1).</summary>
    [Spec("learning_rate", "lr")]
    public Schedule LearningRate { get; init; } = 1.0;

    /// <summary><c>init_estim_sq_dist</c>: the initial estimate of the squared distance (default null: <see cref="Epsilon"/>).</summary>
    [Spec("init_estim_sq_dist")]
    public double? InitEstimSqDist { get; init; }

    /// <summary><c>eps</c>: ε in the denominator (default 1e-4).</summary>
    [Spec("eps")]
    public double Epsilon { get; init; } = 1e-4;

    /// <summary><c>weight_decay</c>: an L2 term added to the gradient first; default null: none.</summary>
    [Spec("weight_decay")]
    public double? WeightDecay { get; init; }
}

public static partial class Optimizers
{
    /// <summary>Distance over Weighted Gradients (Khaled et al., 2023, https://arxiv.org/abs/2305.16284), Optax's <c>contrib.dowg</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is out of range.</exception>
    /// <remarks>
    /// <c>r̄² ← max(r̄², ‖θ₀ − θ‖²)</c>, <c>W ← W + r̄²·‖g‖²</c>, <c>η = r̄²/(√W + ε)</c>, <c>u = −lr·η·g</c>, with
    /// norms over every parameter. A whole-step optimizer: it must be outermost.
    /// </remarks>
    public static GradientTransformation Dowg(DowgOptions? options = null)
    {
        options ??= new DowgOptions();
        ValidateLearningRate(options.LearningRate);
        Transforms.ValidateEpsilon(options.Epsilon, "eps");
        double init = options.InitEstimSqDist ?? options.Epsilon;
        if (!double.IsFinite(init) || init < 0) ThrowHelper.ThrowInvalid("init_estim_sq_dist", "init_estim_sq_dist", init);
        if (options.WeightDecay is { } wd) ValidateWeightDecay(wd);
        return new DogTransformation(options.WeightDecay is { } λ ? Transforms.AddDecayedWeights(λ) : Transforms.Identity(), options.LearningRate,
            DogInitStep.Distance, init, options.Epsilon, weighted: true);
    }
}
