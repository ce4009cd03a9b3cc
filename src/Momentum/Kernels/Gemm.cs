using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Momentum.Kernels;

/// <summary>
/// A blocked, vectorized, multithreaded float32 matrix multiply, <c>C = α·op(A)·op(B) + β·D</c>, whose result does not
/// depend on the thread count or the vector width: every element of C is accumulated over k in increasing order,
/// starting from +0, with a separate multiply and add (no FMA), exactly as the naive loop
/// <c>float s = 0; for (l = 0; l &lt; k; l++) s += op(A)[i, l] * op(B)[l, j];</c> does, so it gives the naive loop's bits.
/// </summary>
/// <remarks>
/// <para>
/// The operands are first packed (on the pool): op(A) in strips of <see cref="StripRows"/> rows and op(B) in panels
/// of two vectors' width, each laid out k-major and padded with zeros. The output is then cut into fixed tiles of
/// <see cref="TileRows"/> × <see cref="TileColumns"/>, one work item each; a tile is accumulated in its worker's scratch
/// in depth blocks of <see cref="DepthBlock"/> (the running sums are stored as float between blocks, which is what the
/// naive loop holds too), then written out with the epilogue. Which worker takes a tile changes nothing, and the lanes
/// of a vector are independent columns, so every width gives the same bits.
/// </para>
/// <para>
/// Because both operands are packed before any output is written, C may be the same array as A, B or D. With
/// <c>symmetric</c>, C is square and known to be symmetric (XXᵀ, or the square of a symmetric matrix): only the
/// elements on or below the diagonal are computed and each is also written to its mirror position, which gives the
/// same bits as computing both (element (j, i) is the same products in the same order). An instance holds the packed
/// operands and the per-worker tiles; it allocates only when a call needs more room than an earlier one, and it is
/// not thread-safe.
/// </para>
/// </remarks>
internal sealed class Gemm : IParallelBody
{
    /// <summary>Rows of op(A) per packed strip: the register tile's height (six rows of two vectors: 12 accumulators).</summary>
    internal const int StripRows = 6;

    /// <summary>Rows of C per work item (a multiple of <see cref="StripRows"/>).</summary>
    internal const int TileRows = 96;

    /// <summary>Columns of C per work item (a multiple of every panel width: 2, 8, 16 and 32).</summary>
    internal const int TileColumns = 256;

    /// <summary>The depth (k) of one block: a packed panel's block (16 KiB at 16 floats wide) stays in L1.</summary>
    internal const int DepthBlock = 256;

    /// <summary>Products of fewer multiply-adds than this run on the calling thread: a hand-off to the pool costs more.</summary>
    internal const long SerialWork = 1 << 20;

    private float[] _packedA = [], _packedB = [];
    private float[][] _tiles = [];

    // The call in progress, read by the work items.
    private float[] _a = [], _b = [], _c = [];
    private float[]? _d;
    private bool _transposeA, _transposeB, _symmetric, _packing;
    private int _m, _n, _k, _lanes, _strips, _panels, _tileColumnsCount;
    private float _alpha, _beta;

    /// <summary>The widest vector the hardware accelerates, in floats: 16, 8, 4, or 1 (scalar).</summary>
    internal static int WidestLanes =>
        Vector512.IsHardwareAccelerated ? 16 : Vector256.IsHardwareAccelerated ? 8 : Vector128.IsHardwareAccelerated ? 4 : 1;

