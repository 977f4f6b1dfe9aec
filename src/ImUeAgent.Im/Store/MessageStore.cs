// SPDX-License-Identifier: MIT
using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Im.Store;

/// <summary>
/// The durable inbox and outbox of the IM layer, on SQLite. A method that writes returns only after its transaction
/// is committed and fsynced (WAL, synchronous=FULL): acknowledge a received message (MSRP 200, SIP 200) or an
/// application's send request only after the call returned; when it throws, nothing of it is on disk.
/// </summary>
/// <remarks>
/// Durability: journal_mode=WAL with synchronous=FULL fsyncs the WAL at every commit. synchronous=NORMAL would fsync
/// only at checkpoints, so a power cut could lose commits already acknowledged to the IM Server, which would then
/// not push them again; the promise is durability at acknowledgment, so FULL. A batch (one multipart push) is one
/// transaction and one fsync.
/// Concurrency: one writer connection, serialised by an async lock; reads use a small pool of read-only
/// connections, which WAL lets run beside the writer. Microsoft.Data.Sqlite does blocking I/O even in its *Async
/// methods, so a write occupies the calling thread for one fsync.
/// </remarks>
public sealed partial class MessageStore : IAsyncDisposable
{
    private const long JournalSizeLimit = 4 * 1024 * 1024;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly SqliteConnection _writer;
    private readonly ConcurrentBag<SqliteConnection> _readers = [];
    private readonly string _readerConnectionString;
    private readonly FileStream _lockFile;
    private readonly MessageStoreSettings _settings;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private volatile bool _disposed;

    // Statements of the hot write path (inbox insert), prepared once on the writer and reused under the write lock.
    private SqliteCommand? _findIdentity;
    private SqliteCommand? _insertIdentity;
    private SqliteCommand? _insertInbox;

    private MessageStore(MessageStoreSettings settings, string path, SqliteConnection writer, string readerConnectionString,
        FileStream lockFile, ILogger logger, TimeProvider time, int schemaVersion, int requeued)
    {
        _settings = settings;
        DatabasePath = path;
        _writer = writer;
        _readerConnectionString = readerConnectionString;
        _lockFile = lockFile;
        _logger = logger;
        _time = time;
        SchemaVersion = schemaVersion;
        RequeuedOnOpen = requeued;
    }

    /// <summary>Full path of the database file.</summary>
    public string DatabasePath { get; }

    /// <summary>The schema version of the open file (PRAGMA user_version).</summary>
    public int SchemaVersion { get; }

    /// <summary>Outgoing messages found 'sending' at open (the daemon died mid-send) and put back to 'queued'.</summary>
    public int RequeuedOnOpen { get; }

    /// <summary>
    /// Opens (creating if needed) the store: checks the path (no symbolic link; 0600), takes the store lock, sets WAL,
    /// synchronous=FULL, the busy timeout and foreign keys, applies pending migrations in one transaction, and
    /// re-queues messages that were being sent when the daemon stopped.
    /// </summary>
    public static Task<MessageStore> OpenAsync(MessageStoreSettings settings, ILogger logger, TimeProvider timeProvider,
        CancellationToken cancellationToken = default) =>
        OpenAsync(settings, logger, timeProvider, StoreSchema.Migrations, cancellationToken);

