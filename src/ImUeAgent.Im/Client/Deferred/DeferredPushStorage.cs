// SPDX-License-Identifier: MIT
using System.Globalization;
using ImUeAgent.Im.Client.Large;
using ImUeAgent.Im.Content;
using ImUeAgent.Im.FeatureTags;
using ImUeAgent.Im.Store;
using ImUeAgent.Msrp.Framing;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Im.Client.Deferred;

/// <summary>What one pushed SEND turns into: the inbox rows to commit in one transaction, the IMDNs it carried for our
/// own messages, and the MSRP status to answer once committed.</summary>
internal sealed record DeferredPushBatch(IReadOnlyList<NewInboxMessage> Messages, IReadOnlyList<ReceivedContent> Contents,
    IReadOnlyList<ReceivedNotification> Notifications, int Unparsed, int Status);

/// <summary>
/// Turns an unwrapped deferred push (OMA SIMPLE IM Appendix D.2) into inbox rows. Each rebuilt message keeps the
/// identities the live copy would have had (Call-ID+CSeq of a stored MESSAGE, Call-ID+Message-ID of a stored MSRP
/// SEND, the IMDN Message-ID inside CPIM), so a message received live and pushed again, or pushed twice, is stored
/// once. A part that cannot be read is stored raw with its reason and identified by its SHA-256.
/// <para>Routing (RFC 3841): a rebuilt message goes to the local application its own stored request asked for — the
/// IM Server stores the complete MESSAGE or INVITE with its Accept-Contact/Reject-Contact (12.2.2.3) — and, when
/// that request carried no caller preferences (or nothing in it survived), to the application the push INVITE was
/// routed to, as do raw parts.</para>
/// <para>Wire decision for the MSRP status (RFC 4975 has one response per SEND): when the SEND yields at least one
/// message, it is answered 200 even if some of its parts were kept raw — refusing it would make the IM Server push the
/// good messages again (harmless, they are recognised) and the bad part forever. When nothing in the SEND can be read
/// (one SEND per stored message, as D.2's NOTE allows), that SEND alone gets the error: 415 when its type is not one
/// D.2 allows, 400 when it is malformed — after its bytes were committed raw, while the other SENDs of the push get
/// their 200.</para>
/// </summary>
internal static class DeferredPushStorage
{
    /// <summary>Whether a SEND of this type is a deferred push rather than a large message: message/sip,
    /// message/sipfrag, message/msrp, or multipart/mixed with at least one such part (or unreadable).</summary>
    public static bool IsDeferredPush(string contentType, ReadOnlyMemory<byte> body)
    {
        if (!MimeMediaType.TryParse(contentType, out MediaType? type))
        {
            return false;
        }

        if (IsPushedItemType(type))
        {
            return true;
        }

        if (!type.Is("multipart", "mixed"))
        {
            return false;
        }

        ContentResult<MultipartBody> parts = Multipart.Parse(body, type, MultipartOptions.Lenient);
        if (!parts.IsSuccess)
        {
            return false;
        }

        foreach (MimePart part in parts.Value!.Parts)
        {
            string? text = part.Headers.GetValue("Content-Type")?.Trim();
            if (text is not null && MimeMediaType.TryParse(text, out MediaType? partType) && IsPushedItemType(partType))
            {
                return true;
            }
        }

        return false;
    }

    public static DeferredPushBatch Build(string contentType, ReadOnlyMemory<byte> body, IncomingSessionContext session, ApplicationSelector selector,
        DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(selector);
        DeferredPushContent content = DeferredPush.Unwrap(contentType, body);
        var messages = new List<NewInboxMessage>();
        var contents = new List<ReceivedContent>();
        var notifications = new List<ReceivedNotification>();
        foreach (DeferredMessage m in content.Messages)
        {
            string? sender = m.Sender?.Uri.ToString();
            string type = m.ContentType?.ToString() ?? "text/plain";
            ReceivedContent read = ReceivedContent.Read(type, m.Body, sender);
            if (read.Notification is { } n)
            {
                notifications.Add(n);
                continue;
            }

            byte[] raw = Concat(m.Items);
            if (read.IsError)
            {
                messages.Add(Unparsed(raw, read.ContentType, "rebuilt message: " + read.Describe(), session, now));
                contents.Add(read);
                continue;
            }

            var identities = new List<InboxIdentity>();
            if (CarrierIdentity(m) is { } carrier)
            {
                identities.AddRange(read.Identities(carrier));
            }
            else
            {
                identities.AddRange(read.Identities(InboxIdentity.ForRawContent(raw)));
            }

            messages.Add(new NewInboxMessage
            {
                Source = MessageSource.DeferredPush,
                SenderUri = read.CpimFrom ?? sender ?? Pager.Originator.AnonymousUri.ToString(),
                SenderDisplayName = read.CpimFrom is not null ? read.CpimFromName : m.Sender?.DisplayName,
                Recipients = m.Recipient is { } to ? [to.Uri.ToString()] : [],
                CallId = m.CallId,
                MessageId = read.ImdnMessageId ?? m.MessageId,
                ReceivedAt = now,
                OriginalDate = m.Date ?? read.DateTime,
                ContentType = read.ContentType,
                Body = read.Body,
                ImdnRequested = read.ImdnRequested,
                Identities = identities,
                ApplicationId = ApplicationOf(m, selector) ?? session.ApplicationId,
            });
            contents.Add(read);
        }

        int unparsed = 0;
        bool allUnsupported = true;
        foreach (DeferredItem item in content.Items)
        {
            if (item.Kind != DeferredItemKind.Unparsed)
            {
                continue;
            }

            unparsed++;
            allUnsupported &= item.Error is ContentError.UnsupportedContentType or ContentError.InvalidContentType;
            string reason = string.Create(CultureInfo.InvariantCulture, $"{item.Error} at byte {item.ErrorOffset}: {ContentErrors.Describe(item.Error)}");
            string partType = item.PartHeaders.GetValue("Content-Type")?.Trim() is { Length: > 0 } t ? t : contentType;
            messages.Add(Unparsed(item.Raw.ToArray(), partType, reason, session, now));
            contents.Add(new ReceivedContent { ContentType = partType, Body = item.Raw, Error = item.Error, ErrorOffset = item.ErrorOffset });
        }

        bool anyRead = messages.Count > unparsed || notifications.Count > 0;
        int status = anyRead || unparsed == 0 ? MsrpStatusCodes.Ok
            : allUnsupported ? MsrpStatusCodes.UnsupportedMediaType
            : MsrpStatusCodes.BadRequest;
        return new DeferredPushBatch(messages, contents, notifications, messages.Count(x => x.UnparsedReason is not null), status);
    }

