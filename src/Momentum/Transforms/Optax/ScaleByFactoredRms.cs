using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Momentum.Kernels;

namespace Momentum;

public static partial class Transforms
{
    /// <summary>
    /// Rescales updates by Adafactor's factored second moment (Shazeer and Stern, 2018, https://arxiv.org/abs/1804.04235),
    /// Optax's <c>scale_by_factored_rms</c>.
    /// </summary>
    /// <param name="factored">Whether to factor the second moment of tensors with two large dimensions.</param>
    /// <param name="decayRate">The exponent c of the decay schedule <c>β̂_t = 1 − (k+1)^(−c)</c> (default 0.8); finite and ≥ 0.</param>
    /// <param name="stepOffset">k = count − stepOffset (for fine-tuning); ≥ 0.</param>
    /// <param name="minDimSizeToFactor">Factor only when the second-largest dimension is at least this (default 128); ≥ 1.</param>
    /// <param name="epsilon">ε, added to g² (default 1e-30); finite and ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>
    /// With k = count − offset (0 on the first step), <c>β̂ = 1 − (k+1)^(−c)</c>, so β̂ = 0 at first. For a tensor of
    /// rank ≥ 2 whose second-largest dimension d1 is ≥ minDimSizeToFactor (largest d0; ties go to the later axis):
    /// <c>R ← β̂R + (1−β̂)·mean_{d0}(g² + ε)</c>, <c>C ← β̂C + (1−β̂)·mean_{d1}(g² + ε)</c>,
    /// <c>u = g · (R/mean_{d1}(R))^(−½) · C^(−½)</c> (broadcast back). Otherwise <c>v ← β̂v + (1−β̂)(g² + ε)</c>,
    /// <c>u = g·v^(−½)</c>. Means are summed in double. A tensor transformation; factored statistics do not follow row
    /// operations.
    /// </remarks>
    public static GradientTransformation ScaleByFactoredRms(bool factored = true, double decayRate = 0.8, long stepOffset = 0,
        int minDimSizeToFactor = 128, double epsilon = 1e-30)
    {
        OptaxGuard.NonNegative(decayRate, nameof(decayRate));
        if (stepOffset < 0) ThrowHelper.ThrowInvalid(nameof(stepOffset), "step_offset value (must be ≥ 0)", stepOffset);
        if (minDimSizeToFactor < 1) ThrowHelper.ThrowInvalid(nameof(minDimSizeToFactor), "min_dim_size_to_factor value (must be ≥ 1)", minDimSizeToFactor);
        OptaxGuard.NonNegative(epsilon, nameof(epsilon));
        return new ScaleByFactoredRmsTransformation(factored, decayRate, stepOffset, minDimSizeToFactor, epsilon);
    }
}

/// <summary>
/// The state of <c>scale_by_factored_rms</c>: either the full v, or the factored R (<c>v_row</c>) and C (<c>v_col</c>),
/// with the tensor viewed as [P, Na, Q, Nb, R'] around its two factored axes a &lt; b.
/// </summary>
internal sealed class FactoredRmsState : TransformState
{
    public readonly RowBuffer? V, VRow, VCol;
    public readonly double[] SumRow = [], SumCol = [], RowMean = [];

    /// <summary>The parallel passes of a tensor that is a stack of matrices (Q = R' = 1); null for other layouts.</summary>
    public readonly FactoredRmsPasses? Passes;

    /// <summary>The parallel pass over the full v when the tensor is not factored; null when it is.</summary>
    public readonly UnfactoredRmsPass? Unfactored;
    public readonly int P, Na, Q, Nb, Rr, Rows;
    public readonly bool LargestIsB;
    public long Count;

