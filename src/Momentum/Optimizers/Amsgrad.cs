using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.Amsgrad"/>, with Optax's names and defaults.</summary>
public sealed record AmsgradOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>) (default here 1e-3).</summary>
    [Spec("learning_rate", "lr")]
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>b1</c> (default 0.9).</summary>
    [Spec("b1")]
    public double B1 { get; init; } = 0.9;

    /// <summary><c>b2</c> (default 0.999).</summary>
    [Spec("b2")]
    public double B2 { get; init; } = 0.999;

    /// <summary><c>eps</c> (default 1e-8).</summary>
    [Spec("eps")]
    public double Eps { get; init; } = 1e-8;

    /// <summary><c>eps_root</c> (default 0).</summary>
    [Spec("eps_root")]
    public double EpsRoot { get; init; }

    /// <summary><c>bias_correction_mu</c> (default true).</summary>
    [Spec("bias_correction_mu")]
    public bool BiasCorrectionMu { get; init; } = true;

    /// <summary><c>bias_correction_nu</c> (default true: the maximum is over bias-corrected v̂).</summary>
    [Spec("bias_correction_nu")]
    public bool BiasCorrectionNu { get; init; } = true;
}

public static partial class Optimizers
{
    /// <summary>AMSGrad (Reddi et al., 2018, https://openreview.net/forum?id=ryQu7f-RZ), Optax's <c>amsgrad</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>scale_by_amsgrad</c> → <c>scale_by_learning_rate</c>: <c>v_max ← max(v_max, v̂)</c> over the
    /// <b>bias-corrected</b> v̂ (Optax's variant; torch's amsgrad takes the max of the raw v),
    /// <c>u = −η·m̂/(√(v_max + ε_root) + ε)</c>.</remarks>
    public static GradientTransformation Amsgrad(AmsgradOptions? options = null)
    {
        options ??= new AmsgradOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(
            Transforms.ScaleByAmsgrad(options.B1, options.B2, options.Eps, options.EpsRoot, options.BiasCorrectionMu, options.BiasCorrectionNu),
            Transforms.ScaleByLearningRate(options.LearningRate));
    }
}
