using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.SimplifiedAdemamix"/>, with Optax's names and defaults.</summary>
public sealed record SimplifiedAdemamixOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>): η or its schedule (required in a spec, as in Optax; default here 1e-3 for C#).</summary>
    [Spec("learning_rate", "lr", Required = true)]
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>b1</c> (default 0.99).</summary>
    [Spec("b1")]
    public double B1 { get; init; } = 0.99;

    /// <summary><c>b2</c> (default 0.95).</summary>
    [Spec("b2")]
    public double B2 { get; init; } = 0.95;

    /// <summary><c>alpha</c> (default 0).</summary>
    [Spec("alpha")]
    public double Alpha { get; init; }

    /// <summary><c>eps</c> (default 1e-8).</summary>
    [Spec("eps")]
    public double Epsilon { get; init; } = 1e-8;

    /// <summary><c>eps_root</c> (default 0).</summary>
    [Spec("eps_root")]
    public double EpsilonRoot { get; init; }

    /// <summary><c>weight_decay</c> (default 0).</summary>
    [Spec("weight_decay")]
    public Schedule WeightDecay { get; init; } = 0.0;
}

public static partial class Optimizers
{
    /// <summary>Simplified AdEMAMix (Morwani et al., 2025, https://arxiv.org/abs/2502.02431), Optax's <c>contrib.simplified_ademamix</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is out of range.</exception>
    /// <remarks>
    /// <c>u = −η·((m + α g)/(√(n̂ + ε_root) + ε) + λθ)</c> with <c>m ← β1 m + g</c>. Chain:
    /// <c>scale_by_simplified_ademamix → add_decayed_weights → scale_by_learning_rate</c>.
    /// </remarks>
    public static GradientTransformation SimplifiedAdemamix(SimplifiedAdemamixOptions? options = null)
    {
        options ??= new SimplifiedAdemamixOptions();
        ValidateLearningRate(options.LearningRate);
        return Transforms.Chain(
            Transforms.ScaleBySimplifiedAdemamix(options.B1, options.B2, options.Alpha, options.Epsilon, options.EpsilonRoot),
            Transforms.AddDecayedWeights(options.WeightDecay),
            Transforms.ScaleByLearningRate(options.LearningRate));
    }
}
