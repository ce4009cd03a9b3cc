using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.Lamb"/>, with Optax's names and defaults.</summary>
public sealed record LambOptions
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

    /// <summary><c>eps</c> (default 1e-6).</summary>
    [Spec("eps")]
    public double Eps { get; init; } = 1e-6;

    /// <summary><c>eps_root</c> (default 0).</summary>
    [Spec("eps_root")]
    public double EpsRoot { get; init; }

    /// <summary><c>weight_decay</c> (default 0).</summary>
    [Spec("weight_decay")]
    public Schedule WeightDecay { get; init; } = 0.0;

    /// <summary><c>mask</c>: which parameters to decay; null decays all.</summary>
    public Func<Parameter, bool>? Mask { get; init; }
}

public static partial class Optimizers
{
    /// <summary>LAMB (You et al., 2020, https://arxiv.org/abs/1904.00962), Optax's <c>lamb</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>scale_by_adam(b1, b2, eps, eps_root)</c> → <c>add_decayed_weights(λ, mask)</c> →
    /// <c>scale_by_trust_ratio()</c> → <c>scale_by_learning_rate</c>: <c>r = m̂/(√v̂ + ε) + λθ</c>,
    /// <c>u = −η·(‖θ‖/‖r‖)·r</c> per parameter (ratio 1 when a norm is 0).</remarks>
    public static GradientTransformation Lamb(LambOptions? options = null)
    {
        options ??= new LambOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(
            Transforms.ScaleByAdam(options.B1, options.B2, options.Eps, options.EpsRoot),
            DecoupledDecay(options.WeightDecay, options.Mask),
            Transforms.ScaleByTrustRatio(),
            Transforms.ScaleByLearningRate(options.LearningRate));
    }
}