    /// <summary>
    /// Computes <c>C = α·op(A)·op(B) + β·D</c> (without D: <c>C = α·op(A)·op(B)</c>), all row-major: op(A) is m × k
    /// (A is m × k, or k × m when <paramref name="transposeA"/>), op(B) is k × n (B is k × n, or n × k when
    /// <paramref name="transposeB"/>), C and D are m × n.
    /// </summary>
    /// <param name="a">A, at least m·k elements.</param>
    /// <param name="transposeA">Whether op(A) = Aᵀ.</param>
    /// <param name="b">B, at least k·n elements.</param>
    /// <param name="transposeB">Whether op(B) = Bᵀ.</param>
    /// <param name="c">C, at least m·n elements; may be the same array as A, B or D.</param>
    /// <param name="m">Rows of C; ≥ 0.</param>
    /// <param name="n">Columns of C; ≥ 0.</param>
    /// <param name="k">The inner dimension; ≥ 0 (0 gives α·0 + β·D).</param>
    /// <param name="alpha">α, the factor of the product.</param>
    /// <param name="beta">β, the factor of D.</param>
    /// <param name="d">D, at least m·n elements, or null.</param>
    /// <param name="symmetric">C is square and symmetric (and so is D): compute the lower triangle and mirror it.</param>
    /// <param name="threads">Threads of <see cref="WorkerPool.Shared"/> to use; ≥ 1.</param>
    /// <param name="lanes">Vector width in floats (16, 8, 4 or 1), or 0 for <see cref="WidestLanes"/>; tests force each width.</param>
    /// <exception cref="ArgumentException">A dimension is negative, an array is too short, or a symmetric C is not square.</exception>
    public void Multiply(float[] a, bool transposeA, float[] b, bool transposeB, float[] c, int m, int n, int k,
        float alpha = 1f, float beta = 0f, float[]? d = null, bool symmetric = false, int threads = 1, int lanes = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        if (a.Length < (long)m * k) ThrowHelper.ThrowArgument(nameof(a), "A is shorter than m·k.");
        if (b.Length < (long)k * n) ThrowHelper.ThrowArgument(nameof(b), "B is shorter than k·n.");
        if (c.Length < (long)m * n) ThrowHelper.ThrowArgument(nameof(c), "C is shorter than m·n.");
        if (d is not null && d.Length < (long)m * n) ThrowHelper.ThrowArgument(nameof(d), "D is shorter than m·n.");
        if (symmetric && m != n) ThrowHelper.ThrowArgument(nameof(symmetric), "A symmetric C must be square.");
        if (lanes == 0) lanes = WidestLanes;
        if (lanes is not (16 or 8 or 4 or 1)) ThrowHelper.ThrowArgument(nameof(lanes), "Lanes must be 16, 8, 4, 1 or 0.");
        if (m == 0 || n == 0) return;
        if ((long)m * n * k < SerialWork) threads = 1;

        int panelWidth = 2 * lanes;
        _strips = (m + StripRows - 1) / StripRows;
        _panels = (n + panelWidth - 1) / panelWidth;
        long packedA = (long)_strips * StripRows * k, packedB = (long)_panels * panelWidth * k;
        if (packedA > Array.MaxLength || packedB > Array.MaxLength) ThrowHelper.ThrowArgument(nameof(k), "The matrices are too large to pack.");
        if (_packedA.Length < packedA) _packedA = new float[packedA];
        if (_packedB.Length < packedB) _packedB = new float[packedB];
        _tileColumnsCount = (n + TileColumns - 1) / TileColumns;
        int tiles = (m + TileRows - 1) / TileRows * _tileColumnsCount;
        int workers = Math.Min(threads, tiles);
        if (_tiles.Length < workers)
        {
            var grown = new float[workers][];
            _tiles.CopyTo(grown, 0);
            for (int w = _tiles.Length; w < workers; w++) grown[w] = new float[TileRows * TileColumns];
            _tiles = grown;
        }

        (_a, _b, _c, _d) = (a, b, c, d);
        (_transposeA, _transposeB, _symmetric) = (transposeA, transposeB, symmetric);
        (_m, _n, _k, _lanes, _alpha, _beta) = (m, n, k, lanes, alpha, beta);
        try
        {
            _packing = true;
            WorkerPool.Shared.Run(this, _strips + _panels, threads);
            _packing = false;
            WorkerPool.Shared.Run(this, tiles, workers);
        }
        finally
        {
            (_a, _b, _c, _d) = ([], [], [], null);
        }
    }

    /// <summary>A packing item (a strip of A, then a panel of B) or a tile of C.</summary>
    public void Run(int item, int worker)
    {
        switch (_lanes)
        {
            case 16: Run<GemmLanes16>(item, worker); break;
            case 8: Run<GemmLanes8>(item, worker); break;
            case 4: Run<GemmLanes4>(item, worker); break;
            default: Run<GemmLanes1>(item, worker); break;
        }
    }

