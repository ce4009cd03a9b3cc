using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.Adadelta"/>, with torch.optim.Adadelta's names and defaults.</summary>
public sealed record AdadeltaOptions
{
    /// <summary><c>lr</c>: the factor applied to δ, or its schedule (default 1.0).</summary>
    [Spec("lr")]
    public Schedule LearningRate { get; init; } = 1.0;

    /// <summary><c>rho</c>: ρ, the decay of both averages (default 0.9).</summary>
    [Spec("rho")]
    public double Rho { get; init; } = 0.9;

    /// <summary><c>eps</c>: ε, inside both square roots (default 1e-6).</summary>
    [Spec("eps")]
    public double Epsilon { get; init; } = 1e-6;

    /// <summary><c>weight_decay</c>: the L2 penalty λ added to the gradient (default 0).</summary>
    [Spec("weight_decay")]
    public double WeightDecay { get; init; }

    /// <summary><c>maximize</c>: ascend the objective instead (default false).</summary>
    [Spec("maximize")]
    public bool Maximize { get; init; }

    /// <summary>torch's checks and messages, in torch's order: lr, rho, eps, weight_decay.</summary>
    internal void Validate()
    {
        Optimizers.ValidateLearningRate(LearningRate);
        if (!double.IsFinite(Rho) || Rho < 0 || Rho > 1) ThrowHelper.ThrowInvalid("rho", "rho value", Rho);
        Transforms.ValidateEpsilon(Epsilon, "eps");
        Optimizers.ValidateWeightDecay(WeightDecay);
    }
}

public static partial class Optimizers
{
    /// <summary>Adadelta (Zeiler, 2012, https://arxiv.org/abs/1212.5701), as torch.optim.Adadelta.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range (torch's messages).</exception>
    /// <remarks>
    /// <c>g ← −g</c> if maximize; <c>g ← g + λθ</c>; <c>s ← ρ s + (1−ρ) g²</c>; <c>δ = √(a + ε)/√(s + ε) · g</c>;
    /// <c>a ← ρ a + (1−ρ) δ²</c>; <c>θ ← θ − η δ</c>. Chain: [scale(−1)] → [add_decayed_weights(λ)] →
    /// scale_by_torch_adadelta(ρ, ε) → scale_by_learning_rate(η).
    /// </remarks>
    public static GradientTransformation Adadelta(AdadeltaOptions? options = null)
    {
        options ??= new AdadeltaOptions();
        options.Validate();
        return ChainOf(
            options.Maximize ? Transforms.Scale(-1) : null,
            options.WeightDecay != 0 ? Transforms.AddDecayedWeights(options.WeightDecay) : null,
            Transforms.ScaleByTorchAdadelta(options.Rho, options.Epsilon),
            Transforms.ScaleByLearningRate(options.LearningRate));
    }
}
