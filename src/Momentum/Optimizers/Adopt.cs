using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.Adopt"/>, with Optax's names and defaults.</summary>
public sealed record AdoptOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>): η or its schedule (required in a spec, as in Optax; default here 1e-3 for C#).</summary>
    [Spec("learning_rate", "lr", Required = true)]
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>b1</c> (default 0.9).</summary>
    [Spec("b1")]
    public double B1 { get; init; } = 0.9;

    /// <summary><c>b2</c> (default 0.9999).</summary>
    [Spec("b2")]
    public double B2 { get; init; } = 0.9999;

    /// <summary><c>eps</c> (default 1e-6).</summary>
    [Spec("eps")]
    public double Epsilon { get; init; } = 1e-6;

    /// <summary><c>nesterov</c> (default false).</summary>
    [Spec("nesterov")]
    public bool Nesterov { get; init; }

    /// <summary><c>use_clipping</c>: clip the normalized gradient to ±count^¼ (default true).</summary>
    [Spec("use_clipping")]
    public bool UseClipping { get; init; } = true;
}

public static partial class Optimizers
{
    /// <summary>ADOPT (Taniguchi et al., 2024, https://arxiv.org/abs/2411.02853), Optax's <c>contrib.adopt</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is out of range.</exception>
    /// <remarks>Chain: <c>scale_by_adopt → scale_by_learning_rate</c>; see <see cref="Transforms.ScaleByAdopt"/> for the math. The first update is 0.</remarks>
    public static GradientTransformation Adopt(AdoptOptions? options = null)
    {
        options ??= new AdoptOptions();
        ValidateLearningRate(options.LearningRate);
        return Transforms.Chain(
            Transforms.ScaleByAdopt(options.B1, options.B2, options.Epsilon, options.Nesterov, options.UseClipping),
            Transforms.ScaleByLearningRate(options.LearningRate));
    }
}
