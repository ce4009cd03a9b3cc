namespace Momentum;

/// <summary>How <see cref="Schedules.PiecewiseInterpolate"/> interpolates between boundaries.</summary>
public enum Interpolation
{
    /// <summary><c>v = a + (b − a)·τ</c>.</summary>
    Linear,

    /// <summary><c>v = b + (a − b)/2·(cos(π·τ) + 1)</c>.</summary>
    Cosine,
}

public static partial class Schedules
{
    /// <summary>A step function (Optax's <c>piecewise_constant_schedule</c>).</summary>
    /// <param name="initValue">The value before the first boundary.</param>
    /// <param name="boundariesAndScales">Steps and scales; from each step on the value is multiplied by its scale
    /// (cumulatively). Steps ≥ 0, scales finite and ≥ 0; null or empty for a constant.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is not finite, a step is negative or a scale is negative.</exception>
    /// <remarks><c>v(t) = I·Π{sᵢ : bᵢ ≤ t}</c>, multiplied in increasing order of bᵢ.</remarks>
    public static Schedule PiecewiseConstant(double initValue, IReadOnlyDictionary<long, double>? boundariesAndScales = null)
    {
        Finite(initValue, "init_value");
        var (bounds, scales) = SortBoundaries(boundariesAndScales, "boundaries_and_scales");
        var values = new double[bounds.Length + 1];
        values[0] = initValue;
        for (int i = 0; i < bounds.Length; i++) values[i + 1] = values[i] * scales[i];
        return new PiecewiseConstantSchedule(bounds, values);
    }

    /// <summary>Interpolates between the cumulative products of scales at boundaries (Optax's <c>piecewise_interpolate_schedule</c>).</summary>
    /// <param name="interpolation">Linear or cosine interpolation.</param>
    /// <param name="initValue">The value at step 0.</param>
    /// <param name="boundariesAndScales">Steps and scales: at step bᵢ the value is <c>I·s₁·…·sᵢ</c>. Steps ≥ 0, scales ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is not finite, a step is negative or a scale is negative.</exception>
    /// <remarks>
    /// With <c>b₀ = 0</c>, <c>v₀ = I</c> and <c>vᵢ = vᵢ₋₁·sᵢ</c>: for <c>bᵢ ≤ t &lt; bᵢ₊₁</c>,
    /// <c>v(t) = interp(vᵢ, vᵢ₊₁, (t − bᵢ)/(bᵢ₊₁ − bᵢ))</c>; from the last boundary on, the last value.
    /// </remarks>
    public static Schedule PiecewiseInterpolate(Interpolation interpolation, double initValue, IReadOnlyDictionary<long, double>? boundariesAndScales = null)
    {
        if (!Enum.IsDefined(interpolation)) ThrowHelper.ThrowArgument("interpolate_type", $"'{interpolation}' is not an interpolation type.");
        Finite(initValue, "init_value");
        var (b, scales) = SortBoundaries(boundariesAndScales, "boundaries_and_scales");
        var bounds = new long[b.Length + 1];
        var values = new double[b.Length + 1];
        values[0] = initValue;
        for (int i = 0; i < b.Length; i++)
        {
            bounds[i + 1] = b[i];
            values[i + 1] = values[i] * scales[i];
        }
        return new PiecewiseInterpolateSchedule(interpolation == Interpolation.Cosine, bounds, values);
    }

    /// <summary>
    /// The one-cycle policy with linear pieces (Smith and Topin, 2017, https://arxiv.org/abs/1708.07120), Optax's
    /// <c>linear_onecycle_schedule</c>.
    /// </summary>
    /// <param name="transitionSteps">T, the cycle's length; &gt; 0.</param>
    /// <param name="peakValue">P, the peak.</param>
    /// <param name="pctStart">The fraction of T spent rising (default 0.3).</param>
    /// <param name="pctFinal">The fraction of T at which the fall back to the start value ends (default 0.85).</param>
    /// <param name="divFactor">d: the start value is P/d (default 25).</param>
    /// <param name="finalDivFactor">f: the final value is P/(d·f) (default 1e4).</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is not finite or positive where required.</exception>
    /// <remarks>Linear interpolation through P/d at 0, P at ⌊pctStart·T⌋, P/d at ⌊pctFinal·T⌋ and P/(d·f) at T.</remarks>
    public static Schedule LinearOneCycle(long transitionSteps, double peakValue, double pctStart = 0.3, double pctFinal = 0.85,
        double divFactor = 25, double finalDivFactor = 1e4)
    {
        Positive(transitionSteps, "transition_steps");
        ValidateOneCycle(peakValue, pctStart, divFactor, finalDivFactor);
        Finite(pctFinal, "pct_final");
        if (pctFinal < 0 || pctFinal > 1) ThrowHelper.ThrowArgumentOutOfRange("pct_final", pctFinal, "must be in [0, 1]");
        var scales = new Dictionary<long, double>
        {
            [(long)(pctStart * transitionSteps)] = divFactor,
        };
        scales[(long)(pctFinal * transitionSteps)] = 1 / divFactor;
        scales[transitionSteps] = 1 / finalDivFactor;
        return PiecewiseInterpolate(Interpolation.Linear, peakValue / divFactor, scales);
    }

