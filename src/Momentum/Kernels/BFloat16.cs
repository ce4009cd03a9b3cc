using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Momentum.Kernels;

/// <summary>
/// bfloat16 storage: the upper 16 bits of a float32. Widening is exact; narrowing rounds to nearest, ties to even, and
/// keeps NaN a (quiet) NaN. The vector and scalar forms do the same integer operations, so they give the same bits.
/// </summary>
internal static class BFloat16
{
    /// <summary>Widens one bfloat16 to float32 (exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(ushort value) => BitConverter.Int32BitsToSingle(value << 16);

    /// <summary>Rounds a float32 to the nearest bfloat16 (ties to even); NaN stays NaN, ±∞ stays ±∞.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort FromSingle(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x0040);
        return (ushort)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
    }

    /// <summary>Widens 16 bfloat16 values to two float32 vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector256<float> Lower, Vector256<float> Upper) Widen(Vector256<ushort> value)
    {
        var (lo, hi) = Vector256.Widen(value);
        return ((lo << 16).AsSingle(), (hi << 16).AsSingle());
    }

    /// <summary>Rounds two float32 vectors to 16 bfloat16 values, as <see cref="FromSingle"/> does per element.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ushort> Narrow(Vector256<float> lower, Vector256<float> upper) =>
        Vector256.Narrow(Round(lower), Round(upper));

    /// <summary>Widens 32 bfloat16 values to two float32 vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector512<float> Lower, Vector512<float> Upper) Widen(Vector512<ushort> value)
    {
        var (lo, hi) = Vector512.Widen(value);
        return ((lo << 16).AsSingle(), (hi << 16).AsSingle());
    }

    /// <summary>Rounds two float32 vectors to 32 bfloat16 values, as <see cref="FromSingle"/> does per element.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ushort> Narrow(Vector512<float> lower, Vector512<float> upper) =>
        Vector512.Narrow(Round(lower), Round(upper));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<uint> Round(Vector512<float> value)
    {
        var bits = value.AsUInt32();
        var high = bits >> 16;
        var rounded = (bits + Vector512.Create(0x7FFFu) + (high & Vector512<uint>.One)) >> 16;
        var isNaN = ~Vector512.Equals(value, value).AsUInt32();
        return Vector512.ConditionalSelect(isNaN, high | Vector512.Create(0x0040u), rounded);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Round(Vector256<float> value)
    {
        var bits = value.AsUInt32();
        var high = bits >> 16;
        var rounded = (bits + Vector256.Create(0x7FFFu) + (high & Vector256<uint>.One)) >> 16;
        var isNaN = ~Vector256.Equals(value, value).AsUInt32();
        return Vector256.ConditionalSelect(isNaN, high | Vector256.Create(0x0040u), rounded);
    }
}
