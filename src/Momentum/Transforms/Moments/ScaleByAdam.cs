using System.Runtime.CompilerServices;
using Momentum.Kernels;

namespace Momentum;

public static partial class Transforms
{
    /// <summary>
    /// Rescales updates by Adam's moment estimates (Kingma and Ba, 2015, https://arxiv.org/abs/1412.6980), Optax's
    /// <c>scale_by_adam</c>; combined with <c>scale_by_learning_rate</c> it is Adam.
    /// </summary>
    /// <param name="b1">β1, the decay of the first moment, in [0, 1).</param>
    /// <param name="b2">β2, the decay of the second moment, in [0, 1).</param>
    /// <param name="eps">ε, added to the denominator outside the square root; ≥ 0.</param>
    /// <param name="epsRoot">ε_root, added to v̂ inside the square root (Optax); ≥ 0, usually 0.</param>
    /// <param name="amsgrad">Keep the running maximum of the raw second moment and divide by it (PyTorch's AMSGrad).</param>
    /// <param name="nesterov">Use Dozat's Nesterov form of the first moment (Optax's NAdam).</param>
    /// <param name="stepCounting">Which count t the bias corrections use: the tensor's (default), each row's, or none
    /// (bc1 = bc2 = 1, gsplat's SelectiveAdam); see docs/DYNAMIC.md.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>
    /// With t the parameter's own step count after increment (1 on its first step, PyTorch's per-parameter <c>step</c>):
    /// <c>m ← β1·m + (1−β1)·g</c>, <c>v ← β2·v + (1−β2)·g²</c>, <c>bc1 = 1−β1ᵗ</c>, <c>bc2 = 1−β2ᵗ</c>,
    /// <c>u = (m/bc1) / (√(v + ε_root·bc2)/√bc2 + ε)</c>, which is <c>m̂ / (√(v̂ + ε_root) + ε)</c>.
    /// With AMSGrad, <c>v_max ← max(v_max, v)</c> replaces v in the denominator. With Nesterov the numerator is
    /// <c>β1·m/(1−β1ᵗ⁺¹) + (1−β1)·g/(1−β1ᵗ)</c>. The bias corrections are computed once per step in double.
    /// State: m = v (= v_max) = 0 and count = 0. A NaN in g propagates to m, v and u.
    /// </remarks>
    public static GradientTransformation ScaleByAdam(double b1 = 0.9, double b2 = 0.999, double eps = 1e-8, double epsRoot = 0,
        bool amsgrad = false, bool nesterov = false, StepCounting stepCounting = StepCounting.PerTensor)
    {
        ValidateBetas(b1, b2);
        ValidateEpsilon(eps, nameof(eps));
        ValidateEpsilon(epsRoot, nameof(epsRoot));
        StepCounts.Validate(stepCounting, nameof(stepCounting));
        return new ScaleByAdamTransformation(b1, b2, eps, epsRoot, amsgrad, nesterov, stepCounting);
    }

    /// <summary>Checks β1 and β2 the way torch.optim does (finite and in [0, 1)), naming the index.</summary>
    internal static void ValidateBetas(double b1, double b2)
    {
        if (!double.IsFinite(b1) || b1 < 0 || b1 >= 1) ThrowHelper.ThrowInvalid("betas", "beta parameter at index 0", b1);
        if (!double.IsFinite(b2) || b2 < 0 || b2 >= 1) ThrowHelper.ThrowInvalid("betas", "beta parameter at index 1", b2);
    }

    /// <summary>Checks an epsilon: finite and ≥ 0.</summary>
    internal static void ValidateEpsilon(double eps, string paramName)
    {
        if (!double.IsFinite(eps) || eps < 0) ThrowHelper.ThrowInvalid(paramName, "epsilon value", eps);
    }
}

/// <summary>The state of <c>scale_by_adam</c> for one parameter.</summary>
internal sealed class ScaleByAdamState : TransformState
{
    public readonly RowBuffer Mu;
    public readonly RowBuffer Nu;
    public readonly RowBuffer? NuMax;
    public long Count;

    // This step's scalars, computed once in BeginStep.
    public float MomentScale, GradientScale, SqrtBc2, EpsRootTimesBc2;

