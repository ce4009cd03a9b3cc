using System.Reflection;
using System.Runtime.Intrinsics;
using Momentum.Kernels;

namespace Momentum.Tests.Engine;

/// <summary>
/// Every kernel and element-wise operator at every lane width on this one machine: each loop runs with
/// <see cref="Lanes.RunFrom{TV, TLoop}"/> from Vector512, Vector256, Vector128 or the scalar lane (vectors that are not
/// accelerated here are emulated, with the same bits), at lengths 0–256 and odd larger ones, at offsets 0–3, against
/// the scalar formula written out here, bit for bit.
/// </summary>
public class LaneWidthTests
{
    public static TheoryData<string> Widths => ["Vector512", "Vector256", "Vector128", "scalar"];

    /// <summary>The vector widths, for the checks that compare a width with the scalar lane.</summary>
    public static TheoryData<string> VectorWidths => ["Vector512", "Vector256", "Vector128"];

    // Every length through two 512-bit groups of 64 and their tails, then odd lengths past several groups.
    private static readonly int[] Lengths = [.. Enumerable.Range(0, 257), 515, 1031, 4099];

    // Enough for an operator (the loops themselves are checked at every length above): every tail, and several groups.
    private static readonly int[] OperatorLengths = [.. Enumerable.Range(0, 41), 67, 131, 259, 515];

