namespace Momentum;

/// <summary>What a step does when a gradient holds NaN or ±∞.</summary>
public enum NonFiniteGradients
{
    /// <summary>Refuse the step with a <see cref="NonFiniteGradientException"/> before any state or parameter changes (the default).</summary>
    Throw,

    /// <summary>Skip the whole step: parameters, state and counters stay as they were; <see cref="Optimizer.SkippedSteps"/> counts it.</summary>
    Skip,

    /// <summary>Do not check: NaN flows into moments and parameters, as in PyTorch. Saves one read of the gradients.</summary>
    Propagate,
}

/// <summary>How an <see cref="Optimizer"/> runs its steps.</summary>
public sealed record OptimizerOptions
{
    /// <summary>The number of threads a step may use; results are bit-identical for any value. Default: the processor count.</summary>
    public int Threads { get; init; } = Kernels.WorkerPool.DefaultThreads;

    /// <summary>What to do with non-finite gradients. Default: <see cref="NonFiniteGradients.Throw"/>.</summary>
    public NonFiniteGradients NonFiniteGradients { get; init; } = NonFiniteGradients.Throw;

    /// <summary>Whether recognized chains run through the one-pass kernels (tests turn this off to compare with the generic path).</summary>
    internal bool SpecializedKernels { get; init; } = true;

    /// <summary>Whether every chain, element-wise ones included, runs the materialized path (tests compare it with the
    /// fused path).</summary>
    internal bool Materialized { get; init; }

    /// <summary>Whether the materialized path runs each round as one pass over the elements, with the gradient copy, the
    /// next round's reduction sums and the final addition to the parameters folded in (tests turn it off to compare with
    /// the round-by-round passes).</summary>
    internal bool FusedRounds { get; init; } = true;

    internal void Validate()
    {
        if (Threads < 1) ThrowHelper.ThrowArgumentOutOfRange(nameof(Threads), Threads, "must be at least 1");
        if (!Enum.IsDefined(NonFiniteGradients)) ThrowHelper.ThrowArgumentOutOfRange(nameof(NonFiniteGradients), (int)NonFiniteGradients, "is not a defined policy");
    }
}

/// <summary>A gradient held NaN or ±∞ and the step was refused; nothing was changed.</summary>
public sealed class NonFiniteGradientException : ArithmeticException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="parameterName">The parameter whose gradient is not finite.</param>
    /// <param name="index">The index of the first non-finite element.</param>
    /// <param name="value">Its value.</param>
    public NonFiniteGradientException(string parameterName, int index, float value)
        : base($"The gradient of '{parameterName}' is not finite at element {index} ({value}); the step was refused and nothing changed.")
    {
        ParameterName = parameterName;
        Index = index;
    }

    /// <summary>The parameter whose gradient is not finite.</summary>
    public string ParameterName { get; }

    /// <summary>The index of the first non-finite element.</summary>
    public int Index { get; }
}
