using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.Cocob"/>, with Optax's names and defaults.</summary>
public sealed record CocobOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>): multiplies the gradient before the betting, with no sign flip (default 1).</summary>
    [Spec("learning_rate", "lr")]
    public Schedule LearningRate { get; init; } = 1.0;

    /// <summary><c>alpha</c>: α (default 100).</summary>
    [Spec("alpha")]
    public double Alpha { get; init; } = 100;

    /// <summary><c>eps</c>: ε, the initial scale (default 1e-8).</summary>
    [Spec("eps")]
    public double Epsilon { get; init; } = 1e-8;

    /// <summary><c>weight_decay</c>: an L2 term added to the gradient first (default 0).</summary>
    [Spec("weight_decay")]
    public double WeightDecay { get; init; }
}

public static partial class Optimizers
{
    /// <summary>COCOB (Orabona and Tommasi, 2017, https://arxiv.org/abs/1705.07795), Optax's <c>contrib.cocob</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is out of range.</exception>
    /// <remarks>Chain: <c>add_decayed_weights(λ) → scale_by_learning_rate(lr, flip_sign=false) → scale_by_cocob(α, ε)</c>; see <see cref="Transforms.ScaleByCocob"/>.</remarks>
    public static GradientTransformation Cocob(CocobOptions? options = null)
    {
        options ??= new CocobOptions();
        ValidateLearningRate(options.LearningRate);
        ValidateWeightDecay(options.WeightDecay);
        return ChainOf(
            options.WeightDecay != 0 ? Transforms.AddDecayedWeights(options.WeightDecay) : null,
            Transforms.ScaleByLearningRate(options.LearningRate, flipSign: false),
            Transforms.ScaleByCocob(options.Alpha, options.Epsilon));
    }
}
