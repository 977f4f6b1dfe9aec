// SPDX-License-Identifier: MIT
using System.Text;
using ImUeAgent.Im.Content;
using ImUeAgent.Im.FeatureTags;
using ImUeAgent.Im.Store;
using ImUeAgent.Sip.Message;
using ImUeAgent.Sip.Transport;
using ImUeAgent.Sip.Ua;

namespace ImUeAgent.Im.Client.Pager;

/// <summary>How an outgoing message is addressed (8.1.1 steps 5–7).</summary>
internal enum ImAddressing : byte
{
    /// <summary>One IM user, or a pre-defined IM group by its group identity (step 5, step 7a): Request-URI = it.</summary>
    Single,

    /// <summary>Several IM users (step 6): RFC 5365 resource list to the conference factory, sessiontype=adhoc.</summary>
    AdHocGroup,
}

/// <summary>The payload of one outgoing message: what goes in the MESSAGE body or the MSRP SEND.</summary>
internal sealed record OutgoingPayload(MediaType ContentType, byte[] Body);

/// <summary>Who sends: the own IM address (Authenticated Originator's IM Address, 5.1) and anonymity.</summary>
internal sealed record Originator(SipUri ImAddress, bool Anonymous)
{
    /// <summary>RFC 3323 §4.1.1.3: the anonymous From a UA uses when it asks for privacy.</summary>
    public static readonly SipUri AnonymousUri = SipUri.Parse("sip:anonymous@anonymous.invalid");

    public NameAddress FromAddress => Anonymous ? new NameAddress(AnonymousUri, "Anonymous") : new NameAddress(ImAddress);

    public string CpimFrom => Anonymous ? AnonymousUri.ToString() : ImAddress.ToString();
}

/// <summary>Builds the initial requests of the IM client (OMA SIMPLE IM 8.1.1 MESSAGE, 9.1.1.1 INVITE) and measures
/// them the way they will go on the wire, so the pager/large decision of 8.1 is made on the exact serialized size
/// (RFC 3428 §7 counts the whole request: Via, the preloaded Route set, CPIM wrapping and all).</summary>
internal static class OutgoingRequestFactory
{
    /// <summary>The methods this client handles (7.1.1.1 step 3: Allow lists all supported methods).</summary>
    public const string Allow = "INVITE, ACK, CANCEL, BYE, MESSAGE";

    /// <summary>RFC 5365 §5: the option-tag of a MESSAGE carrying a URI list.</summary>
    public const string RecipientListMessageOptionTag = "recipient-list-message";

    /// <summary>RFC 5366 §5: the option-tag of an INVITE carrying a URI list.</summary>
    public const string RecipientListInviteOptionTag = "recipient-list-invite";

    private const int BranchLength = 7 + 24;

    public static ImAddressing AddressingOf(IReadOnlyList<string> recipients) => recipients.Count > 1 ? ImAddressing.AdHocGroup : ImAddressing.Single;

    /// <summary>8.1.1 step 6c (E.5): the conference factory URI with sessiontype=adhoc.</summary>
    public static SipUri AdHocRequestUri(string conferenceFactoryUri)
    {
        string text = conferenceFactoryUri;
        if (!text.Contains(";sessiontype=", StringComparison.OrdinalIgnoreCase))
        {
            int headers = text.IndexOf('?', StringComparison.Ordinal);
            text = headers < 0 ? text + ";sessiontype=adhoc" : text[..headers] + ";sessiontype=adhoc" + text[headers..];
        }

        return SipUri.Parse(text);
    }

    /// <summary>The message content: a CPIM wrapper with the RFC 5438 IMDN request when notifications are asked for
    /// (the Message-ID kept in the outbox correlates them), otherwise the content as the application gave it.</summary>
    public static OutgoingPayload BuildPayload(OutboxMessage message, MediaType contentType, Originator originator, DateTimeOffset now)
    {
        if (message.ImdnRequested == ImdnDispositions.None)
        {
            return new OutgoingPayload(contentType, message.Body.ToArray());
        }

        var cpim = new CpimMessageBuilder().From(new CpimAddress(originator.CpimFrom));
        foreach (string recipient in message.Recipients)
        {
            cpim.To(new CpimAddress(recipient));
        }

        byte[] body = cpim.DateTime(now)
            .RequestImdn(message.MessageId, ToDispositionNotification(message.ImdnRequested))
            .ContentType(contentType)
            .Body(message.Body)
            .Build();
        return new OutgoingPayload(Cpim.MediaType, body);
    }

