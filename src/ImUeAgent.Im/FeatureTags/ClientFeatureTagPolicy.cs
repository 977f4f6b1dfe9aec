// SPDX-License-Identifier: MIT
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Im.FeatureTags;

/// <summary>The application's feature tags, as configured: Accept-Contact predicates (e.g.
/// "+g.3gpp.app_ref=\"&lt;value&gt;\";explicit;require", with or without the leading "*;") and the feature tags it
/// registers in Contact (e.g. "+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg\"",
/// "+g.3gpp.iari-ref=\"…\"").</summary>
public sealed record ImFeatureTagSettings
{
    /// <summary>One entry per Accept-Contact value (each is a separate RFC 3841 predicate).</summary>
    public IReadOnlyList<string> AcceptContact { get; init; } = [];

    /// <summary>One entry per feature tag (or several in one entry, separated by ';').</summary>
    public IReadOnlyList<string> ContactFeatureTags { get; init; } = [];
}

/// <summary>The IM client's feature tag policy for every initial request and for REGISTER (OMA SIMPLE IM 5.2.4 step
/// 4, 7.1.1.1 steps 1 and 4, 8.1.1 step 1, 9.1.1.1 steps 1 and 3).
/// <para>Accept-Contact shape (decision): '+g.oma.sip-im' goes in a value of its own, "*;+g.oma.sip-im", placed before
/// the application's values, and each application value is sent as configured (only "*;" is prepended when the
/// configuration omits it). Why: the seed requires the IM tag "in addition to any other feature tags added by the IM
/// Client, according to rules and procedures of [RFC3841]", and its own Appendix D.2 example sends exactly this
/// shape ("Accept-Contact: *;+g.oma.sip-im" and "Accept-Contact: +g.3gpp.app_ref=\"&lt;value&gt;\";explicit;require"
/// as two headers). RFC 3841 §9.2 makes each Accept-Contact value a separate predicate whose feature parameters are
/// ANDed and whose explicit/require modifiers qualify that value only; merging '+g.oma.sip-im' into an application
/// value that carries ";explicit;require" would extend the require to the IM tag and discard contacts (and
/// applications) the application wanted to reach, and adding "require" to the IM value would change the
/// application's own predicate's meaning. Separate values keep the application's predicate byte-exact and
/// meaning-exact. When the application's values already contain '+g.oma.sip-im' nothing is added.</para></summary>
public sealed class ClientFeatureTagPolicy
{
    private ClientFeatureTagPolicy(IReadOnlyList<string> acceptContactValues, IReadOnlyList<CallerPreferenceValue> predicates, IReadOnlyList<FeatureParameter> contactFeatures)
    {
        AcceptContactValues = acceptContactValues;
        AcceptContactPredicates = predicates;
        ContactFeatures = contactFeatures;
    }

    /// <summary>The Accept-Contact header values for every initial request, wire text, in order.</summary>
    public IReadOnlyList<string> AcceptContactValues { get; }

    /// <summary>The same values parsed (for tests and for local matching).</summary>
    public IReadOnlyList<CallerPreferenceValue> AcceptContactPredicates { get; }

    /// <summary>Contact feature parameters: '+g.oma.sip-im' then the application's tags, byte-exact.</summary>
    public IReadOnlyList<FeatureParameter> ContactFeatures { get; }

    /// <summary>Validates the configuration and builds the policy. Throws <see cref="ArgumentException"/> naming the
    /// entry that is not RFC 3841 / RFC 3840 valid (configuration errors surface at start, never on the wire).</summary>
    public static ClientFeatureTagPolicy Create(ImFeatureTagSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var values = new List<string>();
        var predicates = new List<CallerPreferenceValue>();
        bool appHasSipIm = false;
        for (int i = 0; i < settings.AcceptContact.Count; i++)
        {
            string entry = settings.AcceptContact[i]?.Trim() ?? string.Empty;
            string wire = entry.StartsWith('*') ? entry : "*;" + entry;
            var parsed = new List<CallerPreferenceValue>();
            if (entry.Length == 0 || !CallerPreferences.TryParse(wire, parsed, out bool repaired) || repaired || parsed.Count != 1)
            {
                throw new ArgumentException(
                    $"AcceptContact[{i}] is not one RFC 3841 Accept-Contact value (\"*\" and feature parameters, at most one explicit and one require): {entry}",
                    nameof(settings));
            }

            if (parsed[0].Features.Count == 0)
            {
                throw new ArgumentException($"AcceptContact[{i}] has no feature tag: {entry}", nameof(settings));
            }

            appHasSipIm |= parsed[0].HasFeature(ImFeatureTags.SipIm);
            values.Add(wire);
            predicates.Add(parsed[0]);
        }

        if (!appHasSipIm)
        {
            var own = new List<CallerPreferenceValue>();
            CallerPreferences.TryParse(ImFeatureTags.SipImAcceptContact, own, out _);
            values.Insert(0, ImFeatureTags.SipImAcceptContact);
            predicates.Insert(0, own[0]);
        }

        var contact = new List<FeatureParameter> { ImFeatureTags.SipImParameter };
        for (int i = 0; i < settings.ContactFeatureTags.Count; i++)
        {
            string entry = settings.ContactFeatureTags[i] ?? string.Empty;
            if (!CallerPreferences.TryParseFeatureParameters(entry, out IReadOnlyList<FeatureParameter> features))
            {
                throw new ArgumentException($"ContactFeatureTags[{i}] is not a list of RFC 3840 feature parameters: {entry}", nameof(settings));
            }

            foreach (FeatureParameter f in features)
            {
                FeatureParameter? same = contact.Find(c => c.IsSameTag(f));
                if (same is null)
                {
                    contact.Add(f);
                }
                else if (!ImFeatureTags.IsSipIm(f) && !string.Equals(same.RawValue, f.RawValue, StringComparison.Ordinal))
                {
                    // RFC 3840 §9: a tag appears once per Contact; several values go in one quoted list.
                    throw new ArgumentException($"ContactFeatureTags[{i}] repeats {f.Name} with another value; list the values in one parameter", nameof(settings));
                }
            }
        }

        return new ClientFeatureTagPolicy(values, predicates, contact);
    }

    /// <summary>Adds the Accept-Contact headers to an initial request being built.</summary>
    public void AddAcceptContact(SipMessageBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        foreach (string value in AcceptContactValues)
        {
            builder.Add(SipHeaderId.AcceptContact, value);
        }
    }

    /// <summary>A Contact value for REGISTER and initial requests: the URI and other parameters (e.g.
    /// +sip.instance, reg-id, expires) followed by the feature tags.</summary>
    public ContactValue BuildContact(SipUri uri, params IEnumerable<SipParameter> otherParameters)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var parameters = new List<SipParameter>(otherParameters ?? []);
        foreach (FeatureParameter f in ContactFeatures)
        {
            parameters.Add(ToParameter(f));
        }

        return new ContactValue(new NameAddress(uri, null, parameters));
    }

    /// <summary>The feature tags as contact-parameter text: ";+g.oma.sip-im;+g.3gpp.icsi-ref=\"…\"".</summary>
    public string ContactParameterText => string.Concat(ContactFeatures.Select(f => ";" + f));

    internal static SipParameter ToParameter(FeatureParameter f) =>
        new(f.Name, f.RawValue is null ? null : f.Value, f.RawValue is not null && f.RawValue.StartsWith('"'), f.RawValue);
}
