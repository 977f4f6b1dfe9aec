// SPDX-License-Identifier: MIT
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Ims;

/// <summary>Source-generated log messages of the IMS layer. Identities are not logged (IMPI redaction, DESIGN.md);
/// P-CSCF addresses, status codes and reasons are.</summary>
internal static partial class Log
{
    [LoggerMessage(1000, LogLevel.Information, "IMS registration state {Status} via {Pcscf} (attempt {Attempts})")]
    public static partial void StateChanged(ILogger logger, string status, string pcscf, int attempts);

    [LoggerMessage(1001, LogLevel.Warning, "IMS registration attempt via {Pcscf} failed: {Reason}; next attempt in {Delay}")]
    public static partial void AttemptFailed(ILogger logger, string pcscf, string reason, TimeSpan delay);

    [LoggerMessage(1002, LogLevel.Warning, "IMS registration down: {Reason}; waiting for a restart")]
    public static partial void RegistrationDown(ILogger logger, string reason);

    [LoggerMessage(1003, LogLevel.Information, "IMS registered via {Pcscf} for {Expires} s; refresh in {Refresh}")]
    public static partial void Registered(ILogger logger, string pcscf, uint expires, TimeSpan refresh);

    [LoggerMessage(1004, LogLevel.Warning, "SIP {Method} from {Source}, not the P-CSCF registered through: rejected with 403 (logged once per source)")]
    public static partial void RequestNotFromPcscf(ILogger logger, string method, string source);

    [LoggerMessage(1005, LogLevel.Information, "reg-event: {Action}")]
    public static partial void RegEvent(ILogger logger, string action);

    [LoggerMessage(1006, LogLevel.Information, "reg-event NOTIFY rejected: {Reason}")]
    public static partial void RegEventRejected(ILogger logger, string reason);

    [LoggerMessage(1007, LogLevel.Warning, "reg-event SUBSCRIBE failed: {Reason}")]
    public static partial void SubscribeFailed(ILogger logger, string reason);

    [LoggerMessage(1008, LogLevel.Information, "IMS registration restart: {Reason}")]
    public static partial void Restart(ILogger logger, string reason);

    [LoggerMessage(1009, LogLevel.Warning, "IMS de-registration failed: {Reason}")]
    public static partial void DeregisterFailed(ILogger logger, string reason);

    [LoggerMessage(1010, LogLevel.Error, "IMS registration loop failed")]
    public static partial void LoopFailed(ILogger logger, Exception exception);
}
