using static Momentum.Tests.Dynamic.DynamicTestHelpers;

namespace Momentum.Tests.Dynamic;

/// <summary>Per-slot edits of a row plan, MCMC relocation and sample_add, and the public state accessors.</summary>
public sealed class SlotEditTests
{
    private const float Lr = 0.01f;

    /// <summary>An Adam optimizer over one [3, 2] parameter after one step with gradient 1..6.</summary>
    private static (Optimizer Optimizer, Parameter P, GradientSet Grads) AdamAfterOneStep(StepCounting counting = StepCounting.PerTensor)
    {
        var set = new ParameterSet();
        var p = set.Add("x", [3, 2], [.. Enumerable.Range(1, 6).Select(i => i / 10f)]);
        var optimizer = new Optimizer(Optimizers.Adam(new AdamOptions { LearningRate = Lr, StepCounting = counting }), set);
        var grads = new GradientSet(set);
        grads.Set(p, [.. Enumerable.Range(1, 6).Select(i => (float)i)]);
        optimizer.Step(grads);
        return (optimizer, p, grads);
    }

    [Fact]
    public void ResetSlot_NewRowCopiesNuButZeroesMu()
    {
        var (optimizer, p, _) = AdamAfterOneStep();
        var s = StateOf<ScaleByAdamState>(optimizer, p);
        float[] mu = s.Mu.Span.ToArray(), nu = s.Nu.Span.ToArray();
        Assert.NotEqual(0f, mu[2]);

        optimizer.ApplyRowPlan(new RowPlan(3).Append([1], RowInit.Copy).ResetSlot([3], "exp_avg"), p);

        Assert.Equal([.. mu, 0f, 0f], s.Mu.Span.ToArray());
        Assert.Equal([.. nu, nu[2], nu[3]], s.Nu.Span.ToArray());
    }

    [Fact]
    public void ScaleSlot_HalvesTheFirstMomentOfBothHalvesOfASplit()
    {
        var (optimizer, p, _) = AdamAfterOneStep();
        var s = StateOf<ScaleByAdamState>(optimizer, p);
        float[] mu = s.Mu.Span.ToArray(), nu = s.Nu.Span.ToArray();

        optimizer.ApplyRowPlan(new RowPlan(3).Split([0], 2, SplitState.CopyParent).ScaleSlot([0, 3], "mu", 0.5f), p);

        Assert.Equal([mu[0] * 0.5f, mu[1] * 0.5f, mu[2], mu[3], mu[4], mu[5], mu[0] * 0.5f, mu[1] * 0.5f], s.Mu.Span.ToArray());
        Assert.Equal([.. nu, nu[0], nu[1]], s.Nu.Span.ToArray());
    }

    [Fact]
    public void SlotEdits_FollowTheRowThroughLaterOperations_AndAFreshResetDropsThem()
    {
        var (optimizer, p, _) = AdamAfterOneStep();
        var s = StateOf<ScaleByAdamState>(optimizer, p);
        float[] mu = s.Mu.Span.ToArray(), nu = s.Nu.Span.ToArray();

        // Row 0's mu is tripled and the row then moves to position 2; row 1's mu is zeroed, then the whole row is
        // reset fresh (nu zero too, the edit dropped with the old state).
        var plan = new RowPlan(3).ScaleSlot([0], "mu", 3f).ResetSlot([1], "mu").ResetRows([1]).Gather([2, 1, 0]);
        optimizer.ApplyRowPlan(plan, p);

        Assert.Equal([mu[4], mu[5], 0f, 0f, mu[0] * 3f, mu[1] * 3f], s.Mu.Span.ToArray());
        Assert.Equal([nu[4], nu[5], 0f, 0f, nu[0], nu[1]], s.Nu.Span.ToArray());
    }

    [Fact]
    public void SetStepCount_ResetsOnlyTheSelectedRowsCounts()
    {
        var (optimizer, p, grads) = AdamAfterOneStep(StepCounting.PerRow);
        optimizer.Step(grads);
        var s = StateOf<ScaleByAdamState>(optimizer, p);
        float[] mu = s.Mu.Span.ToArray();
        Assert.Equal([2f, 2f, 2f], s.RowCounts!.Span.ToArray());

        optimizer.Rows(p).SetStepCount([1], 0);
        Assert.Equal([2f, 0f, 2f], s.RowCounts.Span.ToArray());
        Assert.Equal(mu, s.Mu.Span.ToArray());

        optimizer.ApplyRowPlan(new RowPlan(3).SetStepCount([0, 2], 7), p);
        Assert.Equal([7f, 0f, 7f], s.RowCounts.Span.ToArray());
        optimizer.Step(grads);
        Assert.Equal([8f, 1f, 8f], s.RowCounts.Span.ToArray());
    }

