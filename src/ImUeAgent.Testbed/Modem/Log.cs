// SPDX-License-Identifier: MIT
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Testbed.Modem;

/// <summary>Source-generated log messages of the modem emulator (STYLE.md §15).</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "port ready: {Port}")]
    public static partial void PortReady(this ILogger logger, string port);

    [LoggerMessage(2, LogLevel.Information, "client connected on {Port}")]
    public static partial void ClientConnected(this ILogger logger, string port);

    [LoggerMessage(3, LogLevel.Information, "client gone from {Port}")]
    public static partial void ClientGone(this ILogger logger, string port);

    [LoggerMessage(4, LogLevel.Information, "control: {Command} → {Answer}")]
    public static partial void ControlCommand(this ILogger logger, string command, string answer);

    [LoggerMessage(5, LogLevel.Warning, "command line too long (over {Limit} bytes): discarded")]
    public static partial void LineTooLong(this ILogger logger, int limit);

    [LoggerMessage(6, LogLevel.Information, "fault: reply dropped")]
    public static partial void ReplyDropped(this ILogger logger);

    [LoggerMessage(7, LogLevel.Information, "fault: reply delayed by {Milliseconds} ms")]
    public static partial void ReplyDelayed(this ILogger logger, double milliseconds);

    [LoggerMessage(8, LogLevel.Information, "fault: {Count} garbage bytes sent")]
    public static partial void GarbageSent(this ILogger logger, int count);

    [LoggerMessage(9, LogLevel.Information, "fault: port vanishes for {Milliseconds} ms")]
    public static partial void Vanishing(this ILogger logger, double milliseconds);

    [LoggerMessage(10, LogLevel.Warning, "session ended with an error")]
    public static partial void SessionFailed(this ILogger logger, Exception exception);

    [LoggerMessage(11, LogLevel.Warning, "control client failed")]
    public static partial void ControlClientFailed(this ILogger logger, Exception exception);
}
