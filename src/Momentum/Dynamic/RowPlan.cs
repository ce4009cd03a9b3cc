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
    private List<int> _state;
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
        _state = [.. _value];
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
                if (_value[r] != r || _state[r] != r || _origin[r] != r) return false;
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
            _state.Add(-1);
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
            _state.Add(init == RowInit.Copy ? _state[r] : -1);
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
        foreach (int r in rows) _state[r] = -1;
        return this;
    }

    /// <summary>
    /// Overwrites row <c>destinations[i]</c> with row <c>sources[i]</c> (relocation, as in 3DGS-MCMC): values are
    /// copied, state is fresh or copied. Every source is read before any destination is written.
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
        var state = new int[n];
        for (int i = 0; i < n; i++)
        {
            value[i] = _value[sources[i]];
            state[i] = init == RowInit.Copy ? _state[sources[i]] : -1;
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
            int parentState = _state[p];
            for (int c = 1; c < children; c++)
            {
                _value.Add(_value[p]);
                _state.Add(state == SplitState.CopyParent ? parentState : -1);
                _origin.Add(-1);
            }
            if (state == SplitState.AllFresh) _state[p] = -1;
        }
        return this;
    }

    /// <summary>For each row after the plan: the old row its values come from, or −1 for zero.</summary>
    internal int[] ValueSources() => [.. _value];

    /// <summary>For each row after the plan: the old row its state comes from, or −1 for fresh.</summary>
    internal int[] StateSources() => [.. _state];

    /// <summary>For each row after the plan: the old row it still is (a gradient follows it), or −1 for a new row.</summary>
    internal int[] Origins() => [.. _origin];

    private RowPlan GatherCore(ReadOnlySpan<int> rows, string operation)
    {
        CheckRange(rows, nameof(rows), operation);
        CheckUnique(rows, nameof(rows), operation);
        var value = new List<int>(rows.Length);
        var state = new List<int>(rows.Length);
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
