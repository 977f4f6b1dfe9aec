// SPDX-License-Identifier: MIT
namespace ImUeAgent.Modem.At;

/// <summary>Where a received line went (shown in the transcript).</summary>
public enum AtLineRoute
{
    /// <summary>The echo of the command in flight (ATE1), dropped.</summary>
    Echo,

    /// <summary>A final result code.</summary>
    Final,

    /// <summary>Information text of the command in flight.</summary>
    Response,

    /// <summary>An unsolicited result code, dispatched to the URC router.</summary>
    Urc,

    /// <summary>
    /// Belongs to a command that timed out or was cancelled (its echo, its prefixes), or a final result with no
    /// command waiting: dropped, so it can never answer the next command (STYLE.md §9).
    /// </summary>
    Stale,
}

/// <summary>
/// The routing rule of STYLE.md §8, as a pure function: drop echo → final result table → the pending command's
/// expected prefixes → everything else is a URC.
/// </summary>
internal static class AtLineRouter
{
    public static AtLineRoute Route(
        string line,
        AtFinalResultTable finals,
        AtCommand? pending,
        bool pendingDataSent,
        AtCommand? abandoned,
        Func<string, bool> isSubscribedUrc,
        out AtFinalResult final)
    {
        final = default;
        if (pending is not null && IsEcho(line, pending, pendingDataSent))
        {
            return AtLineRoute.Echo;
        }

        if (abandoned is not null && IsEcho(line, abandoned, dataSent: true))
        {
            return AtLineRoute.Stale;
        }

        if (finals.TryMatch(line, out final))
        {
            return pending is null ? AtLineRoute.Stale : AtLineRoute.Final;
        }

        if (pending is not null && pending.MatchesPrefix(line))
        {
            return AtLineRoute.Response;
        }

        if (abandoned is not null && abandoned.MatchesPrefix(line))
        {
            return AtLineRoute.Stale;
        }

        if (pending is { AcceptsUnprefixedLines: true } && !LooksLikeUrc(line) && !isSubscribedUrc(line))
        {
            return AtLineRoute.Response;
        }

        return AtLineRoute.Urc;
    }

    /// <summary>
    /// V.250 §6.2.4 (E): the DCE echoes the command line; for +CMGS-style commands it also echoes the data, often
    /// with the Ctrl-Z that ended it.
    /// </summary>
    internal static bool IsEcho(string line, AtCommand command, bool dataSent)
    {
        if (string.Equals(line, command.Text, StringComparison.Ordinal))
        {
            return true;
        }

        if (!dataSent || command.DataAfterPrompt is not { } data)
        {
            return false;
        }

        var text = line.AsSpan().TrimEnd(AtCommand.DataTerminator);
        return text.SequenceEqual(data);
    }

    /// <summary>Information-text shape: a vendor or 27.007 name ("+CREG:", "^SYSSTART", "$QCSIMSTAT", "%STATUS").</summary>
    internal static bool LooksLikeUrc(string line) => line.Length > 1 && line[0] is '+' or '^' or '$' or '%' or '#' or '*';
}
