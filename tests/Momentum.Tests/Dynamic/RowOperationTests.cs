using Momentum.Specs;
using static Momentum.Tests.Dynamic.DynamicTestHelpers;

namespace Momentum.Tests.Dynamic;

/// <summary>Append, split, reset, overwrite and gather against hand-computed values, for each step-count mode.</summary>
public class RowOperationTests
{
    private const double Lr = 0.1, B1 = 0.9, B2 = 0.999, Eps = 1e-8;

    public static TheoryData<StepCounting> Modes => [StepCounting.PerTensor, StepCounting.PerRow, StepCounting.None];

    /// <summary>Runs <paramref name="steps"/> steps of gradient g on every row of <paramref name="p"/>.</summary>
    private static void Run(Optimizer optimizer, Parameter p, int steps, float g)
    {
        var grads = new GradientSet(optimizer.Parameters);
        for (int s = 0; s < steps; s++) grads.Get(p).Fill(g);
        for (int s = 0; s < steps; s++)
        {
            grads.Get(p).Fill(g);
            optimizer.Step(grads);
        }
    }

    /// <summary>The Adam update (before −lr) of a row with fresh moments after one step of g, at count t (0: no correction).</summary>
    private static double FreshAdamDirection(double g, long t)
    {
        double m = (1 - B1) * g, v = (1 - B2) * g * g;
        double bc1 = t == 0 ? 1 : 1 - Math.Pow(B1, t), bc2 = t == 0 ? 1 : 1 - Math.Pow(B2, t);
        return m / bc1 / (Math.Sqrt(v) / Math.Sqrt(bc2) + Eps);
    }

    private static long CountFor(StepCounting mode, long tensorCount) => mode switch
    {
        StepCounting.PerTensor => tensorCount,
        StepCounting.PerRow => 1,
        _ => 0,
    };

