// SPDX-License-Identifier: MIT
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Testbed.Im;

/// <summary>
/// The IM Server's Accept-Contact rule (OMA SIMPLE IM 6.1.2.2.2 step 5, 7.2.2.1 step 1, 8.3.2.1 step 2, as the change
/// request words them): every received Accept-Contact line is forwarded byte-exact — its feature tags (e.g.
/// <c>+g.3gpp.app_ref="…";explicit;require</c>) select the user equipment and the application, seed §1 — and
/// '+g.oma.sip-im' is added only when no Accept-Contact came or none of the received values carries it. It is added as
/// a value of its own, "*;+g.oma.sip-im": RFC 3841 §9.2 makes each value a separate predicate whose explicit/require
/// qualify that value only, so merging the IM tag into a received ";explicit;require" value would change what the
/// sender asked for (the seed's own D.2 example sends the two as separate headers).
/// </summary>
internal static class ImAcceptContact
{
    public const string SipImTag = "+g.oma.sip-im";

    public const string SipImValue = "*;" + SipImTag;

    /// <summary>True when some received Accept-Contact value carries '+g.oma.sip-im'.</summary>
    public static bool HasSipIm(SipMessage received)
    {
        ArgumentNullException.ThrowIfNull(received);
        foreach (var value in received.Headers.AcceptContact)
        {
            if (value.HasFeature(SipImTag))
            {
                return true;
            }
        }

        // A line the strict parser refuses may still carry the tag (the seed's "*;+g.oma.sip-im;" has a trailing ';').
        foreach (var header in received.Headers.GetAll(SipHeaderId.AcceptContact))
        {
            if (ContainsSipImText(header.Value))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Writes the outgoing Accept-Contact lines: the received ones copied exactly, then "*;+g.oma.sip-im" when
    /// needed. Returns true when it was added.</summary>
    public static bool CopyWithRule(SipMessage received, SipMessageBuilder outgoing)
    {
        ArgumentNullException.ThrowIfNull(outgoing);
        outgoing.CopyAll(received, SipHeaderId.AcceptContact);
        if (HasSipIm(received))
        {
            return false;
        }

        outgoing.Add(SipHeaderId.AcceptContact, SipImValue);
        return true;
    }

    internal static bool ContainsSipImText(string value)
    {
        foreach (var part in value.Split([';', ','], StringSplitOptions.TrimEntries))
        {
            var name = part.Split('=')[0].Trim();
            if (name.StartsWith('+') && string.Equals(name[1..], SipImTag[1..], StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
