// SPDX-License-Identifier: MIT
using System.Xml;

namespace ImUeAgent.Im.Content;

/// <summary>Which notification an IMDN carries (RFC 5438 §7.2.1.1).</summary>
public enum ImdnNotificationKind : byte
{
    Delivery,
    Display,
    Processing,
}

/// <summary>The status inside &lt;status&gt; (RFC 5438 §7.2.1.1): delivery has delivered/failed/forbidden/error,
/// display has displayed/forbidden/error, processing has processed/stored/forbidden/error.</summary>
public enum ImdnStatus : byte
{
    Delivered,
    Failed,
    Displayed,
    Processed,
    Stored,
    Forbidden,
    Error,
}

/// <summary>A disposition notification (message/imdn+xml, RFC 5438 §7.2).</summary>
public sealed record ImdnNotification
{
    public ImdnNotification(string messageId, DateTimeOffset dateTime, ImdnNotificationKind kind, ImdnStatus status,
        string? recipientUri = null, string? originalRecipientUri = null, string? subject = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        if (!ImdnDocument.IsAllowed(kind, status))
        {
            throw new ArgumentException($"Status {status} is not allowed in a {kind} notification (RFC 5438 §7.2.1.1)", nameof(status));
        }

        MessageId = messageId;
        DateTime = dateTime;
        Kind = kind;
        Status = status;
        RecipientUri = recipientUri;
        OriginalRecipientUri = originalRecipientUri;
        Subject = subject;
    }

    /// <summary>The imdn.Message-ID of the message this notification is about.</summary>
    public string MessageId { get; }

    /// <summary>The DateTime of that message (RFC 5438 §7.2.1.2: copied from its CPIM DateTime).</summary>
    public DateTimeOffset DateTime { get; }

    public ImdnNotificationKind Kind { get; }

    public ImdnStatus Status { get; }

    public string? RecipientUri { get; }

    public string? OriginalRecipientUri { get; }

    public string? Subject { get; }
}

/// <summary>message/imdn+xml build and parse (RFC 5438 §7.2).</summary>
public static class ImdnDocument
{
    /// <summary>An IMDN document is small; anything beyond this is refused unread.</summary>
    public const int MaxSize = 16 * 1024;

    public static byte[] Build(ImdnNotification notification)
    {
        ArgumentNullException.ThrowIfNull(notification);
        return XmlContent.Write(w =>
        {
            w.WriteStartDocument();
            w.WriteStartElement("imdn", Imdn.XmlNamespace);
            w.WriteElementString("message-id", Imdn.XmlNamespace, notification.MessageId);
            w.WriteElementString("datetime", Imdn.XmlNamespace, Rfc3339.Format(notification.DateTime));
            if (notification.RecipientUri is not null)
            {
                w.WriteElementString("recipient-uri", Imdn.XmlNamespace, notification.RecipientUri);
            }

            if (notification.OriginalRecipientUri is not null)
            {
                w.WriteElementString("original-recipient-uri", Imdn.XmlNamespace, notification.OriginalRecipientUri);
            }

            if (notification.Subject is not null)
            {
                w.WriteElementString("subject", Imdn.XmlNamespace, notification.Subject);
            }

            w.WriteStartElement(KindElement(notification.Kind), Imdn.XmlNamespace);
            w.WriteStartElement("status", Imdn.XmlNamespace);
            w.WriteStartElement(StatusElement(notification.Status), Imdn.XmlNamespace);
            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteEndDocument();
        });
    }

    public static ContentResult<ImdnNotification> Parse(ReadOnlyMemory<byte> xml) => XmlContent.Read(xml, MaxSize, ReadDocument);

    /// <summary>The message/cpim body that carries a notification (RFC 5438 §7.1.1): From the recipient, To the
    /// original sender, a fresh imdn.Message-ID, DateTime, and the IMDN XML with Content-Disposition: notification.
    /// The notification itself asks for no further notifications (RFC 5438 §7.1.1: an IMDN is never acknowledged).</summary>
    public static byte[] BuildCpim(ImdnNotification notification, CpimAddress from, CpimAddress to, string messageId, DateTimeOffset now)
    {
        byte[] xml = Build(notification);
        return new CpimMessageBuilder()
            .From(from)
            .To(to)
            .RequestImdn(messageId, DispositionNotification.None)
            .DateTime(now)
            .ContentType(new Sip.Message.MediaType("message", "imdn+xml"))
            .ContentHeader("Content-Disposition", Imdn.NotificationDisposition)
            .Body(xml)
            .Build();
    }

    internal static bool IsAllowed(ImdnNotificationKind kind, ImdnStatus status) => kind switch
    {
        ImdnNotificationKind.Delivery => status is ImdnStatus.Delivered or ImdnStatus.Failed or ImdnStatus.Forbidden or ImdnStatus.Error,
        ImdnNotificationKind.Display => status is ImdnStatus.Displayed or ImdnStatus.Forbidden or ImdnStatus.Error,
        ImdnNotificationKind.Processing => status is ImdnStatus.Processed or ImdnStatus.Stored or ImdnStatus.Forbidden or ImdnStatus.Error,
        _ => false,
    };

    private static string KindElement(ImdnNotificationKind kind) => kind switch
    {
        ImdnNotificationKind.Delivery => "delivery-notification",
        ImdnNotificationKind.Display => "display-notification",
        _ => "processing-notification",
    };

