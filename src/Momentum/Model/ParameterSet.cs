using System.Collections;

namespace Momentum;

/// <summary>
/// The parameters an optimizer trains: named float32 tensors, each stored contiguously. Parameters are added once
/// and never removed; their rows may change through row operations.
/// </summary>
public sealed class ParameterSet : IReadOnlyList<Parameter>
{
    private readonly List<Parameter> _parameters = [];
    private readonly Dictionary<string, Parameter> _byName = new(StringComparer.Ordinal);

    /// <summary>The slabs that hold the small parameters' values, in the order they were added.</summary>
    internal Slabs Storage { get; } = new();

    /// <summary>Adds a parameter of the given shape, filled with zeros.</summary>
    /// <param name="name">A unique, non-empty name.</param>
    /// <param name="shape">The shape; empty for a scalar. No dimension may be negative.</param>
    /// <returns>The new parameter, which is its own stable handle.</returns>
    /// <exception cref="ArgumentException">The name is empty or taken, or a dimension is negative.</exception>
    public Parameter Add(string name, params int[] shape) => Add(name, shape, ReadOnlySpan<float>.Empty, fill: false);

    /// <summary>Adds a parameter with the given initial values.</summary>
    /// <param name="name">A unique, non-empty name.</param>
    /// <param name="shape">The shape; empty for a scalar.</param>
    /// <param name="values">The initial values, row-major; their count must equal the product of the shape.</param>
    /// <returns>The new parameter.</returns>
    /// <exception cref="ArgumentException">The name is empty or taken, a dimension is negative, or the value count is wrong.</exception>
    public Parameter Add(string name, int[] shape, ReadOnlySpan<float> values) => Add(name, shape, values, fill: true);

    /// <summary>
    /// Adds a parameter whose values, and the gradient of every <see cref="GradientSet"/> of it, live in pinned arrays
    /// (the pinned object heap) that another library may address directly, e.g. tensors over the same memory
    /// (zero copy): see <see cref="Parameter.PinnedArray"/> and <see cref="GradientSet.PinnedGradient"/>.
    /// </summary>
    /// <param name="name">A unique, non-empty name.</param>
    /// <param name="shape">The shape; empty for a scalar.</param>
    /// <param name="values">The initial values, row-major, of the shape's element count; empty for zeros.</param>
    /// <param name="changed">Called when a row operation changes the row count or moves the memory of the values or
    /// of a gradient (only growing past the capacity moves it); null if the memory is never shared.</param>
    /// <returns>The new parameter.</returns>
    /// <exception cref="ArgumentException">The name is empty or taken, a dimension is negative, or the value count is wrong.</exception>
    /// <remarks>
    /// A pinned parameter is never packed into a shared slab with others, so its arrays keep their address from step to
    /// step; the numbers of a step are the same bits as with ordinary storage (the layout only affects speed). The arrays
    /// may be longer than the tensor (spare row capacity).
    /// </remarks>
    public Parameter AddPinned(string name, int[] shape, ReadOnlySpan<float> values, PinnedStorageChanged? changed = null) =>
        Add(name, shape, values, fill: !values.IsEmpty, new PinnedStorage(null, changed));

    /// <summary>
    /// Adds a pinned parameter over memory handed in: <paramref name="storage"/> is used in place (the values are its
    /// first elements, row-major; the rest is spare row capacity), not copied. Gradients are pinned arrays as with
    /// <see cref="AddPinned"/>.
    /// </summary>
    /// <param name="name">A unique, non-empty name.</param>
    /// <param name="shape">The shape; empty for a scalar.</param>
    /// <param name="storage">The values' memory, at least the shape's element count long. If its address is handed to
    /// native code, the caller keeps it pinned (<see cref="GC.AllocateArray{T}(int, bool)"/> with <c>pinned: true</c>,
    /// or a pinned <see cref="System.Runtime.InteropServices.GCHandle"/>) for as long as the parameter uses it.</param>
    /// <param name="changed">As for <see cref="AddPinned"/>: a row operation that grows the parameter past the
    /// array's capacity moves the values to a new pinned array of the library's, and calls it.</param>
    /// <returns>The new parameter.</returns>
    /// <exception cref="ArgumentException">The name is empty or taken, a dimension is negative, or the array is too short.</exception>
    public Parameter AddExternal(string name, int[] shape, float[] storage, PinnedStorageChanged? changed = null)
    {
        ArgumentNullException.ThrowIfNull(storage);
        return Add(name, shape, ReadOnlySpan<float>.Empty, fill: false, new PinnedStorage(storage, changed));
    }

    private Parameter Add(string name, int[] shape, ReadOnlySpan<float> values, bool fill, PinnedStorage? pinned = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        if (name.Length == 0) ThrowHelper.ThrowArgument(nameof(name), "A parameter name must not be empty.");
        if (_byName.ContainsKey(name)) ThrowHelper.ThrowArgument(nameof(name), $"A parameter named '{name}' already exists.");
        long count = 1;
        foreach (int d in shape)
        {
            if (d < 0) ThrowHelper.ThrowArgument(nameof(shape), $"Parameter '{name}' has a negative dimension {d}.");
            count *= d;
            if (count > Array.MaxLength) ThrowHelper.ThrowArgument(nameof(shape), $"Parameter '{name}' is too large for one array.");
        }
        if (fill && values.Length != count)
            ThrowHelper.ThrowArgument(nameof(values), $"Parameter '{name}' has shape [{string.Join(", ", shape)}] ({count} elements) but {values.Length} values were given.");
        if (pinned?.External is { } storage && storage.Length < count)
            ThrowHelper.ThrowArgument(nameof(storage), $"Parameter '{name}' has shape [{string.Join(", ", shape)}] ({count} elements) but the storage holds {storage.Length}.");
        var parameter = new Parameter(this, _parameters.Count, name, shape, pinned);
        if (fill) values.CopyTo(parameter.Values);
        _parameters.Add(parameter);
        _byName.Add(name, parameter);
        return parameter;
    }

    /// <summary>The parameter at <paramref name="index"/>.</summary>
    /// <param name="index">The position, in order of addition.</param>
    public Parameter this[int index] => _parameters[index];

    /// <summary>The parameter named <paramref name="name"/>.</summary>
    /// <param name="name">The name.</param>
    /// <exception cref="KeyNotFoundException">No parameter has that name.</exception>
    public Parameter this[string name] =>
        _byName.TryGetValue(name, out var p) ? p : throw new KeyNotFoundException($"No parameter named '{name}'.");

    /// <summary>Looks a parameter up by name.</summary>
    /// <param name="name">The name.</param>
    /// <param name="parameter">The parameter, when found.</param>
    /// <returns>Whether a parameter has that name.</returns>
    public bool TryGet(string name, out Parameter parameter) => _byName.TryGetValue(name, out parameter!);

    /// <summary>The number of parameters.</summary>
    public int Count => _parameters.Count;

    /// <summary>The total number of elements over all parameters.</summary>
    public long ElementCount
    {
        get
        {
            long total = 0;
            foreach (var p in _parameters) total += p.Length;
            return total;
        }
    }

    /// <inheritdoc/>
    public IEnumerator<Parameter> GetEnumerator() => _parameters.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    internal void CheckOwns(Parameter parameter, string paramName)
    {
        if (!ReferenceEquals(parameter.Owner, this)) ThrowHelper.ThrowArgument(paramName, $"Parameter '{parameter.Name}' belongs to another parameter set.");
    }
}
