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

    private Parameter Add(string name, int[] shape, ReadOnlySpan<float> values, bool fill)
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
        var parameter = new Parameter(this, _parameters.Count, name, shape);
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
