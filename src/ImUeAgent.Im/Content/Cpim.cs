// SPDX-License-Identifier: MIT
using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Im.Content;

/// <summary>An address in a CPIM From/To/cc header (RFC 3862 §4.1): optional Formal-name and a URI in angle
/// brackets.</summary>
public sealed record CpimAddress
{
    public CpimAddress(string uri, string? formalName = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(uri);
        if (uri.AsSpan().IndexOfAny("<>\r\n ") >= 0)
        {
            throw new ArgumentException("URI must not contain '<', '>', spaces or line breaks", nameof(uri));
        }

        if (formalName is not null && formalName.AsSpan().IndexOfAny('\r', '\n') >= 0)
        {
            throw new ArgumentException("Formal name must not contain line breaks", nameof(formalName));
        }

        Uri = uri;
        FormalName = string.IsNullOrEmpty(formalName) ? null : formalName;
    }

    public string Uri { get; }

    public string? FormalName { get; }

    /// <summary>RFC 3862 §4.1: Formal-name = 1*(Token SP) / String; written as tokens when it only holds token
    /// characters and spaces, else as a quoted string.</summary>
    public override string ToString()
    {
        if (FormalName is null)
        {
            return "<" + Uri + ">";
        }

        bool plain = true;
        foreach (string word in FormalName.Split(' '))
        {
            plain &= ContentText.IsMimeToken(word);
        }

        string name = plain ? FormalName : "\"" + FormalName.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
        return name + " <" + Uri + ">";
    }

    internal static bool TryParse(string value, [NotNullWhen(true)] out CpimAddress? address)
    {
        address = null;
        string v = value.Trim();
        int lt = v.LastIndexOf('<');
        if (lt < 0 || !v.EndsWith('>') || lt == v.Length - 2)
        {
            return false;
        }

        string uri = v[(lt + 1)..^1].Trim();
        if (uri.Length == 0 || uri.AsSpan().IndexOfAny("<> ") >= 0 || uri.IndexOf(':', StringComparison.Ordinal) <= 0)
        {
            return false;
        }

        string name = v[..lt].Trim();
        if (name.Length >= 2 && name[0] == '"' && name[^1] == '"')
        {
            var sb = new StringBuilder();
            for (int i = 1; i < name.Length - 1; i++)
            {
                if (name[i] == '\\' && i + 1 < name.Length - 1)
                {
                    i++;
                }

                sb.Append(name[i]);
            }

            name = sb.ToString();
        }

        address = new CpimAddress(uri, name.Length == 0 ? null : name);
        return true;
    }
}

/// <summary>One CPIM message header (RFC 3862 §3.3): [prefix "."] name, parameters (";lang=fr") and value.</summary>
public sealed class CpimHeader
{
    public CpimHeader(string? prefix, string name, string value, string parameters = "")
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(parameters);
        if (!Cpim.IsName(name) || (prefix is not null && !Cpim.IsName(prefix)))
        {
            throw new ArgumentException("CPIM header names and prefixes are 1*NAMECHAR (RFC 3862 §3.3)", nameof(name));
        }

        if (value.AsSpan().IndexOfAny('\r', '\n') >= 0 || parameters.AsSpan().IndexOfAny('\r', '\n') >= 0)
        {
            throw new ArgumentException("Header values must not contain CR or LF", nameof(value));
        }

        Prefix = prefix;
        Name = name;
        Value = value;
        Parameters = parameters;
    }

    /// <summary>The namespace prefix (e.g. "imdn"), or null for the base CPIM namespace.</summary>
    public string? Prefix { get; }

    public string Name { get; }

    /// <summary>Parameters as written between ':' and the value, each with its leading ';' (e.g. ";lang=fr").</summary>
    public string Parameters { get; }

    public string Value { get; }

    public string FullName => Prefix is null ? Name : Prefix + "." + Name;

    /// <summary>The lang parameter (RFC 3862 §4.4 Subject).</summary>
    public string? Language
    {
        get
        {
            foreach (string p in Parameters.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (p.StartsWith("lang=", StringComparison.OrdinalIgnoreCase))
                {
                    return p[5..];
                }
            }

            return null;
        }
    }

    public override string ToString() => FullName + ":" + Parameters + " " + Value;
}

