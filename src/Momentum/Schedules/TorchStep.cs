namespace Momentum;

public static partial class Schedules
{
    /// <summary>torch.optim.lr_scheduler.StepLR: decays the learning rate by γ every <paramref name="stepSize"/> steps.</summary>
    /// <param name="lr">η₀, the optimizer's initial learning rate; finite and ≥ 0.</param>
    /// <param name="stepSize">The period of the decay; &gt; 0.</param>
    /// <param name="gamma">γ, the factor (default 0.1).</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is not finite or out of range.</exception>
    /// <remarks><c>η(k) = η₀·γ^⌊k/stepSize⌋</c> (torch's closed form).</remarks>
    public static Schedule StepLR(double lr, long stepSize, double gamma = 0.1)
    {
        ValidateTorchLearningRate(lr);
        Positive(stepSize, "step_size");
        Finite(gamma, nameof(gamma));
        return new StepLRSchedule(lr, stepSize, gamma);
    }

    /// <summary>torch.optim.lr_scheduler.MultiStepLR: decays the learning rate by γ at each milestone.</summary>
    /// <param name="lr">η₀, the optimizer's initial learning rate.</param>
    /// <param name="milestones">The steps at which to decay, ≥ 0 (a repeated milestone decays once per occurrence, as in torch).</param>
    /// <param name="gamma">γ, the factor (default 0.1).</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is not finite or out of range.</exception>
    /// <remarks><c>η(k) = η₀·γ^#{m ∈ milestones : m ≤ k}</c>.</remarks>
    public static Schedule MultiStepLR(double lr, IReadOnlyList<long> milestones, double gamma = 0.1)
    {
        ValidateTorchLearningRate(lr);
        ArgumentNullException.ThrowIfNull(milestones);
        foreach (long m in milestones) NonNegative(m, nameof(milestones));
        Finite(gamma, nameof(gamma));
        return new MultiStepLRSchedule(lr, [.. milestones.Order()], gamma);
    }

    /// <summary>torch.optim.lr_scheduler.ExponentialLR: multiplies the learning rate by γ every step.</summary>
    /// <param name="lr">η₀, the optimizer's initial learning rate.</param>
    /// <param name="gamma">γ, the factor.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is not finite or out of range.</exception>
    /// <remarks><c>η(k) = η₀·γ^k</c>.</remarks>
    public static Schedule ExponentialLR(double lr, double gamma)
    {
        ValidateTorchLearningRate(lr);
        Finite(gamma, nameof(gamma));
        return new ExponentialLRSchedule(lr, gamma);
    }

    /// <summary>torch.optim.lr_scheduler.ConstantLR: the learning rate times a factor for the first steps.</summary>
    /// <param name="lr">η₀, the optimizer's initial learning rate.</param>
    /// <param name="factor">f in [0, 1] (default 1/3).</param>
    /// <param name="totalIters">The number of steps at the reduced rate (default 5).</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is not finite or out of range.</exception>
    /// <remarks><c>η(k) = η₀·f</c> for <c>k &lt; totalIters</c>, else η₀.</remarks>
    public static Schedule ConstantLR(double lr, double factor = 1.0 / 3, long totalIters = 5)
    {
        ValidateTorchLearningRate(lr);
        if (!double.IsFinite(factor) || factor > 1.0 || factor < 0)
            throw new ArgumentOutOfRangeException(nameof(factor), "Constant multiplicative factor expected to be between 0 and 1.");
        NonNegative(totalIters, "total_iters");
        return new TorchFactorSchedule(lr, TorchFactorKind.Constant, factor, factor, totalIters, 1);
    }

    /// <summary>torch.optim.lr_scheduler.LinearLR: the factor ramps linearly from <paramref name="startFactor"/> to <paramref name="endFactor"/>.</summary>
    /// <param name="lr">η₀, the optimizer's initial learning rate.</param>
    /// <param name="startFactor">f₀ in (0, 1] (default 1/3).</param>
    /// <param name="endFactor">f₁ in [0, 1] (default 1).</param>
    /// <param name="totalIters">N, the length of the ramp (default 5); &gt; 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is not finite or out of range.</exception>
    /// <remarks><c>η(k) = η₀·(f₀ + (f₁ − f₀)·min(N, k)/N)</c> (torch's closed form).</remarks>
    public static Schedule LinearLR(double lr, double startFactor = 1.0 / 3, double endFactor = 1.0, long totalIters = 5)
    {
        ValidateTorchLearningRate(lr);
        if (!double.IsFinite(startFactor) || startFactor > 1.0 || startFactor <= 0)
            throw new ArgumentOutOfRangeException("start_factor", "Starting multiplicative factor expected to be greater than 0 and less or equal to 1.");
        if (!double.IsFinite(endFactor) || endFactor > 1.0 || endFactor < 0)
            throw new ArgumentOutOfRangeException("end_factor", "Ending multiplicative factor expected to be between 0 and 1.");
        Positive(totalIters, "total_iters");
        return new TorchFactorSchedule(lr, TorchFactorKind.Linear, startFactor, endFactor, totalIters, 1);
    }

