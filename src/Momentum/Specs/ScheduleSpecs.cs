namespace Momentum.Specs;

/// <summary>
/// Schedule names: Optax's schedules (<c>warmup_cosine_decay_schedule(...)</c>, ...) and torch.optim.lr_scheduler's
/// (<c>step_lr(lr=0.1, step_size=30)</c>, ...). Usable wherever a spec takes a schedule, e.g. <c>adam(lr=...)</c> or
/// <c>add_decayed_weights(weight_decay=...)</c>.
/// </summary>
[SpecProvider]
internal static class ScheduleSpecs
{
    public static void Register(SpecRegistry r)
    {
        // Optax.
        r.RegisterSchedule("constant_schedule", "constant_schedule(value)", "constant_schedule(value=0.01)", a => Schedules.Constant(Number(a, "value")));
        r.RegisterSchedule("linear_schedule", "linear_schedule(init_value, end_value, transition_steps, transition_begin=0)", "linear_schedule(init_value=0.01, end_value=0.001, transition_steps=5, transition_begin=1)", a =>
            Schedules.Linear(Number(a, "init_value"), Number(a, "end_value"), Steps(a, "transition_steps"), a.Integer("transition_begin", 0)));
        r.RegisterSchedule("polynomial_schedule", "polynomial_schedule(init_value, end_value, power, transition_steps, transition_begin=0)", "polynomial_schedule(init_value=0.01, end_value=0.001, power=2, transition_steps=5)", a =>
            Schedules.Polynomial(Number(a, "init_value"), Number(a, "end_value"), Number(a, "power"), Steps(a, "transition_steps"), a.Integer("transition_begin", 0)));
        r.RegisterSchedule("exponential_decay", "exponential_decay(init_value, transition_steps, decay_rate, transition_begin=0, staircase=false, end_value=None)", "exponential_decay(init_value=0.01, transition_steps=2, decay_rate=0.5, staircase=true)", a =>
            Schedules.ExponentialDecay(Number(a, "init_value"), Steps(a, "transition_steps"), Number(a, "decay_rate"), a.Integer("transition_begin", 0),
                a.Bool("staircase", false), a.OptionalNumber("end_value")));
        r.RegisterSchedule("cosine_decay_schedule", "cosine_decay_schedule(init_value, decay_steps, alpha=0, exponent=1)", "cosine_decay_schedule(init_value=0.01, decay_steps=6, alpha=0.1)", a =>
            Schedules.CosineDecay(Number(a, "init_value"), Steps(a, "decay_steps"), a.Number("alpha", 0), a.Number("exponent", 1)));
        r.RegisterSchedule("warmup_constant_schedule", "warmup_constant_schedule(init_value, peak_value, warmup_steps)", "warmup_constant_schedule(init_value=0.001, peak_value=0.01, warmup_steps=3)", a =>
            Schedules.WarmupConstant(Number(a, "init_value"), Number(a, "peak_value"), Steps(a, "warmup_steps")));
        r.RegisterSchedule("warmup_cosine_decay_schedule", "warmup_cosine_decay_schedule(init_value, peak_value, warmup_steps, decay_steps, end_value=0, exponent=1)", "warmup_cosine_decay_schedule(init_value=0.001, peak_value=0.01, warmup_steps=2, decay_steps=8, end_value=1e-4)", a =>
            Schedules.WarmupCosineDecay(Number(a, "init_value"), Number(a, "peak_value"), Steps(a, "warmup_steps"), Steps(a, "decay_steps"),
                a.Number("end_value", 0), a.Number("exponent", 1)));
        r.RegisterSchedule("warmup_exponential_decay_schedule",
            "warmup_exponential_decay_schedule(init_value, peak_value, warmup_steps, transition_steps, decay_rate, transition_begin=0, staircase=false, end_value=None)", "warmup_exponential_decay_schedule(init_value=0.001, peak_value=0.01, warmup_steps=2, transition_steps=2, decay_rate=0.5)", a =>
            Schedules.WarmupExponentialDecay(Number(a, "init_value"), Number(a, "peak_value"), Steps(a, "warmup_steps"), Steps(a, "transition_steps"),
                Number(a, "decay_rate"), a.Integer("transition_begin", 0), a.Bool("staircase", false), a.OptionalNumber("end_value")));
        r.RegisterSchedule("piecewise_constant_schedule", "piecewise_constant_schedule(init_value, boundaries_and_scales=[(step, scale), ...])", "piecewise_constant_schedule(init_value=0.01, boundaries_and_scales=[(2, 0.5), (4, 0.5)])", a =>
            Schedules.PiecewiseConstant(Number(a, "init_value"), BoundariesAndScales(a)));
        r.RegisterSchedule("piecewise_interpolate_schedule", "piecewise_interpolate_schedule(interpolate_type='linear'|'cosine', init_value, boundaries_and_scales=[(step, scale), ...])", "piecewise_interpolate_schedule(interpolate_type='cosine', init_value=0.01, boundaries_and_scales=[(2, 0.5), (5, 0.2)])", a =>
            Schedules.PiecewiseInterpolate(Choice(a, "interpolate_type", null, ("linear", Interpolation.Linear), ("cosine", Interpolation.Cosine)),
                Number(a, "init_value"), BoundariesAndScales(a)));
        r.RegisterSchedule("linear_onecycle_schedule", "linear_onecycle_schedule(transition_steps, peak_value, pct_start=0.3, pct_final=0.85, div_factor=25, final_div_factor=1e4)", "linear_onecycle_schedule(transition_steps=8, peak_value=0.01)", a =>
            Schedules.LinearOneCycle(Steps(a, "transition_steps"), Number(a, "peak_value"), a.Number("pct_start", 0.3), a.Number("pct_final", 0.85),
                a.Number("div_factor", 25), a.Number("final_div_factor", 1e4)));
        r.RegisterSchedule("cosine_onecycle_schedule", "cosine_onecycle_schedule(transition_steps, peak_value, pct_start=0.3, div_factor=25, final_div_factor=1e4)", "cosine_onecycle_schedule(transition_steps=8, peak_value=0.01, pct_start=0.25)", a =>
            Schedules.CosineOneCycle(Steps(a, "transition_steps"), Number(a, "peak_value"), a.Number("pct_start", 0.3), a.Number("div_factor", 25),
                a.Number("final_div_factor", 1e4)));
        r.RegisterSchedule("join_schedules", "join_schedules(schedules=[...], boundaries=[...])", "join_schedules(schedules=[constant_schedule(value=0.01), linear_schedule(init_value=0.01, end_value=0.001, transition_steps=4)], boundaries=[3])", a =>
            Schedules.Join(ScheduleList(a, "schedules"), StepList(a, "boundaries")));
        r.RegisterSchedule("sgdr_schedule", "sgdr_schedule(cosine_kwargs=[warmup_cosine_decay_schedule(...), ...])", "sgdr_schedule(cosine_kwargs=[warmup_cosine_decay_schedule(init_value=0.001, peak_value=0.01, warmup_steps=1, decay_steps=4), warmup_cosine_decay_schedule(init_value=0.001, peak_value=0.005, warmup_steps=1, decay_steps=4)])", Sgdr);

        // torch.optim.lr_scheduler; lr is the optimizer's initial learning rate.
        r.RegisterSchedule("step_lr", "torch StepLR(lr, step_size, gamma=0.1)", "step_lr(lr=0.01, step_size=2, gamma=0.5)", a =>
            Schedules.StepLR(Number(a, "lr"), Steps(a, "step_size"), a.Number("gamma", 0.1)));
        r.RegisterSchedule("multi_step_lr", "torch MultiStepLR(lr, milestones=[...], gamma=0.1)", "multi_step_lr(lr=0.01, milestones=[2, 4], gamma=0.5)", a =>
            Schedules.MultiStepLR(Number(a, "lr"), StepList(a, "milestones"), a.Number("gamma", 0.1)));
        r.RegisterSchedule("exponential_lr", "torch ExponentialLR(lr, gamma)", "exponential_lr(lr=0.01, gamma=0.9)", a => Schedules.ExponentialLR(Number(a, "lr"), Number(a, "gamma")));
        r.RegisterSchedule("cosine_annealing_lr", "torch CosineAnnealingLR(lr, T_max, eta_min=0)", "cosine_annealing_lr(lr=0.01, T_max=6, eta_min=0.001)", a =>
            Schedules.CosineAnnealingLR(Number(a, "lr"), Steps(a, "T_max"), a.Number("eta_min", 0)));
        r.RegisterSchedule("cosine_annealing_warm_restarts", "torch CosineAnnealingWarmRestarts(lr, T_0, T_mult=1, eta_min=0)", "cosine_annealing_warm_restarts(lr=0.01, T_0=3, T_mult=2, eta_min=0.001)", a =>
            Schedules.CosineAnnealingWarmRestarts(Number(a, "lr"), Steps(a, "T_0"), a.Integer("T_mult", 1), a.Number("eta_min", 0)));
        r.RegisterSchedule("one_cycle_lr", "torch OneCycleLR(max_lr, total_steps, pct_start=0.3, anneal_strategy='cos', div_factor=25, final_div_factor=1e4, three_phase=false)", "one_cycle_lr(max_lr=0.01, total_steps=10, anneal_strategy='linear')", a =>
            Schedules.OneCycleLR(Number(a, "max_lr"), Steps(a, "total_steps"), a.Number("pct_start", 0.3),
                Choice(a, "anneal_strategy", AnnealStrategy.Cos, ("cos", AnnealStrategy.Cos), ("linear", AnnealStrategy.Linear)),
                a.Number("div_factor", 25), a.Number("final_div_factor", 1e4), a.Bool("three_phase", false)));
        r.RegisterSchedule("linear_lr", "torch LinearLR(lr, start_factor=1/3, end_factor=1, total_iters=5)", "linear_lr(lr=0.01, start_factor=0.5, total_iters=4)", a =>
            Schedules.LinearLR(Number(a, "lr"), a.Number("start_factor", 1.0 / 3), a.Number("end_factor", 1.0), a.Integer("total_iters", 5)));
        r.RegisterSchedule("constant_lr", "torch ConstantLR(lr, factor=1/3, total_iters=5)", "constant_lr(lr=0.01, factor=0.5, total_iters=3)", a =>
            Schedules.ConstantLR(Number(a, "lr"), a.Number("factor", 1.0 / 3), a.Integer("total_iters", 5)));
        r.RegisterSchedule("polynomial_lr", "torch PolynomialLR(lr, total_iters=5, power=1)", "polynomial_lr(lr=0.01, total_iters=6, power=2)", a =>
            Schedules.PolynomialLR(Number(a, "lr"), a.Integer("total_iters", 5), a.Number("power", 1.0)));
        r.RegisterSchedule("sequential_lr", "torch SequentialLR(schedulers=[...], milestones=[...])", "sequential_lr(schedulers=[linear_lr(lr=0.01, start_factor=0.1, total_iters=2), exponential_lr(lr=0.01, gamma=0.9)], milestones=[2])", a =>
            Schedules.SequentialLR(ScheduleList(a, "schedulers"), StepList(a, "milestones")));
        r.RegisterSchedule("chained_scheduler", "torch ChainedScheduler(schedulers=[...]): factors multiplied", "chained_scheduler(schedulers=[step_lr(lr=0.01, step_size=2, gamma=0.5), exponential_lr(lr=0.01, gamma=0.95)])", a =>
            Schedules.ChainedScheduler(ScheduleList(a, "schedulers")));
        r.RegisterSchedule("reduce_lr_on_plateau",
            "torch ReduceLROnPlateau(lr, mode='min', factor=0.1, patience=10, threshold=1e-4, threshold_mode='rel', cooldown=0, min_lr=0, eps=1e-8)", "reduce_lr_on_plateau(lr=0.01, factor=0.5, patience=2)", a =>
            Schedules.ReduceLROnPlateau(Number(a, "lr"),
                Choice(a, "mode", PlateauMode.Min, ("min", PlateauMode.Min), ("max", PlateauMode.Max)),
                a.Number("factor", 0.1), a.Integer("patience", 10), a.Number("threshold", 1e-4),
                Choice(a, "threshold_mode", ThresholdMode.Rel, ("rel", ThresholdMode.Rel), ("abs", ThresholdMode.Abs)),
                a.Integer("cooldown", 0), a.Number("min_lr", 0), a.Number("eps", 1e-8)));
    }

