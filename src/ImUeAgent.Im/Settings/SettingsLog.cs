// SPDX-License-Identifier: MIT
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Im.Settings;

/// <summary>Source-generated log messages of the IM Service Settings publication and the deferred-list retrieval.
/// Status codes, reasons and counts only: never identities or bodies.</summary>
internal static partial class SettingsLog
{
    [LoggerMessage(3201, LogLevel.Information, "IM Service Settings published ({Kind}): {Status}, expires in {Granted} s, refresh in {RefreshAfter}")]
    public static partial void Published(ILogger logger, string kind, int status, uint granted, TimeSpan refreshAfter);

    [LoggerMessage(3202, LogLevel.Information, "IM Service Settings PUBLISH failed ({Reason}: {Text}); retry in {Delay}")]
    public static partial void PublishFailed(ILogger logger, ImSettingsFailureReason reason, string text, TimeSpan? delay);

    [LoggerMessage(3203, LogLevel.Information, "IM Service Settings: 412 to the conditional PUBLISH; publishing afresh (RFC 3903 §4.1)")]
    public static partial void EntityTagUnknown(ILogger logger);

    [LoggerMessage(3204, LogLevel.Information, "IM Service Settings: 423, retrying with Min-Expires {MinExpires}")]
    public static partial void IntervalTooBrief(ILogger logger, uint minExpires);

    [LoggerMessage(3205, LogLevel.Warning, "IM Service Settings: the 2xx to PUBLISH carried no SIP-ETag (RFC 3903 §4.1); the next PUBLISH starts afresh")]
    public static partial void NoEntityTag(ILogger logger);

    [LoggerMessage(3206, LogLevel.Information, "IM Service Settings removed: {Status}")]
    public static partial void Removed(ILogger logger, string status);

    [LoggerMessage(3207, LogLevel.Warning, "IM Service Settings: a StateChanged handler threw")]
    public static partial void HandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(3208, LogLevel.Error, "IM Service Settings publication loop failed")]
    public static partial void LoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(3209, LogLevel.Debug, "IM Service Settings: registration {Status}; publication {Action}")]
    public static partial void RegistrationChanged(ILogger logger, string status, string action);

    [LoggerMessage(3210, LogLevel.Information, "Deferred-message metadata retrieved: {Count} message(s), {Skipped} entries without history-reference skipped")]
    public static partial void DeferredListRetrieved(ILogger logger, int count, int skipped);

    [LoggerMessage(3211, LogLevel.Information, "Deferred-message metadata retrieval failed: {Reason} {Detail}")]
    public static partial void DeferredListFailed(ILogger logger, DeferredListError reason, string detail);
}
