namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.AcProp"/>, with Optax contrib's names and defaults.</summary>
public sealed record AcPropOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>): η or its schedule (Optax requires it; default here 1e-3).</summary>
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>b1</c>: the decay of the first moment (default 0.9).</summary>
    public double B1 { get; init; } = 0.9;

    /// <summary><c>b2</c>: the decay of the second central moment (default 0.999).</summary>
    public double B2 { get; init; } = 0.999;

    /// <summary><c>eps</c>: ε outside the square root (default 1e-16).</summary>
    public double Eps { get; init; } = 1e-16;

    /// <summary><c>eps_root</c>: added to s every step (default 1e-16).</summary>
    public double EpsRoot { get; init; } = 1e-16;

    /// <summary><c>weight_decay</c>: the decoupled decay λ, multiplied by η (default 0).</summary>
    public Schedule WeightDecay { get; init; } = 0.0;

    /// <summary><c>mask</c>: which parameters to decay (true = decay); null decays all.</summary>
    public Func<Parameter, bool>? Mask { get; init; }

    /// <summary>Which step count the bias correction and first-step rule use (default <see cref="Momentum.StepCounting.PerTensor"/>); see docs/DYNAMIC.md.</summary>
    public StepCounting StepCounting { get; init; }
}

/// <summary>The hyperparameters of <see cref="Optimizers.AdaBelief"/>, with Optax's names and defaults.</summary>
public sealed record AdaBeliefOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>): η or its schedule (Optax requires it; default here 1e-3).</summary>
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>b1</c> (default 0.9).</summary>
    public double B1 { get; init; } = 0.9;

    /// <summary><c>b2</c> (default 0.999).</summary>
    public double B2 { get; init; } = 0.999;

    /// <summary><c>eps</c> (default 1e-16; the paper uses 1e-8).</summary>
    public double Eps { get; init; } = 1e-16;

    /// <summary><c>eps_root</c> (default 1e-16; the paper uses 0).</summary>
    public double EpsRoot { get; init; } = 1e-16;

    /// <summary><c>weight_decay</c>: decoupled decay λ (default 0: none, as Optax's None).</summary>
    public Schedule WeightDecay { get; init; } = 0.0;

    /// <summary><c>weight_decay_mask</c>: which parameters to decay; null decays all.</summary>
    public Func<Parameter, bool>? Mask { get; init; }

    /// <summary><c>nesterov</c> (default false).</summary>
    public bool Nesterov { get; init; }
}

/// <summary>The hyperparameters of <see cref="Optimizers.OptaxAdam"/> and <see cref="Optimizers.OptaxNAdam"/>, with Optax's names and defaults.</summary>
public sealed record OptaxAdamOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>): η or its schedule (Optax requires it; default here 1e-3).</summary>
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>b1</c> (default 0.9).</summary>
    public double B1 { get; init; } = 0.9;

    /// <summary><c>b2</c> (default 0.999).</summary>
    public double B2 { get; init; } = 0.999;

    /// <summary><c>eps</c>: outside the square root (default 1e-8).</summary>
    public double Eps { get; init; } = 1e-8;

    /// <summary><c>eps_root</c>: inside the square root (default 0).</summary>
    public double EpsRoot { get; init; }

    /// <summary><c>nesterov</c>: Dozat's Nesterov moment (default false; <see cref="Optimizers.OptaxNAdam"/> forces true).</summary>
    public bool Nesterov { get; init; }
}

/// <summary>The hyperparameters of <see cref="Optimizers.OptaxAdamW"/> and <see cref="Optimizers.NAdamW"/>, with Optax's names and defaults.</summary>
public sealed record OptaxAdamWOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>): η or its schedule (Optax requires it; default here 1e-3).</summary>
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>b1</c> (default 0.9).</summary>
    public double B1 { get; init; } = 0.9;

    /// <summary><c>b2</c> (default 0.999).</summary>
    public double B2 { get; init; } = 0.999;

    /// <summary><c>eps</c>: outside the square root (default 1e-8).</summary>
    public double Eps { get; init; } = 1e-8;

    /// <summary><c>eps_root</c>: inside the square root (default 0).</summary>
    public double EpsRoot { get; init; }

    /// <summary><c>weight_decay</c>: decoupled decay λ, multiplied by η (default 1e-4, Optax's; torch's AdamW uses 1e-2).</summary>
    public Schedule WeightDecay { get; init; } = 1e-4;

    /// <summary><c>mask</c>: which parameters to decay (true = decay); null decays all.</summary>
    public Func<Parameter, bool>? Mask { get; init; }

    /// <summary><c>nesterov</c>: Dozat's Nesterov moment (default false; <see cref="Optimizers.NAdamW"/> forces true).</summary>
    public bool Nesterov { get; init; }
}

