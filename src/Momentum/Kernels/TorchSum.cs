namespace Momentum.Kernels;

/// <summary>
/// The float32 sum of a contiguous vector in exactly the order PyTorch's CPU <c>sum()</c> adds (ATen's cascade sum in
/// <c>SumKernel.cpp</c>, portable kernels): below 8 elements, 4 interleaved partial sums; from 8 elements, 8-lane vector
/// accumulators over 4 interleaved rows with a 4-level cascade, then the scalar tail, then the lanes in order. Used where
/// torch's result feeds a decision (L-BFGS's first step length), so that parity does not hinge on one rounding.
/// </summary>
internal static class TorchSum
{
    private const int Lanes = 8, Ilp = 4, Levels = 4;

    /// <summary>Σ |x_i| in torch's order (<c>x.abs().sum()</c>).</summary>
    public static float SumAbs(ReadOnlySpan<float> x)
    {
        int n = x.Length;
        if (n < Lanes)
        {
            Span<float> one = stackalloc float[1];
            return RowSum(x, n, 1, one);
        }
        int vectors = n / Lanes;
        Span<float> acc = stackalloc float[Lanes];
        RowSum(x, vectors, Lanes, acc);
        float total = 0;
        for (int i = vectors * Lanes; i < n; i++) total += MathF.Abs(x[i]);
        for (int k = 0; k < Lanes; k++) total += acc[k];
        return total;
    }

    /// <summary>
    /// ATen's <c>row_sum</c> over <paramref name="count"/> elements of <paramref name="width"/> lanes (|x| of the
    /// first count·width values): rows of <see cref="Ilp"/> elements summed by <c>multi_row_sum</c>, leftovers into
    /// partial 0, then partials 1..3 into partial 0. Writes the lanes to <paramref name="result"/>; returns lane 0.
    /// </summary>
    private static float RowSum(ReadOnlySpan<float> x, int count, int width, Span<float> result)
    {
        int rows = count / Ilp;
        // acc[level][partial][lane]
        var acc = new float[Levels, Ilp, width];
        int levelPower = Math.Max(4, CeilLog2(rows) / Levels);
        int levelStep = 1 << levelPower;
        int levelMask = levelStep - 1;
        int i = 0;
        while (i + levelStep <= rows)
        {
            for (int j = 0; j < levelStep; j++, i++) AddRow(x, acc, 0, i, width);
            for (int j = 1; j < Levels; j++)
            {
                for (int k = 0; k < Ilp; k++)
                    for (int l = 0; l < width; l++)
                    {
                        acc[j, k, l] += acc[j - 1, k, l];
                        acc[j - 1, k, l] = 0;
                    }
                if ((i & (levelMask << (j * levelPower))) != 0) break;
            }
        }
        for (; i < rows; i++) AddRow(x, acc, 0, i, width);
        for (int j = 1; j < Levels; j++)
            for (int k = 0; k < Ilp; k++)
                for (int l = 0; l < width; l++) acc[0, k, l] += acc[j, k, l];
        for (int e = rows * Ilp; e < count; e++)
            for (int l = 0; l < width; l++) acc[0, 0, l] += MathF.Abs(x[e * width + l]);
        for (int k = 1; k < Ilp; k++)
            for (int l = 0; l < width; l++) acc[0, 0, l] += acc[0, k, l];
        for (int l = 0; l < width; l++) result[l] = acc[0, 0, l];
        return result[0];
    }

    private static void AddRow(ReadOnlySpan<float> x, float[,,] acc, int level, int row, int width)
    {
        for (int k = 0; k < Ilp; k++)
            for (int l = 0; l < width; l++) acc[level, k, l] += MathF.Abs(x[(row * Ilp + k) * width + l]);
    }

    private static int CeilLog2(int v) => v <= 1 ? 0 : 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)(v - 1));
}
