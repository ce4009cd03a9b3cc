using Momentum.Kernels;

namespace Momentum;

public static partial class Transforms
{
    /// <summary>
    /// Rescales updates by AdaBelief's belief in the gradient (Zhuang et al., 2020, https://arxiv.org/abs/2010.07468),
    /// Optax's <c>scale_by_belief</c>.
    /// </summary>
    /// <param name="b1">β1, the decay of the first moment, in [0, 1).</param>
    /// <param name="b2">β2, the decay of the second central moment, in [0, 1).</param>
    /// <param name="eps">ε, added to the denominator outside the square root; ≥ 0.</param>
    /// <param name="epsRoot">ε_root, added to s at every step (Optax's placement); ≥ 0.</param>
    /// <param name="nesterov">Use Dozat's Nesterov form of the first moment.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>
    /// With t the parameter's own step count: <c>m ← β1·m + (1−β1)·g</c>, <c>s ← β2·s + (1−β2)·(g − m)² + ε_root</c>
    /// (the prediction error uses the new m), <c>u = m̂ / (√ŝ + ε)</c> with <c>m̂ = m/(1−β1ᵗ)</c>, <c>ŝ = s/(1−β2ᵗ)</c>.
    /// Nesterov: <c>m̂ = β1·m/(1−β1ᵗ⁺¹) + (1−β1)·g/(1−β1ᵗ)</c>. State m = s = 0, count = 0.
    /// </remarks>
    public static GradientTransformation ScaleByBelief(double b1 = 0.9, double b2 = 0.999, double eps = 1e-16, double epsRoot = 1e-16, bool nesterov = false)
    {
        OptaxGuard.Decay(b1, nameof(b1));
        OptaxGuard.Decay(b2, nameof(b2));
        OptaxGuard.NonNegative(eps, nameof(eps));
        OptaxGuard.NonNegative(epsRoot, nameof(epsRoot));
        return new ScaleByBeliefTransformation(b1, b2, eps, epsRoot, nesterov);
    }

    /// <summary>
    /// Rescales updates by ACProp's asynchronously centered second moment (Zhuang et al., 2021,
    /// https://arxiv.org/abs/2110.05454), Optax contrib's <c>scale_by_acprop</c> in its documented form.
    /// </summary>
    /// <param name="b1">β1, the decay of the first moment, in [0, 1).</param>
    /// <param name="b2">β2, the decay of the second central moment, in [0, 1).</param>
    /// <param name="eps">ε, added to the denominator outside the square root; ≥ 0.</param>
    /// <param name="epsRoot">ε_root, added to s at every step; ≥ 0.</param>
    /// <param name="stepCounting">Which count c the bias correction and the first-step rule use: the tensor's
    /// (default), each row's (a new row takes <c>ŝ := 1</c> on its own first step and its own <c>1−β2ᶜ</c>), or none
    /// (<c>ŝ = s_{t−1}</c> uncorrected; the first-step rule stays per tensor); see docs/DYNAMIC.md.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>
    /// With c the parameter's count before the step: <c>m_t = β1·m_{t−1} + (1−β1)·g_t</c>, <c>e = g_t − m_t</c> (the
    /// <b>new</b> first moment, as the paper, the Optax docstring and the authors' PyTorch code; Optax's code at
    /// 2edbcbe used the previous m, fixed upstream by bdd0ad77), <c>s_t = β2·s_{t−1} + (1−β2)·e² + ε_root</c>. The
    /// denominator is asynchronous: it uses the <b>previous</b> <c>s_{t−1}</c>, bias-corrected with the previous count,
    /// <c>ŝ = s_{t−1}/(1−β2ᶜ)</c>, and <c>ŝ := 1</c> on the first step. The numerator is the raw gradient:
    /// <c>u = g_t / (√ŝ + ε)</c>, so the first step is plain SGD. State m = s = 0, count = 0.
    /// </remarks>
    public static GradientTransformation ScaleByAcProp(double b1 = 0.9, double b2 = 0.999, double eps = 1e-16, double epsRoot = 1e-16,
        StepCounting stepCounting = StepCounting.PerTensor)
    {
        OptaxGuard.Decay(b1, nameof(b1));
        OptaxGuard.Decay(b2, nameof(b2));
        OptaxGuard.NonNegative(eps, nameof(eps));
        OptaxGuard.NonNegative(epsRoot, nameof(epsRoot));
        StepCounts.Validate(stepCounting, nameof(stepCounting));
        return new ScaleByAcPropTransformation(b1, b2, eps, epsRoot, stepCounting);
    }

