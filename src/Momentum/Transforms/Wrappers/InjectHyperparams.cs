namespace Momentum;

/// <summary>
/// A hyperparameter that can be changed while training (Optax's <c>inject_hyperparams</c>): a <see cref="Schedule"/>
/// whose value is set from outside; a running optimizer uses the new value from its next step.
/// </summary>
/// <remarks>
/// Pass it wherever a hyperparameter is a <see cref="Schedule"/> (learning rates, weight decays, AdEMAMix's b3 and
/// alpha): <c>var lr = new Hyperparameter(1e-3); Optimizers.Adam(new AdamOptions { LearningRate = lr }); … lr.Value = 1e-4;</c>.
/// With a base schedule, the schedule is followed until <see cref="Value"/> is set, and again after <see cref="Reset"/>.
/// Being non-constant, it is checked for finiteness each time it is evaluated (a NaN learning rate makes the step
/// throw). Set it between steps, not while a step runs. To read hyperparameters from the optimizer's state and save
/// them in checkpoints, wrap the optimizer with <see cref="Transforms.InjectHyperparams"/>.
/// </remarks>
public sealed class Hyperparameter : Schedule
{
    private readonly Schedule? _base;
    private double _value;
    private bool _overridden;

    /// <summary>Creates a hyperparameter with a fixed starting value.</summary>
    /// <param name="value">The value; finite.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is not finite.</exception>
    public Hyperparameter(double value)
    {
        ThrowHelper.ThrowIfNotFinite(value);
        _value = value;
        _overridden = true;
    }

    /// <summary>Creates a hyperparameter that follows <paramref name="schedule"/> until it is set.</summary>
    /// <param name="schedule">The schedule to follow.</param>
    public Hyperparameter(Schedule schedule) => _base = schedule ?? throw new ArgumentNullException(nameof(schedule));

    /// <summary>The value set from outside, or (before any is set, with a base schedule) the schedule's value at step 0.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value set is not finite.</exception>
    public double Value
    {
        get => _overridden ? _value : _base!.Evaluate(0);
        set
        {
            ThrowHelper.ThrowIfNotFinite(value);
            _value = value;
            _overridden = true;
        }
    }

    /// <summary>Whether a value set from outside overrides the base schedule.</summary>
    public bool IsOverridden => _overridden;

    /// <summary>Goes back to following the base schedule.</summary>
    /// <exception cref="InvalidOperationException">There is no base schedule.</exception>
    public void Reset()
    {
        if (_base is null) ThrowHelper.ThrowInvalidOperation("This hyperparameter has no base schedule to go back to.");
        _overridden = false;
    }

    /// <inheritdoc/>
    public override double Evaluate(long step) => _overridden ? _value : _base!.Evaluate(step);

    /// <summary>The value this hyperparameter had at the last step the optimizer took (what Optax's <c>state.hyperparams</c> shows).</summary>
    internal double LastUsed { get; set; } = double.NaN;
}

public static partial class Transforms
{
    /// <summary>
    /// Makes named <see cref="Hyperparameter"/>s readable from the optimizer's state and saved in checkpoints (Optax's
    /// <c>inject_hyperparams</c>; state path <c>inject_hyperparams</c>, one scalar per name).
    /// </summary>
    /// <param name="inner">The optimizer, built with the hyperparameters.</param>
    /// <param name="hyperparameters">The names and hyperparameters (names unique and non-empty).</param>
    /// <exception cref="ArgumentException">A name is empty or repeated, or a hyperparameter is null.</exception>
    /// <remarks>
    /// Each step records every hyperparameter's value at that step (scalar <c>name</c> of
    /// <see cref="InjectHyperparamsState"/>). Loading a checkpoint sets each hyperparameter's <see cref="Hyperparameter.Value"/>
    /// to the saved value. A step wrapper: it must be outermost (it may be nested with other wrappers).
    /// </remarks>
    public static GradientTransformation InjectHyperparams(GradientTransformation inner, params (string Name, Hyperparameter Hyperparameter)[] hyperparameters)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(hyperparameters);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, h) in hyperparameters)
        {
            if (string.IsNullOrEmpty(name) || !names.Add(name)) ThrowHelper.ThrowArgument(nameof(hyperparameters), $"Hyperparameter names must be unique and non-empty: '{name}'.");
            if (h is null) ThrowHelper.ThrowArgument(nameof(hyperparameters), $"Hyperparameter '{name}' is null.");
        }
        return new InjectHyperparamsTransformation(inner, [.. hyperparameters]);
    }
}

/// <summary>The hyperparameters recorded by <see cref="Transforms.InjectHyperparams"/>.</summary>
public sealed class InjectHyperparamsState : WrapperState
{
    private readonly (string Name, Hyperparameter Hyperparameter)[] _hyperparameters;

    internal InjectHyperparamsState((string Name, Hyperparameter Hyperparameter)[] hyperparameters)
    {
        _hyperparameters = hyperparameters;
        foreach (var (name, h) in hyperparameters) AddScalar(name, () => h.LastUsed, v => { if (double.IsFinite(v)) h.Value = v; h.LastUsed = v; });
    }

    /// <summary>The hyperparameter named <paramref name="name"/>.</summary>
    /// <param name="name">Its name.</param>
    /// <exception cref="KeyNotFoundException">No hyperparameter has that name.</exception>
    public Hyperparameter this[string name]
    {
        get
        {
            foreach (var (n, h) in _hyperparameters)
                if (n == name) return h;
            throw new KeyNotFoundException($"No injected hyperparameter is named '{name}'.");
        }
    }

    internal void Record(long step)
    {
        foreach (var (_, h) in _hyperparameters) h.LastUsed = h.Evaluate(step);
    }
}

/// <summary>See <see cref="Transforms.InjectHyperparams"/>.</summary>
internal sealed class InjectHyperparamsTransformation(GradientTransformation inner, (string Name, Hyperparameter Hyperparameter)[] hyperparameters) : StepWrapper(inner)
{
    public override string Name => "inject_hyperparams";

    internal override WrapperState? CreateWrapperState() => new InjectHyperparamsState(hyperparameters);

    internal override bool BeforeInner(in Optimizer.WrapperStep step)
    {
        ((InjectHyperparamsState)step.Global!).Record(step.StepCount);
        return true;
    }
}

public static partial class Transforms
{
    /// <summary>
    /// Optax's <c>flatten</c>: returns <paramref name="inner"/> unchanged. Optax concatenates all leaves into one vector
    /// so that many small arrays become one large one for the accelerator; this engine already packs small tensors
    /// together into fixed work items, and every per-element result is independent of the packing, so flattening
    /// would change neither the results nor the work. (Transformations with per-tensor meaning, such as norms per
    /// parameter or Muon, keep their per-parameter meaning here; under Optax's flatten they would see one vector.)
    /// </summary>
    /// <param name="inner">The transformation.</param>
    public static GradientTransformation Flatten(GradientTransformation inner) => inner ?? throw new ArgumentNullException(nameof(inner));
}
