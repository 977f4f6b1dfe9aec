// SPDX-License-Identifier: MIT
using ImUeAgent.Configuration;
using ImUeAgent.Daemon;
using ImUeAgent.Im.Store;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Messaging;

/// <summary>
/// The durable message store of the daemon (StateDirectory/messages.db) and the feeds API watchers wait on. Opened
/// before anything can receive or accept a message; a store that cannot be opened (another instance holds its lock,
/// the disk is read-only) is reported once and leaves messaging unavailable while the rest of the daemon runs.
/// </summary>
internal sealed class MessagingHost(AgentConfig config, AgentState state, TimeProvider time, ILoggerFactory loggers)
    : IHostedService, IAsyncDisposable
{
    public const string DatabaseFileName = "messages.db";

    private readonly ILogger _logger = loggers.CreateLogger<MessagingHost>();

    /// <summary>The store, or null when it could not be opened (see <see cref="Unavailable"/>).</summary>
    public MessageStore? Store { get; private set; }

    /// <summary>Why messaging is unavailable, when it is.</summary>
    public string? Unavailable { get; private set; } = "the message store is not open yet";

    /// <summary>Signalled after every inbox insert or acknowledgement.</summary>
    public ChangeFeed InboxChanged { get; } = new();

    /// <summary>Signalled after every outbox enqueue or state change.</summary>
    public ChangeFeed OutboxChanged { get; } = new();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var path = Path.Combine(config.Daemon.StateDirectory, DatabaseFileName);
        try
        {
            Store = await MessageStore.OpenAsync(new MessageStoreSettings { DatabasePath = path },
                loggers.CreateLogger("ImUeAgent.Im.Store"), time, cancellationToken).ConfigureAwait(false);
            Unavailable = null;
            _logger.StoreOpened(path, Store.SchemaVersion, Store.RequeuedOnOpen);
        }
        catch (MessageStoreException ex)
        {
            Unavailable = $"message store {path}: {ex.Message}";
            _logger.StoreUnavailable(Unavailable);
            state.Update(s => s with { LastFailure = new FailureSnapshot(time.GetUtcNow(), "store", ex.Message) });
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (Store is { } store)
        {
            Store = null;
            Unavailable = "the daemon is stopping";
            await store.DisposeAsync().ConfigureAwait(false);
        }
    }
}

internal static partial class MessagingLog
{
    [LoggerMessage(400, LogLevel.Information, "message store {Path} open (schema {Version}, {Requeued} outgoing messages re-queued)")]
    public static partial void StoreOpened(this ILogger logger, string path, int version, int requeued);

    [LoggerMessage(401, LogLevel.Error, "messaging unavailable: {Reason}")]
    public static partial void StoreUnavailable(this ILogger logger, string reason);
}
