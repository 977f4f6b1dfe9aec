// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Text;
using ImUeAgent.Im.Client.Pager;
using ImUeAgent.Im.Content;
using ImUeAgent.Im.FeatureTags;
using ImUeAgent.Sip.Dialogs;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Im.Client.Sessions;

/// <summary>The SIP requests and responses of an IM session (OMA SIMPLE IM 7.1.1.1): the initial INVITE (1-1 or to
/// the conference factory with a URI list), session refreshes (RFC 4028), the 2xx answering an INVITE, and the
/// conference event package SUBSCRIBE (RFC 4575, 7.1.1.11).</summary>
internal static class ChatRequestFactory
{
    /// <summary>7.1.1.1 step 3: every method a session of this client handles (UPDATE for RFC 4028 refreshes, NOTIFY
    /// for the conference event package).</summary>
    public const string Allow = "INVITE, ACK, CANCEL, BYE, MESSAGE, UPDATE, NOTIFY";

    /// <summary>RFC 4575 §3: the conference event package.</summary>
    public const string ConferenceEvent = "conference";

    public static readonly MediaType Sdp = new("application", "sdp");

    /// <summary>7.1.1.1: the session INVITE. One peer: Request-URI = the peer. Ad-hoc group: Request-URI = the
    /// conference factory URI with sessiontype=adhoc (E.5), multipart/mixed of SDP and the RFC 5366 URI list, and
    /// Require: recipient-list-invite.</summary>
    public static SipRequest BuildInvite(string? peerUri, IReadOnlyList<string>? participants, string? conferenceFactoryUri, string sdpOffer,
        Originator originator, ClientFeatureTagPolicy policy, string userAgent, string callId, string fromTag, uint cseq, ContactValue contact,
        uint sessionExpires, string? subject)
    {
        byte[] sdp = Encoding.UTF8.GetBytes(sdpOffer);
        SipUri requestUri;
        SipUri to;
        MediaType contentType = Sdp;
        byte[] body = sdp;
        bool list = participants is not null;
        if (list)
        {
            requestUri = OutgoingRequestFactory.AdHocRequestUri(conferenceFactoryUri ?? throw new ArgumentNullException(nameof(conferenceFactoryUri)));
            to = SipUri.Parse(conferenceFactoryUri);
            body = RecipientListBody.Build(participants!.Select(p => new RecipientEntry(p)), new MimePart(Sdp, sdp), out contentType);
        }
        else
        {
            requestUri = SipUri.Parse(peerUri ?? throw new ArgumentNullException(nameof(peerUri)));
            to = requestUri;
        }

        SipMessageBuilder b = SipMessageBuilder.Request(SipMethod.Invite, requestUri)
            .MaxForwards(70)
            .From(originator.FromAddress.WithParameter(new SipParameter("tag", fromTag)))
            .To(new NameAddress(to))
            .CallId(callId)
            .CSeq(cseq, SipMethod.Invite)
            .Contact(contact);
        AddInitialRequestHeaders(b, originator, policy, userAgent);
        // 7.1.1.1 steps 6-7: 'timer' supported, Session-Expires with refresher=uac (RFC 4028 §7.1).
        b.Add(SipHeaderId.Supported, "timer");
        b.Add(SipHeaderId.SessionExpires, sessionExpires.ToString(CultureInfo.InvariantCulture) + ";refresher=uac");
        if (sessionExpires > SessionInterval.MinimumSeconds)
        {
            b.Add(SipHeaderId.MinSE, SessionInterval.MinimumSeconds.ToString(CultureInfo.InvariantCulture));
        }

        if (list)
        {
            b.Add(SipHeaderId.Require, OutgoingRequestFactory.RecipientListInviteOptionTag);
        }

        if (!string.IsNullOrEmpty(subject))
        {
            b.Add(SipHeaderId.Subject, subject);
        }

        b.Body(contentType, body);
        return b.BuildRequest();
    }

    /// <summary>RFC 4028 §7.4/§10: a session refresh within the dialog — UPDATE without a body when the peer allows
    /// UPDATE (RFC 3311), else a re-INVITE with the unchanged session description (RFC 3264 §8: same version is
    /// allowed; we bump it because some peers demand a fresh o= version on every offer).</summary>
    public static SipRequest BuildRefresh(SipDialog dialog, bool update, string? sdpOffer, ContactValue contact, SessionInterval interval, string userAgent)
    {
        SipMessageBuilder b = dialog.CreateRequest(update ? SipMethod.Update : SipMethod.Invite)
            .Contact(contact)
            .Add(SipHeaderId.UserAgent, userAgent)
            .Add(SipHeaderId.Allow, Allow)
            .Add(SipHeaderId.Supported, "timer")
            .Add(SipHeaderId.SessionExpires, interval.ForRequest);
        if (!update && sdpOffer is not null)
        {
            b.Body(Sdp, Encoding.UTF8.GetBytes(sdpOffer));
        }

        return b.BuildRequest();
    }

