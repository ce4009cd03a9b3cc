using System.Runtime.CompilerServices;
using Momentum.Kernels;

namespace Momentum;

/// <summary>The engine side of <see cref="StepWrapper"/>: wrapped steps, wrapper state and snapshots.</summary>
public sealed partial class Optimizer : IWrapperHost
{
    private StepWrapper[] _wrappers = [];
    private string[] _wrapperPaths = [];
    private WrapperState?[] _wrapperGlobals = [];
    private TransformState?[][] _wrapperStates = [];
    private int _snapshotFrom = -1;
    private bool _needsUpdates;
    private WrapperBody? _wrapperBody;
    private readonly ConditionalWeakTable<TransformState, StateBackup> _backups = [];
    private readonly List<(TransformState State, StateBackup Backup)> _backedUp = [];
    private double[] _globalBackup = [];

    /// <summary>The innermost transformation below any <see cref="StepWrapper"/>s: the chain the plans expand.</summary>
    internal GradientTransformation Core { get; private set; } = null!;

    /// <summary>The state of the wrapper at <paramref name="path"/> (e.g. <c>apply_if_finite</c>), or null if it keeps none.</summary>
    /// <param name="path">The wrapper's path: its name, prefixed by the names of the wrappers around it (<c>apply_if_finite.multi_steps</c>).</param>
    public WrapperState? GetWrapperState(string path)
    {
        int w = Array.IndexOf(_wrapperPaths, path);
        return w < 0 ? null : _wrapperGlobals[w];
    }

    /// <summary>Every wrapper state that exists, with its path.</summary>
    public IEnumerable<(string Path, WrapperState State)> GlobalWrapperStates
    {
        get
        {
            for (int w = 0; w < _wrappers.Length; w++)
                if (_wrapperGlobals[w] is { } g) yield return (_wrapperPaths[w], g);
        }
    }

    /// <summary>The per-parameter state of the first wrapper of type <typeparamref name="T"/>, or null.</summary>
    internal TransformState? FindWrapperState<T>(Parameter parameter) where T : StepWrapper
    {
        Parameters.CheckOwns(parameter, nameof(parameter));
        for (int w = 0; w < _wrappers.Length; w++)
            if (_wrappers[w] is T)
                return parameter.Index < _wrapperStates[w].Length ? _wrapperStates[w][parameter.Index] : null;
        return null;
    }

    /// <summary>The first wrapper of type <typeparamref name="T"/>, or null.</summary>
    internal T? FindWrapper<T>() where T : StepWrapper
    {
        foreach (var w in _wrappers)
            if (w is T t) return t;
        return null;
    }

    private GradientTransformation UnwrapStepWrappers(GradientTransformation transformation)
    {
        var wrappers = new List<StepWrapper>();
        var paths = new List<string>();
        string path = "";
        while (transformation is StepWrapper wrapper)
        {
            path = GradientTransformation.Join(path, wrapper.Name);
            wrappers.Add(wrapper);
            paths.Add(path);
            transformation = wrapper.Inner;
        }
        _wrappers = [.. wrappers];
        _wrapperPaths = [.. paths];
        _wrapperGlobals = [.. wrappers.Select(w => w.CreateWrapperState())];
        _wrapperStates = [.. wrappers.Select(_ => Array.Empty<TransformState?>())];
        _snapshotFrom = wrappers.FindIndex(w => w.NeedsSnapshot);
        _needsUpdates = wrappers.Exists(w => w.NeedsUpdates);
        if (_wrappers.Length > 0) _wrapperBody = new WrapperBody(this);
        return transformation;
    }

    private IEnumerable<(Parameter Parameter, string Path, TransformState State)> WrapperStates()
    {
        for (int w = 0; w < _wrappers.Length; w++)
            for (int p = 0; p < _wrapperStates[w].Length; p++)
                if (_wrapperStates[w][p] is { } state) yield return (Parameters[p], _wrapperPaths[w], state);
    }

    private TransformState? FindWrapperState(int parameterIndex, string path)
    {
        int w = Array.IndexOf(_wrapperPaths, path);
        return w >= 0 && parameterIndex < _wrapperStates[w].Length ? _wrapperStates[w][parameterIndex] : null;
    }

    private void ResetWrapperStates(int parameterIndex)
    {
        foreach (var states in _wrapperStates)
            if (parameterIndex < states.Length) states[parameterIndex] = null;
    }

