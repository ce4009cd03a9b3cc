namespace Momentum.Tests.Conformance;

/// <summary>
/// A deliberately simple optimizer that runs the same transformations as <see cref="Optimizer"/> and must give the same
/// bits: one parameter at a time in parameter order, on one thread, with no fusion, no shared slabs, no one-pass
/// kernels and no cached collection. The engine's results are checked against it (<see cref="DifferentialTests"/>).
/// </summary>
/// <remarks>
/// <para>What it models, from the documented contracts (docs/ARCHITECTURE.md, docs/DYNAMIC.md, <see cref="StepWrapper"/>):
/// a parameter without a gradient is skipped entirely, a zero gradient is a real step; state is created at a parameter's
/// first gradient; every stage of every active parameter is begun (<c>BeginStep</c>) before any element is processed; the
/// non-finite policy scans the active gradients in parameter then index order before anything changes; combinators
/// (chains, masks, partitions, parameter groups) expand per parameter, and the stages run in rounds split at each
/// reduction or tensor stage, every active parameter finishing a round before the next begins (so a reduction over all
/// parameters sees every update of its round); then <c>θ += u</c>.</para>
/// <para>Element-wise stages run one element at a time (<see cref="ElementwiseTransformation.Apply"/> on blocks of
/// length 1, so the engine's vector bodies are compared with the transformations' scalar tails). A reduction's partial
/// sums are taken over the engine's fixed segments, in double, and added in segment order: in a full step each
/// parameter is cut at multiples of <see cref="Optimizer.ChunkLength"/> (whatever the thread count or the packing of
/// small tensors into work items); in a selective step the selected rows are cut as the engine packs them (runs of
/// consecutive rows, one work item filled up to <see cref="Optimizer.ChunkLength"/> elements after another, across
/// parameters). Tensor stages get the whole tensor.</para>
/// <para>Whole-step wrappers (<see cref="StepWrapper"/>) run through the same hooks as in the engine, in the documented
/// order: <c>BeforeInner</c> outermost first, a snapshot of the inner state when a wrapper asks for one, the inner chain,
/// <c>AfterInner</c> innermost first (a rejection restores the snapshot), the updates applied, <c>EndStep</c>. The
/// reference is their <see cref="IWrapperHost"/>: its <c>RunWrapperSegments</c> cuts the parameters as a full step does.
/// The wrappers' own arithmetic (their <c>RunSegment</c> phases) is therefore shared with the engine, as the other
/// transformations' <c>Apply</c> is; what the comparison checks is the engine's orchestration around them.</para>
/// <para>A step that throws (a non-finite gradient under <see cref="NonFiniteGradients.Throw"/>, a learning rate or
/// weight decay that is not finite at this step, checked for every active stage before any state is created or begun)
/// changes nothing here: the whole state is restored before the exception leaves. Row operations remap the
/// parameter and every tensor of every state that supports them, as documented. Checkpoints are the engine's concern:
/// a save and load must leave the engine equal to a reference that did nothing.</para>
/// </remarks>
internal sealed class ReferenceStepper : IWrapperHost
{
    private readonly Plan[] _plans;
    private readonly StepWrapper[] _wrappers;
    private readonly string[] _wrapperPaths;
    private readonly WrapperState?[] _globals;
    private readonly TransformState?[][] _wrapperStates;
    private readonly int _snapshotFrom;
    private readonly bool _needsUpdates;
    private readonly NonFiniteGradients _policy;

    // The step being taken.
    private readonly RowBuffer?[] _gradient;
    private readonly float[]?[] _updates;
    private readonly List<int> _active = [];
    private bool _updatesReady;
    private List<(TransformState State, float[][] Tensors, double[] Scalars)> _snapshot = [];
    private List<(WrapperState State, double[] Scalars)> _globalSnapshot = [];

