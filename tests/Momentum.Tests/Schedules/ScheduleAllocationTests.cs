using Momentum.Specs;

namespace Momentum.Tests.Scheduling;

public class ScheduleAllocationTests
{
    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var (name, _) in SpecRegistry.Default.Schedules) data.Add(name);
        return data;
    }

    /// <summary>One example spec per registered schedule name; a name without an example fails the test.</summary>
    private static readonly Dictionary<string, string> s_examples = new()
    {
        ["constant_schedule"] = "constant_schedule(value=0.1)",
        ["linear_schedule"] = "linear_schedule(init_value=1, end_value=0, transition_steps=100)",
        ["polynomial_schedule"] = "polynomial_schedule(init_value=1, end_value=0, power=2, transition_steps=100)",
        ["exponential_decay"] = "exponential_decay(init_value=1, transition_steps=10, decay_rate=0.9, end_value=0.1)",
        ["cosine_decay_schedule"] = "cosine_decay_schedule(init_value=1, decay_steps=100, exponent=2)",
        ["warmup_constant_schedule"] = "warmup_constant_schedule(init_value=0, peak_value=1, warmup_steps=10)",
        ["warmup_cosine_decay_schedule"] = "warmup_cosine_decay_schedule(init_value=0, peak_value=1, warmup_steps=10, decay_steps=100)",
        ["warmup_exponential_decay_schedule"] = "warmup_exponential_decay_schedule(init_value=0, peak_value=1, warmup_steps=10, transition_steps=10, decay_rate=0.9)",
        ["piecewise_constant_schedule"] = "piecewise_constant_schedule(init_value=1, boundaries_and_scales=[(10, 0.1), (50, 0.1)])",
        ["piecewise_interpolate_schedule"] = "piecewise_interpolate_schedule(interpolate_type='cosine', init_value=1, boundaries_and_scales=[(10, 0.1), (50, 0.1)])",
        ["linear_onecycle_schedule"] = "linear_onecycle_schedule(transition_steps=100, peak_value=1)",
        ["cosine_onecycle_schedule"] = "cosine_onecycle_schedule(transition_steps=100, peak_value=1)",
        ["join_schedules"] = "join_schedules(schedules=[constant_schedule(value=1), cosine_decay_schedule(init_value=1, decay_steps=50)], boundaries=[10])",
        ["sgdr_schedule"] = "sgdr_schedule(cosine_kwargs=[warmup_cosine_decay_schedule(init_value=0, peak_value=1, warmup_steps=5, decay_steps=50)])",
        ["step_lr"] = "step_lr(lr=0.1, step_size=10)",
        ["multi_step_lr"] = "multi_step_lr(lr=0.1, milestones=[10, 50])",
        ["exponential_lr"] = "exponential_lr(lr=0.1, gamma=0.9)",
        ["cosine_annealing_lr"] = "cosine_annealing_lr(lr=0.1, T_max=50)",
        ["cosine_annealing_warm_restarts"] = "cosine_annealing_warm_restarts(lr=0.1, T_0=5, T_mult=2)",
        ["one_cycle_lr"] = "one_cycle_lr(max_lr=0.1, total_steps=100, three_phase=true)",
        ["linear_lr"] = "linear_lr(lr=0.1)",
        ["constant_lr"] = "constant_lr(lr=0.1)",
        ["polynomial_lr"] = "polynomial_lr(lr=0.1, power=2)",
        ["sequential_lr"] = "sequential_lr(schedulers=[linear_lr(lr=0.1), exponential_lr(lr=0.1, gamma=0.9)], milestones=[5])",
        ["chained_scheduler"] = "chained_scheduler(schedulers=[linear_lr(lr=0.1), exponential_lr(lr=0.1, gamma=0.9)])",
        ["reduce_lr_on_plateau"] = "reduce_lr_on_plateau(lr=0.1)",
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void Evaluate_AllocatesNothing_AndIsFinite(string name)
    {
        Assert.True(s_examples.TryGetValue(name, out string? spec), $"no example spec for the schedule '{name}'");
        var schedule = SpecRegistry.Default.CreateSchedule(SpecParser.Parse(spec!));
        double sum = schedule.Evaluate(0);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (long k = 0; k < 2000; k++) sum += schedule.Evaluate(k);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.True(double.IsFinite(sum));
    }
}
