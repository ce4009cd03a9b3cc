using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.ScheduleFreeSgd"/>, with Optax's names and defaults.</summary>
public sealed record ScheduleFreeSgdOptions
{
    /// <summary><c>learning_rate</c> (default 1.0).</summary>
    [Spec("learning_rate", "lr")]
    public Schedule LearningRate { get; init; } = 1.0;

    /// <summary><c>warmup_steps</c>: length of a linear warmup from 0 (default none); needs a constant learning rate.</summary>
    [Spec("warmup_steps")]
    public int? WarmupSteps { get; init; }

    /// <summary><c>b1</c>: the interpolation β1, in (0, 1] (default 0.9).</summary>
    [Spec("b1")]
    public double B1 { get; init; } = 0.9;

    /// <summary><c>weight_decay</c>: L2 term added to the gradient before the SGD step (default none).</summary>
    [Spec("weight_decay")]
    public double? WeightDecay { get; init; }

    /// <summary><c>weight_lr_power</c>: the averaging weight is <c>max_lr^power</c> (default 2).</summary>
    [Spec("weight_lr_power")]
    public double WeightLrPower { get; init; } = 2.0;
}

public static partial class Optimizers
{
    /// <summary>Schedule-free SGD (Optax's <c>contrib.schedule_free_sgd</c>): <see cref="ScheduleFree"/> over plain SGD.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is out of range.</exception>
    /// <remarks>Base: <c>[add_decayed_weights(λ)] → scale_by_learning_rate(lr)</c>; with warmup, lr(t) = lr·min(t, W)/W.</remarks>
    public static GradientTransformation ScheduleFreeSgd(ScheduleFreeSgdOptions? options = null)
    {
        options ??= new ScheduleFreeSgdOptions();
        var lr = WarmupConstant(options.LearningRate, options.WarmupSteps);
        if (options.WeightDecay is { } wd) ValidateWeightDecay(wd);
        var inner = ChainOf(
            options.WeightDecay is { } λ ? Transforms.AddDecayedWeights(λ) : null,
            Transforms.ScaleByLearningRate(lr));
        return ScheduleFree(inner, lr, options.B1, options.WeightLrPower);
    }
}