    public FactoredRmsState(Parameter parameter, bool factored, int minDimSizeToFactor) : base(parameter)
    {
        AddScalar("count", () => Count, v => Count = (long)v);
        var shape = parameter.Shape;
        Rows = parameter.Rows;
        if (!factored || shape.Length < 2 || !TryFactor(shape, minDimSizeToFactor, out int d1, out int d0))
        {
            V = AddTensor("v");
            Unfactored = new UnfactoredRmsPass();
            return;
        }
        int a = Math.Min(d0, d1), b = Math.Max(d0, d1);
        LargestIsB = d0 == b;
        P = Product(shape, 0, a);
        Na = shape[a];
        Q = Product(shape, a + 1, b);
        Nb = shape[b];
        Rr = Product(shape, b + 1, shape.Length);
        int noA = P * Q * Nb * Rr, noB = P * Na * Q * Rr;
        // v_row drops the largest axis d0; v_col drops d1.
        int rowLength = LargestIsB ? noB : noA, colLength = LargestIsB ? noA : noB;
        VRow = AddOtherTensor("v_row", 1, rowLength);
        VCol = AddOtherTensor("v_col", 1, colLength);
        SumRow = new double[rowLength];
        SumCol = new double[colLength];
        RowMean = new double[P * Q * Rr];
        if (Q == 1 && Rr == 1) Passes = new FactoredRmsPasses(this, rowLength, colLength);
    }

    /// <summary>Optax's <c>_factored_dims</c>: (second-largest, largest) axis by a stable sort of the sizes.</summary>
    private static bool TryFactor(int[] shape, int minDim, out int d1, out int d0)
    {
        var order = Enumerable.Range(0, shape.Length).OrderBy(i => shape[i]).ToArray();
        d1 = order[^2];
        d0 = order[^1];
        return shape[d1] >= minDim;
    }

    private static int Product(int[] shape, int from, int to)
    {
        int p = 1;
        for (int i = from; i < to; i++) p *= shape[i];
        return p;
    }
}

