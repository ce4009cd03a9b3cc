namespace Momentum.Tests.Contrib;

public class WrapperRowTests
{
    [Fact]
    public void RowPlan_MovesMultiStepsAccumulatorsWithTheRows()
    {
        var set = new ParameterSet();
        var p = set.Add("g", [3, 2], [1f, 1f, 2f, 2f, 3f, 3f]);
        var o = new Optimizer(Momentum.Transforms.MultiSteps(Optimizers.Sgd(new SgdOptions { LearningRate = 1 }), 2), set);
        var g = new GradientSet(set);
        g.Set(p, [10f, 10f, 20f, 20f, 30f, 30f]);
        o.Step(g); // micro-step: acc = g
        o.ApplyRowPlan(new RowPlan(3).Keep([0, 2]), p); // prune row 1
        var acc = o.GetState(p, "multi_steps")!.Tensors[0].Buffer.Span.ToArray();
        Assert.Equal([10f, 10f, 30f, 30f], acc);
        g.Set(p, [0f, 0f, 0f, 0f]);
        o.Step(g); // emit: mean of (10, 0) and (30, 0)
        Assert.Equal([1f - 5f, 1f - 5f, 3f - 15f, 3f - 15f], p.Values.ToArray());
    }

    [Fact]
    public void RowPlan_MovesLookaheadSlowWeights_FreshRowsStartAtZero()
    {
        var set = new ParameterSet();
        var p = set.Add("g", [3, 2], [1f, 1f, 2f, 2f, 3f, 3f]);
        var o = new Optimizer(Momentum.Transforms.Lookahead(Optimizers.Sgd(), 2, 0.5), set);
        var g = new GradientSet(set);
        g.Set(p, [1f, 1f, 1f, 1f, 1f, 1f]);
        o.Step(g);
        o.ApplyRowPlan(new RowPlan(3).Keep([2, 0]).Append(1), p);
        Assert.Equal([3f, 3f, 1f, 1f, 0f, 0f], Momentum.Transforms.LookaheadSlowWeights(o, p).ToArray());
        o.ResetAll(ResetMode.FreshOptimizer);
        Assert.Null(o.GetState(p, "lookahead"));
    }

    [Fact]
    public void SelectiveStep_WithAWrapper_IsRefused()
    {
        var set = new ParameterSet();
        var p = set.Add("g", [3, 2], new float[6]);
        var o = new Optimizer(Momentum.Transforms.ApplyIfFinite(Optimizers.Adam(), 1), set);
        var g = new GradientSet(set);
        g.Set(p, [1f, 1f, 1f, 1f, 1f, 1f]);
        var selection = new RowSelection(set);
        selection.Set(p, [0]);
        Assert.Throws<InvalidOperationException>(() => o.Step(g, selection));
    }
}
