using Momentum.Kernels;

namespace Momentum;

public static partial class Transforms
{
    /// <summary>Optax's standard quintic Newton–Schulz coefficients (3.4445, −4.7750, 2.0315), preset <c>"standard"</c>.</summary>
    public static IReadOnlyList<(double A, double B, double C)> MuonStandardCoefficients { get; } = [(3.4445, -4.7750, 2.0315)];

    /// <summary>The most Newton–Schulz iterations <see cref="ScaleByMuon"/> accepts (Optax's default is 5; each costs three matrix products).</summary>
    public const int MuonMaxNsSteps = 100;

    /// <summary>Optax's <c>"dion"</c> preset: five per-iteration coefficient triples (ns_steps is then ignored).</summary>
    public static IReadOnlyList<(double A, double B, double C)> MuonDionCoefficients { get; } =
        [(4.0848, -6.8946, 2.9270), (3.9505, -6.3029, 2.6377), (3.7418, -5.5913, 2.3037), (2.8769, -3.1427, 1.2046), (2.8366, -3.0525, 1.2012)];

    /// <summary>
    /// Muon's rescaling for 2-D parameters (Jordan et al., 2024, https://kellerjordan.github.io/posts/muon/), Optax's
    /// <c>contrib.scale_by_muon</c>: momentum, then an approximate orthogonalization by Newton–Schulz iterations.
    /// </summary>
    /// <param name="coefficients">One triple (a, b, c) used for every iteration, or one triple per iteration.</param>
    /// <param name="nsSteps">Iterations when one triple is given; 0 to <see cref="MuonMaxNsSteps"/>.</param>
    /// <param name="beta">β, the momentum decay, in [0, 1).</param>
    /// <param name="eps">ε added to the Frobenius norm; ≥ 0.</param>
    /// <param name="nesterov">Use the Nesterov form of the momentum (Optax's default).</param>
    /// <param name="adaptive">Scale the result by ⟨m̂, O⟩ (Optax's <c>adaptive</c>).</param>
    /// <exception cref="ArgumentException">The coefficients are empty or not finite, or a hyperparameter is out of range.</exception>
    /// <remarks>
    /// With t = count + 1: <c>m ← β m + (1−β) g</c>; <c>m̂ = m/(1−βᵗ)</c>, or with Nesterov
    /// <c>m̂ = β·m/(1−βᵗ⁺¹) + (1−β)·g/(1−βᵗ)</c>. X = m̂ as a matrix (rows × row length), transposed when it has more
    /// rows than columns; <c>X ← X/(‖X‖_F + ε)</c>; each iteration <c>A = XXᵀ</c>, <c>X ← aX + (bA + cA²)X</c>;
    /// transposed back. Every parameter is taken as its (rows × row length) matrix, so a convolution weight
    /// [out, in, kh, kw] is orthogonalized as out × (in·kh·kw), as the Muon reference code does (Optax raises for
    /// non-2-D leaves unless given dimension numbers); <see cref="Optimizers.Muon"/> sends only rank-2 parameters
    /// here and the others to AdamW, as Optax's default. The iterations run in float32, as Optax's do in the
    /// parameter's dtype: each matrix product is a blocked, multithreaded kernel whose every element is the float sum
    /// over k in increasing order (the bits of naive float32 loops, for any thread count and vector width). Only
    /// Optax's default <c>preconditioning='frobenius'</c> is implemented. State: mu, count.
    /// </remarks>
    public static GradientTransformation ScaleByMuon(IReadOnlyList<(double A, double B, double C)>? coefficients = null, int nsSteps = 5, double beta = 0.95,
        double eps = 1e-8, bool nesterov = true, bool adaptive = false)
    {
        coefficients ??= MuonStandardCoefficients;
        if (coefficients.Count == 0) ThrowHelper.ThrowArgument(nameof(coefficients), "Newton–Schulz coefficients must not be empty.");
        foreach (var (a, b, c) in coefficients)
            if (!double.IsFinite(a) || !double.IsFinite(b) || !double.IsFinite(c)) ThrowHelper.ThrowArgument(nameof(coefficients), "Newton–Schulz coefficients must be finite.");
        if (nsSteps is < 0 or > MuonMaxNsSteps) ThrowHelper.ThrowArgumentOutOfRange("ns_steps", nsSteps, $"must be between 0 and {MuonMaxNsSteps}");
        if (!double.IsFinite(beta) || beta < 0 || beta >= 1) ThrowHelper.ThrowInvalid(nameof(beta), "beta", beta);
        ValidateEpsilon(eps, nameof(eps));
        var steps = coefficients.Count == 1 ? [.. Enumerable.Repeat(coefficients[0], nsSteps)] : coefficients.ToArray();
        return new ScaleByMuonTransformation(steps, beta, eps, nesterov, adaptive);
    }

    /// <summary>
    /// Multiplies a 2-D parameter's update by <c>√max(1, fan_out/fan_in)</c>, or by <c>consistent_rms·√max(fan_in, fan_out)</c>
    /// (Optax's <c>contrib.scale_by_shape</c>). Here rows are outputs and the row length is fan_in (PyTorch's layout), for
    /// any rank (the parameter's matrix view, as in <see cref="ScaleByMuon"/>).
    /// </summary>
    /// <param name="consistentRms">Use consistent-RMS scaling with this factor; null for the width scaling.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="consistentRms"/> is not finite.</exception>
    public static GradientTransformation ScaleByShape(double? consistentRms = null)
    {
        if (consistentRms is { } c) ThrowHelper.ThrowIfNotFinite(c, nameof(consistentRms));
        return new ScaleByShapeTransformation(consistentRms);
    }
}