    /// <summary>Builds the reference for parameters with the given names, shapes and values.</summary>
    /// <param name="transformation">The transformation; give the reference its own instance (schedules may keep state).</param>
    /// <param name="parameters">The parameters, in order.</param>
    /// <param name="policy">The non-finite gradient policy.</param>
    public ReferenceStepper(GradientTransformation transformation, IReadOnlyList<ParameterSpec> parameters, NonFiniteGradients policy)
    {
        _policy = policy;
        Parameters = new ParameterSet();
        foreach (var spec in parameters)
        {
            var p = Parameters.Add(spec.Name, spec.Shape);
            OwnStorage(p);
            spec.Values.CopyTo(p.Values);
        }

        var wrappers = new List<StepWrapper>();
        var paths = new List<string>();
        string path = "";
        while (transformation is StepWrapper wrapper)
        {
            path = path.Length == 0 ? wrapper.Name : path + "." + wrapper.Name;
            wrappers.Add(wrapper);
            paths.Add(path);
            transformation = wrapper.Inner;
        }
        _wrappers = [.. wrappers];
        _wrapperPaths = [.. paths];
        _globals = [.. wrappers.Select(w => w.CreateWrapperState())];
        _wrapperStates = [.. wrappers.Select(_ => new TransformState?[Parameters.Count])];
        _snapshotFrom = wrappers.FindIndex(w => w.NeedsSnapshot);
        _needsUpdates = wrappers.Exists(w => w.NeedsUpdates);

        var globalRounds = new Dictionary<GradientTransformation, int>(ReferenceEqualityComparer.Instance);
        _plans = [.. Parameters.Select(p => new Plan(p, transformation, globalRounds))];
        _gradient = new RowBuffer?[Parameters.Count];
        _updates = new float[]?[Parameters.Count];
    }

    /// <summary>The reference's own parameters (same names, shapes and values as the engine's).</summary>
    public ParameterSet Parameters { get; }

    /// <summary>Applied steps, as <see cref="Optimizer.StepCount"/>.</summary>
    public long StepCount { get; private set; }

    /// <summary>Steps skipped for non-finite gradients, as <see cref="Optimizer.SkippedSteps"/>.</summary>
    public long SkippedSteps { get; private set; }

    /// <summary>Whether every parameter's chain is element-wise with reductions only at its head (the engine's <see cref="Optimizer.IsFused"/>).</summary>
    public bool IsFused => Array.TrueForAll(_plans, p => p.Fusable);

    /// <summary>A full step; <paramref name="gradients"/> holds, per parameter, its gradient or null for none.</summary>
    public bool Step(IReadOnlyList<float[]?> gradients, double loss = double.NaN) =>
        Atomically(() => _wrappers.Length > 0 ? StepWrapped(gradients, loss) : StepPlain(gradients, null, loss));

    /// <summary>A selective step: parameters with an entry in <paramref name="selection"/> (sorted, unique rows) update those rows only.</summary>
    public bool Step(IReadOnlyList<float[]?> gradients, IReadOnlyDictionary<int, int[]> selection, double loss = double.NaN)
    {
        if (_wrappers.Length > 0) throw new InvalidOperationException($"A selective step does not support whole-step wrappers such as '{_wrappers[0].Name}'.");
        if (!IsFused) throw new InvalidOperationException("A selective step needs a chain of element-wise stages.");
        return Atomically(() => StepPlain(gradients, selection, loss));
    }

    /// <summary>Applies a row plan to the parameters at <paramref name="group"/> and every state tensor they have.</summary>
    public void ApplyRowPlan(RowPlan plan, params int[] group)
    {
        foreach (int index in group)
        {
            var p = Parameters[index];
            if (p.Rank == 0) throw new ArgumentException($"Parameter '{p.Name}' is a scalar and has no rows to change.", nameof(group));
            if (p.Rows != plan.RowsBefore) throw new ArgumentException($"Parameter '{p.Name}' has {p.Rows} rows, the plan {plan.RowsBefore}.", nameof(group));
            foreach (var state in StatesOf(index))
                if (!state.SupportsRowOperations) throw new NotSupportedException($"A state of '{p.Name}' is not per-row.");
        }
        if (plan.IsIdentity) return;
        int[] values = plan.ValueSources(), states = plan.StateSources();
        foreach (int index in group)
        {
            Remap(Parameters[index].Storage, values, 0f);
            foreach (var state in StatesOf(index))
                foreach (var t in state.Tensors) Remap(t.Buffer, states, t.Initial);
        }
    }

