using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.AdamW"/>, with torch.optim.AdamW's names and defaults.</summary>
public sealed record AdamWOptions
{
    /// <summary><c>lr</c>: the learning rate or its schedule (default 1e-3).</summary>
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

    /// <summary><c>weight_decay</c>: the decoupled decay λ (default 1e-2, as torch; Optax's default is 1e-4).</summary>
    [Spec("weight_decay")]
    public double WeightDecay { get; init; } = 1e-2;

    /// <summary><c>amsgrad</c>: divide by the running maximum of the second moment (default false).</summary>
    [Spec("amsgrad")]
    public bool Amsgrad { get; init; }

    /// <summary><c>maximize</c>: ascend the objective instead (default false).</summary>
    [Spec("maximize")]
    public bool Maximize { get; init; }

    /// <summary>Which step count the bias corrections use (default <see cref="Momentum.StepCounting.PerTensor"/>, as torch); see docs/DYNAMIC.md.</summary>
    [Spec("step_count")]
    public StepCounting StepCounting { get; init; }

    /// <summary>Store m and v in bfloat16 (float32 math; half the state memory; see <see cref="Transforms.ScaleByAdamBFloat16State"/>). Not with AMSGrad or per-row step counting. Default false.</summary>
    public bool BFloat16State { get; init; }

    internal void Validate() => Optimizers.ValidateAdam(LearningRate, Beta1, Beta2, Epsilon, WeightDecay,
        BFloat16State && (Amsgrad || StepCounting != StepCounting.PerTensor));
}

public static partial class Optimizers
{
    /// <summary>AdamW (Loshchilov and Hutter, 2019, https://arxiv.org/abs/1711.05101), as torch.optim.AdamW: decoupled weight decay.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range (torch's messages).</exception>
    /// <remarks>
    /// As <see cref="Adam"/> without the L2 term, plus <c>θ ← θ − η λ θ</c> in the same step (the decay is multiplied
    /// by the full learning rate, as in PyTorch and Optax). Chain: [scale(−1)] → scale_by_adam →
    /// add_decayed_weights(λ) → scale_by_learning_rate.
    /// </remarks>
    public static GradientTransformation AdamW(AdamWOptions? options = null)
    {
        options ??= new AdamWOptions();
        options.Validate();
        return ChainOf(
            options.Maximize ? Transforms.Scale(-1) : null,
            options.BFloat16State ? Transforms.ScaleByAdamBFloat16State(options.Beta1, options.Beta2, options.Epsilon)
                : Transforms.ScaleByAdam(options.Beta1, options.Beta2, options.Epsilon, amsgrad: options.Amsgrad, stepCounting: options.StepCounting),
            options.WeightDecay != 0 ? Transforms.AddDecayedWeights(options.WeightDecay) : null,
            Transforms.ScaleByLearningRate(options.LearningRate));
    }
}
