namespace Momentum.Tests.Core;

/// <summary>The README's C# example, kept true.</summary>
public class ReadmeExampleTests
{
    [Fact]
    public void FifteenLineExample_ConvergesNearTheMinimum()
    {
        var parameters = new ParameterSet();
        var w = parameters.Add("w", [2], [1.5f, -0.5f]);
        var optimizer = new Optimizer(Optimizers.AdamW(new AdamWOptions { LearningRate = 0.05 }), parameters);
        var gradients = new GradientSet(parameters);

        for (int step = 0; step < 500; step++)
        {
            var g = gradients.Get(w);
            g[0] = 2 * (w.Values[0] - 3);
            g[1] = 2 * (w.Values[1] + 1);
            optimizer.Step(gradients);
        }
        Assert.InRange(w.Values[0], 2.9f, 3.0f);
        Assert.InRange(w.Values[1], -1.0f, -0.95f);
    }
}