    /// <summary>Rescales updates by AMSGrad (Reddi et al., 2018, https://openreview.net/forum?id=ryQu7f-RZ), Optax's <c>scale_by_amsgrad</c>.</summary>
    /// <param name="b1">β1, in [0, 1).</param>
    /// <param name="b2">β2, in [0, 1).</param>
    /// <param name="eps">ε outside the square root; ≥ 0.</param>
    /// <param name="epsRoot">ε_root inside the square root; ≥ 0.</param>
    /// <param name="biasCorrectionMu">Bias-correct m (Optax default true).</param>
    /// <param name="biasCorrectionNu">Bias-correct v before the maximum (Optax default true; false is the paper).</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>
    /// <c>m ← β1·m + (1−β1)·g</c>, <c>v ← β2·v + (1−β2)·g²</c>, <c>v_max ← max(v_max, v/(1−β2ᵗ))</c> (Optax's
    /// variant: the maximum of the <b>bias-corrected</b> v̂; PyTorch takes the maximum of the raw v),
    /// <c>u = (m/(1−β1ᵗ)) / (√(v_max + ε_root) + ε)</c>.
    /// </remarks>
    public static GradientTransformation ScaleByAmsgrad(double b1 = 0.9, double b2 = 0.999, double eps = 1e-8, double epsRoot = 0,
        bool biasCorrectionMu = true, bool biasCorrectionNu = true)
    {
        OptaxGuard.Decay(b1, nameof(b1));
        OptaxGuard.Decay(b2, nameof(b2));
        OptaxGuard.NonNegative(eps, nameof(eps));
        OptaxGuard.NonNegative(epsRoot, nameof(epsRoot));
        return new ScaleByAmsgradTransformation(b1, b2, eps, epsRoot, biasCorrectionMu, biasCorrectionNu);
    }

    /// <summary>Rescales updates by Adamax's infinity norm (Kingma and Ba, 2015, https://arxiv.org/abs/1412.6980), Optax's <c>scale_by_adamax</c>.</summary>
    /// <param name="b1">β1, in [0, 1).</param>
    /// <param name="b2">β2, in [0, 1).</param>
    /// <param name="eps">ε, inside the maximum; ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks><c>m ← β1·m + (1−β1)·g</c>, <c>v ← max(|g| + ε, β2·v)</c>, <c>u = (m/(1−β1ᵗ)) / v</c>; v is not bias-corrected.</remarks>
    public static GradientTransformation ScaleByAdamax(double b1 = 0.9, double b2 = 0.999, double eps = 1e-8)
    {
        OptaxGuard.Decay(b1, nameof(b1));
        OptaxGuard.Decay(b2, nameof(b2));
        OptaxGuard.NonNegative(eps, nameof(eps));
        return new ScaleByAdamaxTransformation(b1, b2, eps);
    }