    private static double Number(SpecArguments a, string key) => FoundationSpecs.Required(a, key);

    private static long Steps(SpecArguments a, string key)
    {
        if (!a.Has(key)) throw new SpecException(a.Position, $"'{a.Name}' needs the argument '{key}'");
        return a.Integer(key, 0);
    }

    private static T Choice<T>(SpecArguments a, string key, T? defaultValue, params (string Text, T Value)[] choices)
        where T : struct
    {
        string? text = a.String(key, null);
        if (text is null)
            return defaultValue ?? throw new SpecException(a.Position, $"'{a.Name}' needs the argument '{key}' ({string.Join(" or ", choices.Select(c => $"'{c.Text}'"))})");
        foreach (var (t, v) in choices)
            if (t == text) return v;
        throw new SpecException(a.Position, $"argument '{key}' of '{a.Name}' must be {string.Join(" or ", choices.Select(c => $"'{c.Text}'"))}; got '{text}'");
    }

    private static SpecList List(SpecArguments a, string key)
    {
        var raw = a.Raw(key) ?? throw new SpecException(a.Position, $"'{a.Name}' needs the argument '{key}'");
        return raw as SpecList ?? throw new SpecException(raw.Position, $"argument '{key}' of '{a.Name}' must be a list [...]");
    }

