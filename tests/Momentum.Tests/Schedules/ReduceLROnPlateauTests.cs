using Momentum.Specs;

namespace Momentum.Tests.Scheduling;

public class ReduceLROnPlateauTests
{
    [Fact]
    public void Report_PatienceThenReduce_ThenCooldownIgnoresBadReports()
    {
        var s = Schedules.ReduceLROnPlateau(1.0, factor: 0.5, patience: 2, cooldown: 2);
        Assert.False(s.Report(10));            // best = 10
        Assert.False(s.Report(10));            // bad 1
        Assert.False(s.Report(10));            // bad 2 (= patience: not yet)
        Assert.Equal(1.0, s.Evaluate(123));
        Assert.True(s.Report(10));             // bad 3 > 2: lr 0.5, cooldown 2
        Assert.Equal(0.5, s.LearningRate);
        Assert.Equal(2, s.CooldownCounter);
        Assert.False(s.Report(10));            // cooldown 1, bad reset
        Assert.False(s.Report(10));            // cooldown 0, bad reset
        Assert.Equal(0, s.BadEpochs);
        Assert.False(s.Report(10));            // bad 1
        Assert.False(s.Report(10));            // bad 2
        Assert.True(s.Report(10));             // bad 3: lr 0.25
        Assert.Equal(0.25, s.Evaluate(0));
        Assert.Equal(10, s.Best);
        Assert.Equal(9, s.LastEpoch);
    }

    [Fact]
    public void Report_RelativeThreshold_SmallImprovementIsBad()
    {
        var s = Schedules.ReduceLROnPlateau(1.0, patience: 0, threshold: 0.1);
        s.Report(100);
        Assert.True(s.Report(95));              // 95 is not < 100·0.9: bad, reduce
        Assert.Equal(0.1, s.LearningRate, 15);
        Assert.False(s.Report(89));             // 89 < 90: better
        Assert.Equal(89, s.Best);
    }

    [Fact]
    public void Report_MaxAbs_MinLrAndEps()
    {
        var s = Schedules.ReduceLROnPlateau(1.0, PlateauMode.Max, factor: 0.1, patience: 0, threshold: 1, thresholdMode: ThresholdMode.Abs, minLr: 0.05, eps: 0.01);
        s.Report(5);
        Assert.False(s.Report(6.5));            // 6.5 > 5 + 1: better
        Assert.True(s.Report(7));               // not > 7.5: bad → lr max(0.1, 0.05) = 0.1
        Assert.True(s.Report(7));               // → max(0.01, 0.05) = 0.05
        Assert.False(s.Report(7));              // 0.05 − 0.05 = 0 ≤ eps: unchanged
        Assert.Equal(0.05, s.LearningRate);
    }

    [Fact]
    public void Report_NaNIsNeverBetter()
    {
        var s = Schedules.ReduceLROnPlateau(1.0, patience: 5);
        s.Report(1);
        s.Report(double.NaN);
        Assert.Equal(1, s.Best);
        Assert.Equal(1, s.BadEpochs);
    }

    [Fact]
    public void State_SaveRestore_ResumesIdentically()
    {
        var a = Schedules.ReduceLROnPlateau(0.1, patience: 1, cooldown: 1);
        double[] metrics = [5, 4, 4, 4, 4, 3, 3, 3, 2.5, 2.5, 2.5, 2.5];
        for (int i = 0; i < 6; i++) a.Report(metrics[i]);
        var saved = a.State;
        var b = Schedules.ReduceLROnPlateau(0.1, patience: 1, cooldown: 1);
        b.Restore(saved);
        Assert.Equal(saved, b.State);
        for (int i = 6; i < metrics.Length; i++)
        {
            Assert.Equal(a.Report(metrics[i]), b.Report(metrics[i]));
            Assert.Equal(a.State, b.State);
        }
        Assert.True(a.LearningRate < 0.1);
        Assert.Equal(["lr", "best", "num_bad_epochs", "cooldown_counter", "last_epoch"], a.Scalars.Select(x => x.Slot));
        var c = Schedules.ReduceLROnPlateau(0.1);
        foreach (var scalar in a.Scalars) c.Scalars.Single(x => x.Slot == scalar.Slot).Set(scalar.Get());
        Assert.Equal(a.State, c.State);
        Assert.Throws<ArgumentException>("state", () => c.Restore(saved with { BadEpochs = -1 }));
        Assert.Equal(a.State, c.State);
        c.Reset();
        Assert.Equal(0.1, c.LearningRate);
        Assert.Equal(double.PositiveInfinity, c.Best);
    }

