// SPDX-License-Identifier: MIT
using System.Text;
using ImUeAgent.Im.Content;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Im.FeatureTags;

/// <summary>OMA SIMPLE IM feature tag constants.</summary>
public static class ImFeatureTags
{
    /// <summary>The IM feature tag (OMA SIMPLE IM 7.1.1.1 step 1 and 4, Appendix E).</summary>
    public const string SipIm = "+g.oma.sip-im";

    /// <summary>The Accept-Contact value the IM feature tag is sent in: its own predicate, no explicit/require (the
    /// seed's Appendix D.2 example "Accept-Contact: *;+g.oma.sip-im").</summary>
    public const string SipImAcceptContact = "*;" + SipIm;

    public static FeatureParameter SipImParameter { get; } = new(SipIm);

    public static bool IsSipIm(FeatureParameter parameter) => parameter is not null && parameter.IsSameTag(SipIm);
}

/// <summary>Reads Accept-Contact / Reject-Contact values with the SIP layer's grammar (RFC 3841 §9.2), tolerating one
/// erratum of the seed's examples: a value written without the leading "*" ("Accept-Contact:
/// +g.3gpp.app_ref=\"&lt;value&gt;\";explicit;require"), read as if "*;" preceded it.</summary>
public static class CallerPreferences
{
    /// <summary>Parses one header value (possibly a comma list). Returns false when it is not RFC 3841 shaped even
    /// after the "*;" repair; <paramref name="repaired"/> says whether the repair was needed.</summary>
    public static bool TryParse(string value, List<CallerPreferenceValue> sink, out bool repaired)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(sink);
        repaired = false;
        if (TryParseExact(value, sink))
        {
            return true;
        }

        string trimmed = value.Trim();
        if (trimmed.Length > 0 && trimmed[0] != '*' && TryParseExact("*;" + trimmed, sink))
        {
            repaired = true;
            return true;
        }

        return false;
    }

    /// <summary>The Accept-Contact predicates of a received request, read header by header so that one malformed
    /// value does not hide the others (the typed accessor of the SIP layer returns nothing when any value is bad).</summary>
    public static IReadOnlyList<CallerPreferenceValue> ReadAcceptContact(SipMessage message) => Read(message, SipHeaderId.AcceptContact);

    public static IReadOnlyList<CallerPreferenceValue> ReadRejectContact(SipMessage message) => Read(message, SipHeaderId.RejectContact);

    private static List<CallerPreferenceValue> Read(SipMessage message, SipHeaderId id)
    {
        ArgumentNullException.ThrowIfNull(message);
        IReadOnlyList<CallerPreferenceValue> typed = id == SipHeaderId.AcceptContact ? message.Headers.AcceptContact : message.Headers.RejectContact;
        if (typed.Count > 0 || !message.Headers.Contains(id))
        {
            return [.. typed];
        }

        var list = new List<CallerPreferenceValue>();
        foreach (SipHeader h in message.Headers.GetAll(id))
        {
            TryParse(h.Value, list, out _);
        }

        return list;
    }

    private static bool TryParseExact(string value, List<CallerPreferenceValue> sink)
    {
        SipRequest? m = SipHeaderText.ParseHeaders([("Accept-Contact", value)]);
        if (m is null || m.Headers.Validate(SipHeaderId.AcceptContact) != SipParseError.None)
        {
            return false;
        }

        sink.AddRange(m.Headers.AcceptContact);
        return true;
    }

    /// <summary>Parses feature parameters written as contact parameters, e.g. "+g.3gpp.icsi-ref=\"urn%3A…\"" or
    /// ";+g.oma.sip-im;+g.3gpp.iari-ref=\"…\"" (RFC 3840 §9), byte-exact.</summary>
    public static bool TryParseFeatureParameters(string text, out IReadOnlyList<FeatureParameter> features)
    {
        ArgumentNullException.ThrowIfNull(text);
        features = [];
        string t = text.Trim();
        if (t.Length == 0)
        {
            return false;
        }

        var sb = new StringBuilder("<sip:parse.invalid>");
        if (t[0] != ';')
        {
            sb.Append(';');
        }

        sb.Append(t);
        SipRequest? m = SipHeaderText.ParseHeaders([("Contact", sb.ToString())]);
        if (m is null || m.Headers.Contact is not [{ } contact])
        {
            return false;
        }

        // Everything given must be a feature tag: a stray generic parameter is a configuration mistake.
        if (contact.FeatureTags.Count != contact.Parameters.Count || contact.FeatureTags.Count == 0)
        {
            return false;
        }

        features = contact.FeatureTags;
        return true;
    }
}
