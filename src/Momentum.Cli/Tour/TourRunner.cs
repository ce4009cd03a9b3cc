using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace Momentum.Cli.Tour;

/// <summary>One experiment of the tour: a name and a function that runs it, reporting progress in [0, 1].</summary>
internal sealed record TourExperiment(string Name, Func<Action<double>, ExperimentResult> Execute);

/// <summary>Runs experiments with progress bars, prints their summary tables and writes the report and CSVs.</summary>
internal static class TourRunner
{
    /// <summary>
    /// Runs <paramref name="experiments"/> in order, then writes <c>report.html</c> and one CSV per chart into
    /// <paramref name="outputDirectory"/>. With <paramref name="console"/> set, progress bars and tables go to the
    /// terminal through Spectre.Console; otherwise plain text goes to <paramref name="writer"/>.
    /// </summary>
    public static IReadOnlyList<ExperimentResult> Run(IReadOnlyList<TourExperiment> experiments, string outputDirectory, string command,
        TextWriter writer, IAnsiConsole? console = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outputDirectory);
        Directory.CreateDirectory(outputDirectory);
        var results = new List<ExperimentResult>();
        var total = Stopwatch.StartNew();
        if (console is not null)
        {
            console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(ctx =>
                {
                    var tasks = experiments.Select(e => ctx.AddTask(e.Name, autoStart: false)).ToList();
                    for (int i = 0; i < experiments.Count; i++)
                    {
                        var task = tasks[i];
                        task.StartTask();
                        results.Add(RunTimed(experiments[i], f => task.Value = Math.Clamp(f, 0, 1) * 100));
                        task.Value = 100;
                        task.StopTask();
                    }
                });
            foreach (var r in results) Render(console, r);
        }
        else
        {
            foreach (var e in experiments)
            {
                writer.WriteLine($"running {e.Name} ...");
                var r = RunTimed(e, _ => { });
                writer.WriteLine($"{e.Name} done in {r.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)} s");
                results.Add(r);
            }
            writer.WriteLine();
            foreach (var r in results) r.WritePlain(writer);
        }
        total.Stop();
        var csvs = new List<string>();
        foreach (var r in results) csvs.AddRange(r.WriteCsvs(outputDirectory));
        string report = Path.Combine(outputDirectory, "report.html");
        File.WriteAllText(report, ReportWriter.ToHtml(results, command, total.Elapsed));
        writer.WriteLine(ReportWriter.VersionDescription());
        writer.WriteLine($"report: {report}");
        writer.WriteLine($"data:   {csvs.Count} CSV files in {outputDirectory}");
        writer.WriteLine($"total time: {total.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)} s");
        return results;
    }

    private static ExperimentResult RunTimed(TourExperiment e, Action<double> progress)
    {
        var sw = Stopwatch.StartNew();
        var result = e.Execute(progress);
        result.Elapsed = sw.Elapsed;
        return result;
    }

    private static void Render(IAnsiConsole console, ExperimentResult result)
    {
        foreach (var t in result.Tables)
        {
            var table = new Table().Title(Markup.Escape(t.Title)).Border(TableBorder.Rounded);
            foreach (var h in t.Headers) table.AddColumn(new TableColumn(Markup.Escape(h)));
            foreach (var row in t.Rows) table.AddRow(row.Select(c => (Spectre.Console.Rendering.IRenderable)new Text(c)).ToArray());
            console.Write(table);
        }
        foreach (var n in result.Notes) console.MarkupLine("[yellow]note:[/] " + Markup.Escape(n));
        console.WriteLine();
    }
}
