// SPDX-License-Identifier: MIT
using ImUeAgent.Im.Client.Pager;
using ImUeAgent.Im.Content;
using ImUeAgent.Im.Store;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Im.Client;

/// <summary>A received IMDN (RFC 5438 §7.2) about one of our outgoing messages, with who sent it.</summary>
internal sealed record ReceivedNotification(ImdnNotification Notification, string? From);

/// <summary>What a received body holds once a CPIM wrapper is opened: an instant message (inner type and body, the
/// IMDN Message-ID and request, CPIM From and DateTime) or a disposition notification.</summary>
internal sealed record ReceivedContent
{
    public required string ContentType { get; init; }

    public required ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>CPIM From URI (the end-to-end sender: for a group message the IM Server asserts the group identity in
    /// SIP, 8.3.2.1 step 4a, while CPIM From names the member who wrote it).</summary>
    public string? CpimFrom { get; init; }

    public string? CpimFromName { get; init; }

    public DateTimeOffset? DateTime { get; init; }

    public string? ImdnMessageId { get; init; }

    public ImdnDispositions ImdnRequested { get; init; }

    public ReceivedNotification? Notification { get; init; }

    public ContentError Error { get; init; }

    public long ErrorOffset { get; init; }

    public bool IsError => Error != ContentError.None;

    public string Describe() => $"{Error} at byte {ErrorOffset}: {ContentErrors.Describe(Error)}";

    /// <summary>Reads a body by its Content-Type text (kept byte-exact for the store, parameters included, so a
    /// message/external-body reference, RFC 4483, reaches the application intact).</summary>
    public static ReceivedContent Read(string contentType, ReadOnlyMemory<byte> body, string? sipSender)
    {
        if (!MimeMediaType.TryParse(contentType, out MediaType? type))
        {
            return Fail(ContentError.InvalidContentType, 0, contentType, body);
        }

        if (type.Is("message", "imdn+xml"))
        {
            return ReadNotification(contentType, body, sipSender, null);
        }

        if (!type.Is("message", "cpim"))
        {
            if (type.Is("message", "external-body") && ExternalBody.Parse(type, body) is { IsSuccess: false } r)
            {
                // RFC 4483: a reference without a usable URL is of no use to the application.
                return Fail(r.Error, r.Offset, contentType, body);
            }

            return new ReceivedContent { ContentType = contentType, Body = body };
        }

        ContentResult<CpimMessage> parsed = Cpim.Parse(body);
        if (!parsed.IsSuccess)
        {
            ContentResult<CpimMessage> lenient = Cpim.Parse(body, CpimParseOptions.Lenient);
            if (!lenient.IsSuccess)
            {
                return Fail(parsed.Error, parsed.Offset, contentType, body);
            }

            parsed = lenient;
        }

        CpimMessage cpim = parsed.Value!;
        string innerType = cpim.ContentHeaders.GetValue("Content-Type")?.Trim() is { Length: > 0 } t ? t : "text/plain";
        if (cpim.ContentType is { } inner && inner.Is("message", "imdn+xml"))
        {
            return ReadNotification(innerType, cpim.Body, cpim.From?.Uri ?? sipSender, cpim);
        }

        string? imdnId = cpim.ImdnMessageId;
        return new ReceivedContent
        {
            ContentType = innerType,
            Body = cpim.Body,
            CpimFrom = cpim.From?.Uri,
            CpimFromName = cpim.From?.FormalName,
            DateTime = cpim.DateTime,
            ImdnMessageId = Imdn.IsValidMessageId(imdnId) ? imdnId : null,
            ImdnRequested = Imdn.IsValidMessageId(imdnId) ? OutgoingRequestFactory.ToImdnDispositions(cpim.DispositionNotification) : ImdnDispositions.None,
        };
    }

    /// <summary>The identities a message is recognised by when it comes again (InboxIdentity docs): the carrier's
    /// (SIP request or MSRP message) and the IMDN Message-ID scoped by the CPIM sender.</summary>
    public List<InboxIdentity> Identities(InboxIdentity carrier)
    {
        var list = new List<InboxIdentity> { carrier };
        if (ImdnMessageId is not null && CpimFrom is not null)
        {
            list.Add(InboxIdentity.ForImdnMessageId(CpimFrom, ImdnMessageId));
        }

        return list;
    }

    private static ReceivedContent ReadNotification(string contentType, ReadOnlyMemory<byte> xml, string? from, CpimMessage? cpim)
    {
        ContentResult<ImdnNotification> n = ImdnDocument.Parse(xml);
        if (!n.IsSuccess)
        {
            return Fail(n.Error, n.Offset < 0 ? 0 : n.Offset, contentType, xml);
        }

        return new ReceivedContent
        {
            ContentType = contentType,
            Body = xml,
            CpimFrom = cpim?.From?.Uri,
            Notification = new ReceivedNotification(n.Value!, n.Value!.RecipientUri ?? from),
        };
    }

    private static ReceivedContent Fail(ContentError error, long offset, string contentType, ReadOnlyMemory<byte> body) =>
        new() { ContentType = contentType, Body = body, Error = error, ErrorOffset = offset };
}
