using System.Buffers;
using Momentum.Kernels;

namespace Momentum;

// Row operations (split, clone, prune, relocate, reset) and selective steps; see docs/DYNAMIC.md.
public sealed partial class Optimizer
{
    private readonly Dictionary<Parameter, List<(string Name, RowBuffer Buffer, float Initial)>> _statistics = new(ReferenceEqualityComparer.Instance);

    /// <summary>Row operations on one parameter and its state (each call applies a one-parameter <see cref="RowPlan"/>).</summary>
    /// <param name="parameter">A parameter of <see cref="Parameters"/>.</param>
    public RowEditor Rows(Parameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        Parameters.CheckOwns(parameter, nameof(parameter));
        return new RowEditor(this, parameter);
    }

    /// <summary>Applies <paramref name="plan"/> to a group of parameters with the same row count (e.g. the means,
    /// scales, rotations, colours and opacities of Gaussians), their optimizer state and registered row statistics.</summary>
    /// <param name="plan">The row plan; its <see cref="RowPlan.RowsBefore"/> must equal every parameter's row count.</param>
    /// <param name="group">The parameters, each at most once.</param>
    /// <exception cref="ArgumentException">A parameter is listed twice, is a scalar, belongs to another set, or has another row count.</exception>
    /// <exception cref="NotSupportedException">A transformation's state of some parameter is not per-row.</exception>
    /// <exception cref="InvalidOperationException">Some state already disagrees with its parameter's row count.</exception>
    public void ApplyRowPlan(RowPlan plan, params ReadOnlySpan<Parameter> group) => ApplyRowPlan(plan, null, group);

    /// <summary>
    /// Applies <paramref name="plan"/> to a group of parameters, their optimizer state, their registered row statistics
    /// and, if given, their gradients: a row that stays keeps its gradient, a new or overwritten row gets a zero gradient.
    /// Everything is validated first; on an exception nothing has changed.
    /// </summary>
    /// <param name="plan">The row plan; its <see cref="RowPlan.RowsBefore"/> must equal every parameter's row count.</param>
    /// <param name="gradients">Gradients to move along (for a refine between backward and step), or <see langword="null"/>.
    /// Gradient sets not passed treat a parameter whose length changed as having no gradient until it is written again.</param>
    /// <param name="group">The parameters, each at most once.</param>
    /// <exception cref="ArgumentException">A parameter is listed twice, is a scalar, belongs to another set, or has another row count.</exception>
    /// <exception cref="NotSupportedException">A transformation's state of some parameter is not per-row.</exception>
    /// <exception cref="InvalidOperationException">Some state already disagrees with its parameter's row count.</exception>
    public void ApplyRowPlan(RowPlan plan, GradientSet? gradients, params ReadOnlySpan<Parameter> group)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (gradients is not null && !ReferenceEquals(gradients.Parameters, Parameters))
            ThrowHelper.ThrowArgument(nameof(gradients), "The gradients belong to another parameter set than the optimizer's.");
        SyncPlans();
        for (int i = 0; i < group.Length; i++)
        {
            var p = group[i] ?? throw new ArgumentNullException(nameof(group), $"Parameter {i} of the group is null.");
            Parameters.CheckOwns(p, nameof(group));
            for (int j = 0; j < i; j++)
                if (ReferenceEquals(group[j], p)) ThrowHelper.ThrowArgument(nameof(group), $"Parameter '{p.Name}' is listed twice in the group.");
            if (p.Rank == 0) ThrowHelper.ThrowArgument(nameof(group), $"Parameter '{p.Name}' is a scalar and has no rows to change.");
            if (p.Rows != plan.RowsBefore)
                ThrowHelper.ThrowArgument(nameof(group), $"Parameter '{p.Name}' has {p.Rows} rows but the row plan{LabelOf(plan)} was made for {plan.RowsBefore}.");
            CheckRowState(p, forRowOperation: true);
        }
        if (plan.IsIdentity) return;
        var edits = plan.HasEdits ? plan.StateEdits() : null;
        if (edits is not null) CheckEditedSlots(plan, edits, group);

