namespace Momentum.Specs;

/// <summary>Spec names for the rest of torch.optim: rmsprop, adagrad, adadelta, adamax, nadam, radam, rprop, asgd.</summary>
[SpecProvider]
internal static class TorchOptimizerSpecs
{
    public static void Register(SpecRegistry r)
    {
        r.Register("rmsprop", "torch.optim.RMSprop(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=false, maximize=false)", "rmsprop(lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.01, momentum=0.5, centered=true)",
            a => Optimizers.RmsProp(new RmsPropOptions
            {
                LearningRate = a.Schedule("lr", 1e-2),
                Alpha = a.Number("alpha", 0.99),
                Epsilon = a.Number("eps", 1e-8),
                WeightDecay = a.Number("weight_decay", 0),
                Momentum = a.Number("momentum", 0),
                Centered = a.Bool("centered", false),
                Maximize = a.Bool("maximize", false),
            }));
        r.Register("adagrad", "torch.optim.Adagrad(lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, maximize=false)", "adagrad(lr=0.05, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1)",
            a => Optimizers.Adagrad(new AdagradOptions
            {
                LearningRate = a.Schedule("lr", 1e-2),
                LearningRateDecay = a.Number("lr_decay", 0),
                WeightDecay = a.Number("weight_decay", 0),
                InitialAccumulatorValue = a.Number("initial_accumulator_value", 0),
                Epsilon = a.Number("eps", 1e-10),
                Maximize = a.Bool("maximize", false),
            }));
        r.Register("adadelta", "torch.optim.Adadelta(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=false)", "adadelta(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.01)",
            a => Optimizers.Adadelta(new AdadeltaOptions
            {
                LearningRate = a.Schedule("lr", 1.0),
                Rho = a.Number("rho", 0.9),
                Epsilon = a.Number("eps", 1e-6),
                WeightDecay = a.Number("weight_decay", 0),
                Maximize = a.Bool("maximize", false),
            }));
        r.Register("adamax", "torch.optim.Adamax(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, maximize=false)", "adamax(lr=0.01, betas=(0.8, 0.99), weight_decay=0.01)", a =>
        {
            var betas = a.Numbers("betas", [0.9, 0.999]);
            return Optimizers.Adamax(new AdamaxOptions
            {
                LearningRate = a.Schedule("lr", 2e-3),
                Beta1 = betas[0],
                Beta2 = betas[1],
                Epsilon = a.Number("eps", 1e-8),
                WeightDecay = a.Number("weight_decay", 0),
                Maximize = a.Bool("maximize", false),
            });
        });
        r.Register("nadam", "torch.optim.NAdam(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3, decoupled_weight_decay=false, maximize=false)", "nadam(lr=0.01, betas=(0.8, 0.99), weight_decay=0.01, momentum_decay=0.005, decoupled_weight_decay=true)", a =>
        {
            var betas = a.Numbers("betas", [0.9, 0.999]);
            return Optimizers.NAdam(new NAdamOptions
            {
                LearningRate = a.Schedule("lr", 2e-3),
                Beta1 = betas[0],
                Beta2 = betas[1],
                Epsilon = a.Number("eps", 1e-8),
                WeightDecay = a.Number("weight_decay", 0),
                MomentumDecay = a.Number("momentum_decay", 4e-3),
                DecoupledWeightDecay = a.Bool("decoupled_weight_decay", false),
                Maximize = a.Bool("maximize", false),
            });
        });
        r.Register("radam", "torch.optim.RAdam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=false, maximize=false)", "radam(lr=0.01, betas=(0.8, 0.99), weight_decay=0.01, decoupled_weight_decay=true)", a =>
        {
            var betas = a.Numbers("betas", [0.9, 0.999]);
            return Optimizers.RAdam(new RAdamOptions
            {
                LearningRate = a.Schedule("lr", 1e-3),
                Beta1 = betas[0],
                Beta2 = betas[1],
                Epsilon = a.Number("eps", 1e-8),
                WeightDecay = a.Number("weight_decay", 0),
                DecoupledWeightDecay = a.Bool("decoupled_weight_decay", false),
                Maximize = a.Bool("maximize", false),
            });
        });
        r.Register("rprop", "torch.optim.Rprop(lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize=false)", "rprop(lr=0.02, etas=(0.4, 1.3), step_sizes=(1e-5, 10))", a =>
        {
            var etas = a.Numbers("etas", [0.5, 1.2]);
            var stepSizes = a.Numbers("step_sizes", [1e-6, 50]);
            return Optimizers.Rprop(new RpropOptions
            {
                LearningRate = a.Number("lr", 1e-2),
                EtaMinus = etas[0],
                EtaPlus = etas[1],
                MinStepSize = stepSizes[0],
                MaxStepSize = stepSizes[1],
                Maximize = a.Bool("maximize", false),
            });
        });
        r.Register("asgd", "torch.optim.ASGD(lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, maximize=false)", "asgd(lr=0.02, lambd=1e-3, alpha=0.7, t0=3, weight_decay=0.01)",
            a => Optimizers.Asgd(new AsgdOptions
            {
                LearningRate = a.Schedule("lr", 1e-2),
                Lambd = a.Number("lambd", 1e-4),
                Alpha = a.Number("alpha", 0.75),
                T0 = a.Number("t0", 1e6),
                WeightDecay = a.Number("weight_decay", 0),
                Maximize = a.Bool("maximize", false),
            }));
    }
}
