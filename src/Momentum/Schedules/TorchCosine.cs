namespace Momentum;

public static partial class Schedules
{
    /// <summary>
    /// torch.optim.lr_scheduler.CosineAnnealingLR (Loshchilov and Hutter, 2017, https://arxiv.org/abs/1608.03983), in
    /// torch's closed form.
    /// </summary>
    /// <param name="lr">η₀, the optimizer's initial learning rate.</param>
    /// <param name="tMax">T_max, half the period; &gt; 0.</param>
    /// <param name="etaMin">η_min, the minimum (default 0).</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is not finite or out of range.</exception>
    /// <remarks>
    /// <c>η(k) = η_min + (η₀ − η_min)·(1 + cos(π·k/T_max))/2</c>. As in torch, the value rises again after T_max (the
    /// cosine continues; it is periodic with period 2·T_max). torch's <c>scheduler.step()</c> computes the same curve
    /// recursively from the previous value; over 1,000 steps the two agree to about 1e-15 of η₀ (see docs/SCHEDULES.md).
    /// </remarks>
    public static Schedule CosineAnnealingLR(double lr, long tMax, double etaMin = 0)
    {
        ValidateTorchLearningRate(lr);
        Positive(tMax, "T_max");
        Finite(etaMin, "eta_min");
        return new CosineAnnealingLRSchedule(lr, tMax, etaMin);
    }

    /// <summary>
    /// torch.optim.lr_scheduler.CosineAnnealingWarmRestarts: cosine annealing restarted every cycle, cycles growing by
    /// T_mult (SGDR, Loshchilov and Hutter, 2017, https://arxiv.org/abs/1608.03983).
    /// </summary>
    /// <param name="lr">η₀, the optimizer's initial learning rate.</param>
    /// <param name="t0">T_0, the length of the first cycle; &gt; 0.</param>
    /// <param name="tMult">T_mult, the growth of each next cycle; ≥ 1 (default 1).</param>
    /// <param name="etaMin">η_min, the minimum (default 0).</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is not finite or out of range (torch's messages).</exception>
    /// <remarks>
    /// Cycle i has length <c>T_i = T_0·T_mult^i</c>; with T_cur the step within its cycle,
    /// <c>η(k) = η_min + (η₀ − η_min)·(1 + cos(π·T_cur/T_i))/2</c>.
    /// </remarks>
    public static Schedule CosineAnnealingWarmRestarts(double lr, long t0, long tMult = 1, double etaMin = 0)
    {
        ValidateTorchLearningRate(lr);
        if (t0 <= 0) throw new ArgumentOutOfRangeException("T_0", $"Expected positive integer T_0, but got {t0}");
        if (tMult < 1) throw new ArgumentOutOfRangeException("T_mult", $"Expected integer T_mult >= 1, but got {tMult}");
        Finite(etaMin, "eta_min");
        return new CosineAnnealingWarmRestartsSchedule(lr, t0, tMult, etaMin);
    }
}

/// <summary><c>η_min + (η₀ − η_min)·(1 + cos(π·k/T_max))/2</c>.</summary>
internal sealed class CosineAnnealingLRSchedule(double lr, long tMax, double etaMin) : TorchSchedule(lr)
{
    public override double Evaluate(long step) =>
        etaMin + (BaseLearningRate - etaMin) * (1 + Math.Cos(Math.PI * Math.Max(step, 0) / tMax)) / 2;
}

/// <summary>Cosine annealing within cycles of length T_0·T_mult^i.</summary>
internal sealed class CosineAnnealingWarmRestartsSchedule(double lr, long t0, long tMult, double etaMin) : TorchSchedule(lr)
{
    public override double Evaluate(long step)
    {
        long tCur = Math.Max(step, 0), tI = t0;
        if (tMult == 1) tCur %= t0;
        else
        {
            while (tCur >= tI)
            {
                tCur -= tI;
                tI *= tMult;
            }
        }
        return etaMin + (BaseLearningRate - etaMin) * (1 + Math.Cos(Math.PI * tCur / tI)) / 2;
    }
}
