// SPDX-License-Identifier: MIT
namespace ImUeAgent.Im.Content;

/// <summary>Why a message body was rejected (STYLE.md §4: a closed set, never string matching). Each codec reports
/// one of these with the byte offset (or XML line/column) where it found the problem.</summary>
public enum ContentError : byte
{
    None = 0,

    // Size and shape.
    /// <summary>The body exceeds the codec's cap (every input is capped before parsing).</summary>
    TooLarge,
    /// <summary>The body is empty where content is required.</summary>
    Empty,

    // Header blocks (CPIM, MIME part headers, MSRP and sipfrag text).
    /// <summary>A header section does not end with an empty line.</summary>
    HeadersNotTerminated,
    /// <summary>A header line without a colon, with a name that is not a token, or with a bare CR.</summary>
    InvalidHeaderLine,
    /// <summary>A line is longer than the codec's line cap.</summary>
    LineTooLong,
    /// <summary>More header fields than the codec's cap.</summary>
    TooManyHeaders,
    /// <summary>A continuation line (leading whitespace) before any header.</summary>
    UnexpectedContinuation,
    /// <summary>A header the format requires is absent.</summary>
    MissingHeader,
    /// <summary>A header allowed once appears several times.</summary>
    DuplicateHeader,
    /// <summary>A header value does not follow its grammar.</summary>
    InvalidHeaderValue,

    // CPIM (RFC 3862).
    /// <summary>From/To/cc value not "[Formal-name] &lt;URI&gt;" (RFC 3862 §4.1).</summary>
    InvalidAddress,
    /// <summary>DateTime not an RFC 3339 date-time (RFC 3862 §4.5).</summary>
    InvalidDateTime,
    /// <summary>NS value not "[prefix] &lt;URI&gt;" (RFC 3862 §4.6).</summary>
    InvalidNamespace,
    /// <summary>A header name prefix with no NS declaration before it (RFC 3862 §3.2).</summary>
    UndeclaredPrefix,

    // MIME.
    /// <summary>Content-Type not type/subtype with parameters (RFC 2045 §5.1).</summary>
    InvalidContentType,
    /// <summary>A multipart Content-Type without a usable boundary parameter (RFC 2046 §5.1.1: 1 to 70 bchars).</summary>
    InvalidBoundary,
    /// <summary>No delimiter line for the boundary in the body.</summary>
    BoundaryNotFound,
    /// <summary>The body ends before the close delimiter "--boundary--".</summary>
    MissingCloseDelimiter,
    /// <summary>More body parts than the cap.</summary>
    TooManyParts,
    /// <summary>Multiparts nested deeper than the cap.</summary>
    NestingTooDeep,
    /// <summary>A media type the codec does not handle here.</summary>
    UnsupportedContentType,
    /// <summary>A parameter the media type requires is missing or invalid (e.g. access-type, URL).</summary>
    InvalidParameter,

    // XML documents.
    /// <summary>Not well-formed XML, or a DTD (refused: no entity expansion).</summary>
    MalformedXml,
    /// <summary>The root element's name or namespace is not the document type's.</summary>
    UnexpectedRootElement,
    /// <summary>An element or attribute the schema requires is absent.</summary>
    MissingElement,
    /// <summary>An element or attribute value outside its schema type (date, enum, boolean, number).</summary>
    InvalidElementValue,

    // Encapsulated SIP and MSRP (deferred message push, OMA SIMPLE IM Appendix D.2).
    /// <summary>The embedded SIP message or fragment failed the SIP parser.</summary>
    InvalidSipMessage,
    /// <summary>The MSRP start line is not "MSRP transact-id method" (RFC 4975 §9).</summary>
    InvalidMsrpStartLine,
    /// <summary>The MSRP request is not a SEND.</summary>
    UnsupportedMsrpMethod,
    /// <summary>The MSRP body does not end with "-------transact-id" and a flag (RFC 4975 §9).</summary>
    MissingMsrpEndLine,
}

