using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace Momentum.IO;

/// <summary>
/// Replaces a file atomically and durably without destroying what it replaces: the one writer behind
/// <see cref="SafeTensorsWriter.WriteAtomic(string)"/> and <see cref="Checkpoint.Save(string, Optimizer, IReadOnlyDictionary{string, string}?)"/>.
/// </summary>
/// <remarks>
/// Policy: the destination must be absent or a regular file with no other hard link. A symbolic link, a FIFO, a device
/// node, a socket, a directory or a file with several hard links is refused with an <see cref="IOException"/> and left
/// as it is (replacing it by a rename would turn it into a regular file, or leave the other names with the old contents).
/// A regular file being replaced hands its permission bits to the new file; owner and group are the writer's.
/// <para>
/// Steps: check the destination; remove the temporary files that earlier writes to it left when they were killed (see
/// <see cref="RemoveStaleTemporaries"/>); write a temporary file in the same directory, holding a lock on it; give it
/// the old file's permissions; flush it to disk (fsync); rename it over the destination; fsync the directory (Unix), so the
/// rename itself survives a power loss. On failure the temporary file is removed and the destination is unchanged. The
/// check and the rename are two operations: a destination that another process replaces in between is not detected.
/// File types and link counts come from <c>statx</c> on Linux; on other systems only links and directories are detected.
/// </para>
/// </remarks>
internal static partial class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> atomically with the bytes <paramref name="write"/> puts into the stream.</summary>
    /// <param name="path">The destination.</param>
    /// <param name="write">Writes the whole content into the temporary file's stream.</param>
    /// <param name="beforeRename">A test hook: runs with the temporary path after the flush, before the rename.</param>
    /// <exception cref="IOException">The destination is refused (see the policy), or writing, renaming or syncing failed.</exception>
    internal static void Write(string path, Action<Stream> write, Action<string>? beforeRename = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string fullPath = Path.GetFullPath(path);
        string fileName = Path.GetFileName(fullPath);
        string? directory = Path.GetDirectoryName(fullPath);
        if (fileName.Length == 0 || directory is null) throw new ArgumentException($"'{path}' does not name a file.", nameof(path));

        FileStatus existing = CheckDestination(fullPath);
        RemoveStaleTemporaries(directory, fileName);
        string tempPath = Path.Combine(directory, $".{fileName}.{Guid.NewGuid():N}.tmp");
        FileStream? stream = null;
        try
        {
            // The open stream holds a lock (flock LOCK_SH on Unix) until the rename is done: readers may open the file,
            // but no one can take the exclusive lock that removing a stale temporary file takes first.
            stream = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 1 << 16);
            write(stream);
            if (existing.Kind == FileKind.Regular && !OperatingSystem.IsWindows()) File.SetUnixFileMode(stream.SafeFileHandle, existing.Mode);
            stream.Flush(flushToDisk: true);
            if (OperatingSystem.IsWindows())
            {
                stream.Dispose();      // Windows cannot rename a file that is open
                stream = null;
            }
            beforeRename?.Invoke(tempPath);
            File.Move(tempPath, fullPath, overwrite: true);
        }
        catch
        {
            stream?.Dispose();
            stream = null;
            TryDelete(tempPath);
            throw;
        }
        finally
        {
            stream?.Dispose();
        }
        if (!OperatingSystem.IsWindows()) SyncDirectory(directory);
    }

    /// <summary>
    /// Removes the temporary files of earlier writes to <paramref name="fileName"/> whose writer has gone (killed before its
    /// rename), so that a crash loop cannot fill the disk: regular files named exactly <c>.name.&lt;32 hex&gt;.tmp</c> on
    /// which the exclusive lock can be taken (a live writer holds a shared one until its rename). Anything else is left alone.
    /// </summary>
    private static void RemoveStaleTemporaries(string directory, string fileName)
    {
        foreach (string candidate in Directory.EnumerateFiles(directory, "*.tmp"))
        {
            if (!IsTemporaryName(Path.GetFileName(candidate.AsSpan()), fileName)) continue;
            try
            {
                if (Stat(candidate, followLinks: false).Kind != FileKind.Regular) continue;     // never open a FIFO
                using var held = new FileStream(candidate, FileMode.Open, FileAccess.Read, FileShare.None, bufferSize: 1);
                File.Delete(candidate);   // a unique name: if the writer renamed it meanwhile, this deletes nothing
            }
            catch (IOException)
            {
                // locked by a live writer, or gone already
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    /// <summary>Whether <paramref name="name"/> is <c>.fileName.&lt;32 lowercase hex digits&gt;.tmp</c>, a name <see cref="Write"/> gives.</summary>
    private static bool IsTemporaryName(ReadOnlySpan<char> name, string fileName)
    {
        if (name.Length != fileName.Length + 38 || name[0] != '.' || !name[1..].StartsWith(fileName, StringComparison.Ordinal)) return false;
        ReadOnlySpan<char> rest = name[(1 + fileName.Length)..];      // ".<32 hex>.tmp"
        return rest[0] == '.' && rest.EndsWith(".tmp", StringComparison.Ordinal) && !rest.Slice(1, 32).ContainsAnyExcept("0123456789abcdef");
    }

    /// <summary>Refuses a destination that is not absent or a regular file with one link; returns its status.</summary>
    private static FileStatus CheckDestination(string fullPath)
    {
        FileStatus status = Stat(fullPath, followLinks: false);
        switch (status.Kind)
        {
            case FileKind.Missing:
                return status;
            case FileKind.SymbolicLink:
                throw new IOException($"{fullPath} is a symbolic link; an atomic write would replace the link, not its target, so it is refused (write to the target instead).");
            case FileKind.Regular when status.Links > 1:
                throw new IOException($"{fullPath} has {status.Links} hard links; an atomic write would leave the other names with the old contents, so it is refused.");
            case FileKind.Regular:
                return status;
            default:
                throw new IOException($"{fullPath} is not a regular file ({status.Description}); an atomic write would replace it with one, so it is refused.");
        }
    }

    /// <summary>fsyncs a directory, so that a rename in it survives a power loss (Unix only; Windows has no such call).</summary>
    /// <exception cref="IOException">The directory was opened but the fsync failed.</exception>
    /// <remarks>A directory that cannot be opened for reading (no read permission), or whose file system does not sync
    /// directories (EINVAL), is left as it is.</remarks>
    [UnsupportedOSPlatform("windows")]
    internal static void SyncDirectory(string directory)
    {
        int fd = Native.Open(directory, 0);                    // O_RDONLY: a directory cannot be opened for writing
        if (fd < 0) return;
        try
        {
            if (Native.Fsync(fd) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno != Native.EINVAL)
                    throw new IOException($"{directory}: fsync of the directory failed ({Marshal.GetPInvokeErrorMessage(errno)}); the rename may not survive a power loss.");
            }
        }
        finally
        {
            Native.Close(fd);
        }
    }

    internal enum FileKind
    {
        Missing,
        Regular,
        Directory,
        SymbolicLink,
        Other,
    }

    /// <summary>What <see cref="Stat"/> found: kind, hard links (Linux only; else 1) and permission bits (Unix only).</summary>
    internal readonly record struct FileStatus(FileKind Kind, uint Links, UnixFileMode Mode, string Description);

    /// <summary>The status of <paramref name="path"/>: the link itself unless <paramref name="followLinks"/>.</summary>
    internal static FileStatus Stat(string path, bool followLinks)
    {
        if (OperatingSystem.IsLinux()) return Native.Statx(path, followLinks);
        FileSystemInfo info = new FileInfo(path);
        if (!info.Exists && Directory.Exists(path)) info = new DirectoryInfo(path);
        if (!info.Exists && info.LinkTarget is null) return new FileStatus(FileKind.Missing, 0, 0, "missing");
        if (!followLinks && info.LinkTarget is not null) return new FileStatus(FileKind.SymbolicLink, 1, 0, "a symbolic link");
        if (info is DirectoryInfo) return new FileStatus(FileKind.Directory, 1, 0, "a directory");
        UnixFileMode mode = OperatingSystem.IsWindows() ? 0 : File.GetUnixFileMode(path);
        return new FileStatus(FileKind.Regular, 1, mode, "a regular file");
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>The libc calls .NET does not expose: <c>statx</c> (Linux), and <c>open</c>/<c>fsync</c>/<c>close</c> of a directory.</summary>
    private static unsafe partial class Native
    {
        public const int EINVAL = 22;
        private const int ENOENT = 2, ENOTDIR = 20;
        private const int AtFdCwd = -100, AtSymlinkNoFollow = 0x100;
        private const uint StatxType = 0x1, StatxMode = 0x2, StatxNlink = 0x4;

        [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int Open(string path, int flags);

        [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
        public static partial int Fsync(int fd);

        [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
        public static partial int Close(int fd);

        [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        private static partial int StatxCall(int dirfd, string path, int flags, uint mask, byte* buffer);

        /// <summary>
        /// <c>statx(2)</c>, whose <c>struct statx</c> has one layout on every Linux architecture (256 bytes): stx_nlink
        /// (u32) at byte 16 and stx_mode (u16) at byte 28.
        /// </summary>
        public static FileStatus Statx(string path, bool followLinks)
        {
            byte* buffer = stackalloc byte[256];
            new Span<byte>(buffer, 256).Clear();
            if (StatxCall(AtFdCwd, path, followLinks ? 0 : AtSymlinkNoFollow, StatxType | StatxMode | StatxNlink, buffer) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno is ENOENT or ENOTDIR) return new FileStatus(FileKind.Missing, 0, 0, "missing");
                throw new IOException($"{path}: cannot read the file's status ({Marshal.GetPInvokeErrorMessage(errno)}).");
            }
            uint links = *(uint*)(buffer + 16);
            int mode = *(ushort*)(buffer + 28);
            (FileKind kind, string description) = (mode & 0xF000) switch
            {
                0x8000 => (FileKind.Regular, "a regular file"),
                0x4000 => (FileKind.Directory, "a directory"),
                0xA000 => (FileKind.SymbolicLink, "a symbolic link"),
                0x1000 => (FileKind.Other, "a FIFO"),
                0x2000 => (FileKind.Other, "a character device"),
                0x6000 => (FileKind.Other, "a block device"),
                0xC000 => (FileKind.Other, "a socket"),
                _ => (FileKind.Other, $"file type 0o{Convert.ToString(mode >> 12, 8)}"),
            };
            return new FileStatus(kind, links, (UnixFileMode)(mode & 0xFFF), description);
        }
    }
}
