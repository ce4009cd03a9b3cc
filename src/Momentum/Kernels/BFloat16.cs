using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Momentum.Kernels;

/// <summary>
/// bfloat16 storage: the upper 16 bits of a float32. Widening is exact; narrowing rounds to nearest, ties to even, and
/// keeps NaN a (quiet) NaN. The vector and scalar forms do the same integer operations, so they give the same bits.
/// The per-width forms are the bfloat16 loads and stores of the lane types (<see cref="ILanes{TSelf}"/>).
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

    /// <summary>Loads 4 bfloat16 values (8 bytes) at <paramref name="index"/>, widened to float32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Widen4(ref ushort source, nuint index)
    {
        var packed = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<ushort, byte>(ref Unsafe.Add(ref source, index))));
        return (Vector128.WidenLower(packed.AsUInt16()) << 16).AsSingle();
    }

    /// <summary>Loads 8 bfloat16 values at <paramref name="index"/>, widened to float32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Widen8(ref ushort source, nuint index) =>
        (Vector256.WidenLower(Vector128.LoadUnsafe(ref source, index).ToVector256Unsafe()) << 16).AsSingle();

    /// <summary>Loads 16 bfloat16 values at <paramref name="index"/>, widened to float32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Widen16(ref ushort source, nuint index) =>
        (Vector512.WidenLower(Vector256.LoadUnsafe(ref source, index).ToVector512Unsafe()) << 16).AsSingle();

    /// <summary>Rounds 4 floats to bfloat16 and stores them (8 bytes) at <paramref name="index"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Narrow4(Vector128<float> value, ref ushort destination, nuint index)
    {
        var rounded = Round(value);
        ulong packed = Vector128.Narrow(rounded, rounded).AsUInt64().ToScalar();
        Unsafe.WriteUnaligned(ref Unsafe.As<ushort, byte>(ref Unsafe.Add(ref destination, index)), packed);
    }

    /// <summary>Rounds 8 floats to bfloat16 and stores them at <paramref name="index"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Narrow8(Vector256<float> value, ref ushort destination, nuint index)
    {
        var rounded = Round(value);
        Vector128.Narrow(rounded.GetLower(), rounded.GetUpper()).StoreUnsafe(ref destination, index);
    }

    /// <summary>Rounds 16 floats to bfloat16 and stores them at <paramref name="index"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Narrow16(Vector512<float> value, ref ushort destination, nuint index)
    {
        var rounded = Round(value);
        Vector256.Narrow(rounded.GetLower(), rounded.GetUpper()).StoreUnsafe(ref destination, index);
    }

    // FromSingle per lane: the rounded upper half, or the quieted NaN (results fit in 16 bits).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> Round(Vector128<float> value)
    {
        var bits = value.AsUInt32();
        var high = bits >> 16;
        var rounded = (bits + Vector128.Create(0x7FFFu) + (high & Vector128<uint>.One)) >> 16;
        var isNaN = ~Vector128.Equals(value, value).AsUInt32();
        return Vector128.ConditionalSelect(isNaN, high | Vector128.Create(0x0040u), rounded);
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<uint> Round(Vector512<float> value)
    {
        var bits = value.AsUInt32();
        var high = bits >> 16;
        var rounded = (bits + Vector512.Create(0x7FFFu) + (high & Vector512<uint>.One)) >> 16;
        var isNaN = ~Vector512.Equals(value, value).AsUInt32();
        return Vector512.ConditionalSelect(isNaN, high | Vector512.Create(0x0040u), rounded);
    }
}
