namespace Momentum;

/// <summary>
/// The state one transformation keeps for one parameter. Every state tensor and scalar has a slot name, so that a
/// checkpoint saves and verifies it by name (<c>parameter/path/slot</c>), never by position, and row operations can
/// move every per-row tensor together with the parameter's rows.
/// </summary>
public abstract class TransformState
{
    private readonly List<StateTensor> _tensors = [];
    private readonly List<StateScalar> _scalars = [];

    /// <summary>Creates the state of a transformation for <paramref name="parameter"/>.</summary>
    /// <param name="parameter">The parameter.</param>
    protected TransformState(Parameter parameter) => Parameter = parameter ?? throw new ArgumentNullException(nameof(parameter));

    /// <summary>The parameter this state belongs to.</summary>
    public Parameter Parameter { get; }

    /// <summary>The named state tensors.</summary>
    public IReadOnlyList<StateTensor> Tensors => _tensors;

    /// <summary>The named state scalars (counters, running products).</summary>
    public IReadOnlyList<StateScalar> Scalars => _scalars;

    /// <summary>
    /// Whether this state can follow row operations on its parameter. True when every tensor is per-row; a state with
    /// tensors of another layout (factored statistics) returns false unless it handles row operations itself.
    /// </summary>
    public virtual bool SupportsRowOperations => _tensors.TrueForAll(t => t.PerRow);

    /// <summary>Adds a per-row tensor of the parameter's shape, every element set to <paramref name="initial"/>.</summary>
    /// <param name="slot">The slot name, e.g. <c>mu</c>.</param>
    /// <param name="initial">The initial value of every element (and of rows appended later with fresh state).</param>
    /// <returns>The tensor's storage.</returns>
    protected RowBuffer AddTensor(string slot, float initial = 0f)
    {
        int capacity = Parameter.Storage.Capacity == int.MaxValue ? Parameter.Rows : Parameter.Storage.Capacity;
        var buffer = StateArena.TryAllocate(_tensors.Count, Parameter.Rows, Parameter.RowLength, capacity)
            ?? new RowBuffer(Parameter.Rows, Parameter.RowLength, capacity);
        if (initial != 0f) buffer.Fill(initial);
        _tensors.Add(new StateTensor(slot, buffer, initial, perRow: true));
        return buffer;
    }

    /// <summary>Adds a tensor whose layout is not the parameter's rows (e.g. factored statistics).</summary>
    /// <param name="slot">The slot name.</param>
    /// <param name="rows">Its number of rows.</param>
    /// <param name="rowLength">Its row length.</param>
    /// <param name="initial">The initial value of every element.</param>
    /// <returns>The tensor's storage.</returns>
    protected RowBuffer AddOtherTensor(string slot, int rows, int rowLength, float initial = 0f)
    {
        var buffer = StateArena.TryAllocate(_tensors.Count, rows, rowLength, rows) ?? new RowBuffer(rows, rowLength);
        if (initial != 0f) buffer.Fill(initial);
        _tensors.Add(new StateTensor(slot, buffer, initial, perRow: false));
        return buffer;
    }

    /// <summary>
    /// Adds a tensor of bfloat16 values, one per parameter element, packed two per float32 element of its storage (the
    /// last float's upper half is padding when the parameter's length is odd). Not per-row. Checkpoints save it as a BF16
    /// tensor of the parameter's shape, so that other readers see the true values.
    /// </summary>
    /// <param name="slot">The slot name, e.g. <c>mu_bf16</c>.</param>
    /// <returns>The storage: <c>(length + 1) / 2</c> floats in one row, every bit 0 (bfloat16 zeros).</returns>
    protected RowBuffer AddBFloat16Tensor(string slot)
    {
        int slots = (Parameter.Length + 1) / 2;
        var buffer = StateArena.TryAllocate(_tensors.Count, 1, slots, 1) ?? new RowBuffer(1, slots);
        _tensors.Add(new StateTensor(slot, buffer, 0f, perRow: false) { IsBFloat16 = true });
        return buffer;
    }

    /// <summary>
    /// Adds a per-row step counter: one float per parameter row (exact up to 2²⁴ steps), starting at 0. It follows row
    /// operations like any per-row tensor, but a reset that keeps the step (<see cref="ResetMode.KeepStep"/>) leaves it.
    /// </summary>
    /// <param name="slot">The slot name, e.g. <c>row_count</c>.</param>
    /// <returns>The counter's storage (row length 1).</returns>
    protected RowBuffer AddRowCounter(string slot)
    {
        var buffer = new RowBuffer(Parameter.Rows, 1, Parameter.Storage.Capacity == int.MaxValue ? 0 : Parameter.Storage.Capacity);
        _tensors.Add(new StateTensor(slot, buffer, 0f, perRow: true) { IsCounter = true });
        return buffer;
    }

    /// <summary>
    /// Adds a per-row tensor with one float per parameter row (a per-row statistic such as a row-mean second moment),
    /// every element set to <paramref name="initial"/>. It follows row operations like any per-row tensor.
    /// </summary>
    /// <param name="slot">The slot name, e.g. <c>nu_row</c>.</param>
    /// <param name="initial">The initial value (also of rows appended later with fresh state).</param>
    /// <returns>The tensor's storage (row length 1).</returns>
    protected RowBuffer AddRowTensor(string slot, float initial = 0f)
    {
        var buffer = new RowBuffer(Parameter.Rows, 1, Parameter.Storage.Capacity == int.MaxValue ? 0 : Parameter.Storage.Capacity);
        if (initial != 0f) buffer.Fill(initial);
        _tensors.Add(new StateTensor(slot, buffer, initial, perRow: true));
        return buffer;
    }

    /// <summary>Registers a scalar (a counter or running product) under a slot name, for checkpoints.</summary>
    /// <param name="slot">The slot name, e.g. <c>count</c>.</param>
    /// <param name="get">Reads the value.</param>
    /// <param name="set">Writes the value (on checkpoint load).</param>
    protected void AddScalar(string slot, Func<double> get, Action<double> set) => _scalars.Add(new StateScalar(slot, get, set));
}

/// <summary>A named state tensor.</summary>
public sealed class StateTensor
{
    internal StateTensor(string slot, RowBuffer buffer, float initial, bool perRow)
    {
        Slot = slot;
        Buffer = buffer;
        Initial = initial;
        PerRow = perRow;
    }

    /// <summary>The slot name.</summary>
    public string Slot { get; }

    /// <summary>The storage.</summary>
    public RowBuffer Buffer { get; }

    /// <summary>The value a fresh element starts with.</summary>
    public float Initial { get; }

    /// <summary>Whether the tensor has one row per parameter row (and so follows row operations).</summary>
    public bool PerRow { get; }

    /// <summary>Whether the storage packs two bfloat16 values per float32 element, one per parameter element (see
    /// <see cref="TransformState"/>'s <c>AddBFloat16Tensor</c>); checkpoints save it as BF16 of the parameter's shape.</summary>
    public bool IsBFloat16 { get; internal init; }

    /// <summary>Whether the tensor is a per-row step counter rather than a statistic (kept by a reset that keeps the step).</summary>
    public bool IsCounter { get; internal init; }
}

/// <summary>A named state scalar.</summary>
/// <param name="Slot">The slot name.</param>
/// <param name="Get">Reads the value.</param>
/// <param name="Set">Writes the value.</param>
public sealed record StateScalar(string Slot, Func<double> Get, Action<double> Set);
