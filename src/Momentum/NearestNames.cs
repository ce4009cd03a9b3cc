namespace Momentum;

/// <summary>Finds the names nearest to a missing or mistyped one, for error messages.</summary>
internal static class NearestNames
{
    /// <summary>
    /// The fewest single-character insertions, deletions and substitutions that turn <paramref name="name"/> into a
    /// string <paramref name="pattern"/> matches: with <paramref name="glob"/>, <c>*</c> in the pattern matches any run
    /// of characters and <c>?</c> any one character at no cost (<see cref="ParameterGroups.Matches"/>); without, it is
    /// the plain edit distance.
    /// </summary>
    internal static int Distance(string pattern, string name, bool glob = false)
    {
        // d[j]: the distance between the pattern's first i characters and the name's first j (one row per i).
        var d = new int[name.Length + 1];
        for (int j = 0; j <= name.Length; j++) d[j] = j;
        foreach (char c in pattern)
        {
            bool star = glob && c == '*', any = glob && c == '?';
            int diagonal = d[0];
            if (!star) d[0]++;
            for (int j = 1; j <= name.Length; j++)
            {
                int above = d[j];
                d[j] = star ? Math.Min(above, d[j - 1])
                    : Math.Min(diagonal + (any || c == name[j - 1] ? 0 : 1), Math.Min(above, d[j - 1]) + 1);
                diagonal = above;
            }
        }
        return d[name.Length];
    }

    /// <summary>The <paramref name="count"/> names nearest to <paramref name="target"/> (ties in ordinal order).</summary>
    internal static List<string> Nearest(string target, IEnumerable<string> names, int count, bool glob = false) =>
        [.. names.Select(n => (Name: n, Distance: Distance(target, n, glob)))
            .OrderBy(x => x.Distance).ThenBy(x => x.Name, StringComparer.Ordinal).Take(count).Select(x => x.Name)];
}