    /// <summary>The 2xx to an INVITE, re-INVITE or UPDATE of a session: Contact with '+g.oma.sip-im' (as 7.1.1.1
    /// step 4 asks of every request), Allow, Supported: timer, the interval with Require: timer when the peer is the
    /// refresher (RFC 4028 §9), and the SDP when there is one to give.</summary>
    public static SipResponse BuildAnswer(SipRequest request, string? localTag, ContactValue contact, SessionInterval? interval, string? sdpAnswer, string userAgent)
    {
        SipMessageBuilder ok = SipMessageBuilder.ResponseTo(request, 200, toTag: request.Headers.To?.Tag is null ? localTag : null)
            .Contact(contact)
            .Add(SipHeaderId.Allow, Allow)
            .Add(SipHeaderId.Supported, "timer")
            .Add(SipHeaderId.Server, userAgent);
        if (interval is { } i)
        {
            ok.Add(SipHeaderId.SessionExpires, i.ForResponse);
            if (!i.LocalRefresher)
            {
                ok.Add(SipHeaderId.Require, "timer");
            }
        }

        if (sdpAnswer is not null)
        {
            ok.Body(Sdp, Encoding.UTF8.GetBytes(sdpAnswer));
        }

        return ok.BuildResponse();
    }

    /// <summary>7.1.1.11 / RFC 4575 §3: the initial SUBSCRIBE to the conference event package of the focus (the
    /// session identity in the 2xx Contact), an initial request, so with the 7.1.1.1 headers.</summary>
    public static SipRequest BuildSubscribe(SipUri focus, Originator originator, ClientFeatureTagPolicy policy, string userAgent, string callId, string fromTag,
        ContactValue contact, uint expires)
    {
        SipMessageBuilder b = SipMessageBuilder.Request(SipMethod.Subscribe, focus)
            .MaxForwards(70)
            .From(originator.FromAddress.WithParameter(new SipParameter("tag", fromTag)))
            .To(new NameAddress(focus))
            .CallId(callId)
            .CSeq(1, SipMethod.Subscribe)
            .Contact(contact);
        AddInitialRequestHeaders(b, originator, policy, userAgent);
        AddSubscriptionHeaders(b, expires);
        return b.BuildRequest();
    }

    /// <summary>RFC 6665 §4.1.2.1/§4.1.2.3: a refresh (or, with 0, the end) of the subscription within its dialog.</summary>
    public static SipRequest BuildResubscribe(SipDialog dialog, ContactValue contact, string userAgent, uint expires)
    {
        SipMessageBuilder b = dialog.CreateRequest(SipMethod.Subscribe)
            .Contact(contact)
            .Add(SipHeaderId.UserAgent, userAgent);
        AddSubscriptionHeaders(b, expires);
        return b.BuildRequest();
    }

    private static void AddSubscriptionHeaders(SipMessageBuilder b, uint expires)
    {
        b.Add(SipHeaderId.Event, ConferenceEvent);
        b.Add(SipHeaderId.Accept, ConferenceInfo.MediaType.ToString());
        b.Add(SipHeaderId.Expires, expires.ToString(CultureInfo.InvariantCulture));
    }

    private static void AddInitialRequestHeaders(SipMessageBuilder b, Originator originator, ClientFeatureTagPolicy policy, string userAgent)
    {
        // 7.1.1.1 step 1: '+g.oma.sip-im' beside the application's own predicates, byte-exact.
        policy.AddAcceptContact(b);
        // 5.1: the Authenticated Originator's IM Address, asked for with P-Preferred-Identity (TS 24.229 §5.1.2A.1.1).
        b.Add(SipHeaderId.PPreferredIdentity, "<" + originator.ImAddress + ">");
        if (originator.Anonymous)
        {
            // 7.1.1.1 step 5: RFC 3325 privacy.
            b.Add(SipHeaderId.Privacy, "id");
        }

        // 7.1.1.1 steps 2-3.
        b.Add(SipHeaderId.UserAgent, userAgent);
        b.Add(SipHeaderId.Allow, Allow);
    }
}