/// <summary>The hyperparameters of <see cref="Optimizers.Amsgrad"/>, with Optax's names and defaults.</summary>
public sealed record AmsgradOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>) (default here 1e-3).</summary>
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>b1</c> (default 0.9).</summary>
    public double B1 { get; init; } = 0.9;

    /// <summary><c>b2</c> (default 0.999).</summary>
    public double B2 { get; init; } = 0.999;

    /// <summary><c>eps</c> (default 1e-8).</summary>
    public double Eps { get; init; } = 1e-8;

    /// <summary><c>eps_root</c> (default 0).</summary>
    public double EpsRoot { get; init; }

    /// <summary><c>bias_correction_mu</c> (default true).</summary>
    public bool BiasCorrectionMu { get; init; } = true;

    /// <summary><c>bias_correction_nu</c> (default true: the maximum is over bias-corrected v̂).</summary>
    public bool BiasCorrectionNu { get; init; } = true;
}

/// <summary>The hyperparameters of <see cref="Optimizers.OptaxAdamax"/>, with Optax's names and defaults.</summary>
public sealed record OptaxAdamaxOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>) (default here 1e-3).</summary>
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>b1</c> (default 0.9).</summary>
    public double B1 { get; init; } = 0.9;

    /// <summary><c>b2</c> (default 0.999).</summary>
    public double B2 { get; init; } = 0.999;

    /// <summary><c>eps</c>: inside the maximum (default 1e-8).</summary>
    public double Eps { get; init; } = 1e-8;
}

/// <summary>The hyperparameters of <see cref="Optimizers.AdamaxW"/>, with Optax's names and defaults.</summary>
public sealed record AdamaxWOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>) (default here 1e-3).</summary>
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>b1</c> (default 0.9).</summary>
    public double B1 { get; init; } = 0.9;

    /// <summary><c>b2</c> (default 0.999).</summary>
    public double B2 { get; init; } = 0.999;

    /// <summary><c>eps</c>: inside the maximum (default 1e-8).</summary>
    public double Eps { get; init; } = 1e-8;

    /// <summary><c>weight_decay</c>: decoupled decay (default 1e-4).</summary>
    public Schedule WeightDecay { get; init; } = 1e-4;

    /// <summary><c>mask</c>: which parameters to decay; null decays all.</summary>
    public Func<Parameter, bool>? Mask { get; init; }
}

/// <summary>The hyperparameters of <see cref="Optimizers.Adan"/>, with Optax's names and defaults.</summary>
public sealed record AdanOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>) (default here 1e-3).</summary>
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>b1</c>: decay of the gradient EMA (default 0.98).</summary>
    public double B1 { get; init; } = 0.98;

    /// <summary><c>b2</c>: decay of the gradient-difference EMA (default 0.92).</summary>
    public double B2 { get; init; } = 0.92;

    /// <summary><c>b3</c>: decay of the squared EMA (default 0.99).</summary>
    public double B3 { get; init; } = 0.99;

    /// <summary><c>eps</c> (default 1e-8).</summary>
    public double Eps { get; init; } = 1e-8;

    /// <summary><c>eps_root</c> (default 1e-8 in the alias; the building block's default is 0).</summary>
    public double EpsRoot { get; init; } = 1e-8;

    /// <summary><c>weight_decay</c>: decoupled decay (default 0).</summary>
    public Schedule WeightDecay { get; init; } = 0.0;

    /// <summary><c>mask</c>: which parameters to decay; null decays all.</summary>
    public Func<Parameter, bool>? Mask { get; init; }
}

