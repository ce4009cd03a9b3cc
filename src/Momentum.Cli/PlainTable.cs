namespace Momentum.Cli;

/// <summary>
/// Plain-text tables that fit <see cref="TextWrap.Width"/> columns: a table that is too wide first wraps its headers
/// at spaces, then narrows its widest columns by wrapping their cells at spaces, never below a column's longest word nor splitting a cell without letters (a number with its ± sd).
/// </summary>
internal static class PlainTable
{
    private const int Gap = 2;

    /// <summary>Writes the title, the headers, a rule and the rows, then an empty line.</summary>
    public static void Write(TextWriter writer, string title, IReadOnlyList<string> headers, IReadOnlyList<string[]> rows)
    {
        int columns = headers.Count;
        int[] widths = [.. Enumerable.Range(0, columns).Select(c => rows.Select(r => r[c].Length).Append(headers[c].Length).Max())];
        if (Total(widths) > TextWrap.Width)
        {
            int[] minimum = [.. Enumerable.Range(0, columns).Select(c => rows.Select(r => Unbreakable(r[c])).Append(LongestWord(headers[c])).Max())];
            for (int c = 0; c < columns; c++) widths[c] = Math.Max(minimum[c], rows.Select(r => r[c].Length).DefaultIfEmpty(0).Max());
            while (Total(widths) > TextWrap.Width)
            {
                int widest = -1;
                for (int c = 0; c < columns; c++)
                    if (widths[c] > minimum[c] && (widest < 0 || widths[c] > widths[widest])) widest = c;
                if (widest < 0) break;
                widths[widest]--;
            }
        }
        foreach (string line in TextWrap.Lines(title, TextWrap.Width)) writer.WriteLine(line);
        WriteRow(writer, headers, widths);
        writer.WriteLine(string.Join(new string(' ', Gap), widths.Select(w => new string('-', w))));
        foreach (var row in rows) WriteRow(writer, row, widths);
        writer.WriteLine();
    }

    private static int Total(int[] widths) => widths.Sum() + Gap * (widths.Length - 1);

    private static int LongestWord(string text) => text.Split(' ').Max(w => w.Length);

    /// <summary>The narrowest a cell may be: a number such as "55.13 ± 23.79" stays whole, words wrap.</summary>
    private static int Unbreakable(string cell) => cell.Any(char.IsLetter) ? LongestWord(cell) : cell.Length;

    private static void WriteRow(TextWriter writer, IReadOnlyList<string> cells, int[] widths)
    {
        var wrapped = cells.Select((cell, c) => TextWrap.Lines(cell, widths[c])).ToList();
        int height = wrapped.Max(lines => lines.Count);
        for (int line = 0; line < height; line++)
        {
            string text = string.Join(new string(' ', Gap), wrapped.Select((lines, c) => (line < lines.Count ? lines[line] : "").PadRight(widths[c])));
            writer.WriteLine(text.TrimEnd());
        }
    }
}
