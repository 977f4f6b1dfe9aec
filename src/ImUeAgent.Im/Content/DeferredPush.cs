// SPDX-License-Identifier: MIT
using System.Text;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Im.Content;

/// <summary>What one stored item of a deferred push is.</summary>
public enum DeferredItemKind : byte
{
    /// <summary>A SIP request (MESSAGE for pager mode; INVITE or BYE of a large-message session).</summary>
    SipRequest,
    /// <summary>A SIP response (the 200 OK of a large-message session).</summary>
    SipResponse,
    /// <summary>A message/sipfrag without start line: header lines and an optional body (RFC 3420).</summary>
    SipFragment,
    /// <summary>An MSRP SEND (message/msrp).</summary>
    MsrpSend,
    /// <summary>A part that could not be read; <see cref="DeferredItem.Error"/> says why, <see cref="DeferredItem.Raw"/>
    /// keeps the bytes.</summary>
    Unparsed,
}

/// <summary>One stored item unwrapped from a deferred-message push (OMA SIMPLE IM Appendix D.2).</summary>
public sealed class DeferredItem
{
    internal DeferredItem(DeferredItemKind kind, MimeHeaderList partHeaders, ReadOnlyMemory<byte> raw)
    {
        Kind = kind;
        PartHeaders = partHeaders;
        Raw = raw;
    }

    public DeferredItemKind Kind { get; }

    /// <summary>The MIME part's own headers (empty for a single, non-multipart body).</summary>
    public MimeHeaderList PartHeaders { get; }

    /// <summary>The item's bytes as received (the part body).</summary>
    public ReadOnlyMemory<byte> Raw { get; }

    /// <summary>The parsed SIP message (SipRequest or SipResponse kinds).</summary>
    public SipMessage? Sip { get; internal init; }

    /// <summary>Header lines of a sipfrag without start line.</summary>
    public MimeHeaderList? FragmentHeaders { get; internal init; }

    public ReadOnlyMemory<byte> FragmentBody { get; internal init; }

    public MsrpSendText? Msrp { get; internal init; }

    /// <summary>Why an <see cref="DeferredItemKind.Unparsed"/> item could not be read.</summary>
    public ContentError Error { get; internal init; }

    /// <summary>Where, within <see cref="Raw"/>.</summary>
    public long ErrorOffset { get; internal init; }

    /// <summary>True when the item only parsed after the hand-written-example repairs (NOTES.md seed errata).</summary>
    public bool IsRepaired { get; internal init; }

    /// <summary>The item's date: its own Date header (SIP or MSRP), else the part's Date header.</summary>
    public DateTimeOffset? Date { get; internal init; }
}

/// <summary>Pager mode (a stored SIP MESSAGE) or large message mode (INVITE, 200 OK, MSRP SEND, BYE).</summary>
public enum DeferredMode : byte
{
    Pager,
    LargeMessage,
}

/// <summary>A deferred message rebuilt from its stored items: what the Store keeps and the application sees.</summary>
public sealed class DeferredMessage
{
    internal DeferredMessage(DeferredMode mode, ReadOnlyMemory<byte> body)
    {
        Mode = mode;
        Body = body;
    }

    public DeferredMode Mode { get; }

    /// <summary>The sender: P-Asserted-Identity when stored (absent when the sender asked for anonymity,
    /// 12.2.2.3 step 2), else From. Null when no SIP context came with an MSRP SEND.</summary>
    public NameAddress? Sender { get; internal init; }

    public NameAddress? Recipient { get; internal init; }

    /// <summary>When the IM Server received the message (the Date header it stored), if known.</summary>
    public DateTimeOffset? Date { get; internal init; }

    public MediaType? ContentType { get; internal init; }

    public ReadOnlyMemory<byte> Body { get; internal set; }

    /// <summary>Call-ID of the stored MESSAGE or INVITE, kept intact for correlation (Appendix D.2).</summary>
    public string? CallId { get; internal init; }

    /// <summary>Message-ID of the stored MSRP SEND, kept intact for correlation (Appendix D.2).</summary>
    public string? MessageId { get; internal init; }

    public string? Subject { get; internal init; }

