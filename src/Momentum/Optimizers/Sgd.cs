using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.Sgd"/>, with torch.optim.SGD's names and defaults.</summary>
public sealed record SgdOptions
{
    /// <summary><c>lr</c>: the learning rate or its schedule (default 1e-3, torch 2.x's default).</summary>
    [Spec("lr")]
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>momentum</c>: μ (default 0, no momentum).</summary>
    [Spec("momentum")]
    public double Momentum { get; init; }

    /// <summary><c>dampening</c>: τ (default 0).</summary>
    [Spec("dampening")]
    public double Dampening { get; init; }

    /// <summary><c>weight_decay</c>: the L2 penalty λ added to the gradient (default 0).</summary>
    [Spec("weight_decay")]
    public double WeightDecay { get; init; }

    /// <summary><c>nesterov</c>: Nesterov momentum (default false; needs momentum &gt; 0 and dampening 0).</summary>
    [Spec("nesterov")]
    public bool Nesterov { get; init; }

    /// <summary><c>maximize</c>: ascend the objective instead (default false).</summary>
    [Spec("maximize")]
    public bool Maximize { get; init; }

    /// <summary>Which step count decides the momentum's first step (default <see cref="Momentum.StepCounting.PerTensor"/>, as torch); see docs/DYNAMIC.md.</summary>
    [Spec("step_count")]
    public StepCounting StepCounting { get; init; }

    internal void Validate()
    {
        Optimizers.ValidateLearningRate(LearningRate);
        if (!double.IsFinite(Momentum) || Momentum < 0) ThrowHelper.ThrowInvalid("momentum", "momentum value", Momentum);
        if (!double.IsFinite(Dampening)) ThrowHelper.ThrowInvalid("dampening", "dampening value", Dampening);
        Optimizers.ValidateWeightDecay(WeightDecay);
        if (Nesterov && (Momentum <= 0 || Dampening != 0))
            throw new ArgumentException("Nesterov momentum requires a momentum and zero dampening", "nesterov");
    }
}

public static partial class Optimizers
{
    /// <summary>Stochastic gradient descent with optional momentum, as torch.optim.SGD.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentException">A hyperparameter is invalid (torch's conditions, and non-finite values).</exception>
    /// <remarks>
    /// <c>g ← −g</c> if maximize; <c>g ← g + λθ</c>; with momentum μ: <c>b ← g</c> on the first step, then
    /// <c>b ← μb + (1−τ)g</c>, and <c>g ← g + μb</c> (Nesterov) or <c>g ← b</c>; finally <c>θ ← θ − η g</c>.
    /// Chain: [scale(−1)] → [add_decayed_weights(λ)] → [trace(μ, nesterov, τ)] → scale_by_learning_rate(η).
    /// </remarks>
    public static GradientTransformation Sgd(SgdOptions? options = null)
    {
        options ??= new SgdOptions();
        options.Validate();
        return ChainOf(
            options.Maximize ? Transforms.Scale(-1) : null,
            options.WeightDecay != 0 ? Transforms.AddDecayedWeights(options.WeightDecay) : null,
            options.Momentum != 0 ? Transforms.Trace(options.Momentum, options.Nesterov, options.Dampening, options.StepCounting) : null,
            Transforms.ScaleByLearningRate(options.LearningRate));
    }
}
