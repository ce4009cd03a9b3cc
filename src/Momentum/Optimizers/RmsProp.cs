using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.RmsProp"/>, with torch.optim.RMSprop's names and defaults.</summary>
public sealed record RmsPropOptions
{
    /// <summary><c>lr</c>: the learning rate or its schedule (default 1e-2).</summary>
    [Spec("lr")]
    public Schedule LearningRate { get; init; } = 1e-2;

    /// <summary><c>alpha</c>: α, the decay of the averages (default 0.99).</summary>
    [Spec("alpha")]
    public double Alpha { get; init; } = 0.99;

    /// <summary><c>eps</c>: ε, added outside the square root (default 1e-8).</summary>
    [Spec("eps")]
    public double Epsilon { get; init; } = 1e-8;

    /// <summary><c>weight_decay</c>: the L2 penalty λ added to the gradient (default 0).</summary>
    [Spec("weight_decay")]
    public double WeightDecay { get; init; }

    /// <summary><c>momentum</c>: μ of the momentum buffer over the scaled gradient (default 0, none).</summary>
    [Spec("momentum")]
    public double Momentum { get; init; }

    /// <summary><c>centered</c>: divide by the estimated standard deviation instead of the root mean square (default false).</summary>
    [Spec("centered")]
    public bool Centered { get; init; }

    /// <summary><c>maximize</c>: ascend the objective instead (default false).</summary>
    [Spec("maximize")]
    public bool Maximize { get; init; }

    /// <summary>torch's checks and messages, in torch's order: lr, eps, momentum, weight_decay, alpha.</summary>
    internal void Validate()
    {
        Optimizers.ValidateLearningRate(LearningRate);
        Transforms.ValidateEpsilon(Epsilon, "eps");
        if (!double.IsFinite(Momentum) || Momentum < 0) ThrowHelper.ThrowInvalid("momentum", "momentum value", Momentum);
        Optimizers.ValidateWeightDecay(WeightDecay);
        if (!double.IsFinite(Alpha) || Alpha < 0) ThrowHelper.ThrowInvalid("alpha", "alpha value", Alpha);
    }
}

public static partial class Optimizers
{
    /// <summary>RMSprop (Hinton, lecture 6e; centered form: Graves, 2013, https://arxiv.org/abs/1308.0850), as torch.optim.RMSprop.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range (torch's messages).</exception>
    /// <remarks>
    /// <c>g ← −g</c> if maximize; <c>g ← g + λθ</c>; <c>s ← α s + (1−α) g²</c>; centered: <c>ḡ ← α ḡ + (1−α) g</c>,
    /// <c>d = √(s − ḡ²) + ε</c>, else <c>d = √s + ε</c>; with momentum <c>b ← μ b + g/d</c> and <c>θ ← θ − η b</c>,
    /// else <c>θ ← θ − η g/d</c>. Chain: [scale(−1)] → [add_decayed_weights(λ)] → scale_by_torch_rmsprop(α, ε, centered)
    /// → [trace(μ)] → scale_by_learning_rate(η). (Optax's rmsprop puts ε inside the root and its momentum after the
    /// learning rate.)
    /// </remarks>
    public static GradientTransformation RmsProp(RmsPropOptions? options = null)
    {
        options ??= new RmsPropOptions();
        options.Validate();
        return ChainOf(
            options.Maximize ? Transforms.Scale(-1) : null,
            options.WeightDecay != 0 ? Transforms.AddDecayedWeights(options.WeightDecay) : null,
            Transforms.ScaleByTorchRmsProp(options.Alpha, options.Epsilon, options.Centered),
            options.Momentum != 0 ? Transforms.Trace(options.Momentum) : null,
            Transforms.ScaleByLearningRate(options.LearningRate));
    }
}
