namespace Momentum;

/// <summary>
/// A tensor transformation whose work splits into two phases: per-step statistics that need the whole incoming tensor
/// (read only), then an output that is element-wise in the incoming updates given those statistics (Adafactor's factored
/// second moment: the row and column sums, then <c>u = g·f_row·f_col</c>). The engine then runs such a stage at the
/// head of a chain without materializing its output: it prepares the statistics from the gradient itself, and
/// computes the output block by block wherever the rest of the chain needs it (the pre-pass of a reduction right after
/// it, the pass that runs the other stages and writes the parameter).
/// </summary>
/// <remarks>
/// Contract, checked by tests that compare the two-phase path with <see cref="TensorTransformation.Update"/> bit for bit:
/// <list type="bullet">
/// <item><see cref="Prepare"/> leaves the state exactly as <see cref="TensorTransformation.Update"/> on the same
/// incoming updates would.</item>
/// <item><see cref="Write"/> then gives, for any range of elements and any split of the tensor into ranges, the bits
/// <see cref="TensorTransformation.Update"/> writes there; it reads only the state <see cref="Prepare"/> left and
/// changes nothing, so it may run any number of times, on any thread, for any range.</item>
/// </list>
/// </remarks>
internal interface ITwoPhaseTensorTransformation
{
    /// <summary>Whether this parameter's state (its layout) has the two phases; otherwise the engine calls <see cref="TensorTransformation.Update"/>.</summary>
    /// <param name="state">The transformation's state for the parameter.</param>
    bool HasTwoPhases(TransformState? state);

    /// <summary>The first phase: this step's statistics from the whole incoming tensor (counters advance here).</summary>
    /// <param name="state">The transformation's state for the parameter.</param>
    /// <param name="updates">The parameter's incoming updates, of its full length (not changed).</param>
    /// <param name="step">The step being taken.</param>
    void Prepare(TransformState? state, ReadOnlySpan<float> updates, in StepInfo step);

    /// <summary>The second phase: the outgoing updates of elements [offset, offset + length) from their incoming ones.</summary>
    /// <param name="state">The transformation's state for the parameter, as <see cref="Prepare"/> left it.</param>
    /// <param name="updates">The incoming updates of the range.</param>
    /// <param name="destination">Where the outgoing updates of the range go (the same length; may not overlap
    /// <paramref name="updates"/> unless it is the same span).</param>
    /// <param name="offset">The index of the range's first element in the parameter.</param>
    void Write(TransformState? state, ReadOnlySpan<float> updates, Span<float> destination, int offset);
}