/// <summary>The hyperparameters of <see cref="Optimizers.Yogi"/>, with Optax's names and defaults.</summary>
public sealed record YogiOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>) (default here 1e-3).</summary>
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>b1</c> (default 0.9).</summary>
    public double B1 { get; init; } = 0.9;

    /// <summary><c>b2</c> (default 0.999).</summary>
    public double B2 { get; init; } = 0.999;

    /// <summary><c>eps</c> (default 1e-3).</summary>
    public double Eps { get; init; } = 1e-3;
}

/// <summary>The hyperparameters of <see cref="Optimizers.OptaxRadam"/>, with Optax's names and defaults.</summary>
public sealed record OptaxRadamOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>) (default here 1e-3).</summary>
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>b1</c> (default 0.9).</summary>
    public double B1 { get; init; } = 0.9;

    /// <summary><c>b2</c> (default 0.999).</summary>
    public double B2 { get; init; } = 0.999;

    /// <summary><c>eps</c> (default 1e-8).</summary>
    public double Eps { get; init; } = 1e-8;

    /// <summary><c>eps_root</c> (default 0).</summary>
    public double EpsRoot { get; init; }

    /// <summary><c>threshold</c>: rectify when ρ_t ≥ threshold (default 5).</summary>
    public double Threshold { get; init; } = 5;

    /// <summary><c>nesterov</c> (default false).</summary>
    public bool Nesterov { get; init; }
}

/// <summary>The hyperparameters of <see cref="Optimizers.Lamb"/>, with Optax's names and defaults.</summary>
public sealed record LambOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>) (default here 1e-3).</summary>
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>b1</c> (default 0.9).</summary>
    public double B1 { get; init; } = 0.9;

    /// <summary><c>b2</c> (default 0.999).</summary>
    public double B2 { get; init; } = 0.999;

    /// <summary><c>eps</c> (default 1e-6).</summary>
    public double Eps { get; init; } = 1e-6;

    /// <summary><c>eps_root</c> (default 0).</summary>
    public double EpsRoot { get; init; }

    /// <summary><c>weight_decay</c> (default 0).</summary>
    public Schedule WeightDecay { get; init; } = 0.0;

    /// <summary><c>mask</c>: which parameters to decay; null decays all.</summary>
    public Func<Parameter, bool>? Mask { get; init; }
}

