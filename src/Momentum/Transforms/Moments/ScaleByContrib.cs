using Momentum.Kernels;

namespace Momentum;

public static partial class Transforms
{
    /// <summary>
    /// ADOPT's rescaling (Taniguchi et al., 2024, https://arxiv.org/abs/2411.02853), Optax's <c>contrib.scale_by_adopt</c>:
    /// the gradient is normalized by the <em>previous</em> second moment before entering the first moment.
    /// </summary>
    /// <param name="b1">β1 in [0, 1).</param>
    /// <param name="b2">β2 in [0, 1).</param>
    /// <param name="eps">ε, the smallest denominator; ≥ 0.</param>
    /// <param name="nesterov">Use the Nesterov form of the output.</param>
    /// <param name="useClipping">Clip the normalized gradient to ±c^¼ (c the parameter's 0-based count).</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is out of range.</exception>
    /// <remarks>
    /// With c the count before this step, <c>(β1', β2') = c &gt; 0 ? (β1, β2) : (1, 0)</c>:
    /// <c>ĝ = clip(g / max(√v_prev, ε), ±c^¼)</c> (no clip without <paramref name="useClipping"/>),
    /// <c>v ← β2'·v + (1−β2')·g²</c>, <c>m ← β1'·m + (1−β1')·ĝ</c>, output <c>m</c> (Nesterov:
    /// <c>β1'·m + (1−β1')·ĝ</c> with the new m). On the first step v = g² and the output is exactly 0 (Optax's doctest
    /// prints f = 14.0 five times). No bias correction. State: mu, nu, count.
    /// </remarks>
    public static GradientTransformation ScaleByAdopt(double b1 = 0.9, double b2 = 0.9999, double eps = 1e-6, bool nesterov = false, bool useClipping = true)
    {
        ValidateBetas(b1, b2);
        ValidateEpsilon(eps, nameof(eps));
        return new ScaleByAdoptTransformation(b1, b2, eps, nesterov, useClipping);
    }

    /// <summary>
    /// AdEMAMix's rescaling (Pagliardini et al., 2024, https://arxiv.org/abs/2409.03137), Optax's
    /// <c>contrib.scale_by_ademamix</c>: Adam with a second, slow first-moment EMA added to the numerator.
    /// </summary>
    /// <param name="b1">β1 of the fast EMA, in [0, 1).</param>
    /// <param name="b2">β2 of the second moment, in [0, 1).</param>
    /// <param name="b3">β3 of the slow EMA, or its schedule (evaluated at the parameter's count), in [0, 1).</param>
    /// <param name="alpha">α, the weight of the slow EMA, or its schedule. Optax's building block defaults to 6.0 and its alias to 5.0 (see the docs).</param>
    /// <param name="eps">ε outside the root; ≥ 0.</param>
    /// <param name="epsRoot">ε_root inside the root; ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is out of range.</exception>
    /// <remarks>
    /// With t = count + 1: <c>m1 ← β1 m1 + (1−β1) g</c>, <c>m2 ← β3 m2 + (1−β3) g</c>, <c>ν ← β2 ν + (1−β2) g²</c>,
    /// <c>u = (m1/(1−β1ᵗ) + α·m2) / (√(ν/(1−β2ᵗ) + ε_root) + ε)</c>; m2 is not bias-corrected. State: m1, m2, nu, count.
    /// </remarks>
    public static GradientTransformation ScaleByAdemamix(double b1 = 0.9, double b2 = 0.999, Schedule? b3 = null, Schedule? alpha = null,
        double eps = 1e-8, double epsRoot = 0)
    {
        ValidateBetas(b1, b2);
        b3 ??= 0.9999;
        alpha ??= 6.0;
        Schedule.Validate(b3, nameof(b3), v => v >= 0 && v < 1, "b3");
        Schedule.Validate(alpha, nameof(alpha), _ => true, "alpha");
        ValidateEpsilon(eps, nameof(eps));
        ValidateEpsilon(epsRoot, nameof(epsRoot));
        return new ScaleByAdemamixTransformation(b1, b2, b3, alpha, eps, epsRoot);
    }