    /// <summary>8.1.1: the MESSAGE template (no Via: the UA adds it with the preloaded route).</summary>
    public static SipRequest BuildMessage(IReadOnlyList<string> recipients, string? conferenceFactoryUri, OutgoingPayload payload, Originator originator,
        ClientFeatureTagPolicy policy, string userAgent, string callId)
    {
        (SipUri requestUri, MediaType contentType, byte[] body, bool list) = Address(recipients, conferenceFactoryUri, new MimePart(payload.ContentType, payload.Body), payload);
        SipMessageBuilder b = Start(SipMethod.Message, requestUri, originator, callId);
        AddInitialRequestHeaders(b, originator, policy, userAgent);
        if (list)
        {
            b.Add(SipHeaderId.Require, RecipientListMessageOptionTag);
        }

        b.Body(contentType, body);
        return b.BuildRequest();
    }

    /// <summary>9.1.1.1: the Large Message Mode INVITE with the MSRP SDP offer (a resource list beside it for
    /// several recipients, RFC 5366), Contact with '+g.oma.sip-im', Supported: timer, Session-Expires refresher=uac.</summary>
    public static SipRequest BuildInvite(IReadOnlyList<string> recipients, string? conferenceFactoryUri, string sdpOffer, Originator originator,
        ClientFeatureTagPolicy policy, string userAgent, string callId, ContactValue contact, int sessionExpires)
    {
        var sdp = new OutgoingPayload(new MediaType("application", "sdp"), Encoding.UTF8.GetBytes(sdpOffer));
        (SipUri requestUri, MediaType contentType, byte[] body, bool list) = Address(recipients, conferenceFactoryUri, new MimePart(sdp.ContentType, sdp.Body), sdp);
        SipMessageBuilder b = Start(SipMethod.Invite, requestUri, originator, callId);
        b.Contact(contact);
        AddInitialRequestHeaders(b, originator, policy, userAgent);
        b.Add(SipHeaderId.Supported, "timer");
        b.Add(SipHeaderId.SessionExpires, sessionExpires.ToString(System.Globalization.CultureInfo.InvariantCulture) + ";refresher=uac");
        if (list)
        {
            b.Add(SipHeaderId.Require, RecipientListInviteOptionTag);
        }

        b.Body(contentType, body);
        return b.BuildRequest();
    }

    /// <summary>A pager-mode MESSAGE carrying an IMDN (RFC 5438 §7.1.1) back to the sender of a received message.</summary>
    public static SipRequest BuildNotification(SipUri target, byte[] cpimBody, Originator originator, ClientFeatureTagPolicy policy, string userAgent, string callId)
    {
        SipMessageBuilder b = Start(SipMethod.Message, target, originator, callId);
        AddInitialRequestHeaders(b, originator, policy, userAgent);
        b.Body(Cpim.MediaType, cpimBody);
        return b.BuildRequest();
    }

    /// <summary>The size the request will have on the wire once <see cref="SipUserAgent.SendAsync"/> added its Via
    /// (branch of fixed length, rport) and the preloaded Route set, with the RFC 3261 §18.1.1 UDP→TCP switch applied
    /// as the UA applies it (the switch may change the Via's sent-by).</summary>
    public static int PredictWireLength(SipRequest template, SipUserAgent userAgent)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(userAgent);
        bool inDialog = template.Headers.To?.Tag is not null;
        IReadOnlyList<NameAddress> preload = inDialog || template.Headers.Contains(SipHeaderId.Route) ? [] : userAgent.PreloadedRoute;
        int extra = 0;
        foreach (NameAddress route in preload)
        {
            extra += "Route: ".Length + Encoding.UTF8.GetByteCount(route.ToString()) + 2;
        }

        if (!template.Headers.Contains(SipHeaderId.MaxForwards))
        {
            extra += "Max-Forwards: 70\r\n".Length;
        }

        SipTransportKind kind = NextHopTransport(template, preload, userAgent);
        int length = template.Length + extra + ViaLength(userAgent, kind);
        if (kind == SipTransportKind.Udp && length > userAgent.Transports.MtuLimit && userAgent.Transports.Find(SipTransportKind.Tcp) is not null)
        {
            length = template.Length + extra + ViaLength(userAgent, SipTransportKind.Tcp);
        }

