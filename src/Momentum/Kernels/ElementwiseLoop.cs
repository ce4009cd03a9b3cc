using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Momentum.Kernels;

/// <summary>
/// An element-wise operator on the update <c>u</c>, the parameter <c>p</c> and up to four state tensors <c>a..d</c>
/// (updated in place), written once, generically over the lanes (<see cref="ILanes{TSelf}"/>): the scalar lane and every
/// vector width perform the same operations in the same order. <see cref="States"/> says how many of <c>a..d</c> the
/// operator uses (a constant, so the loop loads and stores exactly those); the others are ignored.
/// </summary>
internal interface IElementwiseOperator
{
    /// <summary>How many state tensors (<c>a</c>, then <c>b</c>, <c>c</c>, <c>d</c>) the operator reads and writes, 0–4.</summary>
    static abstract int States { get; }

    /// <summary>Returns the new update; writes the new state to the used ones of <paramref name="a"/>..<paramref name="d"/>.</summary>
    TV Invoke<TV>(TV u, TV p, ref TV a, ref TV b, ref TV c, ref TV d) where TV : struct, ILanes<TV>;
}

/// <summary>
/// The shared element-wise loop (one body over lanes, <see cref="Lanes.Run{TLoop}"/>'s dispatch): every element is
/// visited exactly once, so in-place state is updated exactly once per element. The overloads name the state tensors
/// the operator uses; each must have the update's length.
/// </summary>
internal static class ElementwiseLoop
{
    public static void Run<TOp>(TOp op, Span<float> u, ReadOnlySpan<float> p) where TOp : struct, IElementwiseOperator =>
        Run(op, u, p, default, default, default, default);

    public static void Run<TOp>(TOp op, Span<float> u, Span<float> a, ReadOnlySpan<float> p) where TOp : struct, IElementwiseOperator =>
        Run(op, u, p, a, default, default, default);

    public static void Run<TOp>(TOp op, Span<float> u, Span<float> a, Span<float> b, ReadOnlySpan<float> p) where TOp : struct, IElementwiseOperator =>
        Run(op, u, p, a, b, default, default);

    public static void Run<TOp>(TOp op, Span<float> u, Span<float> a, Span<float> b, Span<float> c, ReadOnlySpan<float> p)
        where TOp : struct, IElementwiseOperator =>
        Run(op, u, p, a, b, c, default);

    /// <summary>Runs <paramref name="op"/> over <paramref name="u"/>; the first <c>TOp.States</c> of a..d must have its length.</summary>
    public static void Run<TOp>(TOp op, Span<float> u, ReadOnlySpan<float> p, Span<float> a, Span<float> b, Span<float> c, Span<float> d)
        where TOp : struct, IElementwiseOperator
    {
        int n = u.Length;
        if (p.Length != n) ThrowHelper.ThrowLengthMismatch(nameof(p), n, p.Length);
        if (TOp.States > 0 && a.Length != n) ThrowHelper.ThrowLengthMismatch(nameof(a), n, a.Length);
        if (TOp.States > 1 && b.Length != n) ThrowHelper.ThrowLengthMismatch(nameof(b), n, b.Length);
        if (TOp.States > 2 && c.Length != n) ThrowHelper.ThrowLengthMismatch(nameof(c), n, c.Length);
        if (TOp.States > 3 && d.Length != n) ThrowHelper.ThrowLengthMismatch(nameof(d), n, d.Length);
        var loop = new Loop<TOp>(op, u, p, a, b, c, d);
        Lanes.Run(ref loop);
    }

    /// <summary>The loop body of the overloads, which check the lengths (tests run it with <see cref="Lanes.RunFrom{TV, TLoop}"/> for every width).</summary>
    internal readonly ref struct Loop<TOp>(TOp op, Span<float> u, ReadOnlySpan<float> p, Span<float> a, Span<float> b, Span<float> c, Span<float> d)
        : ILaneLoop where TOp : struct, IElementwiseOperator
    {
        private readonly TOp _op = op;
        private readonly Span<float> _u = u, _a = a, _b = b, _c = c, _d = d;
        private readonly ReadOnlySpan<float> _p = p;

        public int Run<TV>(int start) where TV : struct, ILanes<TV>
        {
            ref float ru = ref MemoryMarshal.GetReference(_u);
            ref float rp = ref MemoryMarshal.GetReference(_p);
            ref float ra = ref MemoryMarshal.GetReference(_a);
            ref float rb = ref MemoryMarshal.GetReference(_b);
            ref float rc = ref MemoryMarshal.GetReference(_c);
            ref float rd = ref MemoryMarshal.GetReference(_d);
            int i = start, n = _u.Length;
            for (; i <= n - TV.Count; i += TV.Count) Step<TV>(ref ru, ref rp, ref ra, ref rb, ref rc, ref rd, (nuint)i);
            return i;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Step<TV>(ref float ru, ref float rp, ref float ra, ref float rb, ref float rc, ref float rd, nuint i)
            where TV : struct, ILanes<TV>
        {
            TV va = TOp.States > 0 ? TV.Load(ref ra, i) : default;
            TV vb = TOp.States > 1 ? TV.Load(ref rb, i) : default;
            TV vc = TOp.States > 2 ? TV.Load(ref rc, i) : default;
            TV vd = TOp.States > 3 ? TV.Load(ref rd, i) : default;
            var r = _op.Invoke(TV.Load(ref ru, i), TV.Load(ref rp, i), ref va, ref vb, ref vc, ref vd);
            if (TOp.States > 0) va.Store(ref ra, i);
            if (TOp.States > 1) vb.Store(ref rb, i);
            if (TOp.States > 2) vc.Store(ref rc, i);
            if (TOp.States > 3) vd.Store(ref rd, i);
            r.Store(ref ru, i);
        }
    }
}

/// <summary>
/// The loop of the Optax building blocks: <see cref="ElementwiseLoop"/> with the state tensors after the parameters,
/// where state spans beyond the operator's <c>States</c> may be left out.
/// </summary>
internal static class OptaxLoop
{
    public static void Run<TOp>(TOp op, Span<float> u, ReadOnlySpan<float> p, Span<float> a = default, Span<float> b = default,
        Span<float> c = default, Span<float> d = default) where TOp : struct, IElementwiseOperator =>
        ElementwiseLoop.Run(op, u, p, a, b, c, d);
}