internal sealed class ScaleByFactoredRmsTransformation(bool factored, double decayRate, long stepOffset, int minDimSizeToFactor, double epsilon)
    : TensorTransformation, ITwoPhaseTensorTransformation
{
    public override string Name => "scale_by_factored_rms";

    public override TransformState? CreateState(Parameter parameter) => new FactoredRmsState(parameter, factored, minDimSizeToFactor);

    public override void Update(TransformState? state, Span<float> updates, ReadOnlySpan<float> parameters, in StepInfo step)
    {
        var s = (FactoredRmsState)state!;
        if (s.V is not null)
        {
            s.Unfactored!.Run(NextBeta(s), (float)epsilon, updates, parameters, s.V.Span);
            return;
        }
        Statistics(s, updates);
        if (s.Passes is { } passes)
        {
            passes.ComputeFactors(s.VRow!.Span, s.VCol!.Span);
            passes.Scale(updates);
        }
        else
        {
            ScaleSerial(s, updates, s.VRow!.Span, s.VCol!.Span);
        }
    }

    /// <summary>A stack of matrices (the parallel passes' layout) has the two phases; other layouts and the unfactored v do not.</summary>
    public bool HasTwoPhases(TransformState? state) => ((FactoredRmsState)state!).Passes is not null;

    /// <summary>The sums, the moving averages and the row and column factors, as <see cref="Update"/> computes them.</summary>
    public void Prepare(TransformState? state, ReadOnlySpan<float> updates, in StepInfo step)
    {
        var s = (FactoredRmsState)state!;
        Statistics(s, updates);
        s.Passes!.ComputeFactors(s.VRow!.Span, s.VCol!.Span);
    }

    /// <summary><c>u = (g·f_row)·f_col</c> for a range, the operations <see cref="FactoredRmsPasses.Scale"/> does there.</summary>
    public void Write(TransformState? state, ReadOnlySpan<float> updates, Span<float> destination, int offset) =>
        ((FactoredRmsState)state!).Passes!.Write(updates, destination, offset);

    /// <summary>The decay β̂ of this step; advances the count.</summary>
    private float NextBeta(FactoredRmsState s)
    {
        double k = s.Count - stepOffset;
        s.Count++;
        return (float)(1 - Math.Pow(k + 1, -decayRate));
    }

    /// <summary>This step's sums of <c>g² + ε</c>, the moving averages v_row and v_col, and the mean of v_row.</summary>
    private void Statistics(FactoredRmsState s, ReadOnlySpan<float> updates)
    {
        float beta = NextBeta(s);
        float eps = (float)epsilon;
        if (s.Parameter.Rows != s.Rows)
            ThrowHelper.ThrowInvalidOperation($"scale_by_factored_rms: parameter '{s.Parameter.Name}' changed its rows; factored statistics cannot follow row operations.");
        Array.Clear(s.SumRow);
        Array.Clear(s.SumCol);
        Array.Clear(s.RowMean);
        bool bLargest = s.LargestIsB;
        if (s.Passes is { } passes) passes.Sum(updates, eps);
        else SumSerial(s, updates, eps);
        // Means over the dropped axis, then the moving averages.
        var vRow = s.VRow!.Span;
        var vCol = s.VCol!.Span;
        double rowCount = bLargest ? s.Nb : s.Na, colCount = bLargest ? s.Na : s.Nb;
        for (int x = 0; x < vRow.Length; x++) vRow[x] = beta * vRow[x] + (1 - beta) * (float)(s.SumRow[x] / rowCount);
        for (int x = 0; x < vCol.Length; x++) vCol[x] = beta * vCol[x] + (1 - beta) * (float)(s.SumCol[x] / colCount);
        // Mean of v_row over d1 (the axis v_row keeps of the two), per (p, q, r).
        int d1Count = bLargest ? s.Na : s.Nb;
        for (int p = 0; p < s.P; p++)
            for (int x = 0; x < d1Count; x++)
                for (int q = 0; q < s.Q; q++)
                    for (int r = 0; r < s.Rr; r++)
                        s.RowMean[(p * s.Q + q) * s.Rr + r] += vRow[bLargest ? ((p * s.Na + x) * s.Q + q) * s.Rr + r : ((p * s.Q + q) * s.Nb + x) * s.Rr + r];
        for (int x = 0; x < s.RowMean.Length; x++) s.RowMean[x] /= d1Count;
    }

    /// <summary>The sums of <c>g² + ε</c> over each factored axis for any layout [P, Na, Q, Nb, R'], in element order.</summary>
    private static void SumSerial(FactoredRmsState s, ReadOnlySpan<float> updates, float eps)
    {
        bool bLargest = s.LargestIsB;
        int e = 0;
        for (int p = 0; p < s.P; p++)
            for (int i = 0; i < s.Na; i++)
                for (int q = 0; q < s.Q; q++)
                    for (int j = 0; j < s.Nb; j++)
                        for (int r = 0; r < s.Rr; r++, e++)
                        {
                            float g = updates[e];
                            double sq = g * g + eps;
                            int noA = ((p * s.Q + q) * s.Nb + j) * s.Rr + r, noB = ((p * s.Na + i) * s.Q + q) * s.Rr + r;
                            s.SumRow[bLargest ? noB : noA] += sq;
                            s.SumCol[bLargest ? noA : noB] += sq;
                        }
    }

    /// <summary><c>u = g·(R/mean R)^(−½)·C^(−½)</c>, broadcast back over any layout [P, Na, Q, Nb, R'].</summary>
    private static void ScaleSerial(FactoredRmsState s, Span<float> updates, ReadOnlySpan<float> vRow, ReadOnlySpan<float> vCol)
    {
        bool bLargest = s.LargestIsB;
        int e = 0;
        for (int p = 0; p < s.P; p++)
            for (int i = 0; i < s.Na; i++)
                for (int q = 0; q < s.Q; q++)
                    for (int j = 0; j < s.Nb; j++)
                        for (int r = 0; r < s.Rr; r++, e++)
                        {
                            int noA = ((p * s.Q + q) * s.Nb + j) * s.Rr + r, noB = ((p * s.Na + i) * s.Q + q) * s.Rr + r;
                            float row = vRow[bLargest ? noB : noA], col = vCol[bLargest ? noA : noB];
                            float mean = (float)s.RowMean[(p * s.Q + q) * s.Rr + r];
                            updates[e] = updates[e] * (1f / MathF.Sqrt(row / mean)) * (1f / MathF.Sqrt(col));
                        }
    }
}

