// SPDX-License-Identifier: MIT
using System.Text;
using System.Xml;

namespace ImUeAgent.Testbed.Im;

/// <summary>Why a body the IM server reads was refused (STYLE.md §4: a closed set, named in the 4xx reason).</summary>
internal enum ImContentError
{
    None,
    NoBoundary,
    NoOpeningBoundary,
    NoClosingBoundary,
    TooManyParts,
    PartHeaderMalformed,
    NoRecipientList,
    NoMessagePart,
    XmlMalformed,
    XmlTooLarge,
    UnexpectedRoot,
    EntryWithoutUri,
    TooManyRecipients,
}

/// <summary>One body part of a multipart body (RFC 2046 §5.1): its header lines and its bytes.</summary>
internal sealed record MimePart(IReadOnlyList<KeyValuePair<string, string>> Headers, ReadOnlyMemory<byte> Body)
{
    public string? Header(string name) => Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    /// <summary>type/subtype of the part's Content-Type, lower-case, without parameters (RFC 2045 §5.2: text/plain
    /// when absent).</summary>
    public string MediaType => (Header("Content-Type") ?? "text/plain").Split(';')[0].Trim().ToLowerInvariant();

    public string ContentType => Header("Content-Type")?.Trim() ?? "text/plain";
}

/// <summary>multipart/mixed (RFC 2046 §5.1) as the URI-list MESSAGE (RFC 5365 §4) and the deferred push (D.2) use it:
/// pure split and build over bytes.</summary>
internal static class MimeMultipart
{
    public const int MaxParts = 64;

    public static ImContentError TryParse(ReadOnlyMemory<byte> body, string? boundary, out List<MimePart> parts)
    {
        parts = [];
        if (string.IsNullOrEmpty(boundary) || boundary.Length > 70)
        {
            return ImContentError.NoBoundary;
        }

        var delimiter = Encoding.ASCII.GetBytes("--" + boundary);
        var span = body.Span;
        // The first delimiter is at the start or after a CRLF (a preamble may precede it).
        var position = span.StartsWith(delimiter) ? 0 : IndexOfLine(span, delimiter, 0);
        if (position < 0)
        {
            return ImContentError.NoOpeningBoundary;
        }

        while (true)
        {
            var afterDelimiter = position + delimiter.Length;
            if (span[afterDelimiter..].StartsWith("--"u8))
            {
                return ImContentError.None;
            }

            var lineEnd = span[afterDelimiter..].IndexOf("\r\n"u8);
            if (lineEnd < 0)
            {
                return ImContentError.NoClosingBoundary;
            }

            var partStart = afterDelimiter + lineEnd + 2;
            var next = IndexOfLine(span, delimiter, partStart);
            if (next < 0)
            {
                return ImContentError.NoClosingBoundary;
            }

            if (parts.Count == MaxParts)
            {
                return ImContentError.TooManyParts;
            }

            // The CRLF before the next delimiter belongs to the delimiter (RFC 2046 §5.1.1).
            var error = ReadPart(body[partStart..(next - 2)], out var part);
            if (error != ImContentError.None)
            {
                return error;
            }

            parts.Add(part!);
            position = next;
        }
    }

    /// <summary>A body of <paramref name="parts"/> (headers, bytes) with a boundary that occurs in none of them.</summary>
    public static byte[] Build(IReadOnlyList<(IReadOnlyList<KeyValuePair<string, string>> Headers, ReadOnlyMemory<byte> Body)> parts, out string boundary)
    {
        boundary = "imue-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));
        var delimiter = Encoding.ASCII.GetBytes("--" + boundary);
        using var output = new MemoryStream();
        foreach (var (headers, body) in parts)
        {
            output.Write(delimiter);
            output.Write("\r\n"u8);
            foreach (var (name, value) in headers)
            {
                output.Write(Encoding.UTF8.GetBytes(name + ": " + value + "\r\n"));
            }

            output.Write("\r\n"u8);
            output.Write(body.Span);
            output.Write("\r\n"u8);
        }

        output.Write(delimiter);
        output.Write("--\r\n"u8);
        return output.ToArray();
    }

    private static int IndexOfLine(ReadOnlySpan<byte> span, ReadOnlySpan<byte> delimiter, int from)
    {
        var at = from;
        while (at < span.Length)
        {
            var found = span[at..].IndexOf(delimiter);
            if (found < 0)
            {
                return -1;
            }

            var index = at + found;
            if (index >= 2 && span[index - 2] == '\r' && span[index - 1] == '\n')
            {
                return index;
            }

            at = index + 1;
        }

        return -1;
    }

