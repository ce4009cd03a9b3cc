namespace Momentum;

public sealed partial class Optimizer
{
    /// <summary>
    /// The global L2 norm of the updates that <c>clip_by_global_norm</c> computed in the last step taken, before
    /// clipping (what torch's <c>clip_grad_norm_</c> returns), for logging; <see langword="null"/> if the chain has no
    /// <c>clip_by_global_norm</c> or no step has been taken since the optimizer was built or its state loaded.
    /// </summary>
    /// <remarks>
    /// The norm is over every parameter that had a gradient in that step (at the head of the chain, the gradients' norm).
    /// With parameter groups or a <see cref="Transforms.Partition"/> each partition clips by its own norm; this is the
    /// norm of the partition of the first parameter, in parameter order, that took part in the step. Reading it scans the
    /// step's parameters; a step computes it whether or not it is read (it is the clipping's own sum), so it costs the
    /// step nothing.
    /// </remarks>
    public double? LastGradientNorm
    {
        get
        {
            if (StepCount == 0) return null;
            for (int a = 0; a < _activeCount; a++)
            {
                var plan = _plans[_active[a]];
                if (plan.States is null) continue;
                for (int s = 0; s < plan.Stages.Length; s++)
                {
                    if (plan.Stages[s].Transform is ClipByNormTransformation { Scope: ReductionScope.AllParameters }
                        && plan.States[s] is ClipByNormState { } state && state.NormStep == StepCount - 1)
                        return state.Norm;
                }
            }
            return null;
        }
    }
}
