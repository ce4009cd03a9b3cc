namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.OptimisticGradientDescent"/>, with Optax's names and defaults.</summary>
public sealed record OptimisticGradientDescentOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>): η or its schedule (default here 1e-3).</summary>
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>alpha</c>: the generalized optimistic coefficient α (default 1).</summary>
    public double Alpha { get; init; } = 1;

    /// <summary><c>beta</c>: the optimism β (default 1).</summary>
    public double Beta { get; init; } = 1;
}

/// <summary>The hyperparameters of <see cref="Optimizers.OptimisticAdam"/>, with the names and defaults of Optax's <c>optimistic_adam_v2</c>.</summary>
public sealed record OptimisticAdamOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>): η or its schedule (default here 1e-3).</summary>
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>alpha</c> (default 1).</summary>
    public double Alpha { get; init; } = 1;

    /// <summary><c>beta</c>: the optimism (default 1).</summary>
    public double Beta { get; init; } = 1;

    /// <summary><c>b1</c> (default 0.9).</summary>
    public double B1 { get; init; } = 0.9;

    /// <summary><c>b2</c> (default 0.999).</summary>
    public double B2 { get; init; } = 0.999;

    /// <summary><c>eps</c> (default 1e-8).</summary>
    public double Eps { get; init; } = 1e-8;

    /// <summary><c>eps_root</c> (default 0).</summary>
    public double EpsRoot { get; init; }

    /// <summary><c>nesterov</c> (default true).</summary>
    public bool Nesterov { get; init; } = true;
}

/// <summary>The hyperparameters of <see cref="Optimizers.Lion"/>, with Optax's names and defaults.</summary>
public sealed record LionOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>) (default here 1e-4).</summary>
    public Schedule LearningRate { get; init; } = 1e-4;

    /// <summary><c>b1</c> (default 0.9).</summary>
    public double B1 { get; init; } = 0.9;

    /// <summary><c>b2</c> (default 0.99).</summary>
    public double B2 { get; init; } = 0.99;

    /// <summary><c>weight_decay</c>: decoupled decay (default 1e-3).</summary>
    public Schedule WeightDecay { get; init; } = 1e-3;

    /// <summary><c>mask</c>: which parameters to decay; null decays all.</summary>
    public Func<Parameter, bool>? Mask { get; init; }
}

/// <summary>The hyperparameters of <see cref="Optimizers.Fromage"/>, with Optax's names and defaults.</summary>
public sealed record FromageOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>) (default here 1e-2).</summary>
    public Schedule LearningRate { get; init; } = 1e-2;

    /// <summary><c>min_norm</c> (default 1e-6).</summary>
    public double MinNorm { get; init; } = 1e-6;
}

/// <summary>The hyperparameters of <see cref="Optimizers.Lars"/>, with Optax's names and defaults.</summary>
public sealed record LarsOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>) (default here 1.0).</summary>
    public Schedule LearningRate { get; init; } = 1.0;

    /// <summary><c>weight_decay</c>: coupled, added before the trust ratio (default 0).</summary>
    public Schedule WeightDecay { get; init; } = 0.0;

    /// <summary><c>weight_decay_mask</c>: which parameters to decay; null decays all.</summary>
    public Func<Parameter, bool>? WeightDecayMask { get; init; }

    /// <summary><c>trust_coefficient</c> (default 1e-3).</summary>
    public double TrustCoefficient { get; init; } = 1e-3;

    /// <summary><c>eps</c>: added to the update norm (default 0).</summary>
    public double Eps { get; init; }

    /// <summary><c>trust_ratio_mask</c>: which parameters get the trust ratio; null means all.</summary>
    public Func<Parameter, bool>? TrustRatioMask { get; init; }

    /// <summary><c>momentum</c>, applied after the learning rate (default 0.9).</summary>
    public double Momentum { get; init; } = 0.9;

    /// <summary><c>nesterov</c> (default false).</summary>
    public bool Nesterov { get; init; }
}

