// SPDX-License-Identifier: MIT
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Msrp;

/// <summary>Source-generated log messages of the MSRP assembly.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Warning, "MSRP connection {Connection}: frame rejected ({Error}) at byte {Offset}; closing")]
    public static partial void FrameRejected(ILogger logger, string connection, Framing.MsrpFrameError error, long offset);

    [LoggerMessage(2, LogLevel.Debug, "MSRP connection {Connection}: request with {Error} at byte {Offset}; answering 400")]
    public static partial void BadRequest(ILogger logger, string connection, Framing.MsrpFrameError error, int offset);

    [LoggerMessage(3, LogLevel.Information, "MSRP connection {Connection} closed ({Reason})")]
    public static partial void ConnectionClosed(ILogger logger, string connection, string reason);

    [LoggerMessage(4, LogLevel.Debug, "MSRP connection {Connection}: no session for request; answering {Status}")]
    public static partial void NoSession(ILogger logger, string connection, int status);

    [LoggerMessage(5, LogLevel.Information, "MSRP session {SessionId}: message {MessageId} incomplete ({Reason})")]
    public static partial void MessageIncomplete(ILogger logger, string sessionId, string messageId, Sessions.MsrpIncompleteReason reason);

    [LoggerMessage(6, LogLevel.Warning, "MSRP session {SessionId}: sink failed for message {MessageId}")]
    public static partial void SinkFailed(ILogger logger, Exception exception, string sessionId, string messageId);

    [LoggerMessage(7, LogLevel.Debug, "MSRP connection {Connection}: transaction timed out")]
    public static partial void TransactionTimedOut(ILogger logger, string connection);

    [LoggerMessage(8, LogLevel.Information, "MSRP connection {Connection}: idle for {Idle}; closing")]
    public static partial void IdleClose(ILogger logger, string connection, TimeSpan idle);

    [LoggerMessage(9, LogLevel.Warning, "MSRP connection {Connection}: handler threw")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string connection);

    [LoggerMessage(10, LogLevel.Warning, "MSRP listener: accepting a connection failed")]
    public static partial void AcceptFailed(ILogger logger, Exception exception);

    [LoggerMessage(11, LogLevel.Information, "MSRP session {SessionId}: failure REPORT {Status} for message {MessageId} being sent; stopping it")]
    public static partial void FailureReportReceived(ILogger logger, string sessionId, string messageId, int status);

    [LoggerMessage(12, LogLevel.Information, "MSRP session {SessionId}: message {MessageId} stalled after {Bytes} bytes; giving it up")]
    public static partial void IncomingMessageTimedOut(ILogger logger, string sessionId, string messageId, long bytes);

    [LoggerMessage(13, LogLevel.Information, "MSRP session {SessionId}: reused connection {Connection} was lost before the binding SEND was answered; opening a new one")]
    public static partial void BindingRetried(ILogger logger, string sessionId, string connection);
}