    /// <summary>Rescales updates by Adan, the adaptive Nesterov momentum (Xie et al., 2022, https://arxiv.org/abs/2208.06677), Optax's <c>scale_by_adan</c>.</summary>
    /// <param name="b1">The decay of the gradient EMA, in [0, 1).</param>
    /// <param name="b2">The decay of the gradient-difference EMA, in [0, 1).</param>
    /// <param name="b3">The decay of the squared EMA, in [0, 1).</param>
    /// <param name="eps">ε outside the square root; ≥ 0.</param>
    /// <param name="epsRoot">ε_root inside the square root; ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>
    /// <c>Δ = g − g_prev</c> (0 on the first step), <c>m ← β1·m + (1−β1)·g</c>, <c>v ← β2·v + (1−β2)·Δ</c>,
    /// <c>n ← β3·n + (1−β3)·(g + (1−β2)·Δ)²</c>, <c>u = (m̂ + (1−β2)·v̂) / (√(n̂ + ε_root) + ε)</c>, each hat the
    /// bias correction by its own β; g_prev ← g. (Optax's β's are decays; the paper's are 1 − these.)
    /// </remarks>
    public static GradientTransformation ScaleByAdan(double b1 = 0.98, double b2 = 0.92, double b3 = 0.99, double eps = 1e-8, double epsRoot = 0)
    {
        OptaxGuard.Decay(b1, nameof(b1));
        OptaxGuard.Decay(b2, nameof(b2));
        OptaxGuard.Decay(b3, nameof(b3));
        OptaxGuard.NonNegative(eps, nameof(eps));
        OptaxGuard.NonNegative(epsRoot, nameof(epsRoot));
        return new ScaleByAdanTransformation(b1, b2, b3, eps, epsRoot);
    }

    /// <summary>Rescales updates by Yogi (Zaheer et al., 2018, NeurIPS), Optax's <c>scale_by_yogi</c>.</summary>
    /// <param name="b1">β1, in [0, 1).</param>
    /// <param name="b2">β2, in [0, 1).</param>
    /// <param name="eps">ε outside the square root (default 1e-3); ≥ 0.</param>
    /// <param name="epsRoot">ε_root inside the square root; ≥ 0.</param>
    /// <param name="initialAccumulatorValue">The initial value of m and v (default 1e-6); finite and ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks><c>m ← β1·m + (1−β1)·g</c>, <c>v ← v − (1−β2)·sign(v − g²)·g²</c>, <c>u = m̂ / (√(v̂ + ε_root) + ε)</c>.</remarks>
    public static GradientTransformation ScaleByYogi(double b1 = 0.9, double b2 = 0.999, double eps = 1e-3, double epsRoot = 0, double initialAccumulatorValue = 1e-6)
    {
        OptaxGuard.Decay(b1, nameof(b1));
        OptaxGuard.Decay(b2, nameof(b2));
        OptaxGuard.NonNegative(eps, nameof(eps));
        OptaxGuard.NonNegative(epsRoot, nameof(epsRoot));
        OptaxGuard.NonNegative(initialAccumulatorValue, nameof(initialAccumulatorValue));
        return new ScaleByYogiTransformation(b1, b2, eps, epsRoot, initialAccumulatorValue);
    }

    /// <summary>Rescales updates by RAdam, the rectified Adam (Liu et al., 2020, https://arxiv.org/abs/1908.03265), Optax's <c>scale_by_radam</c>.</summary>
    /// <param name="b1">β1, in [0, 1).</param>
    /// <param name="b2">β2, in [0, 1).</param>
    /// <param name="eps">ε outside the square root; ≥ 0.</param>
    /// <param name="epsRoot">ε_root inside the square root; ≥ 0.</param>
    /// <param name="threshold">The rectification threshold on ρ_t (default 5); finite.</param>
    /// <param name="nesterov">Use Dozat's Nesterov form of the first moment.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>
    /// <c>ρ∞ = 2/(1−β2) − 1</c>, <c>ρ_t = ρ∞ − 2t·β2ᵗ/(1−β2ᵗ)</c>. If <c>ρ_t ≥ threshold</c>:
    /// <c>r = √((ρ_t−4)(ρ_t−2)ρ∞ / ((ρ∞−4)(ρ∞−2)ρ_t))</c> and <c>u = r·m̂/(√(v̂+ε_root)+ε)</c>; otherwise <c>u = m̂</c>
    /// (Optax's <c>≥</c>; PyTorch rectifies when ρ_t &gt; 5).
    /// </remarks>
    public static GradientTransformation ScaleByRadam(double b1 = 0.9, double b2 = 0.999, double eps = 1e-8, double epsRoot = 0, double threshold = 5, bool nesterov = false)
    {
        OptaxGuard.Decay(b1, nameof(b1));
        OptaxGuard.Decay(b2, nameof(b2));
        OptaxGuard.NonNegative(eps, nameof(eps));
        OptaxGuard.NonNegative(epsRoot, nameof(epsRoot));
        OptaxGuard.Finite(threshold, nameof(threshold));
        return new ScaleByRadamTransformation(b1, b2, eps, epsRoot, threshold, nesterov);
    }
}