/// <summary>The state of <c>scale_by_muon</c>: the momentum, a count and (unsaved) scratch for the iterations.</summary>
internal sealed class ScaleByMuonState : TransformState
{
    public readonly RowBuffer Mu;
    public long Count;

    /// <summary>The iterate X (the parameter's rows × row length), A = XXᵀ (or XᵀX) and m̂ for <c>adaptive</c>.</summary>
    public float[] X = [], A = [], MHat = [];

    /// <summary>The matrix multiply's packed operands and tiles.</summary>
    public readonly Gemm Gemm = new();

    public ScaleByMuonState(Parameter parameter) : base(parameter)
    {
        Mu = AddTensor("mu");
        AddScalar("count", () => Count, v => Count = (long)v);
    }
}

/// <summary>See <see cref="Transforms.ScaleByMuon"/>.</summary>
internal sealed class ScaleByMuonTransformation((double A, double B, double C)[] steps, double beta, double eps, bool nesterov, bool adaptive)
    : TensorTransformation
{
    public override string Name => "scale_by_muon";

    public override TransformState? CreateState(Parameter parameter) => new ScaleByMuonState(parameter);

    public override void Update(TransformState? state, Span<float> updates, ReadOnlySpan<float> parameters, in StepInfo step)
    {
        var s = (ScaleByMuonState)state!;
        long t = ++s.Count;
        var mu = s.Mu.Span;
        float b = (float)beta, cb = (float)(1 - beta);
        float km = nesterov ? (float)(beta / (1 - Math.Pow(beta, t + 1))) : (float)(1 / (1 - Math.Pow(beta, t)));
        float kg = nesterov ? (float)((1 - beta) / (1 - Math.Pow(beta, t))) : 0f;
        for (int i = 0; i < updates.Length; i++)
        {
            float g = updates[i];
            mu[i] = b * mu[i] + cb * g;
            updates[i] = km * mu[i] + kg * g;
        }
        int rows = step.Parameter.Rows, cols = step.Parameter.RowLength;
        if (rows == 0 || cols == 0) return;
        if (adaptive)
        {
            if (s.MHat.Length < updates.Length) s.MHat = new float[updates.Length];
            updates.CopyTo(s.MHat);
        }
        Orthogonalize(s, updates, rows, cols);
        if (adaptive)
        {
            double dot = 0;
            for (int i = 0; i < updates.Length; i++) dot += (double)s.MHat[i] * updates[i];
            float f = (float)dot;
            for (int i = 0; i < updates.Length; i++) updates[i] *= f;
        }
    }

    /// <summary>
    /// Newton–Schulz on the rows × cols matrix u, in place, in float32 with <see cref="Gemm"/>. With k = min(rows, cols),
    /// A is k × k: <c>A = XXᵀ</c> when rows ≤ cols; when rows &gt; cols the iteration runs on Xᵀ, which is
    /// <c>A = XᵀX</c> and <c>X ← aX + X·B</c> on X itself (B is symmetric), the same products as on an explicit transpose.
    /// </summary>
    private void Orthogonalize(ScaleByMuonState s, Span<float> u, int rows, int cols)
    {
        bool transposed = rows > cols;
        int k = transposed ? cols : rows, n = transposed ? rows : cols;
        if (s.X.Length < u.Length) s.X = new float[u.Length];
        if (s.A.Length < k * k) s.A = new float[k * k];
        float[] x = s.X, a = s.A;
        float scale = (float)(1 / ((float)Math.Sqrt(VectorMath.SumOfSquares(u)) + eps));
        for (int i = 0; i < u.Length; i++) x[i] = u[i] * scale;
        int threads = WorkerPool.DefaultThreads;
        foreach (var (ca, cb, cc) in steps)
        {
            // A = XXᵀ (XᵀX); then B = b·A + c·A² in A's place (both symmetric); then X ← a·X + B·X (X·B).
            if (transposed) s.Gemm.Multiply(x, true, x, false, a, k, k, n, symmetric: true, threads: threads);
            else s.Gemm.Multiply(x, false, x, true, a, k, k, n, symmetric: true, threads: threads);
            s.Gemm.Multiply(a, false, a, false, a, k, k, k, alpha: (float)cc, beta: (float)cb, d: a, symmetric: true, threads: threads);
            if (transposed) s.Gemm.Multiply(x, false, a, false, x, n, k, k, beta: (float)ca, d: x, threads: threads);
            else s.Gemm.Multiply(a, false, x, false, x, k, n, k, beta: (float)ca, d: x, threads: threads);
        }
        x.AsSpan(0, u.Length).CopyTo(u);
    }
}

/// <summary>See <see cref="Transforms.ScaleByShape"/>.</summary>
internal sealed class ScaleByShapeTransformation(double? consistentRms) : ElementwiseTransformation, IWholeTensorStage
{
    public override string Name => "scale_by_shape";

    public override TransformState? CreateState(Parameter parameter) => new StepScalarState(parameter);

    public override void BeginStep(TransformState? state, in StepInfo step)
    {
        var p = step.Parameter;
        double fanIn = p.RowLength, fanOut = p.Rows;
        double factor = consistentRms is { } c ? Math.Sqrt(Math.Max(fanIn, fanOut)) * c : Math.Sqrt(Math.Max(1, fanOut / Math.Max(fanIn, 1)));
        ((StepScalarState)state!).Value = (float)factor;
    }

    public override void Apply(TransformState? state, in Block block) => Kernels.VectorMath.Scale(block.Updates, ((StepScalarState)state!).Value);
}