/// <summary>Outcome of a content codec: a value, or an error with where it was found.</summary>
public readonly struct ContentResult<T>
    where T : class
{
    private ContentResult(T? value, ContentError error, long offset, int line, int column)
    {
        Value = value;
        Error = error;
        Offset = offset;
        Line = line;
        Column = column;
    }

    public T? Value { get; }

    public ContentError Error { get; }

    /// <summary>Byte offset of the problem in the input; -1 when the codec reports a line and column instead.</summary>
    public long Offset { get; }

    /// <summary>1-based line for XML errors (0 when unknown).</summary>
    public int Line { get; }

    /// <summary>1-based column for XML errors (0 when unknown).</summary>
    public int Column { get; }

    public bool IsSuccess => Error == ContentError.None && Value is not null;

    internal static ContentResult<T> Ok(T value) => new(value ?? throw new ArgumentNullException(nameof(value)), ContentError.None, 0, 0, 0);

    internal static ContentResult<T> Fail(ContentError error, long offset) => new(null, error, offset, 0, 0);

    internal static ContentResult<T> FailAt(ContentError error, int line, int column) => new(null, error, -1, line, column);

    public ContentResult<TOther> Cast<TOther>()
        where TOther : class => Line > 0 || Offset < 0 ? ContentResult<TOther>.FailAt(Error, Line, Column) : ContentResult<TOther>.Fail(Error, Offset);

    public override string ToString() => IsSuccess ? "Ok"
        : Offset >= 0 ? $"{Error} at byte {Offset}: {ContentErrors.Describe(Error)}"
        : $"{Error} at line {Line}, column {Column}: {ContentErrors.Describe(Error)}";
}

/// <summary>Short English descriptions for logs and reason phrases.</summary>
public static class ContentErrors
{
    public static string Describe(ContentError error) => error switch
    {
        ContentError.None => "no error",
        ContentError.TooLarge => "body too large",
        ContentError.Empty => "empty body",
        ContentError.HeadersNotTerminated => "header section not terminated by an empty line",
        ContentError.InvalidHeaderLine => "malformed header line",
        ContentError.LineTooLong => "line too long",
        ContentError.TooManyHeaders => "too many header fields",
        ContentError.UnexpectedContinuation => "continuation line before first header",
        ContentError.MissingHeader => "required header missing",
        ContentError.DuplicateHeader => "header repeated",
        ContentError.InvalidHeaderValue => "malformed header value",
        ContentError.InvalidAddress => "malformed CPIM address",
        ContentError.InvalidDateTime => "malformed date-time",
        ContentError.InvalidNamespace => "malformed CPIM NS header",
        ContentError.UndeclaredPrefix => "header name prefix without NS declaration",
        ContentError.InvalidContentType => "malformed Content-Type",
        ContentError.InvalidBoundary => "missing or invalid multipart boundary",
        ContentError.BoundaryNotFound => "multipart boundary not found",
        ContentError.MissingCloseDelimiter => "multipart close delimiter missing",
        ContentError.TooManyParts => "too many body parts",
        ContentError.NestingTooDeep => "multipart nested too deep",
        ContentError.UnsupportedContentType => "unsupported content type",
        ContentError.InvalidParameter => "missing or invalid media type parameter",
        ContentError.MalformedXml => "malformed XML",
        ContentError.UnexpectedRootElement => "unexpected XML root element",
        ContentError.MissingElement => "required XML element or attribute missing",
        ContentError.InvalidElementValue => "invalid XML element or attribute value",
        ContentError.InvalidSipMessage => "malformed encapsulated SIP message",
        ContentError.InvalidMsrpStartLine => "malformed MSRP start line",
        ContentError.UnsupportedMsrpMethod => "MSRP method other than SEND",
        ContentError.MissingMsrpEndLine => "MSRP end-line missing",
        _ => "malformed content",
    };
}