    private void Run<TV>(int item, int worker) where TV : struct, IGemmLanes<TV>
    {
        if (!_packing) Tile<TV>(item, _tiles[worker]);
        else if (item < _strips) PackStrip(item);
        else PackPanel(item - _strips, 2 * TV.Count);
    }

    /// <summary>Strip s of op(A): element (l, r) at <c>(s·StripRows·k) + l·StripRows + r</c>, rows past m zero.</summary>
    private void PackStrip(int s)
    {
        int m = _m, k = _k, row0 = s * StripRows, rows = Math.Min(StripRows, m - row0);
        var packed = _packedA.AsSpan(s * StripRows * k, StripRows * k);
        if (rows < StripRows) packed.Clear();
        var a = _a;
        if (_transposeA)
        {
            // A is k × m: op(A)[i, l] = A[l, i]; the strip's rows are adjacent in each row of A.
            for (int l = 0; l < k; l++)
                for (int r = 0; r < rows; r++) packed[l * StripRows + r] = a[l * m + row0 + r];
        }
        else
        {
            // A row at a time within a depth block, so the block's strip stays in L1 while its rows are gathered.
            for (int l0 = 0; l0 < k; l0 += DepthBlock)
            {
                int l1 = Math.Min(k, l0 + DepthBlock);
                for (int r = 0; r < rows; r++)
                {
                    int from = (row0 + r) * k;
                    for (int l = l0; l < l1; l++) packed[l * StripRows + r] = a[from + l];
                }
            }
        }
    }

    /// <summary>Panel p of op(B): element (l, c) at <c>p·width·k + l·width + c</c>, columns past n zero.</summary>
    private void PackPanel(int p, int width)
    {
        int n = _n, k = _k, col0 = p * width, cols = Math.Min(width, n - col0);
        var packed = _packedB.AsSpan(p * width * k, width * k);
        if (cols < width) packed.Clear();
        var b = _b;
        if (_transposeB)
        {
            // B is n × k: op(B)[l, j] = B[j, l]; a column at a time within a depth block (the block stays in L1).
            for (int l0 = 0; l0 < k; l0 += DepthBlock)
            {
                int l1 = Math.Min(k, l0 + DepthBlock);
                for (int c = 0; c < cols; c++)
                {
                    int from = (col0 + c) * k;
                    for (int l = l0; l < l1; l++) packed[l * width + c] = b[from + l];
                }
            }
        }
        else
        {
            for (int l = 0; l < k; l++) b.AsSpan(l * n + col0, cols).CopyTo(packed.Slice(l * width, cols));
        }
    }

    /// <summary>One tile of C: the register blocks over every depth block, into <paramref name="tile"/>, then the epilogue.</summary>
    /// <remarks>
    /// Compiled fully optimized at once, and never inlined: code compiled with profile guidance (a tier of this method,
    /// or the pool's work loop after devirtualizing its call into this one) kept the register block's 12 sums in
    /// memory and ran about ten times slower.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private void Tile<TV>(int item, float[] tile) where TV : struct, IGemmLanes<TV>
    {
        int width = 2 * TV.Count, k = _k;
        int row0 = item / _tileColumnsCount * TileRows, col0 = item % _tileColumnsCount * TileColumns;
        int rows = Math.Min(TileRows, _m - row0), cols = Math.Min(TileColumns, _n - col0);
        if (_symmetric && col0 > row0 + rows - 1) return; // entirely above the diagonal: its mirror tile writes it
        int strips = (rows + StripRows - 1) / StripRows, panels = (cols + width - 1) / width;
        ref float packedA = ref MemoryMarshal.GetArrayDataReference(_packedA);
        ref float packedB = ref MemoryMarshal.GetArrayDataReference(_packedB);
        ref float t = ref MemoryMarshal.GetArrayDataReference(tile);
        int firstStrip = row0 / StripRows, firstPanel = col0 / width;
        for (int k0 = 0; ; k0 += DepthBlock)
        {
            int depth = Math.Min(DepthBlock, k - k0);
            for (int p = 0; p < panels; p++)
            {
                ref float panel = ref Unsafe.Add(ref packedB, (nint)(firstPanel + p) * width * k + (nint)k0 * width);
                for (int s = 0; s < strips; s++)
                {
                    // Under the symmetric rule a block wholly above the diagonal is never read: skip it.
                    if (_symmetric && col0 + p * width > row0 + s * StripRows + StripRows - 1) continue;
                    ref float strip = ref Unsafe.Add(ref packedA, (nint)(firstStrip + s) * StripRows * k + (nint)k0 * StripRows);
                    Block<TV>(ref strip, ref panel, ref Unsafe.Add(ref t, s * StripRows * TileColumns + p * width), depth, k0 > 0);
                }
            }
            if (k0 + DepthBlock >= k) break;
        }
        if (_symmetric) EpilogueSymmetric(tile, row0, col0, rows, cols);
        else Epilogue<TV>(tile, row0, col0, rows, cols);
    }