        var values = plan.ValueSources();
        var states = plan.StateSources();
        var origins = plan.Origins();
        foreach (var p in group)
        {
            var gradient = gradients?.BufferIfPresent(p);
            Remap(p.Storage, values, 0f);
            var rowPlan = _plans[p.Index];
            foreach (var (_, _, state) in RowStates(p.Index))
                foreach (var t in state.Tensors)
                {
                    Remap(t.Buffer, states, t.Initial);
                    if (edits is not null) ApplyEdits(t, edits);
                }
            if (_statistics.TryGetValue(p, out var stats))
                foreach (var (_, buffer, initial) in stats) Remap(buffer, states, initial);
            rowPlan.Updates?.Resize(p.Rows);
            if (gradient is not null) Remap(gradient, origins, 0f);
        }
    }

    /// <summary>Refuses a plan whose slot edits name a slot that no state of the group has (a typo would change nothing).</summary>
    private void CheckEditedSlots(RowPlan plan, SlotEdit[]?[] edits, ReadOnlySpan<Parameter> group)
    {
        var slots = new HashSet<string>(edits.Where(e => e is not null).SelectMany(e => e!).Select(e => e.Slot), StringComparer.Ordinal);
        var tensors = new List<StateTensor>();
        foreach (var p in group)
            foreach (var (_, _, state) in RowStates(p.Index)) tensors.AddRange(state.Tensors);
        if (tensors.Count == 0) return; // no state yet: every row starts fresh anyway
        foreach (string slot in slots)
            if (!tensors.Exists(t => t.PerRow && StateSlots.Matches(t, slot)))
                ThrowHelper.ThrowArgument(nameof(plan), slot == StateSlots.Step
                    ? $"The row plan{LabelOf(plan)} sets per-row step counts, but no state of its parameters counts steps per row."
                    : $"The row plan{LabelOf(plan)} edits slot '{slot}', which no per-row state of its parameters has (slots: {string.Join(", ", tensors.Where(t => t.PerRow).Select(t => t.Slot).Distinct())}).");
    }

    /// <summary>Applies the rows' slot edits to one state tensor, after it was remapped.</summary>
    private static void ApplyEdits(StateTensor tensor, SlotEdit[]?[] edits)
    {
        if (!tensor.PerRow) return;
        int rowLength = tensor.Buffer.RowLength;
        var data = tensor.Buffer.Span;
        for (int r = 0; r < edits.Length; r++)
        {
            if (edits[r] is not { } rowEdits) continue;
            var row = data.Slice(r * rowLength, rowLength);
            foreach (var e in rowEdits)
            {
                if (!StateSlots.Matches(tensor, e.Slot)) continue;
                switch (e.Kind)
                {
                    case SlotEditKind.Reset: row.Fill(tensor.Initial); break;
                    case SlotEditKind.Set: row.Fill(e.Value); break;
                    default: foreach (ref float x in row) x *= e.Value; break;
                }
            }
        }
    }

    /// <summary>
    /// The state tensor <paramref name="slot"/> of <paramref name="parameter"/>, to read or write in place (moments
    /// are row-major in the parameter's shape): its own name (<c>mu</c>, <c>nu</c>, <c>row_count</c>) or PyTorch's
    /// (<c>exp_avg</c>, <c>exp_avg_sq</c>, <c>max_exp_avg_sq</c>; <c>step</c> is the per-row count).
    /// </summary>
    /// <param name="parameter">A parameter of <see cref="Parameters"/>.</param>
    /// <param name="slot">The slot name.</param>
    /// <param name="path">The stage path (see <see cref="StagesOf"/>), needed only when several stages have the slot.</param>
    /// <returns>The storage the optimizer steps with; writes take effect at the next step.</returns>
    /// <exception cref="KeyNotFoundException">The parameter has no state yet (no step took its gradient), or no stage has the slot.</exception>
    /// <exception cref="ArgumentException">Several stages have the slot and no path was given.</exception>
    public RowBuffer StateSlot(Parameter parameter, string slot, string? path = null)
    {
        ArgumentNullException.ThrowIfNull(slot);
        var found = FindSlot(parameter, slot, path, (state, name) => state.Tensors.FirstOrDefault(t => StateSlots.Matches(t, name)));
        return found.Buffer;
    }

    /// <summary>The per-tensor step count (<c>count</c>, PyTorch's <c>step</c>) of the stage of <paramref name="parameter"/> that keeps one.</summary>
    /// <param name="parameter">A parameter of <see cref="Parameters"/>.</param>
    /// <param name="path">The stage path, needed only when several stages keep a count.</param>
    /// <exception cref="KeyNotFoundException">The parameter has no state yet, or no stage keeps a count.</exception>
    /// <exception cref="ArgumentException">Several stages keep a count and no path was given.</exception>
    public long GetStepCount(Parameter parameter, string? path = null) => (long)FindCount(parameter, path).Get();

    /// <summary>Sets the per-tensor step count of the stage of <paramref name="parameter"/> that keeps one; the next step
    /// takes count + 1 (its bias correction follows). The optimizer's own <see cref="StepCount"/> is not changed.</summary>
    /// <param name="parameter">A parameter of <see cref="Parameters"/>.</param>
    /// <param name="count">The count; ≥ 0.</param>
    /// <param name="path">The stage path, needed only when several stages keep a count.</param>
    /// <exception cref="ArgumentOutOfRangeException">The count is negative.</exception>
    /// <exception cref="KeyNotFoundException">The parameter has no state yet, or no stage keeps a count.</exception>
    /// <exception cref="ArgumentException">Several stages keep a count and no path was given.</exception>
    public void SetStepCount(Parameter parameter, long count, string? path = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        FindCount(parameter, path).Set(count);
    }

    private StateScalar FindCount(Parameter parameter, string? path) =>
        FindSlot(parameter, StateSlots.Step, path, (state, name) => state.Scalars.FirstOrDefault(s => StateSlots.Matches(s, name)));

    private TFound FindSlot<TFound>(Parameter parameter, string slot, string? path, Func<TransformState, string, TFound?> find)
        where TFound : class
    {
        ArgumentNullException.ThrowIfNull(parameter);
        Parameters.CheckOwns(parameter, nameof(parameter));
        SyncPlans();
        var hits = new List<(string Path, TFound Found)>();
        foreach (var (_, statePath, state) in RowStates(parameter.Index))
            if ((path is null || statePath == path) && find(state, slot) is { } found) hits.Add((statePath, found));
        if (hits.Count == 0)
            throw new KeyNotFoundException(_plans[parameter.Index].States is null
                ? $"Parameter '{parameter.Name}' has no optimizer state yet; its first gradient creates it."
                : $"No stage{(path is null ? "" : $" at '{path}'")} of parameter '{parameter.Name}' has state slot '{slot}'.");
        if (hits.Count > 1)
            ThrowHelper.ThrowArgument(nameof(path), $"Stages {string.Join(", ", hits.Select(h => $"'{h.Path}'"))} of parameter '{parameter.Name}' all have slot '{slot}'; pass a path.");
        return hits[0].Found;
    }

    /// <summary>Resets the state of every parameter.</summary>
    /// <param name="mode">Drop everything (a fresh optimizer) or zero the statistics and keep the step counts.</param>
    /// <remarks>The optimizer's own <see cref="StepCount"/> (which schedules read) is kept in both modes.</remarks>
    public void ResetAll(ResetMode mode)
    {
        SyncPlans();
        for (int p = 0; p < _plans.Count; p++) ResetState(p, mode);
    }

    /// <summary>
    /// Registers a per-row statistic of <paramref name="parameter"/> (a gradient accumulator, a visibility count, a
    /// maximum radius) that row operations move together with the parameter. Its rows follow the state: a fresh row
    /// (appended, reset, split per <see cref="SplitState"/>) gets <paramref name="initial"/>, a copied row a copy.
    /// </summary>
    /// <param name="parameter">A parameter of <see cref="Parameters"/> that is not a scalar.</param>
    /// <param name="name">A name unique among this parameter's statistics.</param>
    /// <param name="rowLength">Elements per row; ≥ 1.</param>
    /// <param name="initial">The value of every element of a fresh row.</param>
    /// <returns>The statistic's storage, with the parameter's row count, every element at <paramref name="initial"/>.</returns>
    /// <exception cref="ArgumentException">The name is taken or empty, or the parameter is a scalar.</exception>
    public RowBuffer AddRowStatistic(Parameter parameter, string name, int rowLength = 1, float initial = 0f)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        ArgumentNullException.ThrowIfNull(name);
        Parameters.CheckOwns(parameter, nameof(parameter));
        ArgumentOutOfRangeException.ThrowIfLessThan(rowLength, 1);
        if (name.Length == 0) ThrowHelper.ThrowArgument(nameof(name), "A statistic name must not be empty.");
        if (parameter.Rank == 0) ThrowHelper.ThrowArgument(nameof(parameter), $"Parameter '{parameter.Name}' is a scalar and has no rows.");
        if (!_statistics.TryGetValue(parameter, out var list)) _statistics.Add(parameter, list = []);
        if (list.Exists(s => s.Name == name)) ThrowHelper.ThrowArgument(nameof(name), $"Parameter '{parameter.Name}' already has a statistic named '{name}'.");
        var buffer = new RowBuffer(parameter.Rows, rowLength, parameter.Storage.Capacity == int.MaxValue ? 0 : parameter.Storage.Capacity);
        if (initial != 0f) buffer.Fill(initial);
        list.Add((name, buffer, initial));
        return buffer;
    }

    /// <summary>The row statistic <paramref name="name"/> of <paramref name="parameter"/>.</summary>
    /// <param name="parameter">A parameter of <see cref="Parameters"/>.</param>
    /// <param name="name">The name given to <see cref="AddRowStatistic"/>.</param>
    /// <exception cref="KeyNotFoundException">No statistic has that name.</exception>
    public RowBuffer RowStatistic(Parameter parameter, string name)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        Parameters.CheckOwns(parameter, nameof(parameter));
        if (_statistics.TryGetValue(parameter, out var list))
            foreach (var s in list)
                if (s.Name == name) return s.Buffer;
        throw new KeyNotFoundException($"Parameter '{parameter.Name}' has no row statistic named '{name}'.");
    }

    /// <summary>
    /// Checks the row invariant: every per-row state tensor and every row statistic has its parameter's row count.
    /// </summary>
    /// <exception cref="InvalidOperationException">Some tensor disagrees; the message names the parameter, stage and slot.</exception>
    public void VerifyRows()
    {
        SyncPlans();
        foreach (var p in Parameters) CheckRowState(p, forRowOperation: false);
    }

    /// <summary>
    /// Takes a selective step: a parameter with an entry in <paramref name="selection"/> updates only the selected rows,
    /// and its other rows keep their values and state exactly (torch's SparseAdam, gsplat's SelectiveAdam); a parameter
    /// without an entry takes a full step. The cost is proportional to the selected rows.
    /// </summary>
    /// <param name="gradients">The gradients (only the selected rows are read).</param>
    /// <param name="selection">The rows per parameter.</param>
    /// <param name="loss">The loss at the current parameters (NaN if unknown).</param>
    /// <returns><see langword="true"/> if the step was applied; <see langword="false"/> if skipped for non-finite gradients.</returns>
    /// <exception cref="ArgumentException">The gradients or selection belong to another set, or a selected row is out of range.</exception>
    /// <exception cref="InvalidOperationException">The chain is not fully element-wise (it has a tensor stage or a reduction after the head).</exception>
    /// <exception cref="NonFiniteGradientException">A selected gradient is not finite under <see cref="NonFiniteGradients.Throw"/>.</exception>
    public bool Step(GradientSet gradients, RowSelection selection, double loss = double.NaN)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        ArgumentNullException.ThrowIfNull(selection);
        if (!ReferenceEquals(gradients.Parameters, Parameters))
            ThrowHelper.ThrowArgument(nameof(gradients), "The gradients belong to another parameter set than the optimizer's.");
        if (!ReferenceEquals(selection.Parameters, Parameters))
            ThrowHelper.ThrowArgument(nameof(selection), "The row selection belongs to another parameter set than the optimizer's.");
        SyncPlans();
        if (_wrappers.Length > 0)
            ThrowHelper.ThrowInvalidOperation($"A selective step does not support whole-step wrappers such as '{_wrappers[0].Name}'.");
        if (!IsFused)
        {
            var stage = _plans.SelectMany(p => p.Stages).First(s => s.Transform is not ElementwiseTransformation || s.Transform is ReducingTransformation);
            ThrowHelper.ThrowInvalidOperation($"A selective step needs a chain of element-wise stages; '{stage.Transform.Name}' at '{stage.Path}' is not.");
        }
        CollectActive(gradients);
        for (int a = 0; a < _activeCount; a++)
        {
            var p = _plans[_active[a]].Parameter;
            if (selection.TryGet(p.Index, out var rows) && rows.Length > 0 && rows.Span[^1] >= p.Rows)
                ThrowHelper.ThrowArgument(nameof(selection), $"Row {rows.Span[^1]} is selected for parameter '{p.Name}', which now has {p.Rows} rows.");
        }
        if (Options.NonFiniteGradients != NonFiniteGradients.Propagate && !CheckFiniteSelected(gradients, selection)) return false;
        ValidateActive(loss, selection); // throws before anything changed

        for (int a = 0; a < _activeCount; a++)
        {
            var plan = _plans[_active[a]];
            plan.EnsureState();
            BeginGeneric(plan, StepInfoFor(plan, loss, selection));
        }
        BuildSelectedWorkItems(selection);
        RunFused(gradients, loss, gradientsReduced: false, begun: false);
        StepCount++;
        return true;
    }

    private bool CheckFiniteSelected(GradientSet gradients, RowSelection selection)
    {
        for (int a = 0; a < _activeCount; a++)
        {
            var plan = _plans[_active[a]];
            var g = plan.Gradient!.Span;
            int rowLength = plan.Parameter.RowLength;
            if (!selection.TryGet(plan.Parameter.Index, out var rows))
            {
                if (!CheckFiniteRange(plan, g, 0)) return false;
                continue;
            }
            foreach (int r in rows.Span)
                if (!CheckFiniteRange(plan, g.Slice(r * rowLength, rowLength), r * rowLength)) return false;
        }
        return true;
    }

    private bool CheckFiniteRange(ParameterPlan plan, ReadOnlySpan<float> g, int offset)
    {
        int bad = VectorMath.IndexOfNonFinite(g);
        if (bad < 0) return true;
        if (Options.NonFiniteGradients == NonFiniteGradients.Throw)
            throw new NonFiniteGradientException(plan.Parameter.Name, offset + bad, g[bad]);
        SkippedSteps++;
        return false;
    }

    /// <summary>Work items from the selected rows only: runs of consecutive selected rows, packed into ~ChunkLength items.</summary>
    private void BuildSelectedWorkItems(RowSelection selection)
    {
        _collection.Valid = false;
        _segments.Clear();
        int open = 0;
        for (int a = 0; a < _activeCount; a++)
        {
            int p = _active[a];
            var parameter = _plans[p].Parameter;
            int rowLength = parameter.RowLength;
            if (!selection.TryGet(parameter.Index, out var rowsMemory))
            {
                AddPackedRange(p, 0, parameter.Length, ref open);
                continue;
            }
            var rows = rowsMemory.Span;
            for (int i = 0; i < rows.Length;)
            {
                int first = rows[i], j = i + 1;
                while (j < rows.Length && rows[j] == rows[j - 1] + 1) j++;
                AddPackedRange(p, first * rowLength, (rows[j - 1] - first + 1) * rowLength, ref open);
                i = j;
            }
        }
        _segments.EndItems();
    }

    private void AddPackedRange(int parameter, int start, int length, ref int open)
    {
        while (length > 0)
        {
            if (open == 0) _segments.BeginItem();
            int take = Math.Min(length, ChunkLength - open);
            _segments.Add(parameter, start, take);
            open += take;
            start += take;
            length -= take;
            if (open >= ChunkLength) open = 0;
        }
    }

    /// <summary>Validates the row invariant (and, before a row operation, that every state supports it) for one parameter.</summary>
    private void CheckRowState(Parameter p, bool forRowOperation)
    {
        foreach (var (name, path, state) in RowStates(p.Index))
        {
            if (forRowOperation && !state.SupportsRowOperations)
                throw new NotSupportedException($"The state of '{name}' (at '{path}') for parameter '{p.Name}' is not per-row, so its rows cannot be changed; reset it with ResetState or ResetAll instead.");
            foreach (var t in state.Tensors)
                if (t.PerRow && t.Buffer.Rows != p.Rows)
                    ThrowHelper.ThrowInvalidOperation($"Row invariant broken: '{p.Name}/{path}/{t.Slot}' has {t.Buffer.Rows} rows but the parameter has {p.Rows}.");
        }
        if (_statistics.TryGetValue(p, out var stats))
            foreach (var (name, buffer, _) in stats)
                if (buffer.Rows != p.Rows)
                    ThrowHelper.ThrowInvalidOperation($"Row invariant broken: statistic '{name}' of '{p.Name}' has {buffer.Rows} rows but the parameter has {p.Rows}.");
    }

    /// <summary>Every state of one parameter that row operations must move: its stages' and its step wrappers'.</summary>
    private IEnumerable<(string Name, string Path, TransformState State)> RowStates(int parameterIndex)
    {
        var plan = _plans[parameterIndex];
        if (plan.States is { } states)
            for (int s = 0; s < states.Length; s++)
                if (states[s] is { } state) yield return (plan.Stages[s].Transform.Name, plan.Stages[s].Path, state);
        for (int w = 0; w < _wrappers.Length; w++)
            if (parameterIndex < _wrapperStates[w].Length && _wrapperStates[w][parameterIndex] is { } state)
                yield return (_wrappers[w].Name, _wrapperPaths[w], state);
    }

    private void ResetState(int parameterIndex, ResetMode mode)
    {
        if (mode == ResetMode.FreshOptimizer)
        {
            _plans[parameterIndex].States = null;
            ResetWrapperStates(parameterIndex);
            return;
        }
        if (mode != ResetMode.KeepStep) ThrowHelper.ThrowArgument(nameof(mode), $"Unknown reset mode {mode}.");
        foreach (var (_, _, state) in RowStates(parameterIndex))
            foreach (var t in state.Tensors)
                if (!t.IsCounter) t.Buffer.Fill(t.Initial);
    }

    /// <summary>Rewrites <paramref name="buffer"/> so that row r holds old row <c>sources[r]</c>, or <paramref name="initial"/> where it is −1.</summary>
    private static void Remap(RowBuffer buffer, int[] sources, float initial)
    {
        int rowLength = buffer.RowLength;
        int oldLength = buffer.Length;
        var scratch = ArrayPool<float>.Shared.Rent(Math.Max(oldLength, 1));
        try
        {
            buffer.Span.CopyTo(scratch);
            buffer.Resize(sources.Length);
            var data = buffer.Span;
            for (int r = 0; r < sources.Length; r++)
            {
                int src = sources[r];
                if (src == r && r * rowLength < oldLength) continue; // still in place
                var row = data.Slice(r * rowLength, rowLength);
                if (src < 0) row.Fill(initial);
                else scratch.AsSpan(src * rowLength, rowLength).CopyTo(row);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    private static string LabelOf(RowPlan plan) => plan.Label is null ? "" : $" '{plan.Label}'";

    /// <summary>Row operations on one parameter; from <see cref="Rows(Parameter)"/>. Each call is atomic.</summary>
    public readonly struct RowEditor
    {
        private readonly Optimizer _optimizer;

        internal RowEditor(Optimizer optimizer, Parameter parameter)
        {
            _optimizer = optimizer;
            Parameter = parameter;
        }

        /// <summary>The parameter.</summary>
        public Parameter Parameter { get; }

        private RowPlan NewPlan() => new(Parameter.Rows, Parameter.Name);

        /// <summary>Keeps only <paramref name="rows"/>, in that order (see <see cref="RowPlan.Gather"/>).</summary>
        /// <param name="rows">The rows to keep, each in range and at most once.</param>
        public void Gather(ReadOnlySpan<int> rows) => _optimizer.ApplyRowPlan(NewPlan().Gather(rows), Parameter);

        /// <summary>Appends <paramref name="count"/> zero rows with fresh state.</summary>
        /// <param name="count">The number of rows; ≥ 0.</param>
        public void Append(int count) => _optimizer.ApplyRowPlan(NewPlan().Append(count), Parameter);

        /// <summary>Appends copies of rows <paramref name="from"/> (see <see cref="RowPlan.Append(ReadOnlySpan{int}, RowInit)"/>).</summary>
        /// <param name="from">The source rows.</param>
        /// <param name="init">Fresh or copied state.</param>
        public void Append(ReadOnlySpan<int> from, RowInit init = RowInit.Fresh) => _optimizer.ApplyRowPlan(NewPlan().Append(from, init), Parameter);

        /// <summary>Appends whole rows with the given values and fresh state.</summary>
        /// <param name="values">Row-major values; a whole number of rows.</param>
        /// <exception cref="ArgumentException">The length is not a multiple of the row length.</exception>
        public void Append(ReadOnlySpan<float> values)
        {
            int rowLength = Parameter.RowLength;
            if (rowLength == 0 ? values.Length != 0 : values.Length % rowLength != 0)
                ThrowHelper.ThrowArgument(nameof(values), $"{values.Length} values are not whole rows of '{Parameter.Name}' (row length {rowLength}).");
            int before = Parameter.Length;
            _optimizer.ApplyRowPlan(NewPlan().Append(rowLength == 0 ? 0 : values.Length / rowLength), Parameter);
            values.CopyTo(Parameter.Values[before..]);
        }

        /// <summary>Gives <paramref name="rows"/> fresh state (values unchanged).</summary>
        /// <param name="rows">The rows.</param>
        public void ResetRows(ReadOnlySpan<int> rows) => _optimizer.ApplyRowPlan(NewPlan().ResetRows(rows), Parameter);

        /// <summary>Overwrites rows <paramref name="destinations"/> with rows <paramref name="sources"/> (see <see cref="RowPlan.Overwrite"/>).</summary>
        /// <param name="destinations">The rows to overwrite, at most once each.</param>
        /// <param name="sources">The rows to copy.</param>
        /// <param name="init">Fresh or copied state.</param>
        public void Overwrite(ReadOnlySpan<int> destinations, ReadOnlySpan<int> sources, RowInit init = RowInit.Fresh) =>
            _optimizer.ApplyRowPlan(NewPlan().Overwrite(destinations, sources, init), Parameter);

        /// <summary>MCMC relocation of <paramref name="sources"/> into <paramref name="destinations"/> (see <see cref="RowPlan.Relocate"/>).</summary>
        /// <param name="destinations">The rows to overwrite (they keep their state).</param>
        /// <param name="sources">The rows to copy (their state is reset).</param>
        public void Relocate(ReadOnlySpan<int> destinations, ReadOnlySpan<int> sources) =>
            _optimizer.ApplyRowPlan(NewPlan().Relocate(destinations, sources), Parameter);

        /// <summary>Sets slot <paramref name="slot"/> of <paramref name="rows"/> to its initial value (see <see cref="RowPlan.ResetSlot"/>).</summary>
        /// <param name="rows">The rows.</param>
        /// <param name="slot">The state slot, e.g. <c>mu</c> or <c>exp_avg</c>.</param>
        public void ResetSlot(ReadOnlySpan<int> rows, string slot) => _optimizer.ApplyRowPlan(NewPlan().ResetSlot(rows, slot), Parameter);

        /// <summary>Sets the per-row step count of <paramref name="rows"/> (see <see cref="RowPlan.SetStepCount"/>).</summary>
        /// <param name="rows">The rows.</param>
        /// <param name="count">The count, in [0, 2²⁴].</param>
        public void SetStepCount(ReadOnlySpan<int> rows, long count) => _optimizer.ApplyRowPlan(NewPlan().SetStepCount(rows, count), Parameter);

        /// <summary>Splits each parent into <paramref name="children"/> rows (see <see cref="RowPlan.Split"/>).</summary>
        /// <param name="parents">The rows to split.</param>
        /// <param name="children">Rows per parent, ≥ 1.</param>
        /// <param name="state">Which rows keep, copy or reset state.</param>
        public void Split(ReadOnlySpan<int> parents, int children = 2, SplitState state = SplitState.AllFresh) =>
            _optimizer.ApplyRowPlan(NewPlan().Split(parents, children, state), Parameter);

        /// <summary>Resets this parameter's state (see <see cref="Optimizer.ResetAll"/>).</summary>
        /// <param name="mode">Drop everything, or zero the statistics and keep the step counts.</param>
        public void ResetAll(ResetMode mode)
        {
            _optimizer.SyncPlans();
            _optimizer.ResetState(Parameter.Index, mode);
        }
    }
}
