using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.OptaxRmsProp"/>, with Optax's names and defaults.</summary>
public sealed record OptaxRmsPropOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>) (default here 1e-3).</summary>
    [Spec("learning_rate", "lr")]
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>decay</c> (default 0.9; torch's alpha is 0.99).</summary>
    [Spec("decay")]
    public double Decay { get; init; } = 0.9;

    /// <summary><c>eps</c> (default 1e-8).</summary>
    [Spec("eps")]
    public double Eps { get; init; } = 1e-8;

    /// <summary><c>initial_scale</c>: the initial ν (default 0).</summary>
    [Spec("initial_scale")]
    public double InitialScale { get; init; }

    /// <summary><c>eps_in_sqrt</c> (default true; torch puts ε outside).</summary>
    [Spec("eps_in_sqrt")]
    public bool EpsInSqrt { get; init; } = true;

    /// <summary><c>centered</c> (default false).</summary>
    [Spec("centered")]
    public bool Centered { get; init; }

    /// <summary><c>momentum</c>, applied after the learning rate; 0 for none (default 0, Optax's None).</summary>
    [Spec("momentum")]
    public double Momentum { get; init; }

    /// <summary><c>nesterov</c> (default false).</summary>
    [Spec("nesterov")]
    public bool Nesterov { get; init; }

    /// <summary><c>bias_correction</c> (default false).</summary>
    [Spec("bias_correction")]
    public bool BiasCorrection { get; init; }
}

public static partial class Optimizers
{
    /// <summary>RMSProp (Hinton, 2012; centered: Graves, 2013) with Optax's semantics, spec name <c>optax.rmsprop</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>scale_by_rms</c> (or <c>scale_by_stddev</c> if centered) → <c>scale_by_learning_rate</c> →
    /// [<c>trace(momentum, nesterov)</c>]: ε inside the root by default, and the momentum accumulates lr-scaled steps
    /// (torch: decay 0.99, ε outside, momentum of the unscaled ratio).</remarks>
    public static GradientTransformation OptaxRmsProp(OptaxRmsPropOptions? options = null)
    {
        options ??= new OptaxRmsPropOptions();
        ValidateLearningRate(options.LearningRate);
        OptaxGuard.NonNegative(options.Momentum, "momentum");
        return ChainOf(
            Transforms.ScaleByRms(options.Decay, options.Eps, options.InitialScale, options.EpsInSqrt, options.BiasCorrection, options.Centered),
            Transforms.ScaleByLearningRate(options.LearningRate),
            options.Momentum != 0 ? Transforms.Trace(options.Momentum, options.Nesterov) : null);
    }
}
