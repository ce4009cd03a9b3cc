using System.Text.RegularExpressions;

namespace Momentum;

/// <summary>
/// Turns exception messages into the one-line text that spec errors and the <c>momentum</c> tool show, and suggests
/// the names nearest a misspelt one.
/// </summary>
internal static partial class ErrorMessages
{
    /// <summary>
    /// <paramref name="e"/>'s message on one line (its lines joined by spaces) without the text that .NET appends or
    /// writes for argument exceptions: no " (Parameter 'lr')" suffix, no "Actual value was 9." line, and the guards'
    /// default wording ("steps ('-5') must be a non-negative and non-zero value.") rewritten as "steps must be
    /// positive; got -5.".
    /// </summary>
    internal static string OneLine(Exception e)
    {
        var lines = e.Message.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string message = string.Join(' ', e is ArgumentOutOfRangeException ? lines.Where(l => !l.StartsWith("Actual value was ", StringComparison.Ordinal)) : lines);
        if (e is ArgumentException { ParamName: { } name })
        {
            string suffix = $" (Parameter '{name}')";
            if (message.EndsWith(suffix, StringComparison.Ordinal)) message = message[..^suffix.Length];
        }
        var guard = GuardMessage().Match(message);
        if (guard.Success)
        {
            string requirement = guard.Groups["requirement"].Value switch
            {
                "a non-negative and non-zero value" => "positive",
                "a non-negative value" => "non-negative",
                "a non-zero value" => "non-zero",
                var other => other.Replace("'", "", StringComparison.Ordinal),
            };
            message = $"{guard.Groups["name"].Value} must be {requirement}; got {guard.Groups["value"].Value}.";
        }
        return message;
    }

    /// <summary>
    /// Up to <paramref name="count"/> names of <paramref name="known"/> nearest <paramref name="name"/>, best first:
    /// those within an edit distance of a third of its length (at least 1, at most 3) or that it begins, ordered by
    /// distance and then by name.
    /// </summary>
    internal static IReadOnlyList<string> Nearest(string name, IEnumerable<string> known, int count = 5)
    {
        int limit = Math.Clamp(name.Length / 3, 1, 3);
        return [.. known
            .Select(k => (Name: k, Distance: EditDistance(name, k)))
            .Where(c => c.Distance <= limit || (name.Length >= 3 && c.Name.StartsWith(name, StringComparison.Ordinal)))
            .OrderBy(c => c.Distance).ThenBy(c => c.Name, StringComparer.Ordinal)
            .Take(count)
            .Select(c => c.Name)];
    }

    /// <summary>" (did you mean a, b?)" with the names <see cref="Nearest"/> finds, or "" when it finds none.</summary>
    internal static string DidYouMean(string name, IEnumerable<string> known)
    {
        var nearest = Nearest(name, known);
        return nearest.Count == 0 ? "" : $" (did you mean {string.Join(", ", nearest)}?)";
    }

    /// <summary>The optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions.</summary>
    internal static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }

    /// <summary>The wording of .NET's ArgumentOutOfRangeException.ThrowIf* guards: "name ('value') must be requirement."</summary>
    [GeneratedRegex(@"^(?<name>\S+) \('(?<value>[^']*)'\) must be (?<requirement>.+)\.$")]
    private static partial Regex GuardMessage();
}
