namespace Momentum.Specs;

/// <summary>Spec names for the rest of torch.optim: rmsprop, adagrad, adadelta, adamax, nadam, radam, rprop, asgd.</summary>
[SpecProvider]
internal static class TorchOptimizerSpecs
{
    public static void Register(SpecRegistry r)
    {
        r.Register<RmsPropOptions>("rmsprop", "torch.optim.RMSprop", "rmsprop(lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.01, momentum=0.5, centered=true)", Optimizers.RmsProp);
        r.Register<AdagradOptions>("adagrad", "torch.optim.Adagrad", "adagrad(lr=0.05, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1)", Optimizers.Adagrad);
        r.Register<AdadeltaOptions>("adadelta", "torch.optim.Adadelta", "adadelta(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.01)", Optimizers.Adadelta);
        r.Register<AdamaxOptions>("adamax", "torch.optim.Adamax", "adamax(lr=0.01, betas=(0.8, 0.99), weight_decay=0.01)", Optimizers.Adamax);
        r.Register<NAdamOptions>("nadam", "torch.optim.NAdam", "nadam(lr=0.01, betas=(0.8, 0.99), weight_decay=0.01, momentum_decay=0.005, decoupled_weight_decay=true)", Optimizers.NAdam);
        r.Register<RAdamOptions>("radam", "torch.optim.RAdam", "radam(lr=0.01, betas=(0.8, 0.99), weight_decay=0.01, decoupled_weight_decay=true)", Optimizers.RAdam);
        r.Register<RpropOptions>("rprop", "torch.optim.Rprop", "rprop(lr=0.02, etas=(0.4, 1.3), step_sizes=(1e-5, 10))", Optimizers.Rprop);
        r.Register<AsgdOptions>("asgd", "torch.optim.ASGD", "asgd(lr=0.02, lambd=1e-3, alpha=0.7, t0=3, weight_decay=0.01)", Optimizers.Asgd);
    }
}
