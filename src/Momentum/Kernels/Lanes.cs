using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Momentum.Kernels;

/// <summary>
/// A lane type: <c>Count</c> floats processed together, as one scalar (<see cref="Lanes1"/>), a
/// <see cref="Vector128{T}"/> (<see cref="Lanes4"/>), a <see cref="Vector256{T}"/> (<see cref="Lanes8"/>) or a
/// <see cref="Vector512{T}"/> (<see cref="Lanes16"/>). Kernels and element-wise operators are written once, generically
/// over this interface, so the scalar lane and every vector width perform the same operations in the same order and give
/// identical bits on every machine. Only <c>+ − × ÷ √</c>, max/min, abs, comparisons and selects: no FMA, no estimates,
/// no transcendental functions (STYLE §12). Every member is a single operation on each lane.
/// </summary>
internal interface ILanes<TSelf> where TSelf : struct, ILanes<TSelf>
{
    /// <summary>The number of floats in one value of this type.</summary>
    static abstract int Count { get; }

    /// <summary>Whether this width runs as hardware instructions here (the scalar lane always does); otherwise it is
    /// emulated in software, which gives the same bits, slowly.</summary>
    static abstract bool IsHardwareAccelerated { get; }

    static abstract TSelf Create(float value);

    static abstract TSelf Load(ref float source, nuint index);

    void Store(ref float destination, nuint index);

    /// <summary>Loads <see cref="Count"/> bfloat16 values, widened exactly to float32 (<see cref="BFloat16.ToSingle"/>).</summary>
    static abstract TSelf LoadBFloat16(ref ushort source, nuint index);

    /// <summary>Stores the lanes rounded to bfloat16, as <see cref="BFloat16.FromSingle"/> rounds each one.</summary>
    void StoreBFloat16(ref ushort destination, nuint index);

    static abstract TSelf operator +(TSelf a, TSelf b);

    static abstract TSelf operator -(TSelf a, TSelf b);

    static abstract TSelf operator *(TSelf a, TSelf b);

    static abstract TSelf operator /(TSelf a, TSelf b);

    static abstract TSelf operator -(TSelf a);

    static abstract TSelf Sqrt(TSelf x);

    /// <summary><see cref="MathF.Max"/> per lane (NaN propagates; +0 is greater than −0).</summary>
    static abstract TSelf Max(TSelf a, TSelf b);

    /// <summary><see cref="MathF.Min"/> per lane (NaN propagates; −0 is less than +0).</summary>
    static abstract TSelf Min(TSelf a, TSelf b);

    static abstract TSelf Abs(TSelf x);

    /// <summary><c>x &gt; 0 ? 1 : x &lt; 0 ? −1 : x</c> (so ±0 stays ±0 and NaN stays NaN, as <c>jnp.sign</c>).</summary>
    static abstract TSelf Sign(TSelf x);

    /// <summary><c>a &gt; b ? whenTrue : whenFalse</c> per lane.</summary>
    static abstract TSelf IfGreater(TSelf a, TSelf b, TSelf whenTrue, TSelf whenFalse);

    /// <summary><c>a &lt; b ? whenTrue : whenFalse</c> per lane.</summary>
    static abstract TSelf IfLess(TSelf a, TSelf b, TSelf whenTrue, TSelf whenFalse);

    /// <summary><c>a == b ? whenTrue : whenFalse</c> per lane.</summary>
    static abstract TSelf IfEqual(TSelf a, TSelf b, TSelf whenTrue, TSelf whenFalse);

    /// <summary>Whether <c>a == b</c> in every lane (false where either is NaN).</summary>
    static abstract bool EqualsAll(TSelf a, TSelf b);
}

/// <summary>
/// The body of a loop written once over lanes: <see cref="Run{TV}"/> processes the elements from <c>start</c> in whole
/// groups of the lane type's count while a whole group fits, and returns the index after the last group it processed.
/// <see cref="Lanes.Run{TLoop}"/> calls it for each width in turn, ending with the scalar lane, which visits each
/// remaining index once: no element is processed twice, so in-place state is updated exactly once (STYLE §10). A loop is
/// a (ref) struct holding its spans and scalars, so the JIT compiles one specialized copy per lane type.
/// </summary>
internal interface ILaneLoop
{
    int Run<TV>(int start) where TV : struct, ILanes<TV>;
}