    /// <summary>
    /// Simplified AdEMAMix's rescaling (Morwani et al., 2025, https://arxiv.org/abs/2502.02431), Optax's
    /// <c>contrib.scale_by_simplified_ademamix</c>.
    /// </summary>
    /// <param name="b1">β1 of the (undamped) momentum, in [0, 1).</param>
    /// <param name="b2">β2 of the second moment, in [0, 1).</param>
    /// <param name="alpha">α, the weight of the current gradient in the numerator; finite.</param>
    /// <param name="eps">ε outside the root; ≥ 0.</param>
    /// <param name="epsRoot">ε_root inside the root; ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is out of range.</exception>
    /// <remarks>
    /// With t = count + 1: <c>m ← β1 m + g</c> (no 1−β1 factor), <c>n ← β2 n + (1−β2) g²</c>,
    /// <c>u = (m + α g) / (√(n/(1−β2ᵗ) + ε_root) + ε)</c>. State: m, n, count.
    /// </remarks>
    public static GradientTransformation ScaleBySimplifiedAdemamix(double b1 = 0.99, double b2 = 0.95, double alpha = 0, double eps = 1e-8, double epsRoot = 0)
    {
        ValidateBetas(b1, b2);
        ThrowHelper.ThrowIfNotFinite(alpha);
        ValidateEpsilon(eps, nameof(eps));
        ValidateEpsilon(epsRoot, nameof(epsRoot));
        return new ScaleBySimplifiedAdemamixTransformation(b1, b2, alpha, eps, epsRoot);
    }
}

/// <summary>ADOPT's state: the moments (slots <c>mu</c>, <c>nu</c>), the count, and this step's scalars.</summary>
internal sealed class ScaleByAdoptState : TransformState
{
    public readonly RowBuffer Mu, Nu;
    public long Count;

    // This step's scalars, set in BeginStep: β1' and 1−β1', β2' and 1−β2' (β1' = 1, β2' = 0 on the first step), the clip c.
    public float Beta1, OneMinusBeta1, Beta2, OneMinusBeta2, Clip;

    public ScaleByAdoptState(Parameter parameter) : base(parameter)
    {
        Mu = AddTensor("mu");
        Nu = AddTensor("nu");
        AddScalar("count", () => Count, v => Count = (long)v);
    }
}

/// <summary>AdEMAMix's state: the fast and slow moments and the second moment (slots <c>m1</c>, <c>m2</c>, <c>nu</c>), the count, and this step's scalars.</summary>
internal sealed class ScaleByAdemamixState : TransformState
{
    public readonly RowBuffer M1, M2, Nu;
    public long Count;

    // This step's scalars, set in BeginStep: β3 and 1−β3, α (both scheduled), 1/(1−β1ᵗ) and 1/(1−β2ᵗ).
    public float Beta3, OneMinusBeta3, Alpha, Bias1Inverse, Bias2Inverse;

    public ScaleByAdemamixState(Parameter parameter) : base(parameter)
    {
        M1 = AddTensor("m1");
        M2 = AddTensor("m2");
        Nu = AddTensor("nu");
        AddScalar("count", () => Count, v => Count = (long)v);
    }
}

/// <summary>Simplified AdEMAMix's state: the moments (slots <c>m</c>, <c>n</c>), the count, and this step's 1/(1−β2ᵗ).</summary>
internal sealed class ScaleBySimplifiedAdemamixState : TransformState
{
    public readonly RowBuffer M, N;
    public long Count;
    public float Bias2Inverse;

    public ScaleBySimplifiedAdemamixState(Parameter parameter) : base(parameter)
    {
        M = AddTensor("m");
        N = AddTensor("n");
        AddScalar("count", () => Count, v => Count = (long)v);
    }
}

