namespace Momentum;

public static partial class Transforms
{
    /// <summary>Sets every update to zero (Optax's <c>set_to_zero</c>); keeps no state.</summary>
    /// <remarks><c>u ← 0</c> (NaN and ±∞ included), so the parameters do not move.</remarks>
    public static GradientTransformation SetToZero() => new SetToZeroTransformation();

    /// <summary>
    /// Freezes the parameters <paramref name="frozen"/> selects (Optax's <c>freeze</c> = <c>masked(set_to_zero(), mask)</c>):
    /// their updates become zero; the others pass through unchanged.
    /// </summary>
    /// <param name="frozen">Returns true for the parameters to freeze.</param>
    /// <remarks>
    /// Used as <c>chain(opt, freeze(mask))</c>, the optimizer still keeps state for frozen parameters (as in Optax); use
    /// <see cref="SelectiveTransform"/> to avoid that.
    /// </remarks>
    public static GradientTransformation Freeze(Func<Parameter, bool> frozen) => Masked(SetToZero(), frozen);

    /// <summary>
    /// Applies <paramref name="optimizer"/> to the parameters <paramref name="freezeMask"/> does not select and zeroes the
    /// updates of the others (Optax's <c>selective_transform</c>): frozen parameters get no optimizer state at all.
    /// </summary>
    /// <param name="optimizer">The optimizer for the trained parameters.</param>
    /// <param name="freezeMask">Returns true for the parameters to freeze.</param>
    /// <remarks>
    /// A frozen parameter's chain expands to the single stateless stage <c>set_to_zero</c>; a trained one's to the
    /// optimizer's stages, with the optimizer's own state paths (Optax nests them under a <c>partition</c> label).
    /// </remarks>
    public static GradientTransformation SelectiveTransform(GradientTransformation optimizer, Func<Parameter, bool> freezeMask) =>
        new SelectiveTransformation(optimizer ?? throw new ArgumentNullException(nameof(optimizer)), freezeMask ?? throw new ArgumentNullException(nameof(freezeMask)));
}

/// <summary><c>u ← 0</c>.</summary>
internal sealed class SetToZeroTransformation : ElementwiseTransformation
{
    public override string Name => "set_to_zero";

    public override void Apply(TransformState? state, in Block block) => block.Updates.Clear();
}

/// <summary>See <see cref="Transforms.SelectiveTransform"/>.</summary>
internal sealed class SelectiveTransformation(GradientTransformation optimizer, Func<Parameter, bool> freezeMask) : GradientTransformation
{
    private static readonly SetToZeroTransformation s_zero = new();

    public override string Name => "selective_transform";

    internal override void Expand(Parameter parameter, string path, List<Stage> stages)
    {
        if (freezeMask(parameter)) s_zero.Expand(parameter, path, stages);
        else optimizer.Expand(parameter, path, stages);
    }
}
