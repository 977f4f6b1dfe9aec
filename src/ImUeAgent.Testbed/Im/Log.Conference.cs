// SPDX-License-Identifier: MIT
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Testbed.Im;

/// <summary>What the conference focus decided (the SIP messages themselves are in the core's JSON message log).</summary>
internal static partial class Log
{
    [LoggerMessage(820, LogLevel.Information, "IM conference {Conference} created by {Originator}: inviting {Count} participants")]
    public static partial void ConferenceCreated(this ILogger logger, string conference, string originator, int count);

    [LoggerMessage(821, LogLevel.Information, "IM conference {Conference}: {Participant} joined ({Method})")]
    public static partial void ParticipantJoined(this ILogger logger, string conference, string participant, string method);

    [LoggerMessage(822, LogLevel.Information, "IM conference {Conference}: {Participant} did not join: {Reason}")]
    public static partial void ParticipantFailed(this ILogger logger, string conference, string participant, string reason);

    [LoggerMessage(823, LogLevel.Information, "IM conference {Conference}: {Participant} left ({Method})")]
    public static partial void ParticipantLeft(this ILogger logger, string conference, string participant, string method);

    [LoggerMessage(824, LogLevel.Information, "IM conference {Conference}: {ContentType} of {Bytes} bytes from {Participant} relayed to {Count}")]
    public static partial void ConferenceMessageRelayed(this ILogger logger, string conference, string contentType, int bytes, string participant, int count);

    [LoggerMessage(825, LogLevel.Warning, "IM conference {Conference}: relay to {Participant} failed: {Reason}")]
    public static partial void ConferenceRelayFailed(this ILogger logger, string conference, string participant, string reason);

    [LoggerMessage(826, LogLevel.Information, "IM conference {Conference}: {Watcher} subscribed to the conference state for {Expires} s")]
    public static partial void ConferenceSubscribed(this ILogger logger, string conference, string watcher, uint expires);

    [LoggerMessage(827, LogLevel.Information, "IM conference {Conference}: subscription of {Watcher} ended ({Reason})")]
    public static partial void ConferenceSubscriptionEnded(this ILogger logger, string conference, string watcher, string reason);

    [LoggerMessage(828, LogLevel.Information, "IM conference {Conference} released: {Reason}")]
    public static partial void ConferenceReleased(this ILogger logger, string conference, string reason);

    [LoggerMessage(829, LogLevel.Warning, "IM conference factory refused an INVITE from {From}: {Status} {Reason}")]
    public static partial void ConferenceRefused(this ILogger logger, string from, int status, string reason);
}