/// <summary>See <see cref="Transforms.ScaleByAdopt"/>.</summary>
internal sealed class ScaleByAdoptTransformation(double b1, double b2, double eps, bool nesterov, bool useClipping) : ElementwiseTransformation
{
    private readonly float _eps = (float)eps;

    public override string Name => "scale_by_adopt";

    public override TransformState? CreateState(Parameter parameter) => new ScaleByAdoptState(parameter);

    public override void BeginStep(TransformState? state, in StepInfo step)
    {
        var s = (ScaleByAdoptState)state!;
        long c = s.Count++;
        double beta1 = c > 0 ? b1 : 1, beta2 = c > 0 ? b2 : 0;
        s.Beta1 = (float)beta1;
        s.OneMinusBeta1 = (float)(1 - beta1);
        s.Beta2 = (float)beta2;
        s.OneMinusBeta2 = (float)(1 - beta2);
        s.Clip = useClipping ? (float)Math.Sqrt(Math.Sqrt(c)) : float.PositiveInfinity;
    }

    public override void Apply(TransformState? state, in Block block)
    {
        var s = (ScaleByAdoptState)state!;
        var m = s.Mu.Span.Slice(block.Offset, block.Length);
        var v = s.Nu.Span.Slice(block.Offset, block.Length);
        ElementwiseLoop.Run(new Operator(s.Beta1, s.OneMinusBeta1, s.Beta2, s.OneMinusBeta2, s.Clip, _eps, nesterov ? 1f : 0f), block.Updates, m, v, block.Parameters);
    }

    /// <summary>ĝ = clip(g/max(√v, ε), ±c); v = β2'v + (1−β2')g²; m = β1'm + (1−β1')ĝ; out = m, or (Nesterov) β1'm + (1−β1')ĝ.</summary>
    private readonly struct Operator(float b1, float c1, float b2, float c2, float clip, float eps, float nesterov) : IElementwiseOperator
    {
        public static int States => 2;

        public TV Invoke<TV>(TV g, TV p, ref TV m, ref TV v, ref TV c, ref TV d) where TV : struct, ILanes<TV>
        {
            var gh = TV.Min(TV.Max(g / TV.Max(TV.Sqrt(v), TV.Create(eps)), TV.Create(-clip)), TV.Create(clip));
            v = TV.Create(b2) * v + TV.Create(c2) * (g * g);
            m = TV.Create(b1) * m + TV.Create(c1) * gh;
            return nesterov != 0f ? TV.Create(b1) * m + TV.Create(c1) * gh : m;
        }
    }
}

/// <summary>See <see cref="Transforms.ScaleByAdemamix"/>.</summary>
internal sealed class ScaleByAdemamixTransformation(double b1, double b2, Schedule b3, Schedule alpha, double eps, double epsRoot) : ElementwiseTransformation
{
    private readonly float _b1 = (float)b1, _c1 = (float)(1 - b1), _b2 = (float)b2, _c2 = (float)(1 - b2), _eps = (float)eps, _epsRoot = (float)epsRoot;

    public override string Name => "scale_by_ademamix";

    public override TransformState? CreateState(Parameter parameter) => new ScaleByAdemamixState(parameter);

    public override void ValidateStep(TransformState? state, in StepInfo step) => SchedulesAt(state is ScaleByAdemamixState s ? s.Count : 0);

    private (double Beta3, double Alpha) SchedulesAt(long count)
    {
        double beta3 = Schedule.CheckStepValue(b3.Evaluate(count), "ademamix b3", count, "count");
        double a = Schedule.CheckStepValue(alpha.Evaluate(count), "ademamix alpha", count, "count");
        return (beta3, a);
    }

