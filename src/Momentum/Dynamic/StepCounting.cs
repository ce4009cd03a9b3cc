using Momentum.Specs;

namespace Momentum;

/// <summary>
/// Which step count a transformation's bias correction (or first-step rule) uses. Chosen per transformation, e.g.
/// <see cref="AdamOptions.StepCounting"/> or <c>adam(step_count='per_row')</c>.
/// </summary>
public enum StepCounting
{
    /// <summary>One count per parameter tensor, as torch.optim, Optax and every shipped 3DGS trainer. New rows inherit it.</summary>
    PerTensor,

    /// <summary>
    /// One count per row, moved by row operations: a new row starts at 0 and gets the same bias correction a fresh
    /// optimizer would (Brush PR #451). Under a selective step only the selected rows count.
    /// </summary>
    PerRow,

    /// <summary>No count: Adam applies no bias correction (gsplat's SelectiveAdam, Taming-3DGS); momentum has no first-step rule.</summary>
    None,
}

/// <summary>Helpers for per-row step counts: spec names, and runs of rows that share a count.</summary>
internal static class StepCounts
{
    /// <summary>Reads the <c>step_count</c> argument of a spec: <c>'per_tensor'</c> (default), <c>'per_row'</c> or <c>'none'</c>.</summary>
    public static StepCounting FromSpec(SpecArguments a) => SpecBinding.ReadEnum(a, "step_count", StepCounting.PerTensor);

    /// <summary>Checks a <see cref="StepCounting"/> value, naming the argument.</summary>
    public static void Validate(StepCounting counting, string paramName)
    {
        if (counting is not (StepCounting.PerTensor or StepCounting.PerRow or StepCounting.None))
            ThrowHelper.ThrowArgument(paramName, $"Unknown step counting {counting}.");
    }

    /// <summary>
    /// Adds 1 to the count of every row, or of the selected rows in a selective step, and returns the largest count
    /// touched. O(rows touched).
    /// </summary>
    public static long Advance(RowBuffer counts, in StepInfo step)
    {
        var c = counts.Span;
        float max = 0;
        if (step.IsSelective)
        {
            foreach (int r in step.SelectedRows.Span)
            {
                float v = c[r] + 1f;
                c[r] = v;
                if (v > max) max = v;
            }
        }
        else
        {
            for (int r = 0; r < c.Length; r++)
            {
                float v = c[r] + 1f;
                c[r] = v;
                if (v > max) max = v;
            }
        }
        return (long)max;
    }

    /// <summary>
    /// The end (exclusive element index, at most <paramref name="end"/>) of the run of elements from
    /// <paramref name="start"/> whose rows all have the same count as the row of <paramref name="start"/>.
    /// </summary>
    public static int RunEnd(ReadOnlySpan<float> counts, int rowLength, int start, int end)
    {
        int row = start / rowLength;
        float c = counts[row];
        int lastRow = (end - 1) / rowLength;
        int r = row + 1;
        while (r <= lastRow && counts[r] == c) r++;
        return Math.Min(end, r * rowLength);
    }
}
