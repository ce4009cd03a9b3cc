using Momentum.Kernels;

namespace Momentum;

public static partial class Transforms
{
    /// <summary>
    /// Rescales updates by Adafactor's factored second moment (Shazeer and Stern, 2018, https://arxiv.org/abs/1804.04235),
    /// Optax's <c>scale_by_factored_rms</c>.
    /// </summary>
    /// <param name="factored">Whether to factor the second moment of tensors with two large dimensions.</param>
    /// <param name="decayRate">The exponent c of the decay schedule <c>β̂_t = 1 − (k+1)^(−c)</c> (default 0.8); finite and ≥ 0.</param>
    /// <param name="stepOffset">k = count − stepOffset (for fine-tuning); ≥ 0.</param>
    /// <param name="minDimSizeToFactor">Factor only when the second-largest dimension is at least this (default 128); ≥ 1.</param>
    /// <param name="epsilon">ε, added to g² (default 1e-30); finite and ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>
    /// With k = count − offset (0 on the first step), <c>β̂ = 1 − (k+1)^(−c)</c>, so β̂ = 0 at first. For a tensor of
    /// rank ≥ 2 whose second-largest dimension d1 is ≥ minDimSizeToFactor (largest d0; ties go to the later axis):
    /// <c>R ← β̂R + (1−β̂)·mean_{d0}(g² + ε)</c>, <c>C ← β̂C + (1−β̂)·mean_{d1}(g² + ε)</c>,
    /// <c>u = g · (R/mean_{d1}(R))^(−½) · C^(−½)</c> (broadcast back). Otherwise <c>v ← β̂v + (1−β̂)(g² + ε)</c>,
    /// <c>u = g·v^(−½)</c>. Means are summed in double. A tensor transformation; factored statistics do not follow row
    /// operations.
    /// </remarks>
    public static GradientTransformation ScaleByFactoredRms(bool factored = true, double decayRate = 0.8, long stepOffset = 0,
        int minDimSizeToFactor = 128, double epsilon = 1e-30)
    {
        OptaxGuard.NonNegative(decayRate, nameof(decayRate));
        if (stepOffset < 0) ThrowHelper.ThrowInvalid(nameof(stepOffset), "step_offset value (must be ≥ 0)", stepOffset);
        if (minDimSizeToFactor < 1) ThrowHelper.ThrowInvalid(nameof(minDimSizeToFactor), "min_dim_size_to_factor value (must be ≥ 1)", minDimSizeToFactor);
        OptaxGuard.NonNegative(epsilon, nameof(epsilon));
        return new ScaleByFactoredRmsTransformation(factored, decayRate, stepOffset, minDimSizeToFactor, epsilon);
    }
}

/// <summary>
/// The state of <c>scale_by_factored_rms</c>: either the full v, or the factored R (<c>v_row</c>) and C (<c>v_col</c>),
/// with the tensor viewed as [P, Na, Q, Nb, R'] around its two factored axes a &lt; b.
/// </summary>
internal sealed class FactoredRmsState : TransformState
{
    public readonly RowBuffer? V, VRow, VCol;
    public readonly double[] SumRow = [], SumCol = [], RowMean = [];
    public readonly int P, Na, Q, Nb, Rr, Rows;
    public readonly bool LargestIsB;
    public long Count;

    public FactoredRmsState(Parameter parameter, bool factored, int minDimSizeToFactor) : base(parameter)
    {
        AddScalar("count", () => Count, v => Count = (long)v);
        var shape = parameter.Shape;
        Rows = parameter.Rows;
        if (!factored || shape.Length < 2 || !TryFactor(shape, minDimSizeToFactor, out int d1, out int d0))
        {
            V = AddTensor("v");
            return;
        }
        int a = Math.Min(d0, d1), b = Math.Max(d0, d1);
        LargestIsB = d0 == b;
        P = Product(shape, 0, a);
        Na = shape[a];
        Q = Product(shape, a + 1, b);
        Nb = shape[b];
        Rr = Product(shape, b + 1, shape.Length);
        int noA = P * Q * Nb * Rr, noB = P * Na * Q * Rr;
        // v_row drops the largest axis d0; v_col drops d1.
        int rowLength = LargestIsB ? noB : noA, colLength = LargestIsB ? noA : noB;
        VRow = AddOtherTensor("v_row", 1, rowLength);
        VCol = AddOtherTensor("v_col", 1, colLength);
        SumRow = new double[rowLength];
        SumCol = new double[colLength];
        RowMean = new double[P * Q * Rr];
    }

    /// <summary>Optax's <c>_factored_dims</c>: (second-largest, largest) axis by a stable sort of the sizes.</summary>
    private static bool TryFactor(int[] shape, int minDim, out int d1, out int d0)
    {
        var order = Enumerable.Range(0, shape.Length).OrderBy(i => shape[i]).ToArray();
        d1 = order[^2];
        d0 = order[^1];
        return shape[d1] >= minDim;
    }

