using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.ScheduleFreeAdamW"/>, with Optax's names and defaults.</summary>
public sealed record ScheduleFreeAdamWOptions
{
    /// <summary><c>learning_rate</c> (default 0.0025).</summary>
    [Spec("learning_rate", "lr")]
    public Schedule LearningRate { get; init; } = 0.0025;

    /// <summary><c>warmup_steps</c>: length of a linear warmup from 0 (default none); needs a constant learning rate.</summary>
    [Spec("warmup_steps")]
    public int? WarmupSteps { get; init; }

    /// <summary><c>b1</c>: the interpolation β1, in (0, 1] (default 0.9).</summary>
    [Spec("b1")]
    public double B1 { get; init; } = 0.9;

    /// <summary><c>b2</c>: the second-moment decay (default 0.999).</summary>
    [Spec("b2")]
    public double B2 { get; init; } = 0.999;

    /// <summary><c>eps</c> (default 1e-8), outside the square root.</summary>
    [Spec("eps")]
    public double Epsilon { get; init; } = 1e-8;

    /// <summary><c>weight_decay</c>: decoupled decay, multiplied by the learning rate (default 0).</summary>
    [Spec("weight_decay")]
    public double WeightDecay { get; init; }

    /// <summary><c>weight_lr_power</c> (default 2).</summary>
    [Spec("weight_lr_power")]
    public double WeightLrPower { get; init; } = 2.0;
}

public static partial class Optimizers
{
    /// <summary>Schedule-free AdamW (Optax's <c>contrib.schedule_free_adamw</c>).</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is out of range.</exception>
    /// <remarks>
    /// Base: <c>scale_by_adam(b1 = 0, b2, eps) → add_decayed_weights(λ) → scale_by_learning_rate(lr)</c>, i.e. Optax's
    /// <c>scale_by_rms(b2, eps, eps_in_sqrt=false, bias_correction=true)</c>: <c>u = g/(√(v/(1−β2ᵗ)) + ε)</c>. (This
    /// port keeps Adam's unused first moment, which with β1 = 0 equals g.)
    /// </remarks>
    public static GradientTransformation ScheduleFreeAdamW(ScheduleFreeAdamWOptions? options = null)
    {
        options ??= new ScheduleFreeAdamWOptions();
        var lr = WarmupConstant(options.LearningRate, options.WarmupSteps);
        ValidateWeightDecay(options.WeightDecay);
        var inner = ChainOf(
            Transforms.ScaleByAdam(0, options.B2, options.Epsilon),
            options.WeightDecay != 0 ? Transforms.AddDecayedWeights(options.WeightDecay) : null,
            Transforms.ScaleByLearningRate(lr));
        return ScheduleFree(inner, lr, options.B1, options.WeightLrPower);
    }
}
