namespace Momentum;

/// <summary>What the optimizer state of a new or overwritten row starts as.</summary>
public enum RowInit
{
    /// <summary>Fresh state: every state tensor at its initial value (moments 0) and a per-row step count of 0.</summary>
    Fresh,

    /// <summary>A copy of the source row's state, per-row step count included.</summary>
    Copy,
}

/// <summary>Which rows of a split keep or copy optimizer state.</summary>
public enum SplitState
{
    /// <summary>The parent and every child start with fresh state (Brush's symmetric reset, graphdeco's split).</summary>
    AllFresh,

    /// <summary>The parent keeps its state; the children start fresh (graphdeco's clone).</summary>
    ParentKeeps,

    /// <summary>The parent keeps its state and every child gets a copy of it.</summary>
    CopyParent,
}

/// <summary>How <see cref="Optimizer.ResetAll(ResetMode)"/> resets the optimizer state.</summary>
public enum ResetMode
{
    /// <summary>Drop all state, as a freshly built optimizer: moments 0 and step counts 0 (recreated at the next gradient).</summary>
    FreshOptimizer,

    /// <summary>Set every state tensor back to its initial value (moments 0) but keep the step counts, per tensor and per row.</summary>
    KeepStep,
}

/// <summary>
/// A plan of row operations (prune, reorder, append, split, reset, relocate) for a group of parameters that share a
/// row count, applied by <see cref="Optimizer.ApplyRowPlan(RowPlan, ReadOnlySpan{Parameter})"/> to the parameters, to
/// every per-row state tensor of every transformation in their chains, and to the row statistics registered with
/// <see cref="Optimizer.AddRowStatistic"/>, all together.
/// </summary>
/// <remarks>
/// <para>Operations apply in the order they are added; each sees the rows the previous one left (<see cref="Rows"/>).
/// Every operation is validated when it is added, before the plan changes, so an invalid call leaves the plan as it was.</para>
/// <para>The plan keeps, for each row after the plan, where its values come from (an old row, or zero), where its state
/// comes from (an old row, or fresh), and whether it is the same row as before (then a gradient follows it).</para>
/// </remarks>
public sealed class RowPlan
{
    private List<int> _value;
    private List<RowState> _state;
    private List<int> _origin;

    /// <summary>Starts a plan for parameters that have <paramref name="rows"/> rows.</summary>
    /// <param name="rows">The number of rows before the plan.</param>
    /// <param name="label">A name used in error messages (e.g. the parameter group's name); optional.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rows"/> is negative.</exception>
    public RowPlan(int rows, string? label = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        RowsBefore = rows;
        Label = label;
        _value = [.. Enumerable.Range(0, rows)];
        _state = [.. _value.Select(r => new RowState(r, null))];
        _origin = [.. _value];
    }

    /// <summary>The number of rows before the plan.</summary>
    public int RowsBefore { get; }

    /// <summary>The number of rows after the operations added so far.</summary>
    public int Rows => _value.Count;

    /// <summary>The name used in error messages, if any.</summary>
    public string? Label { get; }

    /// <summary>Whether the plan changes nothing.</summary>
    public bool IsIdentity
    {
        get
        {
            if (Rows != RowsBefore) return false;
            for (int r = 0; r < Rows; r++)
                if (_value[r] != r || _state[r] != new RowState(r, null) || _origin[r] != r) return false;
            return true;
        }
    }

    /// <summary>Keeps only <paramref name="rows"/>, in that order (prune and reorder); same as <see cref="Gather"/>.</summary>
    /// <param name="rows">The rows to keep, each in [0, <see cref="Rows"/>) and at most once.</param>
    /// <returns>This plan.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A row is out of range.</exception>
    /// <exception cref="ArgumentException">A row is listed twice.</exception>
    public RowPlan Keep(ReadOnlySpan<int> rows) => GatherCore(rows, nameof(Keep));