    /// <summary>As <see cref="Optimizer.ResetAll(ResetMode)"/>.</summary>
    public void ResetAll(ResetMode mode)
    {
        for (int p = 0; p < _plans.Length; p++)
        {
            if (mode == ResetMode.FreshOptimizer)
            {
                _plans[p].States = null;
                foreach (var states in _wrapperStates) states[p] = null;
                continue;
            }
            foreach (var state in StatesOf(p))
                foreach (var t in state.Tensors)
                    if (!t.IsCounter) t.Buffer.Fill(t.Initial);
        }
    }

    /// <summary>Every value, state tensor and scalar, named as <see cref="StateSnapshot.Of(Optimizer)"/> names the engine's.</summary>
    public StateSnapshot Snapshot()
    {
        var snapshot = new StateSnapshot();
        foreach (var p in Parameters) snapshot.AddParameter(p, _plans[p.Index].States is not null);
        foreach (var plan in _plans)
        {
            if (plan.States is null) continue;
            for (int s = 0; s < plan.Stages.Length; s++)
                if (plan.States[s] is { } state) snapshot.AddState(plan.Parameter, plan.Stages[s].Path, state);
        }
        for (int w = 0; w < _wrappers.Length; w++)
            for (int p = 0; p < _plans.Length; p++)
                if (_wrapperStates[w][p] is { } state) snapshot.AddState(Parameters[p], _wrapperPaths[w], state);
        for (int w = 0; w < _wrappers.Length; w++)
            if (_globals[w] is { } global) snapshot.AddGlobal(_wrapperPaths[w], global);
        snapshot.AddCounters(StepCount, SkippedSteps);
        return snapshot;
    }

    private bool StepPlain(IReadOnlyList<float[]?> gradients, IReadOnlyDictionary<int, int[]>? selection, double loss)
    {
        Collect(gradients);
        if (selection is not null)
        {
            foreach (int p in _active)
                if (selection.TryGetValue(p, out var rows) && rows.Length > 0 && rows[^1] >= Parameters[p].Rows)
                    throw new ArgumentException($"Row {rows[^1]} is selected for parameter '{Parameters[p].Name}', which now has {Parameters[p].Rows} rows.", nameof(selection));
        }
        if (_policy != NonFiniteGradients.Propagate && !CheckFinite(selection)) return false;
        CheckStepValues(selection, loss);
        foreach (int p in _active) _plans[p].EnsureState();
        foreach (int p in _active)
        {
            var plan = _plans[p];
            var info = selection is not null && selection.TryGetValue(p, out var rows)
                ? new StepInfo(StepCount, plan.Parameter, loss, rows)
                : new StepInfo(StepCount, plan.Parameter, loss);
            for (int s = 0; s < plan.Stages.Length; s++) plan.Stages[s].Transform.BeginStep(plan.States![s], in info);
        }
        RunInner(selection, loss);
        ApplyUpdates(selection);
        StepCount++;
        return true;
    }

