namespace Momentum;

/// <summary>
/// The collective seams of a step, for an optimizer that is one rank of a sharded optimizer (Momentum.Distributed): each
/// rank's <see cref="Optimizer"/> holds the same parameters in the same order, each as its own piece of the full tensor
/// (possibly empty), and takes the same step. The engine calls these hooks on every rank at the same points of every
/// step, whatever the rank holds, so the calls match one to one across ranks:
/// <list type="bullet">
/// <item><see cref="ShareFirstNonFinite"/> after the gradient check's scan and before anything changes (policies
/// <see cref="NonFiniteGradients.Throw"/> and <see cref="NonFiniteGradients.Skip"/>);</item>
/// <item><see cref="GatherPartials"/> wherever per-segment partial sums are folded: a reduction's totals
/// (<c>FinishReductions</c>) and a whole-step wrapper's sums (<c>RunSegments</c>).</item>
/// </list>
/// With no hook (the default) a step is exactly the single-process step. Not used by row operations or selective steps.
/// </summary>
internal interface IStepCollective
{
    /// <summary>
    /// Replaces this rank's first non-finite gradient element (<paramref name="found"/> false when none) by the first over
    /// all ranks, in parameter then element order, with its element index in the full tensor; every rank gets the same
    /// answer.
    /// </summary>
    /// <param name="found">In: this rank found one. Out: some rank did.</param>
    /// <param name="parameter">The parameter's index (the same on every rank).</param>
    /// <param name="index">In: the element's index in this rank's piece. Out: in the full tensor.</param>
    /// <param name="value">The element's value.</param>
    void ShareFirstNonFinite(ref bool found, ref int parameter, ref int index, ref float value);

    /// <summary>
    /// Exchanges this rank's per-segment partial sums, each with its key, and returns every rank's, concatenated in rank
    /// order: the single-process segment order, since rank r holds the pieces before rank r + 1's. The returned arrays
    /// belong to the hook and stay valid until its next call.
    /// </summary>
    /// <param name="keys">Per local segment: which total it adds to.</param>
    /// <param name="partials">Per local segment: its partial sum.</param>
    /// <param name="allKeys">Every rank's keys.</param>
    /// <param name="allPartials">Every rank's partials.</param>
    /// <returns>How many entries of <paramref name="allKeys"/> and <paramref name="allPartials"/> are filled.</returns>
    int GatherPartials(ReadOnlySpan<int> keys, ReadOnlySpan<double> partials, out int[] allKeys, out double[] allPartials);
}