    private void EnsureWrapperStates(int w)
    {
        ref var states = ref _wrapperStates[w];
        if (states.Length < _plans.Count) Array.Resize(ref states, _plans.Count);
        for (int a = 0; a < _activeCount; a++)
        {
            int p = _active[a];
            states[p] ??= _wrappers[w].CreateState(_plans[p].Parameter);
        }
    }

    /// <summary>A step through the wrappers; see <see cref="StepWrapper"/>.</summary>
    private bool StepWrapped(GradientSet gradients, double loss)
    {
        CollectActive(gradients);
        if (Options.NonFiniteGradients != NonFiniteGradients.Propagate && !CheckFinite(gradients)) return false;
        // The validation phase: the wrappers' own schedules, then (when the inner chain will run) its stages'; whatever
        // throws here, no wrapper or stage state has changed yet.
        bool innerRuns = true;
        for (int w = 0; w < _wrappers.Length && innerRuns; w++)
        {
            var step = new WrapperStep(this, w, loss);
            _wrappers[w].ValidateStep(in step);
            innerRuns = _wrappers[w].InnerRuns(in step);
        }
        if (innerRuns) ValidateActive(loss);
        for (int w = 0; w < _wrappers.Length; w++)
        {
            EnsureWrapperStates(w);
            BuildWorkItems();
            if (!_wrappers[w].BeforeInner(new WrapperStep(this, w, loss)))
            {
                EndWrappers(loss, committed: false);
                return true;
            }
        }
        for (int w = 0; w < _wrappers.Length; w++) EnsureWrapperStates(w);
        for (int a = 0; a < _activeCount; a++) _plans[_active[a]].EnsureState();
        if (_snapshotFrom >= 0) TakeSnapshot();
        for (int a = 0; a < _activeCount; a++)
        {
            var plan = _plans[_active[a]];
            BeginGeneric(plan, new StepInfo(StepCount, plan.Parameter, loss));
        }
        BuildWorkItems();
        if (!_needsUpdates)
        {
            if (IsFused) RunFused(gradients, loss, gradientsReduced: false, begun: false);
            else RunMaterialized(gradients, loss);
        }
        else
        {
            RunMaterialized(gradients, loss, apply: false);
            for (int w = _wrappers.Length - 1; w >= 0; w--)
            {
                if (_wrappers[w].AfterInner(new WrapperStep(this, w, loss))) continue;
                RestoreSnapshot();
                EndWrappers(loss, committed: false);
                return false;
            }
            _body.Mode = BodyMode.ApplyUpdates;
            WorkerPool.Shared.Run(_body, _segments.ItemCount, Options.Threads);
        }
        StepCount++;
        EndWrappers(loss, committed: true);
        return true;
    }

    private void EndWrappers(double loss, bool committed)
    {
        for (int w = _wrappers.Length - 1; w >= 0; w--) _wrappers[w].EndStep(new WrapperStep(this, w, loss), committed);
    }

    /// <summary>Saves the inner state (the chain's state and that of wrappers inside the outermost snapshotting wrapper) of the active parameters.</summary>
    private void TakeSnapshot()
    {
        _backedUp.Clear();
        for (int a = 0; a < _activeCount; a++)
        {
            int p = _active[a];
            foreach (var state in _plans[p].States!)
                if (state is not null) Backup(state);
            for (int w = _snapshotFrom + 1; w < _wrappers.Length; w++)
                if (_wrapperStates[w][p] is { } ws) Backup(ws);
        }
        int n = 0;
        for (int w = _snapshotFrom + 1; w < _wrappers.Length; w++) n += _wrapperGlobals[w]?.Scalars.Count ?? 0;
        if (_globalBackup.Length < n) _globalBackup = new double[n];
        n = 0;
        for (int w = _snapshotFrom + 1; w < _wrappers.Length; w++)
            if (_wrapperGlobals[w] is { } g)
                foreach (var scalar in g.Scalars) _globalBackup[n++] = scalar.Get();
    }

    private void Backup(TransformState state)
    {
        var backup = _backups.GetValue(state, s => new StateBackup(s));
        for (int i = 0; i < state.Tensors.Count; i++)
        {
            var span = state.Tensors[i].Buffer.Span;
            if (backup.Tensors[i].Length < span.Length) backup.Tensors[i] = new float[span.Length];
            span.CopyTo(backup.Tensors[i]);
        }
        for (int i = 0; i < state.Scalars.Count; i++) backup.Scalars[i] = state.Scalars[i].Get();
        _backedUp.Add((state, backup));
    }

