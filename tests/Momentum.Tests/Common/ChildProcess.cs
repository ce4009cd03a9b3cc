using System.Diagnostics;

namespace Momentum.Tests.Common;

/// <summary>Runs a .NET program of the test output folder (the <c>momentum</c> CLI, or this test assembly's own child modes) in a new process.</summary>
internal static class ChildProcess
{
    /// <summary>The test output folder, where Momentum.Cli.dll and Momentum.Tests.dll lie side by side.</summary>
    public static string OutputDirectory => AppContext.BaseDirectory;

    /// <summary>The <c>dotnet</c> host that runs this test process (the SDK sets DOTNET_HOST_PATH for its children).</summary>
    public static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <summary>Starts <paramref name="dll"/> (a file of the output folder) with <paramref name="arguments"/>, without waiting.</summary>
    public static Process Start(string dll, params string[] arguments) =>
        StartProgram(DotnetHost, [Path.Combine(OutputDirectory, dll), .. arguments]);

    /// <summary>Starts any program with <paramref name="arguments"/>, its output redirected, without waiting.</summary>
    public static Process StartProgram(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments) info.ArgumentList.Add(argument);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return Process.Start(info) ?? throw new InvalidOperationException($"could not start {program}");
    }

    /// <summary>Runs <paramref name="dll"/> to its end (at most <paramref name="timeout"/>) and returns its exit code and output.</summary>
    public static (int Code, string Output, string Error) Run(string dll, TimeSpan timeout, params string[] arguments) =>
        Wait(Start(dll, arguments), timeout, dll, arguments);

    /// <summary>Runs any program to its end (at most <paramref name="timeout"/>) and returns its exit code and output.</summary>
    public static (int Code, string Output, string Error) RunProgram(string program, TimeSpan timeout, params string[] arguments) =>
        Wait(StartProgram(program, arguments), timeout, program, arguments);

    /// <summary>Runs the <c>momentum</c> CLI with <paramref name="arguments"/> (at most one minute).</summary>
    public static (int Code, string Output, string Error) Momentum(params string[] arguments) =>
        Run("Momentum.Cli.dll", TimeSpan.FromMinutes(1), arguments);

    private static (int Code, string Output, string Error) Wait(Process process, TimeSpan timeout, string what, string[] arguments)
    {
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                throw new TimeoutException($"{what} {string.Join(' ', arguments.Select(a => a.Length > 80 ? a[..80] + "..." : a))} ran past {timeout}");
            }
            process.WaitForExit();
            return (process.ExitCode, output.Result, error.Result);
        }
    }
}
