// SPDX-License-Identifier: MIT
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Im.FeatureTags;

/// <summary>The IM Server's Accept-Contact rule for the requests it originates towards an IM Client (OMA SIMPLE IM
/// 6.1.2.2.2 step 5, 7.2.2.1 step 1, 8.3.2.1 step 2): every Accept-Contact value received from the inviting client is
/// forwarded byte-exact (its feature tags "may be used for the selection of appropriate user equipment … and … to find
/// an appropriate application", seed §1), and '+g.oma.sip-im' is added — as its own "*;+g.oma.sip-im" value, see
/// <see cref="ClientFeatureTagPolicy"/> for why — only when no Accept-Contact came or none of the received values
/// has that tag. Pure: used by the testbed's IM server.</summary>
public static class ImServerAcceptContactRule
{
    /// <summary>Whether '+g.oma.sip-im' must be added to what was received.</summary>
    public static bool NeedsSipIm(SipMessage received)
    {
        ArgumentNullException.ThrowIfNull(received);
        foreach (CallerPreferenceValue v in CallerPreferences.ReadAcceptContact(received))
        {
            if (v.HasFeature(ImFeatureTags.SipIm))
            {
                return false;
            }
        }

        // A value that even the lenient reader cannot parse may still carry the tag as text.
        foreach (SipHeader h in received.Headers.GetAll(SipHeaderId.AcceptContact))
        {
            if (ContainsSipImText(h.Value))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Writes the Accept-Contact headers of the outgoing request: the received lines copied exactly
    /// (<see cref="SipMessageBuilder.AddRaw"/>, folding and spelling kept), then "*;+g.oma.sip-im" when needed.</summary>
    public static void Apply(SipMessage received, SipMessageBuilder outgoing)
    {
        ArgumentNullException.ThrowIfNull(received);
        ArgumentNullException.ThrowIfNull(outgoing);
        outgoing.CopyAll(received, SipHeaderId.AcceptContact);
        if (NeedsSipIm(received))
        {
            outgoing.Add(SipHeaderId.AcceptContact, ImFeatureTags.SipImAcceptContact);
        }
    }

    /// <summary>The same rule on header values as text (received values unchanged, in order).</summary>
    public static IReadOnlyList<string> OutgoingValues(IReadOnlyList<string> received)
    {
        ArgumentNullException.ThrowIfNull(received);
        var result = new List<string>(received);
        foreach (string value in received)
        {
            var parsed = new List<CallerPreferenceValue>();
            if ((CallerPreferences.TryParse(value, parsed, out _) && parsed.Exists(p => p.HasFeature(ImFeatureTags.SipIm))) || ContainsSipImText(value))
            {
                return result;
            }
        }

        result.Add(ImFeatureTags.SipImAcceptContact);
        return result;
    }

    private static bool ContainsSipImText(string value)
    {
        foreach (string part in value.Split([';', ','], StringSplitOptions.TrimEntries))
        {
            string name = part.Split('=')[0].Trim();
            if (name.Length > 0 && ImFeatureTags.SipImParameter.IsSameTag(name))
            {
                return true;
            }
        }

        return false;
    }
}
