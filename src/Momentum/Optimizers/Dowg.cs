namespace Momentum;

public static partial class Optimizers
{
    /// <summary>Distance over Weighted Gradients (Khaled et al., 2023, https://arxiv.org/abs/2305.16284), Optax's <c>contrib.dowg</c>.</summary>
    /// <param name="learningRate">A multiplier (schedule) of the step (default 1).</param>
    /// <param name="initEstimSqDist">The initial estimate of the squared distance (default null: <paramref name="eps"/>).</param>
    /// <param name="eps">ε in the denominator (default 1e-4).</param>
    /// <param name="weightDecay">Optional L2 term added to the gradient first.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is out of range.</exception>
    /// <remarks>
    /// <c>r̄² ← max(r̄², ‖θ₀ − θ‖²)</c>, <c>W ← W + r̄²·‖g‖²</c>, <c>η = r̄²/(√W + ε)</c>, <c>u = −lr·η·g</c>, with
    /// norms over every parameter. A whole-step optimizer: it must be outermost.
    /// </remarks>
    public static GradientTransformation Dowg(Schedule? learningRate = null, double? initEstimSqDist = null, double eps = 1e-4, double? weightDecay = null)
    {
        learningRate ??= 1.0;
        ValidateLearningRate(learningRate);
        Transforms.ValidateEpsilon(eps, nameof(eps));
        double init = initEstimSqDist ?? eps;
        if (!double.IsFinite(init) || init < 0) ThrowHelper.ThrowInvalid("init_estim_sq_dist", "init_estim_sq_dist", init);
        if (weightDecay is { } wd) ValidateWeightDecay(wd);
        return new DogTransformation(weightDecay is { } λ ? Transforms.AddDecayedWeights(λ) : Transforms.Identity(), learningRate, DogInitStep.Distance, init, eps, weighted: true);
    }
}
