// SPDX-License-Identifier: MIT
using ImUeAgent.Msrp.Sdp;

namespace ImUeAgent.Im.Client.Sessions;

/// <summary>What an incoming MSRP offer is, and by which rule (so a log line can say why).</summary>
internal enum ChatOfferDecision : byte
{
    /// <summary>An IM session (7): a two-way conversation.</summary>
    Chat,

    /// <summary>a=sendonly / recvonly / inactive: the offerer only delivers (OMA CPM's Large Message Mode offer is
    /// sendonly; a conversation is sendrecv, RFC 3264 §5.1).</summary>
    OneWayDirection,

    /// <summary>a=file-selector (RFC 5547): a file transfer, taken as one message.</summary>
    FileSelector,

    /// <summary>The offer accepts what the IM Server pushes (message/sip, message/sipfrag, message/msrp: Appendix D.2).</summary>
    DeferredPushTypes,

    /// <summary>a=accept-types is only '*' (or missing): a store-and-forward peer, not a conversation partner, which
    /// names what it renders (RFC 4975 §8.6).</summary>
    AnyTypeOnly,

    /// <summary>Neither message/cpim nor text/plain among the accept-types: no conversation content.</summary>
    NoConversationType,

    /// <summary>One accept-type and no wrapped '*': the shape of a Large Message Mode offer that carries the one
    /// message's type (9). This client's own large-mode offer has it but also says sendonly, so
    /// <see cref="OneWayDirection"/> takes it first; this rule is for peers that name no direction.</summary>
    SingleMessageType,
}

/// <summary>
/// Tells an IM session INVITE from a Large Message Mode INVITE (9) or a deferred push (Appendix D.2). The seed's text
/// (7.1.1.1, 9.1.1.1) gives the two the same SIP headers — Accept-Contact '+g.oma.sip-im', Contact with it, timer —
/// so the decision is made on the SDP offer alone, by the rules of <see cref="ChatOfferDecision"/> in that order: a
/// session is a sendrecv MSRP offer, without a=file-selector, whose accept-types name conversation content
/// (message/cpim or text/plain) and more than one type or '*' inside CPIM. Anything else keeps the existing one-way
/// handling, which commits every SEND just the same: a misjudged chat loses no message, only the reply channel.
/// </summary>
internal static class ChatOfferClassifier
{
    public static ChatOfferDecision Classify(SdpSessionDescription sdp, MsrpMediaDescription offer)
    {
        ArgumentNullException.ThrowIfNull(sdp);
        ArgumentNullException.ThrowIfNull(offer);
        SdpMediaDescription? media = sdp.Media.FirstOrDefault(m => m.Media == "message" && m.Protocol is "TCP/MSRP" or "TCP/TLS/MSRP" && m.Port != 0);
        if (IsOneWay(media?.Attributes) || (!HasDirection(media?.Attributes) && IsOneWay(sdp.Attributes)))
        {
            return ChatOfferDecision.OneWayDirection;
        }

        if (media is not null && media.HasAttribute("file-selector"))
        {
            return ChatOfferDecision.FileSelector;
        }

        bool conversation = false;
        bool anyOnly = true;
        foreach (string type in offer.AcceptTypes)
        {
            if (type.Equals("message/sip", StringComparison.OrdinalIgnoreCase) || type.Equals("message/sipfrag", StringComparison.OrdinalIgnoreCase)
                || type.Equals("message/msrp", StringComparison.OrdinalIgnoreCase))
            {
                return ChatOfferDecision.DeferredPushTypes;
            }

            anyOnly &= type == "*";
            conversation |= type.Equals("message/cpim", StringComparison.OrdinalIgnoreCase) || type.Equals("text/plain", StringComparison.OrdinalIgnoreCase);
        }

        if (anyOnly)
        {
            return ChatOfferDecision.AnyTypeOnly;
        }

        if (!conversation)
        {
            return ChatOfferDecision.NoConversationType;
        }

        if (offer.AcceptTypes.Count == 1 && !offer.AcceptWrappedTypes.Contains("*"))
        {
            return ChatOfferDecision.SingleMessageType;
        }

        return ChatOfferDecision.Chat;
    }

    private static bool HasDirection(List<KeyValuePair<string, string?>>? attributes) =>
        attributes is not null && attributes.Exists(a => a.Key is "sendrecv" or "sendonly" or "recvonly" or "inactive");

    private static bool IsOneWay(List<KeyValuePair<string, string?>>? attributes) =>
        attributes is not null && attributes.Exists(a => a.Key is "sendonly" or "recvonly" or "inactive");
}
