using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.Ademamix"/>, with Optax's names and the alias's defaults.</summary>
public sealed record AdemamixOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>): η or its schedule (required in a spec, as in Optax; default here 1e-3 for C#).</summary>
    [Spec("learning_rate", "lr", Required = true)]
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>b1</c> (default 0.9).</summary>
    [Spec("b1")]
    public double B1 { get; init; } = 0.9;

    /// <summary><c>b2</c> (default 0.999).</summary>
    [Spec("b2")]
    public double B2 { get; init; } = 0.999;

    /// <summary><c>b3</c>, the slow EMA's decay or its schedule (default 0.9999).</summary>
    [Spec("b3")]
    public Schedule B3 { get; init; } = 0.9999;

    /// <summary><c>alpha</c>, the slow EMA's weight or its schedule (default 5.0, the alias's; <c>scale_by_ademamix</c> defaults to 6.0).</summary>
    [Spec("alpha")]
    public Schedule Alpha { get; init; } = 5.0;

    /// <summary><c>eps</c> (default 1e-8).</summary>
    [Spec("eps")]
    public double Epsilon { get; init; } = 1e-8;

    /// <summary><c>eps_root</c> (default 0).</summary>
    [Spec("eps_root")]
    public double EpsilonRoot { get; init; }

    /// <summary><c>weight_decay</c>, decoupled and multiplied by the learning rate (default 0).</summary>
    [Spec("weight_decay")]
    public Schedule WeightDecay { get; init; } = 0.0;
}

public static partial class Optimizers
{
    /// <summary>AdEMAMix (Pagliardini et al., 2024, https://arxiv.org/abs/2409.03137), Optax's <c>contrib.ademamix</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is out of range.</exception>
    /// <remarks>
    /// <c>u = −η·((m̂1 + α m2)/(√(ν̂ + ε_root) + ε) + λθ)</c>. Chain: <c>scale_by_ademamix → add_decayed_weights →
    /// scale_by_learning_rate</c>; see <see cref="Transforms.ScaleByAdemamix"/>.
    /// </remarks>
    public static GradientTransformation Ademamix(AdemamixOptions? options = null)
    {
        options ??= new AdemamixOptions();
        ValidateLearningRate(options.LearningRate);
        return Transforms.Chain(
            Transforms.ScaleByAdemamix(options.B1, options.B2, options.B3, options.Alpha, options.Epsilon, options.EpsilonRoot),
            Transforms.AddDecayedWeights(options.WeightDecay),
            Transforms.ScaleByLearningRate(options.LearningRate));
    }
}