    private bool StepWrapped(IReadOnlyList<float[]?> gradients, double loss)
    {
        Collect(gradients);
        if (_policy != NonFiniteGradients.Propagate && !CheckFinite(null)) return false;
        // The wrappers' own checks, then the inner stages' when the inner chain will run: all before anything changes.
        bool innerRuns = true;
        for (int w = 0; w < _wrappers.Length && innerRuns; w++)
        {
            var check = new Optimizer.WrapperStep(this, w, loss);
            _wrappers[w].ValidateStep(in check);
            innerRuns = _wrappers[w].InnerRuns(in check);
        }
        if (innerRuns) CheckStepValues(null, loss);
        for (int w = 0; w < _wrappers.Length; w++)
        {
            EnsureWrapperStates(w);
            if (!_wrappers[w].BeforeInner(new Optimizer.WrapperStep(this, w, loss)))
            {
                EndWrappers(loss, committed: false);
                return true;
            }
        }
        for (int w = 0; w < _wrappers.Length; w++) EnsureWrapperStates(w);
        foreach (int p in _active) _plans[p].EnsureState();
        if (_snapshotFrom >= 0) TakeSnapshot();
        foreach (int p in _active)
        {
            var plan = _plans[p];
            var info = new StepInfo(StepCount, plan.Parameter, loss);
            for (int s = 0; s < plan.Stages.Length; s++) plan.Stages[s].Transform.BeginStep(plan.States![s], in info);
        }
        RunInner(null, loss);
        if (_needsUpdates)
        {
            _updatesReady = true;
            for (int w = _wrappers.Length - 1; w >= 0; w--)
            {
                if (_wrappers[w].AfterInner(new Optimizer.WrapperStep(this, w, loss))) continue;
                RestoreSnapshot();
                EndWrappers(loss, committed: false);
                return false;
            }
        }
        ApplyUpdates(null);
        StepCount++;
        EndWrappers(loss, committed: true);
        return true;
    }

    private void EndWrappers(double loss, bool committed)
    {
        for (int w = _wrappers.Length - 1; w >= 0; w--) _wrappers[w].EndStep(new Optimizer.WrapperStep(this, w, loss), committed);
    }

    private void EnsureWrapperStates(int w)
    {
        foreach (int p in _active) _wrapperStates[w][p] ??= _wrappers[w].CreateState(Parameters[p]);
    }

    /// <summary>This step's gradients (copies) and the active parameters, in order.</summary>
    private void Collect(IReadOnlyList<float[]?> gradients)
    {
        _active.Clear();
        _updatesReady = false;
        for (int p = 0; p < _plans.Length; p++)
        {
            _updates[p] = null;
            _gradient[p] = null;
            if (gradients[p] is not { } g) continue;
            var parameter = Parameters[p];
            if (g.Length != parameter.Length) throw new ArgumentException($"The gradient of '{parameter.Name}' has {g.Length} elements, the parameter {parameter.Length}.");
            var buffer = new RowBuffer(parameter.Rows, parameter.RowLength);
            g.CopyTo(buffer.Span);
            _gradient[p] = buffer;
            _active.Add(p);
        }
    }

    private bool CheckFinite(IReadOnlyDictionary<int, int[]>? selection)
    {
        foreach (int p in _active)
        {
            var g = _gradient[p]!.Span;
            int rowLength = Parameters[p].RowLength;
            int[] rows = selection is not null && selection.TryGetValue(p, out var selected) ? selected : [.. Enumerable.Range(0, Parameters[p].Rows)];
            foreach (int r in rows)
            {
                for (int i = r * rowLength; i < (r + 1) * rowLength; i++)
                {
                    if (float.IsFinite(g[i])) continue;
                    if (_policy == NonFiniteGradients.Throw) throw new NonFiniteGradientException(Parameters[p].Name, i, g[i]);
                    SkippedSteps++;
                    return false;
                }
            }
        }
        return true;
    }

    /// <summary>
    /// Refuses the step (<see cref="ArithmeticException"/>) when a stage of an active parameter's chain does not accept
    /// it (<see cref="GradientTransformation.ValidateStep"/>: a learning rate or weight decay that is not finite at this
    /// step, say), as a non-finite gradient refuses it: before any state exists or changes.
    /// </summary>
    private void CheckStepValues(IReadOnlyDictionary<int, int[]>? selection, double loss)
    {
        foreach (int p in _active)
        {
            var plan = _plans[p];
            var info = selection is not null && selection.TryGetValue(p, out var rows)
                ? new StepInfo(StepCount, plan.Parameter, loss, rows)
                : new StepInfo(StepCount, plan.Parameter, loss);
            for (int s = 0; s < plan.Stages.Length; s++) plan.Stages[s].Transform.ValidateStep(plan.States?[s], in info);
        }
    }

