namespace Momentum.Specs;

/// <summary>
/// Spec names for Optax's aliases and building blocks, with Optax's argument names and defaults (<c>lr</c> is accepted
/// for <c>learning_rate</c>). Optax's versions of optimizers whose plain names belong to torch.optim are registered
/// with an <c>optax.</c> prefix (<c>optax.adam</c>, <c>optax.rmsprop</c>, ...).
/// </summary>
[SpecProvider]
internal static class OptaxSpecs
{
    public static void Register(SpecRegistry r)
    {
        RegisterAliases(r);
        RegisterOptaxVersions(r);
        RegisterBuildingBlocks(r);
    }

    private static void RegisterAliases(SpecRegistry r)
    {
        r.Register<AcPropOptions>("acprop", "optax.contrib.acprop", "acprop(learning_rate=0.01, b1=0.8, b2=0.99, weight_decay=0.01)", Optimizers.AcProp);
        r.Register<AdaBeliefOptions>("adabelief", "optax.adabelief", "adabelief(learning_rate=0.01, b1=0.8, b2=0.99, weight_decay=0.01, nesterov=true)", Optimizers.AdaBelief);
        r.Register<AdafactorOptions>("adafactor", "optax.adafactor", "adafactor(learning_rate=0.01, min_dim_size_to_factor=16, decay_rate=0.7, momentum=0.9, weight_decay_rate=0.01)", Optimizers.Adafactor);
        r.Register<AdamaxWOptions>("adamaxw", "optax.adamaxw", "adamaxw(learning_rate=0.01, b1=0.8, weight_decay=0.01)", Optimizers.AdamaxW);
        r.Register<AdanOptions>("adan", "optax.adan", "adan(learning_rate=0.01, b1=0.9, b2=0.9, b3=0.95, weight_decay=0.01)", Optimizers.Adan);
        r.Register<AmsgradOptions>("amsgrad", "optax.amsgrad", "amsgrad(learning_rate=0.01, b1=0.8, b2=0.99)", Optimizers.Amsgrad);
        r.Register<FromageOptions>("fromage", "optax.fromage", "fromage(learning_rate=0.01, min_norm=1e-5)", Optimizers.Fromage);
        r.Register<LambOptions>("lamb", "optax.lamb", "lamb(learning_rate=0.01, b1=0.8, weight_decay=0.01)", Optimizers.Lamb);
        r.Register<LarsOptions>("lars", "optax.lars", "lars(learning_rate=0.5, weight_decay=0.01, trust_coefficient=0.01, momentum=0.8, nesterov=true)", Optimizers.Lars);
        r.Register<LionOptions>("lion", "optax.lion", "lion(learning_rate=0.001, b1=0.8, b2=0.95, weight_decay=0.01)", Optimizers.Lion);
        r.Register<OptaxAdamWOptions>("nadamw", "optax.nadamw", "nadamw(learning_rate=0.01, b1=0.8, weight_decay=0.01)", Optimizers.NAdamW, excluded: [nameof(OptaxAdamWOptions.Nesterov)]);
        r.Register<NoisySgdOptions>("noisy_sgd", "optax.noisy_sgd", "noisy_sgd(learning_rate=0.01, eta=0.02, gamma=0.5, seed=7)", Optimizers.NoisySgd, "deterministic counter-based noise");
        r.Register<NovogradOptions>("novograd", "optax.novograd", "novograd(learning_rate=0.01, b1=0.8, b2=0.3, weight_decay=0.01)", Optimizers.Novograd);
        r.Register<OptimisticGradientDescentOptions>("optimistic_gradient_descent", "optax.optimistic_gradient_descent", "optimistic_gradient_descent(learning_rate=0.01, alpha=0.7, beta=0.3)", Optimizers.OptimisticGradientDescent);
        r.Register<OptimisticGradientDescentOptions>("optimistic_gd", "optimistic_gd", "optimistic_gd(learning_rate=0.02, alpha=0.5, beta=0.5)", Optimizers.OptimisticGradientDescent, "short name of optimistic_gradient_descent");
        r.Register<OptimisticAdamOptions>("optimistic_adam", "optax.optimistic_adam_v2", "optimistic_adam(learning_rate=0.01, alpha=0.8, beta=0.5, b1=0.8, nesterov=false)", Optimizers.OptimisticAdam);
        r.Register<OptimisticAdamOptions>("optimistic_adam_v2", "optimistic_adam_v2", "optimistic_adam_v2(learning_rate=0.01, alpha=0.5, b2=0.99)", Optimizers.OptimisticAdam, "the same as optimistic_adam");
        r.Register<PolyakSgdOptions>("polyak_sgd", "optax.polyak_sgd", "polyak_sgd(max_learning_rate=0.5, scaling=0.5, f_min=-1, eps=1e-6, variant='sps+')", Optimizers.PolyakSgd, "needs the loss");
        r.Register<SignSgdOptions>("sign_sgd", "optax.sign_sgd", "sign_sgd(learning_rate=0.01)", Optimizers.SignSgd);
        r.Register<SignumOptions>("signum", "optax.signum", "signum(learning_rate=0.01, beta=0.8)", Optimizers.Signum);
        r.Register<Sm3Options>("sm3", "optax.sm3", "sm3(learning_rate=0.05, momentum=0.8)", Optimizers.Sm3);
        r.Register<YogiOptions>("yogi", "optax.yogi", "yogi(learning_rate=0.01, b1=0.8, eps=1e-4)", Optimizers.Yogi);
    }