/// <summary>
/// The factored statistics of a stack of P matrices of Na × Nb (the layout of every 2-D parameter) as parallel,
/// vectorized passes over the pool that give the serial loops' bits: each row's sum runs over its columns in order
/// (one work item holds whole rows), each column's sum runs over its rows in order (one work item holds whole
/// columns, vectorized across them), and the scaling <c>u = (g·f_row)·f_col</c> uses factors computed once per row
/// and column with the serial loop's float operations. Holds pointers into the updates only while a pass runs.
/// </summary>
internal sealed unsafe class FactoredRmsPasses : IParallelBody
{
    /// <summary>Elements per work item of the row passes (whole rows).</summary>
    private const int ItemElements = 16 * 1024;

    private readonly FactoredRmsState _s;
    private readonly float[] _rowFactor, _colFactor;
    /// <summary>Elements per band of the sum pass (4 MiB of float32, which stays in the last-level cache).</summary>
    private const int BandElements = 1 << 20;

    private readonly int _rowsPerItem, _rowItems, _columnsPerItem, _columnBlocks, _bandRows, _bandsPerMatrix;
    private int _bandFirstRow, _bandEndRow, _bandRowItems; // the current band: rows [first, end) of the stack
    private float* _u;
    private double* _sumI, _sumJ;
    private float* _factorI, _factorJ;
    private float _eps;
    private int _pass;

    public FactoredRmsPasses(FactoredRmsState s, int rowLength, int colLength)
    {
        _s = s;
        _rowFactor = new float[rowLength];
        _colFactor = new float[colLength];
        _rowsPerItem = Math.Max(8, ItemElements / Math.Max(1, s.Nb) & ~7); // whole groups of eight rows for SumEightRows
        _rowItems = (s.P * s.Na + _rowsPerItem - 1) / _rowsPerItem;
        // Two column items per thread, of 64 to 1,024 columns: a column's sum never leaves its item, so the split
        // changes no bits, and long runs per row suit the strided reads.
        _columnsPerItem = Math.Clamp((s.Nb + 2 * WorkerPool.DefaultThreads - 1) / (2 * WorkerPool.DefaultThreads) + 15 & ~15, 64, 1024);
        _columnBlocks = (s.Nb + _columnsPerItem - 1) / _columnsPerItem;
        _bandRows = Math.Max(1, BandElements / Math.Max(1, s.Nb) / _rowsPerItem) * _rowsPerItem;
        _bandsPerMatrix = (s.Na + _bandRows - 1) / _bandRows;
    }

    private int Threads => (long)_s.P * _s.Na * _s.Nb < 2 * ItemElements ? 1 : WorkerPool.DefaultThreads;

    /// <summary>
    /// Adds each row's and each column's <c>g² + ε</c> (squared and offset in float, summed in double) to the state's
    /// cleared sums: per row of the stack into the sums over the last axis, per column into the sums over rows. The
    /// matrices are taken in bands of rows, one pool run per band: its row items read the band from memory, its column
    /// items read it again from the cache and add it to the columns' running sums, band after band, so each column is
    /// still summed over its rows in increasing order.
    /// </summary>
    public void Sum(ReadOnlySpan<float> updates, float eps)
    {
        var s = _s;
        // Row i of matrix p is "noB" = p·Na + i; column j is "noA" = p·Nb + j.
        double[] sumI = s.LargestIsB ? s.SumRow : s.SumCol, sumJ = s.LargestIsB ? s.SumCol : s.SumRow;
        fixed (float* u = updates)
        fixed (double* pi = sumI, pj = sumJ)
        {
            _u = u;
            _sumI = pi;
            _sumJ = pj;
            _eps = eps;
            try
            {
                _pass = 0;
                for (int band = 0; band < s.P * _bandsPerMatrix; band++)
                {
                    int p = band / _bandsPerMatrix, i0 = band % _bandsPerMatrix * _bandRows;
                    _bandFirstRow = p * s.Na + i0;
                    _bandEndRow = p * s.Na + Math.Min(i0 + _bandRows, s.Na);
                    _bandRowItems = (_bandEndRow - _bandFirstRow + _rowsPerItem - 1) / _rowsPerItem;
                    WorkerPool.Shared.Run(this, _bandRowItems + _columnBlocks, Threads);
                }
            }
            finally
            {
                _u = null;
                _sumI = _sumJ = null;
            }
        }
    }

