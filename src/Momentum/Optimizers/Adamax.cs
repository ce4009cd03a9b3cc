using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.Adamax"/>, with torch.optim.Adamax's names and defaults.</summary>
public sealed record AdamaxOptions
{
    /// <summary><c>lr</c>: the learning rate or its schedule (default 2e-3).</summary>
    [Spec("lr")]
    public Schedule LearningRate { get; init; } = 2e-3;

    /// <summary><c>betas[0]</c>: β1 (default 0.9).</summary>
    [Spec("betas", Item = 0)]
    public double Beta1 { get; init; } = 0.9;

    /// <summary><c>betas[1]</c>: β2, the decay of the infinity norm (default 0.999).</summary>
    [Spec("betas", Item = 1)]
    public double Beta2 { get; init; } = 0.999;

    /// <summary><c>eps</c>: ε, added to |g| inside the maximum (default 1e-8).</summary>
    [Spec("eps")]
    public double Epsilon { get; init; } = 1e-8;

    /// <summary><c>weight_decay</c>: the L2 penalty λ added to the gradient (default 0).</summary>
    [Spec("weight_decay")]
    public double WeightDecay { get; init; }

    /// <summary><c>maximize</c>: ascend the objective instead (default false).</summary>
    [Spec("maximize")]
    public bool Maximize { get; init; }

    internal void Validate() => Optimizers.ValidateAdam(LearningRate, Beta1, Beta2, Epsilon, WeightDecay);
}

public static partial class Optimizers
{
    /// <summary>Adamax (Kingma and Ba, 2015, https://arxiv.org/abs/1412.6980, section 7), as torch.optim.Adamax.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range (torch's messages).</exception>
    /// <remarks>
    /// <c>g ← −g</c> if maximize; <c>g ← g + λθ</c>; <c>m ← β1 m + (1−β1) g</c>; <c>n ← max(β2 n, |g| + ε)</c>;
    /// <c>θ ← θ − η/(1−β1ᵗ) · m/n</c>, t the parameter's own step count. Chain: [scale(−1)] →
    /// [add_decayed_weights(λ)] → scale_by_torch_adamax(β1, β2, ε) → scale_by_learning_rate(η).
    /// </remarks>
    public static GradientTransformation Adamax(AdamaxOptions? options = null)
    {
        options ??= new AdamaxOptions();
        options.Validate();
        return ChainOf(
            options.Maximize ? Transforms.Scale(-1) : null,
            options.WeightDecay != 0 ? Transforms.AddDecayedWeights(options.WeightDecay) : null,
            Transforms.ScaleByTorchAdamax(options.Beta1, options.Beta2, options.Epsilon),
            Transforms.ScaleByLearningRate(options.LearningRate));
    }
}
