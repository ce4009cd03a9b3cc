using Momentum.Kernels;

namespace Momentum.Tests.Engine;

/// <summary>The read-only passes over the gradients: the finite check and the sum of squares of the norm pre-pass.</summary>
public class VectorMathTests
{
    // Lengths around every loop boundary: the 64- and 32-element groups, the 8-element steps, the sum's 32 lanes, the
    // scalar tail, and lengths whose prefetches (4 KiB ahead) reach past the end.
    private static readonly int[] Lengths = [0, 1, 7, 8, 9, 31, 32, 33, 63, 64, 65, 100, 1023, 1024, 1039, 1040, 1041, 1055, 1056, 1057, 1087, 1088, 1089, 3000, 16384];

    [Fact]
    public void IndexOfNonFinite_FindsTheFirstNaNOrInfinity_AtEveryPosition()
    {
        float[] bad = [float.NaN, float.PositiveInfinity, float.NegativeInfinity];
        foreach (int n in Lengths)
        {
            var x = new float[n];
            for (int i = 0; i < n; i++) x[i] = EngineTestData.Hash(7, i, n) * 1e30f; // large but finite
            Assert.Equal(-1, VectorMath.IndexOfNonFinite(x));
            for (int at = 0; at < n; at += at < 80 ? 1 : 37)
            {
                float saved = x[at];
                x[at] = bad[at % 3];
                if (at + 5 < n) x[at + 5] = float.NaN; // a later bad element must not be reported instead
                Assert.Equal(at, VectorMath.IndexOfNonFinite(x));
                x[at] = saved;
                if (at + 5 < n) x[at + 5] = EngineTestData.Hash(7, at + 5, n) * 1e30f;
            }
        }
    }

    [Fact]
    public void SumOfSquares_FollowsItsFixedLanePattern_BitForBit()
    {
        // The documented pattern, written out in scalar double arithmetic: lane k of 32 accumulates elements 32j + k in
        // order; the lanes are added in order 0..31, then the tail is added. Every machine and every code path (Vector512
        // or Vector256, with or without prefetching) must give these bits.
        foreach (int n in Lengths)
        {
            var x = new float[n];
            for (int i = 0; i < n; i++) x[i] = EngineTestData.Hash(3, i, n) * 3f;
            var lanes = new double[32];
            int full = n / 32 * 32;
            for (int i = 0; i < full; i++)
            {
                double d = x[i];
                lanes[i % 32] += d * d;
            }
            double expected = 0;
            for (int k = 0; k < 32; k++) expected += lanes[k];
            for (int i = full; i < n; i++)
            {
                double d = x[i];
                expected += d * d;
            }
            Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(VectorMath.SumOfSquares(x)));
        }
    }
}