    /// <summary>Keeps only <paramref name="rows"/>, in that order: row i becomes old row <c>rows[i]</c>, values and state.</summary>
    /// <param name="rows">The rows to keep, each in [0, <see cref="Rows"/>) and at most once.</param>
    /// <returns>This plan.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A row is out of range.</exception>
    /// <exception cref="ArgumentException">A row is listed twice.</exception>
    public RowPlan Gather(ReadOnlySpan<int> rows) => GatherCore(rows, nameof(Gather));

    /// <summary>Keeps the rows where <paramref name="mask"/> is true, in order (a boolean prune).</summary>
    /// <param name="mask">One flag per current row.</param>
    /// <returns>This plan.</returns>
    /// <exception cref="ArgumentException">The mask's length is not <see cref="Rows"/>.</exception>
    public RowPlan KeepWhere(ReadOnlySpan<bool> mask)
    {
        if (mask.Length != Rows) ThrowHelper.ThrowArgument(nameof(mask), $"The mask has {mask.Length} entries but {Describe()} has {Rows} rows.");
        var keep = new List<int>(Rows);
        for (int r = 0; r < mask.Length; r++)
            if (mask[r]) keep.Add(r);
        return GatherCore(keep.ToArray(), nameof(KeepWhere));
    }

    /// <summary>Appends <paramref name="count"/> rows with zero values and fresh state.</summary>
    /// <param name="count">The number of rows to append; ≥ 0.</param>
    /// <returns>This plan.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    public RowPlan Append(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        for (int i = 0; i < count; i++)
        {
            _value.Add(-1);
            _state.Add(RowState.Fresh);
            _origin.Add(-1);
        }
        return this;
    }

    /// <summary>Appends one row per entry of <paramref name="from"/>, copying that row's values (clone).</summary>
    /// <param name="from">The rows to copy values from, each in [0, <see cref="Rows"/>); repeats allowed.</param>
    /// <param name="init">The new rows' state: fresh, or a copy of the source row's.</param>
    /// <returns>This plan.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A row is out of range.</exception>
    public RowPlan Append(ReadOnlySpan<int> from, RowInit init = RowInit.Fresh)
    {
        CheckRange(from, nameof(from), nameof(Append));
        CheckInit(init, nameof(init));
        foreach (int r in from)
        {
            _value.Add(_value[r]);
            _state.Add(init == RowInit.Copy ? _state[r] : RowState.Fresh);
            _origin.Add(-1);
        }
        return this;
    }

    /// <summary>Gives <paramref name="rows"/> fresh state; their values do not change.</summary>
    /// <param name="rows">The rows, each in [0, <see cref="Rows"/>); repeats allowed.</param>
    /// <returns>This plan.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A row is out of range.</exception>
    public RowPlan ResetRows(ReadOnlySpan<int> rows)
    {
        CheckRange(rows, nameof(rows), nameof(ResetRows));
        foreach (int r in rows) _state[r] = RowState.Fresh;
        return this;
    }

    /// <summary>
    /// Overwrites row <c>destinations[i]</c> with row <c>sources[i]</c>: values are copied, the destinations' state is
    /// fresh or a copy of the source's, and the sources' state is kept. Every source is read before any destination is
    /// written. (MCMC relocation, which resets the sources' state instead, is <see cref="Relocate"/>.)
    /// </summary>
    /// <param name="destinations">The rows to overwrite, each in range and at most once.</param>
    /// <param name="sources">The rows to copy from, one per destination; repeats allowed.</param>
    /// <param name="init">The destinations' state: fresh, or a copy of the source's.</param>
    /// <returns>This plan.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A row is out of range.</exception>
    /// <exception cref="ArgumentException">The lengths differ, or a destination is listed twice.</exception>
    public RowPlan Overwrite(ReadOnlySpan<int> destinations, ReadOnlySpan<int> sources, RowInit init = RowInit.Fresh)
    {
        if (destinations.Length != sources.Length)
            ThrowHelper.ThrowArgument(nameof(sources), $"Overwrite of {Describe()} has {destinations.Length} destinations but {sources.Length} sources.");
        CheckRange(destinations, nameof(destinations), nameof(Overwrite));
        CheckRange(sources, nameof(sources), nameof(Overwrite));
        CheckUnique(destinations, nameof(destinations), nameof(Overwrite));
        CheckInit(init, nameof(init));
        int n = destinations.Length;
        var value = new int[n];
        var state = new RowState[n];
        for (int i = 0; i < n; i++)
        {
            value[i] = _value[sources[i]];
            state[i] = init == RowInit.Copy ? _state[sources[i]] : RowState.Fresh;
        }
        for (int i = 0; i < n; i++)
        {
            _value[destinations[i]] = value[i];
            _state[destinations[i]] = state[i];
            _origin[destinations[i]] = -1;
        }
        return this;
    }

    /// <summary>
    /// MCMC relocation (gsplat's <c>relocate</c>, 3dgs-mcmc's <c>relocate_gs</c>): row <c>destinations[i]</c> (a dead
    /// Gaussian) takes the values of row <c>sources[i]</c> (a sampled live one) and keeps its own state; every source's
    /// state is reset to fresh (moments 0, per-row step count 0). Every source is read before any destination is
    /// written. Adjust the sources' values (opacity, scale) before applying the plan to copy the adjusted values, as
    /// gsplat does, or write both afterwards.
    /// </summary>
    /// <param name="destinations">The rows to overwrite, each in range, at most once and not among the sources.</param>
    /// <param name="sources">The rows to copy from, one per destination; repeats allowed.</param>
    /// <returns>This plan.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A row is out of range.</exception>
    /// <exception cref="ArgumentException">The lengths differ, a destination is listed twice or is also a source.</exception>
    public RowPlan Relocate(ReadOnlySpan<int> destinations, ReadOnlySpan<int> sources)
    {
        if (destinations.Length != sources.Length)
            ThrowHelper.ThrowArgument(nameof(sources), $"Relocate of {Describe()} has {destinations.Length} destinations but {sources.Length} sources.");
        CheckRange(destinations, nameof(destinations), nameof(Relocate));
        CheckRange(sources, nameof(sources), nameof(Relocate));
        CheckUnique(destinations, nameof(destinations), nameof(Relocate));
        var isDestination = new bool[Rows];
        foreach (int d in destinations) isDestination[d] = true;
        foreach (int r in sources)
            if (isDestination[r]) ThrowHelper.ThrowArgument(nameof(sources), $"Row {r} is both a destination and a source in Relocate of {Describe()}.");
        var value = new int[sources.Length];
        for (int i = 0; i < sources.Length; i++) value[i] = _value[sources[i]];
        for (int i = 0; i < destinations.Length; i++)
        {
            _value[destinations[i]] = value[i];
            _origin[destinations[i]] = -1;
        }
        foreach (int r in sources) _state[r] = RowState.Fresh;
        return this;
    }

    /// <summary>
    /// MCMC growth (gsplat's <c>sample_add</c>): appends one row per entry of <paramref name="sources"/> with that row's
    /// values and fresh state; the sources keep their state. The same as <c>Append(sources, RowInit.Fresh)</c>.
    /// </summary>
    /// <param name="sources">The sampled rows, each in range; repeats allowed.</param>
    /// <returns>This plan.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A row is out of range.</exception>
    public RowPlan SampleAdd(ReadOnlySpan<int> sources) => Append(sources, RowInit.Fresh);

    /// <summary>
    /// Sets state slot <paramref name="slot"/> of <paramref name="rows"/> back to its initial value (0 for moments),
    /// leaving the other slots as they are: e.g. new rows copy the parent's state but zero <c>mu</c> (keep v, zero m).
    /// </summary>
    /// <param name="rows">The rows, each in [0, <see cref="Rows"/>); repeats allowed.</param>
    /// <param name="slot">A per-row state slot: its name (<c>mu</c>, <c>nu</c>) or PyTorch's (<c>exp_avg</c>,
    /// <c>exp_avg_sq</c>, <c>max_exp_avg_sq</c>); it applies to every stage with that slot.</param>
    /// <returns>This plan.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A row is out of range.</exception>
    /// <exception cref="ArgumentException">The slot name is empty or <c>step</c> (use <see cref="SetStepCount"/>).</exception>
    /// <remarks>Edits follow the row's state through later operations of the plan and apply after the state is moved; a
    /// slot that no parameter of the group has is refused when the plan is applied.</remarks>
    public RowPlan ResetSlot(ReadOnlySpan<int> rows, string slot) => AddEdit(rows, slot, SlotEditKind.Reset, 0f, nameof(ResetSlot));

    /// <summary>Multiplies state slot <paramref name="slot"/> of <paramref name="rows"/> by <paramref name="factor"/>
    /// (e.g. halve the first moment of both halves of a split); the other slots are kept.</summary>
    /// <param name="rows">The rows, each in [0, <see cref="Rows"/>); repeats allowed.</param>
    /// <param name="slot">A per-row state slot, as for <see cref="ResetSlot"/>.</param>
    /// <param name="factor">A finite factor.</param>
    /// <returns>This plan.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A row is out of range, or the factor is not finite.</exception>
    /// <exception cref="ArgumentException">The slot name is empty or <c>step</c>.</exception>
    public RowPlan ScaleSlot(ReadOnlySpan<int> rows, string slot, float factor)
    {
        ThrowHelper.ThrowIfNotFinite(factor);
        return AddEdit(rows, slot, SlotEditKind.Scale, factor, nameof(ScaleSlot));
    }

    /// <summary>
    /// Sets the per-row step count (<see cref="StepCounting.PerRow"/>) of <paramref name="rows"/> to
    /// <paramref name="count"/>, leaving their moments: 0 resets only the counts of those rows. Per-tensor counts are
    /// not per row and are not changed.
    /// </summary>
    /// <param name="rows">The rows, each in [0, <see cref="Rows"/>); repeats allowed.</param>
    /// <param name="count">The count, in [0, 2²⁴] (a per-row count is a float, exact up to 2²⁴).</param>
    /// <returns>This plan.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A row or the count is out of range.</exception>
    /// <remarks>Applying the plan to a group none of whose states has a per-row count is refused.</remarks>
    public RowPlan SetStepCount(ReadOnlySpan<int> rows, long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, 1L << 24);
        return AddEdit(rows, StateSlots.Step, SlotEditKind.Set, count, nameof(SetStepCount));
    }

    /// <summary>
    /// Splits each parent into <paramref name="children"/> rows: the parent stays in place as the first child and
    /// <c>children − 1</c> copies of its values are appended per parent, parent-major (the copies of <c>parents[0]</c>
    /// first). Move the children apart afterwards by writing their values.
    /// </summary>
    /// <param name="parents">The rows to split, each in range and at most once.</param>
    /// <param name="children">The number of rows each parent becomes; ≥ 1.</param>
    /// <param name="state">Which of the parent and the children keep, copy or reset their state.</param>
    /// <returns>This plan.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A row is out of range, or <paramref name="children"/> &lt; 1.</exception>
    /// <exception cref="ArgumentException">A parent is listed twice.</exception>
    public RowPlan Split(ReadOnlySpan<int> parents, int children = 2, SplitState state = SplitState.AllFresh)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(children, 1);
        CheckRange(parents, nameof(parents), nameof(Split));
        CheckUnique(parents, nameof(parents), nameof(Split));
        if (!Enum.IsDefined(state)) ThrowHelper.ThrowArgument(nameof(state), $"Unknown split state {state}.");
        foreach (int p in parents)
        {
            var parentState = _state[p];
            for (int c = 1; c < children; c++)
            {
                _value.Add(_value[p]);
                _state.Add(state == SplitState.CopyParent ? parentState : RowState.Fresh);
                _origin.Add(-1);
            }
            if (state == SplitState.AllFresh) _state[p] = RowState.Fresh;
        }
        return this;
    }

    /// <summary>For each row after the plan: the old row its values come from, or −1 for zero.</summary>
    internal int[] ValueSources() => [.. _value];

    /// <summary>For each row after the plan: the old row its state comes from, or −1 for fresh.</summary>
    internal int[] StateSources() => [.. _state.Select(s => s.Source)];

    /// <summary>For each row after the plan: the slot edits applied to its state after it is moved, in order (null for none).</summary>
    internal SlotEdit[]?[] StateEdits() => [.. _state.Select(s => s.Edits)];

    /// <summary>Whether any row has slot edits.</summary>
    internal bool HasEdits => _state.Exists(s => s.Edits is not null);

    /// <summary>For each row after the plan: the old row it still is (a gradient follows it), or −1 for a new row.</summary>
    internal int[] Origins() => [.. _origin];

    private RowPlan AddEdit(ReadOnlySpan<int> rows, string slot, SlotEditKind kind, float value, string operation)
    {
        ArgumentNullException.ThrowIfNull(slot);
        if (slot.Length == 0) ThrowHelper.ThrowArgument(nameof(slot), $"An empty slot name in {operation} of {Describe()}.");
        if (kind != SlotEditKind.Set && slot == StateSlots.Step)
            ThrowHelper.ThrowArgument(nameof(slot), $"{operation} of {Describe()} cannot edit the step count; use SetStepCount.");
        CheckRange(rows, nameof(rows), operation);
        var edit = new SlotEdit(slot, kind, value);
        foreach (int r in rows)
        {
            var old = _state[r];
            _state[r] = old with { Edits = old.Edits is null ? [edit] : [.. old.Edits, edit] };
        }
        return this;
    }

    private RowPlan GatherCore(ReadOnlySpan<int> rows, string operation)
    {
        CheckRange(rows, nameof(rows), operation);
        CheckUnique(rows, nameof(rows), operation);
        var value = new List<int>(rows.Length);
        var state = new List<RowState>(rows.Length);
        var origin = new List<int>(rows.Length);
        foreach (int r in rows)
        {
            value.Add(_value[r]);
            state.Add(_state[r]);
            origin.Add(_origin[r]);
        }
        _value = value;
        _state = state;
        _origin = origin;
        return this;
    }

    private void CheckRange(ReadOnlySpan<int> rows, string paramName, string operation)
    {
        for (int i = 0; i < rows.Length; i++)
            if ((uint)rows[i] >= (uint)Rows)
                throw new ArgumentOutOfRangeException(paramName, rows[i],
                    $"Row {rows[i]} (at position {i}) is out of range [0, {Rows}) in {operation} of {Describe()}.");
    }

    private void CheckUnique(ReadOnlySpan<int> rows, string paramName, string operation)
    {
        var seen = new bool[Rows];
        for (int i = 0; i < rows.Length; i++)
        {
            if (seen[rows[i]]) ThrowHelper.ThrowArgument(paramName, $"Row {rows[i]} (at position {i}) is listed twice in {operation} of {Describe()}.");
            seen[rows[i]] = true;
        }
    }

    private static void CheckInit(RowInit init, string paramName)
    {
        if (init is not (RowInit.Fresh or RowInit.Copy)) ThrowHelper.ThrowArgument(paramName, $"Unknown row init {init}.");
    }

    private string Describe() => Label is null ? "the row plan" : $"'{Label}'";
}

/// <summary>Where a row's state comes from after a plan: an old row (−1: fresh), and the slot edits applied after it moved.</summary>
internal readonly record struct RowState(int Source, SlotEdit[]? Edits)
{
    public static RowState Fresh => new(-1, null);
}

/// <summary>What a slot edit does to its slot's elements of one row.</summary>
internal enum SlotEditKind
{
    /// <summary>Back to the slot's initial value.</summary>
    Reset,

    /// <summary>Multiplied by the value.</summary>
    Scale,

    /// <summary>Set to the value.</summary>
    Set,
}

/// <summary>One edit of one state slot of a row (see <see cref="RowPlan.ResetSlot"/>).</summary>
internal sealed record SlotEdit(string Slot, SlotEditKind Kind, float Value);
