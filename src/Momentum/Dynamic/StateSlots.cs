namespace Momentum;

/// <summary>State slot names as users write them: the library's own (<c>mu</c>, <c>nu</c>, <c>count</c>) or PyTorch's.</summary>
internal static class StateSlots
{
    /// <summary>The name of a step count: per row in a row plan, the <c>count</c> scalar for a parameter.</summary>
    public const string Step = "step";

    /// <summary>The library's slot name for a PyTorch state name (<c>exp_avg</c> → <c>mu</c>), or the name itself.</summary>
    public static string Canonical(string slot) => slot switch
    {
        "exp_avg" => "mu",
        "exp_avg_sq" => "nu",
        "max_exp_avg_sq" => "nu_max",
        _ => slot,
    };

    /// <summary>Whether <paramref name="tensor"/> is what <paramref name="slot"/> names: the per-row counter for
    /// <c>step</c>, otherwise the slot of that name (or of its PyTorch alias).</summary>
    public static bool Matches(StateTensor tensor, string slot) =>
        slot == Step ? tensor.IsCounter : !tensor.IsCounter && (tensor.Slot == slot || tensor.Slot == Canonical(slot));

    /// <summary>Whether <paramref name="scalar"/> is what <paramref name="slot"/> names (<c>step</c> is <c>count</c>).</summary>
    public static bool Matches(StateScalar scalar, string slot) => scalar.Slot == slot || (slot == Step && scalar.Slot == "count");
}