/// <summary>The hyperparameters of <see cref="Optimizers.Novograd"/>, with Optax's names and defaults.</summary>
public sealed record NovogradOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>) (default here 1e-3).</summary>
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>b1</c> (default 0.9).</summary>
    public double B1 { get; init; } = 0.9;

    /// <summary><c>b2</c> (default 0.25).</summary>
    public double B2 { get; init; } = 0.25;

    /// <summary><c>eps</c> (default 1e-6).</summary>
    public double Eps { get; init; } = 1e-6;

    /// <summary><c>eps_root</c> (default 0).</summary>
    public double EpsRoot { get; init; }

    /// <summary><c>weight_decay</c>: added inside the moment (default 0).</summary>
    public double WeightDecay { get; init; }
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

    /// <summary>AdaBelief (Zhuang et al., 2020, https://arxiv.org/abs/2010.07468), Optax's <c>adabelief</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>scale_by_belief</c> → [<c>add_decayed_weights(λ, mask)</c>] → <c>scale_by_learning_rate</c>:
    /// <c>u = −η·(m̂/(√ŝ + ε) + λθ)</c> with <c>s ← β2·s + (1−β2)·(g − m)² + ε_root</c>.</remarks>
    public static GradientTransformation AdaBelief(AdaBeliefOptions? options = null)
    {
        options ??= new AdaBeliefOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(
            Transforms.ScaleByBelief(options.B1, options.B2, options.Eps, options.EpsRoot, options.Nesterov),
            DecoupledDecay(options.WeightDecay, options.Mask),
            Transforms.ScaleByLearningRate(options.LearningRate));
    }

    /// <summary>Adam (Kingma and Ba, 2015, https://arxiv.org/abs/1412.6980) with Optax's semantics, spec name <c>optax.adam</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>scale_by_adam(b1, b2, eps, eps_root, nesterov)</c> → <c>scale_by_learning_rate</c>:
    /// <c>u = −η·m̂/(√(v̂ + ε_root) + ε)</c>. Differs from torch's adam (<see cref="Adam"/>) only by ε_root and the
    /// absence of coupled weight decay; the count is per parameter.</remarks>
    public static GradientTransformation OptaxAdam(OptaxAdamOptions? options = null)
    {
        options ??= new OptaxAdamOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(
            Transforms.ScaleByAdam(options.B1, options.B2, options.Eps, options.EpsRoot, nesterov: options.Nesterov),
            Transforms.ScaleByLearningRate(options.LearningRate));
    }

    /// <summary>NAdam (Dozat, 2016) as Optax's <c>nadam</c> = <c>adam(nesterov=True)</c>, spec name <c>optax.nadam</c>.</summary>
    /// <param name="options">The hyperparameters (Nesterov is forced on); <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks><c>m̂ = β1·m/(1−β1ᵗ⁺¹) + (1−β1)·g/(1−β1ᵗ)</c>, no momentum-decay schedule (torch's NAdam has one).</remarks>
    public static GradientTransformation OptaxNAdam(OptaxAdamOptions? options = null) =>
        OptaxAdam((options ?? new OptaxAdamOptions()) with { Nesterov = true });

    /// <summary>AdamW (Loshchilov and Hutter, 2019, https://arxiv.org/abs/1711.05101) with Optax's semantics, spec name <c>optax.adamw</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults (weight decay 1e-4).</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>scale_by_adam</c> → <c>add_decayed_weights(λ, mask)</c> → <c>scale_by_learning_rate</c>:
    /// <c>u = −η·(m̂/(√(v̂ + ε_root) + ε) + λθ)</c>.</remarks>
    public static GradientTransformation OptaxAdamW(OptaxAdamWOptions? options = null)
    {
        options ??= new OptaxAdamWOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(
            Transforms.ScaleByAdam(options.B1, options.B2, options.Eps, options.EpsRoot, nesterov: options.Nesterov),
            DecoupledDecay(options.WeightDecay, options.Mask),
            Transforms.ScaleByLearningRate(options.LearningRate));
    }

    /// <summary>NAdamW, Optax's <c>nadamw</c> = <c>adamw(nesterov=True)</c>.</summary>
    /// <param name="options">The hyperparameters (Nesterov is forced on); <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>As <see cref="OptaxAdamW"/> with Dozat's Nesterov first moment.</remarks>
    public static GradientTransformation NAdamW(OptaxAdamWOptions? options = null) =>
        OptaxAdamW((options ?? new OptaxAdamWOptions()) with { Nesterov = true });

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

    /// <summary>Adamax (Kingma and Ba, 2015, §7.1) with Optax's semantics, spec name <c>optax.adamax</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>scale_by_adamax</c> → <c>scale_by_learning_rate</c>: <c>v ← max(|g| + ε, β2·v)</c>, <c>u = −η·m̂/v</c>.</remarks>
    public static GradientTransformation OptaxAdamax(OptaxAdamaxOptions? options = null)
    {
        options ??= new OptaxAdamaxOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(Transforms.ScaleByAdamax(options.B1, options.B2, options.Eps), Transforms.ScaleByLearningRate(options.LearningRate));
    }

    /// <summary>AdamaxW, Adamax with decoupled weight decay, Optax's <c>adamaxw</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults (weight decay 1e-4).</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>scale_by_adamax</c> → <c>add_decayed_weights(λ, mask)</c> → <c>scale_by_learning_rate</c>: <c>u = −η·(m̂/v + λθ)</c>.</remarks>
    public static GradientTransformation AdamaxW(AdamaxWOptions? options = null)
    {
        options ??= new AdamaxWOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(
            Transforms.ScaleByAdamax(options.B1, options.B2, options.Eps),
            DecoupledDecay(options.WeightDecay, options.Mask),
            Transforms.ScaleByLearningRate(options.LearningRate));
    }

    /// <summary>Adan (Xie et al., 2022, https://arxiv.org/abs/2208.06677), Optax's <c>adan</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>scale_by_adan(b1, b2, b3, eps, eps_root)</c> → <c>add_decayed_weights(λ, mask)</c> →
    /// <c>scale_by_learning_rate</c>; see <see cref="Transforms.ScaleByAdan"/>.</remarks>
    public static GradientTransformation Adan(AdanOptions? options = null)
    {
        options ??= new AdanOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(
            Transforms.ScaleByAdan(options.B1, options.B2, options.B3, options.Eps, options.EpsRoot),
            DecoupledDecay(options.WeightDecay, options.Mask),
            Transforms.ScaleByLearningRate(options.LearningRate));
    }

    /// <summary>Yogi (Zaheer et al., 2018, NeurIPS), Optax's <c>yogi</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>scale_by_yogi(b1, b2, eps)</c> (m = v = 10⁻⁶ at start) → <c>scale_by_learning_rate</c>:
    /// <c>v ← v − (1−β2)·sign(v − g²)·g²</c>, <c>u = −η·m̂/(√v̂ + ε)</c>.</remarks>
    public static GradientTransformation Yogi(YogiOptions? options = null)
    {
        options ??= new YogiOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(Transforms.ScaleByYogi(options.B1, options.B2, options.Eps), Transforms.ScaleByLearningRate(options.LearningRate));
    }

    /// <summary>RAdam (Liu et al., 2020, https://arxiv.org/abs/1908.03265) with Optax's semantics, spec name <c>optax.radam</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>scale_by_radam</c> → <c>scale_by_learning_rate</c>; rectifies when ρ_t ≥ threshold (torch: &gt; 5).</remarks>
    public static GradientTransformation OptaxRadam(OptaxRadamOptions? options = null)
    {
        options ??= new OptaxRadamOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(
            Transforms.ScaleByRadam(options.B1, options.B2, options.Eps, options.EpsRoot, options.Threshold, options.Nesterov),
            Transforms.ScaleByLearningRate(options.LearningRate));
    }

    /// <summary>LAMB (You et al., 2020, https://arxiv.org/abs/1904.00962), Optax's <c>lamb</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>scale_by_adam(b1, b2, eps, eps_root)</c> → <c>add_decayed_weights(λ, mask)</c> →
    /// <c>scale_by_trust_ratio()</c> → <c>scale_by_learning_rate</c>: <c>r = m̂/(√v̂ + ε) + λθ</c>,
    /// <c>u = −η·(‖θ‖/‖r‖)·r</c> per parameter (ratio 1 when a norm is 0).</remarks>
    public static GradientTransformation Lamb(LambOptions? options = null)
    {
        options ??= new LambOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(
            Transforms.ScaleByAdam(options.B1, options.B2, options.Eps, options.EpsRoot),
            DecoupledDecay(options.WeightDecay, options.Mask),
            Transforms.ScaleByTrustRatio(),
            Transforms.ScaleByLearningRate(options.LearningRate));
    }

    /// <summary>NovoGrad (Ginsburg et al., 2019, https://arxiv.org/abs/1905.11286), Optax's <c>novograd</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>scale_by_novograd(b1, b2, eps, eps_root, λ)</c> → <c>scale_by_learning_rate</c>; ν is one
    /// number per parameter (layer); see <see cref="Transforms.ScaleByNovograd"/>.</remarks>
    public static GradientTransformation Novograd(NovogradOptions? options = null)
    {
        options ??= new NovogradOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(
            Transforms.ScaleByNovograd(options.B1, options.B2, options.Eps, options.EpsRoot, options.WeightDecay),
            Transforms.ScaleByLearningRate(options.LearningRate));
    }

    /// <summary>Decoupled weight decay for the Optax aliases: omitted when the decay is the constant 0.</summary>
    internal static GradientTransformation? DecoupledDecay(Schedule weightDecay, Func<Parameter, bool>? mask)
    {
        ArgumentNullException.ThrowIfNull(weightDecay, "weight_decay");
        if (weightDecay.IsConstant && weightDecay.Evaluate(0) == 0) return null;
        Schedule.Validate(weightDecay, "weight_decay", v => v >= 0, "weight_decay value");
        return Transforms.AddDecayedWeights(weightDecay, mask);
    }
}