    /// <summary>The factors <c>1/√(R/mean R)</c> and <c>1/√C</c>, once per row and per column, from this step's R and C.</summary>
    public void ComputeFactors(ReadOnlySpan<float> vRow, ReadOnlySpan<float> vCol)
    {
        var s = _s;
        int meanStride = s.LargestIsB ? s.Na : s.Nb; // v_row's index is p·Na + i, or p·Nb + j
        for (int x = 0; x < vRow.Length; x++) _rowFactor[x] = 1f / MathF.Sqrt(vRow[x] / (float)s.RowMean[x / meanStride]);
        for (int x = 0; x < vCol.Length; x++) _colFactor[x] = 1f / MathF.Sqrt(vCol[x]);
    }

    /// <summary><c>u = (u·f_row)·f_col</c> over the whole tensor, in place, on the pool (after <see cref="ComputeFactors"/>).</summary>
    public void Scale(Span<float> updates)
    {
        var s = _s;
        float[] factorI = s.LargestIsB ? _rowFactor : _colFactor, factorJ = s.LargestIsB ? _colFactor : _rowFactor;
        fixed (float* u = updates)
        fixed (float* fi = factorI, fj = factorJ)
        {
            _u = u;
            _factorI = fi;
            _factorJ = fj;
            try
            {
                _pass = 1;
                WorkerPool.Shared.Run(this, _rowItems, Threads);
            }
            finally
            {
                _u = _factorI = _factorJ = null;
            }
        }
    }

    /// <summary>
    /// <c>destination = (g·f_row)·f_col</c> for elements [offset, offset + g.Length) of the tensor, row piece by row
    /// piece, with the operations of <see cref="Scale"/>; reads only the factors, so any thread may run any range.
    /// </summary>
    public void Write(ReadOnlySpan<float> g, Span<float> destination, int offset)
    {
        if (destination.Length != g.Length) ThrowHelper.ThrowLengthMismatch(nameof(destination), g.Length, destination.Length);
        var s = _s;
        int na = s.Na, nb = s.Nb, n = g.Length;
        bool rowFactorPerRow = s.LargestIsB;
        float[] factorI = rowFactorPerRow ? _rowFactor : _colFactor, factorJ = rowFactorPerRow ? _colFactor : _rowFactor;
        fixed (float* src = g, dst = destination)
        fixed (float* fi = factorI, fj = factorJ)
        {
            int row = offset / nb, column = offset % nb;
            for (int done = 0; done < n; row++, column = 0)
            {
                int run = Math.Min(nb - column, n - done);
                ScaleRow(src + done, dst + done, run, fi[row], fj + (long)(row / na) * nb + column, rowFactorPerRow);
                done += run;
            }
        }
    }

    /// <summary>Sum pass: the band's row items, then its column items; scale pass: row items.</summary>
    public void Run(int item, int worker)
    {
        if (_pass == 1) ScaleRows(item);
        else if (item < _bandRowItems) SumRows(_bandFirstRow + item * _rowsPerItem, Math.Min(_bandFirstRow + (item + 1) * _rowsPerItem, _bandEndRow));
        else SumColumns(item - _bandRowItems, _bandFirstRow, _bandEndRow);
    }