    [Theory]
    [MemberData(nameof(Modes))]
    public void Adam_AppendedFreshRow_StepsWithItsModesBiasCorrection(StepCounting mode)
    {
        var set = new ParameterSet();
        var p = set.Add("x", [2, 3], [1f, 2f, 3f, 4f, 5f, 6f]);
        var optimizer = new Optimizer(Optimizers.Adam(new AdamOptions { LearningRate = Lr, StepCounting = mode }), set);
        Run(optimizer, p, 20, 0.5f);
        optimizer.Rows(p).Append(1);
        Assert.Equal(3, p.Rows);
        Assert.Equal(0f, p.Values[6]);
        Run(optimizer, p, 1, -0.25f);
        double expected = -Lr * FreshAdamDirection(-0.25, CountFor(mode, 21));
        for (int j = 6; j < 9; j++) Assert.Equal(expected, p.Values[j], 1e-6);
        if (mode == StepCounting.PerRow) Assert.Equal(Lr, Math.Abs(p.Values[6]), 1e-6);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void AdamW_AppendedCopyWithFreshState_DecaysItsCopiedValue(StepCounting mode)
    {
        const double wd = 0.5;
        var set = new ParameterSet();
        var p = set.Add("x", [2], [1f, -2f]);
        var optimizer = new Optimizer(Optimizers.AdamW(new AdamWOptions { LearningRate = Lr, WeightDecay = wd, StepCounting = mode }), set);
        Run(optimizer, p, 7, 0.3f);
        float parent = p.Values[1];
        optimizer.Rows(p).Append([1], RowInit.Fresh);
        Assert.Equal(Bits(parent), Bits(p.Values[2]));
        Assert.Equal(0f, StateOf<ScaleByAdamState>(optimizer, p).Mu.Span[2]);
        Run(optimizer, p, 1, 0.3f);
        double expected = parent - Lr * (FreshAdamDirection(0.3, CountFor(mode, 8)) + wd * parent);
        Assert.Equal(expected, p.Values[2], 1e-6);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void SgdMomentum_AppendedFreshRow_FirstStepRuleFollowsTheMode(StepCounting mode)
    {
        const double mu = 0.9, tau = 0.25;
        var set = new ParameterSet();
        var p = set.Add("x", [2, 2], [1f, 1f, 1f, 1f]);
        var optimizer = new Optimizer(Optimizers.Sgd(new SgdOptions { LearningRate = Lr, Momentum = mu, Dampening = tau, StepCounting = mode }), set);
        Run(optimizer, p, 3, 1f);
        // Old rows: PerTensor/PerRow b = 1, then b = 0.9 + 0.75 = 1.65, then 2.235; None starts at 0.75 instead of 1.
        double b = mode == StepCounting.None ? 1 - tau : 1;
        for (int s = 1; s < 3; s++) b = mu * b + (1 - tau);
        Assert.Equal(1 - Lr * ((mode == StepCounting.None ? 1 - tau : 1) + (mu * (mode == StepCounting.None ? 1 - tau : 1) + 1 - tau) + b), p.Values[0], 1e-5);
        optimizer.Rows(p).Append(1);
        Run(optimizer, p, 1, 2f);
        // The new row: b ← g on its own first step (PerRow), else b ← μ·0 + (1−τ)·g.
        double expected = -Lr * (mode == StepCounting.PerRow ? 2 : (1 - tau) * 2);
        Assert.Equal(expected, p.Values[4], 1e-6);
        Assert.Equal(expected, p.Values[5], 1e-6);
    }

    [Theory]
    [InlineData(SplitState.AllFresh)]
    [InlineData(SplitState.ParentKeeps)]
    [InlineData(SplitState.CopyParent)]
    public void Split_ParentsAndChildren_KeepCopyOrResetState(SplitState split)
    {
        var set = new ParameterSet();
        var p = set.Add("x", [3, 2], [1f, 2f, 3f, 4f, 5f, 6f]);
        var optimizer = new Optimizer(Optimizers.Adam(new AdamOptions { LearningRate = Lr, StepCounting = StepCounting.PerRow }), set);
        var grads = new GradientSet(set);
        grads.Set(p, [1f, 2f, 3f, 4f, 5f, 6f]);
        optimizer.Step(grads);
        optimizer.Step(grads);
        var accum = optimizer.AddRowStatistic(p, "accum", initial: -1f);
        for (int r = 0; r < 3; r++) accum.Span[r] = 10 * r;
        var state = StateOf<ScaleByAdamState>(optimizer, p);
        float[] mu = state.Mu.Span.ToArray(), values = p.Values.ToArray();

        optimizer.Rows(p).Split([0, 2], 2, split);

        Assert.Equal(5, p.Rows);
        Assert.Equal(values, p.Values[..6].ToArray());              // parents and others keep their values
        Assert.Equal(values[0..2], p.Values[6..8].ToArray());       // child of row 0
        Assert.Equal(values[4..6], p.Values[8..10].ToArray());      // child of row 2
        float[] expectedMu = split switch
        {
            SplitState.AllFresh => [0, 0, mu[2], mu[3], 0, 0, 0, 0, 0, 0],
            SplitState.ParentKeeps => [.. mu, 0, 0, 0, 0],
            _ => [.. mu, mu[0], mu[1], mu[4], mu[5]],
        };
        Assert.Equal(expectedMu, state.Mu.Span.ToArray());
        float[] expectedCounts = split switch
        {
            SplitState.AllFresh => [0, 2, 0, 0, 0],
            SplitState.ParentKeeps => [2, 2, 2, 0, 0],
            _ => [2, 2, 2, 2, 2],
        };
        Assert.Equal(expectedCounts, state.RowCounts!.Span.ToArray());
        float[] expectedAccum = split switch
        {
            SplitState.AllFresh => [-1, 10, -1, -1, -1],
            SplitState.ParentKeeps => [0, 10, 20, -1, -1],
            _ => [0, 10, 20, 0, 20],
        };
        Assert.Equal(expectedAccum, accum.Span.ToArray());
        optimizer.VerifyRows();
    }

    [Fact]
    public void ResetRows_PerRow_ResetRowStepsLikeAFreshOptimizer()
    {
        var set = new ParameterSet();
        var p = set.Add("x", [3], [1f, 1f, 1f]);
        var optimizer = new Optimizer(Optimizers.Adam(new AdamOptions { LearningRate = Lr, StepCounting = StepCounting.PerRow }), set);
        Run(optimizer, p, 30, 0.7f);
        float kept = p.Values[0];
        optimizer.Rows(p).ResetRows([1]);
        Assert.Equal(Bits(kept), Bits(p.Values[0]));
        var state = StateOf<ScaleByAdamState>(optimizer, p);
        Assert.Equal([30f, 0f, 30f], state.RowCounts!.Span.ToArray());
        Assert.Equal(0f, state.Nu.Span[1]);
        float before = p.Values[1];
        Run(optimizer, p, 1, 0.7f);
        Assert.Equal(before - Lr * FreshAdamDirection(0.7, 1), p.Values[1], 1e-6);
        Assert.Equal([31f, 1f, 31f], state.RowCounts!.Span.ToArray());
    }

    [Fact]
    public void Overwrite_RelocatesValues_StateFreshOrCopied()
    {
        var (optimizer, p, _, trace) = SgdMomentumAfterOneStep(Lr);
        float[] values = p.Values.ToArray(), b = trace.Span.ToArray();
        // Rows 0 and 3 swap simultaneously (fresh state); then row 1 takes row 2's values and state; row 2 stays.
        optimizer.ApplyRowPlan(new RowPlan(4).Overwrite([0, 3], [3, 0]).Overwrite([1], [2], RowInit.Copy), p);
        Assert.Equal([values[6], values[7], values[4], values[5], values[4], values[5], values[0], values[1]], p.Values.ToArray());
        Assert.Equal([0, 0, b[4], b[5], b[4], b[5], 0, 0], trace.Span.ToArray());
        Assert.NotEqual(0f, b[4]);
    }

    [Fact]
    public void GroupPlan_MovesEveryParameterStateStatisticAndGradient()
    {
        var set = new ParameterSet();
        var means = set.Add("means", [4, 3], [.. Enumerable.Range(0, 12).Select(i => (float)i)]);
        var opacity = set.Add("opacity", [4], [0.1f, 0.2f, 0.3f, 0.4f]);
        var optimizer = new Optimizer(Optimizers.Adam(new AdamOptions { LearningRate = Lr }), set);
        var grads = new GradientSet(set);
        grads.Set(means, [.. Enumerable.Range(0, 12).Select(i => i + 1f)]);
        grads.Set(opacity, [1f, 2f, 3f, 4f]);
        optimizer.Step(grads);
        var count = optimizer.AddRowStatistic(opacity, "count");
        for (int r = 0; r < 4; r++) count.Span[r] = r + 1;
        float[] muMeans = StateOf<ScaleByAdamState>(optimizer, means).Mu.Span.ToArray();
        float[] muOpacity = StateOf<ScaleByAdamState>(optimizer, opacity).Mu.Span.ToArray();
        float[] opacityValues = opacity.Values.ToArray();

        var plan = new RowPlan(4, "gaussians").Keep([3, 1]).Append([0], RowInit.Copy).Append(1);
        optimizer.ApplyRowPlan(plan, grads, means, opacity);

        Assert.Equal(4, means.Rows);
        Assert.Equal([opacityValues[3], opacityValues[1], opacityValues[3], 0f], opacity.Values.ToArray());
        Assert.Equal([muOpacity[3], muOpacity[1], muOpacity[3], 0f], StateOf<ScaleByAdamState>(optimizer, opacity).Mu.Span.ToArray());
        Assert.Equal([.. muMeans[9..12], .. muMeans[3..6], .. muMeans[9..12], 0f, 0f, 0f], StateOf<ScaleByAdamState>(optimizer, means).Mu.Span.ToArray());
        Assert.Equal([4f, 2f, 4f, 0f], count.Span.ToArray());
        Assert.Equal([4f, 2f, 0f, 0f], grads.Read(opacity).ToArray()); // the same rows keep their gradients; new rows get 0
        optimizer.VerifyRows();
    }

    [Fact]
    public void ResetAll_KeepStep_ZeroesMomentsButKeepsCounts_FreshOptimizer_DropsState()
    {
        var set = new ParameterSet();
        var p = set.Add("x", [2], [1f, 2f]);
        var optimizer = new Optimizer(Optimizers.Adam(new AdamOptions { LearningRate = Lr, StepCounting = StepCounting.PerRow }), set);
        Run(optimizer, p, 4, 1f);
        optimizer.ResetAll(ResetMode.KeepStep);
        var state = StateOf<ScaleByAdamState>(optimizer, p);
        Assert.Equal(4, state.Count);
        Assert.Equal([4f, 4f], state.RowCounts!.Span.ToArray());
        Assert.Equal([0f, 0f], state.Mu.Span.ToArray());
        float before = p.Values[0];
        Run(optimizer, p, 1, 1f);
        Assert.Equal(before - Lr * FreshAdamDirection(1, 5), p.Values[0], 1e-6); // boosted: zero moments, count 5
        optimizer.ResetAll(ResetMode.FreshOptimizer);
        Assert.False(optimizer.HasState(p));
        before = p.Values[0];
        Run(optimizer, p, 1, 1f);
        Assert.Equal(before - Lr * FreshAdamDirection(1, 1), p.Values[0], 1e-6);
    }

    [Fact]
    public void Gather_Reorders_AndAppendDoesNotReallocateWithinCapacity()
    {
        var set = new ParameterSet();
        var p = set.Add("x", [3, 2], [1f, 2f, 3f, 4f, 5f, 6f]);
        var optimizer = new Optimizer(Optimizers.Adam(), set);
        optimizer.Rows(p).Gather([2, 0]);
        Assert.Equal([5f, 6f, 1f, 2f], p.Values.ToArray());
        optimizer.Rows(p).Append(4);                  // grows the capacity by ≥ 1.5×
        var data = p.Storage.Data;
        int capacity = p.Storage.Capacity;
        optimizer.Rows(p).Gather([0, 1, 2]);
        optimizer.Rows(p).Append(capacity - 3);
        Assert.Same(data, p.Storage.Data);
        optimizer.Rows(p).Append([1f, 2f]);
        Assert.NotSame(data, p.Storage.Data);
        Assert.True(p.Storage.Capacity >= capacity * 3 / 2);
        Assert.Equal([1f, 2f], p.Values[^2..].ToArray());
    }

    /// <summary>docs/DYNAMIC.md's boost table: a zero-moment row at tensor step 5000 under constant g.</summary>
    [Fact]
    public void PerTensorCount_BoostOfZeroMomentRows_MatchesTheDocumentedTable()
    {
        var set = new ParameterSet();
        var p = set.Add("x", [1], [0f]);
        var optimizer = new Optimizer(SpecRegistry.Default.Create("adam(lr=1, eps=0)"), set);
        Run(optimizer, p, 5000, 1f);
        optimizer.Rows(p).Append(1);
        var grads = new GradientSet(set);
        var table = new Dictionary<int, double> { [1] = 3.15, [10] = 6.51, [100] = 3.23, [1000] = 1.26 };
        for (int k = 1; k <= 1000; k++)
        {
            float before = p.Values[1];
            grads.Get(p).Fill(1f);
            optimizer.Step(grads);
            if (table.TryGetValue(k, out double boost)) Assert.Equal(boost, before - p.Values[1], 2);
        }
    }
}

public class RowCheckpointTests
{
    [Fact]
    public void PerRowCounts_SurviveACheckpointAfterARefine()
    {
        string path = Path.Combine(Path.GetTempPath(), $"momentum-rows-{Guid.NewGuid():N}.safetensors");
        try
        {
            var set = new ParameterSet();
            var p = set.Add("x", [2, 2], [1f, 2f, 3f, 4f]);
            var optimizer = new Optimizer(SpecRegistry.Default.Create("adam(lr=0.1, step_count='per_row')"), set);
            var grads = new GradientSet(set);
            grads.Set(p, [1f, -1f, 0.5f, 2f]);
            optimizer.Step(grads);
            optimizer.Rows(p).Split([1], 2, SplitState.CopyParent);
            optimizer.Rows(p).Append(1);
            Momentum.IO.Checkpoint.Save(path, optimizer);

            var set2 = new ParameterSet();
            var p2 = set2.Add("x", [4, 2]);
            var resumed = new Optimizer(SpecRegistry.Default.Create("adam(lr=0.1, step_count='per_row')"), set2);
            Momentum.IO.Checkpoint.Load(path, resumed);
            Assert.Equal([1f, 1f, 1f, 0f], StateOf<ScaleByAdamState>(resumed, p2).RowCounts!.Span.ToArray());
            var grads2 = new GradientSet(set2);
            float[] g = [0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f];
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

public class RowWrapperTests
{
    [Theory]
    [InlineData("multi_steps(adam(lr=0.1), every_k_schedule=3)")]
    [InlineData("lookahead(sgd(lr=0.1, momentum=0.9), sync_period=2, slow_step_size=0.5)")]
    public void StepWrapperState_FollowsRowOperations(string spec)
    {
        var full = new ParameterSet();
        var pf = full.Add("x", [4, 2], Random(1, 8));
        var kept = new ParameterSet();
        float[] initial = Random(1, 8);
        var pk = kept.Add("x", [2, 2], [initial[6], initial[7], initial[2], initial[3]]);
        GradientTransformation Create() => SpecRegistry.Default.Create(spec);
        var of = new Optimizer(Create(), full);
        var ok = new Optimizer(Create(), kept);
        var gf = new GradientSet(full);
        var gk = new GradientSet(kept);
        for (int step = 0; step < 7; step++)
        {
            if (step == 2) of.Rows(pf).Gather([3, 1]);
            float[] g = Random(10 + step, pf.Rows * 2);
            gf.Set(pf, g);
            if (step < 2) gk.Set(pk, [g[6], g[7], g[2], g[3]]);
            else gk.Set(pk, g);
            of.Step(gf);
            ok.Step(gk);
        }
        Assert.Equal(pk.Values.ToArray().Select(Bits), pf.Values.ToArray().Select(Bits));
        of.VerifyRows();
    }

    [Fact]
    public void SelectiveStep_RejectsStepWrappers()
    {
        var set = new ParameterSet();
        var p = set.Add("x", [2]);
        var optimizer = new Optimizer(SpecRegistry.Default.Create("multi_steps(adam(), every_k_schedule=2)"), set);
        var grads = new GradientSet(set);
        grads.Get(p, clear: true);
        Assert.Contains("multi_steps", Assert.Throws<InvalidOperationException>(() => optimizer.Step(grads, new RowSelection(set))).Message);
    }
}

public class AcPropRowTests
{
    private const double Lr = 0.1, B1 = 0.9, B2 = 0.999, Eps = 1e-3;

    /// <summary>ACProp in double for one element with constant g over <paramref name="steps"/> steps; returns θ.</summary>
    private static double Reference(double theta, double g, int steps, bool corrected)
    {
        double m = 0, s = 0;
        for (int t = 1; t <= steps; t++)
        {
            double denominator = t == 1 ? 1 : Math.Sqrt(corrected ? s / (1 - Math.Pow(B2, t - 1)) : s);
            double u = g / (denominator + Eps);
            m = B1 * m + (1 - B1) * g;
            double e = g - m;
            s = B2 * s + (1 - B2) * e * e;
            theta -= Lr * u;
        }
        return theta;
    }

    [Theory]
    [InlineData(StepCounting.PerTensor)]
    [InlineData(StepCounting.PerRow)]
    [InlineData(StepCounting.None)]
    public void AcProp_AppendedFreshRow_UsesItsModesFirstStepAndCorrection(StepCounting mode)
    {
        var set = new ParameterSet();
        var p = set.Add("x", [2], [1f, -1f]);
        var optimizer = new Optimizer(Optimizers.AcProp(new AcPropOptions { LearningRate = Lr, Eps = Eps, EpsRoot = 0, StepCounting = mode }), set);
        var grads = new GradientSet(set);
        for (int step = 0; step < 5; step++)
        {
            grads.Get(p).Fill(0.5f);
            optimizer.Step(grads);
        }
        Assert.Equal(Reference(1, 0.5, 5, mode != StepCounting.None), p.Values[0], 1e-5);
        optimizer.Rows(p).Split([1], 2, SplitState.ParentKeeps);   // row 2: a copy of row 1 with fresh state
        optimizer.Rows(p).ResetRows([0]);                           // row 0: fresh state, value kept
        float row0 = p.Values[0], row1 = p.Values[1], row2 = p.Values[2];
        grads.Get(p).Fill(0.5f);
        optimizer.Step(grads);
        // A fresh row: per row it takes ŝ := 1 on its own first step; otherwise its zero s gives u = g/ε (the boost, extreme here).
        double fresh = mode == StepCounting.PerRow ? 0.5 / (1 + Eps) : 0.5 / Eps;
        Assert.Equal(row0 - Lr * fresh, p.Values[0], 1e-4);
        Assert.Equal(row2 - Lr * fresh, p.Values[2], 1e-4);
        // The row that kept its state continues its own trajectory.
        Assert.Equal(Reference(-1, 0.5, 6, mode != StepCounting.None), p.Values[1], 1e-5);
        Assert.NotEqual(row1, p.Values[1]);
    }
}

public class RefineExampleTests
{
    /// <summary>The refine of docs/DYNAMIC.md on five Gaussian attributes: clone small, split big, prune dead, statistics follow.</summary>
    [Fact]
    public void DocsRefineExample_KeepsEveryRowConsistent()
    {
        const int n = 8;
        var set = new ParameterSet();
        var means = set.Add("means", [n, 3], Random(1, 3 * n));
        var scales = set.Add("scales", [n, 3], Random(2, 3 * n));
        var quats = set.Add("quats", [n, 4], Random(3, 4 * n));
        var colors = set.Add("colors", [n, 3], Random(4, 3 * n));
        var opacities = set.Add("opacities", [n], [5f, -9f, 5f, 5f, -9f, 5f, 5f, 5f]);
        var optimizer = new Optimizer(Optimizers.Adam(new AdamOptions { LearningRate = 1e-3 }), set);
        var gradients = new GradientSet(set);
        RowBuffer accum = optimizer.AddRowStatistic(means, "grad_accum");
        Parameter[] group = [means, scales, quats, colors, opacities];
        foreach (var p in group) gradients.Set(p, Random(p.Index + 10, p.Length));
        optimizer.Step(gradients);
        for (int r = 0; r < n; r++) accum.Span[r] = r;
        float[] meansBefore = means.Values.ToArray();

        int rows = means.Rows;
        int[] dead = [.. Enumerable.Range(0, rows).Where(r => opacities.Values[r] < 0)];     // rows 1 and 4
        int[] small = [2, 4], big = [5, 6];                                                 // 4 is both dead and grown: its clone survives
        int[] survivors = [.. Enumerable.Range(0, rows).Where(r => !dead.Contains(r))];
        var plan = new RowPlan(rows, "gaussians").Append(small, RowInit.Fresh).Split(big, children: 2, SplitState.AllFresh);
        plan.Keep([.. survivors, .. Enumerable.Range(rows, plan.Rows - rows)]);
        optimizer.ApplyRowPlan(plan, group);

        Assert.Equal(6 + 2 + 2, means.Rows);
        Assert.All(group, p => Assert.Equal(means.Rows, p.Rows));
        optimizer.VerifyRows();
        // New layout: survivors 0,2,3,5,6,7 then clones of 2 and 4, then children of 5 and 6.
        int[] origin = [0, 2, 3, 5, 6, 7, 2, 4, 5, 6];
        for (int r = 0; r < origin.Length; r++)
            Assert.Equal(meansBefore.AsSpan(origin[r] * 3, 3).ToArray(), means.Values.Slice(r * 3, 3).ToArray());
        Assert.Equal([0f, 2f, 3f, 0f, 0f, 7f, 0f, 0f, 0f, 0f], accum.Span.ToArray());   // split parents 5 and 6 are fresh too
        var mu = StateOf<ScaleByAdamState>(optimizer, means).Mu;
        for (int r = 0; r < origin.Length; r++)
        {
            bool fresh = r >= 6 || origin[r] is 5 or 6;
            Assert.Equal(fresh, mu.Span.Slice(r * 3, 3).ToArray().All(x => x == 0f));
        }
        foreach (var p in group) gradients.Set(p, Random(p.Index + 20, p.Length));
        optimizer.Step(gradients);
    }
}
