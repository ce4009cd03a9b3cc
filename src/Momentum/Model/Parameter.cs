namespace Momentum;

/// <summary>
/// A named float32 tensor that an optimizer updates. Its first dimension is its rows (a scalar has one row); the
/// other dimensions are fixed for its lifetime, while the number of rows may change through row operations.
/// The object itself is the stable handle: it keeps its identity and <see cref="Index"/> however its rows change.
/// </summary>
public sealed class Parameter
{
    private readonly int[] _trailingShape;

    internal Parameter(ParameterSet owner, int index, string name, ReadOnlySpan<int> shape)
    {
        Owner = owner;
        Index = index;
        Name = name;
        Rank = shape.Length;
        _trailingShape = shape.Length == 0 ? [] : shape[1..].ToArray();
        int rowLength = 1;
        foreach (int d in _trailingShape) rowLength = checked(rowLength * d);
        int rows = shape.Length == 0 ? 1 : shape[0];
        // Small parameters lie one after another in shared slabs, so the engine can stream several through one kernel call.
        Storage = owner.Storage.TryAllocate(rows, rowLength, rows) ?? new RowBuffer(rows, rowLength);
    }

    /// <summary>The set this parameter belongs to.</summary>
    public ParameterSet Owner { get; }

    /// <summary>The position of this parameter in its set (stable).</summary>
    public int Index { get; }

    /// <summary>The parameter's name, unique in its set.</summary>
    public string Name { get; }

    /// <summary>The number of dimensions (0 for a scalar).</summary>
    public int Rank { get; }

    /// <summary>The current shape; its first element is <see cref="Rows"/> (empty for a scalar).</summary>
    public int[] Shape => Rank == 0 ? [] : [Rows, .. _trailingShape];

    /// <summary>The number of rows: the first dimension, or 1 for a scalar.</summary>
    public int Rows => Storage.Rows;

    /// <summary>The number of elements per row: the product of all dimensions but the first.</summary>
    public int RowLength => Storage.RowLength;

    /// <summary>The number of elements.</summary>
    public int Length => Storage.Length;

    /// <summary>The values, row-major.</summary>
    public Span<float> Values => Storage.Span;

    /// <summary>The storage of the values.</summary>
    internal RowBuffer Storage { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} [{string.Join(", ", Shape)}]";
}
