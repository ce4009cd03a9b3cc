using Momentum.Tests.Reliability;

namespace Momentum.Tests;

/// <summary>
/// The test assembly run as a program (<c>dotnet Momentum.Tests.dll &lt;mode&gt; ...</c>): the child processes of the fault
/// tests, which must run in a process of their own (to be killed, or to resume from a file with nothing in memory).
/// </summary>
internal static class Program
{
    private static int Main(string[] args) => args switch
    {
        ["crash-save", string destination] => CrashSafetyTests.SaveForever(destination),
        ["resume", string directory] => ResumeInNewProcessTests.ResumeAll(directory),
        ["mpi-checks", .. var rest] => Distributed.MpiChecks.Run(rest),
        _ => Usage(),
    };

    private static int Usage()
    {
        Console.Error.WriteLine("usage: Momentum.Tests crash-save <destination> | resume <directory>");
        return 2;
    }
}
