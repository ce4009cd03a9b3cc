namespace Momentum;

/// <summary>Whether <see cref="ReduceLROnPlateauSchedule"/> watches for a metric that should fall or rise (torch's <c>mode</c>).</summary>
public enum PlateauMode
{
    /// <summary><c>'min'</c>: lower is better (a loss).</summary>
    Min,

    /// <summary><c>'max'</c>: higher is better (an accuracy).</summary>
    Max,
}

/// <summary>How <see cref="ReduceLROnPlateauSchedule"/> measures a significant improvement (torch's <c>threshold_mode</c>).</summary>
public enum ThresholdMode
{
    /// <summary><c>'rel'</c>: better than <c>best·(1 ∓ threshold)</c>.</summary>
    Rel,

    /// <summary><c>'abs'</c>: better than <c>best ∓ threshold</c>.</summary>
    Abs,
}

/// <summary>The saved state of a <see cref="ReduceLROnPlateauSchedule"/>.</summary>
/// <param name="LearningRate">The current learning rate.</param>
/// <param name="Best">The best metric so far (±∞ before the first report).</param>
/// <param name="BadEpochs">The number of reports since the last significant improvement.</param>
/// <param name="CooldownCounter">The reports left in the cooldown after a reduction.</param>
/// <param name="LastEpoch">The number of reports so far.</param>
public readonly record struct ReduceLROnPlateauState(double LearningRate, double Best, long BadEpochs, long CooldownCounter, long LastEpoch);

public static partial class Schedules
{
    /// <summary>torch.optim.lr_scheduler.ReduceLROnPlateau as a schedule: its value is the current learning rate, which
    /// <see cref="ReduceLROnPlateauSchedule.Report"/> reduces when a metric stops improving.</summary>
    /// <param name="lr">The initial learning rate.</param>
    /// <param name="mode">Min (default) or max.</param>
    /// <param name="factor">The reduction factor, &lt; 1 (default 0.1).</param>
    /// <param name="patience">Reports without improvement tolerated before reducing (default 10).</param>
    /// <param name="threshold">The significance threshold (default 1e-4).</param>
    /// <param name="thresholdMode">Rel (default) or abs.</param>
    /// <param name="cooldown">Reports to wait after a reduction before counting bad reports again (default 0).</param>
    /// <param name="minLr">The lower bound of the learning rate (default 0).</param>
    /// <param name="eps">Reductions smaller than this are skipped (default 1e-8).</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is not finite or out of range (torch's messages).</exception>
    /// <returns>A new, stateful schedule; use one instance per training run.</returns>
    public static ReduceLROnPlateauSchedule ReduceLROnPlateau(double lr, PlateauMode mode = PlateauMode.Min, double factor = 0.1, long patience = 10,
        double threshold = 1e-4, ThresholdMode thresholdMode = ThresholdMode.Rel, long cooldown = 0, double minLr = 0, double eps = 1e-8) =>
        new(lr, mode, factor, patience, threshold, thresholdMode, cooldown, minLr, eps);
}

/// <summary>
/// torch.optim.lr_scheduler.ReduceLROnPlateau: a stateful schedule whose value (at any step) is the current learning
/// rate. Call <see cref="Report"/> with the watched metric (e.g. once per epoch with the validation loss); when it has not
/// improved significantly for more than <c>patience</c> reports, the learning rate is multiplied by <c>factor</c>.
/// </summary>
/// <remarks>
/// Per report, as torch 1.13: a metric m is better than <c>best</c> when (min, rel) <c>m &lt; best·(1 − threshold)</c>,
/// (min, abs) <c>m &lt; best − threshold</c>, (max, rel) <c>m &gt; best·(threshold + 1)</c>, (max, abs)
/// <c>m &gt; best + threshold</c>. Better: <c>best = m</c>, bad = 0; else bad += 1. In cooldown: cooldown −= 1, bad = 0.
/// If <c>bad &gt; patience</c>: <c>new = max(lr·factor, min_lr)</c>, applied if <c>lr − new &gt; eps</c>; cooldown = its
/// setting; bad = 0. A NaN metric is never better. The state (<see cref="State"/>) can be saved and restored; it is
/// also listed as named scalars in <see cref="Scalars"/>.
/// </remarks>
public sealed class ReduceLROnPlateauSchedule : Schedule
{
    private readonly double _factor, _threshold, _minLr, _eps;
    private readonly long _patience, _cooldown;
    private readonly bool _max, _relative;
    private double _lr, _best;
    private long _badEpochs, _cooldownCounter, _lastEpoch;