    /// <summary>The active parameters' chains, round by round; leaves the updates in <see cref="_updates"/>.</summary>
    private void RunInner(IReadOnlyDictionary<int, int[]>? selection, double loss)
    {
        foreach (int p in _active) _updates[p] = _gradient[p]!.Span.ToArray();
        int rounds = _active.Count == 0 ? 0 : _active.Max(p => _plans[p].RunStarts.Length);
        var segments = Segments(selection);
        for (int round = 0; round < rounds; round++)
        {
            // Partial sums per segment, in double, added in segment order: per parameter, or per group of a reduction
            // over all parameters.
            var groupTotals = new Dictionary<GradientTransformation, double>(ReferenceEqualityComparer.Instance);
            var ownTotals = new double[_plans.Length];
            foreach (var (p, start, length) in segments)
            {
                if (Head(p, round) is not ReducingTransformation reducing) continue;
                double partial = reducing.Reduce(_updates[p].AsSpan(start, length));
                if (reducing.Scope == ReductionScope.AllParameters) groupTotals[reducing] = groupTotals.GetValueOrDefault(reducing) + partial;
                else ownTotals[p] += partial;
            }
            foreach (int p in _active)
            {
                var plan = _plans[p];
                var info = new StepInfo(StepCount, plan.Parameter, loss);
                switch (Head(p, round))
                {
                    case ReducingTransformation reducing:
                        double total = reducing.Scope == ReductionScope.AllParameters ? groupTotals.GetValueOrDefault(reducing) : ownTotals[p];
                        reducing.Finish(plan.States![plan.RunStarts[round]], total, in info);
                        break;
                    case TensorTransformation tensor:
                        tensor.Update(plan.States![plan.RunStarts[round]], _updates[p], plan.Parameter.Values, in info);
                        break;
                }
            }
            foreach (var (p, start, length) in segments)
            {
                var plan = _plans[p];
                if (round >= plan.RunStarts.Length) continue;
                int first = plan.RunStarts[round];
                int last = round + 1 < plan.RunStarts.Length ? plan.RunStarts[round + 1] : plan.Stages.Length;
                if (plan.Stages[first].Transform is TensorTransformation) first++;
                var u = _updates[p].AsSpan();
                var values = plan.Parameter.Values;
                for (int k = first; k < last; k++)
                {
                    var stage = (ElementwiseTransformation)plan.Stages[k].Transform;
                    var state = plan.States![k];
                    for (int i = start; i < start + length; i++) stage.Apply(state, new Block(u.Slice(i, 1), values.Slice(i, 1), i));
                }
            }
        }
    }

    private GradientTransformation? Head(int p, int round)
    {
        var plan = _plans[p];
        return round < plan.RunStarts.Length ? plan.Stages[plan.RunStarts[round]].Transform : null;
    }

    private void ApplyUpdates(IReadOnlyDictionary<int, int[]>? selection)
    {
        foreach (var (p, start, length) in Segments(selection))
        {
            var values = Parameters[p].Values;
            var u = _updates[p]!;
            for (int i = start; i < start + length; i++) values[i] = values[i] + u[i];
        }
    }

    /// <summary>
    /// The engine's segments of this step, in order: in a full step each active parameter cut at multiples of
    /// <see cref="Optimizer.ChunkLength"/>; in a selective step the runs of consecutive selected rows (or the whole
    /// parameter, without an entry), packed into work items of up to <see cref="Optimizer.ChunkLength"/> elements.
    /// </summary>
    private List<(int Parameter, int Start, int Length)> Segments(IReadOnlyDictionary<int, int[]>? selection)
    {
        var segments = new List<(int, int, int)>();
        int open = 0;
        foreach (int p in _active)
        {
            int length = Parameters[p].Length, rowLength = Parameters[p].RowLength;
            if (selection is null)
            {
                for (int start = 0; start < length; start += Optimizer.ChunkLength) segments.Add((p, start, Math.Min(Optimizer.ChunkLength, length - start)));
                continue;
            }
            if (!selection.TryGetValue(p, out var rows))
            {
                Pack(p, 0, length);
                continue;
            }
            for (int i = 0; i < rows.Length;)
            {
                int j = i + 1;
                while (j < rows.Length && rows[j] == rows[j - 1] + 1) j++;
                Pack(p, rows[i] * rowLength, (rows[j - 1] - rows[i] + 1) * rowLength);
                i = j;
            }
        }
        return segments;

        void Pack(int p, int start, int length)
        {
            while (length > 0)
            {
                int take = Math.Min(length, Optimizer.ChunkLength - open);
                segments.Add((p, start, take));
                (open, start, length) = (open + take, start + take, length - take);
                if (open >= Optimizer.ChunkLength) open = 0;
            }
        }
    }