    private static int Product(int[] shape, int from, int to)
    {
        int p = 1;
        for (int i = from; i < to; i++) p *= shape[i];
        return p;
    }
}

internal sealed class ScaleByFactoredRmsTransformation(bool factored, double decayRate, long stepOffset, int minDimSizeToFactor, double epsilon)
    : TensorTransformation
{
    public override string Name => "scale_by_factored_rms";

    public override TransformState? CreateState(Parameter parameter) => new FactoredRmsState(parameter, factored, minDimSizeToFactor);

    public override void Update(TransformState? state, Span<float> updates, ReadOnlySpan<float> parameters, in StepInfo step)
    {
        var s = (FactoredRmsState)state!;
        double k = s.Count - stepOffset;
        s.Count++;
        float beta = (float)(1 - Math.Pow(k + 1, -decayRate));
        float eps = (float)epsilon;
        if (s.V is not null)
        {
            OptaxLoop.Run(new FullOp(beta, 1 - beta, eps), updates, parameters, s.V.Span);
            return;
        }
        if (s.Parameter.Rows != s.Rows)
            ThrowHelper.ThrowInvalidOperation($"scale_by_factored_rms: parameter '{s.Parameter.Name}' changed its rows; factored statistics cannot follow row operations.");
        Array.Clear(s.SumRow);
        Array.Clear(s.SumCol);
        Array.Clear(s.RowMean);
        bool bLargest = s.LargestIsB;
        int e = 0;
        for (int p = 0; p < s.P; p++)
            for (int i = 0; i < s.Na; i++)
                for (int q = 0; q < s.Q; q++)
                    for (int j = 0; j < s.Nb; j++)
                        for (int r = 0; r < s.Rr; r++, e++)
                        {
                            float g = updates[e];
                            double sq = g * g + eps;
                            int noA = ((p * s.Q + q) * s.Nb + j) * s.Rr + r, noB = ((p * s.Na + i) * s.Q + q) * s.Rr + r;
                            s.SumRow[bLargest ? noB : noA] += sq;
                            s.SumCol[bLargest ? noA : noB] += sq;
                        }
        // Means over the dropped axis, then the moving averages.
        var vRow = s.VRow!.Span;
        var vCol = s.VCol!.Span;
        double rowCount = bLargest ? s.Nb : s.Na, colCount = bLargest ? s.Na : s.Nb;
        for (int x = 0; x < vRow.Length; x++) vRow[x] = beta * vRow[x] + (1 - beta) * (float)(s.SumRow[x] / rowCount);
        for (int x = 0; x < vCol.Length; x++) vCol[x] = beta * vCol[x] + (1 - beta) * (float)(s.SumCol[x] / colCount);
        // Mean of v_row over d1 (the axis v_row keeps of the two), per (p, q, r).
        int d1Count = bLargest ? s.Na : s.Nb;
        for (int p = 0; p < s.P; p++)
            for (int x = 0; x < d1Count; x++)
                for (int q = 0; q < s.Q; q++)
                    for (int r = 0; r < s.Rr; r++)
                        s.RowMean[(p * s.Q + q) * s.Rr + r] += vRow[bLargest ? ((p * s.Na + x) * s.Q + q) * s.Rr + r : ((p * s.Q + q) * s.Nb + x) * s.Rr + r];
        for (int x = 0; x < s.RowMean.Length; x++) s.RowMean[x] /= d1Count;
        e = 0;
        for (int p = 0; p < s.P; p++)
            for (int i = 0; i < s.Na; i++)
                for (int q = 0; q < s.Q; q++)
                    for (int j = 0; j < s.Nb; j++)
                        for (int r = 0; r < s.Rr; r++, e++)
                        {
                            int noA = ((p * s.Q + q) * s.Nb + j) * s.Rr + r, noB = ((p * s.Na + i) * s.Q + q) * s.Rr + r;
                            float row = vRow[bLargest ? noB : noA], col = vCol[bLargest ? noA : noB];
                            float mean = (float)s.RowMean[(p * s.Q + q) * s.Rr + r];
                            updates[e] = updates[e] * (1f / MathF.Sqrt(row / mean)) * (1f / MathF.Sqrt(col));
                        }
    }

    /// <summary>v = β̂·v + (1−β̂)·(g² + ε); u = g·v^(−½).</summary>
    private readonly struct FullOp(float beta, float gain, float eps) : IElementwiseOperator
    {
        public static int States => 1;

        public TV Invoke<TV>(TV g, TV p, ref TV v, ref TV b, ref TV c, ref TV d) where TV : struct, ILanes<TV>
        {
            v = TV.Create(beta) * v + TV.Create(gain) * (g * g + TV.Create(eps));
            return g * (TV.Create(1f) / TV.Sqrt(v));
        }
    }
}
