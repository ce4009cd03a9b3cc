using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace Momentum.Cli;

/// <summary>
/// Words System.CommandLine's parse errors the way every other <c>momentum</c> error reads: one line, no .NET type
/// names, an unknown command or option answered with the nearest known names.
/// </summary>
internal static partial class ParseErrors
{
    /// <summary>The command's path below the root, e.g. "tour saddle" ("" for the root itself).</summary>
    public static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is CommandResult c && c.Parent is not null; r = r.Parent) names.Add(c.Command.Name);
        names.Reverse();
        return string.Join(' ', names);
    }

    /// <summary>The first error of <paramref name="parse"/>, reworded; an unknown token is preferred to the errors it causes.</summary>
    public static string Describe(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        foreach (var e in parse.Errors)
        {
            var unknown = Unrecognized().Match(e.Message);
            if (!unknown.Success) continue;
            string token = unknown.Groups["token"].Value;
            if (!token.StartsWith('-') && command.Subcommands.Count > 0 && parse.CommandResult.Tokens.Count == 0)
            {
                var names = command.Subcommands.Select(s => s.Name).ToList();
                string hint = CliError.DidYouMean(token, names);
                return $"unknown command '{token}'{(hint.Length > 0 ? hint : $"; the commands are {string.Join(", ", names)}")}";
            }
            return $"unknown option or argument '{token}'{CliError.DidYouMean(token, command.Options.Select(o => o.Name))}";
        }

        string message = parse.Errors[0].Message;
        if (NotParsed().Match(message) is { Success: true } m)
            return $"{m.Groups["option"].Value}: '{m.Groups["value"].Value}' is not {Kind(m.Groups["type"].Value)}";
        if (RequiredOption().Match(message) is { Success: true } r)
            return $"{r.Groups["option"].Value} is required";
        if (message.StartsWith("Required command was not provided", StringComparison.Ordinal))
            return $"no command given; the commands are {string.Join(", ", command.Subcommands.Select(s => s.Name))} (see --help)";
        return message.TrimEnd('.');
    }

    private static string Kind(string type) => type switch
    {
        "System.Int32" or "System.Int64" or "System.Nullable`1[System.Int32]" or "System.Nullable`1[System.Int64]" => "an integer",
        "System.Double" or "System.Single" or "System.Nullable`1[System.Double]" or "System.Nullable`1[System.Single]" => "a number",
        "System.Boolean" => "true or false",
        _ => "a valid value",
    };

    [GeneratedRegex(@"^Unrecognized command or argument '(?<token>.*)'\.$")]
    private static partial Regex Unrecognized();

    [GeneratedRegex(@"^Cannot parse argument '(?<value>.*)' for option '(?<option>[^']*)' as expected type '(?<type>[^']*)'\.")]
    private static partial Regex NotParsed();

    [GeneratedRegex(@"^Option '(?<option>[^']*)' is required\.$")]
    private static partial Regex RequiredOption();
}