    // Per-row counts (StepCounting.PerRow) and the step scalars by count; see ScaleByAdam.Rows.cs.
    public readonly RowBuffer? RowCounts;
    public AdamScalarTable? Table;

    public ScaleByAdamState(Parameter parameter, bool amsgrad, bool perRow = false) : base(parameter)
    {
        Mu = AddTensor("mu");
        Nu = AddTensor("nu");
        if (amsgrad) NuMax = AddTensor("nu_max");
        AddScalar("count", () => Count, v => Count = (long)v);
        if (perRow) RowCounts = AddRowCounter("row_count");
    }
}

/// <summary>Adam's moment rescaling; see <see cref="Transforms.ScaleByAdam"/>.</summary>
internal sealed partial class ScaleByAdamTransformation(double b1, double b2, double eps, double epsRoot, bool amsgrad, bool nesterov,
    StepCounting stepCounting = StepCounting.PerTensor)
    : ElementwiseTransformation, IFusedCore
{
    private readonly float _b1 = (float)b1, _c1 = (float)(1 - b1), _b2 = (float)b2, _c2 = (float)(1 - b2), _eps = (float)eps;

    bool IFusedCore.CanFuse => !amsgrad && stepCounting == StepCounting.PerTensor;

    bool IFusedCore.HasSecondMoment => true;

    int IFusedCore.StatePerSlot => 1;

    void IFusedCore.SetConstants(ref ChainScalars k) => (k.B1, k.C1, k.B2, k.C2, k.Eps) = (_b1, _c1, _b2, _c2, _eps);

    void IFusedCore.BeginFusedStep(TransformState state, in StepInfo step, ref AdamScalarMemo memo) => BeginStep((ScaleByAdamState)state, ref memo);

    void IFusedCore.PrepareFused(TransformState state, ref ChainScalars k)
    {
        var s = (ScaleByAdamState)state;
        (k.Km, k.Kg, k.SqrtBc2, k.EpsRoot) = (s.MomentScale, s.GradientScale, s.SqrtBc2, s.EpsRootTimesBc2);
    }

    FusedStateArrays IFusedCore.StateArrays(TransformState state)
    {
        var s = (ScaleByAdamState)state;
        return new(s.Mu.Data, s.Mu.Offset, s.Nu.Data, s.Nu.Offset);
    }

    void IFusedCore.RunFused(in ChainScalars k, ReadOnlySpan<float> g, Span<float> p, in FusedStateArrays state, int start, int length) =>
        FusedKernels.Adam(in k, g, p, new Span<float>(state.A, state.AAt + start, length), new Span<float>(state.B, state.BAt + start, length));

    public double B1 => b1;

    public double B2 => b2;

    public override string Name => "scale_by_adam";

    public StepCounting StepCounting => stepCounting;

    public override TransformState? CreateState(Parameter parameter) => new ScaleByAdamState(parameter, amsgrad, stepCounting == StepCounting.PerRow);

    public override void BeginStep(TransformState? state, in StepInfo step)
    {
        var s = (ScaleByAdamState)state!;
        long t = ++s.Count;
        if (stepCounting != StepCounting.PerTensor)
        {
            BeginCountedStep(s, in step);
            return;
        }
        Scalars(t, out s.MomentScale, out s.GradientScale, out s.SqrtBc2, out s.EpsRootTimesBc2);
    }

    /// <summary>
    /// <see cref="BeginStep(TransformState?, in StepInfo)"/> under per-tensor counting, taking the step scalars from <paramref name="memo"/> when it
    /// holds this transformation's scalars for the new count (parameters at the same count share them: the same values,
    /// the same bits), otherwise computing them and remembering them there. For the engine's specialized kernels.
    /// </summary>
    internal void BeginStep(ScaleByAdamState s, ref AdamScalarMemo memo)
    {
        long t = ++s.Count;
        if (!ReferenceEquals(memo.Transform, this) || memo.Count != t)
        {
            Scalars(t, out float momentScale, out float gradientScale, out float sqrtBc2, out float epsRootTimesBc2);
            memo = new AdamScalarMemo(this, t, momentScale, gradientScale, sqrtBc2, epsRootTimesBc2);
        }
        (s.MomentScale, s.GradientScale, s.SqrtBc2, s.EpsRootTimesBc2) = (memo.MomentScale, memo.GradientScale, memo.SqrtBc2, memo.EpsRootTimesBc2);
    }

    /// <summary>The step scalars for count t (t = 0: no bias correction).</summary>
    private void Scalars(long t, out float momentScale, out float gradientScale, out float sqrtBc2, out float epsRootTimesBc2)
    {
        double bc1 = t == 0 ? 1 : 1 - PowCache.Pow(b1, t);
        double bc2 = t == 0 ? 1 : 1 - PowCache.Pow(b2, t);
        if (nesterov)
        {
            momentScale = (float)(b1 / (t == 0 ? 1 : 1 - PowCache.Pow(b1, t + 1)));
            gradientScale = (float)((1 - b1) / bc1);
        }
        else
        {
            momentScale = (float)(1 / bc1);
            gradientScale = 0f;
        }
        sqrtBc2 = (float)Math.Sqrt(bc2);
        epsRootTimesBc2 = (float)(epsRoot * bc2);
    }

    public override void Apply(TransformState? state, in Block block)
    {
        var s = (ScaleByAdamState)state!;
        if (s.RowCounts is not null)
        {
            ApplyPerRow(s, in block);
            return;
        }
        int o = block.Offset, n = block.Length;
        var op = new AdamOperator(_b1, _c1, _b2, _c2, s.MomentScale, s.GradientScale, s.SqrtBc2, s.EpsRootTimesBc2, _eps);
        if (s.NuMax is null)
            ElementwiseLoop.Run(op, block.Updates, s.Mu.Span.Slice(o, n), s.Nu.Span.Slice(o, n), block.Parameters);
        else
            ElementwiseLoop.Run(new AmsgradOperator(op), block.Updates, s.Mu.Span.Slice(o, n), s.Nu.Span.Slice(o, n), s.NuMax.Span.Slice(o, n), block.Parameters);
    }

    /// <summary>m = β1·m + c1·g; v = β2·v + (c2·g)·g; u = (k_m·m + k_g·g) / (√(v + e_r)/√bc2 + ε).</summary>
    private readonly struct AdamOperator(float b1, float c1, float b2, float c2, float km, float kg, float sqrtBc2, float epsRoot, float eps)
        : IElementwiseOperator
    {
        public static int States => 2;

        public TV Invoke<TV>(TV g, TV p, ref TV m, ref TV v, ref TV c, ref TV d) where TV : struct, ILanes<TV>
        {
            Moments(g, ref m, ref v);
            return Output(g, m, v);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Moments<TV>(TV g, ref TV m, ref TV v) where TV : struct, ILanes<TV>
        {
            m = TV.Create(b1) * m + TV.Create(c1) * g;
            v = TV.Create(b2) * v + TV.Create(c2) * g * g;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Output<TV>(TV g, TV m, TV v) where TV : struct, ILanes<TV> =>
            (TV.Create(km) * m + TV.Create(kg) * g) / (TV.Sqrt(v + TV.Create(epsRoot)) / TV.Create(sqrtBc2) + TV.Create(eps));
    }

    /// <summary>As <see cref="AdamOperator"/>, dividing by v_max = max(v_max, v) of the raw second moment.</summary>
    private readonly struct AmsgradOperator(AdamOperator adam) : IElementwiseOperator
    {
        public static int States => 3;

        public TV Invoke<TV>(TV g, TV p, ref TV m, ref TV v, ref TV vMax, ref TV d) where TV : struct, ILanes<TV>
        {
            adam.Moments(g, ref m, ref v);
            vMax = TV.Max(vMax, v);
            return adam.Output(g, m, vMax);
        }
    }
}

/// <summary>The Adam step scalars a worker computed last, and for which transformation and count.</summary>
internal readonly record struct AdamScalarMemo(ScaleByAdamTransformation? Transform, long Count,
    float MomentScale, float GradientScale, float SqrtBc2, float EpsRootTimesBc2);
