// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Text;
using System.Xml;
using ImUeAgent.Im.Content;

namespace ImUeAgent.Im.Settings;

/// <summary>
/// The deferred-message metadata document of 12.1.2 (XCAP AUID org.openmobilealliance.deferred-list, media type
/// application/vnd.oma.im.deferred-list+xml) in the OMA IM history-list schema: a &lt;history-list&gt; root in
/// urn:oma:xml:im:history-list with one &lt;history mode="pager|large-message"&gt; per stored message holding
/// history-reference, size, expiry, subject, date, a &lt;pager&gt; (or &lt;large-message&gt;) block with time-stamp,
/// from, to and auth-id, and content-type. The parser is lenient where the schema may grow: elements of other
/// namespaces and unknown elements are skipped, fields are found at any depth inside their &lt;history&gt;, an
/// unreadable optional value is null. It is strict where safety needs it: well-formed XML only, no DTD, a size cap
/// and a cap on entries. It lives beside the settings because 5.2.4 d) is what sends the client to 12.1.2.
/// </summary>
public static class DeferredListDocument
{
    public const string Namespace = "urn:oma:xml:im:history-list";

    public const string MediaType = "application/vnd.oma.im.deferred-list+xml";

    /// <summary>The XCAP application usage (RFC 4825 §6) and document name the client GETs.</summary>
    public const string Auid = "org.openmobilealliance.deferred-list";

    public const string DocumentName = "deferred-list";

    public const int DefaultMaxBytes = 1024 * 1024;

    public const int DefaultMaxMessages = 1000;

    /// <summary>Parses a document. Returns <see cref="DeferredListError.None"/> and the list, or the reason with the
    /// XML line and column where it was found (0 when not applicable).</summary>
    public static DeferredListError TryParse(ReadOnlyMemory<byte> xml, out DeferredList? list, out int line, out int column,
        int maxBytes = DefaultMaxBytes, int maxMessages = DefaultMaxMessages)
    {
        list = null;
        line = 0;
        column = 0;
        if (xml.IsEmpty)
        {
            return DeferredListError.EmptyBody;
        }

        if (xml.Length > maxBytes)
        {
            return DeferredListError.BodyTooLarge;
        }

        try
        {
            using XmlReader reader = XmlContent.CreateReader(xml, maxBytes);
            if (!XmlContent.MoveToRoot(reader) || reader.LocalName != "history-list" || reader.NamespaceURI != Namespace)
            {
                (line, column) = Position(reader);
                return DeferredListError.UnexpectedRootElement;
            }

            var messages = new List<DeferredMessageInfo>();
            int skipped = 0;
            if (reader.IsEmptyElement)
            {
                list = new DeferredList(messages, 0);
                return DeferredListError.None;
            }

            int rootDepth = reader.Depth;
            while (reader.Read() && reader.Depth > rootDepth)
            {
                if (reader.NodeType != XmlNodeType.Element || reader.Depth != rootDepth + 1 || reader.NamespaceURI != Namespace || reader.LocalName != "history")
                {
                    continue;
                }

                if (messages.Count + skipped >= maxMessages)
                {
                    (line, column) = Position(reader);
                    return DeferredListError.TooManyMessages;
                }

                if (ReadHistory(reader) is { } message)
                {
                    messages.Add(message);
                }
                else
                {
                    skipped++;
                }
            }

            list = new DeferredList(messages, skipped);
            return DeferredListError.None;
        }
        catch (XmlException e)
        {
            line = e.LineNumber;
            column = e.LinePosition;
            return DeferredListError.MalformedXml;
        }
    }

    /// <summary>Reads one &lt;history&gt; (the reader is on its start tag; it is left on its end tag).</summary>
    private static DeferredMessageInfo? ReadHistory(XmlReader reader)
    {
        DeferredMessageMode mode = reader.GetAttribute("mode") switch
        {
            "pager" => DeferredMessageMode.Pager,
            "large-message" => DeferredMessageMode.LargeMessage,
            _ => DeferredMessageMode.Unknown,
        };
        if (reader.IsEmptyElement)
        {
            return null;
        }

        string? reference = null, size = null, expiry = null, subject = null, date = null, timeStamp = null;
        string? from = null, to = null, authId = null, contentType = null;
        int depth = reader.Depth;
        while (reader.Read() && reader.Depth > depth)
        {
            if (reader.NodeType != XmlNodeType.Element || reader.NamespaceURI != Namespace)
            {
                continue;
            }

            // Containers (pager, large-message) and unknown elements: step inside and keep looking.
            switch (reader.LocalName)
            {
                case "history-reference":
                    reference = ReadText(reader);
                    break;
                case "size":
                    size = ReadText(reader);
                    break;
                case "expiry":
                    expiry = ReadText(reader);
                    break;
                case "subject":
                    subject = ReadText(reader);
                    break;
                case "date":
                    date = ReadText(reader);
                    break;
                case "time-stamp":
                    timeStamp = ReadText(reader);
                    break;
                case "from":
                    from = ReadText(reader);
                    break;
                case "to":
                    to = ReadText(reader);
                    break;
                case "auth-id":
                    authId = ReadText(reader);
                    break;
                case "content-type":
                    contentType = ReadText(reader);
                    break;
            }
        }

        if (string.IsNullOrEmpty(reference))
        {
            return null;
        }

        return new DeferredMessageInfo(reference)
        {
            Mode = mode,
            Size = long.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? n : null,
            Expiry = Time(expiry),
            Subject = NullIfEmpty(subject),
            Date = Time(date),
            TimeStamp = Time(timeStamp),
            From = NullIfEmpty(from),
            To = NullIfEmpty(to),
            AuthenticatedIdentity = NullIfEmpty(authId),
            ContentType = NullIfEmpty(contentType),
        };
    }

    /// <summary>The text of a simple element, child elements skipped; leaves the reader on the element's end tag.</summary>
    private static string ReadText(XmlReader reader)
    {
        if (reader.IsEmptyElement)
        {
            return string.Empty;
        }

        int depth = reader.Depth;
        StringBuilder? many = null;
        string? one = null;
        while (reader.Read() && reader.Depth > depth)
        {
            if (reader.NodeType is XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.SignificantWhitespace)
            {
                if (one is null)
                {
                    one = reader.Value;
                }
                else
                {
                    many ??= new StringBuilder(one);
                    many.Append(reader.Value);
                }
            }
        }

        return (many?.ToString() ?? one ?? string.Empty).Trim();
    }

    private static DateTimeOffset? Time(string? text) => Rfc3339.TryParse(text, out DateTimeOffset value) ? value : null;

    private static string? NullIfEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;

    private static (int Line, int Column) Position(XmlReader reader) =>
        reader is IXmlLineInfo info && info.HasLineInfo() ? (info.LineNumber, info.LinePosition) : (0, 0);
}