    /// <summary>Rows of the stack, four at a time (independent running sums); each row over its columns in order.</summary>
    private void SumRows(int first, int end)
    {
        int nb = _s.Nb;
        float eps = _eps;
        int row = first;
        if (Avx.IsSupported)
            for (; row + 8 <= end; row += 8) SumEightRows(_u + (long)row * nb, nb, eps, _sumI + row);
        for (; row + 4 <= end; row += 4)
        {
            float* r0 = _u + (long)row * nb, r1 = r0 + nb, r2 = r1 + nb, r3 = r2 + nb;
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (int j = 0; j < nb; j++)
            {
                float g0 = r0[j], g1 = r1[j], g2 = r2[j], g3 = r3[j];
                s0 += g0 * g0 + eps;
                s1 += g1 * g1 + eps;
                s2 += g2 * g2 + eps;
                s3 += g3 * g3 + eps;
            }
            _sumI[row] += s0;
            _sumI[row + 1] += s1;
            _sumI[row + 2] += s2;
            _sumI[row + 3] += s3;
        }
        for (; row < end; row++)
        {
            float* r0 = _u + (long)row * nb;
            double s0 = 0;
            for (int j = 0; j < nb; j++)
            {
                float g0 = r0[j];
                s0 += g0 * g0 + eps;
            }
            _sumI[row] += s0;
        }
    }

    /// <summary>
    /// Eight consecutive rows of <paramref name="nb"/> floats from <paramref name="g"/>: adds each row's sum of
    /// <c>g² + ε</c> to <paramref name="sum"/>[0..8), vectorized across the rows. Each 8 × 8 tile of squares is transposed
    /// in registers, so a vector of four double sums (rows 0–3, and one for rows 4–7) adds one column at a time: every
    /// row is still summed over its columns in increasing order from +0, as the scalar loop does, so the bits are the same.
    /// </summary>
    private static void SumEightRows(float* g, int nb, float eps, double* sum)
    {
        var ve = Vector256.Create(eps);
        Vector256<double> low = Vector256<double>.Zero, high = Vector256<double>.Zero; // rows 0–3, rows 4–7
        int j = 0;
        for (; j <= nb - 8; j += 8)
        {
            var q0 = Square(g + j, ve);
            var q1 = Square(g + nb + j, ve);
            var q2 = Square(g + 2L * nb + j, ve);
            var q3 = Square(g + 3L * nb + j, ve);
            var q4 = Square(g + 4L * nb + j, ve);
            var q5 = Square(g + 5L * nb + j, ve);
            var q6 = Square(g + 6L * nb + j, ve);
            var q7 = Square(g + 7L * nb + j, ve);
            // Lanes k and k + 4 of column vector c hold columns c and c + 4 of rows 0–3 (or 4–7).
            var a0 = Avx.UnpackLow(q0, q1);   // r0c0 r1c0 r0c1 r1c1 | r0c4 r1c4 r0c5 r1c5
            var a1 = Avx.UnpackHigh(q0, q1);  // r0c2 r1c2 r0c3 r1c3 | r0c6 r1c6 r0c7 r1c7
            var a2 = Avx.UnpackLow(q2, q3);
            var a3 = Avx.UnpackHigh(q2, q3);
            var a4 = Avx.UnpackLow(q4, q5);
            var a5 = Avx.UnpackHigh(q4, q5);
            var a6 = Avx.UnpackLow(q6, q7);
            var a7 = Avx.UnpackHigh(q6, q7);
            var c0 = Avx.Shuffle(a0, a2, 0x44); // rows 0–3 of columns 0 | 4
            var c1 = Avx.Shuffle(a0, a2, 0xEE); // columns 1 | 5
            var c2 = Avx.Shuffle(a1, a3, 0x44); // columns 2 | 6
            var c3 = Avx.Shuffle(a1, a3, 0xEE); // columns 3 | 7
            var d0 = Avx.Shuffle(a4, a6, 0x44); // rows 4–7
            var d1 = Avx.Shuffle(a4, a6, 0xEE);
            var d2 = Avx.Shuffle(a5, a7, 0x44);
            var d3 = Avx.Shuffle(a5, a7, 0xEE);
            low += Avx.ConvertToVector256Double(c0.GetLower());
            high += Avx.ConvertToVector256Double(d0.GetLower());
            low += Avx.ConvertToVector256Double(c1.GetLower());
            high += Avx.ConvertToVector256Double(d1.GetLower());
            low += Avx.ConvertToVector256Double(c2.GetLower());
            high += Avx.ConvertToVector256Double(d2.GetLower());
            low += Avx.ConvertToVector256Double(c3.GetLower());
            high += Avx.ConvertToVector256Double(d3.GetLower());
            low += Avx.ConvertToVector256Double(c0.GetUpper());
            high += Avx.ConvertToVector256Double(d0.GetUpper());
            low += Avx.ConvertToVector256Double(c1.GetUpper());
            high += Avx.ConvertToVector256Double(d1.GetUpper());
            low += Avx.ConvertToVector256Double(c2.GetUpper());
            high += Avx.ConvertToVector256Double(d2.GetUpper());
            low += Avx.ConvertToVector256Double(c3.GetUpper());
            high += Avx.ConvertToVector256Double(d3.GetUpper());
        }
        double* s = stackalloc double[8];
        Vector256.Store(low, s);
        Vector256.Store(high, s + 4);
        for (int r = 0; r < 8; r++)
        {
            float* row = g + (long)r * nb;
            double total = s[r];
            for (int c = j; c < nb; c++)
            {
                float x = row[c];
                total += x * x + eps;
            }
            sum[r] += total;
        }
    }

