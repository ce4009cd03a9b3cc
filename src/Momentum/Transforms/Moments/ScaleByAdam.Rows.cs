using Momentum.Kernels;

namespace Momentum;

/// <summary>
/// Adam's step scalars by step count t, filled lazily (one <c>Math.Pow</c> per new count, never per element) up to the
/// count where they reach their limit (bias corrections of 1 in float), after which every count uses that entry.
/// </summary>
internal sealed class AdamScalarTable
{
    public float[] MomentScale = new float[16], GradientScale = new float[16], SqrtBc2 = new float[16], EpsRootTimesBc2 = new float[16];
    public int Filled = -1;                   // entries 0..Filled are computed; entry 0 is the limit (no correction)
    public int Saturated = int.MaxValue;      // from this count on, the entry equals the limit

    public int Index(float count) => count >= Saturated ? 0 : (int)count;
}

internal sealed partial class ScaleByAdamTransformation
{
    /// <summary>BeginStep under <see cref="StepCounting.PerRow"/> or <see cref="StepCounting.None"/>.</summary>
    private void BeginCountedStep(ScaleByAdamState s, in StepInfo step)
    {
        if (s.RowCounts is null)
        {
            Scalars(0, out s.MomentScale, out s.GradientScale, out s.SqrtBc2, out s.EpsRootTimesBc2);
            return;
        }
        long max = StepCounts.Advance(s.RowCounts, in step);
        var table = s.Table ??= new AdamScalarTable();
        while (table.Filled < max && table.Filled + 1 < table.Saturated)
        {
            int t = table.Filled + 1;
            if (t >= table.MomentScale.Length)
            {
                int size = table.MomentScale.Length * 2;
                Array.Resize(ref table.MomentScale, size);
                Array.Resize(ref table.GradientScale, size);
                Array.Resize(ref table.SqrtBc2, size);
                Array.Resize(ref table.EpsRootTimesBc2, size);
            }
            Scalars(t, out table.MomentScale[t], out table.GradientScale[t], out table.SqrtBc2[t], out table.EpsRootTimesBc2[t]);
            table.Filled = t;
            // The scalars are monotone in t, so once an entry equals the limit (entry 0) every later one does too.
            if (t > 0 && table.MomentScale[t] == table.MomentScale[0] && table.GradientScale[t] == table.GradientScale[0]
                && table.SqrtBc2[t] == table.SqrtBc2[0] && table.EpsRootTimesBc2[t] == table.EpsRootTimesBc2[0])
                table.Saturated = t;
        }
    }

    /// <summary>Apply under <see cref="StepCounting.PerRow"/>: each run of rows with the same count gets that count's scalars.</summary>
    private void ApplyPerRow(ScaleByAdamState s, in Block block)
    {
        var counts = s.RowCounts!.Span;
        var table = s.Table!;
        int rowLength = s.Mu.RowLength;
        int start = block.Offset, end = start + block.Length;
        for (int a = start; a < end;)
        {
            int b = StepCounts.RunEnd(counts, rowLength, a, end);
            int i = table.Index(counts[a / rowLength]);
            var op = new AdamOperator(_b1, _c1, _b2, _c2, table.MomentScale[i], table.GradientScale[i], table.SqrtBc2[i], table.EpsRootTimesBc2[i], _eps);
            int n = b - a;
            var u = block.Updates.Slice(a - start, n);
            var p = block.Parameters.Slice(a - start, n);
            if (s.NuMax is null)
                ElementwiseLoop.Run(op, u, s.Mu.Span.Slice(a, n), s.Nu.Span.Slice(a, n), p);
            else
                ElementwiseLoop.Run(new AmsgradOperator(op), u, s.Mu.Span.Slice(a, n), s.Nu.Span.Slice(a, n), s.NuMax.Span.Slice(a, n), p);
            a = b;
        }
    }
}
