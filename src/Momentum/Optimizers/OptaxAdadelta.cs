using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.OptaxAdadelta"/>, with Optax's names and defaults.</summary>
public sealed record OptaxAdadeltaOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>) (default 1.0, the paper's; Optax's None — see the remarks of <see cref="Optimizers.OptaxAdadelta"/>).</summary>
    [Spec("learning_rate", "lr")]
    public Schedule LearningRate { get; init; } = 1.0;

    /// <summary><c>rho</c> (default 0.9).</summary>
    [Spec("rho")]
    public double Rho { get; init; } = 0.9;

    /// <summary><c>eps</c> (default 1e-6).</summary>
    [Spec("eps")]
    public double Eps { get; init; } = 1e-6;

    /// <summary><c>weight_decay</c>: coupled L2, added to the gradient (default 0).</summary>
    [Spec("weight_decay")]
    public Schedule WeightDecay { get; init; } = 0.0;

    /// <summary><c>weight_decay_mask</c>: which parameters to decay; null decays all.</summary>
    public Func<Parameter, bool>? WeightDecayMask { get; init; }
}

public static partial class Optimizers
{
    /// <summary>Adadelta (Zeiler, 2012, https://arxiv.org/abs/1212.5701) with Optax's semantics, spec name <c>optax.adadelta</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>add_decayed_weights(λ, mask)</c> (coupled) → <c>scale_by_adadelta(ρ, ε)</c> →
    /// <c>scale_by_learning_rate(η)</c>: <c>u = −η·Δ</c>. The default η is 1.0 <b>with</b> the sign flip (the paper);
    /// Optax's default <c>learning_rate=None</c> makes its last stage an identity without the sign flip, so its
    /// default ascends — a defect this port does not reproduce.</remarks>
    public static GradientTransformation OptaxAdadelta(OptaxAdadeltaOptions? options = null)
    {
        options ??= new OptaxAdadeltaOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(
            DecoupledDecay(options.WeightDecay, options.WeightDecayMask),
            Transforms.ScaleByAdadelta(options.Rho, options.Eps),
            Transforms.ScaleByLearningRate(options.LearningRate));
    }
}