/// <summary>The hyperparameters of <see cref="Optimizers.NoisySgd"/>, with Optax's names and defaults.</summary>
public sealed record NoisySgdOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>) (default here 1e-3).</summary>
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>eta</c>: the base noise variance (default 0.01).</summary>
    public double Eta { get; init; } = 0.01;

    /// <summary><c>gamma</c>: the annealing exponent (default 0.55).</summary>
    public double Gamma { get; init; } = 0.55;

    /// <summary><c>seed</c> (default 0).</summary>
    public long Seed { get; init; }
}

/// <summary>The hyperparameters of <see cref="Optimizers.PolyakSgd"/>, with Optax's names and defaults.</summary>
public sealed record PolyakSgdOptions
{
    /// <summary><c>max_learning_rate</c>: γ_max (default 1).</summary>
    public double MaxLearningRate { get; init; } = 1;

    /// <summary><c>scaling</c>: s, multiplies the step (default 1).</summary>
    public double Scaling { get; init; } = 1;

    /// <summary><c>f_min</c>: f*, a lower bound of the loss (default 0).</summary>
    public double FMin { get; init; }

    /// <summary><c>eps</c>: added to ‖g‖² (default 0).</summary>
    public double Eps { get; init; }

    /// <summary><c>variant</c>: <c>sps</c> or <c>sps+</c> (default sps).</summary>
    public string Variant { get; init; } = "sps";
}

/// <summary>The hyperparameters of <see cref="Optimizers.Signum"/>, with Optax's names and defaults.</summary>
public sealed record SignumOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>) (default here 1e-3).</summary>
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>beta</c>: the momentum decay (default 0.9).</summary>
    public double Beta { get; init; } = 0.9;
}

/// <summary>The hyperparameters of <see cref="Optimizers.SignSgd"/>, with Optax's names and defaults.</summary>
public sealed record SignSgdOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>) (default here 1e-3).</summary>
    public Schedule LearningRate { get; init; } = 1e-3;
}

/// <summary>The hyperparameters of <see cref="Optimizers.Sm3"/>, with Optax's names and defaults.</summary>
public sealed record Sm3Options
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>) (default here 1e-3).</summary>
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>momentum</c>: the decay of the output EMA, SM3's β1 (default 0.9).</summary>
    public double Momentum { get; init; } = 0.9;
}

/// <summary>The hyperparameters of <see cref="Optimizers.OptaxSgd"/>, with Optax's names and defaults.</summary>
public sealed record OptaxSgdOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>) (default here 1e-3).</summary>
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>momentum</c>: μ, or 0 for none (default 0, Optax's None).</summary>
    public double Momentum { get; init; }

    /// <summary><c>nesterov</c> (default false).</summary>
    public bool Nesterov { get; init; }
}

/// <summary>The hyperparameters of <see cref="Optimizers.OptaxRmsProp"/>, with Optax's names and defaults.</summary>
public sealed record OptaxRmsPropOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>) (default here 1e-3).</summary>
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>decay</c> (default 0.9; torch's alpha is 0.99).</summary>
    public double Decay { get; init; } = 0.9;

    /// <summary><c>eps</c> (default 1e-8).</summary>
    public double Eps { get; init; } = 1e-8;

    /// <summary><c>initial_scale</c>: the initial ν (default 0).</summary>
    public double InitialScale { get; init; }

    /// <summary><c>eps_in_sqrt</c> (default true; torch puts ε outside).</summary>
    public bool EpsInSqrt { get; init; } = true;

    /// <summary><c>centered</c> (default false).</summary>
    public bool Centered { get; init; }

    /// <summary><c>momentum</c>, applied after the learning rate; 0 for none (default 0, Optax's None).</summary>
    public double Momentum { get; init; }

    /// <summary><c>nesterov</c> (default false).</summary>
    public bool Nesterov { get; init; }

    /// <summary><c>bias_correction</c> (default false).</summary>
    public bool BiasCorrection { get; init; }
}

