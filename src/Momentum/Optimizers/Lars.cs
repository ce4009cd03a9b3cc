using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.Lars"/>, with Optax's names and defaults.</summary>
public sealed record LarsOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>) (default here 1.0).</summary>
    [Spec("learning_rate", "lr")]
    public Schedule LearningRate { get; init; } = 1.0;

    /// <summary><c>weight_decay</c>: coupled, added before the trust ratio (default 0).</summary>
    [Spec("weight_decay")]
    public Schedule WeightDecay { get; init; } = 0.0;

    /// <summary><c>weight_decay_mask</c>: which parameters to decay; null decays all.</summary>
    public Func<Parameter, bool>? WeightDecayMask { get; init; }

    /// <summary><c>trust_coefficient</c> (default 1e-3).</summary>
    [Spec("trust_coefficient")]
    public double TrustCoefficient { get; init; } = 1e-3;

    /// <summary><c>eps</c>: added to the update norm (default 0).</summary>
    [Spec("eps")]
    public double Eps { get; init; }

    /// <summary><c>trust_ratio_mask</c>: which parameters get the trust ratio; null means all.</summary>
    public Func<Parameter, bool>? TrustRatioMask { get; init; }

    /// <summary><c>momentum</c>, applied after the learning rate (default 0.9).</summary>
    [Spec("momentum")]
    public double Momentum { get; init; } = 0.9;

    /// <summary><c>nesterov</c> (default false).</summary>
    [Spec("nesterov")]
    public bool Nesterov { get; init; }
}

public static partial class Optimizers
{
    /// <summary>LARS (You et al., 2017, https://arxiv.org/abs/1708.03888), Optax's <c>lars</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>add_decayed_weights(λ, weight_decay_mask)</c> (coupled) → <c>masked(scale_by_trust_ratio(c, ε), trust_ratio_mask)</c>
    /// → <c>scale_by_learning_rate</c> → <c>trace(momentum, nesterov)</c>: <c>s = −η·c·‖θ‖/(‖g+λθ‖ + ε)·(g+λθ)</c>
    /// and the momentum accumulates these lr-scaled steps.</remarks>
    public static GradientTransformation Lars(LarsOptions? options = null)
    {
        options ??= new LarsOptions();
        ValidateLearningRate(options.LearningRate);
        OptaxGuard.NonNegative(options.Momentum, "momentum");
        var trust = Transforms.ScaleByTrustRatio(0, options.TrustCoefficient, options.Eps);
        return ChainOf(
            DecoupledDecay(options.WeightDecay, options.WeightDecayMask),
            options.TrustRatioMask is null ? trust : Transforms.Masked(trust, options.TrustRatioMask),
            Transforms.ScaleByLearningRate(options.LearningRate),
            options.Momentum != 0 ? Transforms.Trace(options.Momentum, options.Nesterov) : null);
    }
}
