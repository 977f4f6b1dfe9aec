// SPDX-License-Identifier: MIT
namespace ImUeAgent.Modem.At;

public enum AtTranscriptDirection
{
    /// <summary>Bytes the channel wrote to the modem.</summary>
    ToModem,

    /// <summary>Frames the channel read from the modem.</summary>
    FromModem,
}

public enum AtTranscriptKind
{
    /// <summary>A command line (without its CR).</summary>
    Command,

    /// <summary>Data written after the "&gt; " prompt (without its Ctrl-Z).</summary>
    Data,

    /// <summary>A received line; <see cref="AtTranscriptEntry.Route"/> says where it went.</summary>
    Line,

    /// <summary>The "&gt; " prompt.</summary>
    Prompt,

    /// <summary>Bytes rejected by the framer; <see cref="AtTranscriptEntry.FramingError"/> says why.</summary>
    FramingError,
}

/// <summary>
/// One entry of the AT transcript (what `imue-agent at` shows). Text of sensitive commands and their answers is
/// redacted before it gets here.
/// </summary>
public readonly record struct AtTranscriptEntry(
    DateTimeOffset Timestamp,
    AtTranscriptDirection Direction,
    AtTranscriptKind Kind,
    string Text,
    AtLineRoute? Route = null,
    AtFramingError? FramingError = null);

/// <summary>Receives transcript entries, called on the channel's reader or writer path: keep it quick.</summary>
public interface IAtTranscript
{
    void Record(in AtTranscriptEntry entry);
}