    /// <summary>The one-cycle policy with cosine pieces, Optax's <c>cosine_onecycle_schedule</c>.</summary>
    /// <param name="transitionSteps">T, the cycle's length; &gt; 0.</param>
    /// <param name="peakValue">P, the peak.</param>
    /// <param name="pctStart">The fraction of T spent rising (default 0.3).</param>
    /// <param name="divFactor">d: the start value is P/d (default 25).</param>
    /// <param name="finalDivFactor">f: the final value is P/(d·f) (default 1e4).</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is not finite or positive where required.</exception>
    /// <remarks>Cosine interpolation through P/d at 0, P at ⌊pctStart·T⌋ and P/(d·f) at T.</remarks>
    public static Schedule CosineOneCycle(long transitionSteps, double peakValue, double pctStart = 0.3, double divFactor = 25, double finalDivFactor = 1e4)
    {
        Positive(transitionSteps, "transition_steps");
        ValidateOneCycle(peakValue, pctStart, divFactor, finalDivFactor);
        var scales = new Dictionary<long, double>
        {
            [(long)(pctStart * transitionSteps)] = divFactor,
        };
        scales[transitionSteps] = 1 / (divFactor * finalDivFactor);
        return PiecewiseInterpolate(Interpolation.Cosine, peakValue / divFactor, scales);
    }

    private static void ValidateOneCycle(double peakValue, double pctStart, double divFactor, double finalDivFactor)
    {
        Finite(peakValue, "peak_value");
        Finite(pctStart, "pct_start");
        if (pctStart < 0 || pctStart > 1) ThrowHelper.ThrowArgumentOutOfRange("pct_start", pctStart, "must be in [0, 1]");
        Finite(divFactor, "div_factor");
        if (divFactor <= 0) ThrowHelper.ThrowArgumentOutOfRange("div_factor", divFactor, "must be > 0");
        Finite(finalDivFactor, "final_div_factor");
        if (finalDivFactor <= 0) ThrowHelper.ThrowArgumentOutOfRange("final_div_factor", finalDivFactor, "must be > 0");
    }

    private static (long[] Bounds, double[] Scales) SortBoundaries(IReadOnlyDictionary<long, double>? boundariesAndScales, string paramName)
    {
        if (boundariesAndScales is null || boundariesAndScales.Count == 0) return ([], []);
        var sorted = boundariesAndScales.OrderBy(kv => kv.Key).ToArray();
        foreach (var (step, scale) in sorted)
        {
            if (step < 0) ThrowHelper.ThrowArgumentOutOfRange(paramName, step, "has a negative boundary");
            if (!double.IsFinite(scale) || scale < 0)
                ThrowHelper.ThrowArgument(paramName, $"{paramName}: the scale at boundary {step} must be finite and ≥ 0; got {ThrowHelper.Format(scale)}.");
        }
        return ([.. sorted.Select(kv => kv.Key)], [.. sorted.Select(kv => kv.Value)]);
    }
}

/// <summary><c>values[#{i : bounds[i] ≤ t}]</c>.</summary>
internal sealed class PiecewiseConstantSchedule(long[] bounds, double[] values) : Schedule
{
    public override bool IsConstant => bounds.Length == 0;

    public override double Evaluate(long step)
    {
        int i = 0;
        while (i < bounds.Length && step >= bounds[i]) i++;
        return values[i];
    }
}

/// <summary>Linear or cosine interpolation between (bounds[i], values[i]).</summary>
internal sealed class PiecewiseInterpolateSchedule(bool cosine, long[] bounds, double[] values) : Schedule
{
    public override double Evaluate(long step)
    {
        int last = bounds.Length - 1;
        if (step >= bounds[last]) return values[last];
        if (step < 0) return 0;
        for (int i = 0; i < last; i++)
        {
            if (step < bounds[i] || step >= bounds[i + 1]) continue;
            double pct = (double)(step - bounds[i]) / (bounds[i + 1] - bounds[i]);
            double start = values[i], end = values[i + 1];
            return cosine ? end + (start - end) / 2.0 * (Math.Cos(Math.PI * pct) + 1) : (end - start) * pct + start;
        }
        return values[last];
    }
}
