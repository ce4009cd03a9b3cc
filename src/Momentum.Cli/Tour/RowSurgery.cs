namespace Momentum.Cli.Tour;

/// <summary>What happens to optimizer state at a refine (the arms of the Gaussian experiment).</summary>
internal enum RefineArm
{
    /// <summary>A: a fresh optimizer: every moment zero, step counts 0 (<see cref="ResetMode.FreshOptimizer"/>).</summary>
    FreshOptimizer,

    /// <summary>B: every moment zeroed, the step counts kept (<see cref="ResetMode.KeepStep"/>).</summary>
    ZeroMomentsKeepStep,

    /// <summary>C: row surgery: surviving rows keep their moments, new rows start at zero with the tensor's step (graphdeco, gsplat).</summary>
    Surgery,

    /// <summary>D: row surgery with Adam's <c>step_count='per_row'</c>: new rows start at zero with their own step 0.</summary>
    SurgeryPerRowStep,
}

/// <summary>
/// The one place where the Gaussian experiment changes rows of parameters and optimizer state, through the library's
/// dynamic-parameters API (docs/DYNAMIC.md): a <see cref="RowPlan"/> keeps the survivors in order (their state moves
/// with them) and appends new rows with fresh state, whose values the caller supplies.
/// </summary>
internal static class RowSurgery
{
    /// <summary>
    /// Keeps rows <paramref name="survivors"/> (in that order) of every parameter of <paramref name="group"/> and appends
    /// new rows whose values are <paramref name="fresh"/>[g] (row-major) for parameter g; new rows get fresh state.
    /// </summary>
    public static void Apply(Optimizer optimizer, Parameter[] group, int[] survivors, float[][] fresh)
    {
        if (fresh.Length != group.Length) throw new ArgumentException($"{group.Length} parameters but {fresh.Length} value arrays.", nameof(fresh));
        int added = group[0].RowLength == 0 ? 0 : fresh[0].Length / group[0].RowLength;
        for (int g = 0; g < group.Length; g++)
            if (fresh[g].Length != added * group[g].RowLength)
                throw new ArgumentException($"Parameter '{group[g].Name}' needs {added * group[g].RowLength} new values, not {fresh[g].Length}.", nameof(fresh));
        var plan = new RowPlan(group[0].Rows, "gaussians").Keep(survivors).Append(added);
        optimizer.ApplyRowPlan(plan, group);
        for (int g = 0; g < group.Length; g++) fresh[g].CopyTo(group[g].Values[(survivors.Length * group[g].RowLength)..]);
        optimizer.VerifyRows();
    }
}
