using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.Novograd"/>, with Optax's names and defaults.</summary>
public sealed record NovogradOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>) (default here 1e-3).</summary>
    [Spec("learning_rate", "lr")]
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>b1</c> (default 0.9).</summary>
    [Spec("b1")]
    public double B1 { get; init; } = 0.9;

    /// <summary><c>b2</c> (default 0.25).</summary>
    [Spec("b2")]
    public double B2 { get; init; } = 0.25;

    /// <summary><c>eps</c> (default 1e-6).</summary>
    [Spec("eps")]
    public double Eps { get; init; } = 1e-6;

    /// <summary><c>eps_root</c> (default 0).</summary>
    [Spec("eps_root")]
    public double EpsRoot { get; init; }

    /// <summary><c>weight_decay</c>: added inside the moment (default 0).</summary>
    [Spec("weight_decay")]
    public double WeightDecay { get; init; }
}

public static partial class Optimizers
{
    /// <summary>NovoGrad (Ginsburg et al., 2019, https://arxiv.org/abs/1905.11286), Optax's <c>novograd</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>scale_by_novograd(b1, b2, eps, eps_root, λ)</c> → <c>scale_by_learning_rate</c>; ν is one
    /// number per parameter (layer); see <see cref="Transforms.ScaleByNovograd"/>.</remarks>
    public static GradientTransformation Novograd(NovogradOptions? options = null)
    {
        options ??= new NovogradOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(
            Transforms.ScaleByNovograd(options.B1, options.B2, options.Eps, options.EpsRoot, options.WeightDecay),
            Transforms.ScaleByLearningRate(options.LearningRate));
    }
}
