using System.CommandLine;

namespace Momentum.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        RootCommand root = new("momentum: gradient-based optimizers for .NET");
        root.Subcommands.Add(Commands.TourCommand.Create());
        return root.Parse(args).Invoke();
    }
}
