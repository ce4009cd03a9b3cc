namespace Momentum;

/// <summary>
/// A float32 tensor stored row by row: <see cref="Rows"/> rows of <see cref="RowLength"/> contiguous elements, inside a
/// buffer with room for <see cref="Capacity"/> rows so that rows can be appended without reallocating every time.
/// Parameters, gradients and every per-row optimizer state tensor use it, so a row operation moves them together.
/// </summary>
/// <remarks>
/// A buffer usually owns its array. The per-row state tensors of small parameters are instead carved out of shared
/// slabs (<see cref="StateArena"/>), so that, say, the first moments of ten thousand small tensors lie one after
/// another in memory and a step streams them as one; such a buffer moves to an array of its own when it has to grow.
/// A <em>pinned</em> buffer (<see cref="IsPinned"/>: the values and gradients of a parameter made with
/// <see cref="ParameterSet.AddPinned"/> or <see cref="ParameterSet.AddExternal"/>) is never carved out of a slab; its
/// array keeps its address until a row operation must grow it, and then the new array is pinned too.
/// </remarks>
public sealed class RowBuffer
{
    private float[] _data;
    private int _offset;   // where this buffer's elements begin in _data
    private int _capacity; // elements reserved from _offset on
    private readonly bool _pinned;
    private static int s_layoutVersion;

    /// <summary>Creates a buffer of <paramref name="rows"/> rows of <paramref name="rowLength"/> zeros.</summary>
    /// <param name="rows">The number of rows (the first dimension of the tensor; 1 for a scalar).</param>
    /// <param name="rowLength">The number of elements in each row (the product of the other dimensions).</param>
    /// <param name="capacityRows">Rows to reserve; at least <paramref name="rows"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is negative or the total exceeds <see cref="Array.MaxLength"/>.</exception>
    public RowBuffer(int rows, int rowLength, int capacityRows = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(rowLength);
        capacityRows = Math.Max(capacityRows, rows);
        long total = (long)capacityRows * rowLength;
        if (total > Array.MaxLength) ThrowHelper.ThrowArgumentOutOfRange(nameof(rows), total, "times the row length must fit in one array");
        _data = total == 0 ? [] : new float[total];
        _capacity = _data.Length;
        Rows = rows;
        RowLength = rowLength;
    }

    /// <summary>A buffer over elements [offset, offset + capacityRows × rowLength) of a shared, zeroed slab.</summary>
    internal RowBuffer(float[] slab, int offset, int rows, int rowLength, int capacityRows)
    {
        _data = slab;
        _offset = offset;
        _capacity = capacityRows * rowLength;
        Rows = rows;
        RowLength = rowLength;
    }

    /// <summary>
    /// A pinned buffer of <paramref name="rows"/> rows over <paramref name="array"/> (used in place from element 0; its
    /// length sets the capacity), or over a new array on the pinned object heap when it is null.
    /// </summary>
    internal RowBuffer(int rows, int rowLength, float[]? array)
    {
        long total = (long)rows * rowLength;
        if (total > Array.MaxLength) ThrowHelper.ThrowArgumentOutOfRange(nameof(rows), total, "times the row length must fit in one array");
        _data = array ?? GC.AllocateArray<float>((int)total, pinned: true);
        _capacity = rowLength == 0 ? _data.Length : _data.Length / rowLength * rowLength;
        _pinned = true;
        Rows = rows;
        RowLength = rowLength;
    }

    /// <summary>
    /// Whether the buffer is pinned: its elements begin at element 0 of <see cref="PinnedArray"/>, whose address another
    /// library may hold, and it is never relocated into a shared slab. Only a row operation that grows it past its
    /// capacity gives it a new array (pinned as well), and then <see cref="Changed"/> tells its owner.
    /// </summary>
    public bool IsPinned => _pinned;

    /// <summary>
    /// The array of a pinned buffer: the elements in use are its first <see cref="Length"/> (row-major); the rest is
    /// spare capacity. The reference changes only when a row operation grows the buffer past its capacity.
    /// </summary>
    /// <exception cref="InvalidOperationException">The buffer is not pinned.</exception>
    public float[] PinnedArray
    {
        get
        {
            if (!_pinned) ThrowHelper.ThrowInvalidOperation("This buffer is not pinned; only pinned buffers hand out their array.");
            return _data;
        }
    }

    /// <summary>
    /// Called after <see cref="Resize"/> changed the row count or the array (a pinned buffer's owner re-points its views
    /// there); the rows a row operation writes may still be filled in after the call.
    /// </summary>
    internal Action? Changed { get; set; }

    /// <summary>The number of rows in use.</summary>
    public int Rows { get; private set; }

    /// <summary>The number of elements in one row.</summary>
    public int RowLength { get; }

    /// <summary>The number of elements in use: <see cref="Rows"/> × <see cref="RowLength"/>.</summary>
    public int Length => Rows * RowLength;

    /// <summary>The number of rows that fit without reallocating.</summary>
    public int Capacity => RowLength == 0 ? int.MaxValue : _capacity / RowLength;

    /// <summary>The elements in use, row-major.</summary>
    public Span<float> Span => _data.AsSpan(_offset, Length);

    /// <summary>One row.</summary>
    /// <param name="row">The row index, 0 ≤ row &lt; <see cref="Rows"/>.</param>
    public Span<float> Row(int row)
    {
        if ((uint)row >= (uint)Rows) ThrowHelper.ThrowArgumentOutOfRange(nameof(row), row, $"must be in [0, {Rows})");
        return _data.AsSpan(_offset + row * RowLength, RowLength);
    }

    /// <summary>The backing array, for kernels; the elements begin at <see cref="Offset"/>.</summary>
    internal float[] Data => _data;

    /// <summary>Where the elements begin in <see cref="Data"/>.</summary>
    internal int Offset => _offset;

    /// <summary>
    /// Changes whenever any buffer in the process changes its row count or its array (<see cref="Resize"/>), so that
    /// the engine may keep lengths and arrays it read at an earlier step for as long as this value stays the same.
    /// </summary>
    internal static int LayoutVersion => Volatile.Read(ref s_layoutVersion);

    /// <summary>Sets every element in use to <paramref name="value"/>.</summary>
    public void Fill(float value) => Span.Fill(value);

    /// <summary>
    /// Changes the number of rows. Rows that stay keep their values; new rows are zero. Grows the capacity by at
    /// least 1.5× when it must, so that repeated appends cost amortized O(1) per row.
    /// </summary>
    /// <param name="rows">The new number of rows.</param>
    public void Resize(int rows)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        Interlocked.Increment(ref s_layoutVersion);
        var before = _data;
        if (rows > Capacity)
        {
            long wanted = Math.Max(rows, (long)Capacity * 3 / 2 + 1);
            long total = Math.Min(wanted * RowLength, Array.MaxLength);
            if (total < (long)rows * RowLength) ThrowHelper.ThrowArgumentOutOfRange(nameof(rows), rows, "times the row length must fit in one array");
            var grown = _pinned ? GC.AllocateArray<float>((int)total, pinned: true) : new float[total];
            Span.CopyTo(grown);
            _data = grown;
            _offset = 0;
            _capacity = grown.Length;
        }
        else if (rows > Rows)
        {
            _data.AsSpan(_offset + Length, (rows - Rows) * RowLength).Clear();
        }
        bool changed = rows != Rows || !ReferenceEquals(before, _data);
        Rows = rows;
        if (changed) Changed?.Invoke();
    }
}