/// <summary>
/// The lane dispatch, written once for every kernel: the widest vector that is accelerated here (Vector512, else
/// Vector256, else Vector128: x86 SSE/AVX or ARM64 AdvSimd), then each narrower vector width on what is left, then the
/// scalar lane.
/// </summary>
internal static class Lanes
{
    /// <summary>Runs <paramref name="loop"/> over all of its elements; returns the index where the scalar lane stopped
    /// (the length, unless the loop stops early).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Run<TLoop>(ref TLoop loop) where TLoop : struct, ILaneLoop, allows ref struct
    {
        if (Lanes16.IsHardwareAccelerated) return RunFrom<Lanes16, TLoop>(ref loop);
        if (Lanes8.IsHardwareAccelerated) return RunFrom<Lanes8, TLoop>(ref loop);
        if (Lanes4.IsHardwareAccelerated) return RunFrom<Lanes4, TLoop>(ref loop);
        return loop.Run<Lanes1>(0);
    }

    /// <summary>
    /// Runs <paramref name="loop"/> with <typeparamref name="TV"/> and every narrower vector width, then the scalar lane,
    /// whether or not they are accelerated: what <see cref="Run{TLoop}"/> does on a machine whose widest accelerated
    /// vector is <typeparamref name="TV"/>. Tests call it with every lane type, so one machine checks every path.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int RunFrom<TV, TLoop>(ref TLoop loop) where TV : struct, ILanes<TV> where TLoop : struct, ILaneLoop, allows ref struct
    {
        int i = 0;
        if (TV.Count >= Lanes16.Count) i = loop.Run<Lanes16>(i);
        if (TV.Count >= Lanes8.Count) i = loop.Run<Lanes8>(i);
        if (TV.Count >= Lanes4.Count) i = loop.Run<Lanes4>(i);
        return loop.Run<Lanes1>(i);
    }

    /// <summary>The name of the widest accelerated vector ("Vector512", "Vector256", "Vector128" or "scalar").</summary>
    public static string Widest =>
        Lanes16.IsHardwareAccelerated ? "Vector512" : Lanes8.IsHardwareAccelerated ? "Vector256" : Lanes4.IsHardwareAccelerated ? "Vector128" : "scalar";
}

/// <summary>One float.</summary>
internal readonly struct Lanes1(float value) : ILanes<Lanes1>
{
    private readonly float _v = value;

    public static int Count => 1;

    public static bool IsHardwareAccelerated => true;

    public static Lanes1 Create(float value) => new(value);

    public static Lanes1 Load(ref float source, nuint index) => new(Unsafe.Add(ref source, index));

    public void Store(ref float destination, nuint index) => Unsafe.Add(ref destination, index) = _v;

    public static Lanes1 LoadBFloat16(ref ushort source, nuint index) => new(BFloat16.ToSingle(Unsafe.Add(ref source, index)));

    public void StoreBFloat16(ref ushort destination, nuint index) => Unsafe.Add(ref destination, index) = BFloat16.FromSingle(_v);

    public static Lanes1 operator +(Lanes1 a, Lanes1 b) => new(a._v + b._v);

    public static Lanes1 operator -(Lanes1 a, Lanes1 b) => new(a._v - b._v);

    public static Lanes1 operator *(Lanes1 a, Lanes1 b) => new(a._v * b._v);

    public static Lanes1 operator /(Lanes1 a, Lanes1 b) => new(a._v / b._v);

    public static Lanes1 operator -(Lanes1 a) => new(-a._v);

    public static Lanes1 Sqrt(Lanes1 x) => new(MathF.Sqrt(x._v));

    public static Lanes1 Max(Lanes1 a, Lanes1 b) => new(MathF.Max(a._v, b._v));

    public static Lanes1 Min(Lanes1 a, Lanes1 b) => new(MathF.Min(a._v, b._v));

    public static Lanes1 Abs(Lanes1 x) => new(MathF.Abs(x._v));

    public static Lanes1 Sign(Lanes1 x) => new(x._v > 0f ? 1f : x._v < 0f ? -1f : x._v);

    public static Lanes1 IfGreater(Lanes1 a, Lanes1 b, Lanes1 whenTrue, Lanes1 whenFalse) => a._v > b._v ? whenTrue : whenFalse;

    public static Lanes1 IfLess(Lanes1 a, Lanes1 b, Lanes1 whenTrue, Lanes1 whenFalse) => a._v < b._v ? whenTrue : whenFalse;

    public static Lanes1 IfEqual(Lanes1 a, Lanes1 b, Lanes1 whenTrue, Lanes1 whenFalse) => a._v == b._v ? whenTrue : whenFalse;

    public static bool EqualsAll(Lanes1 a, Lanes1 b) => a._v == b._v;
}

