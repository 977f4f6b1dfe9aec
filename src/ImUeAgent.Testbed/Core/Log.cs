// SPDX-License-Identifier: MIT
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Testbed.Core;

/// <summary>Source-generated log messages of the IMS core (STYLE.md §15). SIP messages themselves go to the
/// <see cref="SipMessageLog"/>; these are the core's decisions. No credential is ever an argument.</summary>
internal static partial class Log
{
    [LoggerMessage(101, LogLevel.Warning, "send to {Remote} failed: {Reason}")]
    public static partial void SendFailed(this ILogger logger, string remote, string reason);

    [LoggerMessage(102, LogLevel.Warning, "TCP connect to {Remote} failed")]
    public static partial void ConnectFailed(this ILogger logger, string remote);

    [LoggerMessage(103, LogLevel.Warning, "{Transport} receive failed: {Reason}")]
    public static partial void ReceiveFailed(this ILogger logger, string transport, string reason);

    [LoggerMessage(104, LogLevel.Information, "TCP connection {Id} from {Remote} opened")]
    public static partial void ConnectionOpened(this ILogger logger, long id, string remote);

    [LoggerMessage(105, LogLevel.Information, "TCP connection {Id} to {Remote} closed")]
    public static partial void ConnectionClosed(this ILogger logger, long id, string remote);

    [LoggerMessage(106, LogLevel.Warning, "TCP connection {Id} from {Remote} closed in the middle of a message ({Bytes} bytes pending)")]
    public static partial void ClosedMidMessage(this ILogger logger, long id, string remote, long bytes);

    [LoggerMessage(107, LogLevel.Information, "{Impi}: registered {Contact} for {Seconds} s")]
    public static partial void Registered(this ILogger logger, string impi, string contact, uint seconds);

    [LoggerMessage(108, LogLevel.Information, "{Impi}: contact {Contact} ended ({Event})")]
    public static partial void ContactEnded(this ILogger logger, string impi, string contact, string @event);

    [LoggerMessage(109, LogLevel.Information, "{Impi}: challenge {Algorithm} with SQN {Sqn}")]
    public static partial void Challenged(this ILogger logger, string impi, string algorithm, string sqn);

    [LoggerMessage(110, LogLevel.Information, "{Impi}: re-synchronised, SQN_MS {SqnMs}")]
    public static partial void Resynchronised(this ILogger logger, string impi, string sqnMs);

    [LoggerMessage(111, LogLevel.Warning, "{Impi}: authentication failed ({Reason})")]
    public static partial void AuthenticationFailed(this ILogger logger, string impi, string reason);

    [LoggerMessage(112, LogLevel.Information, "fault: {Fault}")]
    public static partial void FaultApplied(this ILogger logger, string fault);

    [LoggerMessage(113, LogLevel.Information, "control: {Command} → {Answer}")]
    public static partial void ControlCommand(this ILogger logger, string command, string answer);

    [LoggerMessage(114, LogLevel.Information, "NOTIFY to {Target} timed out (Timer F)")]
    public static partial void NotifyTimedOut(this ILogger logger, string target);

    [LoggerMessage(115, LogLevel.Warning, "request from {Flow} rejected: {Status} {Reason}")]
    public static partial void Rejected(this ILogger logger, string flow, int status, string reason);

    [LoggerMessage(116, LogLevel.Warning, "core event failed")]
    public static partial void EventFailed(this ILogger logger, Exception exception);
}
