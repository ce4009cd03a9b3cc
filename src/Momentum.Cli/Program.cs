using System.CommandLine;
using System.CommandLine.Help;
using Momentum.Cli.Commands;

namespace Momentum.Cli;

internal static class Program
{
    private static int Main(string[] args) => Run(args, Console.Error);

    /// <summary>The <c>momentum</c> command tree: help and usage lines name the tool <c>momentum</c>, whatever its file is called.</summary>
    internal static Command CreateRoot()
    {
        Command root = new("momentum", "momentum: gradient-based optimizers for .NET (Optax's design, torch.optim's numbers)")
        {
            new HelpOption(),
            new VersionOption(),
        };
        root.Subcommands.Add(ReplayCommand.Create());
        root.Subcommands.Add(ListCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(TourCommand.Create());
        root.Subcommands.Add(ShardedBenchCommand.Create());
        return root;
    }

    /// <summary>Parses and runs <paramref name="args"/>; a parse error is one line on <paramref name="error"/> and exit code 2.</summary>
    internal static int Run(string[] args, TextWriter error)
    {
        var parse = CreateRoot().Parse(args);
        if (parse.Errors.Count > 0)
        {
            CliError.Write(error, ParseErrors.CommandPath(parse.CommandResult), ParseErrors.Describe(parse));
            return CliError.BadInput;
        }
        return parse.Invoke();
    }
}
