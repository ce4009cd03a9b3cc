using System.CommandLine;
using Momentum.Specs;

namespace Momentum.Cli.Commands;

/// <summary><c>momentum list</c>: the spec names of every optimizer, transformation and schedule.</summary>
internal static class ListCommand
{
    public static Command Create()
    {
        Option<bool> json = new("--json") { Description = "Write the names and summaries as JSON ({\"transformations\": [{\"name\", \"summary\"}], \"schedules\": [...]})." };
        Command command = new("list", "List every optimizer, transformation and schedule name accepted in specs.") { json };
        command.SetAction(r => Execute(Console.Out, r.GetValue(json)));
        return command;
    }

    /// <summary>The entries of the list, as <c>--json</c> writes them.</summary>
    internal sealed record Entry(string Name, string Summary);

    internal static int Execute(TextWriter output, bool json = false)
    {
        var transformations = SpecRegistry.Default.Transformations.Select(t => new Entry(t.Name, t.Summary)).ToList();
        var schedules = SpecRegistry.Default.Schedules.Select(s => new Entry(s.Name, s.Summary)).ToList();
        if (json)
        {
            CliJson.Write(output, new { transformations, schedules });
            return 0;
        }
        int column = 2 + transformations.Concat(schedules).Max(e => e.Name.Length) + 2;
        output.WriteLine("Optimizers and transformations:");
        foreach (var e in transformations) TextWrap.WriteEntry(output, "  ", e.Name, column, e.Summary);
        output.WriteLine("Schedules:");
        foreach (var e in schedules) TextWrap.WriteEntry(output, "  ", e.Name, column, e.Summary);
        return 0;
    }
}
