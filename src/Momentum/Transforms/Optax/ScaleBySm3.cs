namespace Momentum;

public static partial class Transforms
{
    /// <summary>Rescales updates by SM3's memory-efficient cover statistics (Anil et al., 2019, https://arxiv.org/abs/1901.11150), Optax's <c>scale_by_sm3</c>.</summary>
    /// <param name="b1">The momentum decay, in [0, 1).</param>
    /// <param name="b2">The accumulator decay, in [0, 1]; 1 (the default) accumulates like Adagrad.</param>
    /// <param name="eps">ε inside the square root; ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>
    /// A tensor of rank r ≥ 2 keeps r vectors μ⁽ⁱ⁾ (one per dimension): <c>acc = c₀·g² + c₁·minᵢ μ⁽ⁱ⁾[index i]</c> with
    /// <c>(c₀, c₁) = (1, 1)</c> if β2 = 1, else <c>(1−β2, β2)</c>; then <c>μ⁽ⁱ⁾[j] = max of acc over the slice with index j</c>
    /// on dimension i. Rank 0 and 1 keep a full accumulator, <c>acc = c₀·g² + c₁·μ</c>, <c>μ = acc</c>.
    /// <c>ĝ = g/√(acc + ε)</c> where acc &gt; 0, else 0; <c>ν ← β1·ν + (1−β1)·ĝ</c>; <c>u = ν</c>. A tensor
    /// transformation (whole tensor at once); its cover statistics do not follow row operations.
    /// </remarks>
    public static GradientTransformation ScaleBySm3(double b1 = 0.9, double b2 = 1, double eps = 1e-8)
    {
        OptaxGuard.Decay(b1, nameof(b1));
        OptaxGuard.DecayInclusive(b2, nameof(b2));
        OptaxGuard.NonNegative(eps, nameof(eps));
        return new ScaleBySm3Transformation(b1, b2, eps);
    }
}

/// <summary>The state of <c>scale_by_sm3</c>: ν, and μ (full for rank &lt; 2, else one vector per dimension).</summary>
internal sealed class Sm3State : TransformState
{
    public readonly RowBuffer Nu;
    public readonly RowBuffer? Full;
    public readonly RowBuffer[] Cover;
    public readonly float[][] NewCover;
    public readonly int[] Dims;
    public readonly int[] Index;

    public Sm3State(Parameter parameter) : base(parameter)
    {
        Nu = AddTensor("nu");
        var shape = parameter.Shape;
        if (shape.Length < 2)
        {
            Full = AddTensor("mu");
            Cover = [];
            NewCover = [];
            Dims = [];
            Index = [];
            return;
        }
        Dims = shape;
        Index = new int[shape.Length];
        Cover = new RowBuffer[shape.Length];
        NewCover = new float[shape.Length][];
        for (int i = 0; i < shape.Length; i++)
        {
            Cover[i] = AddOtherTensor("mu_" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), 1, shape[i]);
            NewCover[i] = new float[shape[i]];
        }
    }
}

internal sealed class ScaleBySm3Transformation(double b1, double b2, double eps) : TensorTransformation
{
    private readonly float _b1 = (float)b1, _c1 = (float)(1 - b1), _eps = (float)eps;
    private readonly float _k0 = b2 == 1 ? 1f : (float)(1 - b2), _k1 = (float)b2;

    public override string Name => "scale_by_sm3";

    public override TransformState? CreateState(Parameter parameter) => new Sm3State(parameter);

    public override void Update(TransformState? state, Span<float> updates, ReadOnlySpan<float> parameters, in StepInfo step)
    {
        var s = (Sm3State)state!;
        var nu = s.Nu.Span;
        if (s.Full is not null)
        {
            var mu = s.Full.Span;
            for (int k = 0; k < updates.Length; k++)
            {
                float g = updates[k];
                float acc = _k0 * (g * g) + _k1 * mu[k];
                mu[k] = acc;
                updates[k] = nu[k] = _b1 * nu[k] + _c1 * Scaled(g, acc);
            }
            return;
        }
        int rank = s.Dims.Length;
        if (s.Dims[0] != s.Parameter.Rows || s.Cover[0].Length != s.Parameter.Rows)
            ThrowHelper.ThrowInvalidOperation($"scale_by_sm3: parameter '{s.Parameter.Name}' changed its rows; SM3's cover statistics cannot follow row operations.");
        Array.Clear(s.Index);
        for (int i = 0; i < rank; i++) s.NewCover[i].AsSpan().Fill(float.NegativeInfinity);
        for (int k = 0; k < updates.Length; k++)
        {
            float min = float.PositiveInfinity;
            for (int i = 0; i < rank; i++) min = MathF.Min(min, s.Cover[i].Data[s.Cover[i].Offset + s.Index[i]]);
            float g = updates[k];
            float acc = _k0 * (g * g) + _k1 * min;
            for (int i = 0; i < rank; i++)
            {
                ref float slot = ref s.NewCover[i][s.Index[i]];
                slot = MathF.Max(slot, acc);
            }
            updates[k] = nu[k] = _b1 * nu[k] + _c1 * Scaled(g, acc);
            for (int i = rank - 1; i >= 0; i--)
            {
                if (++s.Index[i] < s.Dims[i]) break;
                s.Index[i] = 0;
            }
        }
        for (int i = 0; i < rank; i++) s.NewCover[i].AsSpan().CopyTo(s.Cover[i].Span);
    }

    private float Scaled(float g, float acc) => acc > 0f ? g / MathF.Sqrt(acc + _eps) : 0f;
}
