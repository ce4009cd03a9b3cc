namespace Momentum.Cli.Tour;

/// <summary>What happens to optimizer state at a refine (the arms of the Gaussian experiment).</summary>
internal enum RefineArm
{
    /// <summary>A: a fresh optimizer: every moment zero, step count 0.</summary>
    FreshOptimizer,

    /// <summary>B: every moment zeroed, the step count kept.</summary>
    ZeroMomentsKeepStep,

    /// <summary>C: row surgery: surviving rows keep their moments, new rows start at zero with the global step.</summary>
    Surgery,

    /// <summary>D: row surgery with a step count per row: new rows start at zero with their own step 0.</summary>
    SurgeryPerRowStep,
}

/// <summary>
/// The one place where the Gaussian experiment changes rows of parameters and optimizer state. A refine is given as a
/// row map: new row r comes from old row <c>source[r]</c>, or is new (−1) and takes the values the caller supplies.
/// </summary>
/// <remarks>
/// This implementation works on the engine's state objects directly: it rewrites each parameter's rows and every
/// per-row state tensor (<see cref="TransformState.Tensors"/> with <see cref="StateTensor.PerRow"/>), giving new rows
/// the tensor's initial value. When the dynamic-parameters row API (docs/DYNAMIC.md) is in main, this class is the
/// only thing to replace.
/// </remarks>
internal static class RowSurgery
{
    /// <summary>
    /// Rewrites <paramref name="parameter"/>'s rows by <paramref name="source"/>, with <paramref name="fresh"/> giving
    /// the values of new rows (row-major, one row per −1 in order); then moves its optimizer state the same way.
    /// </summary>
    public static void Apply(Optimizer optimizer, Parameter parameter, ReadOnlySpan<int> source, ReadOnlySpan<float> fresh)
    {
        int rowLength = parameter.RowLength, oldRows = parameter.Rows;
        var old = parameter.Values.ToArray();
        parameter.Storage.Resize(source.Length);
        var values = parameter.Values;
        int f = 0;
        for (int r = 0; r < source.Length; r++)
        {
            var dst = values.Slice(r * rowLength, rowLength);
            if (source[r] >= 0)
            {
                if (source[r] >= oldRows) throw new ArgumentOutOfRangeException(nameof(source), $"Row map entry {r} names row {source[r]} of {oldRows}.");
                old.AsSpan(source[r] * rowLength, rowLength).CopyTo(dst);
            }
            else
            {
                fresh.Slice(f * rowLength, rowLength).CopyTo(dst);
                f++;
            }
        }
        foreach (var (p, _, state) in optimizer.States)
        {
            if (!ReferenceEquals(p, parameter)) continue;
            foreach (var tensor in state.Tensors)
            {
                if (!tensor.PerRow) throw new InvalidOperationException($"State '{tensor.Slot}' of '{parameter.Name}' is not per-row and cannot follow a refine.");
                var before = tensor.Buffer.Span.ToArray();
                tensor.Buffer.Resize(source.Length);
                var span = tensor.Buffer.Span;
                for (int r = 0; r < source.Length; r++)
                {
                    var dst = span.Slice(r * rowLength, rowLength);
                    if (source[r] >= 0) before.AsSpan(source[r] * rowLength, rowLength).CopyTo(dst);
                    else dst.Fill(tensor.Initial);
                }
            }
        }
    }

    /// <summary>Sets every state tensor of every parameter back to its initial value; counters are kept (arm B).</summary>
    public static void ZeroMoments(Optimizer optimizer)
    {
        foreach (var (_, _, state) in optimizer.States)
            foreach (var tensor in state.Tensors) tensor.Buffer.Fill(tensor.Initial);
    }
}

/// <summary>
/// Adam with a step count per row, for arm D: each element keeps the running products β1ᵗ and β2ᵗ of its own row's
/// age, so a row created at a refine starts its bias correction at t = 1 while the others continue.
/// </summary>
/// <remarks>
/// Per element, with p1 ← β1·p1 and p2 ← β2·p2 (both start at 1, so after t steps they are β1ᵗ and β2ᵗ):
/// <c>m ← β1·m + (1−β1)·g</c>, <c>v ← β2·v + (1−β2)·g²</c>, <c>u = −η·(m/(1−p1)) / (√v/√(1−p2) + ε)</c>:
/// torch.optim.Adam's update with t counted per row (Brush PR #451 tried this for splats). Only + − × ÷ √ per element.
/// </remarks>
internal sealed class PerRowAdamTransformation(double learningRate, double b1 = 0.9, double b2 = 0.999, double eps = 1e-8) : ElementwiseTransformation
{
    private readonly float _lr = (float)learningRate, _b1 = (float)b1, _c1 = (float)(1 - b1), _b2 = (float)b2, _c2 = (float)(1 - b2), _eps = (float)eps;

    public override string Name => "per_row_adam";

    public override TransformState? CreateState(Parameter parameter) => new State(parameter);

    public override void Apply(TransformState? state, in Block block)
    {
        var s = (State)state!;
        int o = block.Offset, n = block.Length;
        var u = block.Updates;
        var m = s.Mu.Span.Slice(o, n);
        var v = s.Nu.Span.Slice(o, n);
        var p1 = s.P1.Span.Slice(o, n);
        var p2 = s.P2.Span.Slice(o, n);
        for (int i = 0; i < n; i++)
        {
            float g = u[i];
            p1[i] = _b1 * p1[i];
            p2[i] = _b2 * p2[i];
            m[i] = _b1 * m[i] + _c1 * g;
            v[i] = _b2 * v[i] + _c2 * g * g;
            u[i] = -_lr * (m[i] / (1f - p1[i])) / (MathF.Sqrt(v[i]) / MathF.Sqrt(1f - p2[i]) + _eps);
        }
    }

    private sealed class State : TransformState
    {
        public readonly RowBuffer Mu, Nu, P1, P2;

        public State(Parameter parameter) : base(parameter)
        {
            Mu = AddTensor("mu");
            Nu = AddTensor("nu");
            P1 = AddTensor("beta1_power", 1f);
            P2 = AddTensor("beta2_power", 1f);
        }
    }
}