/// <summary>Sets S0 = scale of m, S1 = scale of g (Nesterov), for a first moment with decay β1 at count t.</summary>
internal static class MomentScales
{
    public static void FirstMoment(OptaxState s, double b1, bool nesterov)
    {
        long t = s.Count;
        double bc1 = 1 - Math.Pow(b1, t);
        if (nesterov)
        {
            s.S0 = (float)(b1 / (1 - Math.Pow(b1, t + 1)));
            s.S1 = (float)((1 - b1) / bc1);
        }
        else
        {
            s.S0 = (float)(1 / bc1);
            s.S1 = 0f;
        }
    }
}

internal sealed class ScaleByBeliefTransformation(double b1, double b2, double eps, double epsRoot, bool nesterov)
    : OptaxElementwise("scale_by_belief", ("mu", 0f), ("nu", 0f))
{
    protected override void Prepare(OptaxState s, in StepInfo step)
    {
        MomentScales.FirstMoment(s, b1, nesterov);
        s.S2 = (float)(1 / Bc(b2, s.Count));
    }

    public override void Apply(TransformState? state, in Block block)
    {
        var s = (OptaxState)state!;
        var op = new Op((float)b1, (float)(1 - b1), (float)b2, (float)(1 - b2), (float)eps, (float)epsRoot, s.S0, s.S1, s.S2);
        OptaxLoop.Run(op, block.Updates, block.Parameters, OptaxState.Slice(s.A, block), OptaxState.Slice(s.B, block));
    }

    private readonly struct Op(float b1, float c1, float b2, float c2, float eps, float epsRoot, float km, float kg, float invBc2) : IElementwiseOperator
    {
        public static int States => 2;

        public TV Invoke<TV>(TV g, TV p, ref TV m, ref TV v, ref TV c, ref TV d) where TV : struct, ILanes<TV>
        {
            m = TV.Create(b1) * m + TV.Create(c1) * g;
            var e = g - m;
            v = TV.Create(b2) * v + TV.Create(c2) * (e * e) + TV.Create(epsRoot);
            return (TV.Create(km) * m + TV.Create(kg) * g) / (TV.Sqrt(v * TV.Create(invBc2)) + TV.Create(eps));
        }
    }
}

