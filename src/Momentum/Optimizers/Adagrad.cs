using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.Adagrad"/>, with torch.optim.Adagrad's names and defaults.</summary>
public sealed record AdagradOptions
{
    /// <summary><c>lr</c>: the learning rate or its schedule (default 1e-2).</summary>
    [Spec("lr")]
    public Schedule LearningRate { get; init; } = 1e-2;

    /// <summary><c>lr_decay</c>: d, the step's learning rate is η/(1 + (t−1)·d) (default 0).</summary>
    [Spec("lr_decay")]
    public double LearningRateDecay { get; init; }

    /// <summary><c>weight_decay</c>: the L2 penalty λ added to the gradient (default 0).</summary>
    [Spec("weight_decay")]
    public double WeightDecay { get; init; }

    /// <summary><c>initial_accumulator_value</c>: the accumulator's starting value (default 0).</summary>
    [Spec("initial_accumulator_value")]
    public double InitialAccumulatorValue { get; init; }

    /// <summary><c>eps</c>: ε, added outside the square root (default 1e-10).</summary>
    [Spec("eps")]
    public double Epsilon { get; init; } = 1e-10;

    /// <summary><c>maximize</c>: ascend the objective instead (default false).</summary>
    [Spec("maximize")]
    public bool Maximize { get; init; }

    /// <summary>torch's checks and messages, in torch's order: lr, lr_decay, weight_decay, initial_accumulator_value, eps.</summary>
    internal void Validate()
    {
        Optimizers.ValidateLearningRate(LearningRate);
        if (!double.IsFinite(LearningRateDecay) || LearningRateDecay < 0) ThrowHelper.ThrowInvalid("lr_decay", "lr_decay value", LearningRateDecay);
        Optimizers.ValidateWeightDecay(WeightDecay);
        if (!double.IsFinite(InitialAccumulatorValue) || InitialAccumulatorValue < 0)
            ThrowHelper.ThrowInvalid("initial_accumulator_value", "initial_accumulator_value value", InitialAccumulatorValue);
        Transforms.ValidateEpsilon(Epsilon, "eps");
    }
}

public static partial class Optimizers
{
    /// <summary>Adagrad (Duchi, Hazan and Singer, 2011, https://jmlr.org/papers/v12/duchi11a.html), as torch.optim.Adagrad.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range (torch's messages).</exception>
    /// <remarks>
    /// <c>g ← −g</c> if maximize; <c>g ← g + λθ</c>; <c>S ← S + g²</c>; <c>θ ← θ − η/(1 + (t−1)·d) · g/(√S + ε)</c>,
    /// with t the parameter's own step count and S starting at <c>initial_accumulator_value</c>. torch creates S in its
    /// constructor; here it is created (already filled) at the parameter's first gradient, or by
    /// <see cref="Optimizer.InitializeAllState"/>: the numbers are the same. Chain: [scale(−1)] →
    /// [add_decayed_weights(λ)] → scale_by_torch_adagrad(d, S₀, ε) → scale_by_learning_rate(η).
    /// </remarks>
    public static GradientTransformation Adagrad(AdagradOptions? options = null)
    {
        options ??= new AdagradOptions();
        options.Validate();
        return ChainOf(
            options.Maximize ? Transforms.Scale(-1) : null,
            options.WeightDecay != 0 ? Transforms.AddDecayedWeights(options.WeightDecay) : null,
            Transforms.ScaleByTorchAdagrad(options.LearningRateDecay, options.InitialAccumulatorValue, options.Epsilon),
            Transforms.ScaleByLearningRate(options.LearningRate));
    }
}