    /// <summary>
    /// The register block: six rows × two vectors of running sums, each <c>s = s + a·b</c> over the block's depth in
    /// order; starts from +0 (the first depth block) or from the sums stored in the tile.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block<TV>(ref float strip, ref float panel, ref float c, int depth, bool accumulate) where TV : struct, IGemmLanes<TV>
    {
        nuint n = (nuint)TV.Count, ld = TileColumns;
        TV c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (accumulate)
        {
            c00 = TV.Load(ref c, 0); c01 = TV.Load(ref c, n);
            c10 = TV.Load(ref c, ld); c11 = TV.Load(ref c, ld + n);
            c20 = TV.Load(ref c, 2 * ld); c21 = TV.Load(ref c, 2 * ld + n);
            c30 = TV.Load(ref c, 3 * ld); c31 = TV.Load(ref c, 3 * ld + n);
            c40 = TV.Load(ref c, 4 * ld); c41 = TV.Load(ref c, 4 * ld + n);
            c50 = TV.Load(ref c, 5 * ld); c51 = TV.Load(ref c, 5 * ld + n);
        }
        else
        {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = TV.Zero;
        }
        // Two depth steps per iteration (fewer loop instructions per multiply-add), then the odd one; each sum still
        // takes its products in order l, l + 1. (Written out rather than through a helper taking the sums by
        // reference: that made the JIT keep them in memory at some tiers.)
        int l = 0;
        for (; l + 2 <= depth; l += 2)
        {
            var b0 = TV.Load(ref panel, 0);
            var b1 = TV.Load(ref panel, n);
            var a = TV.Broadcast(strip);
            c00 += a * b0; c01 += a * b1;
            a = TV.Broadcast(Unsafe.Add(ref strip, 1));
            c10 += a * b0; c11 += a * b1;
            a = TV.Broadcast(Unsafe.Add(ref strip, 2));
            c20 += a * b0; c21 += a * b1;
            a = TV.Broadcast(Unsafe.Add(ref strip, 3));
            c30 += a * b0; c31 += a * b1;
            a = TV.Broadcast(Unsafe.Add(ref strip, 4));
            c40 += a * b0; c41 += a * b1;
            a = TV.Broadcast(Unsafe.Add(ref strip, 5));
            c50 += a * b0; c51 += a * b1;
            b0 = TV.Load(ref panel, 2 * n);
            b1 = TV.Load(ref panel, 3 * n);
            a = TV.Broadcast(Unsafe.Add(ref strip, StripRows));
            c00 += a * b0; c01 += a * b1;
            a = TV.Broadcast(Unsafe.Add(ref strip, StripRows + 1));
            c10 += a * b0; c11 += a * b1;
            a = TV.Broadcast(Unsafe.Add(ref strip, StripRows + 2));
            c20 += a * b0; c21 += a * b1;
            a = TV.Broadcast(Unsafe.Add(ref strip, StripRows + 3));
            c30 += a * b0; c31 += a * b1;
            a = TV.Broadcast(Unsafe.Add(ref strip, StripRows + 4));
            c40 += a * b0; c41 += a * b1;
            a = TV.Broadcast(Unsafe.Add(ref strip, StripRows + 5));
            c50 += a * b0; c51 += a * b1;
            strip = ref Unsafe.Add(ref strip, 2 * StripRows);
            panel = ref Unsafe.Add(ref panel, 4 * n);
        }
        if (l < depth)
        {
            var b0 = TV.Load(ref panel, 0);
            var b1 = TV.Load(ref panel, n);
            var a = TV.Broadcast(strip);
            c00 += a * b0; c01 += a * b1;
            a = TV.Broadcast(Unsafe.Add(ref strip, 1));
            c10 += a * b0; c11 += a * b1;
            a = TV.Broadcast(Unsafe.Add(ref strip, 2));
            c20 += a * b0; c21 += a * b1;
            a = TV.Broadcast(Unsafe.Add(ref strip, 3));
            c30 += a * b0; c31 += a * b1;
            a = TV.Broadcast(Unsafe.Add(ref strip, 4));
            c40 += a * b0; c41 += a * b1;
            a = TV.Broadcast(Unsafe.Add(ref strip, 5));
            c50 += a * b0; c51 += a * b1;
        }
        c00.Store(ref c, 0); c01.Store(ref c, n);
        c10.Store(ref c, ld); c11.Store(ref c, ld + n);
        c20.Store(ref c, 2 * ld); c21.Store(ref c, 2 * ld + n);
        c30.Store(ref c, 3 * ld); c31.Store(ref c, 3 * ld + n);
        c40.Store(ref c, 4 * ld); c41.Store(ref c, 4 * ld + n);
        c50.Store(ref c, 5 * ld); c51.Store(ref c, 5 * ld + n);
    }

