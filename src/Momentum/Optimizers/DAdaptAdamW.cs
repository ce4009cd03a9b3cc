using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.DAdaptAdamW"/>, with Optax's names and defaults.</summary>
public sealed record DAdaptAdamWOptions
{
    /// <summary><c>learning_rate</c>: a multiplier (schedule) of the adapted step, 1.0 as its base (default 1.0).</summary>
    [Spec("learning_rate", "lr")]
    public Schedule LearningRate { get; init; } = 1.0;

    /// <summary><c>betas[0]</c> (default 0.9).</summary>
    [Spec("betas", Item = 0)]
    public double Beta1 { get; init; } = 0.9;

    /// <summary><c>betas[1]</c> (default 0.999).</summary>
    [Spec("betas", Item = 1)]
    public double Beta2 { get; init; } = 0.999;

    /// <summary><c>eps</c> (default 1e-8).</summary>
    [Spec("eps")]
    public double Epsilon { get; init; } = 1e-8;

    /// <summary><c>estim_lr0</c>: the initial (under-)estimate d₀ (default 1e-6).</summary>
    [Spec("estim_lr0")]
    public double EstimLr0 { get; init; } = 1e-6;

    /// <summary><c>weight_decay</c>: decoupled decay, scaled by the adapted step (default 0).</summary>
    [Spec("weight_decay")]
    public double WeightDecay { get; init; }
}

public static partial class Optimizers
{
    /// <summary>D-Adaptation AdamW (Defazio and Mishchenko, 2023, https://arxiv.org/abs/2301.07733), Optax's <c>contrib.dadapt_adamw</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is out of range.</exception>
    /// <remarks>
    /// With c the optimizer-wide count, <c>sb2 = √β2</c>, <c>bc = √(1−β2^(c+1))/(1−β1^(c+1))</c>,
    /// <c>dlr = d·lr(c)·bc</c>: <c>num = Σ g·s/(√v + ε)</c> (old s, v; over every parameter),
    /// <c>m ← β1 m + (1−β1)·dlr·g</c>, <c>v ← β2 v + (1−β2) g²</c>, <c>s ← sb2·s + (1−sb2)·dlr·g</c>,
    /// <c>n ← sb2·n + (1−sb2)·dlr·num</c>, <c>d ← max(d, n/((1−sb2)·Σ|s|))</c> (kept when Σ|s| = 0, where Optax
    /// would produce NaN), <c>u = −m/(√v + ε) − λ·dlr·θ</c>. Both sums are taken over fixed chunks in double and
    /// combined in a fixed order. A whole-step optimizer (see <see cref="StepWrapper"/>): it must be outermost;
    /// optional preprocessing goes in <paramref name="preprocess"/>. State: <c>exp_avg</c>, <c>exp_avg_sq</c>,
    /// <c>grad_sum</c> per parameter; <c>estim_lr</c>, <c>numerator_weighted</c>, <c>count</c> optimizer-wide.
    /// </remarks>
    /// <param name="preprocess">Transformations applied to the gradients first (e.g. clipping); null for none.</param>
    public static GradientTransformation DAdaptAdamW(DAdaptAdamWOptions? options = null, GradientTransformation? preprocess = null)
    {
        options ??= new DAdaptAdamWOptions();
        ValidateLearningRate(options.LearningRate);
        Transforms.ValidateBetas(options.Beta1, options.Beta2);
        Transforms.ValidateEpsilon(options.Epsilon, "eps");
        PositiveFinite(options.EstimLr0, "estim_lr0");
        ValidateWeightDecay(options.WeightDecay);
        return new DAdaptAdamWTransformation(preprocess ?? Transforms.Identity(), options);
    }
}

/// <summary>See <see cref="Optimizers.DAdaptAdamW"/>.</summary>
internal sealed class DAdaptAdamWTransformation(GradientTransformation preprocess, DAdaptAdamWOptions o) : LearningRateFreeTransformation(preprocess)
{
    private readonly double _sb2 = Math.Sqrt(o.Beta2);

    public override string Name => "dadapt_adamw";

    public override TransformState? CreateState(Parameter parameter) => new LearningRateFreeParameterState(parameter, moments: true, null);

    internal override WrapperState? CreateWrapperState() => new LearningRateFreeState(o.EstimLr0, "estim_lr", "numerator_weighted");

    internal override bool AfterInner(in Optimizer.WrapperStep step)
    {
        var g = (LearningRateFreeState)step.Global!;
        long t = g.Count + 1;
        double bc = Math.Sqrt(1 - Math.Pow(o.Beta2, t)) / (1 - Math.Pow(o.Beta1, t));
        double dlr = g.Estimate * Evaluate(o.LearningRate, g.Count) * bc;
        ForEachActive(step, (float)o.Epsilon);
        double numerator = step.RunSegments(0);
        ForEachActive(step, (float)o.Epsilon, (float)o.Beta1, (float)((1 - o.Beta1) * dlr), (float)o.Beta2, (float)(1 - o.Beta2),
            (float)_sb2, (float)((1 - _sb2) * dlr));
        double l1 = step.RunSegments(1);
        if (o.WeightDecay != 0)
        {
            ForEachActive(step, (float)(o.WeightDecay * dlr));
            step.RunSegments(2);
        }
        g.Sum = _sb2 * g.Sum + (1 - _sb2) * dlr * numerator;
        double denominator = (1 - _sb2) * l1;
        if (denominator > 0) g.Estimate = Math.Max(g.Estimate, g.Sum / denominator);
        g.Count++;
        return true;
    }

    internal override double RunSegment(int phase, TransformState? state, in WrapperSegment segment)
    {
        var s = (LearningRateFreeParameterState)state!;
        var m = s.ExpAvg!.Span.Slice(segment.Offset, segment.Length);
        var v = s.ExpAvgSq!.Span.Slice(segment.Offset, segment.Length);
        var sk = s.GradSum!.Span.Slice(segment.Offset, segment.Length);
        var u = segment.Updates;
        double sum = 0;
        switch (phase)
        {
            case 0:
                for (int i = 0; i < u.Length; i++) sum += (double)u[i] * (sk[i] / (MathF.Sqrt(v[i]) + s.K0));
                break;
            case 1:
                for (int i = 0; i < u.Length; i++)
                {
                    float gi = u[i];
                    m[i] = s.K1 * m[i] + s.K2 * gi;
                    v[i] = s.K3 * v[i] + s.K4 * (gi * gi);
                    sk[i] = s.K5 * sk[i] + s.K6 * gi;
                    sum += Math.Abs(sk[i]);
                    u[i] = -m[i] / (MathF.Sqrt(v[i]) + s.K0);
                }
                break;
            default:
                for (int i = 0; i < u.Length; i++) u[i] -= s.K0 * segment.Values[i];
                break;
        }
        return sum;
    }
}