    [Fact]
    public void SetStepCount_WithoutPerRowCounts_IsRefusedAndChangesNothing()
    {
        var (optimizer, p, _) = AdamAfterOneStep();
        var s = StateOf<ScaleByAdamState>(optimizer, p);
        float[] values = p.Values.ToArray(), mu = s.Mu.Span.ToArray();

        var e = Assert.Throws<ArgumentException>("plan", () => optimizer.ApplyRowPlan(new RowPlan(3).Append(1).SetStepCount([0], 1), p));
        Assert.Contains("per row", e.Message);
        Assert.Equal(3, p.Rows);
        Assert.Equal(values, p.Values.ToArray());
        Assert.Equal(mu, s.Mu.Span.ToArray());
    }

    [Fact]
    public void ResetSlot_UnknownSlot_IsRefusedAndChangesNothing()
    {
        var (optimizer, p, _) = AdamAfterOneStep();
        var s = StateOf<ScaleByAdamState>(optimizer, p);
        float[] mu = s.Mu.Span.ToArray();

        var e = Assert.Throws<ArgumentException>("plan", () => optimizer.ApplyRowPlan(new RowPlan(3).Append(1).ResetSlot([0], "exp_avgg"), p));
        Assert.Contains("exp_avgg", e.Message);
        Assert.Equal(3, p.Rows);
        Assert.Equal(mu, s.Mu.Span.ToArray());
        Assert.Throws<ArgumentException>("slot", () => new RowPlan(3).ResetSlot([0], "step"));
        Assert.Throws<ArgumentOutOfRangeException>("factor", () => new RowPlan(3).ScaleSlot([0], "mu", float.NaN));
        Assert.Throws<ArgumentOutOfRangeException>("count", () => new RowPlan(3).SetStepCount([0], -1));
    }

    [Fact]
    public void Relocate_DestinationsTakeSourceValuesAndKeepTheirState_SourcesAreReset()
    {
        var (optimizer, p, grads, trace) = SgdMomentumAfterOneStep(Lr);
        float[] v = p.Values.ToArray(), b = trace.Span.ToArray(), g = grads.Get(p).ToArray();

        // Dead rows 0 and 3 both take live row 2 (sampled twice); row 1 is untouched.
        optimizer.ApplyRowPlan(new RowPlan(4).Relocate([0, 3], [2, 2]), grads, p);

        Assert.Equal([v[4], v[5], v[2], v[3], v[4], v[5], v[4], v[5]], p.Values.ToArray());
        Assert.Equal([b[0], b[1], b[2], b[3], 0f, 0f, b[6], b[7]], trace.Span.ToArray());
        Assert.Equal([0f, 0f, g[2], g[3], g[4], g[5], 0f, 0f], grads.Get(p).ToArray());
    }

    [Fact]
    public void Relocate_BadInput_IsRefusedAndLeavesThePlan()
    {
        var plan = new RowPlan(4).Append(1);
        Assert.Throws<ArgumentException>("sources", () => plan.Relocate([0, 1], [1, 2]));
        Assert.Throws<ArgumentException>("sources", () => plan.Relocate([0], [1, 2]));
        Assert.Throws<ArgumentException>("destinations", () => plan.Relocate([0, 0], [1, 2]));
        Assert.Throws<ArgumentOutOfRangeException>("sources", () => plan.Relocate([0], [5]));
        Assert.Equal(5, plan.Rows);
        Assert.Equal([0, 1, 2, 3, -1], plan.ValueSources());
        Assert.Equal([0, 1, 2, 3, -1], plan.StateSources());
    }

