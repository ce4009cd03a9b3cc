using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Momentum.Kernels;

/// <summary>
/// A float lane type for the Optax building blocks: one scalar, a <see cref="Vector256{T}"/> or a
/// <see cref="Vector512{T}"/>. Each operator writes its math once, generically over this interface, so the scalar tail
/// and every vector width perform the same operations in the same order (identical bits on every machine). Only
/// <c>+ − × ÷ √</c>, max/min, abs and comparisons: no FMA, no transcendental functions.
/// </summary>
internal interface IOptaxLanes<TSelf> where TSelf : struct, IOptaxLanes<TSelf>
{
    static abstract TSelf Create(float value);
    static abstract TSelf Load(ref float source, nuint index);
    void Store(ref float destination, nuint index);
    static abstract TSelf operator +(TSelf a, TSelf b);
    static abstract TSelf operator -(TSelf a, TSelf b);
    static abstract TSelf operator *(TSelf a, TSelf b);
    static abstract TSelf operator /(TSelf a, TSelf b);
    static abstract TSelf operator -(TSelf a);
    static abstract TSelf Sqrt(TSelf x);
    static abstract TSelf Max(TSelf a, TSelf b);
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
}

/// <summary>One float.</summary>
internal readonly struct Lanes1(float value) : IOptaxLanes<Lanes1>
{
    private readonly float _v = value;

    public static Lanes1 Create(float value) => new(value);

    public static Lanes1 Load(ref float source, nuint index) => new(Unsafe.Add(ref source, index));

    public void Store(ref float destination, nuint index) => Unsafe.Add(ref destination, index) = _v;

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
}

/// <summary>Eight floats.</summary>
internal readonly struct Lanes8(Vector256<float> value) : IOptaxLanes<Lanes8>
{
    private readonly Vector256<float> _v = value;

    public static Lanes8 Create(float value) => new(Vector256.Create(value));

    public static Lanes8 Load(ref float source, nuint index) => new(Vector256.LoadUnsafe(ref source, index));

    public void Store(ref float destination, nuint index) => _v.StoreUnsafe(ref destination, index);

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
}

/// <summary>Sixteen floats.</summary>
internal readonly struct Lanes16(Vector512<float> value) : IOptaxLanes<Lanes16>
{
    private readonly Vector512<float> _v = value;

    public static Lanes16 Create(float value) => new(Vector512.Create(value));

    public static Lanes16 Load(ref float source, nuint index) => new(Vector512.LoadUnsafe(ref source, index));

    public void Store(ref float destination, nuint index) => _v.StoreUnsafe(ref destination, index);

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
}

/// <summary>
/// An element-wise operator of an Optax building block: the update <c>u</c>, the parameter <c>p</c> and up to four
/// state tensors <c>a..d</c> (updated in place; unused ones are ignored). Written once, generically over the lanes.
/// </summary>
internal interface IOptaxOperator
{
    TV Invoke<TV>(TV u, TV p, ref TV a, ref TV b, ref TV c, ref TV d) where TV : struct, IOptaxLanes<TV>;
}

/// <summary>
/// The loop for <see cref="IOptaxOperator"/>: Vector512 where accelerated, then Vector256, then a scalar tail that
/// visits each remaining index once; state spans that are empty are not read or written.
/// </summary>
internal static class OptaxLoop
{
    public static void Run<TOp>(TOp op, Span<float> u, ReadOnlySpan<float> p, Span<float> a = default, Span<float> b = default,
        Span<float> c = default, Span<float> d = default) where TOp : struct, IOptaxOperator
    {
        int n = u.Length;
        if (p.Length != n) ThrowHelper.ThrowLengthMismatch(nameof(p), n, p.Length);
        Check(a, n, nameof(a));
        Check(b, n, nameof(b));
        Check(c, n, nameof(c));
        Check(d, n, nameof(d));
        ref float ru = ref MemoryMarshal.GetReference(u);
        ref float rp = ref MemoryMarshal.GetReference(p);
        ref float ra = ref MemoryMarshal.GetReference(a);
        ref float rb = ref MemoryMarshal.GetReference(b);
        ref float rc = ref MemoryMarshal.GetReference(c);
        ref float rd = ref MemoryMarshal.GetReference(d);
        int mask = (a.IsEmpty ? 0 : 1) | (b.IsEmpty ? 0 : 2) | (c.IsEmpty ? 0 : 4) | (d.IsEmpty ? 0 : 8);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - 16; i += 16) Step<Lanes16, TOp>(op, ref ru, ref rp, ref ra, ref rb, ref rc, ref rd, mask, (nuint)i);
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8) Step<Lanes8, TOp>(op, ref ru, ref rp, ref ra, ref rb, ref rc, ref rd, mask, (nuint)i);
        for (; i < n; i++) Step<Lanes1, TOp>(op, ref ru, ref rp, ref ra, ref rb, ref rc, ref rd, mask, (nuint)i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step<TV, TOp>(TOp op, ref float ru, ref float rp, ref float ra, ref float rb, ref float rc, ref float rd, int mask, nuint i)
        where TV : struct, IOptaxLanes<TV> where TOp : struct, IOptaxOperator
    {
        TV va = (mask & 1) != 0 ? TV.Load(ref ra, i) : default;
        TV vb = (mask & 2) != 0 ? TV.Load(ref rb, i) : default;
        TV vc = (mask & 4) != 0 ? TV.Load(ref rc, i) : default;
        TV vd = (mask & 8) != 0 ? TV.Load(ref rd, i) : default;
        var r = op.Invoke(TV.Load(ref ru, i), TV.Load(ref rp, i), ref va, ref vb, ref vc, ref vd);
        if ((mask & 1) != 0) va.Store(ref ra, i);
        if ((mask & 2) != 0) vb.Store(ref rb, i);
        if ((mask & 4) != 0) vc.Store(ref rc, i);
        if ((mask & 8) != 0) vd.Store(ref rd, i);
        r.Store(ref ru, i);
    }

    private static void Check(Span<float> s, int n, string name)
    {
        if (!s.IsEmpty && s.Length != n) ThrowHelper.ThrowLengthMismatch(name, n, s.Length);
    }
}
