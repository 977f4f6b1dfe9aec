// SPDX-License-Identifier: MIT
namespace ImUeAgent.Sip.Message;

/// <summary>How the bytes arrived: on a stream (TCP/TLS) messages follow each other and Content-Length is mandatory;
/// a datagram (UDP) holds exactly one message and a missing Content-Length means "to the end" (RFC 3261 §18.3).</summary>
public enum SipFraming : byte
{
    Stream,
    Datagram,
}

/// <summary>Caps applied to every message before it is parsed (STYLE.md §3).</summary>
public sealed record SipParserOptions
{
    public static SipParserOptions Default { get; } = new();

    /// <summary>Start line, headers and body together. DESIGN.md: 64 KiB. At most 16 MiB.</summary>
    public int MaxMessageSize { get; init; } = 64 * 1024;

    /// <summary>Header fields per message (a folded header counts once).</summary>
    public int MaxHeaderCount { get; init; } = 128;

    /// <summary>Bytes per physical line, CRLF excluded. At most 65535.</summary>
    public int MaxLineLength { get; init; } = 8 * 1024;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxMessageSize, 64);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxMessageSize, 16 * 1024 * 1024);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxHeaderCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxHeaderCount, 4096);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxLineLength, 32);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxLineLength, 65535);
    }
}
