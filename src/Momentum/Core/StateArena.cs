namespace Momentum;

/// <summary>
/// Lays out the per-row state tensors of small parameters slot by slot: the first tensor of stage <c>s</c> of every
/// small parameter (Adam's first moments, say) goes into one sequence of shared slabs, the second (the second moments)
/// into another, each in the order the states are created. A step over thousands of small parameters then streams each
/// state slot as one run of memory, as it does for one large tensor; separate arrays, interleaved with each other and
/// with the state objects, cost about a fifth more time on the memory-bound Adam step (docs/PERFORMANCE.md).
/// </summary>
/// <remarks>
/// <para>One arena per optimizer. Only tensors whose reserved size is under <see cref="MaxElements"/> are packed
/// (larger ones stream well on their own); a packed tensor that must grow beyond its reserved rows moves to an array
/// of its own (<see cref="RowBuffer.Resize"/>). A slab's space is never handed out twice: a state that is dropped
/// (<see cref="Optimizer.ResetState(Parameter)"/>) leaves its space unused until every tensor in that slab is gone.</para>
/// <para>States are created through <see cref="Creating"/> on one thread at a time (the stepping thread); the layout
/// only affects speed, never a result.</para>
/// </remarks>
internal sealed class StateArena
{
    /// <summary>Tensors with fewer reserved elements than this are packed; it is the engine's chunk length.</summary>
    public const int MaxElements = Optimizer.ChunkLength;

    private const int FirstSlabLength = 4 * 1024;   // elements; slabs double up to LastSlabLength
    private const int LastSlabLength = 256 * 1024;  // 1 MiB
    private const int Alignment = 16;               // elements: offsets are multiples of 64 bytes

    [ThreadStatic] private static StateArena? t_arena;
    [ThreadStatic] private static int t_stage;

    private readonly List<List<Slab>> _slabs = []; // [stage][ordinal of the tensor within the stage's state]

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
        long elements = (long)capacityRows * rowLength;
        if (elements == 0 || elements >= MaxElements) return null;
        return arena.Allocate(t_stage, ordinal, rows, rowLength, capacityRows, (int)elements);
    }

    private RowBuffer Allocate(int stage, int ordinal, int rows, int rowLength, int capacityRows, int elements)
    {
        while (_slabs.Count <= stage) _slabs.Add([]);
        var byOrdinal = _slabs[stage];
        while (byOrdinal.Count <= ordinal) byOrdinal.Add(new Slab());
        var slab = byOrdinal[ordinal];
        int reserved = (elements + Alignment - 1) / Alignment * Alignment;
        if (slab.Data.Length - slab.Used < reserved)
        {
            int length = Math.Clamp(slab.Data.Length * 2, FirstSlabLength, LastSlabLength);
            slab.Data = new float[Math.Max(length, reserved)];
            slab.Used = 0;
        }
        var buffer = new RowBuffer(slab.Data, slab.Used, rows, rowLength, capacityRows);
        slab.Used += reserved;
        return buffer;
    }

    private sealed class Slab
    {
        public float[] Data = [];
        public int Used;
    }

    /// <summary>Ends <see cref="Creating"/>.</summary>
    public readonly struct Scope : IDisposable
    {
        /// <inheritdoc/>
        public void Dispose() => t_arena = null;
    }
}
