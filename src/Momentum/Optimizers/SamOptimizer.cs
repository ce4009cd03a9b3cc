namespace Momentum;

/// <summary>
/// Sharpness-aware minimization (Foret et al., 2021, https://arxiv.org/abs/2010.01412; Optax's <c>contrib.sam</c>):
/// each step takes the gradient at an adversarially perturbed point <c>θ + ρ·g/‖g‖</c> and applies it at θ with the
/// base optimizer. It needs a second gradient per step, so it is a helper around an <see cref="Momentum.Optimizer"/>
/// that is given a function computing gradients, rather than a transformation.
/// </summary>
/// <remarks>
/// <para>Protocol of <see cref="Step"/>: the caller computes g = ∇L(θ) into a <see cref="GradientSet"/> and calls
/// <c>Step(gradients, gradientAt)</c>. The helper saves θ, moves every parameter that has a gradient to
/// <c>θ + ρ·g/(‖g‖ + ε)</c> (‖g‖ the global L2 norm over those parameters, summed in double over fixed chunks through
/// the engine, so the same for any thread count), calls <c>gradientAt(gradients)</c>, which must overwrite the
/// gradients with ∇L at the perturbed parameters and return the loss there, restores θ exactly, and takes the base
/// optimizer's step with those gradients. With <c>adaptive</c> (ASAM, Kwon et al., 2021) the perturbation is
/// <c>ρ·θ²·g/‖θ·g‖</c> element-wise.</para>
/// <para>Optax's <c>sam</c> instead wraps an adversarial optimizer and an outer one in a two-call protocol
/// (<c>sync_period=2</c>: odd calls ascend, even calls descend); with <c>adv_optimizer = normalize() → sgd(−ρ)</c>
/// and <c>reset_state</c> it computes the same step as this helper. Checkpoints save <see cref="Optimizer"/> as usual;
/// the helper itself keeps no state between steps.</para>
/// </remarks>
public sealed class SamOptimizer
{
    private readonly Optimizer _ascent;
    private float[][] _saved = [];
    private bool[] _perturbed = [];

    /// <summary>Creates the helper.</summary>
    /// <param name="optimizer">The base (descent) optimizer, e.g. <c>Optimizers.Sgd(...)</c>.</param>
    /// <param name="parameters">The parameters.</param>
    /// <param name="rho">ρ, the radius of the perturbation; finite and ≥ 0 (default 0.05).</param>
    /// <param name="adaptive">Use adaptive SAM (ASAM).</param>
    /// <param name="options">Execution options for both the perturbation and the base optimizer.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rho"/> is not finite or negative.</exception>
    public SamOptimizer(GradientTransformation optimizer, ParameterSet parameters, double rho = 0.05, bool adaptive = false, OptimizerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(parameters);
        if (!double.IsFinite(rho) || rho < 0) ThrowHelper.ThrowInvalid(nameof(rho), "rho", rho);
        Rho = rho;
        Optimizer = new Optimizer(optimizer, parameters, options);
        var propagate = (options ?? new OptimizerOptions()) with { NonFiniteGradients = NonFiniteGradients.Propagate };
        GradientTransformation perturbation = new SamPerturbation(rho);
        if (adaptive) perturbation = Transforms.Chain(new AbsParameterScale(), perturbation, new AbsParameterScale());
        _ascent = new Optimizer(perturbation, parameters, propagate);
    }

    /// <summary>The base optimizer that takes the steps (its state is the one to checkpoint).</summary>
    public Optimizer Optimizer { get; }

    /// <summary>ρ.</summary>
    public double Rho { get; }

    /// <summary>Takes one SAM step; see the class remarks for the protocol.</summary>
    /// <param name="gradients">∇L at the current parameters; overwritten by <paramref name="gradientAt"/>.</param>
    /// <param name="gradientAt">Fills the gradients at the (perturbed) current parameters and returns the loss there.</param>
    /// <returns>The base optimizer's result (false if it skipped the step for non-finite gradients).</returns>
    /// <exception cref="NonFiniteGradientException">A gradient is not finite under the base optimizer's Throw policy; the parameters are restored.</exception>
    public bool Step(GradientSet gradients, Func<GradientSet, double> gradientAt)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        ArgumentNullException.ThrowIfNull(gradientAt);
        var set = Optimizer.Parameters;
        if (_saved.Length < set.Count)
        {
            Array.Resize(ref _saved, set.Count);
            Array.Resize(ref _perturbed, set.Count);
        }
        for (int i = 0; i < set.Count; i++)
        {
            _perturbed[i] = gradients.HasGradient(set[i]);
            if (!_perturbed[i]) continue;
            var values = set[i].Values;
            if (_saved[i] is null || _saved[i].Length < values.Length) _saved[i] = new float[values.Length];
            values.CopyTo(_saved[i]);
        }
        double loss;
        try
        {
            _ascent.Step(gradients);
            loss = gradientAt(gradients);
        }
        finally
        {
            for (int i = 0; i < set.Count; i++)
                if (_perturbed[i]) _saved[i].AsSpan(0, set[i].Length).CopyTo(set[i].Values);
        }
        return Optimizer.Step(gradients, loss);
    }

    /// <summary><c>u = ρ·g/(‖g‖ + 10⁻¹²)</c> over all parameters, added to θ. For ASAM it runs between two <see cref="AbsParameterScale"/> stages.</summary>
    private sealed class SamPerturbation(double rho) : ReducingTransformation
    {
        public override string Name => "sam_perturbation";

        public override ReductionScope Scope => ReductionScope.AllParameters;

        public override TransformState? CreateState(Parameter parameter) => new StepScalarState(parameter);

        public override void Finish(TransformState? state, double total, in StepInfo step) =>
            ((StepScalarState)state!).Value = (float)(rho / (Math.Sqrt(total) + 1e-12));

        public override void Apply(TransformState? state, in Block block) => Kernels.VectorMath.Scale(block.Updates, ((StepScalarState)state!).Value);
    }

    /// <summary><c>u ← |θ|·u</c> (ASAM's normalization operator).</summary>
    private sealed class AbsParameterScale : ElementwiseTransformation
    {
        public override string Name => "abs_parameter_scale";

        public override void Apply(TransformState? state, in Block block)
        {
            var u = block.Updates;
            var p = block.Parameters;
            for (int i = 0; i < u.Length; i++) u[i] = MathF.Abs(p[i]) * u[i];
        }
    }
}