/// <summary>The hyperparameters of <see cref="Optimizers.OptaxAdagrad"/>, with Optax's names and defaults.</summary>
public sealed record OptaxAdagradOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>) (default here 1e-2).</summary>
    public Schedule LearningRate { get; init; } = 1e-2;

    /// <summary><c>initial_accumulator_value</c> (default 0.1; torch uses 0).</summary>
    public double InitialAccumulatorValue { get; init; } = 0.1;

    /// <summary><c>eps</c>, inside the square root (default 1e-7; torch: 1e-10 outside).</summary>
    public double Eps { get; init; } = 1e-7;
}

/// <summary>The hyperparameters of <see cref="Optimizers.OptaxAdadelta"/>, with Optax's names and defaults.</summary>
public sealed record OptaxAdadeltaOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>) (default 1.0, the paper's; Optax's None — see the remarks of <see cref="Optimizers.OptaxAdadelta"/>).</summary>
    public Schedule LearningRate { get; init; } = 1.0;

    /// <summary><c>rho</c> (default 0.9).</summary>
    public double Rho { get; init; } = 0.9;

    /// <summary><c>eps</c> (default 1e-6).</summary>
    public double Eps { get; init; } = 1e-6;

    /// <summary><c>weight_decay</c>: coupled L2, added to the gradient (default 0).</summary>
    public Schedule WeightDecay { get; init; } = 0.0;

    /// <summary><c>weight_decay_mask</c>: which parameters to decay; null decays all.</summary>
    public Func<Parameter, bool>? WeightDecayMask { get; init; }
}

/// <summary>The hyperparameters of <see cref="Optimizers.OptaxRprop"/>, with Optax's names and defaults.</summary>
public sealed record OptaxRpropOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>): the initial per-element step size, a constant (default here 1e-2).</summary>
    public double LearningRate { get; init; } = 1e-2;

    /// <summary><c>eta_minus</c> (default 0.5).</summary>
    public double EtaMinus { get; init; } = 0.5;

    /// <summary><c>eta_plus</c> (default 1.2).</summary>
    public double EtaPlus { get; init; } = 1.2;

    /// <summary><c>min_step_size</c> (default 1e-6).</summary>
    public double MinStepSize { get; init; } = 1e-6;

    /// <summary><c>max_step_size</c> (default 50).</summary>
    public double MaxStepSize { get; init; } = 50;
}

public static partial class Optimizers
{
    /// <summary>Optimistic gradient descent (Mokhtari et al., 2019, https://arxiv.org/abs/1901.08511), Optax's <c>optimistic_gradient_descent</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>scale_by_optimistic_gradient(α, β)</c> → <c>scale_by_learning_rate</c>:
    /// <c>θ ← θ − η_t·((α+β)·g_t − β·g_{t−1})</c>, first step <c>−η·α·g_1</c>. α = β = 1 is OGDA (2g_t − g_{t−1}).</remarks>
    public static GradientTransformation OptimisticGradientDescent(OptimisticGradientDescentOptions? options = null)
    {
        options ??= new OptimisticGradientDescentOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(
            Transforms.ScaleByOptimisticGradient(options.Alpha, options.Beta),
            Transforms.ScaleByLearningRate(options.LearningRate));
    }

    /// <summary>Optimistic Adam (Daskalakis et al., 2018, https://arxiv.org/abs/1711.00141) with the semantics of Optax's <c>optimistic_adam_v2</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>scale_by_adam(b1, b2, eps, eps_root, nesterov)</c> → <c>scale_by_optimistic_gradient(α, β)</c>
    /// → <c>scale_by_learning_rate(η)</c>: with r_t the Adam direction, <c>u = −η_t·((α+β)·r_t − β·r_{t−1})</c>. η may
    /// be a schedule. Optax's deprecated v1 <c>optimistic_adam(lr, o)</c> equals this with η = 1, α = lr, β = o.</remarks>
    public static GradientTransformation OptimisticAdam(OptimisticAdamOptions? options = null)
    {
        options ??= new OptimisticAdamOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(
            Transforms.ScaleByAdam(options.B1, options.B2, options.Eps, options.EpsRoot, nesterov: options.Nesterov),
            Transforms.ScaleByOptimisticGradient(options.Alpha, options.Beta),
            Transforms.ScaleByLearningRate(options.LearningRate));
    }