    private static ImContentError ReadPart(ReadOnlyMemory<byte> raw, out MimePart? part)
    {
        part = null;
        var span = raw.Span;
        var headers = new List<KeyValuePair<string, string>>();
        var at = 0;
        while (true)
        {
            var end = span[at..].IndexOf("\r\n"u8);
            if (end < 0)
            {
                // Headers only, no body (RFC 2046 allows an empty body after the blank line; tolerate its absence).
                end = span.Length - at;
            }

            if (end == 0)
            {
                at += Math.Min(2, span.Length - at);
                break;
            }

            var line = Encoding.UTF8.GetString(span.Slice(at, end));
            at += end + (at + end < span.Length ? 2 : 0);
            if (line[0] is ' ' or '\t' && headers.Count > 0)
            {
                // RFC 5322 §2.2.3 folding.
                var last = headers[^1];
                headers[^1] = new(last.Key, last.Value + " " + line.Trim());
            }
            else
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon <= 0)
                {
                    return ImContentError.PartHeaderMalformed;
                }

                headers.Add(new(line[..colon].Trim(), line[(colon + 1)..].Trim()));
            }

            if (at >= span.Length)
            {
                break;
            }
        }

        part = new MimePart(headers, raw[Math.Min(at, raw.Length)..]);
        return ImContentError.None;
    }
}

/// <summary>application/resource-lists+xml (RFC 4826 §3) of a URI-list MESSAGE (RFC 5365): the entry URIs, nested
/// lists flattened, duplicates dropped (RFC 5365 §4.1: the server sends one MESSAGE per distinct URI).</summary>
internal static class ResourceListBody
{
    public const string Namespace = "urn:ietf:params:xml:ns:resource-lists";

    public const int MaxSize = 64 * 1024;

    public static ImContentError TryRead(ReadOnlyMemory<byte> xml, int maxRecipients, out List<string> uris)
    {
        uris = [];
        if (xml.Length > MaxSize)
        {
            return ImContentError.XmlTooLarge;
        }

        try
        {
            using var stream = new MemoryStream(xml.ToArray(), writable: false);
            using var reader = XmlReader.Create(stream, SafeXml.Settings);
            if (reader.MoveToContent() != XmlNodeType.Element || reader.LocalName != "resource-lists" || reader.NamespaceURI != Namespace)
            {
                return ImContentError.UnexpectedRoot;
            }

            while (reader.Read())
            {
                if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "entry" && reader.NamespaceURI == Namespace)
                {
                    var uri = reader.GetAttribute("uri");
                    if (string.IsNullOrWhiteSpace(uri))
                    {
                        return ImContentError.EntryWithoutUri;
                    }

                    if (!uris.Contains(uri.Trim(), StringComparer.OrdinalIgnoreCase))
                    {
                        if (uris.Count == maxRecipients)
                        {
                            return ImContentError.TooManyRecipients;
                        }

                        uris.Add(uri.Trim());
                    }
                }
            }

            return ImContentError.None;
        }
        catch (XmlException)
        {
            return ImContentError.XmlMalformed;
        }
    }
}

/// <summary>The IM Service Settings the server acts on (OMA SIMPLE IM 5.2.4 step 8, application/poc-settings+xml):
/// d) offline delivery and b) incoming pager/large-mode barring; null when the document does not say. Elements are
/// matched by local name in any namespace (the client's names: deferred-settings/offline-delivery,
/// ipmb-settings/incoming-pager-large-mode-barring, each with active="true|false").</summary>
internal sealed record ImUserSettings(bool? OfflineDelivery, bool? PagerLargeModeBarring)
{
    public const int MaxSize = 16 * 1024;

    public static ImContentError TryRead(ReadOnlyMemory<byte> xml, out ImUserSettings? settings)
    {
        settings = null;
        if (xml.Length > MaxSize)
        {
            return ImContentError.XmlTooLarge;
        }

        try
        {
            using var stream = new MemoryStream(xml.ToArray(), writable: false);
            using var reader = XmlReader.Create(stream, SafeXml.Settings);
            if (reader.MoveToContent() != XmlNodeType.Element || reader.LocalName != "poc-settings")
            {
                return ImContentError.UnexpectedRoot;
            }

            bool? offline = null, barring = null;
            while (reader.Read())
            {
                if (reader.NodeType != XmlNodeType.Element || reader.GetAttribute("active") is not { } active)
                {
                    continue;
                }

                bool? value = active.Trim() switch
                {
                    "true" or "1" => true,
                    "false" or "0" => false,
                    _ => null,
                };
                if (value is null)
                {
                    return ImContentError.XmlMalformed;
                }

                switch (reader.LocalName)
                {
                    case "offline-delivery" or "im-offline-deliv":
                        offline = value;
                        break;
                    case "incoming-pager-large-mode-barring":
                        barring = value;
                        break;
                }
            }

            settings = new ImUserSettings(offline, barring);
            return ImContentError.None;
        }
        catch (XmlException)
        {
            return ImContentError.XmlMalformed;
        }
    }
}

/// <summary>XML from the network: no DTD, no external resolution, bounded size (hostile input, STYLE.md rules).</summary>
internal static class SafeXml
{
    public static XmlReaderSettings Settings { get; } = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = 256 * 1024,
        IgnoreComments = true,
        IgnoreWhitespace = true,
    };
}