    private void RestoreSnapshot()
    {
        foreach (var (state, backup) in _backedUp)
        {
            for (int i = 0; i < state.Tensors.Count; i++)
            {
                var span = state.Tensors[i].Buffer.Span;
                backup.Tensors[i].AsSpan(0, span.Length).CopyTo(span);
            }
            for (int i = 0; i < state.Scalars.Count; i++) state.Scalars[i].Set(backup.Scalars[i]);
        }
        int n = 0;
        for (int w = _snapshotFrom + 1; w < _wrappers.Length; w++)
            if (_wrapperGlobals[w] is { } g)
                foreach (var scalar in g.Scalars) scalar.Set(_globalBackup[n++]);
    }

    private sealed class StateBackup(TransformState state)
    {
        public readonly float[][] Tensors = [.. state.Tensors.Select(_ => Array.Empty<float>())];
        public readonly double[] Scalars = new double[state.Scalars.Count];
    }

    /// <summary>Runs a wrapper's per-element phase over the segments of the active parameters.</summary>
    private sealed class WrapperBody(Optimizer owner) : IParallelBody
    {
        public int Wrapper;
        public int Phase;

        public void Run(int item, int worker)
        {
            var o = owner;
            var wrapper = o._wrappers[Wrapper];
            var states = o._wrapperStates[Wrapper];
            for (int s = o._segments.ItemFirst[item], end = o._segments.ItemFirst[item + 1]; s < end; s++)
            {
                var plan = o._plans[o._segments.Parameter[s]];
                int start = o._segments.Start[s], length = o._segments.Length[s];
                var segment = new WrapperSegment(
                    plan.Gradient!.Span.Slice(start, length),
                    plan.Updates is { } u && u.Length == plan.Parameter.Length ? u.Span.Slice(start, length) : default,
                    plan.Parameter.Values.Slice(start, length),
                    start);
                o._segments.Partial[s] = wrapper.RunSegment(Phase, states[plan.Parameter.Index], in segment);
            }
        }
    }

    /// <summary>What a <see cref="StepWrapper"/> sees of the step being taken (the members of <see cref="IWrapperHost"/> for one wrapper).</summary>
    internal readonly struct WrapperStep(IWrapperHost host, int wrapper, double loss)
    {
        /// <summary>The loss passed to the step (NaN if none).</summary>
        public double Loss => loss;

        /// <summary>The optimizer's step count (applied steps before this one).</summary>
        public long StepCount => host.StepCount;

        /// <summary>This wrapper's optimizer-wide state.</summary>
        public WrapperState? Global => host.WrapperGlobal(wrapper);

        /// <summary>The number of parameters taking part in the step.</summary>
        public int ActiveCount => host.ActiveCount;

        /// <summary>The index of the i-th active parameter.</summary>
        public int ActiveIndex(int i) => host.ActiveIndex(i);

        /// <summary>This wrapper's state for parameter <paramref name="index"/> (null if it has none).</summary>
        public TransformState? StateOf(int index) => host.WrapperStateOf(wrapper, index);

        /// <summary>The number of parameters of the set.</summary>
        public int ParameterCount => host.ParameterCount;

        /// <summary>Runs <see cref="StepWrapper.RunSegment"/> for phase <paramref name="phase"/> over every segment; returns the sum of the partials in segment order.</summary>
        public double RunSegments(int phase) => host.RunWrapperSegments(wrapper, phase);

        /// <summary>Makes <paramref name="gradient"/> parameter <paramref name="index"/>'s gradient for the rest of the step.</summary>
        public void ReplaceGradient(int index, RowBuffer gradient) => host.ReplaceGradient(index, gradient);

        /// <summary>Recomputes the active parameters (those with a gradient) and the work items after gradients were replaced.</summary>
        public void RebuildActive() => host.RebuildActive();

        /// <summary>Drops the inner chain's state of parameter <paramref name="index"/>: it starts afresh at its next step.</summary>
        public void ResetInnerState(int index) => host.ResetInnerState(index);
    }

    long IWrapperHost.StepCount => StepCount;

    WrapperState? IWrapperHost.WrapperGlobal(int wrapper) => _wrapperGlobals[wrapper];

    int IWrapperHost.ActiveCount => _activeCount;

    int IWrapperHost.ActiveIndex(int i) => _active[i];

    TransformState? IWrapperHost.WrapperStateOf(int wrapper, int index) =>
        index < _wrapperStates[wrapper].Length ? _wrapperStates[wrapper][index] : null;

