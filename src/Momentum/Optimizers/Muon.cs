using Momentum.Specs;

namespace Momentum;

/// <summary>The hyperparameters of <see cref="Optimizers.Muon"/>, with Optax's names and defaults.</summary>
public sealed record MuonOptions
{
    /// <summary><c>learning_rate</c> (or <c>lr</c>): η or its schedule (required in a spec, as in Optax; default here 0.02 for C#).</summary>
    [Spec("learning_rate", "lr", Required = true)]
    public Schedule LearningRate { get; init; } = 0.02;

    /// <summary><c>ns_coeffs</c>: one triple for every iteration or one per iteration (default Optax's standard triple); see <see cref="Optimizers.MuonPreset"/>.</summary>
    [Spec("ns_coeffs", Custom = true)]
    public IReadOnlyList<(double A, double B, double C)> NsCoefficients { get; init; } = Transforms.MuonStandardCoefficients;

    /// <summary><c>ns_steps</c> (default 5); ignored when several triples are given.</summary>
    [Spec("ns_steps")]
    public int NsSteps { get; init; } = 5;

    /// <summary><c>beta</c>, the momentum decay (default 0.95).</summary>
    [Spec("beta")]
    public double Beta { get; init; } = 0.95;

    /// <summary><c>eps</c> (default 1e-8), also AdamW's ε for the other parameters.</summary>
    [Spec("eps")]
    public double Epsilon { get; init; } = 1e-8;

    /// <summary><c>weight_decay</c> for the 2-D parameters (default 0).</summary>
    [Spec("weight_decay")]
    public Schedule WeightDecay { get; init; } = 0.0;

    /// <summary><c>nesterov</c> (default true), for Muon's momentum and the AdamW fallback.</summary>
    [Spec("nesterov")]
    public bool Nesterov { get; init; } = true;

    /// <summary><c>adaptive</c>: scale by ⟨m̂, O⟩ (default false).</summary>
    [Spec("adaptive")]
    public bool Adaptive { get; init; }

    /// <summary><c>adam_b1</c> (default 0.9).</summary>
    [Spec("adam_b1")]
    public double AdamB1 { get; init; } = 0.9;

    /// <summary><c>adam_b2</c> (default 0.999).</summary>
    [Spec("adam_b2")]
    public double AdamB2 { get; init; } = 0.999;

    /// <summary><c>adam_eps_root</c> (default 0).</summary>
    [Spec("adam_eps_root")]
    public double AdamEpsRoot { get; init; }

    /// <summary><c>adam_weight_decay</c> (default 0).</summary>
    [Spec("adam_weight_decay")]
    public Schedule AdamWeightDecay { get; init; } = 0.0;

    /// <summary><c>adam_learning_rate</c> (default null: the learning rate).</summary>
    [Spec("adam_learning_rate")]
    public Schedule? AdamLearningRate { get; init; }

    /// <summary><c>consistent_rms</c> (default null: width scaling).</summary>
    [Spec("consistent_rms")]
    public double? ConsistentRms { get; init; }
}

public static partial class Optimizers
{
    /// <summary>
    /// Resolves an Optax Newton–Schulz preset name: <c>"standard"</c> and <c>"dion"</c> (the keys Optax's code accepts),
    /// and <c>"muon"</c>, the name Optax's docstring gives for the standard preset (Optax itself rejects it).
    /// </summary>
    /// <param name="name">The preset name.</param>
    /// <exception cref="ArgumentException">The name is not a preset.</exception>
    public static IReadOnlyList<(double A, double B, double C)> MuonPreset(string name) => name switch
    {
        "standard" or "muon" => Transforms.MuonStandardCoefficients,
        "dion" => Transforms.MuonDionCoefficients,
        _ => throw new ArgumentException($"Unknown ns_coeffs preset '{name}'; the presets are \"standard\" (alias \"muon\") and \"dion\".", nameof(name)),
    };

    /// <summary>Muon (Jordan et al., 2024, https://kellerjordan.github.io/posts/muon/), Optax's <c>contrib.muon</c>.</summary>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentException">A hyperparameter is out of range.</exception>
    /// <remarks>
    /// Each parameter is expanded on its own: a rank-2 parameter gets <c>scale_by_muon → scale_by_shape →
    /// add_decayed_weights(λ) → scale_by_learning_rate(lr)</c> (state under <c>muon.…</c>); any other gets AdamW
    /// (<c>scale_by_adam(adam_b1, adam_b2, eps, adam_eps_root, nesterov) → add_decayed_weights(adam_weight_decay) →
    /// scale_by_learning_rate(adam_learning_rate or lr)</c>, state under <c>adam.…</c>), as Optax's
    /// <c>partition</c> does with its default labels. See <see cref="Transforms.ScaleByMuon"/> for the math.
    /// </remarks>
    public static GradientTransformation Muon(MuonOptions? options = null)
    {
        options ??= new MuonOptions();
        ValidateLearningRate(options.LearningRate);
        if (options.AdamLearningRate is { } alr) ValidateLearningRate(alr);
        var muon = Transforms.Chain(
            Transforms.ScaleByMuon(options.NsCoefficients, options.NsSteps, options.Beta, options.Epsilon, options.Nesterov, options.Adaptive),
            Transforms.ScaleByShape(options.ConsistentRms),
            Transforms.AddDecayedWeights(options.WeightDecay),
            Transforms.ScaleByLearningRate(options.LearningRate));
        var adam = Transforms.Chain(
            Transforms.ScaleByAdam(options.AdamB1, options.AdamB2, options.Epsilon, options.AdamEpsRoot, nesterov: options.Nesterov),
            Transforms.AddDecayedWeights(options.AdamWeightDecay),
            Transforms.ScaleByLearningRate(options.AdamLearningRate ?? options.LearningRate));
        return new MuonTransformation(muon, adam);
    }
}

/// <summary>Sends rank-2 parameters to Muon's chain and the others to AdamW.</summary>
internal sealed class MuonTransformation(GradientTransformation muon, GradientTransformation adam) : GradientTransformation
{
    public override string Name => "muon";

    internal override void Expand(Parameter parameter, string path, List<Stage> stages)
    {
        if (parameter.Rank == 2) muon.Expand(parameter, Join(path, "muon"), stages);
        else adam.Expand(parameter, Join(path, "adam"), stages);
    }
}
