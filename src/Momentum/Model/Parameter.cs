namespace Momentum;

/// <summary>
/// A named float32 tensor that an optimizer updates. Its first dimension is its rows (a scalar has one row); the
/// other dimensions are fixed for its lifetime, while the number of rows may change through row operations.
/// The object itself is the stable handle: it keeps its identity and <see cref="Index"/> however its rows change.
/// </summary>
public sealed class Parameter
{
    private readonly int[] _trailingShape;

    internal Parameter(ParameterSet owner, int index, string name, ReadOnlySpan<int> shape, PinnedStorage? pinned = null)
    {
        Owner = owner;
        Index = index;
        Name = name;
        Rank = shape.Length;
        _trailingShape = shape.Length == 0 ? [] : shape[1..].ToArray();
        int rowLength = 1;
        foreach (int d in _trailingShape) rowLength = checked(rowLength * d);
        int rows = shape.Length == 0 ? 1 : shape[0];
        if (pinned is not null)
        {
            Pinned = pinned;
            Storage = new RowBuffer(rows, rowLength, pinned.External) { Changed = () => pinned.Changed?.Invoke(this, null) };
            return;
        }
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

    /// <summary>
    /// Whether the values (and every gradient set's gradient of this parameter) live in pinned arrays that another
    /// library may address: see <see cref="ParameterSet.AddPinned"/>.
    /// </summary>
    public bool IsPinned => Pinned is not null;

    /// <summary>
    /// The pinned array of the values: its first <see cref="Length"/> elements are <see cref="Values"/>, row-major, at a
    /// stable address. A row operation that grows the parameter past its capacity moves the values to a new pinned array
    /// and calls the parameter's <see cref="PinnedStorageChanged"/> handler; read this property again there.
    /// </summary>
    /// <exception cref="InvalidOperationException">The parameter is not pinned.</exception>
    public float[] PinnedArray
    {
        get
        {
            if (Pinned is null) ThrowHelper.ThrowInvalidOperation($"Parameter '{Name}' is not pinned (add it with ParameterSet.AddPinned or AddExternal).");
            return Storage.PinnedArray;
        }
    }

    /// <summary>The storage of the values.</summary>
    internal RowBuffer Storage { get; }

    /// <summary>How a pinned parameter was made, or null for ordinary (possibly slab-packed) storage.</summary>
    internal PinnedStorage? Pinned { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} [{string.Join(", ", Shape)}]";
}

/// <summary>
/// Tells the owner of a pinned parameter's memory (<see cref="ParameterSet.AddPinned"/>) that a row operation changed
/// the row count or moved the memory: of the values when <paramref name="gradients"/> is null (read
/// <see cref="Parameter.PinnedArray"/>), otherwise of that gradient set's gradient
/// (read <see cref="GradientSet.PinnedGradient"/>).
/// </summary>
/// <param name="parameter">The parameter whose storage changed; <see cref="Parameter.Shape"/> is already the new shape.</param>
/// <param name="gradients">The gradient set whose buffer changed, or null for the values.</param>
/// <remarks>
/// Called on the thread of the row operation, after the buffer has its new rows and before the operation has written
/// them: re-point views there, and read the contents once the operation has returned. Must not start another row
/// operation or step.
/// </remarks>
public delegate void PinnedStorageChanged(Parameter parameter, GradientSet? gradients);

/// <summary>A pinned parameter's handed-in array (or null: a new pinned one) and its change handler.</summary>
internal sealed record PinnedStorage(float[]? External, PinnedStorageChanged? Changed);