internal sealed class ScaleByAcPropTransformation(double b1, double b2, double eps, double epsRoot, StepCounting stepCounting = StepCounting.PerTensor)
    : OptaxElementwise("scale_by_acprop", ("mu", 0f), ("nu", 0f))
{
    public StepCounting StepCounting => stepCounting;

    public override TransformState? CreateState(Parameter parameter) =>
        new OptaxState(parameter, [("mu", 0f), ("nu", 0f)], rowCounter: stepCounting == StepCounting.PerRow);

    // S0: 1/(1 − β2ᶜ) with c the previous count (unused on the first step); 1 without bias correction.
    protected override void Prepare(OptaxState s, in StepInfo step)
    {
        s.S0 = s.First || stepCounting == StepCounting.None ? 1f : (float)(1 / Bc(b2, s.Count - 1));
        if (s.RowCounts is not null) PrepareRows(s, in step);
    }

    /// <summary>Per-row counts: advance the rows taking part; table[c] = 1/(1 − β2^(c−1)) for count c after the step.</summary>
    private void PrepareRows(OptaxState s, in StepInfo step)
    {
        long max = StepCounts.Advance(s.RowCounts!, in step);
        while (!s.CountTableSaturated && s.CountTableFilled < max)
        {
            int c = s.CountTableFilled + 1;
            if (c >= s.CountTable.Length) Array.Resize(ref s.CountTable, Math.Max(16, s.CountTable.Length * 2));
            s.CountTable[c] = c <= 1 ? 1f : (float)(1 / Bc(b2, c - 1));
            s.CountTableFilled = c;
            if (c > 1 && s.CountTable[c] == 1f)
            {
                // Saturated (the correction is monotone): every later count has none left in float; lookups past the end give 1.
                Array.Resize(ref s.CountTable, c + 1);
                s.CountTableSaturated = true;
            }
        }
    }

    public override void Apply(TransformState? state, in Block block)
    {
        var s = (OptaxState)state!;
        if (s.RowCounts is not null)
        {
            ApplyPerRow(s, in block);
            return;
        }
        var op = new Op((float)b1, (float)(1 - b1), (float)b2, (float)(1 - b2), (float)eps, (float)epsRoot, s.S0, s.First);
        OptaxLoop.Run(op, block.Updates, block.Parameters, OptaxState.Slice(s.A, block), OptaxState.Slice(s.B, block));
    }

    /// <summary>Each run of rows with the same count c uses ŝ := 1 if c = 1, else the correction of c − 1.</summary>
    private void ApplyPerRow(OptaxState s, in Block block)
    {
        var counts = s.RowCounts!.Span;
        int rowLength = s.A!.RowLength;
        int start = block.Offset, end = start + block.Length;
        for (int a = start; a < end;)
        {
            int b = StepCounts.RunEnd(counts, rowLength, a, end);
            int count = (int)counts[a / rowLength];
            float invBcPrev = count < s.CountTable.Length ? s.CountTable[count] : 1f;
            var op = new Op((float)b1, (float)(1 - b1), (float)b2, (float)(1 - b2), (float)eps, (float)epsRoot, invBcPrev, count <= 1);
            int n = b - a;
            OptaxLoop.Run(op, block.Updates.Slice(a - start, n), block.Parameters.Slice(a - start, n), s.A.Span.Slice(a, n), s.B!.Span.Slice(a, n));
            a = b;
        }
    }

    private readonly struct Op(float b1, float c1, float b2, float c2, float eps, float epsRoot, float invBcPrev, bool first) : IElementwiseOperator
    {
        public static int States => 2;

        public TV Invoke<TV>(TV g, TV p, ref TV m, ref TV v, ref TV c, ref TV d) where TV : struct, ILanes<TV>
        {
            // The denominator from the previous s (ŝ := 1 on the first step).
            var denominator = (first ? TV.Create(1f) : TV.Sqrt(v * TV.Create(invBcPrev))) + TV.Create(eps);
            m = TV.Create(b1) * m + TV.Create(c1) * g;
            var e = g - m;
            v = TV.Create(b2) * v + TV.Create(c2) * (e * e) + TV.Create(epsRoot);
            return g / denominator;
        }
    }
}

