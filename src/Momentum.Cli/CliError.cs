using Momentum.Specs;

namespace Momentum.Cli;

/// <summary>Bad input to a command (an option out of range, a malformed list): exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>A failure of the run itself (not of its input), such as a helper program that failed: exit code 1.</summary>
internal sealed class RunFailedException(string message) : Exception(message);

/// <summary>
/// The one error convention of every <c>momentum</c> command. Bad input is reported as one line
/// <c>momentum &lt;command&gt;: …</c> on standard error with exit code <see cref="BadInput"/>; a failure of the run
/// itself is reported the same way with exit code <see cref="RunFailed"/>. Messages carry no .NET text (no
/// "(Parameter 'x')", type names or "Actual value was" lines). Any other exception is a bug and is left to crash.
/// </summary>
internal static class CliError
{
    /// <summary>The exit code for bad input: options, specs and input files.</summary>
    public const int BadInput = 2;

    /// <summary>The exit code for a run that failed for another reason, e.g. its output could not be written.</summary>
    public const int RunFailed = 1;

    /// <summary>
    /// Runs <paramref name="body"/> and returns its exit code; an exception of bad input or of a failed run is written to
    /// <paramref name="error"/> as one line naming <paramref name="command"/> (e.g. "tour saddle") and turned into its code.
    /// </summary>
    public static int Run(string command, TextWriter error, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (ExitCode(e) is { } code)
        {
            Write(error, command, Message(e));
            return code;
        }
    }

    /// <summary>The exit code for <paramref name="e"/>, or <see langword="null"/> for an exception that is a bug.</summary>
    internal static int? ExitCode(Exception e) => e switch
    {
        RunFailedException => RunFailed,
        UsageException or SpecException or ArgumentException or InvalidDataException or FileNotFoundException
            or DirectoryNotFoundException or KeyNotFoundException or NonFiniteGradientException or NotSupportedException
            or ArithmeticException => BadInput,
        IOException or UnauthorizedAccessException or DllNotFoundException => RunFailed, // DllNotFound: no MPI library for --sharded
        _ => null,
    };

    /// <summary>Writes <c>momentum &lt;command&gt;: message</c> as one line.</summary>
    public static void Write(TextWriter error, string command, string message) =>
        error.WriteLine($"momentum{(command.Length > 0 ? " " + command : "")}: {message.ReplaceLineEndings(" ").Trim()}");

    /// <summary>The message of <paramref name="e"/> as one line without .NET's own text.</summary>
    public static string Message(Exception e) => ErrorMessages.OneLine(e);

    /// <summary>" (did you mean a, b?)" for the names nearest <paramref name="name"/>, best first, or "".</summary>
    public static string DidYouMean(string name, IEnumerable<string> known) => ErrorMessages.DidYouMean(name, known);
}