/// <summary>A parsed message/cpim body (RFC 3862 §3): message headers, then the encapsulated MIME object's headers
/// and content.</summary>
public sealed class CpimMessage
{
    private readonly Dictionary<string, string> _namespaces;

    internal CpimMessage(IReadOnlyList<CpimHeader> headers, Dictionary<string, string> namespaces, MimeHeaderList contentHeaders, ReadOnlyMemory<byte> body)
    {
        Headers = headers;
        _namespaces = namespaces;
        ContentHeaders = contentHeaders;
        Body = body;
    }

    /// <summary>Message headers in received order.</summary>
    public IReadOnlyList<CpimHeader> Headers { get; }

    /// <summary>The encapsulated MIME object's headers (Content-Type, Content-ID, Content-Disposition…).</summary>
    public MimeHeaderList ContentHeaders { get; }

    /// <summary>The encapsulated content, binary-safe.</summary>
    public ReadOnlyMemory<byte> Body { get; }

    public MediaType? ContentType => ContentHeaders.ContentType;

    /// <summary>Declared namespaces: prefix → URI (RFC 3862 §4.6 NS).</summary>
    public IReadOnlyDictionary<string, string> Namespaces => _namespaces;

    public CpimAddress? From => Address(Find(null, "From"));

    public IReadOnlyList<CpimAddress> To => Addresses("To");

    public IReadOnlyList<CpimAddress> Cc => Addresses("cc");

    public DateTimeOffset? DateTime => Find(null, "DateTime") is { } h && Rfc3339.TryParse(h.Value, out DateTimeOffset d) ? d : null;

    /// <summary>The first Subject (any language).</summary>
    public string? Subject => Find(null, "Subject")?.Value;

    /// <summary>Header names listed in Require (RFC 3862 §4.7).</summary>
    public IReadOnlyList<string> Require
    {
        get
        {
            var list = new List<string>();
            foreach (CpimHeader h in Headers)
            {
                if (h.Prefix is null && string.Equals(h.Name, "Require", StringComparison.OrdinalIgnoreCase))
                {
                    list.AddRange(h.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
                }
            }

            return list;
        }
    }

    /// <summary>imdn.Message-ID (RFC 5438 §6.3), whatever prefix the sender bound to urn:ietf:params:imdn.</summary>
    public string? ImdnMessageId => GetHeader(Imdn.CpimNamespace, Imdn.MessageIdHeader)?.Value;

    /// <summary>imdn.Disposition-Notification (RFC 5438 §6.2); None when absent.</summary>
    public DispositionNotification DispositionNotification =>
        GetHeader(Imdn.CpimNamespace, Imdn.DispositionNotificationHeader) is { } h && Imdn.TryParseDisposition(h.Value, out DispositionNotification d) ? d : DispositionNotification.None;

    /// <summary>The first header named <paramref name="name"/> in the namespace <paramref name="namespaceUri"/>
    /// (null for the base namespace). A namespace declared under any prefix is found; when the message uses the
    /// RFC's customary "imdn" prefix without declaring it (seen in the field), that is accepted too.</summary>
    public CpimHeader? GetHeader(string? namespaceUri, string name)
    {
        if (namespaceUri is null)
        {
            return Find(null, name);
        }

        foreach (KeyValuePair<string, string> ns in _namespaces)
        {
            if (string.Equals(ns.Value, namespaceUri, StringComparison.Ordinal) && Find(ns.Key, name) is { } h)
            {
                return h;
            }
        }

        return string.Equals(namespaceUri, Imdn.CpimNamespace, StringComparison.Ordinal) && !_namespaces.ContainsKey(Imdn.DefaultPrefix)
            ? Find(Imdn.DefaultPrefix, name)
            : null;
    }

    private CpimHeader? Find(string? prefix, string name)
    {
        foreach (CpimHeader h in Headers)
        {
            // RFC 3862 §3.3 makes names case-sensitive; reading ignores case (robustness), writing keeps the RFC's.
            if (string.Equals(h.Prefix, prefix, StringComparison.OrdinalIgnoreCase) && string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return h;
            }
        }

        return null;
    }

    private List<CpimAddress> Addresses(string name)
    {
        var list = new List<CpimAddress>();
        foreach (CpimHeader h in Headers)
        {
            if (h.Prefix is null && string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase) && CpimAddress.TryParse(h.Value, out CpimAddress? a))
            {
                list.Add(a);
            }
        }

        return list;
    }