    [Theory]
    [InlineData("reduce_lr_on_plateau(lr=0.1, factor=1.0)", "Factor should be < 1.0.")]
    [InlineData("reduce_lr_on_plateau(lr=0.1, mode='median')", "'mode'")]
    [InlineData("reduce_lr_on_plateau(lr=0.1, threshold_mode='percent')", "'threshold_mode'")]
    [InlineData("reduce_lr_on_plateau(lr=-0.1)", "Invalid learning rate: -0.1")]
    [InlineData("reduce_lr_on_plateau(lr=0.1, patience=-1)", "patience")]
    [InlineData("constant_lr(lr=0.1, factor=1.5)", "Constant multiplicative factor expected to be between 0 and 1.")]
    [InlineData("linear_lr(lr=0.1, start_factor=0)", "Starting multiplicative factor expected to be greater than 0 and less or equal to 1.")]
    [InlineData("linear_lr(lr=0.1, end_factor=2)", "Ending multiplicative factor expected to be between 0 and 1.")]
    [InlineData("cosine_annealing_warm_restarts(lr=0.1, T_0=0)", "Expected positive integer T_0, but got 0")]
    [InlineData("cosine_annealing_warm_restarts(lr=0.1, T_0=5, T_mult=0)", "Expected integer T_mult >= 1, but got 0")]
    [InlineData("one_cycle_lr(max_lr=0.1, total_steps=0)", "Expected positive integer total_steps, but got 0")]
    [InlineData("one_cycle_lr(max_lr=0.1, total_steps=10, pct_start=1.5)", "Expected float between 0 and 1 pct_start, but got 1.5")]
    [InlineData("one_cycle_lr(max_lr=0.1, total_steps=10, anneal_strategy='tanh')", "'anneal_strategy'")]
    [InlineData("step_lr(lr=0.1, step_size=0)", "step_size")]
    [InlineData("step_lr(step_size=10)", "'lr'")]
    [InlineData("sequential_lr(schedulers=[constant_lr(lr=0.1)], milestones=[3])", "one more than the number of milestone points")]
    [InlineData("chained_scheduler(schedulers=[constant_lr(lr=0.1), exponential_lr(lr=0.2, gamma=0.9)])", "share one learning rate")]
    [InlineData("chained_scheduler(schedulers=[constant_schedule(value=0.1)])", "not a torch-style scheduler")]
    public void TorchSchedules_InvalidArguments_UseTorchWording(string spec, string expected)
    {
        var e = Assert.Throws<SpecException>(() => SpecRegistry.Default.CreateSchedule(SpecParser.Parse(spec)));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OneCycleLR_ZeroLengthFirstPhase_IsFinite()
    {
        // pct_start·N − 1 = 0: torch divides by zero at step 0; here the first phase ends at once (value max_lr).
        var s = Schedules.OneCycleLR(0.1, 1000, pctStart: 0.001);
        Assert.Equal(0.1, s.Evaluate(0));
        Assert.True(s.Evaluate(1) < 0.1);
    }

    [Fact]
    public void Optimizer_ReportMetric_ReachesNestedPlateauSchedules()
    {
        var set = new ParameterSet();
        var w = set.Add("w", [2]);
        var optimizer = new Optimizer(SpecRegistry.Default.Create(
            "sgd(lr=join_schedules(schedules=[constant_schedule(value=0.01), reduce_lr_on_plateau(lr=0.1, patience=0)], boundaries=[2]))"), set);
        var grads = new GradientSet(set);
        Assert.Equal(0.01, optimizer.LearningRateOf(w));
        Assert.Equal(1, optimizer.ReportMetric(1.0));
        for (int i = 0; i < 2; i++)
        {
            grads.Set(w, [1f, 1f]);
            optimizer.Step(grads);
        }
        Assert.Equal(0.1, optimizer.LearningRateOf(w));
        optimizer.ReportMetric(2.0);  // worse: patience 0 → reduce
        Assert.Equal(0.01, optimizer.LearningRateOf(w)!.Value, 15);
    }
}

public class ReduceLROnPlateauCheckpointTests
{
    [Fact]
    public void Checkpoint_SavesAndRestoresThePlateauState()
    {
        const string Spec = "sgd(lr=join_schedules(schedules=[constant_schedule(value=0.5), reduce_lr_on_plateau(lr=0.1, patience=1, cooldown=2)], boundaries=[1]))";
        string path = Path.Combine(Path.GetTempPath(), $"momentum-plateau-{Guid.NewGuid():N}.safetensors");
        try
        {
            var setA = new ParameterSet();
            var wA = setA.Add("w", [2], [1f, 2f]);
            var a = new Optimizer(SpecRegistry.Default.Create(Spec), setA);
            var grads = new GradientSet(setA);
            grads.Set(wA, [1f, 1f]);
            a.Step(grads);
            foreach (double m in new[] { 3.0, 2.0, 2.5, 2.5, 2.4 }) a.ReportMetric(m);
            Assert.Equal(0.01, a.LearningRateOf(wA)!.Value, 15);
            Assert.Contains(a.States, s => s.State.Scalars.Any(x => x.Slot == "schedule.1.best"));
            Momentum.IO.Checkpoint.Save(path, a);

            var setB = new ParameterSet();
            var wB = setB.Add("w", [2], [0f, 0f]);
            var b = new Optimizer(SpecRegistry.Default.Create(Spec), setB);
            Momentum.IO.Checkpoint.Load(path, b);
            Assert.Equal(0.01, b.LearningRateOf(wB)!.Value, 15);
            foreach (double m in new[] { 2.4, 2.4, 2.4, 2.4 })
            {
                a.ReportMetric(m);
                b.ReportMetric(m);
                Assert.Equal(a.LearningRateOf(wA), b.LearningRateOf(wB));
            }
            Assert.Equal(0.001, b.LearningRateOf(wB)!.Value, 15);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
