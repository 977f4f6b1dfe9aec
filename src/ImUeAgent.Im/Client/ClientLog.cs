// SPDX-License-Identifier: MIT
using ImUeAgent.Im.Store;
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Im.Client;

/// <summary>Source-generated log messages of the IM client. Ids, modes and status codes only: never bodies.</summary>
internal static partial class ClientLog
{
    [LoggerMessage(3101, LogLevel.Debug, "Outbox {Id}: sent in {Mode} mode ({Size} bytes serialized), status {Status}")]
    public static partial void Sent(ILogger logger, long id, string mode, int size, int status);

    [LoggerMessage(3102, LogLevel.Information, "Outbox {Id}: failed ({Reason}, status {Status})")]
    public static partial void SendFailed(ILogger logger, long id, OutboxFailureReason reason, int? status);

    [LoggerMessage(3103, LogLevel.Information, "Outbox {Id}: transient failure (status {Status}, {Error}); retry at {At:o}")]
    public static partial void RetryScheduled(ILogger logger, long id, int? status, string error, DateTimeOffset at);

    [LoggerMessage(3104, LogLevel.Warning, "Message store failed while {What}")]
    public static partial void StoreFailed(ILogger logger, Exception exception, string what);

    [LoggerMessage(3105, LogLevel.Information, "Incoming {Method} answered {Status}: {Reason}")]
    public static partial void IncomingRejected(ILogger logger, string method, int status, string reason);

    [LoggerMessage(3106, LogLevel.Debug, "Inbox {Id}: {Outcome} from {Source} (application {Application})")]
    public static partial void InboxCommitted(ILogger logger, long id, InboxInsertOutcome outcome, MessageSource source, string? application);

    [LoggerMessage(3107, LogLevel.Information, "IMDN {Kind} for inbox {Id} not sent: {Reason}")]
    public static partial void ImdnNotSent(ILogger logger, string kind, long id, string reason);

    [LoggerMessage(3108, LogLevel.Warning, "MSRP session of Call-ID {CallId} failed")]
    public static partial void SessionFailed(ILogger logger, Exception exception, string callId);

    [LoggerMessage(3109, LogLevel.Error, "IM sender loop failed")]
    public static partial void SenderLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(3110, LogLevel.Information, "Deferred push on {CallId}: {Messages} message(s), {Unparsed} unparsed part(s) kept raw; MSRP {Status}")]
    public static partial void DeferredPushStored(ILogger logger, string callId, int messages, int unparsed, int status);

    [LoggerMessage(3111, LogLevel.Debug, "IMDN {Disposition} for Message-ID {MessageId}: {Outcome}")]
    public static partial void ImdnReceived(ILogger logger, OutboxDisposition disposition, string messageId, DispositionOutcome outcome);

    [LoggerMessage(3112, LogLevel.Warning, "An application's {Event} handler threw")]
    public static partial void EventHandlerFailed(ILogger logger, Exception exception, string @event);
}
