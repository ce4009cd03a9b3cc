namespace Momentum.Tests.Cli;

/// <summary>The one-line messages and name suggestions shared by spec errors and the <c>momentum</c> tool.</summary>
public sealed class ErrorMessagesTests
{
    [Fact]
    public void OneLine_DropsTheParameterSuffixAndTheActualValueLine()
    {
        var e = new ArgumentOutOfRangeException("lr", -1.0, "Invalid learning rate: -1.0");
        Assert.Contains("Actual value was", e.Message);
        Assert.Equal("Invalid learning rate: -1.0", ErrorMessages.OneLine(e));
    }

    [Theory]
    [InlineData(-5, "steps must be positive; got -5.")]
    [InlineData(0, "steps must be positive; got 0.")]
    public void OneLine_RewordsTheGuardsDefaultText(int steps, string expected)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps));
        Assert.Equal(expected, ErrorMessages.OneLine(e));
    }

    [Fact]
    public void OneLine_RewordsAComparisonGuard()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ArgumentOutOfRangeException.ThrowIfLessThan(0, 1, "everyK"));
        Assert.Equal("everyK must be greater than or equal to 1; got 0.", ErrorMessages.OneLine(e));
    }

    [Theory]
    [InlineData("adam", "adamw", 1)]
    [InlineData("adamm", "adam", 1)]
    [InlineData("adma", "adam", 1)]        // a transposition counts once
    [InlineData("kitten", "sitting", 3)]  // the textbook example
    [InlineData("", "abc", 3)]
    public void EditDistance_CountsInsertionsDeletionsSubstitutionsAndTranspositions(string a, string b, int expected)
    {
        Assert.Equal(expected, ErrorMessages.EditDistance(a, b));
        Assert.Equal(expected, ErrorMessages.EditDistance(b, a));
    }

    /// <summary>Issue 15: 'adamm' once suggested "adabelief, adadelta, adafactor, adagrad, adam", the best match last.</summary>
    [Fact]
    public void Nearest_PutsTheBestMatchFirst()
    {
        string[] known = ["adabelief", "adadelta", "adafactor", "adagrad", "adam", "adamax", "adamw", "nadam", "sgd"];
        Assert.Equal(["adam", "adamw"], ErrorMessages.Nearest("adamm", known));
        Assert.Equal(["adagrad"], ErrorMessages.Nearest("adagard", known));
        Assert.Equal(["clip_by_global_norm"], ErrorMessages.Nearest("clip", ["clip_by_global_norm", "sgd"]));
        Assert.Empty(ErrorMessages.Nearest("frobnicate", known));
        Assert.Equal("", ErrorMessages.DidYouMean("frobnicate", known));
    }
}
