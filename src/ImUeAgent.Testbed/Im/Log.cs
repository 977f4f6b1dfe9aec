// SPDX-License-Identifier: MIT
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Testbed.Im;

/// <summary>Source-generated log messages of the IM server (STYLE.md §15). The SIP messages themselves are in the
/// core's JSON message log; these lines say what the IM server decided.</summary>
internal static partial class Log
{
    [LoggerMessage(801, LogLevel.Information, "IM server relays {Method} {From} -> {To}: Accept-Contact {AcceptContact}, identity {Identity}")]
    public static partial void Relayed(this ILogger logger, string method, string from, string to, string acceptContact, string identity);

    [LoggerMessage(802, LogLevel.Information, "IM server stored deferred {Mode} message {Id} for {User} (expires {Expires:o})")]
    public static partial void Stored(this ILogger logger, string mode, string id, string user, DateTimeOffset expires);

    [LoggerMessage(803, LogLevel.Warning, "IM server refused to store for {User}: {Reason}")]
    public static partial void StoreRefused(this ILogger logger, string user, string reason);

    [LoggerMessage(804, LogLevel.Information, "IM server pushes {Count} deferred messages to {User} as {Body}")]
    public static partial void PushStarted(this ILogger logger, int count, string user, string body);

    [LoggerMessage(805, LogLevel.Information, "IM server push to {User} done: {Delivered} delivered, {Kept} kept")]
    public static partial void PushFinished(this ILogger logger, string user, int delivered, int kept);

    [LoggerMessage(806, LogLevel.Warning, "IM server push to {User} failed: {Reason}")]
    public static partial void PushFailed(this ILogger logger, string user, string reason);

    [LoggerMessage(807, LogLevel.Information, "IM server exploded {Method} from {From} to {Count} recipients ({Kind})")]
    public static partial void Exploded(this ILogger logger, string method, string from, int count, string kind);

    [LoggerMessage(808, LogLevel.Warning, "IM server could not deliver to {Recipient}: {Reason}")]
    public static partial void RecipientFailed(this ILogger logger, string recipient, string reason);

    [LoggerMessage(809, LogLevel.Information, "IM server settings of {User}: offline delivery {OfflineDelivery}, pager barring {PagerBarring}, expires {Expires}")]
    public static partial void SettingsPublished(this ILogger logger, string user, string offlineDelivery, string pagerBarring, uint expires);

    [LoggerMessage(810, LogLevel.Warning, "XCAP request from {Remote} refused: {Reason}")]
    public static partial void XcapRefused(this ILogger logger, string remote, string reason);

    [LoggerMessage(811, LogLevel.Warning, "IM server large-message session {CallId} failed: {Reason}")]
    public static partial void LargeMessageFailed(this ILogger logger, string callId, string reason);

    [LoggerMessage(812, LogLevel.Information, "IM server expired {Count} deferred messages")]
    public static partial void Expired(this ILogger logger, int count);
}
