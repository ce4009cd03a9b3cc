namespace Momentum.Tests.Core;

public class ValidationTests
{
    [Theory]
    [InlineData(-0.1, "Invalid learning rate: -0.1")]
    [InlineData(double.NaN, "Invalid learning rate: nan")]
    [InlineData(double.PositiveInfinity, "Invalid learning rate: inf")]
    public void Adam_BadLearningRate_NamesIt(double lr, string message)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.Adam(new AdamOptions { LearningRate = lr }));
        Assert.StartsWith(message, e.Message);
        Assert.Equal("lr", e.ParamName);
    }

    [Theory]
    [InlineData(1.0, 0.999, "Invalid beta parameter at index 0: 1.0")]
    [InlineData(-0.1, 0.999, "Invalid beta parameter at index 0: -0.1")]
    [InlineData(0.9, 1.0, "Invalid beta parameter at index 1: 1.0")]
    [InlineData(0.9, double.NaN, "Invalid beta parameter at index 1: nan")]
    public void AdamW_BadBetas_NameTheIndex(double b1, double b2, string message)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.AdamW(new AdamWOptions { Beta1 = b1, Beta2 = b2 }));
        Assert.StartsWith(message, e.Message);
    }

    [Fact]
    public void Adam_NegativeEpsOrWeightDecay_Rejected()
    {
        Assert.StartsWith("Invalid epsilon value: -1e-08", Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.Adam(new AdamOptions { Epsilon = -1e-8 })).Message);
        Assert.StartsWith("Invalid weight_decay value: -0.1", Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.AdamW(new AdamWOptions { WeightDecay = -0.1 })).Message);
    }

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.9, 0.1)]
    public void Sgd_NesterovWithoutMomentumOrWithDampening_Rejected(double momentum, double dampening)
    {
        var e = Assert.Throws<ArgumentException>(() => Optimizers.Sgd(new SgdOptions { Momentum = momentum, Dampening = dampening, Nesterov = true }));
        Assert.StartsWith("Nesterov momentum requires a momentum and zero dampening", e.Message);
    }

    [Fact]
    public void Sgd_NegativeMomentum_Rejected() =>
        Assert.StartsWith("Invalid momentum value: -0.5", Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.Sgd(new SgdOptions { Momentum = -0.5 })).Message);

    [Fact]
    public void Parameters_BadShapesAndNames_Rejected()
    {
        var set = new ParameterSet();
        set.Add("a", 2);
        Assert.Throws<ArgumentException>("name", () => set.Add("a", 3));
        Assert.Throws<ArgumentException>("name", () => set.Add("", 3));
        Assert.Throws<ArgumentException>("shape", () => set.Add("b", 2, -1));
        Assert.Throws<ArgumentException>("values", () => set.Add("c", [2, 2], [1f, 2f, 3f]));
        Assert.Single(set);
    }

    [Fact]
    public void Gradients_WrongLength_Rejected()
    {
        var set = new ParameterSet();
        var a = set.Add("a", 2);
        var grads = new GradientSet(set);
        Assert.Throws<ArgumentException>("gradient", () => grads.Set(a, [1f]));
        Assert.False(grads.HasGradient(a));
    }
}