internal sealed class ScaleByAmsgradTransformation(double b1, double b2, double eps, double epsRoot, bool biasCorrectionMu, bool biasCorrectionNu)
    : OptaxElementwise("scale_by_amsgrad", ("mu", 0f), ("nu", 0f), ("nu_max", 0f))
{
    protected override void Prepare(OptaxState s, in StepInfo step)
    {
        s.S0 = biasCorrectionMu ? (float)(1 / Bc(b1, s.Count)) : 1f;
        s.S1 = biasCorrectionNu ? (float)(1 / Bc(b2, s.Count)) : 1f;
    }

    public override void Apply(TransformState? state, in Block block)
    {
        var s = (OptaxState)state!;
        var op = new Op((float)b1, (float)(1 - b1), (float)b2, (float)(1 - b2), (float)eps, (float)epsRoot, s.S0, s.S1);
        OptaxLoop.Run(op, block.Updates, block.Parameters, OptaxState.Slice(s.A, block), OptaxState.Slice(s.B, block), OptaxState.Slice(s.C, block));
    }

    private readonly struct Op(float b1, float c1, float b2, float c2, float eps, float epsRoot, float kMu, float kNu) : IElementwiseOperator
    {
        public static int States => 3;

        public TV Invoke<TV>(TV g, TV p, ref TV m, ref TV v, ref TV vMax, ref TV d) where TV : struct, ILanes<TV>
        {
            m = TV.Create(b1) * m + TV.Create(c1) * g;
            v = TV.Create(b2) * v + TV.Create(c2) * (g * g);
            vMax = TV.Max(vMax, v * TV.Create(kNu));
            return m * TV.Create(kMu) / (TV.Sqrt(vMax + TV.Create(epsRoot)) + TV.Create(eps));
        }
    }
}

internal sealed class ScaleByAdamaxTransformation(double b1, double b2, double eps)
    : OptaxElementwise("scale_by_adamax", ("mu", 0f), ("nu", 0f))
{
    protected override void Prepare(OptaxState s, in StepInfo step) => s.S0 = (float)(1 / Bc(b1, s.Count));

    public override void Apply(TransformState? state, in Block block)
    {
        var s = (OptaxState)state!;
        var op = new Op((float)b1, (float)(1 - b1), (float)b2, (float)eps, s.S0);
        OptaxLoop.Run(op, block.Updates, block.Parameters, OptaxState.Slice(s.A, block), OptaxState.Slice(s.B, block));
    }

    private readonly struct Op(float b1, float c1, float b2, float eps, float kMu) : IElementwiseOperator
    {
        public static int States => 2;

        public TV Invoke<TV>(TV g, TV p, ref TV m, ref TV v, ref TV c, ref TV d) where TV : struct, ILanes<TV>
        {
            m = TV.Create(b1) * m + TV.Create(c1) * g;
            v = TV.Max(TV.Abs(g) + TV.Create(eps), TV.Create(b2) * v);
            return m * TV.Create(kMu) / v;
        }
    }
}

internal sealed class ScaleByAdanTransformation(double b1, double b2, double b3, double eps, double epsRoot)
    : OptaxElementwise("scale_by_adan", ("m", 0f), ("v", 0f), ("n", 0f), ("g", 0f))
{
    protected override void Prepare(OptaxState s, in StepInfo step)
    {
        s.S0 = (float)(1 / Bc(b1, s.Count));
        s.S1 = (float)(1 / Bc(b2, s.Count));
        s.S2 = (float)(1 / Bc(b3, s.Count));
    }

    public override void Apply(TransformState? state, in Block block)
    {
        var s = (OptaxState)state!;
        var op = new Op((float)b1, (float)(1 - b1), (float)b2, (float)(1 - b2), (float)b3, (float)(1 - b3), (float)eps, (float)epsRoot,
            s.S0, s.S1, s.S2, s.First);
        OptaxLoop.Run(op, block.Updates, block.Parameters, OptaxState.Slice(s.A, block), OptaxState.Slice(s.B, block),
            OptaxState.Slice(s.C, block), OptaxState.Slice(s.D, block));
    }

    private readonly struct Op(float b1, float c1, float b2, float c2, float b3, float c3, float eps, float epsRoot,
        float k1, float k2, float k3, bool first) : IElementwiseOperator
    {
        public static int States => 4;

        public TV Invoke<TV>(TV g, TV p, ref TV m, ref TV v, ref TV n, ref TV prev) where TV : struct, ILanes<TV>
        {
            var diff = first ? TV.Create(0f) : g - prev;
            m = TV.Create(b1) * m + TV.Create(c1) * g;
            v = TV.Create(b2) * v + TV.Create(c2) * diff;
            var sq = g + TV.Create(c2) * diff;
            n = TV.Create(b3) * n + TV.Create(c3) * (sq * sq);
            prev = g;
            return (m * TV.Create(k1) + TV.Create(c2) * (v * TV.Create(k2))) / (TV.Sqrt(n * TV.Create(k3) + TV.Create(epsRoot)) + TV.Create(eps));
        }
    }
}