    public override void BeginStep(TransformState? state, in StepInfo step)
    {
        var s = (ScaleByAdemamixState)state!;
        long c = s.Count;
        var (beta3, a) = SchedulesAt(c);
        s.Count = c + 1;
        long t = c + 1;
        s.Beta3 = (float)beta3;
        s.OneMinusBeta3 = (float)(1 - beta3);
        s.Alpha = (float)a;
        s.Bias1Inverse = (float)(1 / (1 - Math.Pow(b1, t)));
        s.Bias2Inverse = (float)(1 / (1 - Math.Pow(b2, t)));
    }

    public override void Apply(TransformState? state, in Block block)
    {
        var s = (ScaleByAdemamixState)state!;
        var m1 = s.M1.Span.Slice(block.Offset, block.Length);
        var m2 = s.M2.Span.Slice(block.Offset, block.Length);
        var nu = s.Nu.Span.Slice(block.Offset, block.Length);
        ElementwiseLoop.Run(new Operator(_b1, _c1, s.Beta3, s.OneMinusBeta3, _b2, _c2, s.Alpha, s.Bias1Inverse, s.Bias2Inverse, _eps, _epsRoot),
            block.Updates, m1, m2, nu, block.Parameters);
    }

    /// <summary>m1 = β1m1 + (1−β1)g; m2 = β3m2 + (1−β3)g; ν = β2ν + (1−β2)g²; out = (m1·k1 + α·m2)/(√(ν·k2 + ε_root) + ε).</summary>
    private readonly struct Operator(float b1, float c1, float b3, float c3, float b2, float c2, float a, float k1, float k2, float eps, float epsRoot)
        : IElementwiseOperator
    {
        public static int States => 3;

        public TV Invoke<TV>(TV g, TV p, ref TV m1, ref TV m2, ref TV nu, ref TV d) where TV : struct, ILanes<TV>
        {
            m1 = TV.Create(b1) * m1 + TV.Create(c1) * g;
            m2 = TV.Create(b3) * m2 + TV.Create(c3) * g;
            nu = TV.Create(b2) * nu + TV.Create(c2) * (g * g);
            return (m1 * TV.Create(k1) + TV.Create(a) * m2) / (TV.Sqrt(nu * TV.Create(k2) + TV.Create(epsRoot)) + TV.Create(eps));
        }
    }
}

/// <summary>See <see cref="Transforms.ScaleBySimplifiedAdemamix"/>.</summary>
internal sealed class ScaleBySimplifiedAdemamixTransformation(double b1, double b2, double alpha, double eps, double epsRoot) : ElementwiseTransformation
{
    private readonly float _b1 = (float)b1, _b2 = (float)b2, _c2 = (float)(1 - b2), _alpha = (float)alpha, _eps = (float)eps, _epsRoot = (float)epsRoot;

    public override string Name => "scale_by_simplified_ademamix";

    public override TransformState? CreateState(Parameter parameter) => new ScaleBySimplifiedAdemamixState(parameter);

    public override void BeginStep(TransformState? state, in StepInfo step)
    {
        var s = (ScaleBySimplifiedAdemamixState)state!;
        long t = ++s.Count;
        s.Bias2Inverse = (float)(1 / (1 - Math.Pow(b2, t)));
    }

    public override void Apply(TransformState? state, in Block block)
    {
        var s = (ScaleBySimplifiedAdemamixState)state!;
        var m = s.M.Span.Slice(block.Offset, block.Length);
        var n = s.N.Span.Slice(block.Offset, block.Length);
        ElementwiseLoop.Run(new Operator(_b1, _b2, _c2, _alpha, s.Bias2Inverse, _eps, _epsRoot), block.Updates, m, n, block.Parameters);
    }