    /// <summary>Opens with an explicit list of migrations (tests inject a fictional v2).</summary>
    internal static Task<MessageStore> OpenAsync(MessageStoreSettings settings, ILogger logger, TimeProvider timeProvider,
        IReadOnlyList<SchemaMigration> migrations, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(migrations);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Open(settings, logger, timeProvider, migrations));
    }

    private static MessageStore Open(MessageStoreSettings settings, ILogger logger, TimeProvider time, IReadOnlyList<SchemaMigration> migrations)
    {
        StoreValues.CheckText(settings.DatabasePath, nameof(settings.DatabasePath), 4096, required: true);
        string path = Path.GetFullPath(settings.DatabasePath);
        FileStream lockFile;
        try
        {
            StoreFile.Prepare(path, logger);
            lockFile = StoreFile.AcquireLock(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MessageStoreException(MessageStoreErrorReason.IoError, $"Preparing message store {path}: {e.Message}", e);
        }

        SqliteConnection? writer = null;
        try
        {
            int timeoutSeconds = Math.Max(1, (int)Math.Ceiling(settings.BusyTimeout.TotalSeconds));
            var builder = new SqliteConnectionStringBuilder
            {
                DataSource = path,
                Mode = SqliteOpenMode.ReadWrite,
                Cache = SqliteCacheMode.Private,
                Pooling = false,
                ForeignKeys = true,
                DefaultTimeout = timeoutSeconds,
            };
            writer = new SqliteConnection(builder.ToString());
            writer.Open();
            ConfigureWriter(writer, settings);
            int version = Migrate(writer, migrations, logger);
            int requeued = RecoverInterruptedSends(writer, time, logger);

            builder.Mode = SqliteOpenMode.ReadOnly;
            var store = new MessageStore(settings, path, writer, builder.ToString(), lockFile, logger, time, version, requeued);
            Log.StoreOpened(logger, path, version, requeued);
            return store;
        }
        catch (SqliteException e)
        {
            writer?.Dispose();
            lockFile.Dispose();
            throw StoreValues.Map(e, $"Opening message store {path}");
        }
        catch
        {
            writer?.Dispose();
            lockFile.Dispose();
            throw;
        }
    }

    private static void ConfigureWriter(SqliteConnection connection, MessageStoreSettings settings)
    {
        // journal_mode answers with the mode in force; anything but "wal" means the filesystem refused it.
        string? mode = ExecuteScalarText(connection, "PRAGMA journal_mode=WAL;");
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
        {
            throw new MessageStoreException(MessageStoreErrorReason.WalUnavailable,
                $"Message store {connection.DataSource}: journal mode is '{mode}', WAL is required");
        }

        int busyMs = (int)Math.Clamp(settings.BusyTimeout.TotalMilliseconds, 0, int.MaxValue);
        using (var command = connection.CreateCommand())
        {
            // journal_size_limit: after a checkpoint, a WAL grown by one large message is truncated back to 4 MiB
            // instead of keeping its peak size on the handset's flash.
            command.CommandText = string.Create(CultureInfo.InvariantCulture,
                $"PRAGMA synchronous=FULL; PRAGMA busy_timeout={busyMs}; PRAGMA foreign_keys=ON; PRAGMA trusted_schema=OFF; PRAGMA journal_size_limit={JournalSizeLimit};");
            command.ExecuteNonQuery();
        }
    }

    private static void ConfigureReader(SqliteConnection connection, MessageStoreSettings settings)
    {
        int busyMs = (int)Math.Clamp(settings.BusyTimeout.TotalMilliseconds, 0, int.MaxValue);
        using var command = connection.CreateCommand();
        command.CommandText = string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout={busyMs}; PRAGMA trusted_schema=OFF;");
        command.ExecuteNonQuery();
    }

    private static int Migrate(SqliteConnection connection, IReadOnlyList<SchemaMigration> migrations, ILogger logger)
    {
        for (int i = 0; i < migrations.Count; i++)
        {
            if (migrations[i].Version != i + 1)
            {
                throw new ArgumentException($"Migration {i} has version {migrations[i].Version}; expected {i + 1}", nameof(migrations));
            }
        }

        int current = (int)ExecuteScalarInt64(connection, "PRAGMA user_version;");
        int latest = migrations.Count;
        if (current > latest)
        {
            throw new MessageStoreException(MessageStoreErrorReason.SchemaTooNew,
                $"Message store {connection.DataSource} has schema v{current}; this build knows up to v{latest} and will not touch it");
        }

        if (current == latest)
        {
            return current;
        }

        using var transaction = connection.BeginTransaction();
        try
        {
            for (int i = current; i < latest; i++)
            {
                using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = migrations[i].Sql;
                command.ExecuteNonQuery();
            }

            using (var setVersion = connection.CreateCommand())
            {
                // user_version lives in the database header and is written by this same transaction.
                setVersion.Transaction = transaction;
                setVersion.CommandText = string.Create(CultureInfo.InvariantCulture, $"PRAGMA user_version={latest};");
                setVersion.ExecuteNonQuery();
            }

            transaction.Commit();
        }
        catch (SqliteException e) when (e.SqliteErrorCode is not (10 or 13))
        {
            throw new MessageStoreException(MessageStoreErrorReason.MigrationFailed,
                $"Message store {connection.DataSource}: migration from v{current} to v{latest} failed (SQLite {e.SqliteExtendedErrorCode}); the file is unchanged", e);
        }

        Log.Migrated(logger, current, latest);
        return latest;
    }

    private static string? ExecuteScalarText(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar() as string;
    }

    private static long ExecuteScalarInt64(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command.ExecuteScalar() is long value ? value : 0;
    }

    /// <summary>Runs <paramref name="work"/> in one write transaction (BEGIN IMMEDIATE) and commits it.</summary>
    private async Task<TResult> WriteAsync<TState, TResult>(TState state, Func<MessageStore, TState, SqliteTransaction, TResult> work,
        string what, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var transaction = _writer.BeginTransaction();
            TResult result = work(this, state, transaction);
            transaction.Commit();
            return result;
        }
        catch (SqliteException e)
        {
            MessageStoreException mapped = StoreValues.Map(e, what);
            Log.WriteFailed(_logger, e, mapped.Reason);
            throw mapped;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Runs a query on a pooled read-only connection.</summary>
    private TResult Read<TState, TResult>(TState state, Func<TState, SqliteConnection, TResult> work, string what)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_readers.TryTake(out SqliteConnection? connection))
        {
            connection = new SqliteConnection(_readerConnectionString);
            try
            {
                connection.Open();
                ConfigureReader(connection, _settings);
            }
            catch (SqliteException e)
            {
                connection.Dispose();
                throw StoreValues.Map(e, what);
            }
        }

        try
        {
            return work(state, connection);
        }
        catch (SqliteException e)
        {
            throw StoreValues.Map(e, what);
        }
        finally
        {
            if (_disposed || _readers.Count >= Math.Max(1, _settings.ReaderPoolSize))
            {
                connection.Dispose();
            }
            else
            {
                _readers.Add(connection);
            }
        }
    }

    private SqliteCommand WriteCommand(SqliteTransaction transaction, string sql)
    {
        var command = _writer.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    /// <summary>
    /// Runs <c>PRAGMA name</c> or <c>PRAGMA name = integer</c> on the writer connection and returns the integer answer
    /// (diagnostics and tests: synchronous, busy_timeout, foreign_keys, max_page_count...).
    /// </summary>
    internal async Task<long> WriterPragmaAsync(string pragma)
    {
        if (!PragmaSyntax().IsMatch(pragma))
        {
            throw new ArgumentOutOfRangeException(nameof(pragma), $"'{pragma}' is not 'name' or 'name = integer'");
        }

        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return ExecuteScalarInt64(_writer, $"PRAGMA {pragma};");
        }
        finally
        {
            _writeLock.Release();
        }
    }

    [GeneratedRegex("^[a-z_]+( = [0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex PragmaSyntax();

    /// <summary>A command kept on the writer connection, created (with its parameters) on first use; only under the write lock.</summary>
    private SqliteCommand CachedWriteCommand(ref SqliteCommand? slot, SqliteTransaction transaction, string sql, params ReadOnlySpan<string> parameters)
    {
        if (slot is null)
        {
            slot = _writer.CreateCommand();
            slot.CommandText = sql;
            foreach (string name in parameters)
            {
                slot.Parameters.Add(new SqliteParameter { ParameterName = name });
            }
        }

        slot.Transaction = transaction;
        return slot;
    }

    private long NowMs() => StoreValues.ToUnixMs(_time.GetUtcNow());

    /// <summary>Closes the connections (SQLite checkpoints the WAL on the last close) and releases the store lock.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            while (_readers.TryTake(out SqliteConnection? reader))
            {
                reader.Dispose();
            }

            _findIdentity?.Dispose();
            _insertIdentity?.Dispose();
            _insertInbox?.Dispose();
            _writer.Dispose();
            _lockFile.Dispose();
        }
        finally
        {
            _writeLock.Release();
        }
    }
}
