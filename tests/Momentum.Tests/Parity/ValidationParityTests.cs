using System.Text.Json;
using Momentum.Specs;

namespace Momentum.Tests.Parity;

/// <summary>
/// Every invalid hyperparameter that torch.optim rejects (tests/Momentum.Tests/Fixtures/torch/validation.json, recorded
/// by tools/fixtures/torch_fixtures.py) is rejected by our spec registry with torch's wording; and every numeric argument
/// of those specs is also rejected when NaN or ±∞ (torch 1.13 accepts some of these, e.g. <c>lr=inf</c>).
/// </summary>
public class ValidationParityTests
{
    /// <summary>
    /// torch errors that Momentum deliberately does not reproduce, with the reason. torch 1.13's SGD has no default
    /// learning rate; Momentum follows torch ≥ 2.2, where <c>lr</c> defaults to 1e-3.
    /// </summary>
    private static readonly (string ErrorFragment, string Reason)[] s_acceptedDivergences =
    [
        ("didn't specify a value of required optimization parameter lr", "lr has a default (1e-3), as in torch >= 2.2"),
    ];

    public static TheoryData<string, string> Entries()
    {
        var data = new TheoryData<string, string>();
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(TorchParityTests.FixtureDirectory, "validation.json")));
        foreach (var entry in doc.RootElement.EnumerateArray())
            data.Add(entry.GetProperty("spec").GetString()!, entry.GetProperty("error").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(Entries))]
    public void InvalidSpec_IsRejectedWithTorchsWording(string spec, string torchError)
    {
        if (s_acceptedDivergences.Any(d => torchError.Contains(d.ErrorFragment, StringComparison.Ordinal)))
        {
            Assert.NotNull(SpecRegistry.Default.Create(spec));
            return;
        }
        var e = Assert.Throws<SpecException>(() => SpecRegistry.Default.Create(spec));
        Assert.Contains(torchError, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Entries))]
    public void NonFiniteArguments_AreRejected_NamingTheValue(string spec, string torchError)
    {
        _ = torchError;
        var call = SpecParser.Parse(spec);
        int checkedCount = 0;
        foreach (var arg in call.Arguments)
        {
            // The argument alone (the others, possibly the invalid one, left at their defaults). When it is itself
            // invalid (e.g. betas=(-0.1, 0.999)), a non-finite item elsewhere in it may be reported second: then only
            // the rejection is checked.
            var alone = call with { Arguments = [arg] };
            bool invalidAlone = Rejects(alone);
            foreach (var (replaced, value) in NonFiniteVariants(arg.Value))
            {
                var e = Assert.Throws<SpecException>(() => SpecRegistry.Default.Create(alone with { Arguments = [arg with { Value = replaced }] }));
                if (!invalidAlone || arg.Value is SpecNumber) Assert.Contains(ThrowHelper.Format(value), e.Message, StringComparison.Ordinal);
                checkedCount++;
            }
        }
        // The spec text itself cannot hold NaN or ±∞: the parser rejects them.
        foreach (string literal in new[] { "nan", "inf", "1e999" })
            Assert.Throws<SpecException>(() => SpecParser.Parse($"{call.Name}(lr={literal})"));
        Assert.True(checkedCount > 0 || call.Arguments.Count == 0);
    }

    private static bool Rejects(SpecCall call)
    {
        try
        {
            SpecRegistry.Default.Create(call);
            return false;
        }
        catch (SpecException)
        {
            return true;
        }
    }

    /// <summary>The value with each number (also inside tuples) replaced by NaN, +∞ and −∞ in turn.</summary>
    private static IEnumerable<(SpecValue Value, double Replacement)> NonFiniteVariants(SpecValue value)
    {
        double[] replacements = [double.NaN, double.PositiveInfinity, double.NegativeInfinity];
        if (value is SpecNumber n)
        {
            foreach (double r in replacements) yield return (n with { Value = r, Text = ThrowHelper.Format(r) }, r);
        }
        else if (value is SpecList list)
        {
            for (int i = 0; i < list.Items.Count; i++)
            {
                if (list.Items[i] is not SpecNumber item) continue;
                foreach (double r in replacements)
                {
                    var items = list.Items.ToList();
                    items[i] = item with { Value = r, Text = ThrowHelper.Format(r) };
                    yield return (list with { Items = items }, r);
                }
            }
        }
    }

    [Fact]
    public void CSharpOptions_RejectNaNAndInfinity_WithTorchsWording()
    {
        foreach (double bad in new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity })
        {
            string text = ThrowHelper.Format(bad);
            Assert.Contains($"Invalid learning rate: {text}", Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.Adam(new AdamOptions { LearningRate = bad })).Message);
            Assert.Contains($"Invalid learning rate: {text}", Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.Sgd(new SgdOptions { LearningRate = bad })).Message);
            Assert.Contains($"Invalid weight_decay value: {text}", Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.AdamW(new AdamWOptions { WeightDecay = bad })).Message);
            Assert.Contains($"Invalid epsilon value: {text}", Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.Adam(new AdamOptions { Epsilon = bad })).Message);
            Assert.Contains($"Invalid beta parameter at index 1: {text}", Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.AdamW(new AdamWOptions { Beta2 = bad })).Message);
            Assert.Contains($"Invalid learning rate: {text}", Assert.Throws<ArgumentOutOfRangeException>(() => Schedules.StepLR(bad, 10)).Message);
        }
    }

    [Fact]
    public void ASchedule_ThatBecomesNonFinite_StopsTheStepWithAClearError()
    {
        var set = new ParameterSet();
        var w = set.Add("w", [1], [1f]);
        var optimizer = new Optimizer(Optimizers.Sgd(new SgdOptions { LearningRate = Schedule.FromFunction(k => k < 1 ? 0.1 : double.NaN) }), set);
        var grads = new GradientSet(set);
        grads.Set(w, [1f]);
        optimizer.Step(grads);
        grads.Set(w, [1f]);
        var e = Assert.Throws<ArithmeticException>(() => optimizer.Step(grads));
        Assert.Contains("NaN", e.Message, StringComparison.Ordinal);
    }
}