    private static CpimAddress? Address(CpimHeader? h) => h is not null && CpimAddress.TryParse(h.Value, out CpimAddress? a) ? a : null;
}

/// <summary>Caps and tolerance for <see cref="Cpim.Parse"/>.</summary>
public sealed record CpimParseOptions
{
    public static CpimParseOptions Default { get; } = new();

    /// <summary>Accepts bare LF line ends, a missing SP after ':', a prefix used without NS and a missing From.</summary>
    public static CpimParseOptions Lenient { get; } = new() { IsLenient = true };

    public bool IsLenient { get; init; }

    public int MaxSize { get; init; } = 1024 * 1024;

    public int MaxHeaders { get; init; } = 64;
}

/// <summary>message/cpim (RFC 3862) parse and write.</summary>
public static class Cpim
{
    public const string MediaTypeName = "message/cpim";

    public static MediaType MediaType => new("message", "cpim");

    /// <summary>RFC 3862 §3.3 NAMECHAR: %x21 / %x23-27 / %x2a-2b / %x2d / %x5e-60 / %x7c / %x7e / ALPHA / DIGIT.</summary>
    private static readonly SearchValues<char> NameChars = SearchValues.Create(
        "!#$%&'*+-^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    public static bool IsName(ReadOnlySpan<char> s) => !s.IsEmpty && !s.ContainsAnyExcept(NameChars);

    /// <summary>Parses a message/cpim body. Strict by default: CRLF line ends, "Name:" SP value, NS declared before
    /// its prefix is used, exactly one From, at most one DateTime (valid RFC 3339).</summary>
    public static ContentResult<CpimMessage> Parse(ReadOnlyMemory<byte> body, CpimParseOptions? options = null)
    {
        options ??= CpimParseOptions.Default;
        ReadOnlySpan<byte> span = body.Span;
        if (span.IsEmpty)
        {
            return ContentResult<CpimMessage>.Fail(ContentError.Empty, 0);
        }

        if (span.Length > options.MaxSize)
        {
            return ContentResult<CpimMessage>.Fail(ContentError.TooLarge, options.MaxSize);
        }

        var headers = new List<CpimHeader>();
        var namespaces = new Dictionary<string, string>(StringComparer.Ordinal);
        int pos = 0;
        int fromCount = 0;
        int dateTimeCount = 0;
        while (true)
        {
            int lf = span[pos..].IndexOf((byte)'\n');
            if (lf < 0)
            {
                return ContentResult<CpimMessage>.Fail(ContentError.HeadersNotTerminated, span.Length);
            }

            bool crlf = lf > 0 && span[pos + lf - 1] == '\r';
            if (!crlf && !options.IsLenient)
            {
                return ContentResult<CpimMessage>.Fail(ContentError.InvalidHeaderLine, pos + lf);
            }

            ReadOnlySpan<byte> line = span.Slice(pos, crlf ? lf - 1 : lf);
            int lineStart = pos;
            pos += lf + 1;
            if (line.IsEmpty)
            {
                break;
            }

            if (headers.Count >= options.MaxHeaders)
            {
                return ContentResult<CpimMessage>.Fail(ContentError.TooManyHeaders, lineStart);
            }

            ContentError e = ParseHeaderLine(line, options.IsLenient, out CpimHeader? header);
            if (e != ContentError.None)
            {
                return ContentResult<CpimMessage>.Fail(e, lineStart);
            }

            if (header!.Prefix is null && string.Equals(header.Name, "NS", StringComparison.OrdinalIgnoreCase))
            {
                if (!TryParseNamespace(header.Value, out string? prefix, out string? uri))
                {
                    return ContentResult<CpimMessage>.Fail(ContentError.InvalidNamespace, lineStart);
                }

                // RFC 3862 §4.6: an NS without prefix declares the default namespace of unprefixed names; the base
                // headers stay in the CPIM namespace either way, so only prefixed declarations matter here.
                if (prefix is not null)
                {
                    namespaces[prefix] = uri;
                }
            }
            else if (header.Prefix is not null && !namespaces.ContainsKey(header.Prefix) && !options.IsLenient)
            {
                return ContentResult<CpimMessage>.Fail(ContentError.UndeclaredPrefix, lineStart);
            }
            else if (header.Prefix is null && string.Equals(header.Name, "From", StringComparison.OrdinalIgnoreCase))
            {
                fromCount++;
                if (!CpimAddress.TryParse(header.Value, out _))
                {
                    return ContentResult<CpimMessage>.Fail(ContentError.InvalidAddress, lineStart);
                }

                if (fromCount > 1)
                {
                    return ContentResult<CpimMessage>.Fail(ContentError.DuplicateHeader, lineStart);
                }
            }
            else if (header.Prefix is null && (string.Equals(header.Name, "To", StringComparison.OrdinalIgnoreCase) || string.Equals(header.Name, "cc", StringComparison.OrdinalIgnoreCase)))
            {
                if (!CpimAddress.TryParse(header.Value, out _))
                {
                    return ContentResult<CpimMessage>.Fail(ContentError.InvalidAddress, lineStart);
                }
            }
            else if (header.Prefix is null && string.Equals(header.Name, "DateTime", StringComparison.OrdinalIgnoreCase))
            {
                if (++dateTimeCount > 1)
                {
                    return ContentResult<CpimMessage>.Fail(ContentError.DuplicateHeader, lineStart);
                }

                if (!Rfc3339.TryParse(header.Value, out _))
                {
                    return ContentResult<CpimMessage>.Fail(ContentError.InvalidDateTime, lineStart);
                }
            }

            headers.Add(header);
        }

        if (fromCount == 0 && !options.IsLenient)
        {
            return ContentResult<CpimMessage>.Fail(ContentError.MissingHeader, pos);
        }

        // The encapsulated MIME object (RFC 3862 §3.1): its headers, an empty line, its content.
        var contentHeaders = new List<MimeHeader>();
        HeaderBlockOptions hb = HeaderBlockOptions.Strict with { AllowBareLf = options.IsLenient, MaxHeaders = options.MaxHeaders };
        int bodyStart = pos;
        if (pos < span.Length)
        {
            ContentError ce = HeaderBlockReader.Read(span[pos..], hb, contentHeaders, out int consumed, out int errorOffset);
            if (ce != ContentError.None)
            {
                return ContentResult<CpimMessage>.Fail(ce, pos + errorOffset);
            }

            bodyStart = pos + consumed;
        }

        var list = new MimeHeaderList(contentHeaders);
        if (list.GetValue("Content-Type") is { } ct && !MimeMediaType.TryParse(ct, out _))
        {
            return ContentResult<CpimMessage>.Fail(ContentError.InvalidContentType, pos);
        }

        return ContentResult<CpimMessage>.Ok(new CpimMessage(headers, namespaces, list, body[bodyStart..]));
    }

    private static ContentError ParseHeaderLine(ReadOnlySpan<byte> line, bool lenient, out CpimHeader? header)
    {
        header = null;
        int colon = line.IndexOf((byte)':');
        if (colon <= 0)
        {
            return ContentError.InvalidHeaderLine;
        }

        string fullName = Encoding.ASCII.GetString(lenient ? ContentText.TrimEnd(line[..colon]) : line[..colon]);
        string? prefix = null;
        string name = fullName;
        int dot = fullName.IndexOf('.', StringComparison.Ordinal);
        if (dot >= 0)
        {
            prefix = fullName[..dot];
            name = fullName[(dot + 1)..];
        }

        if (!IsName(name) || (prefix is not null && !IsName(prefix)))
        {
            return ContentError.InvalidHeaderLine;
        }

        string rest;
        try
        {
            rest = new UTF8Encoding(false, true).GetString(line[(colon + 1)..]);
        }
        catch (DecoderFallbackException)
        {
            return ContentError.InvalidHeaderValue;
        }

        // Header = Header-name ":" *( ";" Parameter ) SP Header-value (RFC 3862 §3.3).
        int p = 0;
        while (p < rest.Length && rest[p] == ';')
        {
            int sp = rest.IndexOf(' ', p);
            int nextSemi = rest.IndexOf(';', p + 1);
            p = nextSemi >= 0 && (sp < 0 || nextSemi < sp) ? nextSemi : sp < 0 ? rest.Length : sp;
        }

        string parameters = rest[..p];
        if (p < rest.Length && rest[p] == ' ')
        {
            p++;
        }
        else if (!lenient && p < rest.Length)
        {
            return ContentError.InvalidHeaderLine;
        }
        else if (!lenient && p == rest.Length && parameters.Length == rest.Length)
        {
            // "Name:" with nothing after it: SP is mandatory even before an empty value.
            return ContentError.InvalidHeaderLine;
        }

        string value = lenient ? rest[p..].Trim() : rest[p..].TrimEnd();
        header = new CpimHeader(prefix, name, value, parameters);
        return ContentError.None;
    }

    private static bool TryParseNamespace(string value, out string? prefix, [NotNullWhen(true)] out string? uri)
    {
        prefix = null;
        uri = null;
        string v = value.Trim();
        int lt = v.IndexOf('<', StringComparison.Ordinal);
        if (lt < 0 || !v.EndsWith('>'))
        {
            return false;
        }

        uri = v[(lt + 1)..^1].Trim();
        string p = v[..lt].Trim();
        if (uri.Length == 0 || (p.Length > 0 && !IsName(p)))
        {
            uri = null;
            return false;
        }

        prefix = p.Length == 0 ? null : p;
        return true;
    }
}

/// <summary>Builds a message/cpim body. Headers are written in the order they are added (RFC 3862 §3.2: an NS must
/// come before the headers that use its prefix; <see cref="RequestImdn"/> adds the imdn NS itself when needed).</summary>
public sealed class CpimMessageBuilder
{
    private readonly List<CpimHeader> _headers = [];
    private readonly Dictionary<string, string> _namespaces = new(StringComparer.Ordinal);
    private readonly List<MimeHeader> _contentHeaders = [];
    private ReadOnlyMemory<byte> _body;
    private bool _hasFrom;