    private static long[] StepList(SpecArguments a, string key)
    {
        var list = List(a, key);
        var steps = new long[list.Items.Count];
        for (int i = 0; i < steps.Length; i++)
        {
            if (list.Items[i] is not SpecNumber n || n.Value != Math.Floor(n.Value) || Math.Abs(n.Value) >= 1e15)
                throw new SpecException(list.Items[i].Position, $"argument '{key}' of '{a.Name}' must be a list of whole numbers");
            steps[i] = (long)n.Value;
        }
        return steps;
    }

    private static Schedule[] ScheduleList(SpecArguments a, string key)
    {
        var list = List(a, key);
        var schedules = new Schedule[list.Items.Count];
        for (int i = 0; i < schedules.Length; i++)
        {
            schedules[i] = list.Items[i] switch
            {
                SpecCall c => a.Registry.CreateSchedule(c),
                SpecNumber n => Schedule.Constant(n.Value),
                var other => throw new SpecException(other.Position, $"argument '{key}' of '{a.Name}' must be a list of schedules"),
            };
        }
        return schedules;
    }

    /// <summary>Reads <c>boundaries_and_scales=[(step, scale), ...]</c> (Optax's dict as a list of pairs).</summary>
    private static Dictionary<long, double>? BoundariesAndScales(SpecArguments a)
    {
        var raw = a.Raw("boundaries_and_scales");
        if (raw is null) return null;
        const string Shape = "must be a list of (step, scale) pairs, e.g. [(100, 0.1), (200, 0.1)]";
        if (raw is not SpecList list) throw new SpecException(raw.Position, $"argument 'boundaries_and_scales' of '{a.Name}' {Shape}");
        var result = new Dictionary<long, double>();
        foreach (var item in list.Items)
        {
            if (item is not SpecList { Items: [SpecNumber step, SpecNumber scale] } || step.Value != Math.Floor(step.Value) || Math.Abs(step.Value) >= 1e15)
                throw new SpecException(item.Position, $"argument 'boundaries_and_scales' of '{a.Name}' {Shape}");
            if (!result.TryAdd((long)step.Value, scale.Value))
                throw new SpecException(item.Position, $"argument 'boundaries_and_scales' of '{a.Name}' has the boundary {step.Text} twice");
        }
        return result;
    }

    private static Schedule Sgdr(SpecArguments a)
    {
        var list = List(a, "cosine_kwargs");
        var cycles = new (double, double, long, long, double)[list.Items.Count];
        for (int i = 0; i < cycles.Length; i++)
        {
            if (list.Items[i] is not SpecCall { Name: "warmup_cosine_decay_schedule" } call)
                throw new SpecException(list.Items[i].Position, "the items of sgdr_schedule's cosine_kwargs must be warmup_cosine_decay_schedule(...) calls");
            var c = new SpecArguments(call, a.Registry);
            try
            {
                cycles[i] = (Number(c, "init_value"), Number(c, "peak_value"), Steps(c, "warmup_steps"), Steps(c, "decay_steps"), c.Number("end_value", 0));
            }
            catch (ArgumentException e)
            {
                throw new SpecException(call.Position, $"{call.Name}: {e.Message}");
            }
            c.Finish();
        }
        return Schedules.Sgdr(cycles);
    }
}
