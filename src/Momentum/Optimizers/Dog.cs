using Momentum.Specs;

namespace Momentum;

/// <summary>How <see cref="Optimizers.Dog"/> chooses its first step (Optax's <c>init_step</c> tag).</summary>
public enum DogInitStep
{
    /// <summary><c>r_ε = value·(1 + ‖x₀‖)</c> (Optax's default, with value 1e-6).</summary>
    Heuristic,

    /// <summary><c>r_ε = value</c>.</summary>
    Distance,

    /// <summary>The first step's learning rate is <c>value</c>; r_ε = 0.</summary>
    LearningRate,
}

/// <summary>The hyperparameters of <see cref="Optimizers.Dog"/>, with Optax's names and defaults.</summary>
public sealed record DogOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>): a multiplier (schedule) of the DoG step (default 1).</summary>
    [Spec("learning_rate", "lr")]
    public Schedule LearningRate { get; init; } = 1.0;

    /// <summary><c>init_step[0]</c>: how the first step is chosen (default <see cref="DogInitStep.Heuristic"/>).</summary>
    [Spec("init_step", Item = 0, Custom = true)]
    public DogInitStep InitStep { get; init; }

    /// <summary><c>init_step[1]</c>: its value (default 1e-6); &gt; 0.</summary>
    [Spec("init_step", Item = 1, Custom = true)]
    public double InitStepValue { get; init; } = 1e-6;

    /// <summary><c>eps</c>: ε added to the sum of squared gradient norms (default 1e-8).</summary>
    [Spec("eps")]
    public double Epsilon { get; init; } = 1e-8;

    /// <summary><c>weight_decay</c>: an L2 term added to the gradient first (<c>add_decayed_weights</c>); default null: none.</summary>
    [Spec("weight_decay")]
    public double? WeightDecay { get; init; }
}

public static partial class Optimizers
{
    /// <summary>Distance over Gradients (Ivgi et al., 2023, https://arxiv.org/abs/2302.12022), Optax's <c>contrib.dog</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is out of range.</exception>
    /// <remarks>
    /// <c>r = ‖θ − θ₀‖</c> and <c>G ← G + ‖g‖²</c> over every parameter (θ₀, slot <c>init_params</c>, is a parameter's
    /// value at its first step); <c>r̄ ← max(r̄, r)</c> with <c>r̄₀ = r_ε</c>; <c>η = r̄/√(G + ε)</c> (the first step
    /// uses <see cref="DogOptions.InitStepValue"/> under <see cref="DogInitStep.LearningRate"/>); <c>u = −lr·η·g</c>. A
    /// whole-step optimizer: it must be outermost.
    /// </remarks>
    public static GradientTransformation Dog(DogOptions? options = null)
    {
        options ??= new DogOptions();
        ValidateLearningRate(options.LearningRate);
        if (!Enum.IsDefined(options.InitStep)) ThrowHelper.ThrowArgumentOutOfRange("initStep", (int)options.InitStep, "is not a defined init_step");
        PositiveFinite(options.InitStepValue, "init_step");
        Transforms.ValidateEpsilon(options.Epsilon, "eps");
        if (options.WeightDecay is { } wd) ValidateWeightDecay(wd);
        return new DogTransformation(options.WeightDecay is { } λ ? Transforms.AddDecayedWeights(λ) : Transforms.Identity(), options.LearningRate,
            options.InitStep, options.InitStepValue, options.Epsilon, weighted: false);
    }
}

/// <summary>DoG and DoWG; see <see cref="Optimizers.Dog"/> and <see cref="Optimizers.Dowg"/>.</summary>
internal sealed class DogTransformation(GradientTransformation preprocess, Schedule learningRate, DogInitStep initStep, double initValue, double eps, bool weighted)
    : LearningRateFreeTransformation(preprocess)
{
    public override string Name => weighted ? "dowg" : "dog";

    public override TransformState? CreateState(Parameter parameter) => new LearningRateFreeParameterState(parameter, moments: false, "init_params");

    internal override WrapperState? CreateWrapperState() => weighted
        ? new LearningRateFreeState(initValue, "estim_sq_dist", "weighted_sq_norm_grads")
        : new LearningRateFreeState(initStep == DogInitStep.Distance ? initValue : 0, "max_dist", "sum_sq_norm_grads");

    internal override bool AfterInner(in Optimizer.WrapperStep step)
    {
        var g = (LearningRateFreeState)step.Global!;
        ForEachActive(step, 0);
        if (!weighted && g.Count == 0 && initStep == DogInitStep.Heuristic) g.Estimate = initValue * (1 + Math.Sqrt(step.RunSegments(3)));
        double sqDist = step.RunSegments(0);
        double sqNorm = step.RunSegments(1);
        double eta;
        if (weighted)
        {
            g.Estimate = Math.Max(g.Estimate, sqDist);
            g.Sum += g.Estimate * sqNorm;
            eta = g.Estimate / (Math.Sqrt(g.Sum) + eps);
        }
        else
        {
            g.Estimate = Math.Max(g.Estimate, Math.Sqrt(sqDist));
            g.Sum += sqNorm;
            eta = g.Count == 0 && initStep == DogInitStep.LearningRate ? initValue : g.Estimate / Math.Sqrt(g.Sum + eps);
        }
        ForEachActive(step, (float)(-Evaluate(learningRate, step.StepCount) * eta));
        step.RunSegments(2);
        g.Count++;
        return true;
    }

    internal override double RunSegment(int phase, TransformState? state, in WrapperSegment segment)
    {
        var s = (LearningRateFreeParameterState)state!;
        switch (phase)
        {
            case 0:
                return SquaredDistance(s.Params0!.Span.Slice(segment.Offset, segment.Length), segment.Values);
            case 1:
                return Kernels.VectorMath.SumOfSquares(segment.Updates);
            case 2:
                Kernels.VectorMath.Scale(segment.Updates, s.K0);
                return 0;
            default:
                return Kernels.VectorMath.SumOfSquares(segment.Values);
        }
    }
}
