namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.DAdaptAdamW"/>, with Optax's names and defaults.</summary>
public sealed record DAdaptAdamWOptions
{
    /// <summary><c>learning_rate</c>: a multiplier (schedule) of the adapted step, 1.0 as its base (default 1.0).</summary>
    public Schedule LearningRate { get; init; } = 1.0;

    /// <summary><c>betas[0]</c> (default 0.9).</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary><c>betas[1]</c> (default 0.999).</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary><c>eps</c> (default 1e-8).</summary>
    public double Epsilon { get; init; } = 1e-8;

    /// <summary><c>estim_lr0</c>: the initial (under-)estimate d₀ (default 1e-6).</summary>
    public double EstimLr0 { get; init; } = 1e-6;

    /// <summary><c>weight_decay</c>: decoupled decay, scaled by the adapted step (default 0).</summary>
    public double WeightDecay { get; init; }
}

/// <summary>The hyperparameters of <see cref="Optimizers.Prodigy"/>, with Optax's names and defaults.</summary>
public sealed record ProdigyOptions
{
    /// <summary><c>learning_rate</c>: a multiplier (schedule) of the adapted step (default 1.0).</summary>
    public Schedule LearningRate { get; init; } = 1.0;

    /// <summary><c>betas[0]</c> (default 0.9).</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary><c>betas[1]</c> (default 0.999).</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary><c>beta3</c>: the decay of the D estimate's sums (default null: √β2).</summary>
    public double? Beta3 { get; init; }

    /// <summary><c>eps</c> (default 1e-8), multiplied by d in the denominator.</summary>
    public double Epsilon { get; init; } = 1e-8;

    /// <summary><c>estim_lr0</c>: d₀ (default 1e-6).</summary>
    public double EstimLr0 { get; init; } = 1e-6;

    /// <summary><c>estim_lr_coef</c>: the estimates are multiplied by it (default 1).</summary>
    public double EstimLrCoef { get; init; } = 1.0;

    /// <summary><c>weight_decay</c> (default 0).</summary>
    public double WeightDecay { get; init; }
}

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

    /// <summary>Distance over Gradients (Ivgi et al., 2023, https://arxiv.org/abs/2302.12022), Optax's <c>contrib.dog</c>.</summary>
    /// <param name="learningRate">A multiplier (schedule) of the DoG step (default 1).</param>
    /// <param name="initStep">How the first step is chosen (default <see cref="DogInitStep.Heuristic"/>).</param>
    /// <param name="initStepValue">Its value (default 1e-6); &gt; 0.</param>
    /// <param name="eps">ε added to the sum of squared gradient norms (default 1e-8).</param>
    /// <param name="weightDecay">Optional L2 term added to the gradient first (<c>add_decayed_weights</c>).</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is out of range.</exception>
    /// <remarks>
    /// <c>r = ‖θ − θ₀‖</c> and <c>G ← G + ‖g‖²</c> over every parameter (θ₀, slot <c>init_params</c>, is a parameter's
    /// value at its first step); <c>r̄ ← max(r̄, r)</c> with <c>r̄₀ = r_ε</c>; <c>η = r̄/√(G + ε)</c> (the first step
    /// uses <paramref name="initStepValue"/> under <see cref="DogInitStep.LearningRate"/>); <c>u = −lr·η·g</c>. A
    /// whole-step optimizer: it must be outermost.
    /// </remarks>
    public static GradientTransformation Dog(Schedule? learningRate = null, DogInitStep initStep = DogInitStep.Heuristic, double initStepValue = 1e-6,
        double eps = 1e-8, double? weightDecay = null)
    {
        learningRate ??= 1.0;
        ValidateLearningRate(learningRate);
        if (!Enum.IsDefined(initStep)) ThrowHelper.ThrowArgumentOutOfRange(nameof(initStep), (int)initStep, "is not a defined init_step");
        PositiveFinite(initStepValue, "init_step");
        Transforms.ValidateEpsilon(eps, nameof(eps));
        if (weightDecay is { } wd) ValidateWeightDecay(wd);
        return new DogTransformation(weightDecay is { } λ ? Transforms.AddDecayedWeights(λ) : Transforms.Identity(), learningRate, initStep, initStepValue, eps, weighted: false);
    }

    /// <summary>Distance over Weighted Gradients (Khaled et al., 2023, https://arxiv.org/abs/2305.16284), Optax's <c>contrib.dowg</c>.</summary>
    /// <param name="learningRate">A multiplier (schedule) of the step (default 1).</param>
    /// <param name="initEstimSqDist">The initial estimate of the squared distance (default null: <paramref name="eps"/>).</param>
    /// <param name="eps">ε in the denominator (default 1e-4).</param>
    /// <param name="weightDecay">Optional L2 term added to the gradient first.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is out of range.</exception>
    /// <remarks>
    /// <c>r̄² ← max(r̄², ‖θ₀ − θ‖²)</c>, <c>W ← W + r̄²·‖g‖²</c>, <c>η = r̄²/(√W + ε)</c>, <c>u = −lr·η·g</c>, with
    /// norms over every parameter. A whole-step optimizer: it must be outermost.
    /// </remarks>
    public static GradientTransformation Dowg(Schedule? learningRate = null, double? initEstimSqDist = null, double eps = 1e-4, double? weightDecay = null)
    {
        learningRate ??= 1.0;
        ValidateLearningRate(learningRate);
        Transforms.ValidateEpsilon(eps, nameof(eps));
        double init = initEstimSqDist ?? eps;
        if (!double.IsFinite(init) || init < 0) ThrowHelper.ThrowInvalid("init_estim_sq_dist", "init_estim_sq_dist", init);
        if (weightDecay is { } wd) ValidateWeightDecay(wd);
        return new DogTransformation(weightDecay is { } λ ? Transforms.AddDecayedWeights(λ) : Transforms.Identity(), learningRate, DogInitStep.Distance, init, eps, weighted: true);
    }

    private static void PositiveFinite(double value, string name)
    {
        if (!double.IsFinite(value) || value <= 0) ThrowHelper.ThrowInvalid(name, name, value);
    }
}

