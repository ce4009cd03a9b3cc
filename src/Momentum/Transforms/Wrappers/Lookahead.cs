namespace Momentum;

public static partial class Transforms
{
    /// <summary>
    /// Lookahead (Zhang et al., 2019, https://arxiv.org/abs/1907.08610), Optax's <c>lookahead</c>: the parameters are
    /// the fast weights, stepped by <paramref name="fast"/>; every <paramref name="syncPeriod"/> steps the slow weights
    /// move toward them and the fast weights are reset to the slow ones.
    /// </summary>
    /// <param name="fast">The fast optimizer.</param>
    /// <param name="syncPeriod">k, the number of fast steps per synchronization; ≥ 1.</param>
    /// <param name="slowStepSize">α, the slow weights' step toward the fast weights; finite, in [0, 1].</param>
    /// <param name="resetState">Whether to reset the fast optimizer's state of a parameter when it synchronizes.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is out of range.</exception>
    /// <remarks>
    /// Per parameter, slow weights φ start at the parameter's values (Optax's <c>LookaheadParams.init_synced</c>). With
    /// θ the fast weights and u the fast optimizer's update: on the k-th step since the last synchronization,
    /// <c>d = (θ + u) − φ</c>, <c>φ ← φ + α·d</c> and <c>θ ← φ</c> (the update becomes <c>φ − θ</c>); on the other
    /// steps <c>θ ← θ + u</c>. Evaluate with <see cref="LookaheadSlowWeights"/>. In Optax the parameters are a
    /// <c>LookaheadParams(fast, slow)</c> pair; here the slow weights live in the state (slot <c>slow</c>), so the
    /// model trains on the fast weights as usual. The synchronization counter <c>steps_since_sync</c> is per parameter
    /// (a parameter steps only when it has a gradient, as everywhere in this library).
    /// </remarks>
    public static GradientTransformation Lookahead(GradientTransformation fast, int syncPeriod, double slowStepSize, bool resetState = false)
    {
        ArgumentNullException.ThrowIfNull(fast);
        ArgumentOutOfRangeException.ThrowIfLessThan(syncPeriod, 1);
        if (!double.IsFinite(slowStepSize) || slowStepSize < 0 || slowStepSize > 1) ThrowHelper.ThrowInvalid(nameof(slowStepSize), "slow_step_size", slowStepSize);
        return new LookaheadTransformation(fast, syncPeriod, slowStepSize, resetState);
    }

    /// <summary>The slow weights of <paramref name="parameter"/> under a <see cref="Lookahead"/> optimizer (the parameter's own values before its first step).</summary>
    /// <param name="optimizer">An optimizer whose transformation is a lookahead (possibly inside other step wrappers).</param>
    /// <param name="parameter">A parameter of the optimizer's set.</param>
    /// <exception cref="ArgumentException">The optimizer has no lookahead wrapper.</exception>
    public static ReadOnlySpan<float> LookaheadSlowWeights(Optimizer optimizer, Parameter parameter)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (optimizer.FindWrapper<LookaheadTransformation>() is null) ThrowHelper.ThrowArgument(nameof(optimizer), "The optimizer has no lookahead wrapper.");
        return optimizer.FindWrapperState<LookaheadTransformation>(parameter) is LookaheadState s ? s.Slow.Span : parameter.Values;
    }
}

/// <summary>The per-parameter state of <see cref="Transforms.Lookahead"/>.</summary>
internal sealed class LookaheadState : TransformState
{
    public readonly RowBuffer Slow;
    public long StepsSinceSync;
    public bool SyncNow;

    public LookaheadState(Parameter parameter) : base(parameter)
    {
        Slow = AddTensor("slow");
        parameter.Values.CopyTo(Slow.Span);
        AddScalar("steps_since_sync", () => StepsSinceSync, v => StepsSinceSync = (long)v);
    }
}

/// <summary>See <see cref="Transforms.Lookahead"/>.</summary>
internal sealed class LookaheadTransformation(GradientTransformation fast, int syncPeriod, double slowStepSize, bool resetState) : StepWrapper(fast)
{
    private readonly float _alpha = (float)slowStepSize;

    public override string Name => "lookahead";

    internal override bool NeedsUpdates => true;

    public override TransformState? CreateState(Parameter parameter) => new LookaheadState(parameter);

    internal override bool AfterInner(in Optimizer.WrapperStep step)
    {
        bool any = false;
        for (int a = 0; a < step.ActiveCount; a++)
        {
            var s = (LookaheadState)step.StateOf(step.ActiveIndex(a))!;
            s.SyncNow = s.StepsSinceSync == syncPeriod - 1;
            s.StepsSinceSync = (s.StepsSinceSync + 1) % syncPeriod;
            any |= s.SyncNow;
        }
        if (any) step.RunSegments(0);
        return true;
    }

    internal override void EndStep(in Optimizer.WrapperStep step, bool committed)
    {
        for (int a = 0; a < step.ActiveCount; a++)
        {
            int p = step.ActiveIndex(a);
            if (step.StateOf(p) is not LookaheadState { SyncNow: true } s) continue;
            s.SyncNow = false;
            if (resetState && committed) step.ResetInnerState(p);
        }
    }

    internal override double RunSegment(int phase, TransformState? state, in WrapperSegment segment)
    {
        var s = (LookaheadState)state!;
        if (!s.SyncNow) return 0;
        var slow = s.Slow.Span.Slice(segment.Offset, segment.Length);
        var u = segment.Updates;
        var theta = segment.Values;
        for (int i = 0; i < u.Length; i++)
        {
            float d = theta[i] + u[i] - slow[i];
            float φ = slow[i] + _alpha * d;
            slow[i] = φ;
            u[i] = φ - theta[i];
        }
        return 0;
    }
}