    /// <summary><c>C[i, j] = α·s + β·D[i, j]</c> (or <c>α·s</c>) for the tile's rows, vectors first, then a scalar tail.</summary>
    private void Epilogue<TV>(float[] tile, int row0, int col0, int rows, int cols) where TV : struct, IGemmLanes<TV>
    {
        int n = _n;
        float alpha = _alpha, beta = _beta;
        var va = TV.Broadcast(alpha);
        var vb = TV.Broadcast(beta);
        ref float c = ref MemoryMarshal.GetArrayDataReference(_c);
        ref float t = ref MemoryMarshal.GetArrayDataReference(tile);
        for (int r = 0; r < rows; r++)
        {
            ref float s = ref Unsafe.Add(ref t, r * TileColumns);
            ref float cr = ref Unsafe.Add(ref c, (nint)(row0 + r) * n + col0);
            int j = 0;
            if (_d is null)
            {
                for (; j <= cols - TV.Count; j += TV.Count) (va * TV.Load(ref s, (nuint)j)).Store(ref cr, (nuint)j);
                for (; j < cols; j++) Unsafe.Add(ref cr, j) = alpha * Unsafe.Add(ref s, j);
            }
            else
            {
                ref float dr = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_d), (nint)(row0 + r) * n + col0);
                for (; j <= cols - TV.Count; j += TV.Count)
                    (va * TV.Load(ref s, (nuint)j) + vb * TV.Load(ref dr, (nuint)j)).Store(ref cr, (nuint)j);
                for (; j < cols; j++) Unsafe.Add(ref cr, j) = alpha * Unsafe.Add(ref s, j) + beta * Unsafe.Add(ref dr, j);
            }
        }
    }

    /// <summary>The symmetric epilogue: each element on or below the diagonal, written to (i, j) and to (j, i).</summary>
    private void EpilogueSymmetric(float[] tile, int row0, int col0, int rows, int cols)
    {
        int n = _n;
        float alpha = _alpha, beta = _beta;
        var c = _c;
        var d = _d;
        for (int r = 0; r < rows; r++)
        {
            int i = row0 + r, last = Math.Min(cols, i - col0 + 1);
            for (int q = 0; q < last; q++)
            {
                int j = col0 + q;
                float s = tile[r * TileColumns + q];
                float v = d is null ? alpha * s : alpha * s + beta * d[i * n + j];
                c[i * n + j] = v;
                c[j * n + i] = v;
            }
        }
    }
}

/// <summary>
/// A float lane type for <see cref="Gemm"/>: one float or a 128-, 256- or 512-bit vector. Only loads, stores,
/// broadcasts, <c>+</c> and <c>×</c>, so every width performs the same operations per element.
/// </summary>
internal interface IGemmLanes<TSelf> where TSelf : struct, IGemmLanes<TSelf>
{
    /// <summary>Floats per value.</summary>
    static abstract int Count { get; }