        return length;
    }

    public static DispositionNotification ToDispositionNotification(ImdnDispositions d) =>
        ((d & ImdnDispositions.PositiveDelivery) != 0 ? DispositionNotification.PositiveDelivery : DispositionNotification.None)
        | ((d & ImdnDispositions.NegativeDelivery) != 0 ? DispositionNotification.NegativeDelivery : DispositionNotification.None)
        | ((d & ImdnDispositions.Display) != 0 ? DispositionNotification.Display : DispositionNotification.None)
        | ((d & ImdnDispositions.Processing) != 0 ? DispositionNotification.Processing : DispositionNotification.None);

    public static ImdnDispositions ToImdnDispositions(DispositionNotification d) =>
        ((d & DispositionNotification.PositiveDelivery) != 0 ? ImdnDispositions.PositiveDelivery : ImdnDispositions.None)
        | ((d & DispositionNotification.NegativeDelivery) != 0 ? ImdnDispositions.NegativeDelivery : ImdnDispositions.None)
        | ((d & DispositionNotification.Display) != 0 ? ImdnDispositions.Display : ImdnDispositions.None)
        | ((d & DispositionNotification.Processing) != 0 ? ImdnDispositions.Processing : ImdnDispositions.None);

    private static (SipUri RequestUri, MediaType ContentType, byte[] Body, bool List) Address(IReadOnlyList<string> recipients, string? conferenceFactoryUri,
        MimePart part, OutgoingPayload single)
    {
        if (AddressingOf(recipients) == ImAddressing.Single)
        {
            return (SipUri.Parse(recipients[0]), single.ContentType, single.Body, false);
        }

        if (conferenceFactoryUri is null)
        {
            throw new ImSendException(ImSendError.NoConferenceFactory, "Several recipients need the conference factory URI (8.1.1 step 6b)");
        }

        byte[] body = RecipientListBody.Build(recipients.Select(r => new RecipientEntry(r)), part, out MediaType multipart);
        return (AdHocRequestUri(conferenceFactoryUri), multipart, body, true);
    }

    private static SipMessageBuilder Start(SipMethod method, SipUri requestUri, Originator originator, string callId)
    {
        // To carries the Request-URI without URI parameters that only steer the request (sessiontype).
        SipUri to = requestUri.Parameters.Contains("sessiontype")
            ? SipUri.Parse(requestUri.ToString()[..requestUri.ToString().IndexOf(";sessiontype=", StringComparison.OrdinalIgnoreCase)])
            : requestUri;
        return SipMessageBuilder.Request(method, requestUri)
            .MaxForwards(70)
            .From(originator.FromAddress.WithParameter(new SipParameter("tag", SipUserAgent.NewTag())))
            .To(new NameAddress(to))
            .CallId(callId)
            .CSeq(1, method);
    }

    private static void AddInitialRequestHeaders(SipMessageBuilder b, Originator originator, ClientFeatureTagPolicy policy, string userAgent)
    {
        // 8.1.1 step 1 / 9.1.1.1 step 1: '+g.oma.sip-im' beside the application's own predicates, byte-exact.
        policy.AddAcceptContact(b);
        // 8.1.1 step 2 (5.1): the Authenticated Originator's IM Address; in IMS the UE asks for it with
        // P-Preferred-Identity and the P-CSCF asserts it (TS 24.229 §5.1.2A.1.1).
        b.Add(SipHeaderId.PPreferredIdentity, "<" + originator.ImAddress + ">");
        if (originator.Anonymous)
        {
            // 8.1.1 step 4 / 9.1.1.1 step 4: RFC 3325 privacy of the asserted identity.
            b.Add(SipHeaderId.Privacy, "id");
        }

        b.Add(SipHeaderId.UserAgent, userAgent);
        b.Add(SipHeaderId.Allow, Allow);
    }

    private static SipTransportKind NextHopTransport(SipRequest template, IReadOnlyList<NameAddress> preload, SipUserAgent userAgent)
    {
        if (userAgent.OutboundProxy is { } proxy)
        {
            return proxy.Transport;
        }

        SipUri uri = preload.Count > 0 ? preload[0].Uri
            : template.Headers.Route is { Count: > 0 } routes ? routes[0].Uri
            : template.RequestUri;
        if (uri.Scheme == SipUriScheme.Sips)
        {
            return SipTransportKind.Tls;
        }

        if (SipTransportKinds.TryParse(uri.Transport, out SipTransportKind named))
        {
            return named;
        }

        // The UA's preferred transport shows in the Contact URI it makes without an explicit transport.
        return SipTransportKinds.TryParse(userAgent.ContactUri(null).Transport, out SipTransportKind preferred) ? preferred : SipTransportKind.Udp;
    }

    private static int ViaLength(SipUserAgent userAgent, SipTransportKind kind)
    {
        ISipTransport transport = userAgent.Transports.Find(kind) ?? userAgent.Transports.Transports[0];
        var via = new ViaValue(kind.ToViaToken(), transport.LocalEndPoint.Address.ToString(), transport.LocalEndPoint.Port, new string('0', BranchLength), rport: true);
        return "Via: ".Length + Encoding.UTF8.GetByteCount(via.ToString()) + 2;
    }
}
