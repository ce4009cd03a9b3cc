using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.OptaxAdamW"/> and <see cref="Optimizers.NAdamW"/>, with Optax's names and defaults.</summary>
public sealed record OptaxAdamWOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>): η or its schedule (Optax requires it; default here 1e-3).</summary>
    [Spec("learning_rate", "lr")]
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>b1</c> (default 0.9).</summary>
    [Spec("b1")]
    public double B1 { get; init; } = 0.9;

    /// <summary><c>b2</c> (default 0.999).</summary>
    [Spec("b2")]
    public double B2 { get; init; } = 0.999;

    /// <summary><c>eps</c>: outside the square root (default 1e-8).</summary>
    [Spec("eps")]
    public double Eps { get; init; } = 1e-8;

    /// <summary><c>eps_root</c>: inside the square root (default 0).</summary>
    [Spec("eps_root")]
    public double EpsRoot { get; init; }

    /// <summary><c>weight_decay</c>: decoupled decay λ, multiplied by η (default 1e-4, Optax's; torch's AdamW uses 1e-2).</summary>
    [Spec("weight_decay")]
    public Schedule WeightDecay { get; init; } = 1e-4;

    /// <summary><c>mask</c>: which parameters to decay (true = decay); null decays all.</summary>
    public Func<Parameter, bool>? Mask { get; init; }

    /// <summary><c>nesterov</c>: Dozat's Nesterov moment (default false; <see cref="Optimizers.NAdamW"/> forces true).</summary>
    [Spec("nesterov")]
    public bool Nesterov { get; init; }
}

public static partial class Optimizers
{
    /// <summary>AdamW (Loshchilov and Hutter, 2019, https://arxiv.org/abs/1711.05101) with Optax's semantics, spec name <c>optax.adamw</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults (weight decay 1e-4).</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>scale_by_adam</c> → <c>add_decayed_weights(λ, mask)</c> → <c>scale_by_learning_rate</c>:
    /// <c>u = −η·(m̂/(√(v̂ + ε_root) + ε) + λθ)</c>.</remarks>
    public static GradientTransformation OptaxAdamW(OptaxAdamWOptions? options = null)
    {
        options ??= new OptaxAdamWOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(
            Transforms.ScaleByAdam(options.B1, options.B2, options.Eps, options.EpsRoot, nesterov: options.Nesterov),
            DecoupledDecay(options.WeightDecay, options.Mask),
            Transforms.ScaleByLearningRate(options.LearningRate));
    }

    /// <summary>NAdamW, Optax's <c>nadamw</c> = <c>adamw(nesterov=True)</c>.</summary>
    /// <param name="options">The hyperparameters (Nesterov is forced on); <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>As <see cref="OptaxAdamW"/> with Dozat's Nesterov first moment.</remarks>
    public static GradientTransformation NAdamW(OptaxAdamWOptions? options = null) =>
        OptaxAdamW((options ?? new OptaxAdamWOptions()) with { Nesterov = true });
}