    /// <summary>+0 in every lane.</summary>
    static abstract TSelf Zero { get; }

    /// <summary><paramref name="value"/> in every lane.</summary>
    static abstract TSelf Broadcast(float value);

    /// <summary>Loads <see cref="Count"/> floats from <paramref name="source"/> + <paramref name="index"/>.</summary>
    static abstract TSelf Load(ref float source, nuint index);

    /// <summary>Stores the lanes to <paramref name="destination"/> + <paramref name="index"/>.</summary>
    void Store(ref float destination, nuint index);

    /// <summary>Lane-wise sum.</summary>
    static abstract TSelf operator +(TSelf a, TSelf b);

    /// <summary>Lane-wise product.</summary>
    static abstract TSelf operator *(TSelf a, TSelf b);
}

/// <summary>One float (the scalar path).</summary>
internal readonly struct GemmLanes1(float value) : IGemmLanes<GemmLanes1>
{
    private readonly float _v = value;

    public static int Count => 1;

    public static GemmLanes1 Zero => new(0f);

    public static GemmLanes1 Broadcast(float value) => new(value);

    public static GemmLanes1 Load(ref float source, nuint index) => new(Unsafe.Add(ref source, index));

    public void Store(ref float destination, nuint index) => Unsafe.Add(ref destination, index) = _v;

    public static GemmLanes1 operator +(GemmLanes1 a, GemmLanes1 b) => new(a._v + b._v);

    public static GemmLanes1 operator *(GemmLanes1 a, GemmLanes1 b) => new(a._v * b._v);
}

/// <summary>Four floats.</summary>
internal readonly struct GemmLanes4(Vector128<float> value) : IGemmLanes<GemmLanes4>
{
    private readonly Vector128<float> _v = value;

    public static int Count => 4;

    public static GemmLanes4 Zero => new(Vector128<float>.Zero);

    public static GemmLanes4 Broadcast(float value) => new(Vector128.Create(value));

    public static GemmLanes4 Load(ref float source, nuint index) => new(Vector128.LoadUnsafe(ref source, index));

    public void Store(ref float destination, nuint index) => _v.StoreUnsafe(ref destination, index);

    public static GemmLanes4 operator +(GemmLanes4 a, GemmLanes4 b) => new(a._v + b._v);

    public static GemmLanes4 operator *(GemmLanes4 a, GemmLanes4 b) => new(a._v * b._v);
}

/// <summary>Eight floats.</summary>
internal readonly struct GemmLanes8(Vector256<float> value) : IGemmLanes<GemmLanes8>
{
    private readonly Vector256<float> _v = value;

    public static int Count => 8;

    public static GemmLanes8 Zero => new(Vector256<float>.Zero);

    public static GemmLanes8 Broadcast(float value) => new(Vector256.Create(value));

    public static GemmLanes8 Load(ref float source, nuint index) => new(Vector256.LoadUnsafe(ref source, index));

    public void Store(ref float destination, nuint index) => _v.StoreUnsafe(ref destination, index);

    public static GemmLanes8 operator +(GemmLanes8 a, GemmLanes8 b) => new(a._v + b._v);

    public static GemmLanes8 operator *(GemmLanes8 a, GemmLanes8 b) => new(a._v * b._v);
}

/// <summary>Sixteen floats.</summary>
internal readonly struct GemmLanes16(Vector512<float> value) : IGemmLanes<GemmLanes16>
{
    private readonly Vector512<float> _v = value;

    public static int Count => 16;

    public static GemmLanes16 Zero => new(Vector512<float>.Zero);

    public static GemmLanes16 Broadcast(float value) => new(Vector512.Create(value));

    public static GemmLanes16 Load(ref float source, nuint index) => new(Vector512.LoadUnsafe(ref source, index));

    public void Store(ref float destination, nuint index) => _v.StoreUnsafe(ref destination, index);

    public static GemmLanes16 operator +(GemmLanes16 a, GemmLanes16 b) => new(a._v + b._v);

    public static GemmLanes16 operator *(GemmLanes16 a, GemmLanes16 b) => new(a._v * b._v);
}