    [Fact]
    public void SampleAdd_AppendsCopiesWithFreshState_SourcesKeepTheirs()
    {
        var (optimizer, p, _) = AdamAfterOneStep();
        var s = StateOf<ScaleByAdamState>(optimizer, p);
        float[] v = p.Values.ToArray(), mu = s.Mu.Span.ToArray();

        optimizer.ApplyRowPlan(new RowPlan(3).SampleAdd([2, 2]), p);

        Assert.Equal([.. v, v[4], v[5], v[4], v[5]], p.Values.ToArray());
        Assert.Equal([.. mu, 0f, 0f, 0f, 0f], s.Mu.Span.ToArray());
    }

    [Fact]
    public void StateSlot_ZeroingMomentsAndCount_StepsAsAFreshOptimizer()
    {
        var (optimizer, p, grads) = AdamAfterOneStep();
        optimizer.Step(grads);
        Assert.Equal(2, optimizer.GetStepCount(p));
        Assert.Same(StateOf<ScaleByAdamState>(optimizer, p).Mu, optimizer.StateSlot(p, "exp_avg"));
        Assert.Same(StateOf<ScaleByAdamState>(optimizer, p).Nu, optimizer.StateSlot(p, "nu"));

        optimizer.StateSlot(p, "exp_avg").Span.Clear();
        optimizer.StateSlot(p, "exp_avg_sq").Span.Clear();
        optimizer.SetStepCount(p, 0);
        Assert.Equal(0, optimizer.GetStepCount(p));

        var freshSet = new ParameterSet();
        var q = freshSet.Add("x", [3, 2], p.Values);
        var fresh = new Optimizer(Optimizers.Adam(new AdamOptions { LearningRate = Lr }), freshSet);
        var freshGrads = new GradientSet(freshSet);
        freshGrads.Set(q, grads.Get(p));
        fresh.Step(freshGrads);
        optimizer.Step(grads);
        Assert.Equal(q.Values.ToArray().Select(Bits), p.Values.ToArray().Select(Bits));
    }

    [Fact]
    public void StateSlot_MissingStateOrSlot_Throws()
    {
        var set = new ParameterSet();
        var p = set.Add("x", [2], [1f, 2f]);
        var optimizer = new Optimizer(Optimizers.Adam(), set);
        Assert.Contains("no optimizer state yet", Assert.Throws<KeyNotFoundException>(() => optimizer.StateSlot(p, "mu")).Message);
        var grads = new GradientSet(set);
        grads.Set(p, [1f, 1f]);
        optimizer.Step(grads);
        Assert.Contains("'momentum_buffer'", Assert.Throws<KeyNotFoundException>(() => optimizer.StateSlot(p, "momentum_buffer")).Message);
        Assert.Throws<ArgumentOutOfRangeException>("count", () => optimizer.SetStepCount(p, -1));
    }

    [Fact]
    public void RowMeanState_AfterRelocateAndSlotEdits_ResumesBitExactFromACheckpoint()
    {
        const string spec = "chain(scale_by_adam_row_mean(b1=0.8), scale(step_size=-0.1))";
        string path = Path.Combine(Path.GetTempPath(), $"momentum-slots-{Guid.NewGuid():N}.safetensors");
        try
        {
            var set = new ParameterSet();
            var p = set.Add("sh", [4, 3], Random(1, 12));
            var optimizer = new Optimizer(Momentum.Specs.SpecRegistry.Default.Create(spec), set);
            var grads = new GradientSet(set);
            grads.Set(p, Random(2, 12));
            optimizer.Step(grads);
            optimizer.ApplyRowPlan(new RowPlan(4).Relocate([0], [3]).SampleAdd([1]).ScaleSlot([2], "mu", 0.5f).ResetSlot([1], "nu_row"), p);
            Assert.Equal(0f, optimizer.StateSlot(p, "nu_row").Span[3]);
            Assert.Equal(0f, optimizer.StateSlot(p, "nu_row").Span[1]);
            Momentum.IO.Checkpoint.Save(path, optimizer);

            var set2 = new ParameterSet();
            var p2 = set2.Add("sh", [5, 3]);
            var resumed = new Optimizer(Momentum.Specs.SpecRegistry.Default.Create(spec), set2);
            Momentum.IO.Checkpoint.Load(path, resumed);
            var grads2 = new GradientSet(set2);
            float[] g = Random(3, 15);
            grads.Set(p, g);
            grads2.Set(p2, g);
            optimizer.Step(grads);
            resumed.Step(grads2);
            Assert.Equal(p.Values.ToArray().Select(Bits), p2.Values.ToArray().Select(Bits));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
