using Momentum.Specs;

namespace Momentum.Tests.Contrib;

public class ContribSpecTests
{
    [Theory]
    [InlineData("apply_if_finite(adam(lr=1e-3), max_consecutive_errors=5)")]
    [InlineData("apply_if_finite(inner=adam(lr=1e-3), max_consecutive_errors=0)")]
    [InlineData("multi_steps(adam(lr=1e-3), every_k_schedule=4)")]
    [InlineData("lookahead(sgd(lr=0.1), sync_period=5, slow_step_size=0.5)")]
    [InlineData("lookahead(fast_optimizer=sgd(lr=0.1), sync_period=5, slow_step_size=0.5, reset_state=true)")]
    [InlineData("apply_if_finite(multi_steps(lookahead(sgd(lr=0.1), sync_period=2, slow_step_size=0.5), every_k_schedule=2), max_consecutive_errors=3)")]
    [InlineData("schedule_free(chain(scale_by_learning_rate(learning_rate=0.1)), learning_rate=0.1, b1=0.9)")]
    [InlineData("schedule_free_sgd()")]
    [InlineData("schedule_free_adamw(lr=0.01, warmup_steps=10, weight_decay=1e-4)")]
    [InlineData("adopt(lr=3e-3)")]
    [InlineData("muon(lr=0.02, ns_coeffs=\"dion\", adam_learning_rate=1e-3, weight_decay=0.01)")]
    [InlineData("muon(lr=0.02, ns_coeffs=(3.4445, -4.775, 2.0315), ns_steps=3, adaptive=true, consistent_rms=0.2)")]
    [InlineData("muon(lr=0.02, ns_coeffs=\"muon\")")]
    [InlineData("cocob()")]
    [InlineData("chain(adam(lr=1e-3), reduce_on_plateau(patience=2))")]
    [InlineData("dadapt_adamw(betas=(0.9, 0.99), weight_decay=1e-3)")]
    [InlineData("prodigy(beta3=0.9, weight_decay=1e-3)")]
    [InlineData("dog(init_step=(\"learning_rate\", 1e-3), weight_decay=1e-4)")]
    [InlineData("dowg(init_estim_sq_dist=1e-3)")]
    [InlineData("apply_if_finite(prodigy(), max_consecutive_errors=2)")]
    [InlineData("ademamix(learning_rate=0.01, alpha=8, b3=0.999)")]
    [InlineData("simplified_ademamix(lr=0.01, alpha=1)")]
    [InlineData("chain(centralize(), adaptive_grad_clip(clipping=0.1), clip_by_block_rms(threshold=1), zero_nans(), adam(lr=1e-3), keep_params_nonnegative())")]
    [InlineData("chain(adam(lr=1e-3), freeze(mask=\"^b$\"))")]
    [InlineData("selective_transform(adam(lr=1e-3), freeze_mask=\"^b$\")")]
    [InlineData("masked(scale(step_size=-1), mask=\"a\")")]
    public void Spec_BuildsAndSteps(string spec)
    {
        var t = SpecRegistry.Default.Create(spec);
        var set = new ParameterSet();
        var a = set.Add("a", [2, 3], [1f, 2f, 3f, 4f, 5f, 6f]);
        var b = set.Add("b", [3], [1f, 2f, 3f]);
        var o = new Optimizer(t, set);
        var g = new GradientSet(set);
        for (int step = 0; step < 4; step++)
        {
            g.Set(a, [0.1f, -0.2f, 0.3f, 0.4f, -0.5f, 0.6f]);
            g.Set(b, [1f, -1f, 0.5f]);
            o.Step(g);
        }
        Assert.All(a.Values.ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    [Theory]
    [InlineData("apply_if_finite(adam(lr=1e-3))", "max_consecutive_errors")]
    [InlineData("apply_if_finite(max_consecutive_errors=2)", "exactly one transformation")]
    [InlineData("multi_steps(adam(), sgd(), every_k_schedule=2)", "exactly one transformation")]
    [InlineData("multi_steps(adam(), every_k_schedule=2.5)", "whole number")]
    [InlineData("lookahead(sgd(), sync_period=0, slow_step_size=0.5)", "syncPeriod")]
    [InlineData("adopt()", "'lr'")]
    [InlineData("muon(lr=0.1, ns_coeffs=\"fast\")", "Unknown ns_coeffs preset")]
    [InlineData("dog(init_step=(\"far\", 1))", "heuristic")]
    [InlineData("freeze(mask=\"(\")", "regular expression")]
    [InlineData("multi_steps(adam(), every_k_schedule=2, k=3)", "unknown argument 'k'")]
    public void Spec_BadInput_NamesTheProblem(string spec, string expected)
    {
        var e = Assert.Throws<SpecException>(() => SpecRegistry.Default.Create(spec));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Spec_WrapperInsideAChain_FailsWhenTheSpecIsBuilt()
    {
        var e = Assert.Throws<SpecException>(() => SpecRegistry.Default.Create("chain(apply_if_finite(adam(), max_consecutive_errors=1))"));
        Assert.Contains("outermost", e.Message);
    }
}
