using System.Text.Json;
using Momentum.Tests.Parity;

namespace Momentum.Tests.TorchOptim;

/// <summary>
/// <see cref="LbfgsOptimizer"/> against torch.optim.LBFGS (tools/fixtures/torch_lbfgs_fixtures.py): Rosenbrock in 2
/// and 10 dimensions and a small logistic regression, with and without the strong-Wolfe line search. Each outer step's
/// returned loss and the final parameters are compared.
/// </summary>
/// <remarks>
/// Tolerances. Rosenbrock: the closure evaluates the loss and gradient in float32 in the order torch's kernels and
/// autograd do, so our L-BFGS (which follows torch's float32 scalar arithmetic) reproduces torch's iterates exactly; the
/// test allows 1e-6·|torch| and also checks that the evaluation and iteration counts are torch's. Logistic regression:
/// the closure computes in double and rounds, so its gradients differ from autograd's float32 ones by an ulp or so,
/// which L-BFGS feeds back into every later direction; the test allows 1e-4 + 1e-3·|torch| (observed ≤ 7e-5).
/// </remarks>
public class LbfgsTests
{
    private static readonly JsonDocument s_fixture = JsonDocument.Parse(File.ReadAllText(
        Path.Combine(Path.GetDirectoryName(TorchParityTests.FixtureDirectory)!, "torch_lbfgs", "lbfgs.json")));

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in s_fixture.RootElement.GetProperty("cases").EnumerateArray()) data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    private static JsonElement Case(string name) =>
        s_fixture.RootElement.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    private static LbfgsOptions OptionsFrom(JsonElement args)
    {
        var o = new LbfgsOptions();
        foreach (var a in args.EnumerateObject())
        {
            o = a.Name switch
            {
                "lr" => o with { LearningRate = a.Value.GetDouble() },
                "max_iter" => o with { MaxIter = a.Value.GetInt32() },
                "max_eval" => o with { MaxEval = a.Value.GetInt32() },
                "tolerance_grad" => o with { ToleranceGrad = a.Value.GetDouble() },
                "tolerance_change" => o with { ToleranceChange = a.Value.GetDouble() },
                "history_size" => o with { HistorySize = a.Value.GetInt32() },
                "line_search_fn" => o with { LineSearch = a.Value.GetString() == "strong_wolfe" ? LbfgsLineSearch.StrongWolfe : throw new InvalidDataException(a.Value.GetString()) },
                _ => throw new InvalidDataException($"unknown LBFGS argument {a.Name}"),
            };
        }
        return o;
    }

    /// <summary>Builds the problem's parameters (torch's order) and a closure writing float32 loss and gradients.</summary>
    internal static (ParameterSet Set, Func<GradientSet, double> Closure) Problem(string problem)
    {
        var spec = s_fixture.RootElement.GetProperty("problems").GetProperty(problem);
        var init = spec.GetProperty("init");
        var set = new ParameterSet();
        foreach (var p in init.EnumerateObject())
        {
            if (p.Value.ValueKind == JsonValueKind.Array) set.Add(p.Name, [p.Value.GetArrayLength()], [.. p.Value.EnumerateArray().Select(v => (float)v.GetDouble())]);
            else set.Add(p.Name, [], [(float)p.Value.GetDouble()]);
        }
        if (problem.StartsWith("rosenbrock", StringComparison.Ordinal))
        {
            var x = set["x"];
            return (set, grads => Rosenbrock(x.Values, grads.Get(x, clear: true)));
        }
        double[][] features = [.. spec.GetProperty("features").EnumerateArray().Select(r => r.EnumerateArray().Select(v => (double)(float)v.GetDouble()).ToArray())];
        double[] labels = [.. spec.GetProperty("labels").EnumerateArray().Select(v => v.GetDouble())];
        double l2 = spec.GetProperty("l2").GetDouble();
        var w = set["w"];
        var b = set["b"];
        return (set, grads => Logistic(features, labels, l2, w.Values, b.Values[0], grads.Get(w, clear: true), grads.Get(b, clear: true)));
    }

    /// <summary>Rosenbrock in float32, in the order torch evaluates <c>((1 − x[:-1])² + 100(x[1:] − x[:-1]²)²).sum()</c> and its autograd gradient.</summary>
    internal static double Rosenbrock(ReadOnlySpan<float> x, Span<float> gradient)
    {
        int n = x.Length;
        Span<float> terms = stackalloc float[n - 1], fromA = stackalloc float[n - 1], fromSquare = stackalloc float[n - 1];
        for (int i = 0; i + 1 < n; i++)
        {
            float a = 1f - x[i], b = x[i + 1] - x[i] * x[i];
            terms[i] = a * a + 100f * (b * b);
            float ga = 2f * a, gb = 100f * (2f * b);
            fromA[i] = -ga;
            fromSquare[i] = -gb * (2f * x[i]);
            gradient[i + 1] = gb; // autograd adds the x[1:] path first, then x[:-1]², then 1 − x[:-1]
        }
        gradient[0] = 0;
        for (int i = 0; i + 1 < n; i++) gradient[i] = i == 0 ? fromSquare[0] + fromA[0] : gradient[i] + fromSquare[i] + fromA[i];
        return TorchSum(terms);
    }

    /// <summary>
    /// torch 1.13's float32 <c>sum()</c> of a short contiguous vector: below 8 elements in order; from 8 to 15 the
    /// elements past the first 8 first, then the first 8 (its 8-lane vector accumulator, stored and added lane by lane).
    /// </summary>
    private static float TorchSum(ReadOnlySpan<float> v)
    {
        if (v.Length >= 16) throw new NotSupportedException("only short vectors");
        float sum = 0;
        if (v.Length < 8)
        {
            foreach (float e in v) sum += e;
            return sum;
        }
        for (int i = 8; i < v.Length; i++) sum += v[i];
        for (int i = 0; i < 8; i++) sum += v[i];
        return sum;
    }

    private static double Logistic(double[][] features, double[] labels, double l2, ReadOnlySpan<float> w, float b, Span<float> gw, Span<float> gb)
    {
        int n = labels.Length;
        double loss = 0, db = 0;
        var dw = new double[w.Length];
        for (int s = 0; s < n; s++)
        {
            double z = b;
            for (int j = 0; j < w.Length; j++) z += features[s][j] * w[j];
            loss += Math.Max(z, 0) - z * labels[s] + Math.Log(1 + Math.Exp(-Math.Abs(z)));
            double dz = (1 / (1 + Math.Exp(-z)) - labels[s]) / n;
            for (int j = 0; j < w.Length; j++) dw[j] += dz * features[s][j];
            db += dz;
        }
        loss /= n;
        for (int j = 0; j < w.Length; j++)
        {
            loss += 0.5 * l2 * w[j] * w[j];
            gw[j] = (float)(dw[j] + l2 * w[j]);
        }
        gb[0] = (float)db;
        return (float)loss;
    }

    private static void AssertClose(double torch, double ours, bool exactClosure, string what)
    {
        double tolerance = exactClosure ? 1e-6 * Math.Abs(torch) : 1e-4 + 1e-3 * Math.Abs(torch);
        Assert.True(Math.Abs(ours - torch) <= tolerance, $"{what}: ours {ours:R}, torch {torch:R}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Lbfgs_MatchesTorch(string name)
    {
        var c = Case(name);
        var (set, closure) = Problem(c.GetProperty("problem").GetString()!);
        var optimizer = new LbfgsOptimizer(set, OptionsFrom(c.GetProperty("args")));
        bool exact = c.GetProperty("problem").GetString()!.StartsWith("rosenbrock", StringComparison.Ordinal);
        var losses = c.GetProperty("losses").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        for (int step = 0; step < losses.Length; step++) AssertClose(losses[step], optimizer.Step(closure), exact, $"{name} loss at outer step {step}");
        foreach (var p in c.GetProperty("final").EnumerateObject())
        {
            double[] expected = p.Value.ValueKind == JsonValueKind.Array ? [.. p.Value.EnumerateArray().Select(v => v.GetDouble())] : [p.Value.GetDouble()];
            for (int i = 0; i < expected.Length; i++) AssertClose(expected[i], set[p.Name].Values[i], exact, $"{name} {p.Name}[{i}]");
        }
        if (exact)
        {
            // Same float32 closure, same arithmetic: the same iterations and evaluations as torch.
            Assert.Equal(c.GetProperty("func_evals").GetInt32(), optimizer.FunctionEvaluations);
            Assert.Equal(c.GetProperty("n_iter").GetInt32(), optimizer.Iterations);
        }
    }

    [Fact]
    public void TorchSum_AbsSum_MatchesTorchsFloat32SumBitForBit()
    {
        foreach (var entry in s_fixture.RootElement.GetProperty("abs_sums").EnumerateArray())
        {
            float[] values = [.. entry.GetProperty("values").EnumerateArray().Select(v => (float)v.GetDouble())];
            float expected = (float)entry.GetProperty("sum").GetDouble();
            Assert.True(expected == Momentum.Kernels.TorchSum.SumAbs(values), $"length {values.Length}: ours {Momentum.Kernels.TorchSum.SumAbs(values):R}, torch {expected:R}");
        }
    }

    [Fact]
    public void Options_DefaultsAndValidation_AreTorchs()
    {
        var o = new LbfgsOptions();
        Assert.Equal((1.0, 20, 25, 1e-7, 1e-9, 100, LbfgsLineSearch.None), (o.LearningRate, o.MaxIter, o.EffectiveMaxEval, o.ToleranceGrad, o.ToleranceChange, o.HistorySize, o.LineSearch));
        Assert.Equal(12, (o with { MaxIter = 10 }).EffectiveMaxEval);
        var set = new ParameterSet();
        set.Add("x", [2]);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new LbfgsOptimizer(set, new LbfgsOptions { LearningRate = -1 }));
        Assert.Equal("lr", e.ParamName);
        Assert.Contains("Invalid learning rate: -1.0", e.Message);
        Assert.Equal("history_size", Assert.Throws<ArgumentOutOfRangeException>(() => new LbfgsOptimizer(set, new LbfgsOptions { HistorySize = 0 })).ParamName);
        Assert.Equal("max_iter", Assert.Throws<ArgumentOutOfRangeException>(() => new LbfgsOptimizer(set, new LbfgsOptions { MaxIter = 0 })).ParamName);
        Assert.Equal("tolerance_grad", Assert.Throws<ArgumentOutOfRangeException>(() => new LbfgsOptimizer(set, new LbfgsOptions { ToleranceGrad = double.NaN })).ParamName);
    }

    [Fact]
    public void Step_AbsentGradientCountsAsZero_AndStationaryPointStopsAtOnce()
    {
        var set = new ParameterSet();
        var x = set.Add("x", [2], [3f, -1f]);
        var frozen = set.Add("frozen", [], [5f]);
        var optimizer = new LbfgsOptimizer(set, new LbfgsOptions { LineSearch = LbfgsLineSearch.StrongWolfe });
        double Closure(GradientSet g)
        {
            var gx = g.Get(x);
            gx[0] = 2 * x.Values[0];
            gx[1] = 2 * x.Values[1];
            return x.Values[0] * x.Values[0] + x.Values[1] * x.Values[1]; // "frozen" gets no gradient
        }
        Assert.Equal(10.0, optimizer.Step(Closure));
        Assert.Equal(5f, frozen.Values[0]);
        Assert.InRange(Math.Abs(x.Values[0]) + Math.Abs(x.Values[1]), 0, 1e-5);
        int evaluations = optimizer.FunctionEvaluations;
        set[0].Values.Clear();
        optimizer.Step(Closure); // the gradient is 0 ≤ tolerance_grad: one evaluation, no iteration
        Assert.Equal(evaluations + 1, optimizer.FunctionEvaluations);
    }

    [Fact]
    public void Step_AfterTheParametersChangeLength_ThrowsUntilReset()
    {
        var set = new ParameterSet();
        var x = set.Add("x", [2], [1f, 1f]);
        var optimizer = new LbfgsOptimizer(set);
        double Closure(GradientSet g)
        {
            foreach (var p in set) g.Get(p).Fill(1f);
            return 1;
        }
        optimizer.Step(Closure);
        set.Add("y", [3]);
        Assert.Throws<InvalidOperationException>(() => optimizer.Step(Closure));
        optimizer.Reset();
        Assert.Equal(0, optimizer.Iterations);
        optimizer.Step(Closure);
        Assert.True(optimizer.Iterations > 0);
    }
}
