namespace Momentum.Kernels;

/// <summary>
/// <see cref="Math.Pow(double, double)"/> for integer exponents, remembering the last few results per thread. A step
/// computes the same bias corrections (β₁ᵗ, β₂ᵗ) for every parameter; with thousands of small tensors the repeated
/// <c>Math.Pow</c> calls cost more than the element work. The cache returns the very value <c>Math.Pow</c> returned, so
/// results are unchanged; it is per thread, so it needs no locking, and it never allocates.
/// </summary>
internal static class PowCache
{
    private const int Entries = 4;

    [ThreadStatic] private static Entry0 t_entries;
    [ThreadStatic] private static int t_next;

    /// <summary>Allocates this thread's cache storage now (the runtime does so on first touch).</summary>
    public static void Warm() => Pow(0.5, 1);

    /// <summary>Returns <c>Math.Pow(x, t)</c>.</summary>
    public static double Pow(double x, long t)
    {
        ref var entries = ref t_entries;
        for (int i = 0; i < Entries; i++)
        {
            ref var e = ref entries[i];
            if (e.Exponent == t && e.Valid && e.Base.Equals(x)) return e.Value;
        }
        double value = Math.Pow(x, t);
        int slot = t_next;
        t_next = (slot + 1) % Entries;
        entries[slot] = new Entry { Base = x, Exponent = t, Value = value, Valid = true };
        return value;
    }

    private struct Entry
    {
        public double Base;
        public long Exponent;
        public double Value;
        public bool Valid;
    }

    [System.Runtime.CompilerServices.InlineArray(Entries)]
    private struct Entry0
    {
        private Entry _element;
    }
}