    /// <summary>Lion (Chen et al., 2023, https://arxiv.org/abs/2302.06675), Optax's <c>lion</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>scale_by_lion(b1, b2)</c> → <c>add_decayed_weights(λ, mask)</c> → <c>scale_by_learning_rate</c>:
    /// <c>u = −η·(sign((1−β1)·g + β1·m) + λθ)</c>, then <c>m ← β2·m + (1−β2)·g</c>.</remarks>
    public static GradientTransformation Lion(LionOptions? options = null)
    {
        options ??= new LionOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(
            Transforms.ScaleByLion(options.B1, options.B2),
            DecoupledDecay(options.WeightDecay, options.Mask),
            Transforms.ScaleByLearningRate(options.LearningRate));
    }

    /// <summary>Fromage (Bernstein et al., 2020, https://arxiv.org/abs/2002.03432), Optax's <c>fromage</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>With <c>k = 1/√(1+η²)</c>: chain <c>scale_by_trust_ratio(min_norm)</c> → <c>scale_by_learning_rate(η·k)</c>
    /// → <c>add_decayed_weights(k − 1)</c>, i.e. <c>θ ← (θ − η·(‖θ‖/‖g‖)·g)/√(1+η²)</c> per parameter. η may be a schedule.</remarks>
    public static GradientTransformation Fromage(FromageOptions? options = null)
    {
        options ??= new FromageOptions();
        ValidateLearningRate(options.LearningRate);
        var lr = options.LearningRate;
        Schedule scaled, shrink;
        if (lr.IsConstant)
        {
            double eta = lr.Evaluate(0), k = 1 / Math.Sqrt(1 + eta * eta);
            scaled = eta * k;
            shrink = k - 1;
        }
        else
        {
            scaled = Schedule.FromFunction(c => { double eta = lr.Evaluate(c); return eta / Math.Sqrt(1 + eta * eta); });
            shrink = Schedule.FromFunction(c => { double eta = lr.Evaluate(c); return 1 / Math.Sqrt(1 + eta * eta) - 1; });
        }
        return ChainOf(
            Transforms.ScaleByTrustRatio(options.MinNorm),
            Transforms.ScaleByLearningRate(scaled),
            new AddDecayedWeightsTransformation(shrink));
    }

    /// <summary>LARS (You et al., 2017, https://arxiv.org/abs/1708.03888), Optax's <c>lars</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>add_decayed_weights(λ, weight_decay_mask)</c> (coupled) → <c>masked(scale_by_trust_ratio(c, ε), trust_ratio_mask)</c>
    /// → <c>scale_by_learning_rate</c> → <c>trace(momentum, nesterov)</c>: <c>s = −η·c·‖θ‖/(‖g+λθ‖ + ε)·(g+λθ)</c>
    /// and the momentum accumulates these lr-scaled steps.</remarks>
    public static GradientTransformation Lars(LarsOptions? options = null)
    {
        options ??= new LarsOptions();
        ValidateLearningRate(options.LearningRate);
        OptaxGuard.NonNegative(options.Momentum, "momentum");
        var trust = Transforms.ScaleByTrustRatio(0, options.TrustCoefficient, options.Eps);
        return ChainOf(
            DecoupledDecay(options.WeightDecay, options.WeightDecayMask),
            options.TrustRatioMask is null ? trust : Transforms.Masked(trust, options.TrustRatioMask),
            Transforms.ScaleByLearningRate(options.LearningRate),
            options.Momentum != 0 ? Transforms.Trace(options.Momentum, options.Nesterov) : null);
    }

    /// <summary>Noisy SGD (Neelakantan et al., 2015, https://arxiv.org/abs/1511.06807), Optax's <c>noisy_sgd</c>, with a seeded deterministic generator.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>add_noise(eta, gamma, seed)</c> → <c>scale_by_learning_rate</c>: <c>u = −η·(g + σ_t·z)</c>,
    /// <c>σ_t² = eta/tᵞ</c>; z from a counter-based generator (see <see cref="Transforms.AddNoise"/>), so runs are
    /// reproducible for any thread count (Optax's JAX numbers cannot be reproduced).</remarks>
    public static GradientTransformation NoisySgd(NoisySgdOptions? options = null)
    {
        options ??= new NoisySgdOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(Transforms.AddNoise(options.Eta, options.Gamma, options.Seed), Transforms.ScaleByLearningRate(options.LearningRate));
    }

