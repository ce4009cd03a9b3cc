using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.Adam"/>, with torch.optim.Adam's names and defaults.</summary>
public sealed record AdamOptions
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

    /// <summary><c>weight_decay</c>: the L2 penalty λ added to the gradient before the moments (default 0).</summary>
    [Spec("weight_decay")]
    public double WeightDecay { get; init; }

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
    /// <summary>Adam (Kingma and Ba, 2015, https://arxiv.org/abs/1412.6980), as torch.optim.Adam: L2 weight decay is added to the gradient.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range (torch's messages).</exception>
    /// <remarks>
    /// <c>g ← −g</c> if maximize; <c>g ← g + λθ</c>; <c>m ← β1 m + (1−β1) g</c>; <c>v ← β2 v + (1−β2) g²</c>;
    /// <c>θ ← θ − η·(m/(1−β1ᵗ)) / (√v/√(1−β2ᵗ) + ε)</c>, with <c>max(v_max, v)</c> for v under AMSGrad and t the
    /// parameter's own step count. Chain: [scale(−1)] → [add_decayed_weights(λ)] → scale_by_adam → scale_by_learning_rate.
    /// </remarks>
    public static GradientTransformation Adam(AdamOptions? options = null)
    {
        options ??= new AdamOptions();
        options.Validate();
        return ChainOf(
            options.Maximize ? Transforms.Scale(-1) : null,
            options.WeightDecay != 0 ? Transforms.AddDecayedWeights(options.WeightDecay) : null,
            options.BFloat16State ? Transforms.ScaleByAdamBFloat16State(options.Beta1, options.Beta2, options.Epsilon)
                : Transforms.ScaleByAdam(options.Beta1, options.Beta2, options.Epsilon, amsgrad: options.Amsgrad, stepCounting: options.StepCounting),
            Transforms.ScaleByLearningRate(options.LearningRate));
    }

    internal static void ValidateAdam(Schedule learningRate, double beta1, double beta2, double epsilon, double weightDecay, bool unsupportedBFloat16 = false)
    {
        if (unsupportedBFloat16) ThrowHelper.ThrowArgument("BFloat16State", "bfloat16 state supports neither AMSGrad nor per-row step counting.");
        ValidateLearningRate(learningRate);
        Transforms.ValidateEpsilon(epsilon, "eps");
        Transforms.ValidateBetas(beta1, beta2);
        ValidateWeightDecay(weightDecay);
    }
}
