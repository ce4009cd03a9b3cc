namespace Momentum;

public static partial class Transforms
{
    /// <summary>
    /// Adds annealed Gaussian noise to the updates (Neelakantan et al., 2015, https://arxiv.org/abs/1511.06807), Optax's
    /// <c>add_noise</c>, with a seeded counter-based generator so results are reproducible and independent of threads.
    /// </summary>
    /// <param name="eta">η, the base variance; finite and ≥ 0.</param>
    /// <param name="gamma">γ, the annealing exponent; finite and ≥ 0.</param>
    /// <param name="seed">The seed.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>
    /// <c>u ← u + σ_t·z</c> with <c>σ_t = √(η / tᵞ)</c>, t the parameter's own step count (1, 2, ...), and z a standard
    /// normal drawn by the polar method from a SplitMix64 hash of (seed, parameter index, t, element index), using only
    /// + − × ÷ √ and a series logarithm: the same numbers on every machine and for any thread count. Optax draws from
    /// JAX's PRNG, whose numbers cannot be reproduced here.
    /// </remarks>
    public static GradientTransformation AddNoise(double eta, double gamma, long seed)
    {
        OptaxGuard.NonNegative(eta, nameof(eta));
        OptaxGuard.NonNegative(gamma, nameof(gamma));
        return new AddNoiseTransformation(eta, gamma, seed);
    }
}

internal sealed class AddNoiseTransformation(double eta, double gamma, long seed) : OptaxElementwise("add_noise"), IWholeTensorStage
{
    protected override void Prepare(OptaxState s, in StepInfo step) => s.S0 = (float)Math.Sqrt(eta / Math.Pow(s.Count, gamma));

    public override void Apply(TransformState? state, in Block block)
    {
        var s = (OptaxState)state!;
        float sigma = s.S0;
        if (sigma == 0f) return;
        ulong key = CounterNormal.Key(seed, s.Parameter.Index, s.Count);
        var u = block.Updates;
        for (int i = 0; i < u.Length; i++) u[i] += sigma * CounterNormal.Sample(key, block.Offset + i);
    }
}

/// <summary>Standard normal numbers from a counter-based hash: the value depends only on its key and index.</summary>
internal static class CounterNormal
{
    private const double Ln2 = 0.6931471805599453;
    private const double Sqrt2 = 1.4142135623730951;

    public static ulong Key(long seed, int parameter, long step) =>
        Mix(Mix(Mix((ulong)seed ^ 0x6A09E667F3BCC909UL) ^ (ulong)(uint)parameter) ^ (ulong)step);

    /// <summary>A standard normal by Marsaglia's polar method; rejected pairs draw again with the next counter.</summary>
    public static float Sample(ulong key, long index)
    {
        ulong k = Mix(key ^ (ulong)index);
        for (ulong attempt = 0; ; attempt += 2)
        {
            double x = Uniform(Mix(k + attempt * 0x9E3779B97F4A7C15UL));
            double y = Uniform(Mix(k + (attempt + 1) * 0x9E3779B97F4A7C15UL));
            double s = x * x + y * y;
            if (s >= 1 || s == 0) continue;
            return (float)(x * Math.Sqrt(-2 * Log(s) / s));
        }
    }

    /// <summary>Uniform in (−1, 1) from the top 53 bits.</summary>
    private static double Uniform(ulong bits) => (bits >> 11) * (2.0 / (1UL << 53)) - 1;

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>ln x for a normal positive x, with only + − × ÷: x = m·2ᵉ, ln m = 2·atanh((m−1)/(m+1)) by its series.</summary>
    internal static double Log(double x)
    {
        long bits = BitConverter.DoubleToInt64Bits(x);
        int e = (int)((bits >> 52) & 0x7FF) - 1023;
        double m = BitConverter.Int64BitsToDouble((bits & 0xFFFFFFFFFFFFFL) | 0x3FF0000000000000L);
        if (m > Sqrt2)
        {
            m *= 0.5;
            e++;
        }
        double z = (m - 1) / (m + 1), z2 = z * z, term = z, sum = 0;
        for (int k = 1; k < 42; k += 2)
        {
            sum += term / k;
            term *= z2;
        }
        return 2 * sum + e * Ln2;
    }
}
