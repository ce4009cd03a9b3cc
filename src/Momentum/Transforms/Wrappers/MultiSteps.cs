namespace Momentum;

public static partial class Transforms
{
    /// <summary>
    /// Gradient accumulation (Optax's <c>MultiSteps</c>): the gradients of <paramref name="everyK"/> calls are averaged
    /// (or summed) and <paramref name="inner"/> takes one step with them on the k-th call; the parameters do not move
    /// in between.
    /// </summary>
    /// <param name="inner">The optimizer that steps on the accumulated gradient.</param>
    /// <param name="everyK">k, the number of micro-steps per step; ≥ 1.</param>
    /// <param name="useGradMean">Average the gradients (true, Optax's default) or sum them.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="everyK"/> is less than 1.</exception>
    /// <remarks>
    /// Per parameter, with n its number of gradients since the last step: <c>acc ← acc + (g − acc)/n</c> (a running
    /// mean, as Optax's Welford update) or <c>acc ← acc + g</c>. On the k-th call (<c>mini_step = k − 1</c>) every
    /// parameter with n &gt; 0 steps with <c>acc</c> as its gradient, then acc and n are reset. Calls that do not emit
    /// leave the parameters, the inner state and <see cref="Optimizer.StepCount"/> unchanged (so schedules count inner
    /// steps, as Optax's inner state does) and return true. State: <see cref="MultiStepsState"/> (path
    /// <c>multi_steps</c>) and per parameter <c>acc_grads</c> and <c>count</c>. Must be the outermost transformation
    /// (it may be nested in other step wrappers).
    /// </remarks>
    public static GradientTransformation MultiSteps(GradientTransformation inner, int everyK, bool useGradMean = true)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfLessThan(everyK, 1);
        return new MultiStepsTransformation(inner, everyK, useGradMean);
    }
}

/// <summary>The optimizer-wide counters of <see cref="Transforms.MultiSteps"/>.</summary>
public sealed class MultiStepsState : WrapperState
{
    internal MultiStepsState()
    {
        AddScalar("mini_step", () => MiniStep, v => MiniStep = (long)v);
        AddScalar("gradient_step", () => GradientStep, v => GradientStep = (long)v);
    }

    /// <summary>The micro-step within the current accumulation (0 to k − 1).</summary>
    public long MiniStep { get; internal set; }

    /// <summary>The number of steps the inner optimizer has taken.</summary>
    public long GradientStep { get; internal set; }

    /// <summary>Whether the last call made the inner optimizer step (Optax's <c>has_updated</c>).</summary>
    public bool HasUpdated { get; internal set; }
}

/// <summary>The per-parameter accumulator of <see cref="Transforms.MultiSteps"/>.</summary>
internal sealed class MultiStepsParameterState : TransformState
{
    public readonly RowBuffer Accumulator;
    public long Count;

    public MultiStepsParameterState(Parameter parameter) : base(parameter)
    {
        Accumulator = AddTensor("acc_grads");
        AddScalar("count", () => Count, v => Count = (long)v);
    }
}

/// <summary>See <see cref="Transforms.MultiSteps"/>.</summary>
internal sealed class MultiStepsTransformation(GradientTransformation inner, int everyK, bool useGradMean) : StepWrapper(inner)
{
    public override string Name => "multi_steps";

    public override TransformState? CreateState(Parameter parameter) => new MultiStepsParameterState(parameter);

    internal override WrapperState? CreateWrapperState() => new MultiStepsState();

    internal override bool BeforeInner(in Optimizer.WrapperStep step)
    {
        for (int a = 0; a < step.ActiveCount; a++) ((MultiStepsParameterState)step.StateOf(step.ActiveIndex(a))!).Count++;
        step.RunSegments(0);
        var s = (MultiStepsState)step.Global!;
        if (s.MiniStep < everyK - 1)
        {
            s.MiniStep++;
            s.HasUpdated = false;
            return false;
        }
        s.MiniStep = 0;
        s.GradientStep++;
        s.HasUpdated = true;
        for (int p = 0; p < step.ParameterCount; p++)
            if (step.StateOf(p) is MultiStepsParameterState { Count: > 0 } ps) step.ReplaceGradient(p, ps.Accumulator);
        step.RebuildActive();
        return true;
    }

    internal override void EndStep(in Optimizer.WrapperStep step, bool committed)
    {
        var s = (MultiStepsState)step.Global!;
        if (!s.HasUpdated || s.MiniStep != 0) return;
        for (int p = 0; p < step.ParameterCount; p++)
        {
            if (step.StateOf(p) is not MultiStepsParameterState { Count: > 0 } ps) continue;
            ps.Accumulator.Span.Clear();
            ps.Count = 0;
        }
    }

    internal override double RunSegment(int phase, TransformState? state, in WrapperSegment segment)
    {
        var s = (MultiStepsParameterState)state!;
        var acc = s.Accumulator.Span.Slice(segment.Offset, segment.Length);
        var g = segment.Gradient;
        if (useGradMean)
        {
            float n = s.Count;
            for (int i = 0; i < acc.Length; i++) acc[i] += (g[i] - acc[i]) / n;
        }
        else
        {
            for (int i = 0; i < acc.Length; i++) acc[i] += g[i];
        }
        return 0;
    }
}
