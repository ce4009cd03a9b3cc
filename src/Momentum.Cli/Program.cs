using System.CommandLine;
using Momentum.Cli.Commands;

namespace Momentum.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        RootCommand root = new("momentum: gradient-based optimizers for .NET (Optax's design, torch.optim's numbers)");
        root.Subcommands.Add(ReplayCommand.Create());
        root.Subcommands.Add(ListCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(TourCommand.Create());
        root.Subcommands.Add(ShardedBenchCommand.Create());
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            Console.Error.WriteLine($"momentum: {parse.Errors[0].Message} (see --help)");
            return 2;
        }
        return parse.Invoke();
    }
}
