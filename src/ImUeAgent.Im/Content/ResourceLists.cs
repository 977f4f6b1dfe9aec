// SPDX-License-Identifier: MIT
using System.Xml;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Im.Content;

/// <summary>The copyControl attribute (RFC 5364 §4): how a recipient appears to the others.</summary>
public enum CopyControl : byte
{
    To,
    Cc,
    Bcc,
}

/// <summary>One &lt;entry&gt; of a recipient list: uri, optional display-name, cp:copyControl and cp:anonymize
/// (RFC 4826 §3.2, RFC 5364 §4).</summary>
public sealed record RecipientEntry
{
    public RecipientEntry(string uri, CopyControl? copyControl = null, bool anonymize = false, string? displayName = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(uri);
        Uri = uri;
        CopyControl = copyControl;
        Anonymize = anonymize;
        DisplayName = displayName;
    }

    public string Uri { get; }

    public CopyControl? CopyControl { get; }

    public bool Anonymize { get; }

    public string? DisplayName { get; }
}

/// <summary>application/resource-lists+xml (RFC 4826 §3) with the copy-control extension (RFC 5364) as used by
/// URI-list MESSAGE (RFC 5365) and ad-hoc group INVITE (RFC 5366) towards the conference factory (OMA SIMPLE IM
/// 8.1.1 step 6).</summary>
public static class ResourceListDocument
{
    public const string XmlNamespace = "urn:ietf:params:xml:ns:resource-lists";

    public const string CopyControlNamespace = "urn:ietf:params:xml:ns:copycontrol";

    /// <summary>Caps the document (and so the number of recipients) before parsing.</summary>
    public const int MaxSize = 64 * 1024;

    public const int MaxEntries = 256;

    public static MediaType MediaType => new("application", "resource-lists+xml");

    public static byte[] Build(IEnumerable<RecipientEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        RecipientEntry[] list = [.. entries];
        if (list.Length == 0)
        {
            throw new ArgumentException("A recipient list has at least one entry", nameof(entries));
        }

        bool needsCp = Array.Exists(list, e => e.CopyControl is not null || e.Anonymize);
        return XmlContent.Write(w =>
        {
            w.WriteStartDocument();
            w.WriteStartElement("resource-lists", XmlNamespace);
            if (needsCp)
            {
                w.WriteAttributeString("xmlns", "cp", null, CopyControlNamespace);
            }

            w.WriteStartElement("list", XmlNamespace);
            foreach (RecipientEntry e in list)
            {
                w.WriteStartElement("entry", XmlNamespace);
                w.WriteAttributeString("uri", e.Uri);
                if (e.CopyControl is { } cc)
                {
                    w.WriteAttributeString("copyControl", CopyControlNamespace, cc switch
                    {
                        CopyControl.To => "to",
                        CopyControl.Cc => "cc",
                        _ => "bcc",
                    });
                }

                if (e.Anonymize)
                {
                    w.WriteAttributeString("anonymize", CopyControlNamespace, "true");
                }

                if (e.DisplayName is not null)
                {
                    w.WriteElementString("display-name", XmlNamespace, e.DisplayName);
                }

                w.WriteEndElement();
            }

            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteEndDocument();
        });
    }

    /// <summary>Parses the entries of every &lt;list&gt; (nested lists flattened, in document order). entry-ref and
    /// external elements (RFC 4826 §3.2) point outside the document and are not resolved here; they are skipped.</summary>
    public static ContentResult<IReadOnlyList<RecipientEntry>> Parse(ReadOnlyMemory<byte> xml) => XmlContent.Read(xml, MaxSize, ReadDocument);

