namespace Momentum;

/// <summary>
/// Lays out the per-row state tensors of small parameters slot by slot: the first tensor of stage <c>s</c> of every
/// small parameter (Adam's first moments, say) goes into one sequence of shared slabs, the second (the second moments)
/// into another, each in the order the states are created, with no gap. A step over thousands of small parameters then
/// streams each state slot as one run of memory, as it does for one large tensor; separate arrays, interleaved with
/// each other and with the state objects, cost about a fifth more time on the memory-bound Adam step, and adjacent
/// tensors let the engine run several small parameters through one kernel call (docs/PERFORMANCE.md).
/// </summary>
/// <remarks>
/// <para>One arena per optimizer. Only tensors whose reserved size is under <see cref="Slabs.MaxElements"/> are packed
/// (larger ones stream well on their own); a packed tensor that must grow beyond its reserved rows moves to an array
/// of its own (<see cref="RowBuffer.Resize"/>). A slab's space is never handed out twice: a state that is dropped
/// (<see cref="Optimizer.ResetState(Parameter)"/>) leaves its space unused until every tensor in that slab is gone.</para>
/// <para>States are created through <see cref="Creating"/> on one thread at a time (the stepping thread); the layout
/// only affects speed, never a result.</para>
/// </remarks>
internal sealed class StateArena
{
    [ThreadStatic] private static StateArena? t_arena;
    [ThreadStatic] private static int t_stage;

    private readonly List<List<Slabs>> _slabs = []; // [stage][ordinal of the tensor within the stage's state]

    /// <summary>
    /// Makes this arena the one <see cref="TryAllocate"/> uses on this thread while stage <paramref name="stage"/>'s
    /// state is created; dispose the result to stop.
    /// </summary>
    public Scope Creating(int stage)
    {
        t_arena = this;
        t_stage = stage;
        return default;
    }

    /// <summary>
    /// Storage for the <paramref name="ordinal"/>-th per-row tensor of the state being created, or null when no arena is
    /// active on this thread or the tensor is not small.
    /// </summary>
    public static RowBuffer? TryAllocate(int ordinal, int rows, int rowLength, int capacityRows)
    {
        var arena = t_arena;
        if (arena is null) return null;
        var byStage = arena._slabs;
        while (byStage.Count <= t_stage) byStage.Add([]);
        var byOrdinal = byStage[t_stage];
        while (byOrdinal.Count <= ordinal) byOrdinal.Add(new Slabs());
        return byOrdinal[ordinal].TryAllocate(rows, rowLength, capacityRows);
    }

    /// <summary>Ends <see cref="Creating"/>.</summary>
    public readonly struct Scope : IDisposable
    {
        /// <inheritdoc/>
        public void Dispose() => t_arena = null;
    }
}

/// <summary>
/// Hands out the storage of small tensors as consecutive views of shared slabs, in the order asked, with no gap
/// between one tensor and the next (a new slab starts when one is full). Used for the parameters of a
/// <see cref="ParameterSet"/>, the buffers of a <see cref="GradientSet"/> and each state slot (<see cref="StateArena"/>).
/// </summary>
internal sealed class Slabs
{
    /// <summary>Tensors with fewer reserved elements than this are packed; it is the engine's chunk length.</summary>
    public const int MaxElements = Optimizer.ChunkLength;

    private const int FirstSlabLength = 4 * 1024;  // elements; slabs double up to LastSlabLength
    private const int LastSlabLength = 256 * 1024; // 1 MiB

    private float[] _slab = [];
    private int _used;

    /// <summary>A zeroed view of <paramref name="capacityRows"/> × <paramref name="rowLength"/> elements, or null if the tensor is not small.</summary>
    public RowBuffer? TryAllocate(int rows, int rowLength, int capacityRows)
    {
        long elements = (long)capacityRows * rowLength;
        if (elements == 0 || elements >= MaxElements) return null;
        if (_slab.Length - _used < elements)
        {
            // Slabs double from FirstSlabLength up to LastSlabLength, and a new one always holds the tensor asked for.
            _slab = new float[Math.Max((int)elements, Math.Clamp(_slab.Length * 2, FirstSlabLength, LastSlabLength))];
            _used = 0;
        }
        var buffer = new RowBuffer(_slab, _used, rows, rowLength, capacityRows);
        _used += (int)elements;
        return buffer;
    }
}