internal sealed class ScaleByYogiTransformation(double b1, double b2, double eps, double epsRoot, double initial)
    : OptaxElementwise("scale_by_yogi", ("mu", (float)initial), ("nu", (float)initial))
{
    protected override void Prepare(OptaxState s, in StepInfo step)
    {
        s.S0 = (float)(1 / Bc(b1, s.Count));
        s.S1 = (float)(1 / Bc(b2, s.Count));
    }

    public override void Apply(TransformState? state, in Block block)
    {
        var s = (OptaxState)state!;
        var op = new Op((float)b1, (float)(1 - b1), (float)(1 - b2), (float)eps, (float)epsRoot, s.S0, s.S1);
        OptaxLoop.Run(op, block.Updates, block.Parameters, OptaxState.Slice(s.A, block), OptaxState.Slice(s.B, block));
    }

    private readonly struct Op(float b1, float c1, float c2, float eps, float epsRoot, float kMu, float kNu) : IElementwiseOperator
    {
        public static int States => 2;

        public TV Invoke<TV>(TV g, TV p, ref TV m, ref TV v, ref TV c, ref TV d) where TV : struct, ILanes<TV>
        {
            m = TV.Create(b1) * m + TV.Create(c1) * g;
            var g2 = g * g;
            v = v - TV.Create(c2) * TV.Sign(v - g2) * g2;
            return m * TV.Create(kMu) / (TV.Sqrt(v * TV.Create(kNu) + TV.Create(epsRoot)) + TV.Create(eps));
        }
    }
}

internal sealed class ScaleByRadamTransformation(double b1, double b2, double eps, double epsRoot, double threshold, bool nesterov)
    : OptaxElementwise("scale_by_radam", ("mu", 0f), ("nu", 0f))
{
    // S0/S1: first-moment scales; S2: 1/(1 − β2ᵗ); S3: the rectification r, or NaN when not rectifying.
    protected override void Prepare(OptaxState s, in StepInfo step)
    {
        MomentScales.FirstMoment(s, b1, nesterov);
        long t = s.Count;
        double b2t = Math.Pow(b2, t);
        double roInf = 2 / (1 - b2) - 1;
        double ro = roInf - 2 * t * b2t / (1 - b2t);
        s.S2 = (float)(1 / (1 - b2t));
        s.S3 = ro >= threshold ? (float)Math.Sqrt((ro - 4) * (ro - 2) * roInf / ((roInf - 4) * (roInf - 2) * ro)) : float.NaN;
    }

    public override void Apply(TransformState? state, in Block block)
    {
        var s = (OptaxState)state!;
        var op = new Op((float)b1, (float)(1 - b1), (float)b2, (float)(1 - b2), (float)eps, (float)epsRoot, s.S0, s.S1, s.S2, s.S3);
        OptaxLoop.Run(op, block.Updates, block.Parameters, OptaxState.Slice(s.A, block), OptaxState.Slice(s.B, block));
    }

    private readonly struct Op(float b1, float c1, float b2, float c2, float eps, float epsRoot, float km, float kg, float invBc2, float r) : IElementwiseOperator
    {
        public static int States => 2;

        public TV Invoke<TV>(TV g, TV p, ref TV m, ref TV v, ref TV c, ref TV d) where TV : struct, ILanes<TV>
        {
            m = TV.Create(b1) * m + TV.Create(c1) * g;
            v = TV.Create(b2) * v + TV.Create(c2) * (g * g);
            var mHat = TV.Create(km) * m + TV.Create(kg) * g;
            if (float.IsNaN(r)) return mHat;
            return TV.Create(r) * mHat / (TV.Sqrt(v * TV.Create(invBc2) + TV.Create(epsRoot)) + TV.Create(eps));
        }
    }
}