    private static void RegisterOptaxVersions(SpecRegistry r)
    {
        r.Register<OptaxSgdOptions>("optax.sgd", "optax.sgd", "optax.sgd(learning_rate=0.05, momentum=0.9, nesterov=true)", Optimizers.OptaxSgd);
        r.Register<OptaxAdamOptions>("optax.adam", "optax.adam", "optax.adam(learning_rate=0.01, b1=0.8, eps_root=1e-8, nesterov=true)", Optimizers.OptaxAdam);
        r.Register<OptaxAdamWOptions>("optax.adamw", "optax.adamw", "optax.adamw(learning_rate=0.01, b1=0.8, weight_decay=0.01)", Optimizers.OptaxAdamW);
        r.Register<OptaxAdamOptions>("optax.nadam", "optax.nadam", "optax.nadam(learning_rate=0.01, b1=0.8)", Optimizers.OptaxNAdam, excluded: [nameof(OptaxAdamOptions.Nesterov)]);
        r.Register<OptaxRadamOptions>("optax.radam", "optax.radam", "optax.radam(learning_rate=0.01, threshold=4)", Optimizers.OptaxRadam);
        r.Register<OptaxRmsPropOptions>("optax.rmsprop", "optax.rmsprop", "optax.rmsprop(learning_rate=0.01, decay=0.8, initial_scale=0.1, centered=true, momentum=0.5)", Optimizers.OptaxRmsProp);
        r.Register<OptaxAdagradOptions>("optax.adagrad", "optax.adagrad", "optax.adagrad(learning_rate=0.05, initial_accumulator_value=0.2)", Optimizers.OptaxAdagrad);
        r.Register<OptaxAdadeltaOptions>("optax.adadelta", "optax.adadelta", "optax.adadelta(learning_rate=0.5, rho=0.8, weight_decay=0.01)", Optimizers.OptaxAdadelta, "descends with lr 1 by default");
        r.Register<OptaxAdamaxOptions>("optax.adamax", "optax.adamax", "optax.adamax(learning_rate=0.01, b1=0.8)", Optimizers.OptaxAdamax);
        r.Register<OptaxRpropOptions>("optax.rprop", "optax.rprop", "optax.rprop(learning_rate=0.02, eta_minus=0.4, eta_plus=1.3)", Optimizers.OptaxRprop);
    }

