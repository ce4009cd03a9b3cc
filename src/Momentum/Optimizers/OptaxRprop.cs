using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.OptaxRprop"/>, with Optax's names and defaults.</summary>
public sealed record OptaxRpropOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>): the initial per-element step size, a constant (default here 1e-2).</summary>
    [Spec("learning_rate", "lr")]
    public double LearningRate { get; init; } = 1e-2;

    /// <summary><c>eta_minus</c> (default 0.5).</summary>
    [Spec("eta_minus")]
    public double EtaMinus { get; init; } = 0.5;

    /// <summary><c>eta_plus</c> (default 1.2).</summary>
    [Spec("eta_plus")]
    public double EtaPlus { get; init; } = 1.2;

    /// <summary><c>min_step_size</c> (default 1e-6).</summary>
    [Spec("min_step_size")]
    public double MinStepSize { get; init; } = 1e-6;

    /// <summary><c>max_step_size</c> (default 50).</summary>
    [Spec("max_step_size")]
    public double MaxStepSize { get; init; } = 50;
}

public static partial class Optimizers
{
    /// <summary>Rprop (Riedmiller and Braun, 1993) with Optax's semantics, spec name <c>optax.rprop</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>scale_by_rprop(lr, eta_minus, eta_plus, min_step_size, max_step_size)</c> → <c>scale(−1)</c>;
    /// after a sign flip the element does not move and its stored previous update is 0 (so the next step counts as
    /// "no sign information"), as Optax. Optax's code (and its doctest) applies the <b>previous</b> step's update, so
    /// the first step does not move; this reproduces it. For the paper's/PyTorch's Rprop use the torch name <c>rprop</c>.</remarks>
    public static GradientTransformation OptaxRprop(OptaxRpropOptions? options = null)
    {
        options ??= new OptaxRpropOptions();
        return ChainOf(
            Transforms.ScaleByRprop(options.LearningRate, options.EtaMinus, options.EtaPlus, options.MinStepSize, options.MaxStepSize),
            Transforms.Scale(-1));
    }
}
