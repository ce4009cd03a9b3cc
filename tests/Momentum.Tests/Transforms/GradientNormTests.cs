using Momentum.Specs;

namespace Momentum.Tests.Clipping;

/// <summary><see cref="Optimizer.LastGradientNorm"/>: the norm clip_by_global_norm computed, as torch's clip_grad_norm_ returns it.</summary>
public class GradientNormTests
{
    private static (ParameterSet Set, Parameter W, Parameter B) MakeSet()
    {
        var set = new ParameterSet();
        var w = set.Add("w", [40, 33]);
        var b = set.Add("b", [33]);
        return (set, w, b);
    }

    private static double Fill(GradientSet grads, Parameter p, int seed)
    {
        var rng = new Random(seed);
        var g = grads.Get(p);
        double sum = 0;
        for (int i = 0; i < g.Length; i++)
        {
            g[i] = (float)(rng.NextDouble() * 2 - 1);
            sum += (double)g[i] * g[i];
        }
        return sum;
    }

    [Theory]
    [InlineData("chain(clip_by_global_norm(max_norm=1.0), adam(lr=0.01))")]                  // one-pass kernel after the head reduction
    [InlineData("chain(clip_by_global_norm(max_norm=100.0), sgd(lr=0.01))")]                 // no clipping happens: the norm is still reported
    [InlineData("chain(scale_by_adam(), clip_by_global_norm(max_norm=0.1), scale_by_learning_rate(lr=0.01))")] // materialized: the updates' norm
    public void LastGradientNorm_IsTheNormTheStepComputed(string spec)
    {
        var (set, w, b) = MakeSet();
        var optimizer = new Optimizer(SpecRegistry.Default.Create(spec), set);
        var grads = new GradientSet(set);
        Assert.Null(optimizer.LastGradientNorm);
        bool atHead = spec.StartsWith("chain(clip", StringComparison.Ordinal);
        for (int t = 0; t < 3; t++)
        {
            grads.ClearAll();
            double sum = Fill(grads, w, 2 * t) + (t == 1 ? 0 : Fill(grads, b, 2 * t + 1)); // b has no gradient at t = 1
            optimizer.Step(grads);
            double? norm = optimizer.LastGradientNorm;
            Assert.NotNull(norm);
            if (atHead) Assert.Equal(Math.Sqrt(sum), norm!.Value, 1e-12);
            else Assert.True(norm > 0 && double.IsFinite(norm!.Value));
        }
    }

    [Fact]
    public void LastGradientNorm_WithoutGlobalClipping_IsNull()
    {
        var (set, w, _) = MakeSet();
        var optimizer = new Optimizer(SpecRegistry.Default.Create("chain(clip_by_norm(max_norm=1.0), adam())"), set);
        var grads = new GradientSet(set);
        Fill(grads, w, 1);
        optimizer.Step(grads);
        Assert.Null(optimizer.LastGradientNorm);
    }

    [Fact]
    public void LastGradientNorm_AfterARefusedStep_StaysTheLastTakenStepsNorm()
    {
        var (set, w, b) = MakeSet();
        var optimizer = new Optimizer(SpecRegistry.Default.Create("chain(clip_by_global_norm(max_norm=1.0), sgd(lr=0.1))"), set);
        var grads = new GradientSet(set);
        double sum = Fill(grads, w, 1) + Fill(grads, b, 2);
        optimizer.Step(grads);
        grads.Get(b)[0] = float.NaN;
        Assert.Throws<NonFiniteGradientException>(() => optimizer.Step(grads));
        Assert.Equal(Math.Sqrt(sum), optimizer.LastGradientNorm!.Value, 1e-12);
    }

    [Fact]
    public void Step_ReadingLastGradientNorm_AllocatesNothing()
    {
        var (set, w, b) = MakeSet();
        var optimizer = new Optimizer(SpecRegistry.Default.Create("chain(clip_by_global_norm(max_norm=1.0), adamw())"), set, new OptimizerOptions { Threads = 1 });
        var grads = new GradientSet(set);
        Fill(grads, w, 1);
        Fill(grads, b, 2);
        double total = 0;
        for (int k = 0; k < 3; k++) optimizer.Step(grads);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 10; k++)
        {
            optimizer.Step(grads);
            total += optimizer.LastGradientNorm ?? 0;
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(total > 0);
    }
}
