using System.Globalization;
using System.Reflection;
using System.Text;

namespace Momentum.Cli.Tour;

/// <summary>A summary table: a title, column headers and rows of text.</summary>
internal sealed class SummaryTable(string title, params string[] headers)
{
    public string Title { get; } = title;
    public string[] Headers { get; } = headers;
    public List<string[]> Rows { get; } = [];

    public void Add(params string[] cells)
    {
        if (cells.Length != Headers.Length) throw new ArgumentException($"Table '{Title}' has {Headers.Length} columns but a row has {cells.Length}.", nameof(cells));
        Rows.Add(cells);
    }

    /// <summary>Writes the table as aligned plain text that fits 80 columns (<see cref="PlainTable"/>).</summary>
    public void WritePlain(TextWriter writer) => PlainTable.Write(writer, Title, Headers, Rows);

    public string ToHtml()
    {
        var sb = new StringBuilder("<table>\n<caption>").Append(SvgChart.Esc(Title)).Append("</caption>\n<thead><tr>");
        foreach (var h in Headers) sb.Append("<th>").Append(SvgChart.Esc(h)).Append("</th>");
        sb.Append("</tr></thead>\n<tbody>\n");
        foreach (var row in Rows)
        {
            sb.Append("<tr>");
            foreach (var cell in row) sb.Append("<td>").Append(SvgChart.Esc(cell)).Append("</td>");
            sb.Append("</tr>\n");
        }
        return sb.Append("</tbody></table>\n").ToString();
    }
}

/// <summary>What one experiment produced: settings, tables, charts with captions, and notes.</summary>
internal sealed class ExperimentResult(string key, string title)
{
    public string Key { get; } = key;
    public string Title { get; } = title;
    public string Description { get; set; } = "";
    public List<(string Name, string Value)> Settings { get; } = [];
    public List<SummaryTable> Tables { get; } = [];
    public List<(SvgChart Chart, string FileStem, string Caption)> Charts { get; } = [];
    public List<string> Notes { get; } = [];
    public TimeSpan Elapsed { get; set; }

    public void Setting(string name, FormattableString value) => Settings.Add((name, value.ToString(CultureInfo.InvariantCulture)));

    public void Setting(string name, string value) => Settings.Add((name, value));

    public void Chart(SvgChart chart, string fileStem, string caption) => Charts.Add((chart, fileStem, caption));

    /// <summary>Writes the tables and notes as plain text.</summary>
    public void WritePlain(TextWriter writer)
    {
        foreach (var t in Tables) t.WritePlain(writer);
        foreach (var n in Notes) writer.WriteLine("note: " + n);
        if (Notes.Count > 0) writer.WriteLine();
    }

    /// <summary>Writes one CSV per chart into <paramref name="directory"/>; returns the paths.</summary>
    public List<string> WriteCsvs(string directory)
    {
        Directory.CreateDirectory(directory);
        var paths = new List<string>();
        foreach (var (chart, stem, _) in Charts)
        {
            string path = Path.Combine(directory, stem + ".csv");
            File.WriteAllText(path, chart.ToCsv());
            paths.Add(path);
        }
        return paths;
    }
}

/// <summary>Writes the self-contained HTML report: inline SVG, inline CSS, no scripts, no network.</summary>
internal static class ReportWriter
{
    public static string ToHtml(IReadOnlyList<ExperimentResult> results, string command, TimeSpan total)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Momentum tour</title>\n<style>\n");
        sb.Append("body{font-family:Helvetica,Arial,sans-serif;max-width:1020px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}\n");
        sb.Append("h1{font-size:1.7em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}\n");
        sb.Append("table{border-collapse:collapse;margin:1em 0;font-size:.92em}caption{text-align:left;font-weight:bold;padding:.3em 0}\n");
        sb.Append("th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}th{background:#f4f4f4}\n");
        sb.Append("figure{margin:1.5em 0}figcaption{font-size:.92em;color:#444;max-width:960px}svg{max-width:100%;height:auto}\n");
        sb.Append("dl{display:grid;grid-template-columns:max-content auto;gap:.15em 1em;font-size:.92em}dt{font-weight:bold}dd{margin:0}\n");
        sb.Append(".note{background:#fff8e0;border-left:4px solid #e6a700;padding:.4em .8em;margin:.5em 0}\ncode{background:#f4f4f4;padding:0 .2em}\n");
        sb.Append("</style>\n</head>\n<body>\n<h1>Momentum tour: the experiments behind the optimizers</h1>\n");
        sb.Append("<p>Command: <code>").Append(SvgChart.Esc(command)).Append("</code><br>\n");
        sb.Append("Generated ").Append(DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture));
        sb.Append(" on ").Append(SvgChart.Esc(MachineDescription())).Append("; total time ").Append(total.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)).Append(" s.<br>\n");
        sb.Append(SvgChart.Esc(VersionDescription())).Append(".</p>\n");
        sb.Append("<ul>\n");
        foreach (var r in results) sb.Append("<li><a href=\"#").Append(r.Key).Append("\">").Append(SvgChart.Esc(r.Title)).Append("</a></li>\n");
        sb.Append("</ul>\n");
        int figure = 0;
        foreach (var r in results)
        {
            sb.Append("<h2 id=\"").Append(r.Key).Append("\">").Append(SvgChart.Esc(r.Title)).Append("</h2>\n");
            if (r.Description.Length > 0) sb.Append("<p>").Append(SvgChart.Esc(r.Description)).Append("</p>\n");
            sb.Append("<dl>\n");
            foreach (var (name, value) in r.Settings) sb.Append("<dt>").Append(SvgChart.Esc(name)).Append("</dt><dd>").Append(SvgChart.Esc(value)).Append("</dd>\n");
            sb.Append("<dt>time</dt><dd>").Append(r.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)).Append(" s</dd>\n</dl>\n");
            foreach (var n in r.Notes) sb.Append("<p class=\"note\">").Append(SvgChart.Esc(n)).Append("</p>\n");
            foreach (var t in r.Tables) sb.Append(t.ToHtml());
            foreach (var (chart, stem, caption) in r.Charts)
            {
                figure++;
                sb.Append("<figure>\n").Append(chart.ToSvg("fig" + figure.ToString(CultureInfo.InvariantCulture)));
                sb.Append("<figcaption><b>Figure ").Append(figure.ToString(CultureInfo.InvariantCulture)).Append(".</b> ").Append(SvgChart.Esc(caption));
                sb.Append(" Data: <code>").Append(SvgChart.Esc(stem)).Append(".csv</code>.</figcaption>\n</figure>\n");
            }
        }
        sb.Append("</body>\n</html>\n");
        return sb.ToString();
    }

    /// <summary>
    /// The library's version and the commit it was built from, from the Momentum assembly's informational version
    /// ("0.1.0+&lt;commit&gt;": the SDK appends the source revision when it builds from a git checkout).
    /// </summary>
    public static string VersionDescription()
    {
        string info = typeof(Optimizer).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        int plus = info.IndexOf('+');
        return plus < 0 ? $"Momentum {info} (commit unknown: not built from a git checkout)" : $"Momentum {info[..plus]}, commit {info[(plus + 1)..]}";
    }

    public static string MachineDescription() =>
        $"{Environment.ProcessorCount} logical cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription.Trim()}, " +
        $"{System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}, .NET {Environment.Version}";
}
