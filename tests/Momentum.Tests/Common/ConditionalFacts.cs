using System.Diagnostics;

namespace Momentum.Tests.Common;

/// <summary>A fact that needs Linux (its file types, /proc, coreutils); elsewhere it is skipped.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux()) Skip = "needs Linux";
    }
}

/// <summary>A fact that needs Linux and root (it makes device nodes); elsewhere it is skipped.</summary>
public sealed class LinuxRootFactAttribute : FactAttribute
{
    public LinuxRootFactAttribute()
    {
        if (!OperatingSystem.IsLinux()) Skip = "needs Linux";
        else if (Environment.UserName != "root") Skip = "needs root (mknod)";
    }
}

/// <summary>A fact that traces system calls with strace; skipped where strace is not installed or cannot trace.</summary>
public sealed class StraceFactAttribute : FactAttribute
{
    private static readonly Lazy<bool> s_available = new(() =>
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            using var process = Process.Start(new ProcessStartInfo("strace", ["-qq", "-e", "trace=none", "true"])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            });
            if (process is null) return false;
            process.WaitForExit(10_000);
            return process.HasExited && process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    });

    public StraceFactAttribute()
    {
        if (!s_available.Value) Skip = "needs strace (Debian package strace) and permission to trace";
    }
}

/// <summary>Small Unix helpers for the file-system tests: coreutils run as processes, so the tests do not share the code they check.</summary>
internal static class UnixTools
{
    /// <summary>Runs a tool and returns its standard output; fails the test when it exits non-zero.</summary>
    public static string Run(string tool, params string[] arguments)
    {
        var info = new ProcessStartInfo(tool, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{tool} {string.Join(' ', arguments)}: {error}");
        return output.Trim();
    }

    /// <summary>What <c>stat</c> calls the file: "regular file", "symbolic link", "fifo", "character special file", ...</summary>
    public static string FileType(string path) => Run("stat", "-c", "%F", path);

    /// <summary>The number of hard links to <paramref name="path"/>.</summary>
    public static int Links(string path) => int.Parse(Run("stat", "-c", "%h", path), System.Globalization.CultureInfo.InvariantCulture);
}
