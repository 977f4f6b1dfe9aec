// SPDX-License-Identifier: MIT
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Im.Store;

/// <summary>
/// File-system edge of the store: the database file and its companions (-wal, -shm, .lock) are private to the
/// daemon's user (0600), and none of them may be a symbolic link.
/// </summary>
/// <remarks>
/// Symbolic links are refused rather than followed: the StateDirectory is the daemon's own (0700), so a link there
/// is either a mistake or someone redirecting users' messages to a file the daemon would then chmod and write; a
/// clear error is better than either. Links in the parent path (e.g. /var/lib on a board's data partition) are
/// fine. SQLite creates -wal and -shm with the main file's permissions, so a 0600 database gives 0600 companions.
/// </remarks>
internal static class StoreFile
{
    public const UnixFileMode PrivateFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode PrivateDirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public static string LockPath(string databasePath) => databasePath + ".lock";

    /// <summary>Checks the paths, fixes modes of existing files and creates the database file (0600) if missing.</summary>
    public static void Prepare(string databasePath, ILogger logger)
    {
        string? directory = Path.GetDirectoryName(databasePath);
        if (!string.IsNullOrEmpty(directory) && !Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory, PrivateDirectoryMode);
        }

        foreach (string path in (ReadOnlySpan<string>)[databasePath, databasePath + "-wal", databasePath + "-shm", LockPath(databasePath)])
        {
            CheckAndFix(path, logger);
        }

        if (!File.Exists(databasePath))
        {
            try
            {
                // UnixCreateMode makes the file 0600 from its first instant (no window with umask's default mode).
                using var created = new FileStream(databasePath, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew,
                    Access = FileAccess.Write,
                    UnixCreateMode = PrivateFileMode,
                });
                Log.DatabaseCreated(logger, databasePath);
            }
            catch (IOException) when (File.Exists(databasePath))
            {
                // Created by someone else between the check and here: it is checked like any existing file.
                CheckAndFix(databasePath, logger);
            }
        }
    }

    /// <summary>
    /// Takes the store's lock (flock on a companion file, which is how .NET implements FileShare.None on Unix) so a
    /// second daemon cannot open the same store and send the outbox twice. The kernel drops it when the process dies.
    /// A separate file is used because any close() of a descriptor on the database itself would drop SQLite's POSIX
    /// locks held by the same process.
    /// </summary>
    public static FileStream AcquireLock(string databasePath)
    {
        string path = LockPath(databasePath);
        try
        {
            return new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.OpenOrCreate,
                Access = FileAccess.ReadWrite,
                Share = FileShare.None,
                UnixCreateMode = PrivateFileMode,
            });
        }
        catch (IOException e)
        {
            throw new MessageStoreException(MessageStoreErrorReason.StoreInUse,
                $"Message store {databasePath} is in use by another process (lock file {path})", e);
        }
    }

    private static void CheckAndFix(string path, ILogger logger)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null)
        {
            throw new MessageStoreException(MessageStoreErrorReason.PathIsSymbolicLink,
                $"Message store path {path} is a symbolic link (to {info.LinkTarget}); refusing to follow it");
        }

        if (Directory.Exists(path))
        {
            throw new MessageStoreException(MessageStoreErrorReason.PathIsNotRegularFile,
                $"Message store path {path} is a directory, not a file");
        }

        if (!info.Exists)
        {
            return;
        }

        UnixFileMode mode = File.GetUnixFileMode(path);
        if (mode != PrivateFileMode)
        {
            File.SetUnixFileMode(path, PrivateFileMode);
            Log.FileModeFixed(logger, path, Convert.ToString((int)mode, 8));
        }
    }
}