    /// <summary>Every state of parameter <paramref name="p"/>: its stages', then its step wrappers'.</summary>
    private IEnumerable<TransformState> StatesOf(int p)
    {
        if (_plans[p].States is { } states)
            foreach (var state in states)
                if (state is not null) yield return state;
        foreach (var wrapperStates in _wrapperStates)
            if (wrapperStates[p] is { } state) yield return state;
    }

    /// <summary>The snapshot a <see cref="StepWrapper.NeedsSnapshot"/> wrapper restores on rejection: the inner state of the
    /// active parameters, with that of the wrappers inside it.</summary>
    private void TakeSnapshot()
    {
        _snapshot = [];
        foreach (int p in _active)
        {
            foreach (var state in _plans[p].States!)
                if (state is not null) _snapshot.Add(Save(state));
            for (int w = _snapshotFrom + 1; w < _wrappers.Length; w++)
                if (_wrapperStates[w][p] is { } state) _snapshot.Add(Save(state));
        }
        _globalSnapshot = [];
        for (int w = _snapshotFrom + 1; w < _wrappers.Length; w++)
            if (_globals[w] is { } global) _globalSnapshot.Add((global, [.. global.Scalars.Select(s => s.Get())]));
    }

    private void RestoreSnapshot()
    {
        foreach (var saved in _snapshot) Load(saved);
        foreach (var (global, scalars) in _globalSnapshot)
            for (int i = 0; i < scalars.Length; i++) global.Scalars[i].Set(scalars[i]);
    }

    /// <summary>Runs <paramref name="step"/>; if it throws, every value, state and counter is put back as it was.</summary>
    private bool Atomically(Func<bool> step)
    {
        var values = Parameters.Select(p => p.Values.ToArray()).ToArray();
        var states = _plans.Select(p => p.States?.ToArray()).ToArray();
        var wrapperStates = _wrapperStates.Select(s => s.ToArray()).ToArray();
        var saved = _plans.SelectMany((_, p) => StatesOf(p)).Select(Save).ToList();
        var globals = _globals.Select(g => g?.Scalars.Select(s => s.Get()).ToArray()).ToArray();
        var (stepCount, skipped) = (StepCount, SkippedSteps);
        try
        {
            return step();
        }
        catch
        {
            for (int p = 0; p < _plans.Length; p++)
            {
                values[p].CopyTo(Parameters[p].Values);
                _plans[p].States = states[p];
            }
            for (int w = 0; w < _wrappers.Length; w++)
            {
                wrapperStates[w].CopyTo(_wrapperStates[w], 0);
                for (int i = 0; i < (globals[w]?.Length ?? 0); i++) _globals[w]!.Scalars[i].Set(globals[w]![i]);
            }
            foreach (var state in saved) Load(state);
            (StepCount, SkippedSteps) = (stepCount, skipped);
            throw;
        }
    }

    private static (TransformState, float[][], double[]) Save(TransformState state) =>
        (state, [.. state.Tensors.Select(t => t.Buffer.Span.ToArray())], [.. state.Scalars.Select(s => s.Get())]);

    private static void Load((TransformState State, float[][] Tensors, double[] Scalars) saved)
    {
        for (int i = 0; i < saved.Tensors.Length; i++) saved.Tensors[i].CopyTo(saved.State.Tensors[i].Buffer.Span);
        for (int i = 0; i < saved.Scalars.Length; i++) saved.State.Scalars[i].Set(saved.Scalars[i]);
    }