    public CpimMessageBuilder From(CpimAddress from)
    {
        ArgumentNullException.ThrowIfNull(from);
        if (_hasFrom)
        {
            throw new InvalidOperationException("A CPIM message has one From");
        }

        _hasFrom = true;
        return Header(null, "From", from.ToString());
    }

    public CpimMessageBuilder To(CpimAddress to) => Header(null, "To", (to ?? throw new ArgumentNullException(nameof(to))).ToString());

    public CpimMessageBuilder Cc(CpimAddress cc) => Header(null, "cc", (cc ?? throw new ArgumentNullException(nameof(cc))).ToString());

    public CpimMessageBuilder DateTime(DateTimeOffset value) => Header(null, "DateTime", Rfc3339.Format(value));

    public CpimMessageBuilder Subject(string subject, string? language = null) =>
        Add(new CpimHeader(null, "Subject", subject, language is null ? string.Empty : ";lang=" + language));

    /// <summary>NS: prefix &lt;uri&gt; (RFC 3862 §4.6).</summary>
    public CpimMessageBuilder Namespace(string prefix, string uri)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        ArgumentException.ThrowIfNullOrEmpty(uri);
        if (_namespaces.TryGetValue(prefix, out string? existing))
        {
            return string.Equals(existing, uri, StringComparison.Ordinal) ? this : throw new InvalidOperationException("Prefix already bound to another namespace");
        }

