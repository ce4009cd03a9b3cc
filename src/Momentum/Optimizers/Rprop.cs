using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.Rprop"/>, with torch.optim.Rprop's names and defaults.</summary>
public sealed record RpropOptions
{
    /// <summary>
    /// <c>lr</c>: every element's initial step size (default 1e-2). torch reads it once, when a parameter's state is
    /// created, so it is a number here, not a schedule.
    /// </summary>
    [Spec("lr")]
    public double LearningRate { get; init; } = 1e-2;

    /// <summary><c>etas[0]</c>: η−, the step-size factor on a sign change (default 0.5).</summary>
    [Spec("etas", Item = 0)]
    public double EtaMinus { get; init; } = 0.5;

    /// <summary><c>etas[1]</c>: η+, the step-size factor when the sign holds (default 1.2).</summary>
    [Spec("etas", Item = 1)]
    public double EtaPlus { get; init; } = 1.2;

    /// <summary><c>step_sizes[0]</c>: the smallest step size (default 1e-6).</summary>
    [Spec("step_sizes", Item = 0)]
    public double MinStepSize { get; init; } = 1e-6;

    /// <summary><c>step_sizes[1]</c>: the largest step size (default 50).</summary>
    [Spec("step_sizes", Item = 1)]
    public double MaxStepSize { get; init; } = 50;

    /// <summary><c>maximize</c>: ascend the objective instead (default false).</summary>
    [Spec("maximize")]
    public bool Maximize { get; init; }

    /// <summary>torch's checks and messages (lr, then etas), then finite step sizes with 0 ≤ min ≤ max (stricter than torch).</summary>
    internal void Validate()
    {
        if (!double.IsFinite(LearningRate) || LearningRate < 0) ThrowHelper.ThrowInvalid("lr", "learning rate", LearningRate);
        Transforms.ValidateEtas(EtaMinus, EtaPlus);
        Transforms.ValidateStepSizes(MinStepSize, MaxStepSize);
    }
}

public static partial class Optimizers
{
    /// <summary>Rprop (Riedmiller and Braun, 1993, https://doi.org/10.1109/ICNN.1993.298623), as torch.optim.Rprop.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range (torch's messages).</exception>
    /// <remarks>
    /// <c>g ← −g</c> if maximize; per element, with p the previous gradient: step ← clamp(step·η+) if <c>g·p &gt; 0</c>,
    /// clamp(step·η−) and <c>g ← 0</c> if <c>g·p &lt; 0</c>; <c>θ ← θ − sign(g)·step</c>; <c>p ← g</c>. Steps start
    /// at lr. Chain: [scale(−1)] → scale_by_torch_rprop(lr, η−, η+, min, max) → scale(−1).
    /// </remarks>
    public static GradientTransformation Rprop(RpropOptions? options = null)
    {
        options ??= new RpropOptions();
        options.Validate();
        return ChainOf(
            options.Maximize ? Transforms.Scale(-1) : null,
            Transforms.ScaleByTorchRprop(options.LearningRate, options.EtaMinus, options.EtaPlus, options.MinStepSize, options.MaxStepSize),
            Transforms.Scale(-1));
    }
}
