// SPDX-License-Identifier: MIT
using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;

namespace ImUeAgent.Sip.Message;

/// <summary>A SIP request or response. The message keeps the bytes it was parsed from (or built as) in one array,
/// with an index of its header fields; serializing writes those bytes back unchanged, so headers the stack does not
/// understand are forwarded exactly as they came. Typed values are parsed from the stored bytes only when read, and
/// cached. Instances are immutable and safe to share between threads once published.</summary>
public abstract class SipMessage
{
    private readonly byte[] _buffer;
    private readonly int _length;
    private readonly int _entriesOffset;
    private readonly int _headerCount;
    private readonly int _headersEnd;
    private readonly int _bodyStart;
    private object?[]? _typed;

    private protected SipMessage(byte[] buffer, int length, int entriesOffset, int headerCount, int headersEnd, int bodyStart)
    {
        _buffer = buffer;
        _length = length;
        _entriesOffset = entriesOffset;
        _headerCount = headerCount;
        _headersEnd = headersEnd;
        _bodyStart = bodyStart;
    }

    public abstract bool IsRequest { get; }

    /// <summary>The whole message as bytes: this is its serialization.</summary>
    public ReadOnlyMemory<byte> Raw => _buffer.AsMemory(0, _length);

    /// <summary>Serialized length in bytes.</summary>
    public int Length => _length;

    /// <summary>The header fields, in order, with typed accessors.</summary>
    public SipHeaders Headers => new(this);

    /// <summary>The message body (exactly Content-Length bytes, or the rest of a datagram without one).</summary>
    public ReadOnlyMemory<byte> Body => _buffer.AsMemory(_bodyStart, _length - _bodyStart);

    /// <summary>The start line without its CRLF.</summary>
    public ReadOnlySpan<byte> StartLine => _buffer.AsSpan(0, _buffer.AsSpan(0, _length).IndexOf("\r\n"u8) is var i and >= 0 ? i : _length);

    public void WriteTo(IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(Raw.Span);
    }

    public int CopyTo(Span<byte> destination)
    {
        Raw.Span.CopyTo(destination);
        return _length;
    }

    public byte[] ToArray() => Raw.ToArray();

    /// <summary>The start line only: header values may carry credentials and stay out of logs.</summary>
    public override string ToString() => Encoding.UTF8.GetString(StartLine);

    internal ReadOnlySpan<byte> Bytes => _buffer.AsSpan(0, _length);

    internal ReadOnlySpan<HeaderEntry> Entries =>
        MemoryMarshal.Cast<byte, HeaderEntry>(_buffer.AsSpan(_entriesOffset, _headerCount * HeaderEntry.Size));

    internal int HeaderCount => _headerCount;

    internal ReadOnlySpan<byte> ValueOf(in HeaderEntry e) => _buffer.AsSpan(e.ValueStart, e.ValueEnd - e.ValueStart);

    internal ReadOnlySpan<byte> NameOf(in HeaderEntry e) => _buffer.AsSpan(e.NameStart, e.NameLength);

    /// <summary>The header's physical lines including the final CRLF, as received.</summary>
    internal ReadOnlySpan<byte> LineOf(int index)
    {
        ReadOnlySpan<HeaderEntry> entries = Entries;
        int start = entries[index].NameStart;
        int end = index + 1 < entries.Length ? entries[index + 1].NameStart : _headersEnd;
        return _buffer.AsSpan(start, end - start);
    }

    /// <summary>Typed values already parsed for this header id (benign race: parsing is pure and results are
    /// immutable, so two threads may both parse and one result wins).</summary>
    internal object? GetCached(SipHeaderId id) => _typed?[(int)id];

    internal void SetCached(SipHeaderId id, object value)
    {
        object?[] cache = _typed ??= new object?[(int)SipHeaderId.WwwAuthenticate + 1];
        cache[(int)id] = value;
    }

    internal static SipMessage Create(byte[] buffer, int length, int entriesOffset, int headerCount, int headersEnd, int bodyStart, in StartLineInfo start) =>
        start.IsRequest
            ? new SipRequest(buffer, length, entriesOffset, headerCount, headersEnd, bodyStart, start)
            : new SipResponse(buffer, length, entriesOffset, headerCount, headersEnd, bodyStart, start);
}

/// <summary>What the parser learned from the start line.</summary>
internal struct StartLineInfo
{
    public bool IsRequest;
    public SipMethod Method;
    public Seg MethodToken;
    public Seg RequestUri;
    public int StatusCode;
    public Seg Reason;
}

