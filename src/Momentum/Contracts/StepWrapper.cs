namespace Momentum;

/// <summary>
/// A transformation that wraps a whole optimizer step rather than one parameter's chain: it may decide before the inner
/// chain runs whether it runs at all (gradient accumulation), and it may see and change every parameter's update before
/// any is applied (rejecting non-finite updates, lookahead, schedule-free averaging). Wrappers must be the outermost
/// transformation given to an <see cref="Optimizer"/>; they may be nested in each other.
/// </summary>
/// <remarks>
/// The engine runs a wrapped step as: every wrapper's <see cref="BeforeInner"/>, outermost first (any may end the
/// step there: the parameters do not move); a snapshot of the inner state if a wrapper needs one; the inner chain into
/// materialized update buffers; every wrapper's <see cref="AfterInner"/>, innermost first (any may reject: the snapshot
/// is restored and nothing is applied); the updates are added to the parameters; <see cref="EndStep"/> of every wrapper.
/// Per-element work runs through <see cref="Optimizer.WrapperStep.RunSegments"/>, over the engine's fixed segments, so results
/// do not depend on the thread count.
/// </remarks>
public abstract class StepWrapper : GradientTransformation
{
    /// <summary>Creates a wrapper around <paramref name="inner"/>.</summary>
    /// <param name="inner">The wrapped transformation.</param>
    private protected StepWrapper(GradientTransformation inner) => Inner = inner ?? throw new ArgumentNullException(nameof(inner));

    /// <summary>The wrapped transformation.</summary>
    public GradientTransformation Inner { get; }

    /// <summary>Whether <see cref="AfterInner"/> must see the updates (they are then materialized).</summary>
    internal virtual bool NeedsUpdates => false;

    /// <summary>Whether the inner state must be saved before the inner chain runs, so that a rejected step restores it.</summary>
    internal virtual bool NeedsSnapshot => false;

    /// <summary>Creates the state this wrapper keeps once per optimizer (counters), or null.</summary>
    internal virtual WrapperState? CreateWrapperState() => null;

    /// <summary>
    /// Checks, before anything changes, that this step can be taken: evaluates the wrapper's own schedules at the count
    /// its hooks will use and throws <see cref="ArithmeticException"/> if one is not usable (the step is refused,
    /// nothing changed). Its per-parameter states may not exist yet (a parameter's first gradient). Changes nothing.
    /// </summary>
    internal virtual void ValidateStep(in Optimizer.WrapperStep step)
    {
    }

    /// <summary>
    /// Whether the inner chain will run in this step (false, say, for a gradient-accumulation micro-step), judged from
    /// the wrapper's state before <see cref="BeforeInner"/> changes it; the inner stages are validated only then.
    /// </summary>
    internal virtual bool InnerRuns(in Optimizer.WrapperStep step) => true;

    /// <summary>Runs before the inner chain; returns false to end the step there (nothing is applied).</summary>
    internal virtual bool BeforeInner(in Optimizer.WrapperStep step) => true;

    /// <summary>Runs after the inner chain computed the updates; returns false to reject them (the inner state is restored).</summary>
    internal virtual bool AfterInner(in Optimizer.WrapperStep step) => true;

    /// <summary>Runs at the end of every step, after the updates were applied (<paramref name="committed"/>) or not.</summary>
    internal virtual void EndStep(in Optimizer.WrapperStep step, bool committed)
    {
    }

    /// <summary>The per-element work of one phase on one segment of one parameter.</summary>
    /// <returns>A partial sum, combined over the segments in a fixed order by <see cref="Optimizer.WrapperStep.RunSegments"/>.</returns>
    internal virtual double RunSegment(int phase, TransformState? state, in WrapperSegment segment) => 0;

    internal sealed override void Expand(Parameter parameter, string path, List<Stage> stages) =>
        ThrowHelper.ThrowArgument("transformation", OutermostMessage(Name));

    /// <summary>Rejects a wrapper given to a combinator (chain, masked, partition, groups), where it could only fail at the first step.</summary>
    /// <exception cref="ArgumentException"><paramref name="transformation"/> is a step wrapper.</exception>
    internal static void ThrowIfWrapper(GradientTransformation transformation, string paramName)
    {
        if (transformation is StepWrapper wrapper) ThrowHelper.ThrowArgument(paramName, OutermostMessage(wrapper.Name));
    }

    private static string OutermostMessage(string name) =>
        $"'{name}' wraps whole steps and must be the outermost transformation given to the optimizer (wrappers may only be nested in each other).";
}

/// <summary>The state a <see cref="StepWrapper"/> keeps once per optimizer: named scalars, saved by name in checkpoints.</summary>
public abstract class WrapperState
{
    private readonly List<StateScalar> _scalars = [];

    /// <summary>The named scalars.</summary>
    public IReadOnlyList<StateScalar> Scalars => _scalars;

    /// <summary>Registers a scalar under a slot name.</summary>
    /// <param name="slot">The slot name.</param>
    /// <param name="get">Reads the value.</param>
    /// <param name="set">Writes the value.</param>
    protected void AddScalar(string slot, Func<double> get, Action<double> set) => _scalars.Add(new StateScalar(slot, get, set));
}

/// <summary>One segment (a piece of one parameter) given to <see cref="StepWrapper.RunSegment"/>.</summary>
internal readonly ref struct WrapperSegment(Span<float> gradient, Span<float> updates, Span<float> values, int offset)
{
    /// <summary>The step's gradient slice (read only by convention).</summary>
    public readonly Span<float> Gradient = gradient;

    /// <summary>The materialized updates slice (empty before the inner chain ran).</summary>
    public readonly Span<float> Updates = updates;

    /// <summary>The parameter values slice, before this step's update.</summary>
    public readonly Span<float> Values = values;

    /// <summary>The offset of the slice in the parameter (state tensors are sliced from here).</summary>
    public readonly int Offset = offset;

    /// <summary>The number of elements.</summary>
    public int Length => Values.Length;
}
