namespace Momentum.Cli;

/// <summary>Word wrapping for the CLI's plain-text tables, which fit <see cref="Width"/> columns.</summary>
internal static class TextWrap
{
    /// <summary>The width plain-text output is laid out for.</summary>
    public const int Width = 80;

    /// <summary>
    /// Splits <paramref name="text"/> into lines of at most <paramref name="width"/> characters, breaking at spaces and,
    /// inside a word longer than the width, after an opening parenthesis; a piece still longer gets a line of its own.
    /// </summary>
    public static IReadOnlyList<string> Lines(string text, int width)
    {
        var lines = new List<string>();
        var line = new System.Text.StringBuilder();
        foreach (string word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            List<string> pieces = word.Length <= width ? [word] : [.. word.Split('(')];
            for (int i = 0; i < pieces.Count; i++)
            {
                string piece = pieces[i] + (i < pieces.Count - 1 ? "(" : "");
                bool glued = i > 0;
                int added = (line.Length > 0 && !glued ? 1 : 0) + piece.Length;
                if (line.Length > 0 && line.Length + added > width)
                {
                    lines.Add(line.ToString());
                    line.Clear();
                }
                else if (line.Length > 0 && !glued)
                {
                    line.Append(' ');
                }
                line.Append(piece);
            }
        }
        if (line.Length > 0 || lines.Count == 0) lines.Add(line.ToString());
        return lines;
    }

    /// <summary>
    /// Writes "<paramref name="indent"/><paramref name="name"/>" padded to <paramref name="column"/>, then
    /// <paramref name="text"/> wrapped to the rest of <see cref="Width"/>, continuation lines starting at that column.
    /// </summary>
    public static void WriteEntry(TextWriter output, string indent, string name, int column, string text)
    {
        string head = (indent + name).PadRight(column);
        if (head.Length > column) head += " ";
        var lines = Lines(text, Math.Max(20, Width - head.Length));
        output.WriteLine(head + lines[0]);
        foreach (string line in lines.Skip(1)) output.WriteLine(new string(' ', head.Length) + line);
    }
}