/// <summary>A SIP request: Method SP Request-URI SP SIP/2.0.</summary>
public sealed class SipRequest : SipMessage
{
    private readonly Seg _methodToken;
    private readonly Seg _uri;
    private SipUri? _requestUri;
    private string? _methodName;

    internal SipRequest(byte[] buffer, int length, int entriesOffset, int headerCount, int headersEnd, int bodyStart, in StartLineInfo start)
        : base(buffer, length, entriesOffset, headerCount, headersEnd, bodyStart)
    {
        Method = start.Method;
        _methodToken = start.MethodToken;
        _uri = start.RequestUri;
    }

    public override bool IsRequest => true;

    /// <summary>The method; <see cref="SipMethod.Extension"/> for any other token (see <see cref="MethodName"/>).</summary>
    public SipMethod Method { get; }

    /// <summary>The method token exactly as received (case-sensitive, RFC 3261 §7.1).</summary>
    public string MethodName => _methodName ??= Encoding.ASCII.GetString(MethodToken);

    public ReadOnlySpan<byte> MethodToken => Bytes.Slice(_methodToken.Start, _methodToken.Length);

    /// <summary>The Request-URI as received (validated while parsing).</summary>
    public ReadOnlySpan<byte> RawRequestUri => Bytes.Slice(_uri.Start, _uri.Length);

    /// <summary>The Request-URI; its <see cref="SipUri.Scheme"/> is <see cref="SipUriScheme.Other"/> for schemes the
    /// stack does not know (a UAS answers 416, RFC 3261 §8.2.2.1).</summary>
    public SipUri RequestUri => _requestUri ??= SipUri.TryParse(RawRequestUri, out SipUri? uri) ? uri : throw new InvalidOperationException("unreachable: Request-URI validated by the parser");

    /// <summary>RFC 3261 §8.2 / RFC 4475 §3.3.1, §3.3.8: checks a UAS applies after parsing — every required header
    /// present (To, From, CSeq, Call-ID, Max-Forwards, Via) and none of the single-value ones repeated. Returns
    /// <see cref="SipParseError.None"/> or the reason with the header it concerns.</summary>
    public (SipParseError Error, SipHeaderId Header) CheckRequiredHeaders()
    {
        ReadOnlySpan<SipHeaderId> required = [SipHeaderId.To, SipHeaderId.From, SipHeaderId.CSeq, SipHeaderId.CallId, SipHeaderId.MaxForwards, SipHeaderId.Via];
        foreach (SipHeaderId id in required)
        {
            if (!Headers.Contains(id))
            {
                // RFC 3261 §8.1.1.6 lets Max-Forwards be missing from RFC 2543 peers' requests (RFC 4475 §3.4.1).
                if (id == SipHeaderId.MaxForwards)
                {
                    continue;
                }

                return (SipParseError.MissingRequiredHeader, id);
            }
        }

        ReadOnlySpan<SipHeaderId> single = [SipHeaderId.To, SipHeaderId.From, SipHeaderId.CSeq, SipHeaderId.CallId, SipHeaderId.MaxForwards, SipHeaderId.ContentLength, SipHeaderId.ContentType, SipHeaderId.Expires];
        foreach (SipHeaderId id in single)
        {
            if (Headers.CountOf(id) > 1)
            {
                return (SipParseError.DuplicateSingleValueHeader, id);
            }
        }

        return (SipParseError.None, SipHeaderId.Unknown);
    }
}

/// <summary>A SIP response: SIP/2.0 SP Status-Code SP Reason-Phrase.</summary>
public sealed class SipResponse : SipMessage
{
    private readonly Seg _reason;
    private string? _reasonPhrase;

    internal SipResponse(byte[] buffer, int length, int entriesOffset, int headerCount, int headersEnd, int bodyStart, in StartLineInfo start)
        : base(buffer, length, entriesOffset, headerCount, headersEnd, bodyStart)
    {
        StatusCode = start.StatusCode;
        _reason = start.Reason;
    }

    public override bool IsRequest => false;

    /// <summary>100..699.</summary>
    public int StatusCode { get; }

    /// <summary>The reason phrase as UTF-8 text (may be empty, RFC 4475 §3.1.1.13).</summary>
    public string ReasonPhrase => _reasonPhrase ??= Encoding.UTF8.GetString(RawReasonPhrase);

    public ReadOnlySpan<byte> RawReasonPhrase => _reason.Length <= 0 ? default : Bytes.Slice(_reason.Start, _reason.Length);

    public bool IsProvisional => StatusCode < 200;

    public bool IsSuccess => StatusCode is >= 200 and < 300;
}