    /// <summary>m = β1m + g; n = β2n + (1−β2)g²; out = (m + αg)/(√(n·k2 + ε_root) + ε).</summary>
    private readonly struct Operator(float b1, float b2, float c2, float alpha, float k2, float eps, float epsRoot) : IElementwiseOperator
    {
        public static int States => 2;

        public TV Invoke<TV>(TV g, TV p, ref TV m, ref TV n, ref TV c, ref TV d) where TV : struct, ILanes<TV>
        {
            m = TV.Create(b1) * m + g;
            n = TV.Create(b2) * n + TV.Create(c2) * (g * g);
            return (m + TV.Create(alpha) * g) / (TV.Sqrt(n * TV.Create(k2) + TV.Create(epsRoot)) + TV.Create(eps));
        }
    }
}

/// <summary>The state of <c>scale_by_cocob</c>.</summary>
internal sealed class CocobState : TransformState
{
    public readonly RowBuffer InitParticles, CumulativeGradients, Scale, Subgradients, Reward;

    public CocobState(Parameter parameter, float eps) : base(parameter)
    {
        InitParticles = AddTensor("init_particles");
        parameter.Values.CopyTo(InitParticles.Span);
        CumulativeGradients = AddTensor("cumulative_gradients");
        Scale = AddTensor("scale", eps);
        Subgradients = AddTensor("subgradients");
        Reward = AddTensor("reward");
    }
}

/// <summary>See <see cref="Transforms.ScaleByCocob"/>.</summary>
internal sealed class ScaleByCocobTransformation(double alpha, double eps) : ElementwiseTransformation
{
    private readonly float _alpha = (float)alpha, _eps = (float)eps;

    public override string Name => "scale_by_cocob";

    public override TransformState? CreateState(Parameter parameter) => new CocobState(parameter, _eps);

    public override void Apply(TransformState? state, in Block block)
    {
        var s = (CocobState)state!;
        int o = block.Offset, n = block.Length;
        var p0 = s.InitParticles.Span.Slice(o, n);
        var cum = s.CumulativeGradients.Span.Slice(o, n);
        var l = s.Scale.Span.Slice(o, n);
        var gSum = s.Subgradients.Span.Slice(o, n);
        var r = s.Reward.Span.Slice(o, n);
        var u = block.Updates;
        var p = block.Parameters;
        for (int i = 0; i < n; i++)
        {
            float c = u[i];
            float li = MathF.Max(l[i], MathF.Abs(c));
            float gi = gSum[i] + MathF.Abs(c);
            float ri = MathF.Max(r[i] - c * (p[i] - p0[i]), 0f);
            float ci = cum[i] - c;
            l[i] = li;
            gSum[i] = gi;
            r[i] = ri;
            cum[i] = ci;
            u[i] = -p[i] + (p0[i] + ci / (li * MathF.Max(gi + li, _alpha * li)) * (li + ri));
        }
    }
}

public static partial class Transforms
{
    /// <summary>
    /// COCOB-Backprop's rescaling (Orabona and Tommasi, 2017, https://arxiv.org/abs/1705.07795), Optax's
    /// <c>contrib.scale_by_cocob</c>: learning-rate-free coin betting, per element.
    /// </summary>
    /// <param name="alpha">α, the bet fraction parameter; finite and &gt; 0.</param>
    /// <param name="eps">ε, the initial scale L; finite and ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is out of range.</exception>
    /// <remarks>
    /// With c the incoming update and θ₀ the parameter at its first step: <c>L ← max(L, |c|)</c>, <c>G ← G + |c|</c>,
    /// <c>R ← max(R − c·(θ − θ₀), 0)</c>, <c>C ← C − c</c>, <c>u = −θ + θ₀ + C/(L·max(G + L, α·L))·(L + R)</c>.
    /// State: init_particles, cumulative_gradients, scale (starts at ε), subgradients, reward.
    /// </remarks>
    public static GradientTransformation ScaleByCocob(double alpha = 100, double eps = 1e-8)
    {
        if (!double.IsFinite(alpha) || alpha <= 0) ThrowHelper.ThrowInvalid(nameof(alpha), "alpha", alpha);
        ValidateEpsilon(eps, nameof(eps));
        return new ScaleByCocobTransformation(alpha, eps);
    }
}
