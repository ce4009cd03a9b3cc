namespace Momentum.Tests.Contrib;

public class ReduceOnPlateauTests
{
    private static (Optimizer O, Parameter P, GradientSet G) Make(GradientTransformation t)
    {
        var set = new ParameterSet();
        var p = set.Add("x", [1], [0f]);
        return (new Optimizer(t, set), p, new GradientSet(set));
    }

    private static double ScaleOf(Optimizer o, Parameter p) => o.GetState(p, "reduce_on_plateau")!.Scalars.Single(s => s.Slot == "scale").Get();

    [Fact]
    public void ReduceOnPlateau_PatienceAndCooldown_HandTraced()
    {
        // patience 2, cooldown 1, factor 0.5: losses 1 (best), 1, 1 → plateau 2 = patience → scale 0.5;
        // next 1 is in cooldown (scale kept); 1, 1 → 0.25.
        var (o, p, g) = Make(Momentum.Transforms.ReduceOnPlateau(factor: 0.5, patience: 2, cooldown: 1));
        double[] expected = [1, 1, 0.5, 0.5, 0.5, 0.25];
        for (int i = 0; i < expected.Length; i++)
        {
            g.Set(p, [1f]);
            float before = p.Values[0];
            o.Step(g, loss: 1.0);
            Assert.Equal(expected[i], ScaleOf(o, p));
            Assert.Equal((float)expected[i], p.Values[0] - before); // the update is scale·u
        }
    }

    [Fact]
    public void ReduceOnPlateau_ImprovingLoss_KeepsTheScale_AndAccumulationAverages()
    {
        var (o, p, g) = Make(Momentum.Transforms.ReduceOnPlateau(factor: 0.5, patience: 1, accumulationSize: 2));
        double[] losses = [4, 2, 2.9, 3.1, 1, 1];
        double[] expected = [1, 1, 1, 0.5, 0.5, 0.5]; // averages 3 (best), 3 (no improvement → patience 1 → 0.5), 1 (best)
        for (int i = 0; i < losses.Length; i++)
        {
            g.Set(p, [1f]);
            o.Step(g, losses[i]);
            Assert.Equal(expected[i], ScaleOf(o, p));
        }
    }

    [Fact]
    public void ReduceOnPlateau_BadArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>("factor", () => Momentum.Transforms.ReduceOnPlateau(factor: 1));
        Assert.Throws<ArgumentException>("rtol", () => Momentum.Transforms.ReduceOnPlateau(rtol: 0, atol: 0));
    }
}