    /// <summary>torch.optim.lr_scheduler.PolynomialLR: a polynomial decay to 0 over <paramref name="totalIters"/> steps.</summary>
    /// <param name="lr">η₀, the optimizer's initial learning rate.</param>
    /// <param name="totalIters">N, the length of the decay (default 5); &gt; 0.</param>
    /// <param name="power">p (default 1).</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is not finite or out of range.</exception>
    /// <remarks><c>η(k) = η₀·(1 − min(N, k)/N)^p</c>.</remarks>
    public static Schedule PolynomialLR(double lr, long totalIters = 5, double power = 1.0)
    {
        ValidateTorchLearningRate(lr);
        Positive(totalIters, "total_iters");
        Finite(power, nameof(power));
        return new TorchFactorSchedule(lr, TorchFactorKind.Polynomial, 1, 0, totalIters, power);
    }

    /// <summary>Checks a torch scheduler's base learning rate ("Invalid learning rate: -0.1").</summary>
    internal static void ValidateTorchLearningRate(double lr)
    {
        if (!double.IsFinite(lr) || lr < 0) ThrowHelper.ThrowInvalid(nameof(lr), "learning rate", lr);
    }
}

/// <summary>A torch.optim.lr_scheduler equivalent: a schedule with the optimizer's initial learning rate as its base.</summary>
internal abstract class TorchSchedule(double baseLearningRate) : Schedule
{
    /// <summary>The optimizer's initial learning rate (torch's <c>base_lrs</c>).</summary>
    public double BaseLearningRate { get; } = baseLearningRate;
}

/// <summary><c>η₀·γ^⌊k/s⌋</c>.</summary>
internal sealed class StepLRSchedule(double lr, long stepSize, double gamma) : TorchSchedule(lr)
{
    public override double Evaluate(long step) => BaseLearningRate * Math.Pow(gamma, Math.Max(step, 0) / stepSize);
}

/// <summary><c>η₀·γ^#{m ≤ k}</c>.</summary>
internal sealed class MultiStepLRSchedule(double lr, long[] milestones, double gamma) : TorchSchedule(lr)
{
    public override double Evaluate(long step)
    {
        int passed = 0;
        while (passed < milestones.Length && milestones[passed] <= step) passed++;
        return BaseLearningRate * Math.Pow(gamma, passed);
    }
}

/// <summary><c>η₀·γ^k</c>.</summary>
internal sealed class ExponentialLRSchedule(double lr, double gamma) : TorchSchedule(lr)
{
    public override double Evaluate(long step) => BaseLearningRate * Math.Pow(gamma, Math.Max(step, 0));
}

internal enum TorchFactorKind { Constant, Linear, Polynomial }

/// <summary>ConstantLR, LinearLR and PolynomialLR: η₀ times a factor that moves from f₀ to f₁ over N steps (torch's closed forms).</summary>
internal sealed class TorchFactorSchedule(double lr, TorchFactorKind kind, double startFactor, double endFactor, long totalIters, double power)
    : TorchSchedule(lr)
{
    public override double Evaluate(long step)
    {
        step = Math.Max(step, 0);
        long k = Math.Min(totalIters, step);
        switch (kind)
        {
            case TorchFactorKind.Constant:
                return BaseLearningRate * (step >= totalIters ? startFactor + (1 - startFactor) : startFactor);
            case TorchFactorKind.Linear:
                return BaseLearningRate * (startFactor + (endFactor - startFactor) * k / totalIters);
            default:
                double fraction = 1.0 - (double)k / totalIters;
                return BaseLearningRate * (power == 1 ? fraction : Math.Pow(fraction, power));
        }
    }
}
