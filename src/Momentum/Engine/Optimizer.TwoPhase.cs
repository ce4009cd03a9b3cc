namespace Momentum;

// A chain headed by a two-phase tensor stage (ITwoPhaseTensorTransformation: Adafactor's factored second moment), run
// in a materialized step without its update buffer. The head prepares its statistics from the gradient itself (round
// 0); a reduction right after it sums the head's output recomputed segment by segment into a per-worker scratch (the
// same segments, so the same partial sums); the last round runs the head's output block by block through the other
// stages and into the parameter, as a fused step does, and the apply pass skips the parameter. Each element sees the
// operations of the generic rounds in their order, so the bits are the same (tested against SpecializedKernels off).
public sealed partial class Optimizer
{
    private float[][]? _chunkScratch; // per worker: one segment of a two-phase head's output, for the reduction after it

    /// <summary>
    /// The block length of a two-phase chain's last pass: 16 KiB of updates in L1, four times the fused step's block,
    /// since a two-phase chain is one large tensor whose stages are called once per block.
    /// </summary>
    private const int TwoPhaseBlockLength = 4 * BlockLength;

    /// <summary>How many parameters the last materialized step ran as two-phase chains (for tests).</summary>
    internal int TwoPhaseRunsLastStep { get; private set; }

    /// <summary>
    /// The chain's head when it can run as a two-phase chain: a two-phase tensor stage, then element-wise stages only,
    /// with a reduction (if any) only right after the head (so the head's output is the one thing recomputed).
    /// </summary>
    private static ITwoPhaseTensorTransformation? TwoPhaseHeadOf(Stage[] stages)
    {
        if (stages.Length == 0 || stages[0].Transform is not (TensorTransformation and ITwoPhaseTensorTransformation head)) return null;
        for (int s = 1; s < stages.Length; s++)
        {
            var t = stages[s].Transform;
            if (t is not ElementwiseTransformation || (s > 1 && t is ReducingTransformation)) return null;
        }
        return head;
    }

    /// <summary>Allocates the per-worker segment scratch once, at the first step that runs a two-phase chain.</summary>
    private void EnsureChunkScratch()
    {
        if (_chunkScratch is not null) return;
        _chunkScratch = new float[Options.Threads][];
        for (int w = 0; w < _chunkScratch.Length; w++) _chunkScratch[w] = new float[ChunkLength];
    }
}