        _namespaces[prefix] = uri;
        return Header(null, "NS", prefix + " <" + uri + ">");
    }

    public CpimMessageBuilder Require(string headerName) => Header(null, "Require", headerName);

    /// <summary>A header in a declared namespace (<paramref name="prefix"/> non-null) or the base one.</summary>
    public CpimMessageBuilder Header(string? prefix, string name, string value)
    {
        if (prefix is not null && !_namespaces.ContainsKey(prefix))
        {
            throw new InvalidOperationException("Declare the namespace (NS) before using its prefix");
        }

        return Add(new CpimHeader(prefix, name, value));
    }

    /// <summary>RFC 5438 §6: NS: imdn &lt;urn:ietf:params:imdn&gt;, imdn.Message-ID and
    /// imdn.Disposition-Notification (omitted when <paramref name="notifications"/> is None).</summary>
    public CpimMessageBuilder RequestImdn(string messageId, DispositionNotification notifications)
    {
        if (!Imdn.IsValidMessageId(messageId))
        {
            throw new ArgumentException("Not an RFC 5438 Message-ID", nameof(messageId));
        }

        string prefix = Imdn.DefaultPrefix;
        foreach (KeyValuePair<string, string> ns in _namespaces)
        {
            if (string.Equals(ns.Value, Imdn.CpimNamespace, StringComparison.Ordinal))
            {
                prefix = ns.Key;
            }
        }

        Namespace(prefix, Imdn.CpimNamespace);
        Header(prefix, Imdn.MessageIdHeader, messageId);
        return notifications == DispositionNotification.None ? this : Header(prefix, Imdn.DispositionNotificationHeader, Imdn.FormatDisposition(notifications));
    }