    /// <summary>The items this message was rebuilt from, in order.</summary>
    public IReadOnlyList<DeferredItem> Items { get; internal set; } = [];
}

/// <summary>The result of unwrapping one pushed MSRP SEND body.</summary>
public sealed class DeferredPushContent
{
    internal DeferredPushContent(IReadOnlyList<DeferredItem> items, IReadOnlyList<DeferredMessage> messages)
    {
        Items = items;
        Messages = messages;
    }

    public IReadOnlyList<DeferredItem> Items { get; }

    public IReadOnlyList<DeferredMessage> Messages { get; }

    public bool HasUnparsedItems => Items.Any(i => i.Kind == DeferredItemKind.Unparsed);
}

/// <summary>Unwraps the body of an MSRP SEND that pushes deferred messages (OMA SIMPLE IM Appendix D.2:
/// message/sip, message/sipfrag, message/msrp or multipart/mixed with one part per stored item) and rebuilds the
/// original messages. Strict parsing first; items that fail get one retry with the repairs the seed's own examples
/// need (stray indentation, blank lines between headers, LF line ends, "sip: user" inside a URI, a missing empty
/// line); an item that still fails is kept raw with its reason — unwrapping never throws on bad input.</summary>
public static class DeferredPush
{
    public const int MaxItems = 256;

    public static DeferredPushContent Unwrap(MediaType contentType, ReadOnlyMemory<byte> body)
    {
        ArgumentNullException.ThrowIfNull(contentType);
        var items = new List<DeferredItem>();
        Collect(contentType, MimeHeaderList.Empty, body, items, 0);
        return new DeferredPushContent(items, Rebuild(items));
    }

    /// <summary>Unwraps using the Content-Type text as received; an unparseable type yields one Unparsed item.</summary>
    public static DeferredPushContent Unwrap(string contentType, ReadOnlyMemory<byte> body)
    {
        ArgumentNullException.ThrowIfNull(contentType);
        if (!MimeMediaType.TryParse(contentType, out MediaType? type))
        {
            DeferredItem bad = new(DeferredItemKind.Unparsed, MimeHeaderList.Empty, body) { Error = ContentError.InvalidContentType };
            return new DeferredPushContent([bad], []);
        }

        return Unwrap(type, body);
    }

    private static void Collect(MediaType? type, MimeHeaderList partHeaders, ReadOnlyMemory<byte> body, List<DeferredItem> items, int depth)
    {
        if (items.Count >= MaxItems)
        {
            return;
        }

        DateTimeOffset? partDate = SipHeaderText.ParseDate(partHeaders.GetValue("Date"));
        if (type is null)
        {
            items.Add(new DeferredItem(DeferredItemKind.Unparsed, partHeaders, body) { Error = ContentError.InvalidContentType, Date = partDate });
            return;
        }

        if (string.Equals(type.Type, "multipart", StringComparison.OrdinalIgnoreCase))
        {
            if (depth >= 3)
            {
                items.Add(new DeferredItem(DeferredItemKind.Unparsed, partHeaders, body) { Error = ContentError.NestingTooDeep });
                return;
            }

            ContentResult<MultipartBody> mp = Multipart.Parse(body, type);
            bool repaired = false;
            if (!mp.IsSuccess)
            {
                ContentResult<MultipartBody> lenient = Multipart.Parse(body, type, MultipartOptions.Lenient with { MaxDepth = 1 });
                if (lenient.IsSuccess)
                {
                    mp = lenient;
                    repaired = true;
                }
            }

            if (!mp.IsSuccess)
            {
                items.Add(new DeferredItem(DeferredItemKind.Unparsed, partHeaders, body) { Error = mp.Error, ErrorOffset = mp.Offset });
                return;
            }

            foreach (MimePart part in mp.Value!.Parts)
            {
                int before = items.Count;
                MediaType? partType = part.ContentType;
                if (partType is null && part.Headers.GetValue("Content-Type") is { } text)
                {
                    // A trailing space or stray token in a hand-written part header.
                    partType = MimeMediaType.TryParse(text.Trim(), out MediaType? trimmed) ? trimmed : null;
                }

                Collect(partType, part.Headers, part.Body, items, depth + 1);
                if (repaired)
                {
                    for (int i = before; i < items.Count; i++)
                    {
                        items[i] = Repaired(items[i]);
                    }
                }
            }

            return;
        }

        DeferredItem item;
        if (type.Is("message", "sip") || type.Is("message", "sipfrag"))
        {
            item = ParseSip(body, partHeaders, type.Is("message", "sipfrag"));
        }
        else if (type.Is("message", "msrp"))
        {
            ContentResult<MsrpSendText> send = MsrpSendText.Parse(body, lenient: true);
            item = send.IsSuccess
                ? new DeferredItem(DeferredItemKind.MsrpSend, partHeaders, body) { Msrp = send.Value, IsRepaired = send.Value!.IsRepaired, Date = send.Value.Date }
                : new DeferredItem(DeferredItemKind.Unparsed, partHeaders, body) { Error = send.Error, ErrorOffset = send.Offset };
        }
        else
        {
            item = new DeferredItem(DeferredItemKind.Unparsed, partHeaders, body) { Error = ContentError.UnsupportedContentType };
        }

        if (item.Date is null && partDate is not null)
        {
            item = WithDate(item, partDate);
        }

        items.Add(item);
    }

