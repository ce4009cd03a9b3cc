using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.PolyakSgd"/>, with Optax's names and defaults.</summary>
public sealed record PolyakSgdOptions
{
    /// <summary><c>max_learning_rate</c>: γ_max (default 1).</summary>
    [Spec("max_learning_rate")]
    public double MaxLearningRate { get; init; } = 1;

    /// <summary><c>scaling</c>: s, multiplies the step (default 1).</summary>
    [Spec("scaling")]
    public double Scaling { get; init; } = 1;

    /// <summary><c>f_min</c>: f*, a lower bound of the loss (default 0).</summary>
    [Spec("f_min")]
    public double FMin { get; init; }

    /// <summary><c>eps</c>: added to ‖g‖² (default 0).</summary>
    [Spec("eps")]
    public double Eps { get; init; }

    /// <summary><c>variant</c>: <c>sps</c> or <c>sps+</c> (default sps).</summary>
    [Spec("variant")]
    public string Variant { get; init; } = "sps";
}

public static partial class Optimizers
{
    /// <summary>SGD with the Polyak step size (Loizou et al., 2021, https://arxiv.org/abs/2002.10542), Optax's <c>polyak_sgd</c>; needs the loss.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>
    /// <c>u = −s·min((f − f*)/(‖g‖² + ε), γ_max)·g</c> (the documented form: chain <c>scale_by_polyak</c> → <c>scale(−s)</c>).
    /// Optax's code chains <c>sgd(s)</c> before <c>scale_by_polyak</c>, which takes the norm of s·g and gives
    /// <c>−s·min(gap/(s²‖g‖² + ε), γ_max)·g</c>; the two agree for the default s = 1. Pass the loss to
    /// <c>Optimizer.Step(gradients, loss)</c>; a step without it throws before anything changes.
    /// </remarks>
    public static GradientTransformation PolyakSgd(PolyakSgdOptions? options = null)
    {
        options ??= new PolyakSgdOptions();
        OptaxGuard.Finite(options.Scaling, "scaling");
        return ChainOf(
            Transforms.ScaleByPolyak(options.FMin, options.MaxLearningRate, options.Eps, options.Variant),
            Transforms.Scale(-options.Scaling));
    }
}
