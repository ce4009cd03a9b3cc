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

    private static Schedule Lr(SpecArguments a, double defaultValue) => FoundationSpecs.LearningRate(a, defaultValue);

    private static void RegisterAliases(SpecRegistry r)
    {
        r.Register("acprop", "optax.contrib.acprop(learning_rate=1e-3, b1=0.9, b2=0.999, eps=1e-16, eps_root=1e-16, weight_decay=0, step_count='per_tensor')", "acprop(learning_rate=0.01, b1=0.8, b2=0.99, weight_decay=0.01)", a => Optimizers.AcProp(new AcPropOptions
        {
            LearningRate = Lr(a, 1e-3),
            B1 = a.Number("b1", 0.9),
            B2 = a.Number("b2", 0.999),
            Eps = a.Number("eps", 1e-16),
            EpsRoot = a.Number("eps_root", 1e-16),
            WeightDecay = a.Schedule("weight_decay", 0),
            StepCounting = StepCounts.FromSpec(a),
        }));
        r.Register("adabelief", "optax.adabelief(learning_rate=1e-3, b1=0.9, b2=0.999, eps=1e-16, eps_root=1e-16, weight_decay=0, nesterov=false)", "adabelief(learning_rate=0.01, b1=0.8, b2=0.99, weight_decay=0.01, nesterov=true)", a => Optimizers.AdaBelief(new AdaBeliefOptions
        {
            LearningRate = Lr(a, 1e-3),
            B1 = a.Number("b1", 0.9),
            B2 = a.Number("b2", 0.999),
            Eps = a.Number("eps", 1e-16),
            EpsRoot = a.Number("eps_root", 1e-16),
            WeightDecay = a.Schedule("weight_decay", 0),
            Nesterov = a.Bool("nesterov", false),
        }));
        r.Register("adafactor", "optax.adafactor(learning_rate=none, min_dim_size_to_factor=128, decay_rate=0.8, decay_offset=0, multiply_by_parameter_scale=true, clipping_threshold=1, momentum=none, weight_decay_rate=none, eps=1e-30, factored=true)", "adafactor(learning_rate=0.01, min_dim_size_to_factor=16, decay_rate=0.7, momentum=0.9, weight_decay_rate=0.01)", a =>
        {
            var lr = a.OptionalSchedule("lr");
            var learningRate = a.OptionalSchedule("learning_rate");
            if (lr is not null && learningRate is not null) throw new SpecException(a.Position, "'adafactor' takes lr or learning_rate, not both");
            return Optimizers.Adafactor(new AdafactorOptions
            {
                LearningRate = lr ?? learningRate,
                MinDimSizeToFactor = (int)Math.Min(a.Integer("min_dim_size_to_factor", 128), int.MaxValue),
                DecayRate = a.Number("decay_rate", 0.8),
                DecayOffset = a.Integer("decay_offset", 0),
                MultiplyByParameterScale = a.Bool("multiply_by_parameter_scale", true),
                ClippingThreshold = a.OptionalNumber("clipping_threshold") ?? 1.0,
                Momentum = a.OptionalNumber("momentum"),
                WeightDecayRate = a.OptionalNumber("weight_decay_rate"),
                Eps = a.Number("eps", 1e-30),
                Factored = a.Bool("factored", true),
            });
        });
        r.Register("adamaxw", "optax.adamaxw(learning_rate=1e-3, b1=0.9, b2=0.999, eps=1e-8, weight_decay=1e-4)", "adamaxw(learning_rate=0.01, b1=0.8, weight_decay=0.01)", a => Optimizers.AdamaxW(new AdamaxWOptions
        {
            LearningRate = Lr(a, 1e-3),
            B1 = a.Number("b1", 0.9),
            B2 = a.Number("b2", 0.999),
            Eps = a.Number("eps", 1e-8),
            WeightDecay = a.Schedule("weight_decay", 1e-4),
        }));
        r.Register("adan", "optax.adan(learning_rate=1e-3, b1=0.98, b2=0.92, b3=0.99, eps=1e-8, eps_root=1e-8, weight_decay=0)", "adan(learning_rate=0.01, b1=0.9, b2=0.9, b3=0.95, weight_decay=0.01)", a => Optimizers.Adan(new AdanOptions
        {
            LearningRate = Lr(a, 1e-3),
            B1 = a.Number("b1", 0.98),
            B2 = a.Number("b2", 0.92),
            B3 = a.Number("b3", 0.99),
            Eps = a.Number("eps", 1e-8),
            EpsRoot = a.Number("eps_root", 1e-8),
            WeightDecay = a.Schedule("weight_decay", 0),
        }));
        r.Register("amsgrad", "optax.amsgrad(learning_rate=1e-3, b1=0.9, b2=0.999, eps=1e-8, eps_root=0, bias_correction_mu=true, bias_correction_nu=true)", "amsgrad(learning_rate=0.01, b1=0.8, b2=0.99)", a => Optimizers.Amsgrad(new AmsgradOptions
        {
            LearningRate = Lr(a, 1e-3),
            B1 = a.Number("b1", 0.9),
            B2 = a.Number("b2", 0.999),
            Eps = a.Number("eps", 1e-8),
            EpsRoot = a.Number("eps_root", 0),
            BiasCorrectionMu = a.Bool("bias_correction_mu", true),
            BiasCorrectionNu = a.Bool("bias_correction_nu", true),
        }));
        r.Register("fromage", "optax.fromage(learning_rate=1e-2, min_norm=1e-6)", "fromage(learning_rate=0.01, min_norm=1e-5)", a => Optimizers.Fromage(new FromageOptions
        {
            LearningRate = Lr(a, 1e-2),
            MinNorm = a.Number("min_norm", 1e-6),
        }));
        r.Register("lamb", "optax.lamb(learning_rate=1e-3, b1=0.9, b2=0.999, eps=1e-6, eps_root=0, weight_decay=0)", "lamb(learning_rate=0.01, b1=0.8, weight_decay=0.01)", a => Optimizers.Lamb(new LambOptions
        {
            LearningRate = Lr(a, 1e-3),
            B1 = a.Number("b1", 0.9),
            B2 = a.Number("b2", 0.999),
            Eps = a.Number("eps", 1e-6),
            EpsRoot = a.Number("eps_root", 0),
            WeightDecay = a.Schedule("weight_decay", 0),
        }));
        r.Register("lars", "optax.lars(learning_rate=1.0, weight_decay=0, trust_coefficient=1e-3, eps=0, momentum=0.9, nesterov=false)", "lars(learning_rate=0.5, weight_decay=0.01, trust_coefficient=0.01, momentum=0.8, nesterov=true)", a => Optimizers.Lars(new LarsOptions
        {
            LearningRate = Lr(a, 1.0),
            WeightDecay = a.Schedule("weight_decay", 0),
            TrustCoefficient = a.Number("trust_coefficient", 1e-3),
            Eps = a.Number("eps", 0),
            Momentum = a.Number("momentum", 0.9),
            Nesterov = a.Bool("nesterov", false),
        }));
        r.Register("lion", "optax.lion(learning_rate=1e-4, b1=0.9, b2=0.99, weight_decay=1e-3)", "lion(learning_rate=0.001, b1=0.8, b2=0.95, weight_decay=0.01)", a => Optimizers.Lion(new LionOptions
        {
            LearningRate = Lr(a, 1e-4),
            B1 = a.Number("b1", 0.9),
            B2 = a.Number("b2", 0.99),
            WeightDecay = a.Schedule("weight_decay", 1e-3),
        }));
        r.Register("nadamw", "optax.nadamw(learning_rate=1e-3, b1=0.9, b2=0.999, eps=1e-8, eps_root=0, weight_decay=1e-4)", "nadamw(learning_rate=0.01, b1=0.8, weight_decay=0.01)", a => Optimizers.NAdamW(AdamW(a)));
        r.Register("noisy_sgd", "optax.noisy_sgd(learning_rate=1e-3, eta=0.01, gamma=0.55, seed=0): deterministic counter-based noise", "noisy_sgd(learning_rate=0.01, eta=0.02, gamma=0.5, seed=7)", a => Optimizers.NoisySgd(new NoisySgdOptions
        {
            LearningRate = Lr(a, 1e-3),
            Eta = a.Number("eta", 0.01),
            Gamma = a.Number("gamma", 0.55),
            Seed = a.Integer("seed", 0),
        }));
        r.Register("novograd", "optax.novograd(learning_rate=1e-3, b1=0.9, b2=0.25, eps=1e-6, eps_root=0, weight_decay=0)", "novograd(learning_rate=0.01, b1=0.8, b2=0.3, weight_decay=0.01)", a => Optimizers.Novograd(new NovogradOptions
        {
            LearningRate = Lr(a, 1e-3),
            B1 = a.Number("b1", 0.9),
            B2 = a.Number("b2", 0.25),
            Eps = a.Number("eps", 1e-6),
            EpsRoot = a.Number("eps_root", 0),
            WeightDecay = a.Number("weight_decay", 0),
        }));
        GradientTransformation Ogd(SpecArguments a) => Optimizers.OptimisticGradientDescent(new OptimisticGradientDescentOptions
        {
            LearningRate = Lr(a, 1e-3),
            Alpha = a.Number("alpha", 1),
            Beta = a.Number("beta", 1),
        });
        r.Register("optimistic_gradient_descent", "optax.optimistic_gradient_descent(learning_rate=1e-3, alpha=1, beta=1)", "optimistic_gradient_descent(learning_rate=0.01, alpha=0.7, beta=0.3)", Ogd);
        r.Register("optimistic_gd", "optimistic_gd(...): short name of optimistic_gradient_descent", "optimistic_gd(learning_rate=0.02, alpha=0.5, beta=0.5)", Ogd);
        GradientTransformation OAdam(SpecArguments a) => Optimizers.OptimisticAdam(new OptimisticAdamOptions
        {
            LearningRate = Lr(a, 1e-3),
            Alpha = a.Number("alpha", 1),
            Beta = a.Number("beta", 1),
            B1 = a.Number("b1", 0.9),
            B2 = a.Number("b2", 0.999),
            Eps = a.Number("eps", 1e-8),
            EpsRoot = a.Number("eps_root", 0),
            Nesterov = a.Bool("nesterov", true),
        });
        r.Register("optimistic_adam", "optax.optimistic_adam_v2(learning_rate=1e-3, alpha=1, beta=1, b1=0.9, b2=0.999, eps=1e-8, eps_root=0, nesterov=true)", "optimistic_adam(learning_rate=0.01, alpha=0.8, beta=0.5, b1=0.8, nesterov=false)", OAdam);
        r.Register("optimistic_adam_v2", "optimistic_adam_v2(...): the same as optimistic_adam", "optimistic_adam_v2(learning_rate=0.01, alpha=0.5, b2=0.99)", OAdam);
        r.Register("polyak_sgd", "optax.polyak_sgd(max_learning_rate=1, scaling=1, f_min=0, eps=0, variant='sps'): needs the loss", "polyak_sgd(max_learning_rate=0.5, scaling=0.5, f_min=-1, eps=1e-6, variant='sps+')", a => Optimizers.PolyakSgd(new PolyakSgdOptions
        {
            MaxLearningRate = a.Number("max_learning_rate", 1),
            Scaling = a.Number("scaling", 1),
            FMin = a.Number("f_min", 0),
            Eps = a.Number("eps", 0),
            Variant = a.String("variant", "sps")!,
        }));
        r.Register("sign_sgd", "optax.sign_sgd(learning_rate=1e-3)", "sign_sgd(learning_rate=0.01)", a => Optimizers.SignSgd(new SignSgdOptions { LearningRate = Lr(a, 1e-3) }));
        r.Register("signum", "optax.signum(learning_rate=1e-3, beta=0.9)", "signum(learning_rate=0.01, beta=0.8)", a => Optimizers.Signum(new SignumOptions
        {
            LearningRate = Lr(a, 1e-3),
            Beta = a.Number("beta", 0.9),
        }));
        r.Register("sm3", "optax.sm3(learning_rate=1e-3, momentum=0.9)", "sm3(learning_rate=0.05, momentum=0.8)", a => Optimizers.Sm3(new Sm3Options
        {
            LearningRate = Lr(a, 1e-3),
            Momentum = a.Number("momentum", 0.9),
        }));
        r.Register("yogi", "optax.yogi(learning_rate=1e-3, b1=0.9, b2=0.999, eps=1e-3)", "yogi(learning_rate=0.01, b1=0.8, eps=1e-4)", a => Optimizers.Yogi(new YogiOptions
        {
            LearningRate = Lr(a, 1e-3),
            B1 = a.Number("b1", 0.9),
            B2 = a.Number("b2", 0.999),
            Eps = a.Number("eps", 1e-3),
        }));
    }

    private static OptaxAdamOptions Adam(SpecArguments a) => new()
    {
        LearningRate = Lr(a, 1e-3),
        B1 = a.Number("b1", 0.9),
        B2 = a.Number("b2", 0.999),
        Eps = a.Number("eps", 1e-8),
        EpsRoot = a.Number("eps_root", 0),
    };

    private static OptaxAdamWOptions AdamW(SpecArguments a) => new()
    {
        LearningRate = Lr(a, 1e-3),
        B1 = a.Number("b1", 0.9),
        B2 = a.Number("b2", 0.999),
        Eps = a.Number("eps", 1e-8),
        EpsRoot = a.Number("eps_root", 0),
        WeightDecay = a.Schedule("weight_decay", 1e-4),
    };

    private static void RegisterOptaxVersions(SpecRegistry r)
    {
        r.Register("optax.sgd", "optax.sgd(learning_rate=1e-3, momentum=0, nesterov=false)", "optax.sgd(learning_rate=0.05, momentum=0.9, nesterov=true)", a => Optimizers.OptaxSgd(new OptaxSgdOptions
        {
            LearningRate = Lr(a, 1e-3),
            Momentum = a.Number("momentum", 0),
            Nesterov = a.Bool("nesterov", false),
        }));
        r.Register("optax.adam", "optax.adam(learning_rate=1e-3, b1=0.9, b2=0.999, eps=1e-8, eps_root=0, nesterov=false)", "optax.adam(learning_rate=0.01, b1=0.8, eps_root=1e-8, nesterov=true)", a =>
            Optimizers.OptaxAdam(Adam(a) with { Nesterov = a.Bool("nesterov", false) }));
        r.Register("optax.adamw", "optax.adamw(learning_rate=1e-3, b1=0.9, b2=0.999, eps=1e-8, eps_root=0, weight_decay=1e-4, nesterov=false)", "optax.adamw(learning_rate=0.01, b1=0.8, weight_decay=0.01)", a =>
            Optimizers.OptaxAdamW(AdamW(a) with { Nesterov = a.Bool("nesterov", false) }));
        r.Register("optax.nadam", "optax.nadam(learning_rate=1e-3, b1=0.9, b2=0.999, eps=1e-8, eps_root=0)", "optax.nadam(learning_rate=0.01, b1=0.8)", a => Optimizers.OptaxNAdam(Adam(a)));
        r.Register("optax.radam", "optax.radam(learning_rate=1e-3, b1=0.9, b2=0.999, eps=1e-8, eps_root=0, threshold=5, nesterov=false)", "optax.radam(learning_rate=0.01, threshold=4)", a => Optimizers.OptaxRadam(new OptaxRadamOptions
        {
            LearningRate = Lr(a, 1e-3),
            B1 = a.Number("b1", 0.9),
            B2 = a.Number("b2", 0.999),
            Eps = a.Number("eps", 1e-8),
            EpsRoot = a.Number("eps_root", 0),
            Threshold = a.Number("threshold", 5),
            Nesterov = a.Bool("nesterov", false),
        }));
        r.Register("optax.rmsprop", "optax.rmsprop(learning_rate=1e-3, decay=0.9, eps=1e-8, initial_scale=0, eps_in_sqrt=true, centered=false, momentum=0, nesterov=false, bias_correction=false)", "optax.rmsprop(learning_rate=0.01, decay=0.8, initial_scale=0.1, centered=true, momentum=0.5)", a => Optimizers.OptaxRmsProp(new OptaxRmsPropOptions
        {
            LearningRate = Lr(a, 1e-3),
            Decay = a.Number("decay", 0.9),
            Eps = a.Number("eps", 1e-8),
            InitialScale = a.Number("initial_scale", 0),
            EpsInSqrt = a.Bool("eps_in_sqrt", true),
            Centered = a.Bool("centered", false),
            Momentum = a.Number("momentum", 0),
            Nesterov = a.Bool("nesterov", false),
            BiasCorrection = a.Bool("bias_correction", false),
        }));
        r.Register("optax.adagrad", "optax.adagrad(learning_rate=1e-2, initial_accumulator_value=0.1, eps=1e-7)", "optax.adagrad(learning_rate=0.05, initial_accumulator_value=0.2)", a => Optimizers.OptaxAdagrad(new OptaxAdagradOptions
        {
            LearningRate = Lr(a, 1e-2),
            InitialAccumulatorValue = a.Number("initial_accumulator_value", 0.1),
            Eps = a.Number("eps", 1e-7),
        }));
        r.Register("optax.adadelta", "optax.adadelta(learning_rate=1.0, rho=0.9, eps=1e-6, weight_decay=0): descends with lr 1 by default", "optax.adadelta(learning_rate=0.5, rho=0.8, weight_decay=0.01)", a => Optimizers.OptaxAdadelta(new OptaxAdadeltaOptions
        {
            LearningRate = Lr(a, 1.0),
            Rho = a.Number("rho", 0.9),
            Eps = a.Number("eps", 1e-6),
            WeightDecay = a.Schedule("weight_decay", 0),
        }));
        r.Register("optax.adamax", "optax.adamax(learning_rate=1e-3, b1=0.9, b2=0.999, eps=1e-8)", "optax.adamax(learning_rate=0.01, b1=0.8)", a => Optimizers.OptaxAdamax(new OptaxAdamaxOptions
        {
            LearningRate = Lr(a, 1e-3),
            B1 = a.Number("b1", 0.9),
            B2 = a.Number("b2", 0.999),
            Eps = a.Number("eps", 1e-8),
        }));
        r.Register("optax.rprop", "optax.rprop(learning_rate=1e-2, eta_minus=0.5, eta_plus=1.2, min_step_size=1e-6, max_step_size=50)", "optax.rprop(learning_rate=0.02, eta_minus=0.4, eta_plus=1.3)", a =>
        {
            var lr = Lr(a, 1e-2);
            if (!lr.IsConstant) throw new SpecException(a.Position, "optax.rprop: learning_rate must be a number (the initial step size), not a schedule");
            return Optimizers.OptaxRprop(new OptaxRpropOptions
            {
                LearningRate = lr.Evaluate(0),
                EtaMinus = a.Number("eta_minus", 0.5),
                EtaPlus = a.Number("eta_plus", 1.2),
                MinStepSize = a.Number("min_step_size", 1e-6),
                MaxStepSize = a.Number("max_step_size", 50),
            });
        });
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
