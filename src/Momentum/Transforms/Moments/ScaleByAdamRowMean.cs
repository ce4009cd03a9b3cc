using Momentum.Kernels;

namespace Momentum;

public static partial class Transforms
{
    /// <summary>
    /// Adam with one second moment per row, the mean of the row's squared gradients (Adam-mini's block-mean second
    /// moment, Zhang et al., 2024, https://arxiv.org/abs/2406.16793, with each parameter row as a block; Brush keeps its
    /// spherical-harmonics coefficients' second moment this way).
    /// </summary>
    /// <param name="b1">β1, the first moment's decay, in [0, 1).</param>
    /// <param name="b2">β2, the row second moment's decay, in [0, 1).</param>
    /// <param name="eps">ε added to √v̂; ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>
    /// With t = count + 1 and n elements per row: <c>m = β1·m + (1−β1)·g</c> per element;
    /// <c>v_r = β2·v_r + (1−β2)·(Σⱼ g_rj²)/n</c> per row (each square in float, summed in double in index order);
    /// <c>u = (m/(1−β1ᵗ)) / (√v_r/√(1−β2ᵗ) + ε)</c>. State: <c>mu</c> (the parameter's shape), <c>nu_row</c> (one float
    /// per row; both follow row operations) and <c>count</c>, per tensor. A tensor transformation (the row mean needs the
    /// whole row); a NaN in a row's gradient propagates to that row's v and updates.
    /// </remarks>
    public static GradientTransformation ScaleByAdamRowMean(double b1 = 0.9, double b2 = 0.999, double eps = 1e-8)
    {
        OptaxGuard.Decay(b1, nameof(b1));
        OptaxGuard.Decay(b2, nameof(b2));
        OptaxGuard.NonNegative(eps, nameof(eps));
        return new ScaleByAdamRowMeanTransformation(b1, b2, eps);
    }
}

/// <summary>The state of <c>scale_by_adam_row_mean</c>: m per element, v per row, and the step count.</summary>
internal sealed class ScaleByAdamRowMeanState : TransformState
{
    public readonly RowBuffer Mu;
    public readonly RowBuffer NuRow;
    public long Count;

    public ScaleByAdamRowMeanState(Parameter parameter) : base(parameter)
    {
        Mu = AddTensor("mu");
        NuRow = AddRowTensor("nu_row");
        AddScalar("count", () => Count, v => Count = (long)v);
    }
}

internal sealed class ScaleByAdamRowMeanTransformation(double b1, double b2, double eps) : TensorTransformation
{
    private readonly double _b1d = b1, _b2d = b2;
    private readonly float _b1 = (float)b1, _c1 = (float)(1 - b1), _b2 = (float)b2, _c2 = (float)(1 - b2), _eps = (float)eps;

    public override string Name => "scale_by_adam_row_mean";

    public override TransformState? CreateState(Parameter parameter) => new ScaleByAdamRowMeanState(parameter);

    public override void Update(TransformState? state, Span<float> updates, ReadOnlySpan<float> parameters, in StepInfo step)
    {
        var s = (ScaleByAdamRowMeanState)state!;
        long t = ++s.Count;
        float scale1 = (float)(1 / (1 - PowCache.Pow(_b1d, t)));
        float sqrtBc2 = (float)Math.Sqrt(1 - PowCache.Pow(_b2d, t));
        var mu = s.Mu.Span;
        var nu = s.NuRow.Span;
        int rows = nu.Length;
        int n = rows == 0 ? 0 : updates.Length / rows;
        for (int r = 0; r < rows; r++)
        {
            var g = updates.Slice(r * n, n);
            var m = mu.Slice(r * n, n);
            double sum = 0;
            for (int j = 0; j < n; j++)
            {
                float gj = g[j];
                m[j] = _b1 * m[j] + _c1 * gj;
                sum += gj * gj;
            }
            float v = nu[r] = _b2 * nu[r] + _c2 * (float)(sum / n);
            float denominator = MathF.Sqrt(v) / sqrtBc2 + _eps;
            for (int j = 0; j < n; j++) g[j] = m[j] * scale1 / denominator;
        }
    }
}