    internal ReduceLROnPlateauSchedule(double lr, PlateauMode mode, double factor, long patience, double threshold, ThresholdMode thresholdMode,
        long cooldown, double minLr, double eps)
    {
        if (!double.IsFinite(lr) || lr < 0) ThrowHelper.ThrowInvalid(nameof(lr), "learning rate", lr);
        if (!Enum.IsDefined(mode)) throw new ArgumentOutOfRangeException(nameof(mode), $"mode {mode} is unknown!");
        if (!double.IsFinite(factor) || factor >= 1.0) throw new ArgumentOutOfRangeException(nameof(factor), "Factor should be < 1.0.");
        if (factor < 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(factor), factor, "must be ≥ 0");
        if (patience < 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(patience), patience, "must be ≥ 0");
        if (!double.IsFinite(threshold)) ThrowHelper.ThrowArgumentOutOfRange(nameof(threshold), threshold, "must be a finite number");
        if (!Enum.IsDefined(thresholdMode)) throw new ArgumentOutOfRangeException("threshold_mode", $"threshold mode {thresholdMode} is unknown!");
        if (cooldown < 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(cooldown), cooldown, "must be ≥ 0");
        if (!double.IsFinite(minLr) || minLr < 0) ThrowHelper.ThrowArgumentOutOfRange("min_lr", minLr, "must be finite and ≥ 0");
        if (!double.IsFinite(eps) || eps < 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(eps), eps, "must be finite and ≥ 0");
        InitialLearningRate = lr;
        Mode = mode;
        ThresholdMode = thresholdMode;
        _factor = factor;
        _patience = patience;
        _threshold = threshold;
        _cooldown = cooldown;
        _minLr = minLr;
        _eps = eps;
        _max = mode == PlateauMode.Max;
        _relative = thresholdMode == ThresholdMode.Rel;
        Scalars =
        [
            new StateScalar("lr", () => _lr, v => _lr = v),
            new StateScalar("best", () => _best, v => _best = v),
            new StateScalar("num_bad_epochs", () => _badEpochs, v => _badEpochs = (long)v),
            new StateScalar("cooldown_counter", () => _cooldownCounter, v => _cooldownCounter = (long)v),
            new StateScalar("last_epoch", () => _lastEpoch, v => _lastEpoch = (long)v),
        ];
        Reset();
    }

    /// <summary>The learning rate it started with.</summary>
    public double InitialLearningRate { get; }

    /// <summary>Min or max.</summary>
    public PlateauMode Mode { get; }

    /// <summary>Rel or abs.</summary>
    public ThresholdMode ThresholdMode { get; }

    /// <summary>The current learning rate.</summary>
    public double LearningRate => _lr;

    /// <summary>The best metric so far (+∞ in min mode, −∞ in max mode before the first report).</summary>
    public double Best => _best;

    /// <summary>The number of reports since the last significant improvement.</summary>
    public long BadEpochs => _badEpochs;

    /// <summary>The reports left in the cooldown.</summary>
    public long CooldownCounter => _cooldownCounter;

    /// <summary>The number of reports so far.</summary>
    public long LastEpoch => _lastEpoch;

    /// <summary>The state as named scalars (<c>lr</c>, <c>best</c>, <c>num_bad_epochs</c>, <c>cooldown_counter</c>, <c>last_epoch</c>), for checkpoints.</summary>
    public IReadOnlyList<StateScalar> Scalars { get; }

    /// <summary>The whole state, to save.</summary>
    public ReduceLROnPlateauState State => new(_lr, _best, _badEpochs, _cooldownCounter, _lastEpoch);

    /// <summary>Restores a saved state.</summary>
    /// <param name="state">A state from <see cref="State"/>.</param>
    /// <exception cref="ArgumentException">The state is invalid (negative counts, non-finite or negative learning rate, NaN best); nothing changes.</exception>
    public void Restore(ReduceLROnPlateauState state)
    {
        if (!double.IsFinite(state.LearningRate) || state.LearningRate < 0 || double.IsNaN(state.Best) || state.BadEpochs < 0 || state.CooldownCounter < 0 || state.LastEpoch < 0)
            ThrowHelper.ThrowArgument(nameof(state), $"Invalid ReduceLROnPlateau state {state}.");
        (_lr, _best, _badEpochs, _cooldownCounter, _lastEpoch) = state;
    }

    /// <summary>Forgets every report: the learning rate returns to its initial value.</summary>
    public void Reset()
    {
        _lr = InitialLearningRate;
        _best = _max ? double.NegativeInfinity : double.PositiveInfinity;
        _badEpochs = 0;
        _cooldownCounter = 0;
        _lastEpoch = 0;
    }

    /// <summary>Reports the watched metric (torch's <c>scheduler.step(metrics)</c>); may reduce the learning rate.</summary>
    /// <param name="metric">The metric, e.g. the validation loss.</param>
    /// <returns>Whether the learning rate was reduced by this report.</returns>
    public bool Report(double metric)
    {
        _lastEpoch++;
        if (IsBetter(metric))
        {
            _best = metric;
            _badEpochs = 0;
        }
        else _badEpochs++;
        if (_cooldownCounter > 0)
        {
            _cooldownCounter--;
            _badEpochs = 0;
        }
        if (_badEpochs <= _patience) return false;
        bool reduced = false;
        double newLr = Math.Max(_lr * _factor, _minLr);
        if (_lr - newLr > _eps)
        {
            _lr = newLr;
            reduced = true;
        }
        _cooldownCounter = _cooldown;
        _badEpochs = 0;
        return reduced;
    }

    /// <inheritdoc/>
    public override double Evaluate(long step) => _lr;

    private bool IsBetter(double a)
    {
        if (_max) return _relative ? a > _best * (_threshold + 1.0) : a > _best + _threshold;
        return _relative ? a < _best * (1.0 - _threshold) : a < _best - _threshold;
    }
}
