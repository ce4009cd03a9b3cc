using System.Text.RegularExpressions;

namespace Momentum.Specs;

/// <summary>Spec names for Optax's contrib optimizers, and for the combinators and wrappers (<c>apply_if_finite</c>, <c>multi_steps</c>, <c>lookahead</c>, ...).</summary>
[SpecProvider]
internal static class ContribSpecs
{
    public static void Register(SpecRegistry r)
    {
        RegisterOptimizers(r);
        RegisterLearningRateFree(r);
        RegisterBlocks(r);
        RegisterWrappers(r);
    }

    private static void RegisterOptimizers(SpecRegistry r)
    {
        r.Register<AdoptOptions>("adopt", "optax.contrib.adopt", "adopt(learning_rate=0.01, b1=0.8, nesterov=true)", Optimizers.Adopt);
        r.Register<AdemamixOptions>("ademamix", "optax.contrib.ademamix", "ademamix(learning_rate=0.01, b3=0.99, alpha=3, weight_decay=0.01)", Optimizers.Ademamix);
        r.Register<SimplifiedAdemamixOptions>("simplified_ademamix", "optax.contrib.simplified_ademamix", "simplified_ademamix(learning_rate=0.01, alpha=2, weight_decay=0.01)", Optimizers.SimplifiedAdemamix);
        r.Register<ScheduleFreeSgdOptions>("schedule_free_sgd", "optax.contrib.schedule_free_sgd", "schedule_free_sgd(learning_rate=0.5, warmup_steps=2, b1=0.8, weight_decay=0.01)", Optimizers.ScheduleFreeSgd);
        r.Register<ScheduleFreeAdamWOptions>("schedule_free_adamw", "optax.contrib.schedule_free_adamw", "schedule_free_adamw(learning_rate=0.01, warmup_steps=2, b1=0.8, weight_decay=0.01)", Optimizers.ScheduleFreeAdamW);
    }

    private static void RegisterLearningRateFree(SpecRegistry r)
    {
        r.Register<DAdaptAdamWOptions>("dadapt_adamw", "optax.contrib.dadapt_adamw", "dadapt_adamw(learning_rate=1.0, betas=(0.8, 0.99), estim_lr0=1e-5, weight_decay=0.01)", o => Optimizers.DAdaptAdamW(o));
        r.Register<ProdigyOptions>("prodigy", "optax.contrib.prodigy", "prodigy(learning_rate=1.0, betas=(0.8, 0.99), estim_lr0=1e-5, weight_decay=0.01)", o => Optimizers.Prodigy(o));
        r.Register<DogOptions>("dog", "optax.contrib.dog", "dog(learning_rate=1.0, init_step=('heuristic', 1e-5), weight_decay=0.01)", (a, o) =>
        {
            var (kind, value) = InitStep(a, o.InitStep, o.InitStepValue);
            return Optimizers.Dog(o with { InitStep = kind, InitStepValue = value });
        });
        r.Register<CocobOptions>("cocob", "optax.contrib.cocob", "cocob(learning_rate=1.0, alpha=50, weight_decay=0.01)", Optimizers.Cocob);
        r.Register("scale_by_cocob", "scale_by_cocob(alpha=100, eps=1e-8)", "scale_by_cocob(alpha=50)", a => Transforms.ScaleByCocob(a.Number("alpha", 100), a.Number("eps", 1e-8)));
        r.Register<MuonOptions>("muon", "optax.contrib.muon", "muon(learning_rate=0.02)", (a, o) => Optimizers.Muon(o with { NsCoefficients = NsCoefficients(a, o.NsCoefficients) }), "ns_coeffs may also be \"standard\" or \"dion\"");
        r.Register("scale_by_muon", "scale_by_muon(ns_coeffs=\"standard\", ns_steps=5, beta=0.95, eps=1e-8, nesterov=true, adaptive=false): each parameter as its rows × row-length matrix", "scale_by_muon(ns_steps=3, beta=0.9)", a =>
            Transforms.ScaleByMuon(NsCoefficients(a, Transforms.MuonStandardCoefficients), SpecBinding.ReadInt(a, "ns_steps", 5), a.Number("beta", 0.95), a.Number("eps", 1e-8), a.Bool("nesterov", true), a.Bool("adaptive", false)));
        r.Register("scale_by_shape", "scale_by_shape(consistent_rms=none): sqrt(max(1, fan_out/fan_in))", "scale_by_shape(consistent_rms=0.2)", a => Transforms.ScaleByShape(a.OptionalNumber("consistent_rms")));
        r.Register<DowgOptions>("dowg", "optax.contrib.dowg", "dowg(learning_rate=1.0, eps=1e-3, weight_decay=0.01)", Optimizers.Dowg);
    }

