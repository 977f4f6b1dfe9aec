// SPDX-License-Identifier: MIT
using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace ImUeAgent.Sip.Message;

/// <summary>Creates requests and responses for the UA. Headers are written straight into one pooled buffer in the
/// order they are added (RFC 3261 §7.3.1 only requires Via order to be kept); <see cref="Build"/> appends
/// Content-Length (always, as streams require it) and the body, and returns a message whose bytes are its
/// serialization. Values are written as given: a CR or LF in a value or name is refused (no header injection).
/// One builder builds one message; it is not thread-safe.</summary>
public sealed class SipMessageBuilder
{
    private byte[] _buffer;
    private int _length;
    private HeaderEntry[] _entries = new HeaderEntry[16];
    private int _count;
    private readonly StartLineInfo _start;
    private MediaType? _contentType;
    private ReadOnlyMemory<byte> _body;
    private bool _built;

    private SipMessageBuilder(int capacity, StartLineInfo start)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(capacity);
        _start = start;
    }

    /// <summary>Starts a request: Method SP Request-URI SP SIP/2.0.</summary>
    public static SipMessageBuilder Request(SipMethod method, SipUri requestUri)
    {
        if (method == SipMethod.Extension)
        {
            throw new ArgumentException("Use the overload taking the method token for extension methods", nameof(method));
        }

        return Request(method.ToToken(), requestUri);
    }

    /// <summary>Starts a request with any method token (extension methods included).</summary>
    public static SipMessageBuilder Request(string method, SipUri requestUri)
    {
        ArgumentNullException.ThrowIfNull(requestUri);
        byte[] token = Encoding.ASCII.GetBytes(method ?? throw new ArgumentNullException(nameof(method)));
        if (!SipSyntax.IsToken(token))
        {
            throw new ArgumentException("Method must be a token", nameof(method));
        }

        var start = new StartLineInfo
        {
            IsRequest = true,
            Method = SipMethods.Parse(token),
            MethodToken = new Seg(0, token.Length),
            RequestUri = new Seg(token.Length + 1, requestUri.Raw.Length),
        };
        var b = new SipMessageBuilder(1024, start);
        b.Append(token);
        b.Append(" "u8);
        b.Append(requestUri.Raw);
        b.Append(" SIP/2.0\r\n"u8);
        return b;
    }

    /// <summary>Starts a response: SIP/2.0 SP Status-Code SP Reason-Phrase (a standard phrase when null).</summary>
    public static SipMessageBuilder Response(int statusCode, string? reasonPhrase = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(statusCode, 100);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(statusCode, 699);
        byte[] reason = Encoding.UTF8.GetBytes(reasonPhrase ?? SipStatus.GetReasonPhrase(statusCode));
        if (reason.AsSpan().IndexOfAny((byte)'\r', (byte)'\n') >= 0)
        {
            throw new ArgumentException("Reason phrase must not contain CR or LF", nameof(reasonPhrase));
        }

        var start = new StartLineInfo { IsRequest = false, StatusCode = statusCode, Reason = new Seg(12, reason.Length) };
        var b = new SipMessageBuilder(512, start);
        b.Append("SIP/2.0 "u8);
        Span<byte> code = stackalloc byte[3];
        statusCode.TryFormat(code, out _, default, CultureInfo.InvariantCulture);
        b.Append(code);
        b.Append(" "u8);
        b.Append(reason);
        b.Append("\r\n"u8);
        return b;
    }

    /// <summary>Starts a response to <paramref name="request"/> per RFC 3261 §8.2.6.2: Via (all, in order), From,
    /// To, Call-ID and CSeq copied byte-exact; a To tag added when the request's To has none and the status is not
    /// 100; Record-Route copied for dialog-creating requests (§12.1.1). Works on a request that failed a header
    /// check too (so a 400 can be sent), as long as those lines exist.</summary>
    public static SipMessageBuilder ResponseTo(SipRequest request, int statusCode, string? reasonPhrase = null, string? toTag = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        SipMessageBuilder b = Response(statusCode, reasonPhrase);
        b.CopyAll(request, SipHeaderId.Via);
        b.CopyAll(request, SipHeaderId.From);
        foreach (SipHeader to in request.Headers.GetAll(SipHeaderId.To))
        {
            bool hasTag = request.Headers.To?.Tag is not null;
            if (toTag is not null && !hasTag && statusCode != 100)
            {
                b.AddBytes(SipHeaderId.To, SipHeaderNames.GetNameBytes(SipHeaderId.To), to.ValueBytes, Encoding.UTF8.GetBytes(";tag=" + toTag));
            }
            else
            {
                b.AddRaw(to);
            }

            break;
        }

        b.CopyAll(request, SipHeaderId.CallId);
        b.CopyAll(request, SipHeaderId.CSeq);
        if (statusCode is > 100 and < 300 && request.Method is SipMethod.Invite or SipMethod.Subscribe or SipMethod.Refer)
        {
            b.CopyAll(request, SipHeaderId.RecordRoute);
        }

        return b;
    }

    /// <summary>Adds a header by id with its canonical name.</summary>
    public SipMessageBuilder Add(SipHeaderId id, string value)
    {
        if (id == SipHeaderId.Unknown)
        {
            throw new ArgumentException("Use Add(name, value) for extension headers", nameof(id));
        }

        if (id == SipHeaderId.ContentLength)
        {
            throw new ArgumentException("Content-Length is written by Build", nameof(id));
        }

        return AddBytes(id, SipHeaderNames.GetNameBytes(id), Encoding.UTF8.GetBytes(value ?? throw new ArgumentNullException(nameof(value))), default);
    }

    /// <summary>Adds a header by name; a known name (long or compact form) gets its id.</summary>
    public SipMessageBuilder Add(string name, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        byte[] nameBytes = Encoding.ASCII.GetBytes(name);
        if (!SipSyntax.IsToken(nameBytes))
        {
            throw new ArgumentException("Header name must be a token", nameof(name));
        }

        SipHeaderId id = SipHeaderNames.Lookup(nameBytes);
        if (id == SipHeaderId.ContentLength)
        {
            throw new ArgumentException("Content-Length is written by Build", nameof(name));
        }

        return AddBytes(id, nameBytes, Encoding.UTF8.GetBytes(value ?? throw new ArgumentNullException(nameof(value))), default);
    }

    /// <summary>Copies a received header's lines exactly (name spelling, folding, unknown syntax included).</summary>
    public SipMessageBuilder AddRaw(SipHeader header)
    {
        ThrowIfBuilt();
        if (header.Id == SipHeaderId.ContentLength)
        {
            return this;
        }

        ReadOnlySpan<byte> line = header.RawLine;
        int start = _length;
        Append(line);
        int nameLength = header.NameBytes.Length;
        int valueOffset = header.ValueOffsetInLine;
        AddEntry(new HeaderEntry(header.Id, start, nameLength, start + valueOffset, start + valueOffset + header.ValueBytes.Length));
        return this;
    }

    /// <summary>Copies every header of <paramref name="message"/> with this id, byte-exact, in order.</summary>
    public SipMessageBuilder CopyAll(SipMessage message, SipHeaderId id)
    {
        ArgumentNullException.ThrowIfNull(message);
        foreach (SipHeader h in message.Headers.GetAll(id))
        {
            AddRaw(h);
        }

        return this;
    }

    public SipMessageBuilder Via(ViaValue via) => Add(SipHeaderId.Via, Checked(via).ToString());

    public SipMessageBuilder From(NameAddress from) => Add(SipHeaderId.From, Checked(from).ToString());

    public SipMessageBuilder To(NameAddress to) => Add(SipHeaderId.To, Checked(to).ToString());

    public SipMessageBuilder CallId(string callId) => Add(SipHeaderId.CallId, callId);

    public SipMessageBuilder CSeq(uint number, SipMethod method) => Add(SipHeaderId.CSeq, new CSeqValue(number, method).ToString());

    public SipMessageBuilder MaxForwards(int hops = 70)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(hops);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(hops, 255);
        return Add(SipHeaderId.MaxForwards, hops.ToString(CultureInfo.InvariantCulture));
    }

    public SipMessageBuilder Contact(ContactValue contact) => Add(SipHeaderId.Contact, Checked(contact).ToString());

    public SipMessageBuilder Route(NameAddress route) => Add(SipHeaderId.Route, Checked(route).ToString());

    public SipMessageBuilder AcceptContact(CallerPreferenceValue value) => Add(SipHeaderId.AcceptContact, Checked(value).ToString());

    /// <summary>Adds credentials or a challenge (Authorization, Proxy-Authorization, WWW-Authenticate, Proxy-Authenticate).</summary>
    public SipMessageBuilder Authentication(SipHeaderId id, AuthenticationValue value)
    {
        if (id is not (SipHeaderId.Authorization or SipHeaderId.ProxyAuthorization or SipHeaderId.WwwAuthenticate or SipHeaderId.ProxyAuthenticate))
        {
            throw new ArgumentOutOfRangeException(nameof(id));
        }

        return Add(id, Checked(value).ToWireString());
    }

    /// <summary>Sets the body; Content-Type is written from <paramref name="contentType"/> and Content-Length by
    /// <see cref="Build"/>.</summary>
    public SipMessageBuilder Body(MediaType contentType, ReadOnlyMemory<byte> body)
    {
        ThrowIfBuilt();
        _contentType = Checked(contentType);
        _body = body;
        return this;
    }

    /// <summary>Sets the body without writing a Content-Type: for a message rebuilt from another one whose
    /// Content-Type line was copied with <see cref="AddRaw"/>. Content-Length is still written by <see cref="Build"/>.</summary>
    public SipMessageBuilder RawBody(ReadOnlyMemory<byte> body)
    {
        ThrowIfBuilt();
        _contentType = null;
        _body = body;
        return this;
    }

    /// <summary>Serialized length so far without Content-Length and body (for the RFC 3428 §7 1300-byte decision,
    /// add the body length and ~20).</summary>
    public int HeaderBytes => _length;

    /// <summary>Finishes the message. The builder cannot be used afterwards.</summary>
    public SipMessage Build()
    {
        ThrowIfBuilt();
        if (_contentType is not null)
        {
            AddBytes(SipHeaderId.ContentType, SipHeaderNames.GetNameBytes(SipHeaderId.ContentType), Encoding.UTF8.GetBytes(_contentType.ToString()), default);
        }

        Span<byte> digits = stackalloc byte[10];
        _body.Length.TryFormat(digits, out int n, default, CultureInfo.InvariantCulture);
        AddBytes(SipHeaderId.ContentLength, SipHeaderNames.GetNameBytes(SipHeaderId.ContentLength), digits[..n], default);
        int headersEnd = _length;
        Append("\r\n"u8);
        int bodyStart = _length;
        Append(_body.Span);

        int total = _length;
        int entriesOffset = (total + 3) & ~3;
        byte[] buffer = GC.AllocateUninitializedArray<byte>(entriesOffset + (_count * HeaderEntry.Size));
        _buffer.AsSpan(0, total).CopyTo(buffer);
        MemoryMarshal.AsBytes(_entries.AsSpan(0, _count)).CopyTo(buffer.AsSpan(entriesOffset));
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        _built = true;
        return SipMessage.Create(buffer, total, entriesOffset, _count, headersEnd, bodyStart, _start);
    }

    public SipRequest BuildRequest() => Build() as SipRequest ?? throw new InvalidOperationException("The builder holds a response");

    public SipResponse BuildResponse() => Build() as SipResponse ?? throw new InvalidOperationException("The builder holds a request");

    private SipMessageBuilder AddBytes(SipHeaderId id, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, ReadOnlySpan<byte> suffix)
    {
        ThrowIfBuilt();
        if (value.IndexOfAny((byte)'\r', (byte)'\n') >= 0 || suffix.IndexOfAny((byte)'\r', (byte)'\n') >= 0)
        {
            throw new ArgumentException("Header values must not contain CR or LF");
        }

        int start = _length;
        Append(name);
        Append(": "u8);
        int valueStart = _length;
        Append(value);
        Append(suffix);
        int valueEnd = _length;
        Append("\r\n"u8);
        AddEntry(new HeaderEntry(id, start, name.Length, valueStart, valueEnd));
        return this;
    }

    private void AddEntry(HeaderEntry entry)
    {
        if (_count == _entries.Length)
        {
            Array.Resize(ref _entries, _count * 2);
        }

        _entries[_count++] = entry;
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        if (_length + bytes.Length > _buffer.Length)
        {
            byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + bytes.Length));
            _buffer.AsSpan(0, _length).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }

        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    private void ThrowIfBuilt() => ObjectDisposedException.ThrowIf(_built, this);

    private static T Checked<T>(T value)
        where T : class => value ?? throw new ArgumentNullException(nameof(value));
}

