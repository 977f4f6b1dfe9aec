// SPDX-License-Identifier: MIT
namespace ImUeAgent.Sip.Message;

/// <summary>Why a SIP message was rejected (STYLE.md §4: a closed set, never string matching). A malformed request is
/// answered with <see cref="SipRejection.GetResponse"/>; a malformed response is silently dropped (RFC 3261 §18.1.2).</summary>
public enum SipParseError : byte
{
    None = 0,

    // Framing: the byte stream cannot be cut into a message.
    /// <summary>The message (headers plus announced body) exceeds <see cref="SipParserOptions.MaxMessageSize"/>.</summary>
    MessageTooLarge,
    /// <summary>A line exceeds <see cref="SipParserOptions.MaxLineLength"/>.</summary>
    LineTooLong,
    /// <summary>More header fields than <see cref="SipParserOptions.MaxHeaderCount"/>.</summary>
    TooManyHeaders,
    /// <summary>A bare CR or LF inside the header section (lines end with CRLF, RFC 3261 §7).</summary>
    InvalidLineEnding,
    /// <summary>A datagram whose header section does not end with an empty line.</summary>
    HeadersNotTerminated,

    // Start line.
    /// <summary>Request-Line not Method SP Request-URI SP SIP-Version with single spaces (RFC 3261 §7.1).</summary>
    InvalidRequestLine,
    /// <summary>The Request-URI is not a valid URI (e.g. enclosed in &lt;&gt;).</summary>
    InvalidRequestUri,
    /// <summary>A SIP/SIPS Request-URI carrying escaped headers (RFC 3261 §19.1.1 table: not allowed).</summary>
    RequestUriHasHeaders,
    /// <summary>A SIP version other than 2.0; a request gets 505 (RFC 3261 §21.5.16).</summary>
    UnsupportedVersion,
    /// <summary>Status-Line not SIP-Version SP Status-Code SP Reason-Phrase.</summary>
    InvalidStatusLine,
    /// <summary>Status-Code is not three digits in 100..699.</summary>
    InvalidStatusCode,

    // Header lines.
    /// <summary>A header name that is not a token, or a line without a colon.</summary>
    InvalidHeaderLine,
    /// <summary>A continuation line (leading whitespace) before any header.</summary>
    UnexpectedContinuation,

    // Body framing.
    /// <summary>Content-Length absent on a stream transport (RFC 3261 §18.3: mandatory there).</summary>
    MissingContentLength,
    /// <summary>Content-Length not 1*DIGIT (e.g. negative).</summary>
    InvalidContentLength,
    /// <summary>Several Content-Length fields with different values: the body's extent is unknown.</summary>
    MultipleContentLength,
    /// <summary>Content-Length larger than the datagram carried (RFC 3261 §18.3: discard / 400).</summary>
    ContentLengthExceedsDatagram,

    // Values of the headers every element needs (checked while parsing).
    InvalidVia,
    InvalidFrom,
    InvalidTo,
    InvalidCallId,
    InvalidCSeq,
    /// <summary>The CSeq method differs from the Request-Line method (RFC 3261 §8.1.1.5).</summary>
    CSeqMethodMismatch,
    InvalidMaxForwards,
    InvalidContact,
    InvalidContentType,

    // Checks above the parser (SipRequest.CheckRequiredHeaders and typed header access).
    /// <summary>A header RFC 3261 §8.1.1 requires is absent (To, From, CSeq, Call-ID, Max-Forwards, Via).</summary>
    MissingRequiredHeader,
    /// <summary>A header that takes a single value appears more than once (RFC 4475 §3.3.8).</summary>
    DuplicateSingleValueHeader,
    /// <summary>Any other header whose value does not follow its grammar (read lazily, when asked).</summary>
    InvalidHeaderValue,
}

/// <summary>Maps parse errors to the response a UAS sends (STYLE.md §4: "400 with a reason phrase naming the problem").</summary>
public static class SipRejection
{
    /// <summary>The status code and reason phrase answering a request that failed with <paramref name="error"/>.
    /// <paramref name="header"/>, when known, is named in the phrase. Responses that fail are dropped instead.</summary>
    public static (int StatusCode, string ReasonPhrase) GetResponse(SipParseError error, SipHeaderId header = SipHeaderId.Unknown)
    {
        string? name = header == SipHeaderId.Unknown ? null : SipHeaderNames.GetName(header);
        return error switch
        {
            SipParseError.UnsupportedVersion => (505, "Version Not Supported"),
            SipParseError.MessageTooLarge => (513, "Message Too Large"),
            _ => (400, "Bad Request - " + Describe(error, name)),
        };
    }

    /// <summary>A short English description of the problem, for reason phrases and logs.</summary>
    public static string Describe(SipParseError error, string? headerName = null) => error switch
    {
        SipParseError.None => "no error",
        SipParseError.MessageTooLarge => "Message too large",
        SipParseError.LineTooLong => "Line too long",
        SipParseError.TooManyHeaders => "Too many header fields",
        SipParseError.InvalidLineEnding => "Bare CR or LF in header section",
        SipParseError.HeadersNotTerminated => "Header section not terminated",
        SipParseError.InvalidRequestLine => "Malformed Request-Line",
        SipParseError.InvalidRequestUri => "Malformed Request-URI",
        SipParseError.RequestUriHasHeaders => "Headers not allowed in Request-URI",
        SipParseError.UnsupportedVersion => "Unsupported SIP version",
        SipParseError.InvalidStatusLine => "Malformed Status-Line",
        SipParseError.InvalidStatusCode => "Invalid Status-Code",
        SipParseError.InvalidHeaderLine => "Malformed header line",
        SipParseError.UnexpectedContinuation => "Continuation line before first header",
        SipParseError.MissingContentLength => "Missing Content-Length",
        SipParseError.InvalidContentLength => "Invalid Content-Length",
        SipParseError.MultipleContentLength => "Conflicting Content-Length values",
        SipParseError.ContentLengthExceedsDatagram => "Content-Length larger than message",
        SipParseError.InvalidVia => "Malformed Via",
        SipParseError.InvalidFrom => "Malformed From",
        SipParseError.InvalidTo => "Malformed To",
        SipParseError.InvalidCallId => "Malformed Call-ID",
        SipParseError.InvalidCSeq => "Malformed CSeq",
        SipParseError.CSeqMethodMismatch => "CSeq method does not match Request-Line",
        SipParseError.InvalidMaxForwards => "Malformed Max-Forwards",
        SipParseError.InvalidContact => "Malformed Contact",
        SipParseError.InvalidContentType => "Malformed Content-Type",
        SipParseError.MissingRequiredHeader => headerName is null ? "Missing required header" : "Missing " + headerName,
        SipParseError.DuplicateSingleValueHeader => headerName is null ? "Repeated single-value header" : "Multiple " + headerName + " values",
        SipParseError.InvalidHeaderValue => headerName is null ? "Malformed header value" : "Malformed " + headerName,
        _ => "Malformed message",
    };
}
