namespace Momentum;

/// <summary>
/// The rows of each parameter that take part in a selective step (<see cref="Optimizer.Step(GradientSet, RowSelection, double)"/>):
/// the visible Gaussians, the rows that received a gradient. Rows outside the selection keep their values and state
/// exactly (torch's <c>SparseAdam</c>, gsplat's <c>SelectiveAdam</c>).
/// </summary>
/// <remarks>A parameter without an entry takes a full step. The row lists are kept sorted in reused buffers, so
/// setting the same-sized selections every step allocates nothing; setting one costs O(k log k) for k rows, whatever
/// the parameter's size. On an invalid call the previous entry is kept.</remarks>
public sealed class RowSelection
{
    private int[]?[] _rows;
    private int[] _counts;
    private bool[] _set;
    private int[] _scratch = [];

    /// <summary>Creates an empty selection (every parameter takes a full step) for <paramref name="parameters"/>.</summary>
    /// <param name="parameters">The parameter set.</param>
    public RowSelection(ParameterSet parameters)
    {
        Parameters = parameters ?? throw new ArgumentNullException(nameof(parameters));
        _rows = new int[]?[parameters.Count];
        _counts = new int[parameters.Count];
        _set = new bool[parameters.Count];
    }

    /// <summary>The parameter set this selection belongs to.</summary>
    public ParameterSet Parameters { get; }

    /// <summary>Selects <paramref name="rows"/> of <paramref name="parameter"/> (in any order).</summary>
    /// <param name="parameter">A parameter of <see cref="Parameters"/>.</param>
    /// <param name="rows">The rows, each in [0, parameter.Rows) and at most once; may be empty (nothing moves).</param>
    /// <exception cref="ArgumentOutOfRangeException">A row is out of range.</exception>
    /// <exception cref="ArgumentException">A row is listed twice; the parameter belongs to another set.</exception>
    public void Set(Parameter parameter, ReadOnlySpan<int> rows)
    {
        int i = Slot(parameter);
        int n = parameter.Rows;
        for (int k = 0; k < rows.Length; k++)
            if ((uint)rows[k] >= (uint)n)
                throw new ArgumentOutOfRangeException(nameof(rows), rows[k], $"Row {rows[k]} (at position {k}) is out of range [0, {n}) for parameter '{parameter.Name}'.");
        if (_scratch.Length < rows.Length) _scratch = new int[Math.Max(rows.Length, _scratch.Length * 3 / 2)];
        var sorted = _scratch.AsSpan(0, rows.Length);
        rows.CopyTo(sorted);
        sorted.Sort();
        for (int k = 1; k < sorted.Length; k++)
            if (sorted[k] == sorted[k - 1]) ThrowHelper.ThrowArgument(nameof(rows), $"Row {sorted[k]} is selected twice for parameter '{parameter.Name}'.");
        var buffer = _rows[i];
        if (buffer is null || buffer.Length < rows.Length) _rows[i] = buffer = new int[Math.Max(rows.Length, (buffer?.Length ?? 0) * 3 / 2)];
        sorted.CopyTo(buffer);
        _counts[i] = rows.Length;
        _set[i] = true;
    }

    /// <summary>Selects the rows of <paramref name="parameter"/> where <paramref name="mask"/> is true.</summary>
    /// <param name="parameter">A parameter of <see cref="Parameters"/>.</param>
    /// <param name="mask">One flag per row.</param>
    /// <exception cref="ArgumentException">The mask's length differs from the parameter's row count.</exception>
    public void SetMask(Parameter parameter, ReadOnlySpan<bool> mask)
    {
        int i = Slot(parameter);
        if (mask.Length != parameter.Rows)
            ThrowHelper.ThrowArgument(nameof(mask), $"The mask has {mask.Length} entries but parameter '{parameter.Name}' has {parameter.Rows} rows.");
        int count = 0;
        foreach (bool b in mask)
            if (b) count++;
        var buffer = _rows[i];
        if (buffer is null || buffer.Length < count) _rows[i] = buffer = new int[Math.Max(count, (buffer?.Length ?? 0) * 3 / 2)];
        int k = 0;
        for (int r = 0; r < mask.Length; r++)
            if (mask[r]) buffer[k++] = r;
        _counts[i] = count;
        _set[i] = true;
    }

    /// <summary>Removes the entry of <paramref name="parameter"/>: it takes a full step.</summary>
    /// <param name="parameter">A parameter of <see cref="Parameters"/>.</param>
    public void Clear(Parameter parameter) => _set[Slot(parameter)] = false;

    /// <summary>Removes every entry.</summary>
    public void ClearAll() => Array.Clear(_set);

    /// <summary>Whether <paramref name="parameter"/> has an entry (a selective step for it).</summary>
    /// <param name="parameter">A parameter of <see cref="Parameters"/>.</param>
    public bool IsSelected(Parameter parameter)
    {
        int i = Slot(parameter);
        return _set[i];
    }

    /// <summary>The selected rows of <paramref name="parameter"/>, sorted; empty without an entry.</summary>
    /// <param name="parameter">A parameter of <see cref="Parameters"/>.</param>
    public ReadOnlySpan<int> RowsOf(Parameter parameter)
    {
        int i = Slot(parameter);
        return _set[i] ? _rows[i].AsSpan(0, _counts[i]) : [];
    }

    internal bool TryGet(int index, out ReadOnlyMemory<int> rows)
    {
        if (index < _set.Length && _set[index])
        {
            rows = _rows[index].AsMemory(0, _counts[index]);
            return true;
        }
        rows = default;
        return false;
    }

    private int Slot(Parameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        Parameters.CheckOwns(parameter, nameof(parameter));
        int i = parameter.Index;
        if (i >= _set.Length)
        {
            Array.Resize(ref _rows, Parameters.Count);
            Array.Resize(ref _counts, Parameters.Count);
            Array.Resize(ref _set, Parameters.Count);
        }
        return i;
    }
}