/// <summary>Four floats: x86 SSE/AVX, ARM64 AdvSimd.</summary>
internal readonly struct Lanes4(Vector128<float> value) : ILanes<Lanes4>
{
    private readonly Vector128<float> _v = value;

    public static int Count => Vector128<float>.Count;

    public static bool IsHardwareAccelerated => Vector128.IsHardwareAccelerated;

    public static Lanes4 Create(float value) => new(Vector128.Create(value));

    public static Lanes4 Load(ref float source, nuint index) => new(Vector128.LoadUnsafe(ref source, index));

    public void Store(ref float destination, nuint index) => _v.StoreUnsafe(ref destination, index);

    public static Lanes4 LoadBFloat16(ref ushort source, nuint index) => new(BFloat16.Widen4(ref source, index));

    public void StoreBFloat16(ref ushort destination, nuint index) => BFloat16.Narrow4(_v, ref destination, index);

    public static Lanes4 operator +(Lanes4 a, Lanes4 b) => new(a._v + b._v);

    public static Lanes4 operator -(Lanes4 a, Lanes4 b) => new(a._v - b._v);

    public static Lanes4 operator *(Lanes4 a, Lanes4 b) => new(a._v * b._v);

    public static Lanes4 operator /(Lanes4 a, Lanes4 b) => new(a._v / b._v);

    public static Lanes4 operator -(Lanes4 a) => new(-a._v);

    public static Lanes4 Sqrt(Lanes4 x) => new(Vector128.Sqrt(x._v));

    public static Lanes4 Max(Lanes4 a, Lanes4 b) => new(Vector128.Max(a._v, b._v));

    public static Lanes4 Min(Lanes4 a, Lanes4 b) => new(Vector128.Min(a._v, b._v));

    public static Lanes4 Abs(Lanes4 x) => new(Vector128.Abs(x._v));

    public static Lanes4 Sign(Lanes4 x) =>
        new(Vector128.ConditionalSelect(Vector128.GreaterThan(x._v, Vector128<float>.Zero), Vector128<float>.One,
            Vector128.ConditionalSelect(Vector128.LessThan(x._v, Vector128<float>.Zero), -Vector128<float>.One, x._v)));

    public static Lanes4 IfGreater(Lanes4 a, Lanes4 b, Lanes4 whenTrue, Lanes4 whenFalse) =>
        new(Vector128.ConditionalSelect(Vector128.GreaterThan(a._v, b._v), whenTrue._v, whenFalse._v));

    public static Lanes4 IfLess(Lanes4 a, Lanes4 b, Lanes4 whenTrue, Lanes4 whenFalse) =>
        new(Vector128.ConditionalSelect(Vector128.LessThan(a._v, b._v), whenTrue._v, whenFalse._v));

    public static Lanes4 IfEqual(Lanes4 a, Lanes4 b, Lanes4 whenTrue, Lanes4 whenFalse) =>
        new(Vector128.ConditionalSelect(Vector128.Equals(a._v, b._v), whenTrue._v, whenFalse._v));

    public static bool EqualsAll(Lanes4 a, Lanes4 b) => Vector128.EqualsAll(a._v, b._v);
}

/// <summary>Eight floats: x86 AVX2.</summary>
internal readonly struct Lanes8(Vector256<float> value) : ILanes<Lanes8>
{
    private readonly Vector256<float> _v = value;

    public static int Count => Vector256<float>.Count;

    public static bool IsHardwareAccelerated => Vector256.IsHardwareAccelerated;

    public static Lanes8 Create(float value) => new(Vector256.Create(value));

    public static Lanes8 Load(ref float source, nuint index) => new(Vector256.LoadUnsafe(ref source, index));

    public void Store(ref float destination, nuint index) => _v.StoreUnsafe(ref destination, index);

    public static Lanes8 LoadBFloat16(ref ushort source, nuint index) => new(BFloat16.Widen8(ref source, index));

    public void StoreBFloat16(ref ushort destination, nuint index) => BFloat16.Narrow8(_v, ref destination, index);

    public static Lanes8 operator +(Lanes8 a, Lanes8 b) => new(a._v + b._v);

    public static Lanes8 operator -(Lanes8 a, Lanes8 b) => new(a._v - b._v);

    public static Lanes8 operator *(Lanes8 a, Lanes8 b) => new(a._v * b._v);

    public static Lanes8 operator /(Lanes8 a, Lanes8 b) => new(a._v / b._v);

    public static Lanes8 operator -(Lanes8 a) => new(-a._v);

    public static Lanes8 Sqrt(Lanes8 x) => new(Vector256.Sqrt(x._v));

    public static Lanes8 Max(Lanes8 a, Lanes8 b) => new(Vector256.Max(a._v, b._v));

    public static Lanes8 Min(Lanes8 a, Lanes8 b) => new(Vector256.Min(a._v, b._v));

    public static Lanes8 Abs(Lanes8 x) => new(Vector256.Abs(x._v));

    public static Lanes8 Sign(Lanes8 x) =>
        new(Vector256.ConditionalSelect(Vector256.GreaterThan(x._v, Vector256<float>.Zero), Vector256<float>.One,
            Vector256.ConditionalSelect(Vector256.LessThan(x._v, Vector256<float>.Zero), -Vector256<float>.One, x._v)));

    public static Lanes8 IfGreater(Lanes8 a, Lanes8 b, Lanes8 whenTrue, Lanes8 whenFalse) =>
        new(Vector256.ConditionalSelect(Vector256.GreaterThan(a._v, b._v), whenTrue._v, whenFalse._v));

    public static Lanes8 IfLess(Lanes8 a, Lanes8 b, Lanes8 whenTrue, Lanes8 whenFalse) =>
        new(Vector256.ConditionalSelect(Vector256.LessThan(a._v, b._v), whenTrue._v, whenFalse._v));

    public static Lanes8 IfEqual(Lanes8 a, Lanes8 b, Lanes8 whenTrue, Lanes8 whenFalse) =>
        new(Vector256.ConditionalSelect(Vector256.Equals(a._v, b._v), whenTrue._v, whenFalse._v));

    public static bool EqualsAll(Lanes8 a, Lanes8 b) => Vector256.EqualsAll(a._v, b._v);
}

