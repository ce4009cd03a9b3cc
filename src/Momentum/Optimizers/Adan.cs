using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.Adan"/>, with Optax's names and defaults.</summary>
public sealed record AdanOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>) (default here 1e-3).</summary>
    [Spec("learning_rate", "lr")]
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>b1</c>: decay of the gradient EMA (default 0.98).</summary>
    [Spec("b1")]
    public double B1 { get; init; } = 0.98;

    /// <summary><c>b2</c>: decay of the gradient-difference EMA (default 0.92).</summary>
    [Spec("b2")]
    public double B2 { get; init; } = 0.92;

    /// <summary><c>b3</c>: decay of the squared EMA (default 0.99).</summary>
    [Spec("b3")]
    public double B3 { get; init; } = 0.99;

    /// <summary><c>eps</c> (default 1e-8).</summary>
    [Spec("eps")]
    public double Eps { get; init; } = 1e-8;

    /// <summary><c>eps_root</c> (default 1e-8 in the alias; the building block's default is 0).</summary>
    [Spec("eps_root")]
    public double EpsRoot { get; init; } = 1e-8;

    /// <summary><c>weight_decay</c>: decoupled decay (default 0).</summary>
    [Spec("weight_decay")]
    public Schedule WeightDecay { get; init; } = 0.0;

    /// <summary><c>mask</c>: which parameters to decay; null decays all.</summary>
    public Func<Parameter, bool>? Mask { get; init; }
}

public static partial class Optimizers
{
    /// <summary>Adan (Xie et al., 2022, https://arxiv.org/abs/2208.06677), Optax's <c>adan</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>scale_by_adan(b1, b2, b3, eps, eps_root)</c> → <c>add_decayed_weights(λ, mask)</c> →
    /// <c>scale_by_learning_rate</c>; see <see cref="Transforms.ScaleByAdan"/>.</remarks>
    public static GradientTransformation Adan(AdanOptions? options = null)
    {
        options ??= new AdanOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(
            Transforms.ScaleByAdan(options.B1, options.B2, options.B3, options.Eps, options.EpsRoot),
            DecoupledDecay(options.WeightDecay, options.Mask),
            Transforms.ScaleByLearningRate(options.LearningRate));
    }
}
