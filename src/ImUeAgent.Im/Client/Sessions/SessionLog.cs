// SPDX-License-Identifier: MIT
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Im.Client.Sessions;

/// <summary>Source-generated log messages of IM sessions. Call-IDs, states and status codes only: never bodies.</summary>
internal static partial class SessionLog
{
    [LoggerMessage(3301, LogLevel.Information, "IM session {CallId} ({Direction}, group {IsGroup}): {State} ({Reason}, status {Status})")]
    public static partial void StateChanged(ILogger logger, string callId, ImChatDirection direction, bool isGroup, ImChatSessionState state,
        ImChatSessionEndReason reason, int? status);

    [LoggerMessage(3302, LogLevel.Debug, "Incoming MSRP offer on {CallId} taken as {Decision}")]
    public static partial void OfferClassified(ILogger logger, string callId, ChatOfferDecision decision);

    [LoggerMessage(3303, LogLevel.Debug, "IM session {CallId}: session refresh by {Method} answered {Status}")]
    public static partial void Refreshed(ILogger logger, string callId, string method, int status);

    [LoggerMessage(3304, LogLevel.Warning, "IM session {CallId}: {What} failed")]
    public static partial void StepFailed(ILogger logger, Exception exception, string callId, string what);

    [LoggerMessage(3305, LogLevel.Information, "IM session {CallId}: conference subscription {What} (status {Status})")]
    public static partial void Subscription(ILogger logger, string callId, string what, int? status);

    [LoggerMessage(3306, LogLevel.Information, "IM session {CallId}: conference NOTIFY refused ({Status}): {Reason}")]
    public static partial void NotifyRefused(ILogger logger, string callId, int status, string reason);

    [LoggerMessage(3307, LogLevel.Debug, "IM session {CallId}: {Count} participant(s) after conference-info version {Version} ({Outcome})")]
    public static partial void Participants(ILogger logger, string callId, int count, uint? version, string outcome);
}