    /// <summary>The application RFC 3841 picks for the caller preferences of the stored request (a parsed
    /// MESSAGE/INVITE, or the header lines of a sipfrag); null when it carried none.</summary>
    private static string? ApplicationOf(DeferredMessage m, ApplicationSelector selector)
    {
        if (m.Items.Count == 0)
        {
            return null;
        }

        DeferredItem first = m.Items[0];
        var accept = new List<CallerPreferenceValue>();
        var reject = new List<CallerPreferenceValue>();
        if (first.Sip is { } sip)
        {
            accept.AddRange(CallerPreferences.ReadAcceptContact(sip));
            reject.AddRange(CallerPreferences.ReadRejectContact(sip));
        }
        else if (first.FragmentHeaders is { } headers)
        {
            foreach (MimeHeader h in headers)
            {
                // RFC 3841 §10: the compact forms are 'a' and 'j'. A value that is not RFC 3841 shaped is skipped.
                if (h.Name.Equals("Accept-Contact", StringComparison.OrdinalIgnoreCase) || h.Name.Equals("a", StringComparison.OrdinalIgnoreCase))
                {
                    CallerPreferences.TryParse(h.Value, accept, out _);
                }
                else if (h.Name.Equals("Reject-Contact", StringComparison.OrdinalIgnoreCase) || h.Name.Equals("j", StringComparison.OrdinalIgnoreCase))
                {
                    CallerPreferences.TryParse(h.Value, reject, out _);
                }
            }
        }

        return accept.Count == 0 && reject.Count == 0 ? null : selector.Select(accept, reject).Application?.Id;
    }

    private static bool IsPushedItemType(MediaType type) => type.Is("message", "sip") || type.Is("message", "sipfrag") || type.Is("message", "msrp");

    private static InboxIdentity? CarrierIdentity(DeferredMessage m)
    {
        if (m.Mode == DeferredMode.Pager && m.CallId is { Length: > 0 } callId && CSeqOf(m) is uint cseq)
        {
            return InboxIdentity.ForSipRequest(callId, cseq);
        }

        if (m.CallId is { Length: > 0 } sessionCallId && m.MessageId is { Length: > 0 } messageId)
        {
            return InboxIdentity.ForMsrpMessage(sessionCallId, messageId);
        }

        return null;
    }

    private static uint? CSeqOf(DeferredMessage m)
    {
        DeferredItem item = m.Items[0];
        if (item.Sip?.Headers.CSeq is { } cseq)
        {
            return cseq.Number;
        }

        string? text = item.FragmentHeaders?.GetValue("CSeq");
        if (text is null)
        {
            return null;
        }

        string number = text.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries) is [var first, ..] ? first : string.Empty;
        return uint.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out uint n) ? n : null;
    }

    private static NewInboxMessage Unparsed(byte[] raw, string contentType, string reason, IncomingSessionContext session, DateTimeOffset now) => new()
    {
        Source = MessageSource.DeferredPush,
        CallId = session.CallId,
        ReceivedAt = now,
        ContentType = contentType.Length > 0 && contentType.AsSpan().IndexOfAny('\r', '\n') < 0 ? contentType : "application/octet-stream",
        Body = ReadOnlyMemory<byte>.Empty,
        RawPart = raw,
        UnparsedReason = reason,
        Identities = [InboxIdentity.ForRawContent(raw)],
        ApplicationId = session.ApplicationId,
    };

    private static byte[] Concat(IReadOnlyList<DeferredItem> items)
    {
        int length = 0;
        foreach (DeferredItem item in items)
        {
            length += item.Raw.Length;
        }

        byte[] all = new byte[length];
        int at = 0;
        foreach (DeferredItem item in items)
        {
            item.Raw.Span.CopyTo(all.AsSpan(at));
            at += item.Raw.Length;
        }

        return all;
    }
}
