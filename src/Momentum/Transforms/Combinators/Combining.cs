namespace Momentum;

public static partial class Transforms
{
    /// <summary>Applies transformations in sequence, each to the output of the previous one (Optax's <c>chain</c>).</summary>
    /// <param name="transformations">The transformations, in order.</param>
    /// <exception cref="ArgumentException">A transformation is null or a whole-step wrapper (wrappers must be outermost).</exception>
    /// <remarks>State is named by position: the i-th transformation's state lives under path <c>i.name</c>.</remarks>
    public static GradientTransformation Chain(params GradientTransformation[] transformations)
    {
        ArgumentNullException.ThrowIfNull(transformations);
        for (int i = 0; i < transformations.Length; i++)
        {
            if (transformations[i] is null) ThrowHelper.ThrowArgument(nameof(transformations), $"Transformation {i} of the chain is null.");
            StepWrapper.ThrowIfWrapper(transformations[i], nameof(transformations));
        }
        return new ChainTransformation([.. transformations], null);
    }

    /// <summary>Applies transformations in sequence, naming each (Optax's <c>named_chain</c>); state lives under the names.</summary>
    /// <param name="transformations">The names and transformations, in order; names must be unique and non-empty.</param>
    /// <exception cref="ArgumentException">A name is empty or repeated, or a transformation is null or a whole-step wrapper.</exception>
    public static GradientTransformation NamedChain(params (string Name, GradientTransformation Transformation)[] transformations)
    {
        ArgumentNullException.ThrowIfNull(transformations);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, t) in transformations)
        {
            if (string.IsNullOrEmpty(name) || !names.Add(name)) ThrowHelper.ThrowArgument(nameof(transformations), $"Names in a named chain must be unique and non-empty: '{name}'.");
            if (t is null) ThrowHelper.ThrowArgument(nameof(transformations), $"Transformation '{name}' is null.");
            StepWrapper.ThrowIfWrapper(t, nameof(transformations));
        }
        return new ChainTransformation([.. transformations.Select(x => x.Transformation)], [.. transformations.Select(x => x.Name)]);
    }

    /// <summary>
    /// Applies <paramref name="inner"/> only to the parameters <paramref name="mask"/> selects (Optax's <c>masked</c>):
    /// the others' updates pass through unchanged, and the inner transformation keeps no state for them.
    /// </summary>
    /// <param name="inner">The transformation to apply to selected parameters.</param>
    /// <param name="mask">Returns true for the parameters to transform.</param>
    /// <exception cref="ArgumentException"><paramref name="inner"/> is a whole-step wrapper (it must be outermost).</exception>
    public static GradientTransformation Masked(GradientTransformation inner, Func<Parameter, bool> mask)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(mask);
        StepWrapper.ThrowIfWrapper(inner, nameof(inner));
        return new MaskedTransformation(inner, mask);
    }

    /// <summary>The identity: updates pass through unchanged, no state.</summary>
    public static GradientTransformation Identity() => new ChainTransformation([], null);
}

/// <summary>A sequence of transformations.</summary>
internal sealed class ChainTransformation(GradientTransformation[] children, string[]? names) : GradientTransformation
{
    public IReadOnlyList<GradientTransformation> Children => children;

    public override string Name => names is null ? "chain" : "named_chain";

    internal override void Expand(Parameter parameter, string path, List<Stage> stages)
    {
        for (int i = 0; i < children.Length; i++)
            children[i].Expand(parameter, Join(path, names is null ? i.ToString(System.Globalization.CultureInfo.InvariantCulture) : names[i]), stages);
    }
}

/// <summary>Applies its inner transformation to the parameters a mask selects; others pass through.</summary>
internal sealed class MaskedTransformation(GradientTransformation inner, Func<Parameter, bool> mask) : GradientTransformation
{
    public override string Name => "masked";

    internal override void Expand(Parameter parameter, string path, List<Stage> stages)
    {
        if (mask(parameter)) inner.Expand(parameter, path, stages);
    }
}
