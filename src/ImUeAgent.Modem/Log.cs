// SPDX-License-Identifier: MIT
using ImUeAgent.Modem.At;
using ImUeAgent.Modem.At.Urc;
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Modem;

/// <summary>
/// Source-generated log messages of the modem assembly (STYLE.md §15). Event ids: 100-199 AT channel, 200-249 ports,
/// 250-299 URC router; later areas (bring-up, UICC channel) take 300 and up. Sensitive AT text arrives redacted.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(100, LogLevel.Information, "AT channel on {Port}: {Status}")]
    public static partial void ChannelStatus(this ILogger logger, string port, AtChannelStatus status);

    [LoggerMessage(101, LogLevel.Trace, "AT --> {Text}")]
    public static partial void Sent(this ILogger logger, string text);

    [LoggerMessage(102, LogLevel.Trace, "AT <-- {Text} ({Route})")]
    public static partial void Received(this ILogger logger, string text, AtLineRoute route);

    [LoggerMessage(103, LogLevel.Warning, "AT command {Command} got no final result within {TimeoutMs} ms ({Consecutive} in a row)")]
    public static partial void CommandTimedOut(this ILogger logger, string command, double timeoutMs, int consecutive);

    [LoggerMessage(104, LogLevel.Information, "AT command {Command} sent again after resynchronisation (attempt {Attempt})")]
    public static partial void CommandRetransmitted(this ILogger logger, string command, int attempt);

    [LoggerMessage(105, LogLevel.Debug, "AT command {Command} cancelled by its caller while in flight; resynchronising")]
    public static partial void CommandCancelledInFlight(this ILogger logger, string command);

    [LoggerMessage(106, LogLevel.Debug, "AT channel resynchronised")]
    public static partial void Resynchronised(this ILogger logger);

    [LoggerMessage(107, LogLevel.Warning, "AT resynchronisation failed: {Detail}")]
    public static partial void ResyncFailed(this ILogger logger, string detail);

    [LoggerMessage(108, LogLevel.Debug, "AT framing error {Error} at byte {Column} of a {Length}-byte line; skipped")]
    public static partial void FramingError(this ILogger logger, AtFramingError error, int column, long length);

    [LoggerMessage(109, LogLevel.Debug, "AT stale line dropped (belongs to no waiting command): {Text}")]
    public static partial void StaleLine(this ILogger logger, string text);

    [LoggerMessage(110, LogLevel.Debug, "AT prompt '> ' with no command waiting for it; ignored")]
    public static partial void StrayPrompt(this ILogger logger);

    [LoggerMessage(111, LogLevel.Debug, "AT trailing OK after +CME/+CMS ERROR swallowed (firmware quirk)")]
    public static partial void TrailingOkSwallowed(this ILogger logger);

    [LoggerMessage(112, LogLevel.Error, "AT channel status subscriber failed")]
    public static partial void StatusHandlerFailed(this ILogger logger, Exception exception);

    [LoggerMessage(113, LogLevel.Critical, "AT channel supervisor failed; channel closed")]
    public static partial void SupervisorFailed(this ILogger logger, Exception exception);

    [LoggerMessage(200, LogLevel.Warning, "modem port {Port} cannot be opened: {Detail}")]
    public static partial void PortOpenFailed(this ILogger logger, string port, string detail);

    [LoggerMessage(201, LogLevel.Warning, "modem port {Port} lost: {Detail}")]
    public static partial void PortLost(this ILogger logger, string port, string detail);

    [LoggerMessage(250, LogLevel.Debug, "URC {Name} has no subscriber")]
    public static partial void UrcUnhandled(this ILogger logger, string name);

    [LoggerMessage(251, LogLevel.Error, "URC {Name} subscriber failed")]
    public static partial void UrcHandlerFailed(this ILogger logger, string name, Exception exception);

    [LoggerMessage(252, LogLevel.Warning, "URC {Name} malformed ({Error}): {Line}")]
    public static partial void UrcMalformed(this ILogger logger, string name, AtUrcParseError error, string line);
}