    private static ContentResult<IReadOnlyList<RecipientEntry>> ReadDocument(XmlReader r)
    {
        if (!XmlContent.MoveToRoot(r) || r.LocalName != "resource-lists" || r.NamespaceURI != XmlNamespace)
        {
            return XmlContent.FailHere<IReadOnlyList<RecipientEntry>>(r, ContentError.UnexpectedRootElement);
        }

        var entries = new List<RecipientEntry>();
        while (r.Read())
        {
            if (r.NodeType != XmlNodeType.Element || r.NamespaceURI != XmlNamespace || r.LocalName != "entry")
            {
                continue;
            }

            string? uri = r.GetAttribute("uri");
            if (string.IsNullOrWhiteSpace(uri))
            {
                return XmlContent.FailHere<IReadOnlyList<RecipientEntry>>(r, ContentError.MissingElement);
            }

            CopyControl? copy = null;
            if (r.GetAttribute("copyControl", CopyControlNamespace) is { } cc)
            {
                copy = cc.Trim().ToLowerInvariant() switch
                {
                    "to" => CopyControl.To,
                    "cc" => CopyControl.Cc,
                    "bcc" => CopyControl.Bcc,
                    _ => null,
                };
                if (copy is null)
                {
                    return XmlContent.FailHere<IReadOnlyList<RecipientEntry>>(r, ContentError.InvalidElementValue);
                }
            }

            bool anonymize = false;
            if (r.GetAttribute("anonymize", CopyControlNamespace) is { } an)
            {
                if (!TryParseXmlBoolean(an, out anonymize))
                {
                    return XmlContent.FailHere<IReadOnlyList<RecipientEntry>>(r, ContentError.InvalidElementValue);
                }
            }

            string? display = null;
            if (!r.IsEmptyElement)
            {
                int depth = r.Depth;
                while (r.Read() && !(r.NodeType == XmlNodeType.EndElement && r.Depth == depth))
                {
                    if (r.NodeType == XmlNodeType.Element && r.LocalName == "display-name" && r.NamespaceURI == XmlNamespace)
                    {
                        display = XmlContent.ReadText(r);
                        if (r.NodeType == XmlNodeType.EndElement && r.Depth == depth)
                        {
                            break;
                        }
                    }
                }
            }

            if (entries.Count >= MaxEntries)
            {
                return XmlContent.FailHere<IReadOnlyList<RecipientEntry>>(r, ContentError.TooLarge);
            }

            entries.Add(new RecipientEntry(uri.Trim(), copy, anonymize, display));
        }

        return ContentResult<IReadOnlyList<RecipientEntry>>.Ok(entries);
    }

    internal static bool TryParseXmlBoolean(string value, out bool result)
    {
        switch (value.Trim())
        {
            case "true" or "1":
                result = true;
                return true;
            case "false" or "0":
                result = false;
                return true;
            default:
                result = false;
                return false;
        }
    }
}

/// <summary>The body of a URI-list MESSAGE or INVITE (RFC 5365 §4, RFC 5366 §4): multipart/mixed with the message
/// part and the recipient list part (application/resource-lists+xml, Content-Disposition: recipient-list).</summary>
public sealed class RecipientListBody
{
    private RecipientListBody(IReadOnlyList<RecipientEntry> recipients, MimePart? messagePart)
    {
        Recipients = recipients;
        MessagePart = messagePart;
    }

    public IReadOnlyList<RecipientEntry> Recipients { get; }

    /// <summary>The message (e.g. message/cpim or text/plain); null for an INVITE whose only other part is SDP.</summary>
    public MimePart? MessagePart { get; }

    /// <summary>Builds the multipart body: the message part first, then the recipient list. Returns the body and the
    /// multipart/mixed Content-Type to send with it.</summary>
    public static byte[] Build(IEnumerable<RecipientEntry> recipients, MimePart messagePart, out MediaType contentType)
    {
        ArgumentNullException.ThrowIfNull(messagePart);
        byte[] list = ResourceListDocument.Build(recipients);
        var listPart = new MimePart(ResourceListDocument.MediaType, list, new MimeHeader("Content-Disposition", "recipient-list"));
        string boundary = Multipart.NewBoundary();
        contentType = Multipart.MixedType(boundary);
        return Multipart.Build(boundary, [messagePart, listPart]);
    }

    /// <summary>Finds the recipient-list part (by disposition, else by media type) and the first other part.</summary>
    public static ContentResult<RecipientListBody> Parse(MultipartBody body)
    {
        ArgumentNullException.ThrowIfNull(body);
        MimePart? listPart = null;
        MimePart? message = null;
        foreach (MimePart p in body.Parts)
        {
            bool isList = string.Equals(p.Disposition, "recipient-list", StringComparison.OrdinalIgnoreCase)
                || (listPart is null && p.ContentType is { } t && t.Is("application", "resource-lists+xml"));
            if (isList && listPart is null)
            {
                listPart = p;
            }
            else
            {
                message ??= p;
            }
        }

        if (listPart is null)
        {
            return ContentResult<RecipientListBody>.Fail(ContentError.MissingElement, 0);
        }

        ContentResult<IReadOnlyList<RecipientEntry>> entries = ResourceListDocument.Parse(listPart.Body);
        return entries.IsSuccess
            ? ContentResult<RecipientListBody>.Ok(new RecipientListBody(entries.Value!, message))
            : entries.Cast<RecipientListBody>();
    }
}
