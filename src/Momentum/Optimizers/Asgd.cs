using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.Asgd"/>, with torch.optim.ASGD's names and defaults.</summary>
public sealed record AsgdOptions
{
    /// <summary><c>lr</c>: η₀, the learning rate or its schedule (default 1e-2; TorchSharp's 1e-3 is not torch's).</summary>
    [Spec("lr")]
    public Schedule LearningRate { get; init; } = 1e-2;

    /// <summary><c>lambd</c>: λ, the decay term (default 1e-4).</summary>
    [Spec("lambd")]
    public double Lambd { get; init; } = 1e-4;

    /// <summary><c>alpha</c>: α, the power of the step-size decay (default 0.75).</summary>
    [Spec("alpha")]
    public double Alpha { get; init; } = 0.75;

    /// <summary><c>t0</c>: the step at which averaging starts (default 1e6).</summary>
    [Spec("t0")]
    public double T0 { get; init; } = 1e6;

    /// <summary><c>weight_decay</c>: the L2 penalty added to the gradient (default 0).</summary>
    [Spec("weight_decay")]
    public double WeightDecay { get; init; }

    /// <summary><c>maximize</c>: ascend the objective instead (default false).</summary>
    [Spec("maximize")]
    public bool Maximize { get; init; }

    /// <summary>torch's checks and messages (lr, weight_decay), then finite λ, α and t0.</summary>
    internal void Validate()
    {
        Optimizers.ValidateLearningRate(LearningRate);
        Optimizers.ValidateWeightDecay(WeightDecay);
        ThrowHelper.ThrowIfNotFinite(Lambd, "lambd");
        ThrowHelper.ThrowIfNotFinite(Alpha, "alpha");
        ThrowHelper.ThrowIfNotFinite(T0, "t0");
    }
}

public static partial class Optimizers
{
    /// <summary>
    /// Averaged SGD (Polyak and Juditsky, 1992, https://doi.org/10.1137/0330046), as torch.optim.ASGD. The averaged
    /// parameters are kept in the state; read them with <see cref="AsgdAverage"/>.
    /// </summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range (torch's messages).</exception>
    /// <remarks>
    /// <c>g ← −g</c> if maximize; <c>g ← g + λ_wd θ</c>; <c>θ ← θ(1 − λη_t) − η_t g</c>; <c>ax ← θ</c> while μ_t = 1,
    /// then <c>ax ← ax + μ_t(θ − ax)</c>; <c>η_{t+1} = η₀/(1 + λη₀t)^α</c>, <c>μ_{t+1} = 1/max(1, t − t0)</c>, t the
    /// parameter's own step count. Chain: [scale(−1)] → [add_decayed_weights(λ_wd)] → scale_by_torch_asgd(η₀, λ, α, t0).
    /// </remarks>
    public static GradientTransformation Asgd(AsgdOptions? options = null)
    {
        options ??= new AsgdOptions();
        options.Validate();
        return ChainOf(
            options.Maximize ? Transforms.Scale(-1) : null,
            options.WeightDecay != 0 ? Transforms.AddDecayedWeights(options.WeightDecay) : null,
            Transforms.ScaleByTorchAsgd(options.LearningRate, options.Lambd, options.Alpha, options.T0));
    }

    /// <summary>
    /// The averaged parameters ASGD keeps for <paramref name="parameter"/> (torch's <c>state[p]['ax']</c>), row-major,
    /// of the parameter's length. Copy them into the parameter to evaluate the averaged model.
    /// </summary>
    /// <param name="optimizer">An optimizer whose chain contains <c>scale_by_torch_asgd</c> for the parameter.</param>
    /// <param name="parameter">A parameter of the optimizer's set.</param>
    /// <returns>The live averages: they change at the parameter's next step.</returns>
    /// <exception cref="ArgumentException">The optimizer's chain has no ASGD stage for the parameter.</exception>
    /// <exception cref="InvalidOperationException">The parameter has had no gradient yet, so it has no average.</exception>
    public static ReadOnlySpan<float> AsgdAverage(Optimizer optimizer, Parameter parameter)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(parameter);
        foreach (var (path, transformation) in optimizer.StagesOf(parameter))
        {
            if (transformation is not ScaleByTorchAsgdTransformation) continue;
            if (optimizer.GetState(parameter, path) is not ScaleByTorchAsgdState state)
                throw new InvalidOperationException($"Parameter '{parameter.Name}' has had no gradient yet, so ASGD keeps no average for it.");
            return state.Average.Span;
        }
        throw new ArgumentException($"The optimizer has no ASGD stage (scale_by_torch_asgd) for parameter '{parameter.Name}'.", nameof(optimizer));
    }
}
