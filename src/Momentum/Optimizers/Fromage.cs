using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.Fromage"/>, with Optax's names and defaults.</summary>
public sealed record FromageOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>) (default here 1e-2).</summary>
    [Spec("learning_rate", "lr")]
    public Schedule LearningRate { get; init; } = 1e-2;

    /// <summary><c>min_norm</c> (default 1e-6).</summary>
    [Spec("min_norm")]
    public double MinNorm { get; init; } = 1e-6;
}

public static partial class Optimizers
{
    /// <summary>Fromage (Bernstein et al., 2020, https://arxiv.org/abs/2002.03432), Optax's <c>fromage</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>With <c>k = 1/√(1+η²)</c>: chain <c>scale_by_trust_ratio(min_norm)</c> → <c>scale_by_learning_rate(η·k)</c>
    /// → <c>add_decayed_weights(k − 1)</c>, i.e. <c>θ ← (θ − η·(‖θ‖/‖g‖)·g)/√(1+η²)</c> per parameter. η may be a schedule.</remarks>
    public static GradientTransformation Fromage(FromageOptions? options = null)
    {
        options ??= new FromageOptions();
        ValidateLearningRate(options.LearningRate);
        var lr = options.LearningRate;
        Schedule scaled, shrink;
        if (lr.IsConstant)
        {
            double eta = lr.Evaluate(0), k = 1 / Math.Sqrt(1 + eta * eta);
            scaled = eta * k;
            shrink = k - 1;
        }
        else
        {
            scaled = Schedule.FromFunction(c => { double eta = lr.Evaluate(c); return eta / Math.Sqrt(1 + eta * eta); });
            shrink = Schedule.FromFunction(c => { double eta = lr.Evaluate(c); return 1 / Math.Sqrt(1 + eta * eta) - 1; });
        }
        return ChainOf(
            Transforms.ScaleByTrustRatio(options.MinNorm),
            Transforms.ScaleByLearningRate(scaled),
            new AddDecayedWeightsTransformation(shrink));
    }
}