    private static DeferredItem ParseSip(ReadOnlyMemory<byte> body, MimeHeaderList partHeaders, bool fragment)
    {
        SipParseResult strict = SipParser.Parse(body, SipFraming.Datagram);
        if (strict.IsComplete)
        {
            return FromSip(strict.Message!, body, partHeaders, repaired: false);
        }

        byte[]? repairedText = RepairSip(body.Span, out bool hasStartLine);
        if (repairedText is not null && hasStartLine)
        {
            SipParseResult again = SipParser.Parse(repairedText, SipFraming.Datagram);
            if (again.IsComplete)
            {
                return FromSip(again.Message!, body, partHeaders, repaired: true);
            }
        }

        if (fragment)
        {
            // RFC 3420: a sipfrag may be header lines (and a body) without a start line.
            var headers = new List<MimeHeader>();
            ReadOnlySpan<byte> span = body.Span;
            bool repaired = false;
            ContentError e = HeaderBlockReader.Read(span, HeaderBlockOptions.Strict with { AllowEndOfInput = true, AllowBareLf = false }, headers, out int consumed, out _);
            if (e != ContentError.None)
            {
                headers.Clear();
                e = HeaderBlockReader.Read(span, HeaderBlockOptions.Lenient, headers, out consumed, out _);
                repaired = true;
            }

            if (e == ContentError.None && headers.Count > 0 && !LooksLikeStartLine(span))
            {
                var list = new MimeHeaderList(headers);
                return new DeferredItem(DeferredItemKind.SipFragment, partHeaders, body)
                {
                    FragmentHeaders = list,
                    FragmentBody = TrimBody(body[consumed..], repaired),
                    IsRepaired = repaired,
                    Date = SipHeaderText.ParseDate(list.GetValue("Date")),
                };
            }
        }

        return new DeferredItem(DeferredItemKind.Unparsed, partHeaders, body)
        {
            Error = ContentError.InvalidSipMessage,
            ErrorOffset = strict.Status == SipParseStatus.Error ? strict.Offset : 0,
        };
    }

    private static DeferredItem FromSip(SipMessage message, ReadOnlyMemory<byte> raw, MimeHeaderList partHeaders, bool repaired) =>
        new(message.IsRequest ? DeferredItemKind.SipRequest : DeferredItemKind.SipResponse, partHeaders, raw)
        {
            Sip = message,
            IsRepaired = repaired,
            Date = message.Headers.Date ?? SipHeaderText.ParseDate(message.Headers.GetValue(SipHeaderId.Date)),
        };

    private static bool LooksLikeStartLine(ReadOnlySpan<byte> span)
    {
        ReadOnlySpan<byte> t = span.TrimStart("\r\n \t"u8);
        int lf = t.IndexOf((byte)'\n');
        ReadOnlySpan<byte> line = lf < 0 ? t : t[..lf];
        return line.StartsWith("SIP/2.0 "u8) || line.EndsWith(" SIP/2.0"u8) || line.EndsWith(" SIP/2.0\r"u8);
    }

