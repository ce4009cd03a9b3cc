namespace Momentum.Specs;

/// <summary>Spec names for the foundation: sgd, adam, adamw, and the building blocks and combinators they use.</summary>
[SpecProvider]
internal static class FoundationSpecs
{
    public static void Register(SpecRegistry r)
    {
        r.Register<SgdOptions>("sgd", "torch.optim.SGD", "sgd(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)", Optimizers.Sgd);
        r.Register<AdamOptions>("adam", "torch.optim.Adam", "adam(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)", Optimizers.Adam);
        r.Register<AdamWOptions>("adamw", "torch.optim.AdamW", "adamw(lr=0.01, betas=(0.85, 0.995), weight_decay=0.05, groups=[group(params='*.bias', weight_decay=0), group(params='embed.*', lr=0.02)])", Optimizers.AdamW);
        r.Register("chain", "chain(t1, t2, ...): apply transformations in sequence", "chain(clip_by_global_norm(max_norm=0.5), scale_by_adam(b1=0.8), add_decayed_weights(weight_decay=0.01), scale_by_learning_rate(learning_rate=0.01))", a => Transforms.Chain([.. a.PositionalTransformations()]));
        r.Register("identity", "identity(): pass updates through unchanged", "identity()", _ => Transforms.Identity());
        r.Register("scale", "scale(step_size): multiply updates by a constant", "scale(step_size=-0.05)", a => Transforms.Scale(Required(a, "step_size")));
        r.Register("scale_by_learning_rate", "scale_by_learning_rate(learning_rate, flip_sign=true): multiply by -lr", "scale_by_learning_rate(learning_rate=warmup_cosine_decay_schedule(init_value=0.001, peak_value=0.05, warmup_steps=2, decay_steps=8))", a =>
            Transforms.ScaleByLearningRate(LearningRate(a, null), a.Bool("flip_sign", true)));
        r.Register("scale_by_adam", "scale_by_adam(b1=0.9, b2=0.999, eps=1e-8, eps_root=0, nesterov=false, step_count='per_tensor')", "scale_by_adam(b1=0.8, b2=0.99, eps=1e-6, eps_root=1e-8, nesterov=true)", a => Transforms.ScaleByAdam(
            a.Number("b1", 0.9), a.Number("b2", 0.999), a.Number("eps", 1e-8), a.Number("eps_root", 0), nesterov: a.Bool("nesterov", false),
            stepCounting: StepCounts.FromSpec(a)));
        r.Register("scale_by_adam_row_mean", "scale_by_adam_row_mean(b1=0.9, b2=0.999, eps=1e-8): Adam with one second moment per row (row mean of g², Adam-mini style)", "scale_by_adam_row_mean(b1=0.8, b2=0.99, eps=1e-6)", a =>
            Transforms.ScaleByAdamRowMean(a.Number("b1", 0.9), a.Number("b2", 0.999), a.Number("eps", 1e-8)));
        r.Register("add_decayed_weights", "add_decayed_weights(weight_decay=0): u += weight_decay * params", "add_decayed_weights(weight_decay=0.1)", a =>
            Transforms.AddDecayedWeights(a.Schedule("weight_decay", 0)));
        r.Register("trace", "trace(decay, nesterov=false, dampening=0, step_count='per_tensor'): momentum", "trace(decay=0.8, nesterov=true)", a =>
            Transforms.Trace(Required(a, "decay"), a.Bool("nesterov", false), a.Number("dampening", 0), StepCounts.FromSpec(a)));
        r.Register("clip", "clip(max_delta): clip each element to [-max_delta, max_delta]", "clip(max_delta=0.1)", a => Transforms.ClipByValue(Required(a, "max_delta")));
        r.Register("clip_by_value", "clip_by_value(clip_value): as torch.nn.utils.clip_grad_value_", "clip_by_value(clip_value=0.2)", a => Transforms.ClipByValue(Required(a, "clip_value")));
        r.Register("clip_by_norm", "clip_by_norm(max_norm): clip each tensor by its own L2 norm", "clip_by_norm(max_norm=0.5)", a => Transforms.ClipByNorm(Required(a, "max_norm")));
        r.Register("clip_by_global_norm", "clip_by_global_norm(max_norm): clip all updates by their global L2 norm", "clip_by_global_norm(max_norm=0.5)", a => Transforms.ClipByGlobalNorm(Required(a, "max_norm")));
    }

    /// <summary>Reads a required number argument.</summary>
    internal static double Required(SpecArguments a, string key) =>
        a.OptionalNumber(key) ?? throw SpecBinding.Missing(a, [key]);

    /// <summary>Reads the learning rate under Optax's name <c>learning_rate</c> or the short <c>lr</c>.</summary>
    internal static Schedule LearningRate(SpecArguments a, double? defaultValue)
    {
        string[] names = ["learning_rate", "lr"];
        return SpecBinding.ReadAliased(a, names, key => a.OptionalSchedule(key)!)
            ?? (defaultValue is { } d ? Schedule.Constant(d) : throw SpecBinding.Missing(a, names));
    }
}