/// <summary>Standard reason phrases (RFC 3261 §21 and extensions).</summary>
public static class SipStatus
{
    public static string GetReasonPhrase(int statusCode) => statusCode switch
    {
        100 => "Trying",
        180 => "Ringing",
        181 => "Call Is Being Forwarded",
        182 => "Queued",
        183 => "Session Progress",
        200 => "OK",
        202 => "Accepted",
        204 => "No Notification",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Moved Temporarily",
        305 => "Use Proxy",
        380 => "Alternative Service",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        410 => "Gone",
        412 => "Conditional Request Failed",
        413 => "Request Entity Too Large",
        414 => "Request-URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Unsupported URI Scheme",
        420 => "Bad Extension",
        421 => "Extension Required",
        422 => "Session Interval Too Small",
        423 => "Interval Too Brief",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        482 => "Loop Detected",
        483 => "Too Many Hops",
        484 => "Address Incomplete",
        485 => "Ambiguous",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        489 => "Bad Event",
        491 => "Request Pending",
        493 => "Undecipherable",
        494 => "Security Agreement Required",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Server Time-out",
        505 => "Version Not Supported",
        513 => "Message Too Large",
        580 => "Precondition Failure",
        600 => "Busy Everywhere",
        603 => "Decline",
        604 => "Does Not Exist Anywhere",
        606 => "Not Acceptable",
        _ => statusCode switch
        {
            < 200 => "Provisional",
            < 300 => "Success",
            < 400 => "Redirection",
            < 500 => "Client Error",
            < 600 => "Server Error",
            _ => "Global Failure",
        },
    };
}
