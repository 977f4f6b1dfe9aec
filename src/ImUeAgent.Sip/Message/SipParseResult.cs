// SPDX-License-Identifier: MIT
namespace ImUeAgent.Sip.Message;

public enum SipParseStatus : byte
{
    /// <summary>More bytes are needed; nothing was consumed.</summary>
    Incomplete,
    /// <summary>A message was parsed; advance by <see cref="SipParseResult.Consumed"/>.</summary>
    Complete,
    /// <summary>Only CRLFs were found before any message: RFC 5626 §3.5.1 keep-alive (a double CRLF is a ping to be
    /// answered with a single CRLF pong). Advance by <see cref="SipParseResult.Consumed"/>.</summary>
    KeepAlive,
    /// <summary>The message is malformed; see <see cref="SipParseResult.Error"/>.</summary>
    Error,
}

/// <summary>The outcome of <see cref="SipParser.Parse"/>. On <see cref="SipParseStatus.Error"/>, <see cref="Offset"/>
/// says where (from the start of the input) and <see cref="Header"/> which header, when one is to blame. When the
/// message could still be framed (a bad header value), <see cref="Consumed"/> is its length so a stream can continue
/// with the next message, and <see cref="Message"/> holds it so a UAS can copy Via/From/To/Call-ID/CSeq into the 400
/// response; otherwise <see cref="Consumed"/> is 0 and a stream must be closed.</summary>
public readonly struct SipParseResult
{
    private SipParseResult(SipParseStatus status, SipMessage? message, long consumed, SipParseError error, long offset, SipHeaderId header)
    {
        Status = status;
        Message = message;
        Consumed = consumed;
        Error = error;
        Offset = offset;
        Header = header;
    }

    public SipParseStatus Status { get; }

    public SipMessage? Message { get; }

    public long Consumed { get; }

    public SipParseError Error { get; }

    public long Offset { get; }

    public SipHeaderId Header { get; }

    public bool IsComplete => Status == SipParseStatus.Complete;

    public static SipParseResult Incomplete => default;

    internal static SipParseResult Complete(SipMessage message, long consumed) =>
        new(SipParseStatus.Complete, message, consumed, SipParseError.None, 0, SipHeaderId.Unknown);

    internal static SipParseResult KeepAlive(long consumed) =>
        new(SipParseStatus.KeepAlive, null, consumed, SipParseError.None, 0, SipHeaderId.Unknown);

    internal static SipParseResult Fail(SipParseError error, long offset, SipHeaderId header = SipHeaderId.Unknown, SipMessage? message = null, long consumed = 0) =>
        new(SipParseStatus.Error, message, consumed, error, offset, header);

    public override string ToString() => Status switch
    {
        SipParseStatus.Error => $"Error {Error} at {Offset}" + (Header == SipHeaderId.Unknown ? string.Empty : $" ({SipHeaderNames.GetName(Header)})"),
        SipParseStatus.Complete => $"Complete ({Consumed} bytes)",
        _ => Status.ToString(),
    };
}
