using Momentum.Kernels;

namespace Momentum.Tests.Engine;

/// <summary>
/// The blocked matrix multiply against the naive triple loop, bit for bit: every element is the same float sum over k
/// in increasing order, whatever the shape, transposes, tiles, depth blocks, vector width and thread count.
/// </summary>
public class GemmTests
{
    // (m, n, k): one element, odd sizes, and sizes on either side of every edge: the 6-row strips, the panels of 2, 8,
    // 16 and 32 columns, the 96 × 256 tiles and the 256-deep blocks; k = 0 gives α·0 + β·D.
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 }, { 7, 13, 5 }, { 13, 7, 1 }, { 65, 129, 33 }, { 6, 16, 256 }, { 95, 255, 255 }, { 96, 256, 256 },
        { 97, 257, 257 }, { 5, 33, 513 }, { 192, 40, 7 }, { 1, 300, 2 }, { 300, 1, 3 }, { 3, 4, 0 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Multiply_AnyShapeAndTransposes_GivesTheNaiveLoopsBits(int m, int n, int k)
    {
        var gemm = new Gemm();
        foreach (bool transposeA in new[] { false, true })
            foreach (bool transposeB in new[] { false, true })
                foreach (bool withD in new[] { false, true })
                {
                    var (a, b, d) = Operands(m, n, k, seed: m * 31 + n * 7 + k);
                    float alpha = withD ? 0.75f : 1f, beta = -1.25f;
                    var c = new float[m * n];
                    gemm.Multiply(a, transposeA, b, transposeB, c, m, n, k, alpha, beta, withD ? d : null, threads: 2);
                    AssertSameBits(Naive(a, transposeA, b, transposeB, m, n, k, alpha, beta, withD ? d : null), c,
                        $"{m}×{n}×{k}, transposeA {transposeA}, transposeB {transposeB}, D {withD}");
                }
    }

    [Theory]
    [InlineData(7, 13, 5)]
    [InlineData(65, 129, 33)]
    [InlineData(97, 257, 257)]
    [InlineData(193, 70, 300)]
    public void Multiply_EveryWidthAndThreadCount_GivesTheNaiveLoopsBits(int m, int n, int k)
    {
        // Lanes 16 runs Vector512 code even where the hardware lacks it (the runtime emulates it, lane by lane).
        var (a, b, d) = Operands(m, n, k, seed: 5);
        var plain = Naive(a, false, b, false, m, n, k, 1f, 0f, null);
        var transposed = Naive(a, true, b, true, m, n, k, 0.5f, 3f, d);
        foreach (int lanes in new[] { 1, 4, 8, 16 })
            foreach (int threads in new[] { 1, 2, 3, 8 })
            {
                var gemm = new Gemm();
                var c = new float[m * n];
                gemm.Multiply(a, false, b, false, c, m, n, k, threads: threads, lanes: lanes);
                AssertSameBits(plain, c, $"{m}×{n}×{k}, lanes {lanes}, threads {threads}");
                gemm.Multiply(a, true, b, true, c, m, n, k, 0.5f, 3f, d, threads: threads, lanes: lanes);
                AssertSameBits(transposed, c, $"{m}×{n}×{k} transposed with D, lanes {lanes}, threads {threads}");
            }
    }

    [Theory]
    [InlineData(1, 3)]
    [InlineData(7, 13)]
    [InlineData(96, 40)]
    [InlineData(97, 300)]
    [InlineData(300, 97)]
    public void Multiply_Symmetric_GivesTheFullProductsBits(int rows, int cols)
    {
        // X·Xᵀ (X is rows × cols), then A·A + β·A in place, as Newton–Schulz does: the lower triangle and its mirror
        // must be exactly the full product's elements.
        var (x, _, _) = Operands(rows, 1, cols, seed: 11);
        var gemm = new Gemm();
        foreach (int lanes in new[] { 1, 8, 16 })
            foreach (int threads in new[] { 1, 3 })
            {
                var full = new float[rows * rows];
                gemm.Multiply(x, false, x, true, full, rows, rows, cols, threads: threads, lanes: lanes);
                AssertSameBits(Naive(x, false, x, true, rows, rows, cols, 1f, 0f, null), full, $"X·Xᵀ full, lanes {lanes}");
                var a = new float[rows * rows];
                gemm.Multiply(x, false, x, true, a, rows, rows, cols, symmetric: true, threads: threads, lanes: lanes);
                AssertSameBits(full, a, $"X·Xᵀ symmetric {rows}×{cols}, lanes {lanes}, threads {threads}");
                var expected = Naive(a, false, a, false, rows, rows, rows, 2f, -0.5f, a);
                gemm.Multiply(a, false, a, false, a, rows, rows, rows, 2f, -0.5f, a, symmetric: true, threads: threads, lanes: lanes);
                AssertSameBits(expected, a, $"2·A² − A/2 symmetric in place {rows}, lanes {lanes}, threads {threads}");
            }
    }

    [Fact]
    public void Multiply_InPlace_ReadsTheOperandsBeforeWriting()
    {
        // C = 0.5·B·C + 2·C with C also the right operand and D: Newton–Schulz's X ← aX + B·X in one buffer.
        const int m = 97, n = 130;
        var (b, x, _) = Operands(m, n, m, seed: 3);
        var expected = Naive(b, false, x, false, m, n, m, 0.5f, 2f, x);
        new Gemm().Multiply(b, false, x, false, x, m, n, m, 0.5f, 2f, x, threads: 3);
        AssertSameBits(expected, x, "in place");
    }

    [Fact]
    public void Multiply_NonFiniteValues_PropagateAsInTheNaiveLoop()
    {
        const int m = 20, n = 37, k = 300;
        var (a, b, d) = Operands(m, n, k, seed: 9);
        a[3 * k + 4] = float.NaN;
        a[5 * k + 299] = float.PositiveInfinity;
        b[10 * n + 2] = float.NegativeInfinity;
        b[7 * n + 36] = float.MaxValue;
        a[9 * k + 7] = float.MaxValue;
        d[11] = float.NaN;
        var c = new float[m * n];
        new Gemm().Multiply(a, false, b, false, c, m, n, k, 1f, 1f, d, threads: 2);
        var expected = Naive(a, false, b, false, m, n, k, 1f, 1f, d);
        Assert.Contains(expected, float.IsNaN);
        Assert.Contains(expected, float.IsInfinity);
        AssertSameBits(expected, c, "non-finite");
    }

    [Fact]
    public void Multiply_EmptyDimensions_WriteNothing()
    {
        var c = new float[] { 5f };
        new Gemm().Multiply([], false, new float[3], false, c, 0, 1, 3);
        new Gemm().Multiply(new float[3], false, [], false, c, 1, 0, 3);
        Assert.Equal(5f, c[0]);
    }

    [Fact]
    public void Multiply_BadArguments_Throw()
    {
        var gemm = new Gemm();
        var x = new float[12];
        Assert.Throws<ArgumentOutOfRangeException>("m", () => gemm.Multiply(x, false, x, false, x, -1, 2, 2));
        Assert.Throws<ArgumentException>("a", () => gemm.Multiply(new float[5], false, x, false, x, 2, 2, 3));
        Assert.Throws<ArgumentException>("b", () => gemm.Multiply(x, false, new float[5], false, x, 2, 2, 3));
        Assert.Throws<ArgumentException>("c", () => gemm.Multiply(x, false, x, false, new float[3], 2, 2, 3));
        Assert.Throws<ArgumentException>("d", () => gemm.Multiply(x, false, x, false, x, 2, 2, 3, d: new float[3]));
        Assert.Throws<ArgumentException>("symmetric", () => gemm.Multiply(x, false, x, false, x, 2, 3, 2, symmetric: true));
        Assert.Throws<ArgumentException>("lanes", () => gemm.Multiply(x, false, x, false, x, 2, 2, 2, lanes: 2));
        Assert.Throws<ArgumentOutOfRangeException>("threads", () => gemm.Multiply(x, false, x, false, x, 2, 2, 2, threads: 0));
    }

    [Fact]
    public void Multiply_AfterTheFirstCall_AllocatesNothing()
    {
        const int m = 100, n = 300, k = 270;
        var (a, b, d) = Operands(m, n, k, seed: 1);
        var c = new float[m * n];
        var gemm = new Gemm();
        gemm.Multiply(a, true, b, false, c, m, n, k, 1f, 1f, d, threads: 2);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int r = 0; r < 3; r++) gemm.Multiply(a, true, b, false, c, m, n, k, 1f, 1f, d, threads: 2);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>A, B and D with values of mixed signs and magnitudes, so that any other summation order changes bits.</summary>
    private static (float[] A, float[] B, float[] D) Operands(int m, int n, int k, int seed)
    {
        var a = new float[m * k];
        var b = new float[k * n];
        var d = new float[m * n];
        for (int i = 0; i < a.Length; i++) a[i] = EngineTestData.Hash(seed, i, 1) * (1 + i % 7);
        for (int i = 0; i < b.Length; i++) b[i] = EngineTestData.Hash(seed, i, 2) / (1 + i % 5);
        for (int i = 0; i < d.Length; i++) d[i] = EngineTestData.Hash(seed, i, 3);
        return (a, b, d);
    }

    /// <summary>The definition: <c>s = 0; s += op(A)[i, l]·op(B)[l, j]</c> for l = 0..k−1; then <c>α·s (+ β·D[i, j])</c>.</summary>
    private static float[] Naive(float[] a, bool transposeA, float[] b, bool transposeB, int m, int n, int k, float alpha, float beta, float[]? d)
    {
        var c = new float[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float s = 0;
                for (int l = 0; l < k; l++)
                    s += (transposeA ? a[l * m + i] : a[i * k + l]) * (transposeB ? b[j * k + l] : b[l * n + j]);
                c[i * n + j] = d is null ? alpha * s : alpha * s + beta * d[i * n + j];
            }
        return c;
    }

    private static void AssertSameBits(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}: element {i} is {actual[i]:R}, the naive loop gives {expected[i]:R}");
    }
}