    int IWrapperHost.ParameterCount => _plans.Count;

    double IWrapperHost.RunWrapperSegments(int wrapper, int phase)
    {
        var body = _wrapperBody!;
        body.Wrapper = wrapper;
        body.Phase = phase;
        WorkerPool.Shared.Run(body, _segments.ItemCount, Options.Threads);
        if (Collective is not null) return FoldWrapperSumAcrossRanks();
        double total = 0;
        for (int s = 0; s < _segments.Count; s++) total += _segments.Partial[s];
        return total;
    }

    void IWrapperHost.ReplaceGradient(int index, RowBuffer gradient) => _plans[index].Gradient = gradient;

    void IWrapperHost.RebuildActive()
    {
        _activeCount = 0;
        for (int i = 0; i < _plans.Count; i++)
            if (_plans[i].Gradient is not null) _active[_activeCount++] = i;
        BuildWorkItems();
    }

    void IWrapperHost.ResetInnerState(int index) => _plans[index].States = null;
}

/// <summary>
/// What the hooks of a <see cref="StepWrapper"/> can see and do of the step being taken, through
/// <see cref="Optimizer.WrapperStep"/>: the engine implements it, and so can a test's reference stepper that runs the same
/// wrapper protocol on its own state. Parameters are named by their index in the set; wrappers by their position,
/// outermost first.
/// </summary>
internal interface IWrapperHost
{
    /// <summary>The optimizer's step count (applied steps before this one).</summary>
    long StepCount { get; }

    /// <summary>The number of parameters taking part in the step.</summary>
    int ActiveCount { get; }

    /// <summary>The number of parameters of the set.</summary>
    int ParameterCount { get; }

    /// <summary>Wrapper <paramref name="wrapper"/>'s optimizer-wide state (null if it keeps none).</summary>
    WrapperState? WrapperGlobal(int wrapper);

    /// <summary>The index of the i-th active parameter.</summary>
    int ActiveIndex(int i);

    /// <summary>Wrapper <paramref name="wrapper"/>'s state for parameter <paramref name="index"/> (null if it has none).</summary>
    TransformState? WrapperStateOf(int wrapper, int index);

    /// <summary>Runs <see cref="StepWrapper.RunSegment"/> of wrapper <paramref name="wrapper"/> for <paramref name="phase"/> over
    /// the segments of the active parameters (pieces of at most <c>ChunkLength</c> elements, each parameter cut at multiples of
    /// it); returns the partial sums added in segment order.</summary>
    double RunWrapperSegments(int wrapper, int phase);

    /// <summary>Makes <paramref name="gradient"/> parameter <paramref name="index"/>'s gradient for the rest of the step.</summary>
    void ReplaceGradient(int index, RowBuffer gradient);

    /// <summary>Recomputes the active parameters (those with a gradient) after gradients were replaced.</summary>
    void RebuildActive();

    /// <summary>Drops the inner chain's state of parameter <paramref name="index"/>: it starts afresh at its next step.</summary>
    void ResetInnerState(int index);
}

public sealed partial class Optimizer
{
    /// <summary>The wrapper paths, outermost first, for checkpointing.</summary>
    internal IReadOnlyList<string> WrapperPaths => _wrapperPaths;

    /// <summary>The optimizer-wide state of wrapper <paramref name="w"/> (null if it keeps none), for checkpointing.</summary>
    internal WrapperState? WrapperGlobalAt(int w) => _wrapperGlobals[w];

    /// <summary>Wrapper <paramref name="w"/>'s state for a parameter (null if none yet), for checkpointing.</summary>
    internal TransformState? WrapperStateAt(int w, int parameterIndex) =>
        parameterIndex < _wrapperStates[w].Length ? _wrapperStates[w][parameterIndex] : null;

    /// <summary>Creates a fresh wrapper state for a parameter without attaching it.</summary>
    internal TransformState? CreateDetachedWrapperState(int w, int parameterIndex) => _wrappers[w].CreateState(Parameters[parameterIndex]);

    /// <summary>Attaches (or drops, with null) wrapper <paramref name="w"/>'s state for a parameter.</summary>
    internal void AttachWrapperState(int w, int parameterIndex, TransformState? state)
    {
        ref var states = ref _wrapperStates[w];
        if (states.Length < Parameters.Count) Array.Resize(ref states, Parameters.Count);
        states[parameterIndex] = state;
    }
}
