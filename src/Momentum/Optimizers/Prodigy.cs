using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.Prodigy"/>, with Optax's names and defaults.</summary>
public sealed record ProdigyOptions
{
    /// <summary><c>learning_rate</c>: a multiplier (schedule) of the adapted step (default 1.0).</summary>
    [Spec("learning_rate", "lr")]
    public Schedule LearningRate { get; init; } = 1.0;

    /// <summary><c>betas[0]</c> (default 0.9).</summary>
    [Spec("betas", Item = 0)]
    public double Beta1 { get; init; } = 0.9;

    /// <summary><c>betas[1]</c> (default 0.999).</summary>
    [Spec("betas", Item = 1)]
    public double Beta2 { get; init; } = 0.999;

    /// <summary><c>beta3</c>: the decay of the D estimate's sums (default null: √β2).</summary>
    [Spec("beta3")]
    public double? Beta3 { get; init; }

    /// <summary><c>eps</c> (default 1e-8), multiplied by d in the denominator.</summary>
    [Spec("eps")]
    public double Epsilon { get; init; } = 1e-8;

    /// <summary><c>estim_lr0</c>: d₀ (default 1e-6).</summary>
    [Spec("estim_lr0")]
    public double EstimLr0 { get; init; } = 1e-6;

    /// <summary><c>estim_lr_coef</c>: the estimates are multiplied by it (default 1).</summary>
    [Spec("estim_lr_coef")]
    public double EstimLrCoef { get; init; } = 1.0;

    /// <summary><c>weight_decay</c> (default 0).</summary>
    [Spec("weight_decay")]
    public double WeightDecay { get; init; }
}

public static partial class Optimizers
{
    /// <summary>Prodigy (Mishchenko and Defazio, 2023, https://arxiv.org/abs/2306.06101), Optax's <c>contrib.prodigy</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <param name="preprocess">Transformations applied to the gradients first; null for none.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is out of range.</exception>
    /// <remarks>
    /// With c the optimizer-wide count, <c>bc = √(1−β2^(c+1))/(1−β1^(c+1))</c>, <c>dlr = d·lr(c)·bc</c>:
    /// <c>num = Σ g·(θ₀ − θ)</c>, <c>m ← β1 m + (1−β1)·d·g</c>, <c>v ← β2 v + (1−β2)·(d·g)²</c>,
    /// <c>s ← β3 s + dlr·d·g/d₀</c>, <c>n ← β3 n + (d/d₀)·dlr·num</c>, <c>d ← max(d, coef·n/Σ|s|)</c> (kept when
    /// Σ|s| = 0), <c>u = −λ·dlr·θ − dlr·m/(√v + d·ε)</c> (all with the d of the start of the step). θ₀ (slot
    /// <c>params0</c>) is the parameter at its first step. Optax's <c>safeguard_warmup</c> and weight-decay mask are
    /// not offered. A whole-step optimizer: it must be outermost.
    /// </remarks>
    public static GradientTransformation Prodigy(ProdigyOptions? options = null, GradientTransformation? preprocess = null)
    {
        options ??= new ProdigyOptions();
        ValidateLearningRate(options.LearningRate);
        Transforms.ValidateBetas(options.Beta1, options.Beta2);
        double beta3 = options.Beta3 ?? Math.Sqrt(options.Beta2);
        if (!double.IsFinite(beta3) || beta3 < 0 || beta3 >= 1) ThrowHelper.ThrowInvalid("beta3", "beta3", beta3);
        Transforms.ValidateEpsilon(options.Epsilon, "eps");
        PositiveFinite(options.EstimLr0, "estim_lr0");
        PositiveFinite(options.EstimLrCoef, "estim_lr_coef");
        ValidateWeightDecay(options.WeightDecay);
        return new ProdigyTransformation(preprocess ?? Transforms.Identity(), options, beta3);
    }
}

/// <summary>See <see cref="Optimizers.Prodigy"/>.</summary>
internal sealed class ProdigyTransformation(GradientTransformation preprocess, ProdigyOptions o, double beta3) : LearningRateFreeTransformation(preprocess)
{
    public override string Name => "prodigy";

    public override TransformState? CreateState(Parameter parameter) => new LearningRateFreeParameterState(parameter, moments: true, "params0");

    internal override WrapperState? CreateWrapperState() => new LearningRateFreeState(o.EstimLr0, "estim_lr", "numerator_weighted");

    internal override bool AfterInner(in Optimizer.WrapperStep step)
    {
        var g = (LearningRateFreeState)step.Global!;
        long t = g.Count + 1;
        double d = g.Estimate;
        double bc = Math.Sqrt(1 - Math.Pow(o.Beta2, t)) / (1 - Math.Pow(o.Beta1, t));
        double dlr = d * Evaluate(o.LearningRate, g.Count) * bc;
        ForEachActive(step, 0);
        double numerator = step.RunSegments(0);
        ForEachActive(step, (float)d, (float)o.Beta1, (float)(1 - o.Beta1), (float)o.Beta2, (float)(1 - o.Beta2),
            (float)beta3, (float)(dlr / o.EstimLr0));
        double l1 = step.RunSegments(1);
        ForEachActive(step, (float)(o.WeightDecay * dlr), (float)dlr, (float)(d * o.Epsilon));
        step.RunSegments(2);
        g.Sum = beta3 * g.Sum + d / o.EstimLr0 * dlr * numerator;
        if (l1 > 0) g.Estimate = Math.Max(d, o.EstimLrCoef * g.Sum / l1);
        g.Count++;
        return true;
    }

    internal override double RunSegment(int phase, TransformState? state, in WrapperSegment segment)
    {
        var s = (LearningRateFreeParameterState)state!;
        var m = s.ExpAvg!.Span.Slice(segment.Offset, segment.Length);
        var v = s.ExpAvgSq!.Span.Slice(segment.Offset, segment.Length);
        var sk = s.GradSum!.Span.Slice(segment.Offset, segment.Length);
        var p0 = s.Params0!.Span.Slice(segment.Offset, segment.Length);
        var u = segment.Updates;
        var theta = segment.Values;
        double sum = 0;
        switch (phase)
        {
            case 0:
                for (int i = 0; i < u.Length; i++) sum += (double)u[i] * ((double)p0[i] - theta[i]);
                break;
            case 1:
                for (int i = 0; i < u.Length; i++)
                {
                    float dg = s.K0 * u[i];
                    m[i] = s.K1 * m[i] + s.K2 * dg;
                    v[i] = s.K3 * v[i] + s.K4 * (dg * dg);
                    sk[i] = s.K5 * sk[i] + s.K6 * dg;
                    sum += Math.Abs(sk[i]);
                }
                break;
            default:
                for (int i = 0; i < u.Length; i++) u[i] = -s.K0 * theta[i] - s.K1 * m[i] / (MathF.Sqrt(v[i]) + s.K2);
                break;
        }
        return sum;
    }
}
