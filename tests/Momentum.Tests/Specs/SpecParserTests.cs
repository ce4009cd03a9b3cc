using Momentum.Specs;

namespace Momentum.Tests.Specs;

public class SpecParserTests
{
    [Fact]
    public void Parse_NestedCallsTuplesAndKeywords()
    {
        var call = SpecParser.Parse(" chain( clip_by_global_norm(max_norm=1.0), adam(lr=1e-3, betas=(0.9, 0.99), amsgrad=true, name='x') ) ");
        Assert.Equal("chain", call.Name);
        Assert.Equal(2, call.Arguments.Count);
        var adam = (SpecCall)call.Arguments[1].Value;
        Assert.Equal("adam", adam.Name);
        Assert.Equal(1e-3, ((SpecNumber)adam.Arguments[0].Value).Value);
        var betas = (SpecList)adam.Arguments[1].Value;
        Assert.Equal([0.9, 0.99], betas.Items.Cast<SpecNumber>().Select(n => n.Value));
        Assert.True(((SpecBool)adam.Arguments[2].Value).Value);
        Assert.Equal("x", ((SpecString)adam.Arguments[3].Value).Value);
    }

    [Fact]
    public void Parse_NestingAtTheLimit_IsAccepted()
    {
        string lists = "adam(lr=" + new string('[', 63) + "1" + new string(']', 63) + ")";
        Assert.Equal("adam", SpecParser.Parse(lists).Name);
        string calls = string.Concat(Enumerable.Repeat("chain(", 64)) + "adam" + new string(')', 64);
        Assert.Equal("chain", SpecParser.Parse(calls).Name);
    }

    [Theory]
    [InlineData("adam(lr=", "[", "1", "]", 8 + 63)]
    [InlineData("adam(betas=", "(", "0.9", ")", 11 + 63)]
    [InlineData("", "chain(", "adam", ")", 6 * 64)]
    public void Parse_NestingPastTheLimit_ThrowsAtTheFirstBracketTooDeep(string prefix, string open, string inner, string close, int position)
    {
        string text = prefix + string.Concat(Enumerable.Repeat(open, 65)) + inner + string.Concat(Enumerable.Repeat(close, 65)) + (prefix.Length > 0 ? ")" : "");
        var e = Assert.Throws<SpecException>(() => SpecParser.Parse(text));
        Assert.Equal(position, e.Position);
        Assert.Contains("nested deeper than 64 levels", e.Message);
    }

    [Fact]
    public void Parse_BareNameIsACallWithoutArguments() => Assert.Equal("adam", SpecParser.Parse("adam").Name);

    [Theory]
    [InlineData("", 0, "empty")]
    [InlineData("adam(lr=0.1", 11, "expected ',' or ')'")]
    [InlineData("adam(lr=0.1))", 12, "unexpected ')'")]
    [InlineData("adam(lr=nan)", 8, "not a finite number")]
    [InlineData("adam(lr=1e999)", 8, "not a finite number")]
    [InlineData("adam(lr=0.1, lr=0.2)", 13, "given twice")]
    [InlineData("adam(lr=0.1x)", 8, "is not a number")]
    [InlineData("adam(betas=(0.9, 0.99)", 22, "expected ',' or ')'")]
    [InlineData("0.5", 0, "must be a call")]
    [InlineData("chain(lr=1, adam())", 12, "positional argument after keyword")]
    [InlineData("adam(name='x)", 10, "unterminated string")]
    public void Parse_Malformed_ReportsThePosition(string text, int position, string message)
    {
        var e = Assert.Throws<SpecException>(() => SpecParser.Parse(text));
        Assert.Equal(position, e.Position);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Registry_DefaultsAreTorchs()
    {
        var optimizer = SpecRegistry.Default.Create("adamw");
        var set = new ParameterSet();
        set.Add("w", 1);
        Assert.Equal(1e-3, new Optimizer(optimizer, set).LearningRate);
    }

    [Theory]
    [InlineData("adam(lr=0.1, betas=(0.9,))", "must be a tuple of 2 numbers")]
    [InlineData("adam(0.1, 0.9)", "takes only its first argument (lr) positionally")]
    [InlineData("chain(0.1)", "must be transformations")]
    [InlineData("clip_by_global_norm()", "needs the argument 'max_norm'")]
    [InlineData("scale_by_learning_rate(lr=0.1, learning_rate=0.1)", "not both")]
    [InlineData("adam(lr=no_such_schedule(x=1))", "unknown schedule")]
    public void Registry_BadArguments_AreErrors(string spec, string message) =>
        Assert.Contains(message, Assert.Throws<SpecException>(() => SpecRegistry.Default.Create(spec)).Message);
}