/// <summary>Sixteen floats: x86 AVX-512.</summary>
internal readonly struct Lanes16(Vector512<float> value) : ILanes<Lanes16>
{
    private readonly Vector512<float> _v = value;

    public static int Count => Vector512<float>.Count;

    public static bool IsHardwareAccelerated => Vector512.IsHardwareAccelerated;

    public static Lanes16 Create(float value) => new(Vector512.Create(value));

    public static Lanes16 Load(ref float source, nuint index) => new(Vector512.LoadUnsafe(ref source, index));

    public void Store(ref float destination, nuint index) => _v.StoreUnsafe(ref destination, index);

    public static Lanes16 LoadBFloat16(ref ushort source, nuint index) => new(BFloat16.Widen16(ref source, index));

    public void StoreBFloat16(ref ushort destination, nuint index) => BFloat16.Narrow16(_v, ref destination, index);

    public static Lanes16 operator +(Lanes16 a, Lanes16 b) => new(a._v + b._v);

    public static Lanes16 operator -(Lanes16 a, Lanes16 b) => new(a._v - b._v);

    public static Lanes16 operator *(Lanes16 a, Lanes16 b) => new(a._v * b._v);

    public static Lanes16 operator /(Lanes16 a, Lanes16 b) => new(a._v / b._v);

    public static Lanes16 operator -(Lanes16 a) => new(-a._v);

    public static Lanes16 Sqrt(Lanes16 x) => new(Vector512.Sqrt(x._v));

    public static Lanes16 Max(Lanes16 a, Lanes16 b) => new(Vector512.Max(a._v, b._v));

    public static Lanes16 Min(Lanes16 a, Lanes16 b) => new(Vector512.Min(a._v, b._v));

    public static Lanes16 Abs(Lanes16 x) => new(Vector512.Abs(x._v));

    public static Lanes16 Sign(Lanes16 x) =>
        new(Vector512.ConditionalSelect(Vector512.GreaterThan(x._v, Vector512<float>.Zero), Vector512<float>.One,
            Vector512.ConditionalSelect(Vector512.LessThan(x._v, Vector512<float>.Zero), -Vector512<float>.One, x._v)));

    public static Lanes16 IfGreater(Lanes16 a, Lanes16 b, Lanes16 whenTrue, Lanes16 whenFalse) =>
        new(Vector512.ConditionalSelect(Vector512.GreaterThan(a._v, b._v), whenTrue._v, whenFalse._v));

    public static Lanes16 IfLess(Lanes16 a, Lanes16 b, Lanes16 whenTrue, Lanes16 whenFalse) =>
        new(Vector512.ConditionalSelect(Vector512.LessThan(a._v, b._v), whenTrue._v, whenFalse._v));

    public static Lanes16 IfEqual(Lanes16 a, Lanes16 b, Lanes16 whenTrue, Lanes16 whenFalse) =>
        new(Vector512.ConditionalSelect(Vector512.Equals(a._v, b._v), whenTrue._v, whenFalse._v));

    public static bool EqualsAll(Lanes16 a, Lanes16 b) => Vector512.EqualsAll(a._v, b._v);
}