    /// <summary>Reads <c>ns_coeffs</c>: a triple, a list of triples, or a preset name; <paramref name="defaultValue"/> when absent.</summary>
    private static IReadOnlyList<(double A, double B, double C)> NsCoefficients(SpecArguments a, IReadOnlyList<(double A, double B, double C)> defaultValue)
    {
        var raw = a.Raw("ns_coeffs");
        switch (raw)
        {
            case null:
                return defaultValue;
            case SpecString name:
                try
                {
                    return Optimizers.MuonPreset(name.Value);
                }
                catch (ArgumentException e)
                {
                    throw new SpecException(name.Position, e.Message.Split(" (Parameter")[0]);
                }
            case SpecList { Items: [SpecNumber x, SpecNumber y, SpecNumber z] }:
                return [(x.Value, y.Value, z.Value)];
            case SpecList list when list.Items.All(i => i is SpecList { Items: [SpecNumber, SpecNumber, SpecNumber] }):
                return [.. list.Items.Cast<SpecList>().Select(t => (((SpecNumber)t.Items[0]).Value, ((SpecNumber)t.Items[1]).Value, ((SpecNumber)t.Items[2]).Value))];
            default:
                throw new SpecException(raw.Position, $"ns_coeffs of '{a.Name}' must be a triple, a list of triples, or \"standard\"/\"dion\"");
        }
    }

    /// <summary>Reads <c>init_step</c>, a pair such as <c>("heuristic", 1e-6)</c>; the given defaults when absent.</summary>
    private static (DogInitStep Kind, double Value) InitStep(SpecArguments a, DogInitStep defaultKind, double defaultValue)
    {
        var raw = a.Raw("init_step");
        if (raw is null) return (defaultKind, defaultValue);
        if (raw is SpecList { Items: [SpecString tag, SpecNumber value] })
        {
            foreach (var kind in Enum.GetValues<DogInitStep>())
                if (SpecBinding.SnakeCase(kind.ToString()) == tag.Value) return (kind, value.Value);
            throw new SpecException(tag.Position, $"init_step of '{a.Name}' must be \"heuristic\", \"distance\" or \"learning_rate\"; got \"{tag.Value}\"");
        }
        throw new SpecException(raw.Position, $"init_step of '{a.Name}' must be a pair such as (\"heuristic\", 1e-6)");
    }

    private static void RegisterBlocks(SpecRegistry r)
    {
        r.Register("scale_by_adopt", "scale_by_adopt(b1=0.9, b2=0.9999, eps=1e-6, nesterov=false, use_clipping=true)", "scale_by_adopt(b1=0.8, use_clipping=false)", a => Transforms.ScaleByAdopt(
            a.Number("b1", 0.9), a.Number("b2", 0.9999), a.Number("eps", 1e-6), a.Bool("nesterov", false), a.Bool("use_clipping", true)));
        r.Register("scale_by_ademamix", "scale_by_ademamix(b1=0.9, b2=0.999, b3=0.9999, alpha=6.0, eps=1e-8, eps_root=0)", "scale_by_ademamix(b3=0.99, alpha=3)", a => Transforms.ScaleByAdemamix(
            a.Number("b1", 0.9), a.Number("b2", 0.999), a.Schedule("b3", 0.9999), a.Schedule("alpha", 6.0), a.Number("eps", 1e-8), a.Number("eps_root", 0)));
        r.Register("scale_by_simplified_ademamix", "scale_by_simplified_ademamix(b1=0.99, b2=0.95, alpha=0, eps=1e-8, eps_root=0)", "scale_by_simplified_ademamix(b1=0.9, alpha=2)", a => Transforms.ScaleBySimplifiedAdemamix(
            a.Number("b1", 0.99), a.Number("b2", 0.95), a.Number("alpha", 0), a.Number("eps", 1e-8), a.Number("eps_root", 0)));
        r.Register("reduce_on_plateau", "optax.contrib.reduce_on_plateau(factor=0.1, patience=10, rtol=1e-4, atol=0, cooldown=0, accumulation_size=1, min_scale=0): needs the loss", "reduce_on_plateau(factor=0.5, patience=1, accumulation_size=2)", a =>
            Transforms.ReduceOnPlateau(a.Number("factor", 0.1), (int)a.Integer("patience", 10), a.Number("rtol", 1e-4), a.Number("atol", 0),
                (int)a.Integer("cooldown", 0), (int)a.Integer("accumulation_size", 1), a.Number("min_scale", 0)));
        r.Register("set_to_zero", "set_to_zero(): every update becomes 0", "set_to_zero()", _ => Transforms.SetToZero());
        r.Register("centralize", "centralize(): subtract each row's mean (rank > 1)", "centralize()", _ => Transforms.Centralize());
        r.Register("keep_params_nonnegative", "keep_params_nonnegative(): clip updates so params stay >= 0 (use last)", "keep_params_nonnegative()", _ => Transforms.KeepParamsNonnegative());
        r.Register("zero_nans", "zero_nans(): replace NaN updates by 0", "zero_nans()", _ => Transforms.ZeroNans());
        r.Register("clip_by_block_rms", "clip_by_block_rms(threshold): u / max(1, rms(u)/threshold) per tensor", "clip_by_block_rms(threshold=0.1)", a => Transforms.ClipByBlockRms(FoundationSpecs.Required(a, "threshold")));
        r.Register("adaptive_grad_clip", "adaptive_grad_clip(clipping, eps=1e-3): unit-wise (per row) clipping relative to the parameter norm", "adaptive_grad_clip(clipping=0.1, eps=1e-2)", a =>
            Transforms.AdaptiveGradClip(FoundationSpecs.Required(a, "clipping"), a.Number("eps", 1e-3)));
        r.Register("freeze", "freeze(mask=\"regex\"): zero the updates of parameters whose name matches", "freeze(mask='bias$')", a => Transforms.Freeze(Mask(a, "mask")));
        r.Register("masked", "masked(inner, mask=\"regex\"): apply inner to parameters whose name matches; others pass through", "masked(adam(lr=0.01), mask='weight$')", a =>
        {
            var inner = Inner(a, "inner");
            return Transforms.Masked(inner, Mask(a, "mask"));
        });
        r.Register("selective_transform", "selective_transform(optimizer, freeze_mask=\"regex\"): frozen parameters get zero updates and no state", "selective_transform(adamw(lr=0.01), freeze_mask='^embed')", a =>
        {
            var inner = Inner(a, "optimizer");
            return Transforms.SelectiveTransform(inner, Mask(a, "freeze_mask"));
        });
    }

