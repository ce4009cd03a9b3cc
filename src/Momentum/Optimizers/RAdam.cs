using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.RAdam"/>, with (current) torch.optim.RAdam's names and defaults.</summary>
public sealed record RAdamOptions
{
    /// <summary><c>lr</c>: the learning rate or its schedule (default 1e-3; TorchSharp's 2e-3 is not torch's).</summary>
    [Spec("lr")]
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>betas[0]</c>: β1 (default 0.9).</summary>
    [Spec("betas", Item = 0)]
    public double Beta1 { get; init; } = 0.9;

    /// <summary><c>betas[1]</c>: β2 (default 0.999).</summary>
    [Spec("betas", Item = 1)]
    public double Beta2 { get; init; } = 0.999;

    /// <summary><c>eps</c>: ε, outside the square root (default 1e-8).</summary>
    [Spec("eps")]
    public double Epsilon { get; init; } = 1e-8;

    /// <summary><c>weight_decay</c>: λ (default 0): an L2 penalty, or decoupled decay with <see cref="DecoupledWeightDecay"/>.</summary>
    [Spec("weight_decay")]
    public double WeightDecay { get; init; }

    /// <summary><c>decoupled_weight_decay</c>: decay θ by η·λ·θ as AdamW does instead of adding λθ to g (default false).</summary>
    [Spec("decoupled_weight_decay")]
    public bool DecoupledWeightDecay { get; init; }

    /// <summary><c>maximize</c>: ascend the objective instead (default false; torch 2.x).</summary>
    [Spec("maximize")]
    public bool Maximize { get; init; }

    internal void Validate() => Optimizers.ValidateAdam(LearningRate, Beta1, Beta2, Epsilon, WeightDecay);
}

public static partial class Optimizers
{
    /// <summary>RAdam (Liu et al., 2020, https://arxiv.org/abs/1908.03265), as current torch.optim.RAdam.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range (torch's messages).</exception>
    /// <remarks>
    /// <c>g ← −g</c> if maximize; <c>g ← g + λθ</c> (or, decoupled, <c>θ ← θ − ηλθ</c>); Adam's moments;
    /// <c>ρ∞ = 2/(1−β2) − 1</c>, <c>ρ_t = ρ∞ − 2tβ2ᵗ/(1−β2ᵗ)</c>; if <c>ρ_t &gt; 5</c>,
    /// <c>θ ← θ − η · m/(1−β1ᵗ) · r_t √(1−β2ᵗ)/(√v + ε)</c> with r_t the rectification term, else
    /// <c>θ ← θ − η · m/(1−β1ᵗ)</c>. η is applied exactly once. Chain: [scale(−1)] → [add_decayed_weights(λ)] →
    /// scale_by_torch_radam(β1, β2, ε) → [add_decayed_weights(λ), decoupled] → scale_by_learning_rate(η).
    /// </remarks>
    public static GradientTransformation RAdam(RAdamOptions? options = null)
    {
        options ??= new RAdamOptions();
        options.Validate();
        bool decay = options.WeightDecay != 0;
        return ChainOf(
            options.Maximize ? Transforms.Scale(-1) : null,
            decay && !options.DecoupledWeightDecay ? Transforms.AddDecayedWeights(options.WeightDecay) : null,
            Transforms.ScaleByTorchRadam(options.Beta1, options.Beta2, options.Epsilon),
            decay && options.DecoupledWeightDecay ? Transforms.AddDecayedWeights(options.WeightDecay) : null,
            Transforms.ScaleByLearningRate(options.LearningRate));
    }
}
