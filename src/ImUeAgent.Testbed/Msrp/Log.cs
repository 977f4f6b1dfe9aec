// SPDX-License-Identifier: MIT
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Testbed.Msrp;

/// <summary>Source-generated log messages of the testbed's MSRP endpoint (STYLE.md §15). Relay passwords are never
/// an argument.</summary>
internal static partial class Log
{
    [LoggerMessage(601, LogLevel.Information, "message {MessageId} rejected with {Status} (--reject-code)")]
    public static partial void Rejected(this ILogger logger, string messageId, int status);

    [LoggerMessage(602, LogLevel.Information, "message {MessageId} received: {Bytes} bytes of {ContentType}")]
    public static partial void Received(this ILogger logger, string messageId, long bytes, string contentType);

    [LoggerMessage(603, LogLevel.Warning, "msrp endpoint failed: {Reason}")]
    public static partial void Failed(this ILogger logger, string reason);
}
