namespace Momentum.Distributed;

/// <summary>
/// Which rank owns which elements: the parameters' elements, flattened in parameter order, are cut into
/// <see cref="Ranks"/> contiguous ranges of about equal size, rank 0 first. A cut inside a parameter falls on a
/// multiple of the engine's chunk length (16 Ki elements) that is also a whole number of rows, so every piece's chunks are
/// chunks of the full tensor and every piece is whole rows; a parameter that may not be split (smaller than one chunk,
/// or its chain has a tensor-level stage) moves to whichever side of the ideal cut is nearer. Ranges may be empty.
/// </summary>
public sealed class ShardLayout
{
    private readonly long[] _parameterStart; // per parameter: its first element in the flattened order
    private readonly int[] _length;
    private readonly long[] _cuts;           // Ranks + 1 cut points in the flattened order

    private ShardLayout(long[] parameterStart, int[] length, long[] cuts, bool[] splittable)
    {
        _parameterStart = parameterStart;
        _length = length;
        _cuts = cuts;
        Splittable = splittable;
    }

    /// <summary>The number of ranks.</summary>
    public int Ranks => _cuts.Length - 1;

    /// <summary>The number of parameters.</summary>
    public int ParameterCount => _length.Length;

    /// <summary>Per parameter: whether it may be split across ranks.</summary>
    public IReadOnlyList<bool> Splittable { get; }

    /// <summary>The elements rank <paramref name="rank"/> owns, over all parameters.</summary>
    /// <param name="rank">A rank.</param>
    public long OwnedElements(int rank) => _cuts[rank + 1] - _cuts[rank];

    /// <summary>The first element of parameter <paramref name="parameter"/> that rank <paramref name="rank"/> owns (its piece's start; 0 when the piece is empty).</summary>
    /// <param name="parameter">A parameter index.</param>
    /// <param name="rank">A rank.</param>
    public int PieceStart(int parameter, int rank)
    {
        long start = Math.Clamp(_cuts[rank] - _parameterStart[parameter], 0, _length[parameter]);
        return PieceLength(parameter, rank) == 0 ? 0 : (int)start;
    }

    /// <summary>How many elements of parameter <paramref name="parameter"/> rank <paramref name="rank"/> owns.</summary>
    /// <param name="parameter">A parameter index.</param>
    /// <param name="rank">A rank.</param>
    public int PieceLength(int parameter, int rank)
    {
        long from = Math.Max(_cuts[rank], _parameterStart[parameter]);
        long to = Math.Min(_cuts[rank + 1], _parameterStart[parameter] + _length[parameter]);
        return (int)Math.Max(0, to - from);
    }

    /// <summary>The layout of <paramref name="parameters"/> over <paramref name="ranks"/> ranks.</summary>
    /// <param name="parameters">The parameters, at their current shapes.</param>
    /// <param name="ranks">The number of ranks.</param>
    /// <param name="splittable">Per parameter index: whether its chain allows a split (no tensor-level stage).</param>
    public static ShardLayout Create(ParameterSet parameters, int ranks, Func<int, bool> splittable)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(splittable);
        ArgumentOutOfRangeException.ThrowIfLessThan(ranks, 1);
        int n = parameters.Count;
        var start = new long[n];
        var length = new int[n];
        var step = new long[n];      // the distance between allowed cuts inside the parameter; 0: never split
        var canSplit = new bool[n];
        long total = 0;
        for (int p = 0; p < n; p++)
        {
            var parameter = parameters[p];
            start[p] = total;
            length[p] = parameter.Length;
            total += parameter.Length;
            canSplit[p] = parameter.Length >= Optimizer.ChunkLength && parameter.RowLength > 0 && splittable(p);
            if (canSplit[p]) step[p] = Lcm(Optimizer.ChunkLength, parameter.RowLength);
        }
        var cuts = new long[ranks + 1];
        cuts[ranks] = total;
        for (int r = 1; r < ranks; r++)
        {
            long ideal = total * r / ranks;
            cuts[r] = Math.Max(cuts[r - 1], NearestCut(ideal, start, length, step));
        }
        return new ShardLayout(start, length, cuts, canSplit);
    }

    /// <summary>The allowed cut nearest to <paramref name="ideal"/> (the lower one on a tie).</summary>
    private static long NearestCut(long ideal, long[] start, int[] length, long[] step)
    {
        for (int p = 0; p < start.Length; p++)
        {
            if (ideal <= start[p] || ideal >= start[p] + length[p]) continue; // a parameter boundary is always allowed
            long low = start[p], high = start[p] + length[p];
            if (step[p] > 0)
            {
                long below = low + (ideal - low) / step[p] * step[p];
                (low, high) = (below, Math.Min(high, below + step[p]));
            }
            return ideal - low <= high - ideal ? low : high;
        }
        return ideal;
    }

    private static long Lcm(long a, long b)
    {
        long x = a, y = b;
        while (y != 0) (x, y) = (y, x % y);
        return a / x * b;
    }
}