    /// <summary>SGD with the Polyak step size (Loizou et al., 2021, https://arxiv.org/abs/2002.10542), Optax's <c>polyak_sgd</c>; needs the loss.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>
    /// <c>u = −s·min((f − f*)/(‖g‖² + ε), γ_max)·g</c> (the documented form: chain <c>scale_by_polyak</c> → <c>scale(−s)</c>).
    /// Optax's code chains <c>sgd(s)</c> before <c>scale_by_polyak</c>, which takes the norm of s·g and gives
    /// <c>−s·min(gap/(s²‖g‖² + ε), γ_max)·g</c>; the two agree for the default s = 1. Pass the loss to
    /// <c>Optimizer.Step(gradients, loss)</c>; a step without it throws before anything changes.
    /// </remarks>
    public static GradientTransformation PolyakSgd(PolyakSgdOptions? options = null)
    {
        options ??= new PolyakSgdOptions();
        OptaxGuard.Finite(options.Scaling, "scaling");
        return ChainOf(
            Transforms.ScaleByPolyak(options.FMin, options.MaxLearningRate, options.Eps, options.Variant),
            Transforms.Scale(-options.Scaling));
    }

    /// <summary>signSGD (Bernstein et al., 2018, https://arxiv.org/abs/1802.04434), Optax's <c>sign_sgd</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>scale_by_sign</c> → <c>scale_by_learning_rate</c>: <c>u = −η·sign(g)</c>.</remarks>
    public static GradientTransformation SignSgd(SignSgdOptions? options = null)
    {
        options ??= new SignSgdOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(Transforms.ScaleBySign(), Transforms.ScaleByLearningRate(options.LearningRate));
    }

    /// <summary>Signum, sign of momentum (Bernstein et al., 2018, https://arxiv.org/abs/1802.04434), Optax's <c>signum</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>ema(β, debias=false)</c> → <c>scale_by_sign</c> → <c>scale_by_learning_rate</c>:
    /// <c>m ← β·m + (1−β)·g</c>, <c>u = −η·sign(m)</c>.</remarks>
    public static GradientTransformation Signum(SignumOptions? options = null)
    {
        options ??= new SignumOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(Transforms.Ema(options.Beta, debias: false), Transforms.ScaleBySign(), Transforms.ScaleByLearningRate(options.LearningRate));
    }

    /// <summary>SM3 (Anil et al., 2019, https://arxiv.org/abs/1901.11150), Optax's <c>sm3</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>scale_by_sm3(b1 = momentum)</c> → <c>scale_by_learning_rate</c>; see <see cref="Transforms.ScaleBySm3"/>.
    /// Optax takes a constant lr here; a schedule also works.</remarks>
    public static GradientTransformation Sm3(Sm3Options? options = null)
    {
        options ??= new Sm3Options();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(Transforms.ScaleBySm3(options.Momentum), Transforms.ScaleByLearningRate(options.LearningRate));
    }

    /// <summary>SGD with Optax's semantics, spec name <c>optax.sgd</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: [<c>trace(μ, nesterov)</c>] → <c>scale_by_learning_rate</c>: <c>b ← g + μ·b</c>,
    /// <c>u = −η·b</c> (Nesterov: <c>−η·(g + μ·b)</c>); no dampening or weight decay.</remarks>
    public static GradientTransformation OptaxSgd(OptaxSgdOptions? options = null)
    {
        options ??= new OptaxSgdOptions();
        ValidateLearningRate(options.LearningRate);
        OptaxGuard.NonNegative(options.Momentum, "momentum");
        if (options.Nesterov && options.Momentum == 0) ThrowHelper.ThrowArgument("nesterov", "Nesterov momentum requires a momentum.");
        return ChainOf(
            options.Momentum != 0 ? Transforms.Trace(options.Momentum, options.Nesterov) : null,
            Transforms.ScaleByLearningRate(options.LearningRate));
    }