    /// <summary><c>g² + ε</c> in float, for eight consecutive elements.</summary>
    private static Vector256<float> Square(float* g, Vector256<float> eps)
    {
        var v = Vector256.Load(g);
        return v * v + eps;
    }

    /// <summary>
    /// A run of columns of one matrix, over the band's rows [firstRow, endRow) of the stack in order, vectorized across
    /// the columns; the run two rows ahead is prefetched (each row's run starts a new page, which the hardware
    /// prefetchers do not cross).
    /// </summary>
    private void SumColumns(int block, int firstRow, int endRow)
    {
        int na = _s.Na, nb = _s.Nb, width = _columnsPerItem;
        int p = firstRow / na, j0 = block * width, j1 = Math.Min(j0 + width, nb);
        float eps = _eps;
        double* sum = _sumJ + (long)p * nb;
        for (int i = firstRow - p * na, end = endRow - p * na; i < end; i++)
        {
            float* g = _u + ((long)p * na + i) * nb;
            if (i + 2 < end)
                for (int jj = j0; jj < j1; jj += 16) VectorMath.Prefetch(g + 2L * nb + jj);
            int j = j0;
            if (Vector512.IsHardwareAccelerated)
            {
                var ve = Vector512.Create(eps);
                for (; j <= j1 - 16; j += 16)
                {
                    var v = Vector512.Load(g + j);
                    var (lo, hi) = Vector512.Widen(v * v + ve);
                    Vector512.Store(Vector512.Load(sum + j) + lo, sum + j);
                    Vector512.Store(Vector512.Load(sum + j + 8) + hi, sum + j + 8);
                }
            }
            if (Vector256.IsHardwareAccelerated)
            {
                var ve = Vector256.Create(eps);
                for (; j <= j1 - 8; j += 8)
                {
                    var v = Vector256.Load(g + j);
                    var (lo, hi) = Vector256.Widen(v * v + ve);
                    Vector256.Store(Vector256.Load(sum + j) + lo, sum + j);
                    Vector256.Store(Vector256.Load(sum + j + 4) + hi, sum + j + 4);
                }
            }
            for (; j < j1; j++)
            {
                float x = g[j];
                sum[j] += x * x + eps;
            }
        }
    }

