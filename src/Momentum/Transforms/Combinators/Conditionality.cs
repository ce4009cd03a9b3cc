using Momentum.Kernels;

namespace Momentum;

public static partial class Transforms
{
    /// <summary>
    /// Applies <paramref name="inner"/>'s step only when every update it produces is finite (Optax's
    /// <c>apply_if_finite</c>); a step with a NaN or ±∞ anywhere in the updates is rejected as a whole.
    /// </summary>
    /// <param name="inner">The optimizer to protect.</param>
    /// <param name="maxConsecutiveErrors">How many consecutive non-finite steps are rejected; the next one is applied (Optax "gives up"); ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxConsecutiveErrors"/> is negative.</exception>
    /// <remarks>
    /// <para>With <c>finite = all(isfinite(u))</c> over every parameter's update: <c>notfinite_count ← finite ? 0 :
    /// notfinite_count + 1</c>, <c>total_notfinite ← total_notfinite + (finite ? 0 : 1)</c>, <c>last_finite ← finite</c>.
    /// The step is applied if <c>finite</c> or <c>notfinite_count &gt; maxConsecutiveErrors</c>; otherwise the parameters
    /// do not move, the inner state (moments, counts) is restored to what it was before the step, the optimizer's
    /// <see cref="Optimizer.StepCount"/> does not advance and <see cref="Optimizer.Step(GradientSet, double)"/> returns false. The counters are
    /// in <see cref="ApplyIfFiniteState"/> (<see cref="Optimizer.GetWrapperState"/> with path <c>apply_if_finite</c>).</para>
    /// <para>Design: the inner chain's updates are materialized for all parameters before any is applied; the inner
    /// state of the step's parameters is copied before the chain runs and copied back on rejection (one extra read and
    /// write of the state per step). The engine's <see cref="NonFiniteGradients"/> check runs first: use
    /// <see cref="NonFiniteGradients.Propagate"/> to let non-finite gradients reach this wrapper. Must be the outermost
    /// transformation (it may wrap or be wrapped by other step wrappers).</para>
    /// </remarks>
    public static GradientTransformation ApplyIfFinite(GradientTransformation inner, int maxConsecutiveErrors)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfNegative(maxConsecutiveErrors);
        return new ApplyIfFiniteTransformation(inner, maxConsecutiveErrors);
    }
}

/// <summary>The counters of <see cref="Transforms.ApplyIfFinite"/> (Optax's <c>ApplyIfFiniteState</c>).</summary>
public sealed class ApplyIfFiniteState : WrapperState
{
    internal ApplyIfFiniteState()
    {
        AddScalar("notfinite_count", () => NotFiniteCount, v => NotFiniteCount = (long)v);
        AddScalar("last_finite", () => LastFinite ? 1 : 0, v => LastFinite = v != 0);
        AddScalar("total_notfinite", () => TotalNotFinite, v => TotalNotFinite = (long)v);
    }

    /// <summary>The number of consecutive steps with non-finite updates (0 after a finite one).</summary>
    public long NotFiniteCount { get; internal set; }

    /// <summary>Whether the last step's updates were all finite.</summary>
    public bool LastFinite { get; internal set; } = true;

    /// <summary>The total number of steps with non-finite updates.</summary>
    public long TotalNotFinite { get; internal set; }
}

/// <summary>See <see cref="Transforms.ApplyIfFinite"/>.</summary>
internal sealed class ApplyIfFiniteTransformation(GradientTransformation inner, int maxConsecutiveErrors) : StepWrapper(inner)
{
    public int MaxConsecutiveErrors => maxConsecutiveErrors;

    public override string Name => "apply_if_finite";

    internal override bool NeedsUpdates => true;

    internal override bool NeedsSnapshot => true;

    internal override WrapperState? CreateWrapperState() => new ApplyIfFiniteState();

    internal override bool AfterInner(in Optimizer.WrapperStep step)
    {
        bool finite = step.RunSegments(0) == 0;
        var s = (ApplyIfFiniteState)step.Global!;
        s.LastFinite = finite;
        if (finite)
        {
            s.NotFiniteCount = 0;
            return true;
        }
        if (s.NotFiniteCount < long.MaxValue) s.NotFiniteCount++;
        s.TotalNotFinite++;
        return s.NotFiniteCount > maxConsecutiveErrors;
    }

    internal override double RunSegment(int phase, TransformState? state, in WrapperSegment segment) =>
        VectorMath.IndexOfNonFinite(segment.Updates) >= 0 ? 1 : 0;
}