/// <summary>The optimizer-wide scalars of the learning-rate-free optimizers.</summary>
public sealed class LearningRateFreeState : WrapperState
{
    internal LearningRateFreeState(double estimate, string estimateSlot, string sumSlot)
    {
        Estimate = estimate;
        AddScalar(estimateSlot, () => Estimate, v => Estimate = v);
        AddScalar(sumSlot, () => Sum, v => Sum = v);
        AddScalar("count", () => Count, v => Count = (long)v);
    }

    /// <summary>The adapted scale: d (<c>estim_lr</c>) for D-Adaptation and Prodigy, r̄ (<c>max_dist</c>) for DoG, r̄² (<c>estim_sq_dist</c>) for DoWG.</summary>
    public double Estimate { get; internal set; }

    /// <summary>The running sum: <c>numerator_weighted</c> (D-Adaptation, Prodigy), <c>sum_sq_norm_grads</c> (DoG) or <c>weighted_sq_norm_grads</c> (DoWG).</summary>
    public double Sum { get; internal set; }

    /// <summary>The number of steps taken.</summary>
    public long Count { get; internal set; }
}

/// <summary>Per-parameter tensors of the learning-rate-free optimizers, and the step's scalars copied in for the segment passes.</summary>
internal sealed class LearningRateFreeParameterState : TransformState
{
    public readonly RowBuffer? ExpAvg, ExpAvgSq, GradSum, Params0;
    public float K0, K1, K2, K3, K4, K5, K6;

    public LearningRateFreeParameterState(Parameter parameter, bool moments, string? params0Slot) : base(parameter)
    {
        if (moments)
        {
            ExpAvg = AddTensor("exp_avg");
            ExpAvgSq = AddTensor("exp_avg_sq");
            GradSum = AddTensor("grad_sum");
        }
        if (params0Slot is not null)
        {
            Params0 = AddTensor(params0Slot);
            parameter.Values.CopyTo(Params0.Span);
        }
    }
}

/// <summary>Shared plumbing: per-parameter scalars and simple sums.</summary>
internal abstract class LearningRateFreeTransformation(GradientTransformation preprocess) : StepWrapper(preprocess)
{
    internal override bool NeedsUpdates => true;

    protected static void ForEachActive(in Optimizer.WrapperStep step, float k0, float k1 = 0, float k2 = 0, float k3 = 0, float k4 = 0, float k5 = 0, float k6 = 0)
    {
        for (int a = 0; a < step.ActiveCount; a++)
        {
            var s = (LearningRateFreeParameterState)step.StateOf(step.ActiveIndex(a))!;
            (s.K0, s.K1, s.K2, s.K3, s.K4, s.K5, s.K6) = (k0, k1, k2, k3, k4, k5, k6);
        }
    }

    protected static double SquaredDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = (double)a[i] - b[i];
            sum += d * d;
        }
        return sum;
    }

    protected static double Evaluate(Schedule schedule, long count)
    {
        double v = schedule.Evaluate(count);
        if (!double.IsFinite(v)) throw new ArithmeticException($"The learning rate schedule gave {v} at step {count}.");
        return v;
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
