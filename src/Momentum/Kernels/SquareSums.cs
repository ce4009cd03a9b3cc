using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Momentum.Kernels;

/// <summary>
/// Eight running sums of squares in double (lanes 0..7), the accumulators of <see cref="VectorMath.SumOfSquares(ReadOnlySpan{float})"/>,
/// held as one Vector512, two Vector256, four Vector128 or eight scalars: lane j adds the square of element
/// <c>index + j</c> (exact in double) at every width, so every width gives the same sums, bit for bit.
/// </summary>
internal interface ISquareSums<TSelf> where TSelf : struct, ISquareSums<TSelf>
{
    /// <summary>Whether this width runs as hardware instructions here.</summary>
    static abstract bool IsHardwareAccelerated { get; }

    /// <summary>Returns the sums with the squares of the eight floats at <paramref name="index"/> added, lane by lane.</summary>
    TSelf AddSquares(ref float source, nuint index);

    /// <summary>Stores the eight sums at <paramref name="index"/>.</summary>
    void Store(ref double destination, nuint index);
}

/// <summary>Eight sums in one Vector512 (AVX-512).</summary>
internal readonly struct SquareSums512(Vector512<double> s) : ISquareSums<SquareSums512>
{
    private readonly Vector512<double> _s = s;

    public static bool IsHardwareAccelerated => Vector512.IsHardwareAccelerated;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public SquareSums512 AddSquares(ref float source, nuint index)
    {
        var x = Vector512.WidenLower(Vector256.LoadUnsafe(ref source, index).ToVector512Unsafe());
        return new(_s + x * x);
    }

    public void Store(ref double destination, nuint index) => _s.StoreUnsafe(ref destination, index);
}

/// <summary>Eight sums in two Vector256 (AVX2).</summary>
internal readonly struct SquareSums256(Vector256<double> s0, Vector256<double> s1) : ISquareSums<SquareSums256>
{
    private readonly Vector256<double> _s0 = s0, _s1 = s1;

    public static bool IsHardwareAccelerated => Vector256.IsHardwareAccelerated;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public SquareSums256 AddSquares(ref float source, nuint index)
    {
        var (x0, x1) = Vector256.Widen(Vector256.LoadUnsafe(ref source, index));
        return new(_s0 + x0 * x0, _s1 + x1 * x1);
    }

    public void Store(ref double destination, nuint index)
    {
        _s0.StoreUnsafe(ref destination, index);
        _s1.StoreUnsafe(ref destination, index + 4);
    }
}

/// <summary>Eight sums in four Vector128 (x86 SSE/AVX, ARM64 AdvSimd).</summary>
internal readonly struct SquareSums128(Vector128<double> s0, Vector128<double> s1, Vector128<double> s2, Vector128<double> s3)
    : ISquareSums<SquareSums128>
{
    private readonly Vector128<double> _s0 = s0, _s1 = s1, _s2 = s2, _s3 = s3;

    public static bool IsHardwareAccelerated => Vector128.IsHardwareAccelerated;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public SquareSums128 AddSquares(ref float source, nuint index)
    {
        var (x0, x1) = Vector128.Widen(Vector128.LoadUnsafe(ref source, index));
        var (x2, x3) = Vector128.Widen(Vector128.LoadUnsafe(ref source, index + 4));
        return new(_s0 + x0 * x0, _s1 + x1 * x1, _s2 + x2 * x2, _s3 + x3 * x3);
    }

    public void Store(ref double destination, nuint index)
    {
        _s0.StoreUnsafe(ref destination, index);
        _s1.StoreUnsafe(ref destination, index + 2);
        _s2.StoreUnsafe(ref destination, index + 4);
        _s3.StoreUnsafe(ref destination, index + 6);
    }
}

/// <summary>Eight scalar sums (no SIMD).</summary>
internal readonly struct SquareSums1 : ISquareSums<SquareSums1>
{
    private readonly double _s0, _s1, _s2, _s3, _s4, _s5, _s6, _s7;

    private SquareSums1(double s0, double s1, double s2, double s3, double s4, double s5, double s6, double s7) =>
        (_s0, _s1, _s2, _s3, _s4, _s5, _s6, _s7) = (s0, s1, s2, s3, s4, s5, s6, s7);

    public static bool IsHardwareAccelerated => true;

    public SquareSums1 AddSquares(ref float source, nuint index) =>
        new(_s0 + Square(ref source, index), _s1 + Square(ref source, index + 1), _s2 + Square(ref source, index + 2),
            _s3 + Square(ref source, index + 3), _s4 + Square(ref source, index + 4), _s5 + Square(ref source, index + 5),
            _s6 + Square(ref source, index + 6), _s7 + Square(ref source, index + 7));

    public void Store(ref double destination, nuint index)
    {
        Span<double> sums = [_s0, _s1, _s2, _s3, _s4, _s5, _s6, _s7];
        for (int j = 0; j < sums.Length; j++) Unsafe.Add(ref destination, index + (nuint)j) = sums[j];
    }

    private static double Square(ref float source, nuint index)
    {
        double d = Unsafe.Add(ref source, index);
        return d * d;
    }
}