    [Fact]
    public void Widest_FollowsTheHardwareAndTheRuntimeSwitches()
    {
        // CI reruns the suite with these switches to force each path; a switch that stopped working would fail here.
        string widest = Vector512.IsHardwareAccelerated ? "Vector512" : Vector256.IsHardwareAccelerated ? "Vector256"
            : Vector128.IsHardwareAccelerated ? "Vector128" : "scalar";
        Assert.Equal(widest, Lanes.Widest);
        if (Switch("DOTNET_EnableHWIntrinsic") == "0") Assert.Equal("scalar", widest);
        if (Switch("DOTNET_EnableAVX2") == "0") Assert.DoesNotContain(widest, new[] { "Vector512", "Vector256" });
        if (Switch("DOTNET_EnableAVX512") == "0") Assert.NotEqual("Vector512", widest);

        static string? Switch(string name) => Environment.GetEnvironmentVariable(name);
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void RunFrom_VisitsEveryIndexOnce(string width)
    {
        foreach (int n in Lengths)
        {
            var visits = new int[n];
            var loop = new CountingLoop(visits);
            Assert.Equal(n, RunFrom(width, ref loop));
            Assert.All(visits, count => Assert.Equal(1, count));
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Adam_EveryStage_MatchesScalarReference(string width)
    {
        var k = AdamScalars();
        ForEachCase((n, offset) =>
        {
            float[] g = Data(1, n), p = Data(2, n), m = Data(3, n), v = Positive(4, n);
            float[] ep = (float[])p.Clone(), em = (float[])m.Clone(), ev = (float[])v.Clone();
            for (int i = offset; i < n; i++)
            {
                float u = Before(in k, g[i], p[i]);
                em[i] = k.B1 * em[i] + k.C1 * u;
                ev[i] = k.B2 * ev[i] + k.C2 * u * u;
                u = (k.Km * em[i] + k.Kg * u) / (MathF.Sqrt(ev[i] + k.EpsRoot) / k.SqrtBc2 + k.Eps);
                ep[i] = After(in k, u, p[i]);
            }
            var loop = new FusedKernels.AdamLoop(k, g.AsSpan(offset), p.AsSpan(offset), m.AsSpan(offset), v.AsSpan(offset));
            RunFrom(width, ref loop);
            AssertBits(ep, p);
            AssertBits(em, m);
            AssertBits(ev, v);
        });
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void AdamBFloat16_EveryStage_MatchesScalarReference(string width)
    {
        var k = AdamScalars();
        ForEachCase((n, offset) =>
        {
            float[] g = Data(1, n), p = Data(2, n);
            ushort[] m = [.. Data(3, n).Select(BFloat16.FromSingle)], v = [.. Positive(4, n).Select(BFloat16.FromSingle)];
            float[] ep = (float[])p.Clone();
            ushort[] em = (ushort[])m.Clone(), ev = (ushort[])v.Clone();
            for (int i = offset; i < n; i++)
            {
                float u = Before(in k, g[i], p[i]);
                float mi = k.B1 * BFloat16.ToSingle(em[i]) + k.C1 * u;
                float vi = k.B2 * BFloat16.ToSingle(ev[i]) + k.C2 * u * u;
                u = k.Km * mi / (MathF.Sqrt(vi) / k.SqrtBc2 + k.Eps);
                ep[i] = After(in k, u, p[i]);
                (em[i], ev[i]) = (BFloat16.FromSingle(mi), BFloat16.FromSingle(vi));
            }
            var loop = new FusedKernels.AdamBFloat16Loop(k, g.AsSpan(offset), p.AsSpan(offset), m.AsSpan(offset), v.AsSpan(offset));
            RunFrom(width, ref loop);
            AssertBits(ep, p);
            Assert.Equal(em, m);
            Assert.Equal(ev, v);
        });
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Momentum_FirstStepAndNesterov_MatchScalarReference(string width)
    {
        foreach (bool first in new[] { false, true })
        {
            foreach (bool nesterov in new[] { false, true })
            {
                var k = AdamScalars();
                (k.Decay, k.Gain, k.First, k.Nesterov) = (0.9f, 0.75f, first, nesterov);
                ForEachCase((n, offset) =>
                {
                    float[] g = Data(1, n), p = Data(2, n), b = Data(3, n);
                    float[] ep = (float[])p.Clone(), eb = (float[])b.Clone();
                    for (int i = offset; i < n; i++)
                    {
                        float u = Before(in k, g[i], p[i]);
                        eb[i] = first ? u : eb[i] * k.Decay + k.Gain * u;
                        u = nesterov ? u + k.Decay * eb[i] : eb[i];
                        ep[i] = After(in k, u, p[i]);
                    }
                    var loop = new FusedKernels.MomentumLoop(k, g.AsSpan(offset), p.AsSpan(offset), b.AsSpan(offset));
                    RunFrom(width, ref loop);
                    AssertBits(ep, p);
                    AssertBits(eb, b);
                });
            }
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Plain_WithAndWithoutStages_MatchesScalarReference(string width)
    {
        foreach (bool stages in new[] { false, true })
        {
            var k = AdamScalars();
            (k.HasClip, k.HasScale, k.HasWd1, k.HasWd2) = (stages, stages, stages, stages);
            ForEachCase((n, offset) =>
            {
                float[] g = Data(1, n), p = Data(2, n);
                float[] ep = (float[])p.Clone();
                for (int i = offset; i < n; i++) ep[i] = After(in k, Before(in k, g[i], p[i]), p[i]);
                var loop = new FusedKernels.PlainLoop(k, g.AsSpan(offset), p.AsSpan(offset));
                RunFrom(width, ref loop);
                AssertBits(ep, p);
            });
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void VectorMathMaps_MatchScalarReference(string width)
    {
        const float s = -0.37f;
        ForEachCase((n, offset) =>
        {
            float[] x = Data(1, n), y = Data(2, n);
            float[] scaled = (float[])x.Clone(), added = (float[])x.Clone(), addedScaled = (float[])x.Clone();
            float[] eScaled = (float[])x.Clone(), eAdded = (float[])x.Clone(), eAddedScaled = (float[])x.Clone();
            for (int i = offset; i < n; i++)
            {
                eScaled[i] = x[i] * s;
                eAdded[i] = x[i] + y[i];
                eAddedScaled[i] = x[i] + s * y[i];
            }
            RunOperator(width, new VectorMath.ScaleOperator(s), scaled.AsSpan(offset), scaled.AsSpan(offset));
            RunOperator(width, default(VectorMath.AddOperator), added.AsSpan(offset), y.AsSpan(offset));
            RunOperator(width, new VectorMath.AddScaledOperator(s), addedScaled.AsSpan(offset), y.AsSpan(offset));
            AssertBits(eScaled, scaled);
            AssertBits(eAdded, added);
            AssertBits(eAddedScaled, addedScaled);
        });
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void ElementwiseLoop_FourStates_UpdatesEachElementOnce(string width)
    {
        ForEachCase((n, offset) =>
        {
            float[] u = Data(1, n), p = Data(2, n), a = Data(3, n), b = Data(4, n), c = Data(5, n), d = Data(6, n);
            float[] eu = (float[])u.Clone(), ea = (float[])a.Clone(), eb = (float[])b.Clone(), ec = (float[])c.Clone(), ed = (float[])d.Clone();
            for (int i = offset; i < n; i++)
            {
                ea[i] = ea[i] * 0.5f + u[i];
                eb[i] = eb[i] - ea[i];
                ec[i] = ec[i] * p[i];
                ed[i] = ed[i] + 1f;
                eu[i] = ea[i] + eb[i] + ec[i] + ed[i];
            }
            var loop = new ElementwiseLoop.Loop<FourStates>(default, u.AsSpan(offset), p.AsSpan(offset), a.AsSpan(offset), b.AsSpan(offset),
                c.AsSpan(offset), d.AsSpan(offset));
            RunFrom(width, ref loop);
            AssertBits(eu, u);
            AssertBits(ea, a);
            AssertBits(eb, b);
            AssertBits(ec, c);
            AssertBits(ed, d);
        });
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void ScaleByAdamBFloat16Loop_MatchesScalarReference(string width)
    {
        const float b1 = 0.9f, c1 = 0.1f, b2 = 0.999f, c2 = 1e-3f, km = 1.5f, sqrtBc2 = 0.2f, eps = 1e-8f;
        ForEachCase((n, offset) =>
        {
            float[] u = Data(1, n);
            ushort[] m = [.. Data(3, n).Select(BFloat16.FromSingle)], v = [.. Positive(4, n).Select(BFloat16.FromSingle)];
            float[] eu = (float[])u.Clone();
            ushort[] em = (ushort[])m.Clone(), ev = (ushort[])v.Clone();
            for (int i = offset; i < n; i++)
            {
                float mi = b1 * BFloat16.ToSingle(em[i]) + c1 * u[i];
                float vi = b2 * BFloat16.ToSingle(ev[i]) + c2 * u[i] * u[i];
                eu[i] = km * mi / (MathF.Sqrt(vi) / sqrtBc2 + eps);
                (em[i], ev[i]) = (BFloat16.FromSingle(mi), BFloat16.FromSingle(vi));
            }
            var loop = new ScaleByAdamBFloat16Transformation.Loop(u.AsSpan(offset), m.AsSpan(offset), v.AsSpan(offset), b1, c1, b2, c2, km, sqrtBc2, eps);
            RunFrom(width, ref loop);
            AssertBits(eu, u);
            Assert.Equal(em, m);
            Assert.Equal(ev, v);
        });
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void IndexOfNonFinite_FindsTheFirstBadElement(string width)
    {
        float[] bad = [float.NaN, float.PositiveInfinity, float.NegativeInfinity];
        foreach (int n in Lengths)
        {
            float[] x = [.. Data(7, n).Select(value => value * 1e30f)];
            Assert.Equal(n, RunFrom(width, new VectorMath.NonFiniteLoop(x)));
            for (int at = 0; at < n; at += at < 80 ? 1 : 37)
            {
                float saved = x[at];
                x[at] = bad[at % 3];
                if (at + 5 < n) x[at + 5] = float.NaN;
                Assert.Equal(at, RunFrom(width, new VectorMath.NonFiniteLoop(x)));
                x[at] = saved;
                if (at + 5 < n) x[at + 5] = Data(7, n)[at + 5] * 1e30f;
            }
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void SumOfSquares_KeepsThe32LanePattern(string width)
    {
        foreach (int n in Lengths.Concat([1039, 1040, 1041, 16384]))
        {
            float[] x = [.. Data(3, n).Select(value => value * 3f)];
            var lanes = new double[32];
            int full = n / 32 * 32;
            for (int i = 0; i < full; i++) lanes[i % 32] += (double)x[i] * x[i];
            double expected = 0;
            for (int k = 0; k < 32; k++) expected += lanes[k];
            for (int i = full; i < n; i++) expected += (double)x[i] * x[i];
            double actual = width switch
            {
                "Vector512" => VectorMath.SumOfSquares<SquareSums512>(x),
                "Vector256" => VectorMath.SumOfSquares<SquareSums256>(x),
                "Vector128" => VectorMath.SumOfSquares<SquareSums128>(x),
                _ => VectorMath.SumOfSquares<SquareSums1>(x),
            };
            Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(actual));
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void BFloat16LoadsAndStores_MatchScalarConversions(string width)
    {
        // Ties to even either way, NaN with and without the quiet bit and of either sign, ±∞, ±0, denormals, and values
        // that round up into the exponent.
        uint[] special =
        [
            0x3F808000, 0x3F818000, 0x3F808001, 0x7F800001, 0xFFC00001, 0x7FC00000, 0x7F800000, 0xFF800000, 0x00000000,
            0x80000000, 0x00000001, 0x807FFFFF, 0x3F7FFFFF, 0x7F7FFFFF, 0xBF7F8000,
        ];
        ForEachCase((n, offset) =>
        {
            float[] x = new float[n];
            for (int i = 0; i < n; i++)
                x[i] = i % 3 == 0 ? BitConverter.UInt32BitsToSingle(special[i / 3 % special.Length]) : EngineTestData.Hash(8, i, n) * 1e3f;
            ushort[] stored = new ushort[n], expected = new ushort[n];
            float[] loaded = new float[n], expectedLoaded = new float[n];
            for (int i = offset; i < n; i++)
            {
                expected[i] = BFloat16.FromSingle(x[i]);
                expectedLoaded[i] = BFloat16.ToSingle(expected[i]);
            }
            var loop = new BFloat16RoundTrip(x.AsSpan(offset), stored.AsSpan(offset), loaded.AsSpan(offset));
            RunFrom(width, ref loop);
            Assert.Equal(expected, stored);
            AssertBits(expectedLoaded, loaded);
        });
    }

    [Theory]
    [MemberData(nameof(VectorWidths))]
    public void LanePrimitives_OnSpecialValues_MatchTheScalarLane(string width)
    {
        // Every pair of these values, through each primitive, at the given width and at the scalar lane.
        float[] values = [0f, -0f, 1f, -1f, 0.5f, -2.5f, float.MaxValue, float.Epsilon, -float.Epsilon, float.PositiveInfinity, float.NegativeInfinity, float.NaN];
        int n = values.Length * values.Length;
        float[] a = new float[n], b = new float[n];
        for (int i = 0; i < n; i++) (a[i], b[i]) = (values[i / values.Length], values[i % values.Length]);
        for (int primitive = 0; primitive < Primitives.Count; primitive++)
        {
            float[] actual = new float[n], expected = new float[n];
            var loop = new PrimitiveLoop(primitive, a, b, actual);
            RunFrom(width, ref loop);
            var scalar = new PrimitiveLoop(primitive, a, b, expected);
            Lanes.RunFrom<Lanes1, PrimitiveLoop>(ref scalar);
            AssertBits(expected, actual, $"primitive {primitive}");
        }
    }

    [Theory]
    [MemberData(nameof(VectorWidths))]
    public void EveryElementwiseOperator_MatchesTheScalarLane(string width)
    {
        // Each operator of the library (Adam, the torch.optim and Optax blocks, ...) built with arbitrary constants and
        // either setting of its flags, run at this width and with the scalar lane only, on the same data.
        var operators = typeof(ElementwiseLoop).Assembly.GetTypes()
            .Where(t => t.IsValueType && !t.IsGenericTypeDefinition && typeof(IElementwiseOperator).IsAssignableFrom(t))
            .ToList();
        Assert.True(operators.Count >= 30, $"found only {operators.Count} operators");
        var check = typeof(LaneWidthTests).GetMethod(nameof(CheckOperator), BindingFlags.NonPublic | BindingFlags.Static)!;
        foreach (var type in operators)
        {
            foreach (bool flags in new[] { false, true })
            {
                object op = Construct(type, flags, seed: 1);
                check.MakeGenericMethod(type).Invoke(null, [op, width]);
            }
        }
    }

    private static void CheckOperator<TOp>(TOp op, string width) where TOp : struct, IElementwiseOperator
    {
        foreach (int n in OperatorLengths)
        {
            for (int offset = 0; offset < 2; offset++)
            {
                int total = n + offset;
                float[] u = Data(1, total), p = Data(2, total), a = Positive(3, total), b = Positive(4, total), c = Positive(5, total), d = Positive(6, total);
                float[] su = (float[])u.Clone(), sa = (float[])a.Clone(), sb = (float[])b.Clone(), sc = (float[])c.Clone(), sd = (float[])d.Clone();
                var loop = new ElementwiseLoop.Loop<TOp>(op, u.AsSpan(offset), p.AsSpan(offset), a.AsSpan(offset), b.AsSpan(offset), c.AsSpan(offset), d.AsSpan(offset));
                RunFrom(width, ref loop);
                var scalar = new ElementwiseLoop.Loop<TOp>(op, su.AsSpan(offset), p.AsSpan(offset), sa.AsSpan(offset), sb.AsSpan(offset), sc.AsSpan(offset), sd.AsSpan(offset));
                Lanes.RunFrom<Lanes1, ElementwiseLoop.Loop<TOp>>(ref scalar);
                string what = $"{typeof(TOp).DeclaringType?.Name}.{typeof(TOp).Name} at {width}, n = {n}, offset {offset}";
                AssertBits(su, u, what);
                AssertBits(sa, a, what);
                AssertBits(sb, b, what);
                AssertBits(sc, c, what);
                AssertBits(sd, d, what);
            }
        }
    }

    /// <summary>An operator value with constants in (0.05, 0.95) (nested operators built the same way) and every bool set to <paramref name="flags"/>.</summary>
    private static object Construct(Type type, bool flags, int seed)
    {
        var constructor = type.GetConstructors(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)
            .OrderByDescending(c => c.GetParameters().Length).FirstOrDefault();
        if (constructor is null || constructor.GetParameters().Length == 0) return Activator.CreateInstance(type)!;
        var parameters = constructor.GetParameters();
        var args = new object[parameters.Length];
        for (int i = 0; i < parameters.Length; i++)
        {
            var t = parameters[i].ParameterType;
            args[i] = t == typeof(float) ? 0.5f + 0.9f * EngineTestData.Hash(seed, i, 99)
                : t == typeof(bool) ? flags
                : typeof(IElementwiseOperator).IsAssignableFrom(t) ? Construct(t, flags, seed + 1)
                : throw new InvalidOperationException($"{type.Name}: unexpected parameter type {t.Name}");
        }
        return constructor.Invoke(args);
    }

    private static Kernels.ChainScalars AdamScalars() => new()
    {
        Clip = 0.75f, HasClip = true, Scale = -1.25f, HasScale = true, Wd1 = 0.03f, HasWd1 = true,
        B1 = 0.9f, C1 = 0.1f, B2 = 0.999f, C2 = 1e-3f, Km = 1.5f, Kg = 0.25f, SqrtBc2 = 0.2f, EpsRoot = 1e-6f, Eps = 1e-8f,
        Wd2 = 0.01f, HasWd2 = true, Lr = -0.01f,
    };

    private static float Before(in Kernels.ChainScalars k, float u, float p)
    {
        if (k.HasClip) u *= k.Clip;
        if (k.HasScale) u *= k.Scale;
        if (k.HasWd1) u += k.Wd1 * p;
        return u;
    }

    private static float After(in Kernels.ChainScalars k, float u, float p)
    {
        if (k.HasWd2) u += k.Wd2 * p;
        return p + u * k.Lr;
    }

    private static void ForEachCase(Action<int, int> check)
    {
        foreach (int length in Lengths)
            for (int offset = 0; offset < 4; offset++) check(offset + length, offset);
    }

    private static float[] Data(int seed, int n)
    {
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = EngineTestData.Hash(seed, i, n);
        return x;
    }

    private static float[] Positive(int seed, int n) => [.. Data(seed, n).Select(MathF.Abs)];

    private static int RunFrom<TLoop>(string width, TLoop loop) where TLoop : struct, ILaneLoop, allows ref struct => RunFrom(width, ref loop);

    private static int RunFrom<TLoop>(string width, ref TLoop loop) where TLoop : struct, ILaneLoop, allows ref struct => width switch
    {
        "Vector512" => Lanes.RunFrom<Lanes16, TLoop>(ref loop),
        "Vector256" => Lanes.RunFrom<Lanes8, TLoop>(ref loop),
        "Vector128" => Lanes.RunFrom<Lanes4, TLoop>(ref loop),
        _ => Lanes.RunFrom<Lanes1, TLoop>(ref loop),
    };

    private static void RunOperator<TOp>(string width, TOp op, Span<float> u, ReadOnlySpan<float> p) where TOp : struct, IElementwiseOperator
    {
        var loop = new ElementwiseLoop.Loop<TOp>(op, u, p, default, default, default, default);
        RunFrom(width, ref loop);
    }

    private static void AssertBits(float[] expected, float[] actual, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            int e = BitConverter.SingleToInt32Bits(expected[i]), a = BitConverter.SingleToInt32Bits(actual[i]);
            if (e != a) Assert.Fail($"{what} element {i}: expected {expected[i]:R} (0x{e:X8}), got {actual[i]:R} (0x{a:X8})");
        }
    }

    /// <summary>Counts the visits of each index.</summary>
    private readonly ref struct CountingLoop(Span<int> visits) : ILaneLoop
    {
        private readonly Span<int> _visits = visits;

        public int Run<TV>(int start) where TV : struct, ILanes<TV>
        {
            int i = start;
            for (; i <= _visits.Length - TV.Count; i += TV.Count)
                for (int j = 0; j < TV.Count; j++) _visits[i + j]++;
            return i;
        }
    }

    /// <summary>a = a/2 + u; b −= a; c ·= p; d += 1; u = a + b + c + d (all four states, each written once).</summary>
    private readonly struct FourStates : IElementwiseOperator
    {
        public static int States => 4;

        public TV Invoke<TV>(TV u, TV p, ref TV a, ref TV b, ref TV c, ref TV d) where TV : struct, ILanes<TV>
        {
            a = a * TV.Create(0.5f) + u;
            b = b - a;
            c = c * p;
            d = d + TV.Create(1f);
            return a + b + c + d;
        }
    }

    /// <summary>Stores x rounded to bfloat16, then loads it back widened.</summary>
    private readonly ref struct BFloat16RoundTrip(Span<float> x, Span<ushort> stored, Span<float> loaded) : ILaneLoop
    {
        private readonly Span<float> _x = x, _loaded = loaded;
        private readonly Span<ushort> _stored = stored;

        public int Run<TV>(int start) where TV : struct, ILanes<TV>
        {
            int i = start;
            for (; i <= _x.Length - TV.Count; i += TV.Count)
            {
                TV.Load(ref _x[0], (nuint)i).StoreBFloat16(ref _stored[0], (nuint)i);
                TV.LoadBFloat16(ref _stored[0], (nuint)i).Store(ref _loaded[0], (nuint)i);
            }
            return i;
        }
    }

    private static class Primitives
    {
        public const int Count = 13;

        public static TV Apply<TV>(int primitive, TV a, TV b) where TV : struct, ILanes<TV> => primitive switch
        {
            0 => a + b,
            1 => a - b,
            2 => a * b,
            3 => a / b,
            4 => -a,
            5 => TV.Sqrt(a),
            6 => TV.Max(a, b),
            7 => TV.Min(a, b),
            8 => TV.Abs(a),
            9 => TV.Sign(a),
            10 => TV.IfGreater(a, b, TV.Create(1f), TV.Create(2f)),
            11 => TV.IfLess(a, b, TV.Create(1f), TV.Create(2f)),
            _ => TV.IfEqual(a, b, TV.Create(1f), TV.Create(2f)),
        };
    }

    /// <summary>result = primitive(a, b), lane group by lane group.</summary>
    private readonly ref struct PrimitiveLoop(int primitive, Span<float> a, Span<float> b, Span<float> result) : ILaneLoop
    {
        private readonly Span<float> _a = a, _b = b, _result = result;

        public int Run<TV>(int start) where TV : struct, ILanes<TV>
        {
            int i = start;
            for (; i <= _a.Length - TV.Count; i += TV.Count)
                Primitives.Apply(primitive, TV.Load(ref _a[0], (nuint)i), TV.Load(ref _b[0], (nuint)i)).Store(ref _result[0], (nuint)i);
            return i;
        }
    }
}
