namespace Momentum;

public static partial class Transforms
{
    /// <summary>
    /// Keeps the parameters non-negative (Optax's <c>keep_params_nonnegative</c>): where <c>θ + u &lt; 0</c> the update
    /// becomes <c>−θ</c>, so the parameter lands on 0. Use it last in a chain.
    /// </summary>
    /// <remarks><c>u ← (θ + u &lt; 0) ? −θ : u</c>. Parameters must start non-negative for the guarantee to hold. No state.</remarks>
    public static GradientTransformation KeepParamsNonnegative() => new KeepParamsNonnegativeTransformation();

    /// <summary>Replaces NaN updates by 0 (Optax's <c>zero_nans</c>); the state records whether a NaN was found.</summary>
    /// <remarks>
    /// <c>u ← isnan(u) ? 0 : u</c> (±∞ are kept, as in Optax). State per parameter: <c>found_nan</c> (0 or 1), set for
    /// the last step the parameter took.
    /// </remarks>
    public static GradientTransformation ZeroNans() => new ZeroNansTransformation();
}

/// <summary>See <see cref="Transforms.KeepParamsNonnegative"/>.</summary>
internal sealed class KeepParamsNonnegativeTransformation : ElementwiseTransformation
{
    public override string Name => "keep_params_nonnegative";

    public override void Apply(TransformState? state, in Block block)
    {
        var u = block.Updates;
        var p = block.Parameters;
        for (int i = 0; i < u.Length; i++)
            if (p[i] + u[i] < 0) u[i] = -p[i];
    }
}

/// <summary>The state of <c>zero_nans</c>.</summary>
internal sealed class ZeroNansState : TransformState
{
    // 0 or 1; blocks of one parameter may run on several threads, and each only ever writes 1.
    public int FoundNan;

    public ZeroNansState(Parameter parameter) : base(parameter) => AddScalar("found_nan", () => FoundNan, v => FoundNan = v != 0 ? 1 : 0);
}

/// <summary>See <see cref="Transforms.ZeroNans"/>.</summary>
internal sealed class ZeroNansTransformation : ElementwiseTransformation
{
    public override string Name => "zero_nans";

    public override TransformState? CreateState(Parameter parameter) => new ZeroNansState(parameter);

    public override void BeginStep(TransformState? state, in StepInfo step) => ((ZeroNansState)state!).FoundNan = 0;

    public override void Apply(TransformState? state, in Block block)
    {
        var u = block.Updates;
        bool found = false;
        for (int i = 0; i < u.Length; i++)
        {
            if (!float.IsNaN(u[i])) continue;
            u[i] = 0;
            found = true;
        }
        if (found) Volatile.Write(ref ((ZeroNansState)state!).FoundNan, 1);
    }
}
