// SPDX-License-Identifier: MIT
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Modem.Power;

/// <summary>Log messages of the power sequences (event ids 900-919).</summary>
internal static partial class PowerLog
{
    [LoggerMessage(900, LogLevel.Information, "modem power ({Board}): {Sequence}")]
    public static partial void PowerSequence(this ILogger logger, string board, string sequence);

    [LoggerMessage(901, LogLevel.Information, "modem power ({Board}): STATUS shows {State}")]
    public static partial void PowerState(this ILogger logger, string board, string state);

    [LoggerMessage(902, LogLevel.Error, "modem power ({Board}): STATUS did not show {State} within {Milliseconds} ms")]
    public static partial void PowerStatusTimeout(this ILogger logger, string board, string state, int milliseconds);
}
