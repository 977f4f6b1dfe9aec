// SPDX-License-Identifier: MIT
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Sip;

/// <summary>Source-generated log messages of the SIP transactions, transports, dialogs and user agent. Header values
/// (credentials, identities) are never logged: start lines, status codes and addresses only.</summary>
internal static partial class SipLog
{
    [LoggerMessage(100, LogLevel.Warning, "SIP transaction user callback threw")]
    public static partial void TransactionUserFailed(ILogger logger, Exception exception);

    [LoggerMessage(101, LogLevel.Information, "SIP send to {Destination} failed")]
    public static partial void SendFailed(ILogger logger, Exception exception, string destination);

    [LoggerMessage(102, LogLevel.Debug, "SIP response from {Source} without Via branch or CSeq: dropped")]
    public static partial void ResponseWithoutVia(ILogger logger, string source);

    [LoggerMessage(103, LogLevel.Debug, "SIP {Status} response from {Source} matches no transaction: dropped")]
    public static partial void UnmatchedResponse(ILogger logger, int status, string source);

    [LoggerMessage(200, LogLevel.Information, "SIP request from {Source} rejected: {Reason} at byte {Offset}; answering {Status}")]
    public static partial void RequestRejected(ILogger logger, string source, string reason, long offset, int status);

    [LoggerMessage(201, LogLevel.Warning, "SIP malformed message from {Source} dropped (a response, or unanswerable): {Reason} at byte {Offset} (further ones from this source are not logged for a minute)")]
    public static partial void ResponseDropped(ILogger logger, string source, string reason, long offset);

    [LoggerMessage(202, LogLevel.Information, "SIP connection {Remote} closed: {Reason}")]
    public static partial void ConnectionClosed(ILogger logger, string remote, string reason);

    [LoggerMessage(203, LogLevel.Warning, "SIP {Transport} receive loop failed")]
    public static partial void ReceiveFailed(ILogger logger, Exception exception, string transport);

    [LoggerMessage(204, LogLevel.Debug, "SIP connection {Remote}: keep-alive pong missing; closing")]
    public static partial void KeepAliveTimeout(ILogger logger, string remote);

    [LoggerMessage(205, LogLevel.Warning, "SIP TLS/TCP accept failed")]
    public static partial void AcceptFailed(ILogger logger, Exception exception);

    [LoggerMessage(206, LogLevel.Debug, "SIP request of {Length} bytes exceeds the path MTU limit: sending over TCP (RFC 3261 §18.1.1)")]
    public static partial void SwitchedToTcp(ILogger logger, int length);

    [LoggerMessage(300, LogLevel.Information, "SIP request {Method} from {Source} has no handler: answering 501")]
    public static partial void NotImplemented(ILogger logger, string method, string source);

    [LoggerMessage(301, LogLevel.Information, "SIP authentication for {Method} stopped: {Failure}")]
    public static partial void AuthenticationStopped(ILogger logger, string method, Auth.AuthenticationFailure failure);

    [LoggerMessage(302, LogLevel.Warning, "SIP request handler threw for {Method}; answering 500")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string method);

    [LoggerMessage(207, LogLevel.Warning, "IMS sockets (SIP, MSRP) not tied to interface {Detail}: they stay bound to its address only (SO_BINDTODEVICE needs CAP_NET_RAW); said once")]
    public static partial void BindToDeviceRefused(ILogger logger, string detail);
}
