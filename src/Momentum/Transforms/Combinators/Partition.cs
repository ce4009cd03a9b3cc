using System.Collections.Concurrent;

namespace Momentum;

public static partial class Transforms
{
    /// <summary>
    /// Applies a different transformation to each partition of the parameters (Optax's <c>partition</c>, formerly
    /// <c>multi_transform</c>): <paramref name="label"/> names each parameter's partition, and the transformation of
    /// that label is the only one that sees it.
    /// </summary>
    /// <param name="label">Maps a parameter to its label; evaluated once per parameter when the optimizer plans it.</param>
    /// <param name="transformations">The transformation of each label.</param>
    /// <exception cref="ArgumentException">The dictionary is empty, has an empty label, a null transformation or a whole-step
    /// wrapper (wrappers must be outermost); or, when
    /// an optimizer plans a parameter, its label has no transformation.</exception>
    /// <remarks>
    /// Each label's transformation keeps state only for its own parameters, under the path <c>label.…</c>. A reduction
    /// over all parameters inside a partition (e.g. <c>clip_by_global_norm</c>) reduces over that partition's parameters
    /// only, even when the same transformation object is given for several labels.
    /// </remarks>
    public static GradientTransformation Partition(Func<Parameter, string> label, IReadOnlyDictionary<string, GradientTransformation> transformations) =>
        PartitionWithGlobs(label, transformations, []);

    /// <summary><see cref="Partition(Func{Parameter, string}, IReadOnlyDictionary{string, GradientTransformation})"/>, with
    /// glob patterns (and their groups) that must each match some parameter of the set being planned.</summary>
    internal static GradientTransformation PartitionWithGlobs(Func<Parameter, string> label, IReadOnlyDictionary<string, GradientTransformation> transformations,
        (string Group, string Pattern)[] globs)
    {
        ArgumentNullException.ThrowIfNull(label);
        ArgumentNullException.ThrowIfNull(transformations);
        if (transformations.Count == 0) ThrowHelper.ThrowArgument(nameof(transformations), "partition needs at least one label.");
        foreach (var (key, t) in transformations)
        {
            if (string.IsNullOrEmpty(key)) ThrowHelper.ThrowArgument(nameof(transformations), "Partition labels must be non-empty.");
            if (t is null) ThrowHelper.ThrowArgument(nameof(transformations), $"The transformation of label '{key}' is null.");
            StepWrapper.ThrowIfWrapper(t, nameof(transformations));
        }
        return new PartitionTransformation(label, new Dictionary<string, GradientTransformation>(transformations, StringComparer.Ordinal), globs);
    }
}

/// <summary>Routes each parameter to its label's transformation.</summary>
internal sealed class PartitionTransformation(Func<Parameter, string> label, Dictionary<string, GradientTransformation> transformations,
    (string Group, string Pattern)[] globs) : GradientTransformation
{
    // The parameter set (and its size) whose names the globs were last checked against: planning a parameter checks
    // them once per set and size, not once per parameter.
    private sealed record GlobCheck(ParameterSet Parameters, int Count);
    private GlobCheck? _checked;

    // One stand-in per (label, global reduction), so that each partition's global reduction is its own reduction group.
    private readonly ConcurrentDictionary<(string Label, ReducingTransformation Inner), PartitionedReduction> _reductions = new();

    public IReadOnlyDictionary<string, GradientTransformation> Transformations => transformations;

    public override string Name => "partition";

    internal string LabelOf(Parameter parameter)
    {
        string l = label(parameter);
        if (l is null || !transformations.ContainsKey(l))
            ThrowHelper.ThrowArgument("transformation", $"Parameter '{parameter.Name}' has label '{l}', which has no transformation in the partition (labels: {string.Join(", ", transformations.Keys)}).");
        return l;
    }

    internal override void Expand(Parameter parameter, string path, List<Stage> stages)
    {
        if (globs.Length > 0 && (_checked is not { } c || c.Parameters != parameter.Owner || c.Count != parameter.Owner.Count))
        {
            ParameterGroups.CheckGlobsMatch(globs, parameter.Owner);
            _checked = new GlobCheck(parameter.Owner, parameter.Owner.Count);
        }
        string l = LabelOf(parameter);
        int first = stages.Count;
        transformations[l].Expand(parameter, Join(path, l), stages);
        for (int i = first; i < stages.Count; i++)
        {
            if (stages[i].Transform is ReducingTransformation { Scope: ReductionScope.AllParameters } global)
                stages[i] = stages[i] with { Transform = _reductions.GetOrAdd((l, global), key => new PartitionedReduction(key.Inner)) };
        }
    }
}

/// <summary>A global reduction restricted to one partition: delegates everything to the inner reduction.</summary>
internal sealed class PartitionedReduction(ReducingTransformation inner) : ReducingTransformation
{
    public ReducingTransformation Inner => inner;

    public override string Name => inner.Name;

    public override ReductionScope Scope => ReductionScope.AllParameters;

    public override TransformState? CreateState(Parameter parameter) => inner.CreateState(parameter);

    public override void BeginStep(TransformState? state, in StepInfo step) => inner.BeginStep(state, in step);

    public override double Reduce(ReadOnlySpan<float> updates) => inner.Reduce(updates);

    public override void Finish(TransformState? state, double total, in StepInfo step) => inner.Finish(state, total, in step);

    public override void Apply(TransformState? state, in Block block) => inner.Apply(state, in block);
}