    public CpimMessageBuilder ContentType(MediaType contentType) => ContentHeader("Content-Type", (contentType ?? throw new ArgumentNullException(nameof(contentType))).ToString());

    public CpimMessageBuilder ContentHeader(string name, string value)
    {
        _contentHeaders.Add(new MimeHeader(name, value));
        return this;
    }

    public CpimMessageBuilder Body(ReadOnlyMemory<byte> body)
    {
        _body = body;
        return this;
    }

    public byte[] Build()
    {
        var writer = new ArrayBufferWriter<byte>(256 + _body.Length);
        WriteTo(writer);
        return writer.WrittenSpan.ToArray();
    }

    public void WriteTo(IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (!_hasFrom)
        {
            throw new InvalidOperationException("A CPIM message needs a From header (RFC 3862 §4.1)");
        }

        foreach (CpimHeader h in _headers)
        {
            ContentText.WriteUtf8(writer, h.FullName);
            writer.Write(":"u8);
            ContentText.WriteUtf8(writer, h.Parameters);
            writer.Write(" "u8);
            ContentText.WriteUtf8(writer, h.Value);
            writer.Write("\r\n"u8);
        }

        writer.Write("\r\n"u8);
        foreach (MimeHeader h in _contentHeaders)
        {
            ContentText.WriteHeader(writer, h.Name, h.Value);
        }

        writer.Write("\r\n"u8);
        writer.Write(_body.Span);
    }

    private CpimMessageBuilder Add(CpimHeader header)
    {
        _headers.Add(header);
        return this;
    }
}