    private static string StatusElement(ImdnStatus status) => status switch
    {
        ImdnStatus.Delivered => "delivered",
        ImdnStatus.Failed => "failed",
        ImdnStatus.Displayed => "displayed",
        ImdnStatus.Processed => "processed",
        ImdnStatus.Stored => "stored",
        ImdnStatus.Forbidden => "forbidden",
        _ => "error",
    };

    private static ContentResult<ImdnNotification> ReadDocument(XmlReader r)
    {
        if (!XmlContent.MoveToRoot(r) || r.LocalName != "imdn" || r.NamespaceURI != Imdn.XmlNamespace)
        {
            return XmlContent.FailHere<ImdnNotification>(r, ContentError.UnexpectedRootElement);
        }

        string? messageId = null;
        string? dateTime = null;
        string? recipient = null;
        string? original = null;
        string? subject = null;
        ImdnNotificationKind? kind = null;
        ImdnStatus? status = null;
        if (r.IsEmptyElement)
        {
            return XmlContent.FailHere<ImdnNotification>(r, ContentError.MissingElement);
        }

        r.Read();
        while (r.NodeType != XmlNodeType.EndElement && !r.EOF)
        {
            if (r.NodeType != XmlNodeType.Element)
            {
                r.Read();
                continue;
            }

            if (r.NamespaceURI != Imdn.XmlNamespace)
            {
                // RFC 5438 §7.2.1: extension elements from other namespaces are ignored.
                r.Skip();
                continue;
            }

            switch (r.LocalName)
            {
                case "message-id":
                    messageId = XmlContent.ReadText(r);
                    break;
                case "datetime":
                    dateTime = XmlContent.ReadText(r);
                    break;
                case "recipient-uri":
                    recipient = XmlContent.ReadText(r);
                    break;
                case "original-recipient-uri":
                    original = XmlContent.ReadText(r);
                    break;
                case "subject":
                    subject = XmlContent.ReadText(r);
                    break;
                case "delivery-notification":
                case "display-notification":
                case "processing-notification":
                    if (kind is not null)
                    {
                        return XmlContent.FailHere<ImdnNotification>(r, ContentError.InvalidElementValue);
                    }

                    kind = r.LocalName switch
                    {
                        "delivery-notification" => ImdnNotificationKind.Delivery,
                        "display-notification" => ImdnNotificationKind.Display,
                        _ => ImdnNotificationKind.Processing,
                    };
                    ContentResult<ImdnNotification> statusResult = ReadStatus(r, kind.Value, out status);
                    if (statusResult.Error != ContentError.None)
                    {
                        return statusResult;
                    }

                    break;
                default:
                    r.Skip();
                    break;
            }
        }

        if (string.IsNullOrEmpty(messageId) || dateTime is null || kind is null || status is null)
        {
            return XmlContent.FailHere<ImdnNotification>(r, ContentError.MissingElement);
        }

        if (!Rfc3339.TryParse(dateTime, out DateTimeOffset when))
        {
            return XmlContent.FailHere<ImdnNotification>(r, ContentError.InvalidDateTime);
        }

        return ContentResult<ImdnNotification>.Ok(new ImdnNotification(messageId, when, kind.Value, status.Value, recipient, original, subject));
    }

    /// <summary>Reads &lt;status&gt;&lt;xxx/&gt;&lt;/status&gt; inside a notification element; returns a result with
    /// Error None on success.</summary>
    private static ContentResult<ImdnNotification> ReadStatus(XmlReader r, ImdnNotificationKind kind, out ImdnStatus? status)
    {
        status = null;
        if (r.IsEmptyElement)
        {
            return XmlContent.FailHere<ImdnNotification>(r, ContentError.MissingElement);
        }

        int depth = r.Depth;
        r.Read();
        while (!(r.NodeType == XmlNodeType.EndElement && r.Depth == depth) && !r.EOF)
        {
            if (r.NodeType == XmlNodeType.Element && r.LocalName == "status" && r.NamespaceURI == Imdn.XmlNamespace && !r.IsEmptyElement)
            {
                int statusDepth = r.Depth;
                r.Read();
                while (!(r.NodeType == XmlNodeType.EndElement && r.Depth == statusDepth) && !r.EOF)
                {
                    if (r.NodeType == XmlNodeType.Element && r.NamespaceURI == Imdn.XmlNamespace && status is null)
                    {
                        ImdnStatus? s = r.LocalName switch
                        {
                            "delivered" => ImdnStatus.Delivered,
                            "failed" => ImdnStatus.Failed,
                            "displayed" => ImdnStatus.Displayed,
                            "processed" => ImdnStatus.Processed,
                            "stored" => ImdnStatus.Stored,
                            "forbidden" => ImdnStatus.Forbidden,
                            "error" => ImdnStatus.Error,
                            _ => null,
                        };
                        if (s is null || !IsAllowed(kind, s.Value))
                        {
                            return XmlContent.FailHere<ImdnNotification>(r, ContentError.InvalidElementValue);
                        }

                        status = s;
                    }

                    if (r.NodeType == XmlNodeType.Element)
                    {
                        r.Skip();
                    }
                    else
                    {
                        r.Read();
                    }
                }

                r.Read();
                continue;
            }

            if (r.NodeType == XmlNodeType.Element)
            {
                r.Skip();
            }
            else
            {
                r.Read();
            }
        }

        r.Read();
        return status is null ? XmlContent.FailHere<ImdnNotification>(r, ContentError.MissingElement) : default;
    }
}
