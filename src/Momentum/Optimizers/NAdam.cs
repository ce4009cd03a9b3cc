using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.NAdam"/>, with (current) torch.optim.NAdam's names and defaults.</summary>
public sealed record NAdamOptions
{
    /// <summary><c>lr</c>: the learning rate or its schedule (default 2e-3).</summary>
    [Spec("lr")]
    public Schedule LearningRate { get; init; } = 2e-3;

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

    /// <summary><c>momentum_decay</c>: ψ of the μ_t schedule (default 4e-3).</summary>
    [Spec("momentum_decay")]
    public double MomentumDecay { get; init; } = 4e-3;

    /// <summary><c>decoupled_weight_decay</c>: decay θ by η·λ·θ as AdamW does instead of adding λθ to g (default false; NAdamW).</summary>
    [Spec("decoupled_weight_decay")]
    public bool DecoupledWeightDecay { get; init; }

    /// <summary><c>maximize</c>: ascend the objective instead (default false; torch 2.x).</summary>
    [Spec("maximize")]
    public bool Maximize { get; init; }

    /// <summary>torch's checks and messages, in torch's order: lr, eps, betas, weight_decay, momentum_decay.</summary>
    internal void Validate()
    {
        Optimizers.ValidateAdam(LearningRate, Beta1, Beta2, Epsilon, WeightDecay);
        if (!double.IsFinite(MomentumDecay) || MomentumDecay < 0) ThrowHelper.ThrowInvalid("momentum_decay", "momentum_decay value", MomentumDecay);
    }
}

public static partial class Optimizers
{
    /// <summary>NAdam (Dozat, 2016, https://openreview.net/forum?id=OM0jvwB8jIp57ZJjtNEZ), as current torch.optim.NAdam.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range (torch's messages).</exception>
    /// <remarks>
    /// <c>g ← −g</c> if maximize; <c>g ← g + λθ</c> (or, decoupled, <c>θ ← θ − ηλθ</c>);
    /// <c>μ_t = β1(1 − ½·0.96^(tψ))</c>, <c>Π ← Π μ_t</c>, <c>m ← β1 m + (1−β1) g</c>, <c>v ← β2 v + (1−β2) g²</c>,
    /// <c>d = √(v/(1−β2ᵗ)) + ε</c>, <c>θ ← θ − η(1−μ_t)/(1−Π) · g/d − η μ_{t+1}/(1−Π μ_{t+1}) · m/d</c>. This is torch's
    /// code after PR #92699 (torch 1.13 multiplied μ_t into <c>Π μ_{t+1}</c> once more). Chain: [scale(−1)] →
    /// [add_decayed_weights(λ)] → scale_by_torch_nadam(β1, β2, ε, ψ) → [add_decayed_weights(λ), decoupled] →
    /// scale_by_learning_rate(η).
    /// </remarks>
    public static GradientTransformation NAdam(NAdamOptions? options = null)
    {
        options ??= new NAdamOptions();
        options.Validate();
        bool decay = options.WeightDecay != 0;
        return ChainOf(
            options.Maximize ? Transforms.Scale(-1) : null,
            decay && !options.DecoupledWeightDecay ? Transforms.AddDecayedWeights(options.WeightDecay) : null,
            Transforms.ScaleByTorchNadam(options.Beta1, options.Beta2, options.Epsilon, options.MomentumDecay),
            decay && options.DecoupledWeightDecay ? Transforms.AddDecayedWeights(options.WeightDecay) : null,
            Transforms.ScaleByLearningRate(options.LearningRate));
    }
}
