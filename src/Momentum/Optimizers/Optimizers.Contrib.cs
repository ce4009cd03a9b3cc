namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.Adopt"/>, with Optax's names and defaults.</summary>
public sealed record AdoptOptions
{
    /// <summary><c>learning_rate</c> (Optax requires it; 1e-3 here).</summary>
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>b1</c> (default 0.9).</summary>
    public double B1 { get; init; } = 0.9;

    /// <summary><c>b2</c> (default 0.9999).</summary>
    public double B2 { get; init; } = 0.9999;

    /// <summary><c>eps</c> (default 1e-6).</summary>
    public double Epsilon { get; init; } = 1e-6;

    /// <summary><c>nesterov</c> (default false).</summary>
    public bool Nesterov { get; init; }

    /// <summary><c>use_clipping</c>: clip the normalized gradient to ±count^¼ (default true).</summary>
    public bool UseClipping { get; init; } = true;
}

/// <summary>The hyperparameters of <see cref="Optimizers.Ademamix"/>, with Optax's names and the alias's defaults.</summary>
public sealed record AdemamixOptions
{
    /// <summary><c>learning_rate</c> (Optax requires it; 1e-3 here).</summary>
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>b1</c> (default 0.9).</summary>
    public double B1 { get; init; } = 0.9;

    /// <summary><c>b2</c> (default 0.999).</summary>
    public double B2 { get; init; } = 0.999;

    /// <summary><c>b3</c>, the slow EMA's decay or its schedule (default 0.9999).</summary>
    public Schedule B3 { get; init; } = 0.9999;

    /// <summary><c>alpha</c>, the slow EMA's weight or its schedule (default 5.0, the alias's; <c>scale_by_ademamix</c> defaults to 6.0).</summary>
    public Schedule Alpha { get; init; } = 5.0;

    /// <summary><c>eps</c> (default 1e-8).</summary>
    public double Epsilon { get; init; } = 1e-8;

    /// <summary><c>eps_root</c> (default 0).</summary>
    public double EpsilonRoot { get; init; }

    /// <summary><c>weight_decay</c>, decoupled and multiplied by the learning rate (default 0).</summary>
    public Schedule WeightDecay { get; init; } = 0.0;
}

/// <summary>The hyperparameters of <see cref="Optimizers.SimplifiedAdemamix"/>, with Optax's names and defaults.</summary>
public sealed record SimplifiedAdemamixOptions
{
    /// <summary><c>learning_rate</c> (Optax requires it; 1e-3 here).</summary>
    public Schedule LearningRate { get; init; } = 1e-3;

    /// <summary><c>b1</c> (default 0.99).</summary>
    public double B1 { get; init; } = 0.99;

    /// <summary><c>b2</c> (default 0.95).</summary>
    public double B2 { get; init; } = 0.95;

    /// <summary><c>alpha</c> (default 0).</summary>
    public double Alpha { get; init; }

    /// <summary><c>eps</c> (default 1e-8).</summary>
    public double Epsilon { get; init; } = 1e-8;

    /// <summary><c>eps_root</c> (default 0).</summary>
    public double EpsilonRoot { get; init; }

    /// <summary><c>weight_decay</c> (default 0).</summary>
    public Schedule WeightDecay { get; init; } = 0.0;
}

public static partial class Optimizers
{
    /// <summary>ADOPT (Taniguchi et al., 2024, https://arxiv.org/abs/2411.02853), Optax's <c>contrib.adopt</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is out of range.</exception>
    /// <remarks>Chain: <c>scale_by_adopt → scale_by_learning_rate</c>; see <see cref="Transforms.ScaleByAdopt"/> for the math. The first update is 0.</remarks>
    public static GradientTransformation Adopt(AdoptOptions? options = null)
    {
        options ??= new AdoptOptions();
        ValidateLearningRate(options.LearningRate);
        return Transforms.Chain(
            Transforms.ScaleByAdopt(options.B1, options.B2, options.Epsilon, options.Nesterov, options.UseClipping),
            Transforms.ScaleByLearningRate(options.LearningRate));
    }

    /// <summary>AdEMAMix (Pagliardini et al., 2024, https://arxiv.org/abs/2409.03137), Optax's <c>contrib.ademamix</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is out of range.</exception>
    /// <remarks>
    /// <c>u = −η·((m̂1 + α m2)/(√(ν̂ + ε_root) + ε) + λθ)</c>. Chain: <c>scale_by_ademamix → add_decayed_weights →
    /// scale_by_learning_rate</c>; see <see cref="Transforms.ScaleByAdemamix"/>.
    /// </remarks>
    public static GradientTransformation Ademamix(AdemamixOptions? options = null)
    {
        options ??= new AdemamixOptions();
        ValidateLearningRate(options.LearningRate);
        return Transforms.Chain(
            Transforms.ScaleByAdemamix(options.B1, options.B2, options.B3, options.Alpha, options.Epsilon, options.EpsilonRoot),
            Transforms.AddDecayedWeights(options.WeightDecay),
            Transforms.ScaleByLearningRate(options.LearningRate));
    }

    /// <summary>Simplified AdEMAMix (Morwani et al., 2025, https://arxiv.org/abs/2502.02431), Optax's <c>contrib.simplified_ademamix</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is out of range.</exception>
    /// <remarks>
    /// <c>u = −η·((m + α g)/(√(n̂ + ε_root) + ε) + λθ)</c> with <c>m ← β1 m + g</c>. Chain:
    /// <c>scale_by_simplified_ademamix → add_decayed_weights → scale_by_learning_rate</c>.
    /// </remarks>
    public static GradientTransformation SimplifiedAdemamix(SimplifiedAdemamixOptions? options = null)
    {
        options ??= new SimplifiedAdemamixOptions();
        ValidateLearningRate(options.LearningRate);
        return Transforms.Chain(
            Transforms.ScaleBySimplifiedAdemamix(options.B1, options.B2, options.Alpha, options.Epsilon, options.EpsilonRoot),
            Transforms.AddDecayedWeights(options.WeightDecay),
            Transforms.ScaleByLearningRate(options.LearningRate));
    }
}

public static partial class Optimizers
{
    /// <summary>COCOB (Orabona and Tommasi, 2017, https://arxiv.org/abs/1705.07795), Optax's <c>contrib.cocob</c>.</summary>
    /// <param name="learningRate">Multiplies the gradient before the betting (no sign flip; default 1).</param>
    /// <param name="alpha">α (default 100).</param>
    /// <param name="eps">ε, the initial scale (default 1e-8).</param>
    /// <param name="weightDecay">L2 term added to the gradient first (default 0).</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is out of range.</exception>
    /// <remarks>Chain: <c>add_decayed_weights(λ) → scale_by_learning_rate(lr, flip_sign=false) → scale_by_cocob(α, ε)</c>; see <see cref="Transforms.ScaleByCocob"/>.</remarks>
    public static GradientTransformation Cocob(Schedule? learningRate = null, double alpha = 100, double eps = 1e-8, double weightDecay = 0)
    {
        learningRate ??= 1.0;
        ValidateLearningRate(learningRate);
        ValidateWeightDecay(weightDecay);
        return ChainOf(
            weightDecay != 0 ? Transforms.AddDecayedWeights(weightDecay) : null,
            Transforms.ScaleByLearningRate(learningRate, flipSign: false),
            Transforms.ScaleByCocob(alpha, eps));
    }
}
