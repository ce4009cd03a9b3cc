using Momentum.Kernels;

namespace Momentum;

/// <summary>
/// A transformation that can be the core of a one-pass kernel. The engine runs a parameter's chain
/// <c>[clip_by_norm | clip_by_global_norm] → [scale] → [add_decayed_weights] → core → [add_decayed_weights] →
/// scale_by_learning_rate</c> (or the same without a core) as one vectorized loop when every stage has its part in
/// <see cref="ChainScalars"/> and the core implements this interface and says <see cref="CanFuse"/>.
/// </summary>
/// <remarks>
/// Contract, checked by tests that compare the one-pass path with the generic chain bit for bit:
/// <list type="bullet">
/// <item><see cref="BeginFusedStep"/> leaves the state exactly as <see cref="GradientTransformation.BeginStep"/> would.</item>
/// <item><see cref="RunFused"/> performs the core's own float operations in the order its generic
/// <see cref="ElementwiseTransformation.Apply"/> does, at every vector width and for any split of the elements.</item>
/// <item>Both touch only this parameter's core state, so parameters may be begun and run in parallel.</item>
/// </list>
/// </remarks>
internal interface IFusedCore
{
    /// <summary>Whether this instance's configuration has a one-pass kernel (e.g. not AMSGrad, per-tensor counting).</summary>
    bool CanFuse { get; }

    /// <summary>Whether the kernel streams a second state tensor (<see cref="FusedStateArrays.B"/>).</summary>
    bool HasSecondMoment { get; }

    /// <summary>State elements per float32 slot of the state arrays (2 for packed bfloat16 moments).</summary>
    int StatePerSlot { get; }

    /// <summary>Writes the core's constants (betas, ε, decay) into <paramref name="k"/>; called once, when the chain is planned.</summary>
    void SetConstants(ref ChainScalars k);

    /// <summary>Does what <see cref="GradientTransformation.BeginStep"/> does.</summary>
    /// <param name="state">The core's state for the parameter.</param>
    /// <param name="step">The step.</param>
    /// <param name="memo">The calling worker's last Adam scalars, which parameters at the same count may share.</param>
    void BeginFusedStep(TransformState state, in StepInfo step, ref AdamScalarMemo memo);

    /// <summary>Writes this step's scalars of the core (bias corrections, first-step flag) into <paramref name="k"/>.</summary>
    void PrepareFused(TransformState state, ref ChainScalars k);

    /// <summary>Where the core's state tensors live (read again only when a layout, a gradient buffer or the state changed).</summary>
    FusedStateArrays StateArrays(TransformState state);

    /// <summary>Runs elements [<paramref name="start"/>, <paramref name="start"/> + <paramref name="length"/>) in one pass.</summary>
    void RunFused(in ChainScalars k, ReadOnlySpan<float> g, Span<float> p, in FusedStateArrays state, int start, int length);
}

/// <summary>The arrays and offsets of a fused core's state tensors (B unused without a second moment).</summary>
internal readonly record struct FusedStateArrays(float[] A, int AAt, float[] B, int BAt)
{
    public static readonly FusedStateArrays None = new([], 0, [], 0);
}
