using Momentum.Kernels;

namespace Momentum;

public static partial class Transforms
{
    /// <summary>
    /// Scales the updates down when the loss stops improving (Optax's <c>contrib.reduce_on_plateau</c>); driven by the
    /// loss passed to <see cref="Optimizer.Step(GradientSet, double)"/>. Put it last in a chain.
    /// </summary>
    /// <param name="factor">The reduction factor, in (0, 1).</param>
    /// <param name="patience">Accumulations without improvement before the scale is reduced; ≥ 0.</param>
    /// <param name="rtol">Relative tolerance for a new best, in [0, 1].</param>
    /// <param name="atol">Absolute tolerance, ≥ 0; rtol and atol may not both be 0.</param>
    /// <param name="cooldown">Accumulations to wait after a reduction; ≥ 0.</param>
    /// <param name="accumulationSize">The number of losses averaged before each decision; ≥ 1.</param>
    /// <param name="minScale">The smallest scale; ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is out of range.</exception>
    /// <remarks>
    /// Each step: <c>avg ← (count·avg + loss)/(count + 1)</c>, <c>count ← count + 1</c>. When count reaches
    /// accumulationSize: improved if <c>avg &lt; (1 − rtol)·best − atol</c> (then best ← avg and plateau_count ← 0, else
    /// plateau_count + 1); in cooldown, plateau_count ← 0 and cooldown_count − 1; otherwise when plateau_count reaches
    /// patience, <c>scale ← max(scale·factor, min_scale)</c>, plateau_count ← 0 and cooldown_count ← cooldown; then
    /// count and avg reset. The output is <c>scale·u</c>. State (per parameter; every parameter that takes part in a
    /// step sees the same loss, so the copies agree when all parameters step together, as in Optax): scale (1),
    /// best_value (+∞), plateau_count, cooldown_count, count, avg_value. A step without a loss (NaN) counts as no
    /// improvement, as NaN does in Optax: always pass the loss.
    /// </remarks>
    public static GradientTransformation ReduceOnPlateau(double factor = 0.1, int patience = 10, double rtol = 1e-4, double atol = 0, int cooldown = 0,
        int accumulationSize = 1, double minScale = 0)
    {
        if (!double.IsFinite(factor) || factor <= 0 || factor >= 1) ThrowHelper.ThrowInvalid(nameof(factor), "factor (must be in (0, 1))", factor);
        ArgumentOutOfRangeException.ThrowIfNegative(patience);
        if (!double.IsFinite(rtol) || rtol < 0 || rtol > 1) ThrowHelper.ThrowInvalid(nameof(rtol), "rtol (must be in [0, 1])", rtol);
        if (!double.IsFinite(atol) || atol < 0) ThrowHelper.ThrowInvalid(nameof(atol), "atol", atol);
        if (rtol == 0 && atol == 0) ThrowHelper.ThrowArgument(nameof(rtol), "At least one of rtol or atol must be positive.");
        ArgumentOutOfRangeException.ThrowIfNegative(cooldown);
        ArgumentOutOfRangeException.ThrowIfLessThan(accumulationSize, 1);
        if (!double.IsFinite(minScale) || minScale < 0) ThrowHelper.ThrowInvalid(nameof(minScale), "min_scale", minScale);
        return new ReduceOnPlateauTransformation(factor, patience, rtol, atol, cooldown, accumulationSize, minScale);
    }
}

/// <summary>The state of <c>reduce_on_plateau</c>.</summary>
internal sealed class ReduceOnPlateauState : TransformState
{
    public double Scale = 1, BestValue = double.PositiveInfinity, AvgValue;
    public long PlateauCount, CooldownCount, Count;

    public ReduceOnPlateauState(Parameter parameter) : base(parameter)
    {
        AddScalar("scale", () => Scale, v => Scale = v);
        AddScalar("best_value", () => BestValue, v => BestValue = v);
        AddScalar("plateau_count", () => PlateauCount, v => PlateauCount = (long)v);
        AddScalar("cooldown_count", () => CooldownCount, v => CooldownCount = (long)v);
        AddScalar("count", () => Count, v => Count = (long)v);
        AddScalar("avg_value", () => AvgValue, v => AvgValue = v);
    }
}

/// <summary>See <see cref="Transforms.ReduceOnPlateau"/>.</summary>
internal sealed class ReduceOnPlateauTransformation(double factor, int patience, double rtol, double atol, int cooldown, int accumulationSize, double minScale)
    : ElementwiseTransformation
{
    public override string Name => "reduce_on_plateau";

    public override TransformState? CreateState(Parameter parameter) => new ReduceOnPlateauState(parameter);

    public override void BeginStep(TransformState? state, in StepInfo step)
    {
        var s = (ReduceOnPlateauState)state!;
        long newCount = s.Count + 1;
        s.AvgValue = (s.Count * s.AvgValue + step.Loss) / newCount;
        s.Count = newCount;
        if (newCount != accumulationSize) return;
        bool improved = s.AvgValue < (1 - rtol) * s.BestValue - atol;
        if (improved) s.BestValue = s.AvgValue;
        long plateau = improved ? 0 : s.PlateauCount + 1;
        if (s.CooldownCount > 0)
        {
            s.PlateauCount = 0;
            s.CooldownCount--;
        }
        else
        {
            bool reduce = plateau == patience;
            s.PlateauCount = reduce ? 0 : plateau;
            s.Scale = Math.Max(reduce ? s.Scale * factor : s.Scale, minScale);
            s.CooldownCount = reduce ? cooldown : 0;
        }
        s.Count = 0;
        s.AvgValue = 0;
    }

    public override void Apply(TransformState? state, in Block block)
    {
        float scale = (float)((ReduceOnPlateauState)state!).Scale;
        if (scale != 1f) VectorMath.Scale(block.Updates, scale);
    }
}
