using Momentum.Kernels;

namespace Momentum;

/// <summary>
/// The state of an Optax building block for one parameter: up to four per-row tensors (named slots), the parameter's own
/// step count (PyTorch semantics: it advances only on steps where the parameter has a gradient; Optax keeps one count
/// per pytree, which is the same whenever every parameter has a gradient every step), and this step's scalars.
/// </summary>
internal sealed class OptaxState : TransformState
{
    public readonly RowBuffer? A, B, C, D;
    public long Count;
    public bool First;

    /// <summary>A per-parameter scalar kept across steps (e.g. NovoGrad's layer-wise second moment).</summary>
    public double Carry;

    // This step's scalars, computed once in BeginStep or Finish.
    public float S0, S1, S2, S3, S4, S5;

    /// <summary>Per-row step counts (<see cref="StepCounting.PerRow"/>) and the step scalars by count, or null.</summary>
    public readonly RowBuffer? RowCounts;
    public float[] CountTable = [];
    public int CountTableFilled = -1;
    public bool CountTableSaturated;

    public OptaxState(Parameter parameter, (string Slot, float Initial)[] tensors, string? carrySlot = null, bool rowCounter = false) : base(parameter)
    {
        for (int i = 0; i < tensors.Length; i++)
        {
            var buffer = AddTensor(tensors[i].Slot, tensors[i].Initial);
            switch (i)
            {
                case 0: A = buffer; break;
                case 1: B = buffer; break;
                case 2: C = buffer; break;
                default: D = buffer; break;
            }
        }
        AddScalar("count", () => Count, v => Count = (long)v);
        if (carrySlot is not null) AddScalar(carrySlot, () => Carry, v => Carry = v);
        if (rowCounter) RowCounts = AddRowCounter("row_count");
    }

    /// <summary>The slice of a state tensor that matches <paramref name="block"/>, or an empty span if absent.</summary>
    public static Span<float> Slice(RowBuffer? tensor, in Block block) => tensor is null ? default : tensor.Span.Slice(block.Offset, block.Length);
}

/// <summary>
/// An element-wise Optax building block with <see cref="OptaxState"/>: <see cref="BeginStep"/> advances the count and
/// calls <see cref="Prepare"/> for the step's scalars.
/// </summary>
internal abstract class OptaxElementwise(string name, params (string Slot, float Initial)[] tensors) : ElementwiseTransformation
{
    public override string Name => name;

    public override TransformState? CreateState(Parameter parameter) => new OptaxState(parameter, tensors);

    public override void BeginStep(TransformState? state, in StepInfo step)
    {
        var s = (OptaxState)state!;
        s.First = s.Count == 0;
        s.Count++;
        Prepare(s, in step);
    }

    /// <summary>Computes the step's scalars into <paramref name="s"/> (count already advanced).</summary>
    protected virtual void Prepare(OptaxState s, in StepInfo step)
    {
    }

    /// <summary>1 − βᵗ in double.</summary>
    protected static double Bc(double beta, long t) => 1 - Math.Pow(beta, t);
}

/// <summary>Shared validation for the Optax building blocks.</summary>
internal static class OptaxGuard
{
    /// <summary>A decay rate: finite and in [0, 1).</summary>
    public static void Decay(double value, string paramName)
    {
        if (!double.IsFinite(value) || value < 0 || value >= 1) ThrowHelper.ThrowInvalid(paramName, $"{paramName} value (must be in [0, 1))", value);
    }

    /// <summary>A decay rate: finite and in [0, 1].</summary>
    public static void DecayInclusive(double value, string paramName)
    {
        if (!double.IsFinite(value) || value < 0 || value > 1) ThrowHelper.ThrowInvalid(paramName, $"{paramName} value (must be in [0, 1])", value);
    }

    /// <summary>Finite and ≥ 0.</summary>
    public static void NonNegative(double value, string paramName)
    {
        if (!double.IsFinite(value) || value < 0) ThrowHelper.ThrowInvalid(paramName, $"{paramName} value (must be ≥ 0)", value);
    }

    /// <summary>Finite and &gt; 0.</summary>
    public static void Positive(double value, string paramName)
    {
        if (!double.IsFinite(value) || value <= 0) ThrowHelper.ThrowInvalid(paramName, $"{paramName} value (must be > 0)", value);
    }

    /// <summary>Finite.</summary>
    public static void Finite(double value, string paramName)
    {
        if (!double.IsFinite(value)) ThrowHelper.ThrowInvalid(paramName, $"{paramName} value (must be finite)", value);
    }
}