    /// <summary>RMSProp (Hinton, 2012; centered: Graves, 2013) with Optax's semantics, spec name <c>optax.rmsprop</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>scale_by_rms</c> (or <c>scale_by_stddev</c> if centered) → <c>scale_by_learning_rate</c> →
    /// [<c>trace(momentum, nesterov)</c>]: ε inside the root by default, and the momentum accumulates lr-scaled steps
    /// (torch: decay 0.99, ε outside, momentum of the unscaled ratio).</remarks>
    public static GradientTransformation OptaxRmsProp(OptaxRmsPropOptions? options = null)
    {
        options ??= new OptaxRmsPropOptions();
        ValidateLearningRate(options.LearningRate);
        OptaxGuard.NonNegative(options.Momentum, "momentum");
        return ChainOf(
            Transforms.ScaleByRms(options.Decay, options.Eps, options.InitialScale, options.EpsInSqrt, options.BiasCorrection, options.Centered),
            Transforms.ScaleByLearningRate(options.LearningRate),
            options.Momentum != 0 ? Transforms.Trace(options.Momentum, options.Nesterov) : null);
    }

    /// <summary>Adagrad (Duchi et al., 2011) with Optax's semantics, spec name <c>optax.adagrad</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>scale_by_rss(initial_accumulator_value, eps)</c> → <c>scale_by_learning_rate</c>:
    /// <c>G ← G + g²</c> (G₀ = 0.1), <c>u = −η·g/√(G + ε)</c>.</remarks>
    public static GradientTransformation OptaxAdagrad(OptaxAdagradOptions? options = null)
    {
        options ??= new OptaxAdagradOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(Transforms.ScaleByRss(options.InitialAccumulatorValue, options.Eps), Transforms.ScaleByLearningRate(options.LearningRate));
    }

    /// <summary>Adadelta (Zeiler, 2012, https://arxiv.org/abs/1212.5701) with Optax's semantics, spec name <c>optax.adadelta</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>add_decayed_weights(λ, mask)</c> (coupled) → <c>scale_by_adadelta(ρ, ε)</c> →
    /// <c>scale_by_learning_rate(η)</c>: <c>u = −η·Δ</c>. The default η is 1.0 <b>with</b> the sign flip (the paper);
    /// Optax's default <c>learning_rate=None</c> makes its last stage an identity without the sign flip, so its
    /// default ascends — a defect this port does not reproduce.</remarks>
    public static GradientTransformation OptaxAdadelta(OptaxAdadeltaOptions? options = null)
    {
        options ??= new OptaxAdadeltaOptions();
        ValidateLearningRate(options.LearningRate);
        return ChainOf(
            DecoupledDecay(options.WeightDecay, options.WeightDecayMask),
            Transforms.ScaleByAdadelta(options.Rho, options.Eps),
            Transforms.ScaleByLearningRate(options.LearningRate));
    }

    /// <summary>Rprop (Riedmiller and Braun, 1993) with Optax's semantics, spec name <c>optax.rprop</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>Chain: <c>scale_by_rprop(lr, eta_minus, eta_plus, min_step_size, max_step_size)</c> → <c>scale(−1)</c>;
    /// after a sign flip the element does not move and its stored previous update is 0 (so the next step counts as
    /// "no sign information"), as Optax. Optax's code (and its doctest) applies the <b>previous</b> step's update, so
    /// the first step does not move; this reproduces it. For the paper's/PyTorch's Rprop use the torch name <c>rprop</c>.</remarks>
    public static GradientTransformation OptaxRprop(OptaxRpropOptions? options = null)
    {
        options ??= new OptaxRpropOptions();
        return ChainOf(
            Transforms.ScaleByRprop(options.LearningRate, options.EtaMinus, options.EtaPlus, options.MinStepSize, options.MaxStepSize),
            Transforms.Scale(-1));
    }
}
