namespace Momentum;

/// <summary>
/// A step's segments and work items. A segment is a piece of one parameter (at most <see cref="Optimizer.ChunkLength"/>
/// elements); a work item is a run of consecutive segments that one worker takes as a whole. Per segment the table
/// holds the parameter, start and length, and what a pass writes back: a partial sum (reductions, wrapper phases), the
/// first non-finite index of the gradient, and whether the fused pass begins and prepares the segment's parameter.
/// </summary>
/// <remarks>
/// The table owns its parallel arrays and grows them together, so every array always has room for every segment
/// (<see cref="Add"/> and <see cref="BeginItem"/> grow as needed; <see cref="Reserve"/> grows ahead of a known count).
/// Results never depend on how segments are grouped into items: partial sums are kept per segment and combined in
/// segment order.
/// </remarks>
internal sealed class SegmentTable
{
    private int[] _parameter = new int[16];
    private int[] _start = new int[16];
    private int[] _length = new int[16];
    private double[] _partial = new double[16];
    private int[] _firstBad = new int[16];
    private bool[] _prepare = new bool[16];
    private int[] _itemFirst = new int[17];

    /// <summary>The number of segments.</summary>
    public int Count { get; private set; }

    /// <summary>The number of work items; item i covers segments [<see cref="ItemFirst"/>[i], <see cref="ItemFirst"/>[i + 1]).</summary>
    public int ItemCount { get; private set; }

    /// <summary>Per segment: the index of its parameter.</summary>
    public int[] Parameter => _parameter;

    /// <summary>Per segment: its first element in the parameter.</summary>
    public int[] Start => _start;

    /// <summary>Per segment: its element count.</summary>
    public int[] Length => _length;

    /// <summary>Per segment: the partial sum a reducing pass wrote.</summary>
    public double[] Partial => _partial;

    /// <summary>Per segment: the first non-finite index of its gradient slice, or −1 (written by the finite check).</summary>
    public int[] FirstBad => _firstBad;

    /// <summary>Per segment: the fused pass begins and prepares the segment's (whole, one-segment) parameter itself.</summary>
    public bool[] Prepare => _prepare;

    /// <summary>Per work item: its first segment; entry <see cref="ItemCount"/> is <see cref="Count"/> once <see cref="EndItems"/> ran.</summary>
    public int[] ItemFirst => _itemFirst;

    /// <summary>Empties the table (capacity is kept).</summary>
    public void Clear()
    {
        Count = 0;
        ItemCount = 0;
    }

    /// <summary>Makes room for <paramref name="segments"/> segments (and as many items) in every array.</summary>
    public void Reserve(int segments)
    {
        if (_parameter.Length >= segments && _itemFirst.Length > segments) return;
        int size = Math.Max(segments, 2 * _parameter.Length);
        Array.Resize(ref _parameter, size);
        Array.Resize(ref _start, size);
        Array.Resize(ref _length, size);
        Array.Resize(ref _partial, size);
        Array.Resize(ref _firstBad, size);
        Array.Resize(ref _prepare, size);
        Array.Resize(ref _itemFirst, size + 1);
    }

    /// <summary>Starts a work item at the next segment.</summary>
    public void BeginItem()
    {
        if (ItemCount + 1 >= _itemFirst.Length) Reserve(ItemCount + 1);
        _itemFirst[ItemCount++] = Count;
    }

    /// <summary>Appends a segment to the open work item.</summary>
    public void Add(int parameter, int start, int length, bool prepare = false)
    {
        if (Count >= _parameter.Length) Reserve(Count + 1);
        _parameter[Count] = parameter;
        _start[Count] = start;
        _length[Count] = length;
        _prepare[Count] = prepare;
        Count++;
    }

    /// <summary>Closes the last work item.</summary>
    public void EndItems() => _itemFirst[ItemCount] = Count;
}
