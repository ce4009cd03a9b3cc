using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.Signum"/>, with Optax's names and defaults.</summary>
public sealed record SignumOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>) (default here 1e-3).</summary>
    [Spec("learning_rate", "lr")]
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>beta</c>: the momentum decay (default 0.9).</summary>
    [Spec("beta")]
    public double Beta { get; init; } = 0.9;
}

public static partial class Optimizers
{
    /// <summary>Signum, sign of momentum (Bernstein et al., 2018, https://arxiv.org/abs/1802.04434), Optax's <c>signum</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>ema(β, debias=false)</c> → <c>scale_by_sign</c> → <c>scale_by_learning_rate</c>:
    /// <c>m ← β·m + (1−β)·g</c>, <c>u = −η·sign(m)</c>.</remarks>
    public static GradientTransformation Signum(SignumOptions? options = null)
    {
        options ??= new SignumOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(Transforms.Ema(options.Beta, debias: false), Transforms.ScaleBySign(), Transforms.ScaleByLearningRate(options.LearningRate));
    }
}
