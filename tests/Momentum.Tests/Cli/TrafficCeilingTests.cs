using Momentum.Diagnostics;

namespace Momentum.Tests.Cli;

public class TrafficCeilingTests
{
    public static TheoryData<int, int, int, bool, int> Passes => new()
    {
        { 1, 1, 1, false, 1 },
        { 2, 1, 17, true, 2 },
        { 4, 3, 16 * 1024 + 5, false, 2 },
        { 4, 3, 300_007, true, 2 },
        { 6, 5, 300_007, false, 1 },
        { 3, 2, 1_000_003, true, 3 },
    };

    /// <summary>
    /// A pass writes the mean of the read streams, summed left to right, into each written stream, and touches nothing
    /// else: the written streams' checksums are the expected ones and every other element keeps its bits.
    /// </summary>
    [Theory]
    [MemberData(nameof(Passes))]
    public void Measure_WritesTheMeanOfTheReadStreams_AndNothingElse(int reads, int writes, int length, bool nonTemporal, int threads)
    {
        const int streams = 7;
        int capacity = length + 40;
        using var ceiling = new TrafficCeiling(streams, capacity, threads);
        var before = new float[streams][];
        for (int s = 0; s < streams; s++) before[s] = ceiling.Stream(s).ToArray();

        double seconds = ceiling.Measure(reads, writes, length, nonTemporal);

        Assert.True(seconds > 0);
        var expected = new float[length];
        for (int i = 0; i < length; i++)
        {
            float t = before[0][i];
            for (int s = 1; s < reads; s++) t += before[s][i];
            expected[i] = t * (1f / reads);
        }
        double expectedChecksum = expected.Sum(x => (double)x);
        for (int s = 0; s < streams; s++)
        {
            var after = ceiling.Stream(s);
            if (s < writes)
            {
                Assert.Equal(expectedChecksum, Checksum(after[..length]));
                for (int i = 0; i < length; i++)
                    Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(after[i]), $"stream {s}, element {i}");
            }
            else
            {
                Assert.True(before[s].AsSpan(0, length).SequenceEqual(after[..length]), $"read-only or unused stream {s} changed");
            }
            Assert.True(before[s].AsSpan(length).SequenceEqual(after[length..]), $"stream {s} changed past the pass's length");
        }
    }

    [Fact]
    public void MeasureBest_TwoPasses_AveragesTwice()
    {
        using var ceiling = new TrafficCeiling(2, 100, 1);
        var x0 = ceiling.Stream(0).ToArray();
        var x1 = ceiling.Stream(1).ToArray();

        ceiling.MeasureBest(2, 1, 100);

        for (int i = 0; i < 100; i++)
        {
            float once = (x0[i] + x1[i]) * 0.5f;
            Assert.Equal((once + x1[i]) * 0.5f, ceiling.Stream(0)[i]);
        }
    }

    [Fact]
    public void BytesPerPass_IsFourBytesPerStreamPerElement() =>
        Assert.Equal(28L * 3_000_000_000L, TrafficCeiling.BytesPerPass(4, 3, 3_000_000_000L));

    [Theory]
    [InlineData(0, 1, 10)]
    [InlineData(3, 1, 10)]
    [InlineData(2, 0, 10)]
    [InlineData(1, 2, 10)]
    [InlineData(2, 1, 0)]
    [InlineData(2, 1, 11)]
    public void Measure_OutOfRange_Throws(int reads, int writes, int length)
    {
        using var ceiling = new TrafficCeiling(2, 10, 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => ceiling.Measure(reads, writes, length, nonTemporal: false));
    }

    private static double Checksum(ReadOnlySpan<float> x)
    {
        double sum = 0;
        foreach (float v in x) sum += v;
        return sum;
    }
}
