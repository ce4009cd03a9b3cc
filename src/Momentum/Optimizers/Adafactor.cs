using Momentum.Kernels;
using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.Adafactor"/>, with Optax's names and defaults.</summary>
public sealed record AdafactorOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>): η or its schedule (default null, as Optax: no learning-rate scaling).</summary>
    [Spec("learning_rate", "lr")]
    public Schedule? LearningRate { get; init; }

    /// <summary><c>min_dim_size_to_factor</c> (default 128).</summary>
    [Spec("min_dim_size_to_factor")]
    public int MinDimSizeToFactor { get; init; } = 128;

    /// <summary><c>decay_rate</c>: the exponent of the second-moment decay schedule (default 0.8).</summary>
    [Spec("decay_rate")]
    public double DecayRate { get; init; } = 0.8;

    /// <summary><c>decay_offset</c> (default 0).</summary>
    [Spec("decay_offset")]
    public long DecayOffset { get; init; }

    /// <summary><c>multiply_by_parameter_scale</c>: scale by max(rms(θ), 1e-3) (default true).</summary>
    [Spec("multiply_by_parameter_scale")]
    public bool MultiplyByParameterScale { get; init; } = true;

    /// <summary><c>clipping_threshold</c>: clip each update by its block RMS; null disables (default 1.0).</summary>
    [Spec("clipping_threshold")]
    public double? ClippingThreshold { get; init; } = 1.0;

    /// <summary><c>momentum</c>: an EMA of the updates without debiasing; null disables (default null).</summary>
    [Spec("momentum")]
    public double? Momentum { get; init; }

    /// <summary><c>weight_decay_rate</c>: decay added after the learning-rate scaling (not multiplied by η); null disables (default null).</summary>
    [Spec("weight_decay_rate")]
    public double? WeightDecayRate { get; init; }

    /// <summary><c>eps</c>: added to g² (default 1e-30).</summary>
    [Spec("eps")]
    public double Eps { get; init; } = 1e-30;

    /// <summary><c>factored</c> (default true).</summary>
    [Spec("factored")]
    public bool Factored { get; init; } = true;

    /// <summary><c>weight_decay_mask</c>: which parameters to decay; null decays all.</summary>
    public Func<Parameter, bool>? WeightDecayMask { get; init; }
}

public static partial class Optimizers
{
    /// <summary>Adafactor (Shazeer and Stern, 2018, https://arxiv.org/abs/1804.04235), Optax's <c>adafactor</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>
    /// Chain: <c>scale_by_factored_rms</c> → [clip by block RMS: <c>u/max(1, rms(u)/threshold)</c> per parameter] →
    /// [<c>×η</c> (no sign flip)] → [<c>×max(rms(θ), 10⁻³)</c>] → [<c>ema(momentum, debias=false)</c>] →
    /// [<c>+λθ</c>, not multiplied by η] → <c>scale(−1)</c>; bracketed stages are present only when their argument is
    /// set. See <see cref="Transforms.ScaleByFactoredRms"/> for the factored second moment.
    /// </remarks>
    public static GradientTransformation Adafactor(AdafactorOptions? options = null)
    {
        options ??= new AdafactorOptions();
        if (options.LearningRate is not null) ValidateLearningRate(options.LearningRate);
        if (options.ClippingThreshold is { } threshold) OptaxGuard.Positive(threshold, "clipping_threshold");
        if (options.WeightDecayRate is { } wd) OptaxGuard.NonNegative(wd, "weight_decay_rate");
        return ChainOf(
            Transforms.ScaleByFactoredRms(options.Factored, options.DecayRate, options.DecayOffset, options.MinDimSizeToFactor, options.Eps),
            options.ClippingThreshold is { } t ? new ClipByBlockRmsTransformation(t) : null,
            options.LearningRate is { } lr ? Transforms.ScaleByLearningRate(lr, flipSign: false) : null,
            options.MultiplyByParameterScale ? Transforms.ScaleByParamBlockRms() : null,
            options.Momentum is { } momentum ? Transforms.Ema(momentum, debias: false) : null,
            options.WeightDecayRate is { } decay ? Transforms.AddDecayedWeights(decay, options.WeightDecayMask) : null,
            Transforms.Scale(-1));
    }
}