    private static void RegisterWrappers(SpecRegistry r)
    {
        r.Register("apply_if_finite", "apply_if_finite(inner, max_consecutive_errors): skip steps whose updates are not finite", "apply_if_finite(adam(lr=0.01), max_consecutive_errors=2)", a =>
        {
            var inner = Inner(a, "inner");
            return Transforms.ApplyIfFinite(inner, RequiredInt(a, "max_consecutive_errors"));
        });
        r.Register("multi_steps", "multi_steps(opt, every_k_schedule, use_grad_mean=true): gradient accumulation over k calls", "multi_steps(adamw(lr=0.01), every_k_schedule=2)", a =>
        {
            var inner = Inner(a, "opt");
            return Transforms.MultiSteps(inner, RequiredInt(a, "every_k_schedule"), a.Bool("use_grad_mean", true));
        });
        r.Register("lookahead", "lookahead(fast_optimizer, sync_period, slow_step_size, reset_state=false)", "lookahead(adam(lr=0.01), sync_period=2, slow_step_size=0.5)", a =>
        {
            var inner = Inner(a, "fast_optimizer");
            return Transforms.Lookahead(inner, RequiredInt(a, "sync_period"), FoundationSpecs.Required(a, "slow_step_size"), a.Bool("reset_state", false));
        });
        r.Register("flatten", "flatten(inner): the identity wrapper (small tensors are already packed together by the engine)", "flatten(sgd(lr=0.05, momentum=0.9))", a => Transforms.Flatten(Inner(a, "inner")));
        r.Register("schedule_free", "optax.contrib.schedule_free(base_optimizer, learning_rate, b1=0.9, weight_lr_power=2)", "schedule_free(sgd(lr=0.1), learning_rate=0.1, b1=0.8)", a =>
        {
            var inner = Inner(a, "base_optimizer");
            return Optimizers.ScheduleFree(inner, FoundationSpecs.LearningRate(a, null), a.Number("b1", 0.9), a.Number("weight_lr_power", 2.0));
        });
    }

    /// <summary>Reads the one nested transformation, given positionally or under <paramref name="key"/>.</summary>
    internal static GradientTransformation Inner(SpecArguments a, string key)
    {
        var byKey = a.OptionalTransformation(key);
        var positional = a.PositionalTransformations();
        if (byKey is not null && positional.Count > 0) throw new SpecException(a.Position, $"'{a.Name}' takes its transformation positionally or as '{key}', not both");
        if (byKey is not null) return byKey;
        if (positional.Count != 1) throw new SpecException(a.Position, $"'{a.Name}' needs exactly one transformation (positionally or as '{key}'); got {positional.Count}");
        return positional[0];
    }

    private static int RequiredInt(SpecArguments a, string key) => a.Has(key) ? SpecBinding.ReadInt(a, key) : throw SpecBinding.Missing(a, [key]);

    /// <summary>Reads a mask as a regular expression matched against parameter names.</summary>
    private static Func<Parameter, bool> Mask(SpecArguments a, string key)
    {
        var pattern = a.String(key, null) ?? throw new SpecException(a.Position, $"'{a.Name}' needs the argument '{key}' (a quoted regular expression over parameter names)");
        Regex regex;
        try
        {
            regex = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException e)
        {
            throw new SpecException(a.Position, $"argument '{key}' of '{a.Name}' is not a valid regular expression: {e.Message}");
        }
        return p => regex.IsMatch(p.Name);
    }
}