    /// <summary>Row r of <paramref name="buffer"/> becomes old row <c>sources[r]</c>, or <paramref name="initial"/> where that is −1.</summary>
    private static void Remap(RowBuffer buffer, int[] sources, float initial)
    {
        var old = buffer.Span.ToArray();
        int rowLength = buffer.RowLength;
        buffer.Resize(sources.Length);
        var data = buffer.Span;
        for (int r = 0; r < sources.Length; r++)
        {
            var row = data.Slice(r * rowLength, rowLength);
            if (sources[r] < 0) row.Fill(initial);
            else old.AsSpan(sources[r] * rowLength, rowLength).CopyTo(row);
        }
    }

    /// <summary>
    /// Moves a parameter's values out of the set's shared slab into an array of its own (shrinking to no rows and growing
    /// past the capacity reallocates; nothing is read from the slab), so the reference shares no layout with the engine.
    /// </summary>
    private static void OwnStorage(Parameter p)
    {
        var storage = p.Storage;
        if (storage.RowLength == 0) return;
        int rows = storage.Rows;
        storage.Resize(0);
        storage.Resize(storage.Capacity + 1);
        storage.Resize(rows);
    }

    long IWrapperHost.StepCount => StepCount;

    int IWrapperHost.ActiveCount => _active.Count;

    int IWrapperHost.ParameterCount => _plans.Length;

    WrapperState? IWrapperHost.WrapperGlobal(int wrapper) => _globals[wrapper];

    int IWrapperHost.ActiveIndex(int i) => _active[i];

    TransformState? IWrapperHost.WrapperStateOf(int wrapper, int index) => _wrapperStates[wrapper][index];

    double IWrapperHost.RunWrapperSegments(int wrapper, int phase)
    {
        double total = 0;
        foreach (var (p, start, length) in Segments(null))
        {
            var segment = new WrapperSegment(
                _gradient[p]!.Span.Slice(start, length),
                _updatesReady ? _updates[p].AsSpan(start, length) : default,
                Parameters[p].Values.Slice(start, length),
                start);
            total += _wrappers[wrapper].RunSegment(phase, _wrapperStates[wrapper][p], in segment);
        }
        return total;
    }

    void IWrapperHost.ReplaceGradient(int index, RowBuffer gradient) => _gradient[index] = gradient;

    void IWrapperHost.RebuildActive()
    {
        _active.Clear();
        for (int p = 0; p < _plans.Length; p++)
            if (_gradient[p] is not null) _active.Add(p);
    }

    void IWrapperHost.ResetInnerState(int index) => _plans[index].States = null;

    /// <summary>One parameter's expanded stages, where each round begins, and its states.</summary>
    private sealed class Plan
    {
        public Plan(Parameter parameter, GradientTransformation core, Dictionary<GradientTransformation, int> globalRounds)
        {
            Parameter = parameter;
            var stages = new List<Stage>();
            core.Expand(parameter, "", stages);
            Stages = [.. stages];
            var runs = new List<int>();
            for (int s = 0; s < Stages.Length; s++)
            {
                var t = Stages[s].Transform;
                if (t is not (ElementwiseTransformation or TensorTransformation))
                    throw new ArgumentException($"'{t.Name}' is neither element-wise nor a tensor transformation.", "transformation");
                if (s == 0 || t is ReducingTransformation or TensorTransformation) runs.Add(s);
                if (t is ReducingTransformation { Scope: ReductionScope.AllParameters } global
                    && globalRounds.TryAdd(global, runs.Count - 1) is false && globalRounds[global] != runs.Count - 1)
                    throw new ArgumentException($"'{t.Name}' reduces over all parameters at different depths.", "transformation");
            }
            RunStarts = [.. runs];
            Fusable = RunStarts.Length <= 1 && Array.TrueForAll(Stages, s => s.Transform is ElementwiseTransformation);
        }

        public Parameter Parameter { get; }

        public Stage[] Stages { get; }

        public int[] RunStarts { get; }

        public bool Fusable { get; }

        public TransformState?[]? States { get; set; }

        public void EnsureState() => States ??= [.. Stages.Select(s => s.Transform.CreateState(Parameter))];
    }
}
