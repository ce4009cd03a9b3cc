using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.AdaBelief"/>, with Optax's names and defaults.</summary>
public sealed record AdaBeliefOptions
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

    /// <summary><c>eps</c> (default 1e-16; the paper uses 1e-8).</summary>
    [Spec("eps")]
    public double Eps { get; init; } = 1e-16;

    /// <summary><c>eps_root</c> (default 1e-16; the paper uses 0).</summary>
    [Spec("eps_root")]
    public double EpsRoot { get; init; } = 1e-16;

    /// <summary><c>weight_decay</c>: decoupled decay λ (default 0: none, as Optax's None).</summary>
    [Spec("weight_decay")]
    public Schedule WeightDecay { get; init; } = 0.0;

    /// <summary><c>weight_decay_mask</c>: which parameters to decay; null decays all.</summary>
    public Func<Parameter, bool>? Mask { get; init; }

    /// <summary><c>nesterov</c> (default false).</summary>
    [Spec("nesterov")]
    public bool Nesterov { get; init; }
}

public static partial class Optimizers
{
    /// <summary>AdaBelief (Zhuang et al., 2020, https://arxiv.org/abs/2010.07468), Optax's <c>adabelief</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>scale_by_belief</c> → [<c>add_decayed_weights(λ, mask)</c>] → <c>scale_by_learning_rate</c>:
    /// <c>u = −η·(m̂/(√ŝ + ε) + λθ)</c> with <c>s ← β2·s + (1−β2)·(g − m)² + ε_root</c>.</remarks>
    public static GradientTransformation AdaBelief(AdaBeliefOptions? options = null)
    {
        options ??= new AdaBeliefOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(
            Transforms.ScaleByBelief(options.B1, options.B2, options.Eps, options.EpsRoot, options.Nesterov),
            DecoupledDecay(options.WeightDecay, options.Mask),
            Transforms.ScaleByLearningRate(options.LearningRate));
    }
}
