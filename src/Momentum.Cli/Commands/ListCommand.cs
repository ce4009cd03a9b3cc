using System.CommandLine;
using Momentum.Specs;

namespace Momentum.Cli.Commands;

/// <summary><c>momentum list</c>: the spec names of every optimizer, transformation and schedule.</summary>
internal static class ListCommand
{
    public static Command Create()
    {
        Command command = new("list", "List every optimizer, transformation and schedule name accepted in specs.");
        command.SetAction(_ => Execute(Console.Out));
        return command;
    }

    internal static int Execute(TextWriter output)
    {
        output.WriteLine("Optimizers and transformations:");
        foreach (var (name, summary) in SpecRegistry.Default.Transformations) output.WriteLine($"  {name,-32} {summary}");
        output.WriteLine("Schedules:");
        foreach (var (name, summary) in SpecRegistry.Default.Schedules) output.WriteLine($"  {name,-32} {summary}");
        return 0;
    }
}
