namespace Momentum;

public static partial class Optimizers
{
    /// <summary>COCOB (Orabona and Tommasi, 2017, https://arxiv.org/abs/1705.07795), Optax's <c>contrib.cocob</c>.</summary>
    /// <param name="learningRate">Multiplies the gradient before the betting (no sign flip; default 1).</param>
    /// <param name="alpha">α (default 100).</param>
    /// <param name="eps">ε, the initial scale (default 1e-8).</param>
    /// <param name="weightDecay">L2 term added to the gradient first (default 0).</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is out of range.</exception>
    /// <remarks>Chain: <c>add_decayed_weights(λ) → scale_by_learning_rate(lr, flip_sign=false) → scale_by_cocob(α, ε)</c>; see <see cref="Transforms.ScaleByCocob"/>.</remarks>
    public static GradientTransformation Cocob(Schedule? learningRate = null, double alpha = 100, double eps = 1e-8, double weightDecay = 0)
    {
        learningRate ??= 1.0;
        ValidateLearningRate(learningRate);
        ValidateWeightDecay(weightDecay);
        return ChainOf(
            weightDecay != 0 ? Transforms.AddDecayedWeights(weightDecay) : null,
            Transforms.ScaleByLearningRate(learningRate, flipSign: false),
            Transforms.ScaleByCocob(alpha, eps));
    }
}
