namespace Momentum;

public sealed partial class Optimizer
{
    /// <summary>The stages of a parameter, for checkpointing.</summary>
    internal IReadOnlyList<(string Path, GradientTransformation Transform)> StagesAt(int parameterIndex)
    {
        SyncPlans();
        return [.. _plans[parameterIndex].Stages.Select(s => (s.Path, s.Transform))];
    }

    /// <summary>The states of a parameter (null if it has none yet), for checkpointing.</summary>
    internal TransformState?[]? StatesAt(int parameterIndex)
    {
        SyncPlans();
        return _plans[parameterIndex].States;
    }

    /// <summary>Creates fresh states for a parameter without attaching them.</summary>
    internal TransformState?[] CreateDetachedStates(int parameterIndex)
    {
        SyncPlans();
        return _plans[parameterIndex].CreateStates();
    }

    /// <summary>Attaches states (or drops them, with null) for a parameter.</summary>
    internal void AttachStates(int parameterIndex, TransformState?[]? states)
    {
        SyncPlans();
        _plans[parameterIndex].States = states;
    }
}
