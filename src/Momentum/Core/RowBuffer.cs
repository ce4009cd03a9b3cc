namespace Momentum;

/// <summary>
/// A float32 tensor stored row by row: <see cref="Rows"/> rows of <see cref="RowLength"/> contiguous elements, inside a
/// buffer with room for <see cref="Capacity"/> rows so that rows can be appended without reallocating every time.
/// Parameters, gradients and every per-row optimizer state tensor use it, so a row operation moves them together.
/// </summary>
public sealed class RowBuffer
{
    private float[] _data;

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
        _data = total == 0 ? [] : GC.AllocateUninitializedArray<float>((int)total, pinned: false);
        Array.Clear(_data);
        Rows = rows;
        RowLength = rowLength;
    }

    /// <summary>The number of rows in use.</summary>
    public int Rows { get; private set; }

    /// <summary>The number of elements in one row.</summary>
    public int RowLength { get; }

    /// <summary>The number of elements in use: <see cref="Rows"/> × <see cref="RowLength"/>.</summary>
    public int Length => Rows * RowLength;

    /// <summary>The number of rows that fit without reallocating.</summary>
    public int Capacity => RowLength == 0 ? int.MaxValue : _data.Length / RowLength;

    /// <summary>The elements in use, row-major.</summary>
    public Span<float> Span => _data.AsSpan(0, Length);

    /// <summary>One row.</summary>
    /// <param name="row">The row index, 0 ≤ row &lt; <see cref="Rows"/>.</param>
    public Span<float> Row(int row)
    {
        if ((uint)row >= (uint)Rows) ThrowHelper.ThrowArgumentOutOfRange(nameof(row), row, $"must be in [0, {Rows})");
        return _data.AsSpan(row * RowLength, RowLength);
    }

    /// <summary>The backing array (its length is the capacity); internal for kernels.</summary>
    internal float[] Data => _data;

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
        if (rows > Capacity)
        {
            long wanted = Math.Max(rows, (long)Capacity * 3 / 2 + 1);
            long total = Math.Min(wanted * RowLength, Array.MaxLength);
            if (total < (long)rows * RowLength) ThrowHelper.ThrowArgumentOutOfRange(nameof(rows), rows, "times the row length must fit in one array");
            var grown = new float[total];
            _data.AsSpan(0, Length).CopyTo(grown);
            _data = grown;
        }
        else if (rows > Rows)
        {
            _data.AsSpan(Length, (rows - Rows) * RowLength).Clear();
        }
        Rows = rows;
    }
}
