using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.AcProp"/>, with Optax contrib's names and defaults.</summary>
public sealed record AcPropOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>): η or its schedule (Optax requires it; default here 1e-3).</summary>
    [Spec("learning_rate", "lr")]
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>b1</c>: the decay of the first moment (default 0.9).</summary>
    [Spec("b1")]
    public double B1 { get; init; } = 0.9;

    /// <summary><c>b2</c>: the decay of the second central moment (default 0.999).</summary>
    [Spec("b2")]
    public double B2 { get; init; } = 0.999;

    /// <summary><c>eps</c>: ε outside the square root (default 1e-16).</summary>
    [Spec("eps")]
    public double Eps { get; init; } = 1e-16;

    /// <summary><c>eps_root</c>: added to s every step (default 1e-16).</summary>
    [Spec("eps_root")]
    public double EpsRoot { get; init; } = 1e-16;

    /// <summary><c>weight_decay</c>: the decoupled decay λ, multiplied by η (default 0).</summary>
    [Spec("weight_decay")]
    public Schedule WeightDecay { get; init; } = 0.0;

    /// <summary><c>mask</c>: which parameters to decay (true = decay); null decays all.</summary>
    public Func<Parameter, bool>? Mask { get; init; }

    /// <summary>Which step count the bias correction and first-step rule use (default <see cref="Momentum.StepCounting.PerTensor"/>); see docs/DYNAMIC.md.</summary>
    [Spec("step_count")]
    public StepCounting StepCounting { get; init; }
}

public static partial class Optimizers
{
    /// <summary>ACProp, AdaBelief with asynchronous centering (Zhuang et al., 2021, https://arxiv.org/abs/2110.05454), Optax contrib's <c>acprop</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>
    /// Chain: <c>scale_by_acprop(b1, b2, eps, eps_root)</c> → <c>add_decayed_weights(λ, mask)</c> → <c>scale_by_learning_rate(η)</c>:
    /// <c>m_t = β1·m + (1−β1)·g</c>, <c>e = g − m_t</c> (the <b>new</b> m: the documented/paper form, which Optax's
    /// code adopted in bdd0ad77; its code at 2edbcbe used the previous m), <c>s_t = β2·s + (1−β2)·e² + ε_root</c>,
    /// <c>u = −η·(g/(√ŝ + ε) + λθ)</c> with <c>ŝ = s_{t−1}/(1−β2ᶜ)</c> from the <b>previous</b> step (c = count
    /// before the step) and <c>ŝ := 1</c> on the first step. The numerator is the raw gradient. Weight decay and mask
    /// are Optax's: the decay is decoupled (added after the rescaling, so multiplied by η, as AdamW) and applies only
    /// to the parameters the mask selects (the others get the ACProp step alone); λ = 0 omits the stage. Counts are per
    /// parameter (PyTorch semantics); Optax keeps one per pytree, which is identical whenever every parameter has a
    /// gradient every step.
    /// </remarks>
    public static GradientTransformation AcProp(AcPropOptions? options = null)
    {
        options ??= new AcPropOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(
            Transforms.ScaleByAcProp(options.B1, options.B2, options.Eps, options.EpsRoot, options.StepCounting),
            DecoupledDecay(options.WeightDecay, options.Mask),
            Transforms.ScaleByLearningRate(options.LearningRate));
    }
}
