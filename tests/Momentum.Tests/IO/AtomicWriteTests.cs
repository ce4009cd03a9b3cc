using Momentum.IO;
using Momentum.Tests.Common;
using Momentum.Tests.Parity;

namespace Momentum.Tests.IO;

/// <summary>
/// Issue 13 item 4: an atomic write must not destroy what it replaces. A destination that is not a regular file (a
/// symbolic link, a FIFO, a device node, a directory) or that has other hard links is refused with an IOException and left
/// as it was; a regular file being replaced keeps its permissions; the directory is synced after the rename.
/// </summary>
public sealed class AtomicWriteTests : IDisposable
{
    private static readonly byte[] s_old = [1, 2, 3, 4, 5];
    private readonly string _dir = Directory.CreateTempSubdirectory("momentum-atomic-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static SafeTensorsWriter Writer() => new SafeTensorsWriter().Add("w", [1f, 2f, 3f], 3);

    private string[] Leftovers() => [.. Directory.GetFiles(_dir, "*.tmp").Select(Path.GetFileName)!];

    [LinuxFact]
    public void WriteAtomic_DestinationIsASymbolicLink_IsRefusedAndTheLinkAndTargetKept()
    {
        string target = Path.Combine(_dir, "target.safetensors"), link = Path.Combine(_dir, "link.safetensors");
        File.WriteAllBytes(target, s_old);
        File.CreateSymbolicLink(link, target);
        var e = Assert.Throws<IOException>(() => Writer().WriteAtomic(link));
        Assert.Contains("symbolic link", e.Message);
        Assert.Equal("symbolic link", UnixTools.FileType(link));
        Assert.Equal(s_old, File.ReadAllBytes(target));
        Assert.Empty(Leftovers());
    }

    [LinuxFact]
    public void WriteAtomic_DestinationIsAFifo_IsRefusedAndKept()
    {
        string fifo = Path.Combine(_dir, "pipe.safetensors");
        UnixTools.Run("mkfifo", fifo);
        var e = Assert.Throws<IOException>(() => Writer().WriteAtomic(fifo));
        Assert.Contains("not a regular file", e.Message);
        Assert.Equal("fifo", UnixTools.FileType(fifo));
        Assert.Empty(Leftovers());
    }

    /// <summary>A character device like /dev/null (major 1, minor 3), made in the test's own folder.</summary>
    [LinuxRootFact]
    public void WriteAtomic_DestinationIsADeviceNode_IsRefusedAndKept()
    {
        string device = Path.Combine(_dir, "null.safetensors");
        UnixTools.Run("mknod", device, "c", "1", "3");
        var e = Assert.Throws<IOException>(() => Writer().WriteAtomic(device));
        Assert.Contains("not a regular file", e.Message);
        Assert.Equal("character special file", UnixTools.FileType(device));
        Assert.Empty(Leftovers());
    }

    [Fact]
    public void WriteAtomic_DestinationIsADirectory_IsRefusedAndKept()
    {
        string directory = Path.Combine(_dir, "out.safetensors");
        Directory.CreateDirectory(directory);
        var e = Assert.Throws<IOException>(() => Writer().WriteAtomic(directory));
        Assert.Contains("not a regular file", e.Message);
        Assert.True(Directory.Exists(directory));
        Assert.Empty(Leftovers());
    }

    [LinuxFact]
    public void WriteAtomic_DestinationWithOtherHardLinks_IsRefusedAndKept()
    {
        string file = Path.Combine(_dir, "a.safetensors"), other = Path.Combine(_dir, "b.safetensors");
        File.WriteAllBytes(file, s_old);
        UnixTools.Run("ln", file, other);
        var e = Assert.Throws<IOException>(() => Writer().WriteAtomic(file));
        Assert.Contains("hard links", e.Message);
        Assert.Equal(2, UnixTools.Links(file));
        Assert.Equal(s_old, File.ReadAllBytes(other));
        Assert.Empty(Leftovers());
    }

    [LinuxFact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void WriteAtomic_ReplacingAFile_KeepsItsPermissions()
    {
        foreach (var mode in new[] { UnixFileMode.UserRead | UnixFileMode.UserWrite, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.UserExecute })
        {
            string file = Path.Combine(_dir, "keep.safetensors");
            File.WriteAllBytes(file, s_old);
            File.SetUnixFileMode(file, mode);
            Writer().WriteAtomic(file);
            Assert.Equal(mode, File.GetUnixFileMode(file));
            Assert.Equal(Writer().ToArray(), File.ReadAllBytes(file));
        }
    }

    /// <summary>
    /// The system calls of <c>momentum replay --out</c>, traced: the temporary file is fsynced before the rename, and
    /// the destination's directory is opened and fsynced after it (without the second fsync a power loss can lose the rename).
    /// </summary>
    [StraceFact]
    public void WriteAtomic_FsyncsTheFileBeforeTheRenameAndTheDirectoryAfter()
    {
        string output = Path.Combine(_dir, "final.safetensors"), log = Path.Combine(_dir, "strace.log");
        var (code, _, error) = ChildProcess.RunProgram("strace", TimeSpan.FromMinutes(1), "-f", "-qq", "-o", log, "-e", "trace=openat,fsync,rename,renameat,renameat2",
            ChildProcess.DotnetHost, Path.Combine(ChildProcess.OutputDirectory, "Momentum.Cli.dll"), "replay", "--optimizer", "sgd(lr=0.1)",
            "--params", Path.Combine(TorchParityTests.FixtureDirectory, "adam_default.init.safetensors"),
            "--grads", Path.Combine(TorchParityTests.FixtureDirectory, "adam_default.grads.safetensors"), "--out", output);
        Assert.True(code == 0, error);
        string[] lines = File.ReadAllLines(log);
        int rename = Array.FindIndex(lines, l => l.Contains("rename") && l.Contains($"\"{output}\"") && l.EndsWith("= 0"));
        Assert.True(rename >= 0, "no rename onto the destination was traced");
        string temp = lines[rename].Split('"')[1];
        int tempFd = FdOpened(lines, rename, temp);
        Assert.True(Array.FindIndex(lines, 0, rename, l => l.Contains($"fsync({tempFd})") && l.EndsWith("= 0")) >= 0, $"the temporary file (fd {tempFd}) was not fsynced before the rename");
        int dirFd = FdOpened(lines, lines.Length, _dir, after: rename);
        Assert.True(Array.FindIndex(lines, rename, l => l.Contains($"fsync({dirFd})") && l.EndsWith("= 0")) >= 0, $"the directory (fd {dirFd}) was not fsynced after the rename");
    }

    /// <summary>
    /// Issue 13 item 5: temporary files left by writers that died (270 kills once left 65 of them, 851 MB) are removed by
    /// the next write to the same destination; a live writer's (locked) temporary file, a FIFO with such a name, and other
    /// destinations' or other programs' files are left alone.
    /// </summary>
    [Fact]
    public void WriteAtomic_RemovesStaleTemporaryFilesOfTheSameDestinationOnly()
    {
        string final = Path.Combine(_dir, "final.safetensors");
        string[] stale = [.. Enumerable.Range(0, 3).Select(_ => Path.Combine(_dir, $".final.safetensors.{Guid.NewGuid():N}.tmp"))];
        foreach (string file in stale) File.WriteAllBytes(file, new byte[1 << 16]);
        string[] kept =
        [
            Path.Combine(_dir, $".other.safetensors.{Guid.NewGuid():N}.tmp"),   // another destination's
            Path.Combine(_dir, ".final.safetensors.mine.tmp"),                    // not a name this writer makes
            Path.Combine(_dir, $"final.safetensors.{Guid.NewGuid():N}.tmp"),
            Path.Combine(_dir, $".final.safetensors.{Guid.NewGuid():N}.tmp.bak"),
        ];
        foreach (string file in kept) File.WriteAllBytes(file, s_old);
        string live = Path.Combine(_dir, $".final.safetensors.{Guid.NewGuid():N}.tmp");
        using (var writer = new FileStream(live, FileMode.CreateNew, FileAccess.Write, FileShare.Read))   // as a live writer holds it
        {
            writer.Write(s_old);
            Writer().WriteAtomic(final);
            Assert.True(File.Exists(live), "a temporary file still held open by its writer was removed");
        }
        foreach (string file in stale) Assert.False(File.Exists(file), $"{Path.GetFileName(file)} was left behind");
        foreach (string file in kept) Assert.Equal(s_old, File.ReadAllBytes(file));
        Assert.Equal(Writer().ToArray(), File.ReadAllBytes(final));
        Writer().WriteAtomic(final);      // the live writer has gone now: its file is stale too
        Assert.False(File.Exists(live));
    }

    [LinuxFact]
    public void WriteAtomic_AFifoNamedLikeATemporaryFile_IsLeftAlone()
    {
        string fifo = Path.Combine(_dir, $".final.safetensors.{Guid.NewGuid():N}.tmp");
        UnixTools.Run("mkfifo", fifo);
        var write = Task.Run(() => Writer().WriteAtomic(Path.Combine(_dir, "final.safetensors")));
        Assert.True(write.Wait(TimeSpan.FromSeconds(30)), "the write blocked on the FIFO");
        Assert.Equal("fifo", UnixTools.FileType(fifo));
    }

    /// <summary>The descriptor of the last successful openat of <paramref name="path"/> before line <paramref name="before"/> (and after <paramref name="after"/>).</summary>
    private static int FdOpened(string[] lines, int before, string path, int after = -1)
    {
        for (int i = before - 1; i > after; i--)
        {
            string l = lines[i];
            if (!l.Contains("openat(") || !l.Contains($"\"{path}\"")) continue;
            string result = l[(l.LastIndexOf('=') + 1)..].Trim();
            if (int.TryParse(result, out int fd) && fd >= 0) return fd;
        }
        Assert.Fail($"no openat of {path} was traced");
        return -1;
    }
}
