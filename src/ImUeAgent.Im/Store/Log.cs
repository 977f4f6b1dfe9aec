// SPDX-License-Identifier: MIT
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Im.Store;

/// <summary>Source-generated log messages of the message store. Ids and sizes only: never bodies.</summary>
internal static partial class Log
{
    [LoggerMessage(3001, LogLevel.Information, "Message store {Path} open: schema v{Version}, {Requeued} outgoing message(s) re-queued after an interrupted send")]
    public static partial void StoreOpened(ILogger logger, string path, int version, int requeued);

    [LoggerMessage(3002, LogLevel.Information, "Message store {Path} created (mode 0600)")]
    public static partial void DatabaseCreated(ILogger logger, string path);

    [LoggerMessage(3003, LogLevel.Warning, "Message store file {Path} had mode {Mode}; set to 0600")]
    public static partial void FileModeFixed(ILogger logger, string path, string mode);

    [LoggerMessage(3004, LogLevel.Information, "Message store schema migrated from v{From} to v{To}")]
    public static partial void Migrated(ILogger logger, int from, int to);

    [LoggerMessage(3005, LogLevel.Debug, "Inbox {Id} committed: source {Source}, {Bytes} bytes, {Identities} identities")]
    public static partial void InboxInserted(ILogger logger, long id, MessageSource source, int bytes, int identities);

    [LoggerMessage(3006, LogLevel.Information, "Inbox: duplicate of {Id} ({Outcome}, matched {Kind}); not stored again")]
    public static partial void InboxDuplicate(ILogger logger, long id, InboxInsertOutcome outcome, InboxIdentityKind kind);

    [LoggerMessage(3007, LogLevel.Debug, "Inbox {Id} acknowledged by the application")]
    public static partial void InboxAcknowledged(ILogger logger, long id);

    [LoggerMessage(3008, LogLevel.Debug, "Outbox {Id} ({MessageId}) committed: {Bytes} bytes to {Recipients} recipient(s)")]
    public static partial void OutboxEnqueued(ILogger logger, long id, string messageId, int bytes, int recipients);

    [LoggerMessage(3009, LogLevel.Debug, "Outbox {Id}: {From} -> {To} on {Trigger}")]
    public static partial void OutboxTransition(ILogger logger, long id, OutboxState from, OutboxState to, OutboxTrigger trigger);

    [LoggerMessage(3010, LogLevel.Warning, "Outbox {Id} was being sent when the daemon stopped; re-queued with the same Message-ID {MessageId}")]
    public static partial void OutboxRecovered(ILogger logger, long id, string messageId);

    [LoggerMessage(3011, LogLevel.Information, "Message store purged {Inbox} inbox and {Outbox} outbox message(s)")]
    public static partial void Purged(ILogger logger, int inbox, int outbox);

    [LoggerMessage(3012, LogLevel.Error, "Message store write failed ({Reason}); nothing of it was committed")]
    public static partial void WriteFailed(ILogger logger, Exception exception, MessageStoreErrorReason reason);
}