    /// <summary>Rows of the stack: <c>u = (u·f_row)·f_col</c>, one factor per row and a vector of factors across columns.</summary>
    private void ScaleRows(int item)
    {
        int na = _s.Na, nb = _s.Nb, first = item * _rowsPerItem, end = Math.Min(first + _rowsPerItem, _s.P * na);
        bool rowFactorPerRow = _s.LargestIsB; // v_row indexed by the row (p·Na + i), else by the column (p·Nb + j)
        for (int row = first; row < end; row++)
        {
            float* u = _u + (long)row * nb;
            float* fj = _factorJ + (long)(row / na) * nb;
            float fi = _factorI[row];
            if (rowFactorPerRow) ScaleRow(u, u, nb, fi, fj, scalarFirst: true);
            else ScaleRow(u, u, nb, fi, fj, scalarFirst: false);
        }
    }

    /// <summary>
    /// <c>d[j] = (x[j]·a)·b</c> with (a, b) = (f, v[j]) when <paramref name="scalarFirst"/>, else (v[j], f); <paramref name="d"/>
    /// is <paramref name="x"/> (in place) or does not overlap it.
    /// </summary>
    private static void ScaleRow(float* x, float* d, int n, float f, float* v, bool scalarFirst)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vf = Vector512.Create(f);
            for (; j <= n - 16; j += 16)
            {
                var g = Vector512.Load(x + j);
                var w = Vector512.Load(v + j);
                Vector512.Store(scalarFirst ? g * vf * w : g * w * vf, d + j);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var vf = Vector256.Create(f);
            for (; j <= n - 8; j += 8)
            {
                var g = Vector256.Load(x + j);
                var w = Vector256.Load(v + j);
                Vector256.Store(scalarFirst ? g * vf * w : g * w * vf, d + j);
            }
        }
        for (; j < n; j++) d[j] = scalarFirst ? x[j] * f * v[j] : x[j] * v[j] * f;
    }
}

/// <summary>
/// The unfactored second moment, <c>v = β̂·v + (1−β̂)·(g² + ε)</c> and <c>u = g·v^(−½)</c>, element by element over
/// fixed 16 Ki chunks on the pool (each element's result does not depend on the chunking). Holds pointers into the
/// spans only while it runs.
/// </summary>
internal sealed unsafe class UnfactoredRmsPass : IParallelBody
{
    private const int ChunkLength = 16 * 1024;

    private float* _u, _p, _v;
    private int _length;
    private float _beta, _eps;

    public void Run(float beta, float eps, Span<float> updates, ReadOnlySpan<float> parameters, Span<float> v)
    {
        if (parameters.Length != updates.Length) ThrowHelper.ThrowLengthMismatch(nameof(parameters), updates.Length, parameters.Length);
        if (v.Length != updates.Length) ThrowHelper.ThrowLengthMismatch(nameof(v), updates.Length, v.Length);
        int chunks = (updates.Length + ChunkLength - 1) / ChunkLength;
        fixed (float* u = updates, p = parameters, pv = v)
        {
            _u = u;
            _p = p;
            _v = pv;
            _length = updates.Length;
            _beta = beta;
            _eps = eps;
            try
            {
                WorkerPool.Shared.Run(this, chunks, chunks < 2 ? 1 : WorkerPool.DefaultThreads);
            }
            finally
            {
                _u = _p = _v = null;
            }
        }
    }

    public void Run(int item, int worker)
    {
        int start = item * ChunkLength, length = Math.Min(ChunkLength, _length - start);
        OptaxLoop.Run(new Op(_beta, 1 - _beta, _eps), new Span<float>(_u + start, length), new ReadOnlySpan<float>(_p + start, length),
            new Span<float>(_v + start, length));
    }

    /// <summary>v = β̂·v + (1−β̂)·(g² + ε); u = g·v^(−½).</summary>
    private readonly struct Op(float beta, float gain, float eps) : IElementwiseOperator
    {
        public static int States => 1;

        public TV Invoke<TV>(TV g, TV p, ref TV v, ref TV b, ref TV c, ref TV d) where TV : struct, ILanes<TV>
        {
            v = TV.Create(beta) * v + TV.Create(gain) * (g * g + TV.Create(eps));
            return g * (TV.Create(1f) / TV.Sqrt(v));
        }
    }
}