    private static void RegisterBuildingBlocks(SpecRegistry r)
    {
        r.Register("scale_by_factored_rms", "scale_by_factored_rms(factored=true, decay_rate=0.8, step_offset=0, min_dim_size_to_factor=128, epsilon=1e-30)", "scale_by_factored_rms(decay_rate=0.7, min_dim_size_to_factor=16)", a => Transforms.ScaleByFactoredRms(
            a.Bool("factored", true), a.Number("decay_rate", 0.8), a.Integer("step_offset", 0), (int)Math.Min(a.Integer("min_dim_size_to_factor", 128), int.MaxValue), a.Number("epsilon", 1e-30)));
        r.Register("scale_by_belief", "scale_by_belief(b1=0.9, b2=0.999, eps=1e-16, eps_root=1e-16, nesterov=false)", "scale_by_belief(b1=0.8, b2=0.99)", a => Transforms.ScaleByBelief(
            a.Number("b1", 0.9), a.Number("b2", 0.999), a.Number("eps", 1e-16), a.Number("eps_root", 1e-16), a.Bool("nesterov", false)));
        r.Register("scale_by_acprop", "scale_by_acprop(b1=0.9, b2=0.999, eps=1e-16, eps_root=1e-16, step_count='per_tensor')", "scale_by_acprop(b1=0.8, b2=0.99)", a => Transforms.ScaleByAcProp(
            a.Number("b1", 0.9), a.Number("b2", 0.999), a.Number("eps", 1e-16), a.Number("eps_root", 1e-16), StepCounts.FromSpec(a)));
        r.Register("scale_by_optimistic_gradient", "scale_by_optimistic_gradient(alpha=1, beta=1)", "scale_by_optimistic_gradient(alpha=0.7, beta=0.3)", a => Transforms.ScaleByOptimisticGradient(
            a.Number("alpha", 1), a.Number("beta", 1)));
        r.Register("scale_by_lion", "scale_by_lion(b1=0.9, b2=0.99, mode='hard'|'refined')", "scale_by_lion(b1=0.8, b2=0.95, mode='refined')", a => Transforms.ScaleByLion(a.Number("b1", 0.9), a.Number("b2", 0.99), a.String("mode", "hard")!));
        r.Register("scale_by_amsgrad", "scale_by_amsgrad(b1=0.9, b2=0.999, eps=1e-8, eps_root=0, bias_correction_mu=true, bias_correction_nu=true)", "scale_by_amsgrad(b1=0.8, b2=0.99, bias_correction_nu=false)", a => Transforms.ScaleByAmsgrad(
            a.Number("b1", 0.9), a.Number("b2", 0.999), a.Number("eps", 1e-8), a.Number("eps_root", 0), a.Bool("bias_correction_mu", true), a.Bool("bias_correction_nu", true)));
        r.Register("scale_by_adan", "scale_by_adan(b1=0.98, b2=0.92, b3=0.99, eps=1e-8, eps_root=0)", "scale_by_adan(b1=0.9, b2=0.9, b3=0.95)", a => Transforms.ScaleByAdan(
            a.Number("b1", 0.98), a.Number("b2", 0.92), a.Number("b3", 0.99), a.Number("eps", 1e-8), a.Number("eps_root", 0)));
        r.Register("scale_by_novograd", "scale_by_novograd(b1=0.9, b2=0.25, eps=1e-8, eps_root=0, weight_decay=0)", "scale_by_novograd(b1=0.8, b2=0.3, weight_decay=0.01)", a => Transforms.ScaleByNovograd(
            a.Number("b1", 0.9), a.Number("b2", 0.25), a.Number("eps", 1e-8), a.Number("eps_root", 0), a.Number("weight_decay", 0)));
        r.Register("scale_by_sm3", "scale_by_sm3(b1=0.9, b2=1, eps=1e-8)", "scale_by_sm3(b1=0.8)", a => Transforms.ScaleBySm3(a.Number("b1", 0.9), a.Number("b2", 1), a.Number("eps", 1e-8)));
        r.Register("scale_by_yogi", "scale_by_yogi(b1=0.9, b2=0.999, eps=1e-3, eps_root=0, initial_accumulator_value=1e-6)", "scale_by_yogi(b1=0.8, eps=1e-4)", a => Transforms.ScaleByYogi(
            a.Number("b1", 0.9), a.Number("b2", 0.999), a.Number("eps", 1e-3), a.Number("eps_root", 0), a.Number("initial_accumulator_value", 1e-6)));
        r.Register("scale_by_rms", "scale_by_rms(decay=0.9, eps=1e-8, initial_scale=0, eps_in_sqrt=true, bias_correction=false)", "scale_by_rms(decay=0.8, eps_in_sqrt=false, bias_correction=true)", a => Transforms.ScaleByRms(
            a.Number("decay", 0.9), a.Number("eps", 1e-8), a.Number("initial_scale", 0), a.Bool("eps_in_sqrt", true), a.Bool("bias_correction", false)));
        r.Register("scale_by_stddev", "scale_by_stddev(decay=0.9, eps=1e-8, initial_scale=0, eps_in_sqrt=true, bias_correction=false)", "scale_by_stddev(decay=0.8, initial_scale=0.1)", a => Transforms.ScaleByStddev(
            a.Number("decay", 0.9), a.Number("eps", 1e-8), a.Number("initial_scale", 0), a.Bool("eps_in_sqrt", true), a.Bool("bias_correction", false)));
        r.Register("scale_by_rss", "scale_by_rss(initial_accumulator_value=0.1, eps=1e-7)", "scale_by_rss(initial_accumulator_value=0.2)", a => Transforms.ScaleByRss(
            a.Number("initial_accumulator_value", 0.1), a.Number("eps", 1e-7)));
        r.Register("scale_by_trust_ratio", "scale_by_trust_ratio(min_norm=0, trust_coefficient=1, eps=0)", "scale_by_trust_ratio(min_norm=1e-6, trust_coefficient=0.5)", a => Transforms.ScaleByTrustRatio(
            a.Number("min_norm", 0), a.Number("trust_coefficient", 1), a.Number("eps", 0)));
        r.Register("scale_by_param_block_norm", "scale_by_param_block_norm(min_scale=1e-3)", "scale_by_param_block_norm(min_scale=1e-2)", a => Transforms.ScaleByParamBlockNorm(a.Number("min_scale", 1e-3)));
        r.Register("scale_by_param_block_rms", "scale_by_param_block_rms(min_scale=1e-3)", "scale_by_param_block_rms(min_scale=1e-2)", a => Transforms.ScaleByParamBlockRms(a.Number("min_scale", 1e-3)));
        r.Register("scale_by_sign", "scale_by_sign(): u = sign(u)", "scale_by_sign()", _ => Transforms.ScaleBySign());
        r.Register("scale_by_polyak", "scale_by_polyak(f_min=0, max_learning_rate=1, eps=0, variant='sps'): needs the loss", "scale_by_polyak(f_min=-1, max_learning_rate=0.5)", a => Transforms.ScaleByPolyak(
            a.Number("f_min", 0), a.Number("max_learning_rate", 1), a.Number("eps", 0), a.String("variant", "sps")!));
        r.Register("scale_by_radam", "scale_by_radam(b1=0.9, b2=0.999, eps=1e-8, eps_root=0, threshold=5, nesterov=false)", "scale_by_radam(b1=0.8, threshold=4)", a => Transforms.ScaleByRadam(
            a.Number("b1", 0.9), a.Number("b2", 0.999), a.Number("eps", 1e-8), a.Number("eps_root", 0), a.Number("threshold", 5), a.Bool("nesterov", false)));
        r.Register("scale_by_adamax", "scale_by_adamax(b1=0.9, b2=0.999, eps=1e-8)", "scale_by_adamax(b1=0.8, b2=0.99)", a => Transforms.ScaleByAdamax(
            a.Number("b1", 0.9), a.Number("b2", 0.999), a.Number("eps", 1e-8)));
        r.Register("scale_by_rprop", "scale_by_rprop(learning_rate, eta_minus=0.5, eta_plus=1.2, min_step_size=1e-6, max_step_size=50)", "scale_by_rprop(learning_rate=0.02, eta_minus=0.4)", a => Transforms.ScaleByRprop(
            FoundationSpecs.Required(a, "learning_rate"), a.Number("eta_minus", 0.5), a.Number("eta_plus", 1.2), a.Number("min_step_size", 1e-6), a.Number("max_step_size", 50)));
        r.Register("scale_by_adadelta", "scale_by_adadelta(rho=0.9, eps=1e-6)", "scale_by_adadelta(rho=0.8)", a => Transforms.ScaleByAdadelta(a.Number("rho", 0.9), a.Number("eps", 1e-6)));
        r.Register("add_noise", "add_noise(eta, gamma, seed=0): annealed Gaussian noise, deterministic", "add_noise(eta=0.01, gamma=0.55, seed=3)", a => Transforms.AddNoise(
            FoundationSpecs.Required(a, "eta"), FoundationSpecs.Required(a, "gamma"), a.Integer("seed", 0)));
        r.Register("ema", "ema(decay, debias=true): exponential moving average of the updates", "ema(decay=0.8, debias=false)", a => Transforms.Ema(
            FoundationSpecs.Required(a, "decay"), a.Bool("debias", true)));
    }
}