    private static ReadOnlyMemory<byte> TrimBody(ReadOnlyMemory<byte> body, bool repaired)
    {
        if (!repaired)
        {
            return body;
        }

        ReadOnlySpan<byte> s = body.Span;
        int start = 0;
        int end = s.Length;
        while (start < end && s[start] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            start++;
        }

        while (end > start && s[end - 1] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            end--;
        }

        return body[start..end];
    }

    /// <summary>Rewrites hand-written SIP text into something RFC 3261 shaped: lines trimmed, CRLF line ends, blank
    /// lines inside the header section dropped, the header section ended by the first line that is not a header,
    /// "sip: user" inside the Request-URI and &lt;…&gt; closed up, Content-Length dropped (the body then runs to the
    /// end, datagram style) and trailing blank lines trimmed from the body.</summary>
    internal static byte[]? RepairSip(ReadOnlySpan<byte> text, out bool hasStartLine)
    {
        hasStartLine = false;
        string[] lines = Encoding.UTF8.GetString(text).Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        int i = 0;
        while (i < lines.Length && lines[i].Trim().Length == 0)
        {
            i++;
        }

        if (i == lines.Length)
        {
            return null;
        }

        string start = CloseUpSipUri(lines[i].Trim());
        hasStartLine = start.StartsWith("SIP/2.0 ", StringComparison.Ordinal) || start.EndsWith(" SIP/2.0", StringComparison.Ordinal);
        var sb = new StringBuilder();
        sb.Append(start).Append("\r\n");
        i++;
        for (; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0)
            {
                int j = i + 1;
                while (j < lines.Length && lines[j].Trim().Length == 0)
                {
                    j++;
                }

                if (j < lines.Length && IsHeaderLine(lines[j].Trim()))
                {
                    i = j - 1;
                    continue;
                }

                i = j;
                break;
            }

            if (!IsHeaderLine(line))
            {
                break;
            }

            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase) || line.StartsWith("l:", StringComparison.Ordinal))
            {
                continue;
            }

            sb.Append(CloseUpSipUri(line)).Append("\r\n");
        }

        sb.Append("\r\n");
        int last = lines.Length - 1;
        while (last >= i && lines[last].Trim().Length == 0)
        {
            last--;
        }

        for (int k = i; k <= last; k++)
        {
            sb.Append(lines[k].Trim());
            if (k < last)
            {
                sb.Append("\r\n");
            }
        }

        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static bool IsHeaderLine(string line)
    {
        int colon = line.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return false;
        }

        foreach (char c in line.AsSpan(0, colon).TrimEnd())
        {
            if (!char.IsAsciiLetterOrDigit(c) && "-.!%*_+`'~".IndexOf(c, StringComparison.Ordinal) < 0)
            {
                return false;
            }
        }

        return true;
    }

    private static string CloseUpSipUri(string line) =>
        line.Replace("sip: ", "sip:", StringComparison.Ordinal).Replace("sips: ", "sips:", StringComparison.Ordinal)
            .Replace("< sip", "<sip", StringComparison.Ordinal).Replace(" >", ">", StringComparison.Ordinal);

    private static DeferredItem Repaired(DeferredItem item) => item.IsRepaired ? item : new DeferredItem(item.Kind, item.PartHeaders, item.Raw)
    {
        Sip = item.Sip,
        FragmentHeaders = item.FragmentHeaders,
        FragmentBody = item.FragmentBody,
        Msrp = item.Msrp,
        Error = item.Error,
        ErrorOffset = item.ErrorOffset,
        IsRepaired = true,
        Date = item.Date,
    };

    private static DeferredItem WithDate(DeferredItem item, DateTimeOffset? date) => new(item.Kind, item.PartHeaders, item.Raw)
    {
        Sip = item.Sip,
        FragmentHeaders = item.FragmentHeaders,
        FragmentBody = item.FragmentBody,
        Msrp = item.Msrp,
        Error = item.Error,
        ErrorOffset = item.ErrorOffset,
        IsRepaired = item.IsRepaired,
        Date = date,
    };

    /// <summary>Rebuilds messages: a MESSAGE (or a sipfrag with a body) is one pager-mode message; an INVITE opens a
    /// large-message context (sender, recipient, Call-ID, Subject), the following MSRP SENDs are its messages (chunks
    /// with the same Message-ID are joined in order), a BYE closes it. A SEND without SIP context still yields a
    /// message, with no sender.</summary>
    private static List<DeferredMessage> Rebuild(List<DeferredItem> items)
    {
        var messages = new List<DeferredMessage>();
        SipRequest? invite = null;
        DeferredItem? inviteItem = null;
        DeferredMessage? lastSend = null;
        foreach (DeferredItem item in items)
        {
            switch (item.Kind)
            {
                case DeferredItemKind.SipRequest when item.Sip is SipRequest request:
                    if (request.Method == SipMethod.Message)
                    {
                        messages.Add(new DeferredMessage(DeferredMode.Pager, request.Body)
                        {
                            Sender = SenderOf(request.Headers),
                            Recipient = request.Headers.To,
                            Date = item.Date,
                            ContentType = request.Headers.ContentType,
                            CallId = request.Headers.CallId,
                            Subject = request.Headers.Subject,
                            Items = [item],
                        });
                    }
                    else if (request.Method == SipMethod.Invite)
                    {
                        invite = request;
                        inviteItem = item;
                        lastSend = null;
                    }
                    else if (request.Method == SipMethod.Bye)
                    {
                        invite = null;
                        inviteItem = null;
                        lastSend = null;
                    }

                    break;
                case DeferredItemKind.SipFragment when item.FragmentHeaders is { } h && h.ContentType is not null:
                    messages.Add(new DeferredMessage(DeferredMode.Pager, item.FragmentBody)
                    {
                        Sender = FragmentSender(h),
                        Recipient = h.GetValue("To") is { } to ? SipHeaderText.ParseAddress("From", to) : null,
                        Date = item.Date,
                        ContentType = h.ContentType,
                        CallId = h.GetValue("Call-ID") ?? h.GetValue("i"),
                        Subject = h.GetValue("Subject"),
                        Items = [item],
                    });
                    break;
                case DeferredItemKind.MsrpSend when item.Msrp is { } send:
                    if (lastSend is not null && send.MessageId is not null && string.Equals(lastSend.MessageId, send.MessageId, StringComparison.Ordinal))
                    {
                        lastSend.Body = Concat(lastSend.Body, send.Body);
                        lastSend.Items = [.. lastSend.Items, item];
                        break;
                    }

                    lastSend = new DeferredMessage(DeferredMode.LargeMessage, send.Body)
                    {
                        // Without the stored INVITE, the server may carry the session's identities as extension
                        // headers of the SEND itself (message/msrp alone): take them from there.
                        Sender = invite is null ? FragmentSender(send.Headers) : SenderOf(invite.Headers),
                        Recipient = invite?.Headers.To ?? (send.Headers.GetValue("To") is { } sendTo ? SipHeaderText.ParseAddress("From", sendTo) : null),
                        Date = item.Date ?? inviteItem?.Date,
                        ContentType = send.ContentType,
                        CallId = invite?.Headers.CallId ?? send.Headers.GetValue("Call-ID"),
                        MessageId = send.MessageId,
                        Subject = invite?.Headers.Subject ?? send.Headers.GetValue("Subject"),
                        Items = inviteItem is null ? [item] : [inviteItem, item],
                    };
                    messages.Add(lastSend);
                    break;
                default:
                    break;
            }
        }

        return messages;
    }

    private static NameAddress? SenderOf(SipHeaders headers) =>
        headers.PAssertedIdentity is { Count: > 0 } pai ? pai[0] : headers.From;

    private static NameAddress? FragmentSender(MimeHeaderList h)
    {
        NameAddress? pai = h.GetValue("P-Asserted-Identity") is { } p ? SipHeaderText.ParseAddress("P-Asserted-Identity", p) : null;
        return pai ?? ((h.GetValue("From") ?? h.GetValue("f")) is { } from ? SipHeaderText.ParseAddress("From", from) : null);
    }

    private static ReadOnlyMemory<byte> Concat(ReadOnlyMemory<byte> a, ReadOnlyMemory<byte> b)
    {
        byte[] joined = new byte[a.Length + b.Length];
        a.Span.CopyTo(joined);
        b.Span.CopyTo(joined.AsSpan(a.Length));
        return joined;
    }
}
