namespace Momentum.Tests.Contrib;

public class InjectHyperparamsTests
{
    [Fact]
    public void Hyperparameter_ChangedWhileTraining_IsUsedFromTheNextStep_AndReadableFromTheState()
    {
        var set = new ParameterSet();
        var p = set.Add("x", [1], [0f]);
        var lr = new Hyperparameter(0.5);
        var o = new Optimizer(Momentum.Transforms.InjectHyperparams(Optimizers.Sgd(new SgdOptions { LearningRate = lr }), ("learning_rate", lr)), set);
        var g = new GradientSet(set);
        var state = (InjectHyperparamsState)o.GetWrapperState("inject_hyperparams")!;
        g.Set(p, [1f]);
        o.Step(g);
        Assert.Equal(-0.5f, p.Values[0]);
        Assert.Equal(0.5, state.Scalars[0].Get());
        state["learning_rate"].Value = 0.25;
        o.Step(g);
        Assert.Equal(-0.75f, p.Values[0]);
        Assert.Equal(0.25, state.Scalars[0].Get());
        Assert.Equal(0.25, o.LearningRate);
    }

    [Fact]
    public void InjectHyperparams_MatchesThePlainOptimizer()
    {
        // Optax alias_test: an inject_hyperparams-wrapped optimizer matches the plain one.
        var plain = ContribTransformTests.Quadratic(Optimizers.AdamW(new AdamWOptions { LearningRate = 0.003, WeightDecay = 0.1 })).X;
        var lr = new Hyperparameter(Schedule.Constant(0.003));
        var wd = new Hyperparameter(0.1);
        var t = Momentum.Transforms.InjectHyperparams(
            Momentum.Transforms.Chain(Momentum.Transforms.ScaleByAdam(), Momentum.Transforms.AddDecayedWeights(wd), Momentum.Transforms.ScaleByLearningRate(lr)),
            ("learning_rate", lr), ("weight_decay", wd));
        var injected = ContribTransformTests.Quadratic(t).X;
        Assert.Equal(plain, injected);
    }

    [Fact]
    public void Hyperparameter_WithSchedule_FollowsItUntilSet_AndAfterReset()
    {
        var h = new Hyperparameter(Schedule.FromFunction(t => 1.0 / (t + 1)));
        Assert.Equal(0.25, h.Evaluate(3));
        h.Value = 2;
        Assert.Equal(2, h.Evaluate(3));
        h.Reset();
        Assert.Equal(0.5, h.Evaluate(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => h.Value = double.NaN);
        Assert.Throws<InvalidOperationException>(() => new Hyperparameter(1.0).Reset());
    }

    [Fact]
    public void Flatten_IsTheIdentityWrapper()
    {
        var inner = Optimizers.Adam();
        Assert.Same(inner, Momentum.Transforms.Flatten(inner));
    }
}
