// SPDX-License-Identifier: MIT
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Api;

/// <summary>Log messages of the local API (event ids 100-119).</summary>
internal static partial class ApiLog
{
    [LoggerMessage(100, LogLevel.Information, "local API listening on {Path}")]
    public static partial void ApiListening(this ILogger logger, string path);

    [LoggerMessage(101, LogLevel.Warning, "local API: malformed call ({Reason}); answered with an error, further ones on this connection are not logged")]
    public static partial void ApiMalformedCall(this ILogger logger, string reason);

    [LoggerMessage(102, LogLevel.Warning, "local API: a client sent more than {Bytes} bytes without a message end; answered with an error and skipped it")]
    public static partial void ApiMessageTooLarge(this ILogger logger, long bytes);

    [LoggerMessage(103, LogLevel.Error, "local API: a connection failed and was closed")]
    public static partial void ApiConnectionFailed(this ILogger logger, Exception exception);
}
