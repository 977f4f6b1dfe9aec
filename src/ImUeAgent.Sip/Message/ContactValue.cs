// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Text;

namespace ImUeAgent.Sip.Message;

/// <summary>One Contact value (RFC 3261 §20.10): "*" or an address with contact parameters — expires, q,
/// +sip.instance (RFC 5626), reg-id, and feature tags (RFC 3840).</summary>
public sealed class ContactValue
{
    private IReadOnlyList<FeatureParameter>? _features;

    public ContactValue(NameAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        Address = address;
    }

    private ContactValue()
    {
    }

    /// <summary>"Contact: *" (only with Expires: 0 in a REGISTER, RFC 3261 §10.2.2).</summary>
    public static ContactValue Wildcard { get; } = new();

    public bool IsWildcard => Address is null;

    public NameAddress? Address { get; }

    public SipUri? Uri => Address?.Uri;

    public SipParameters Parameters => Address?.Parameters ?? SipParameters.Empty;

    /// <summary>expires parameter in seconds; null when absent or not a 32-bit delta-seconds (RFC 4475 §3.1.2.4 lets a
    /// receiver then apply its default).</summary>
    public uint? Expires => ParseDelta(Parameters.GetValue("expires"));

    /// <summary>q parameter, 0..1.</summary>
    public double? Q => double.TryParse(Parameters.GetValue("q"), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double q) && q is >= 0 and <= 1 ? q : null;

    /// <summary>+sip.instance without its quotes (RFC 5626 §4.1), e.g. "&lt;urn:gsma:imei:…&gt;".</summary>
    public string? Instance => Parameters.GetValue("+sip.instance");

    public int? RegId => int.TryParse(Parameters.GetValue("reg-id"), NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : null;

    /// <summary>The feature parameters among the contact parameters (RFC 3840 §9), byte-exact.</summary>
    public IReadOnlyList<FeatureParameter> FeatureTags => _features ??= FeatureParameter.Select(Parameters);

    public override string ToString() => Address?.ToString() ?? "*";

    internal static uint? ParseDelta(string? text) =>
        text is not null && SipSyntax.TryParseUInt32(Encoding.ASCII.GetBytes(text), out uint v) ? v : null;

    internal static bool TryParseList(ReadOnlySpan<byte> value, List<ContactValue> sink)
    {
        ReadOnlySpan<byte> trimmed = SipSyntax.TrimLws(value);
        if (trimmed.Length == 1 && trimmed[0] == '*')
        {
            sink.Add(Wildcard);
            return true;
        }

        var addresses = new List<NameAddress>();
        if (!NameAddress.TryParseAnyList(value, addresses))
        {
            return false;
        }

        foreach (NameAddress a in addresses)
        {
            sink.Add(new ContactValue(a));
        }

        return true;
    }
}

/// <summary>A feature parameter (RFC 3840 §9): an encoded feature tag, optionally with a quoted value (a tag-value
/// list such as "INVITE,MESSAGE", a string value such as "&lt;urn:…&gt;", or a numeric "#…"). The name and value are
/// kept exactly as received so they are forwarded unchanged (NOTES.md "Feature tags"); <see cref="TagName"/> is the
/// form used for matching, in which "+g.3gpp.app_ref" and "+g.3gpp.app%5fref" are the same tag.</summary>
public sealed class FeatureParameter
{
    private static readonly string[] BaseTags =
    [
        "audio", "automata", "class", "duplex", "data", "control", "mobility", "description", "events", "priority",
        "methods", "schemes", "application", "video", "language", "type", "isfocus", "actor", "text", "extensions",
    ];

    /// <summary>A feature parameter as written on the wire, e.g. ("+g.3gpp.icsi-ref", "\"urn%3Aurn-7%3A…\"") or
    /// ("+g.oma.sip-im", null). A value without quotes is used as given (a token).</summary>
    public FeatureParameter(string name, string? rawValue = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        RawValue = rawValue;
        TagName = Normalize(name);
    }

    /// <summary>The parameter name as received (with its '+', escapes kept).</summary>
    public string Name { get; }

    /// <summary>The value as received, including quotes; null for a boolean (present = TRUE) tag.</summary>
    public string? RawValue { get; }

    /// <summary>The value without quotes and escapes.</summary>
    public string? Value => RawValue is null ? null
        : RawValue.Length >= 2 && RawValue[0] == '"' && RawValue[^1] == '"' ? SipSyntax.UnquoteToString(Encoding.UTF8.GetBytes(RawValue[1..^1])) : RawValue;

    /// <summary>Canonical tag for matching: '+' dropped, %-escapes decoded, lower-case; a base tag gets its "sip."
    /// prefix (RFC 3840 §9: "audio" is sip.audio).</summary>
    public string TagName { get; }

    /// <summary>The tag-value-list items of <see cref="Value"/> (RFC 3840 §9: comma-separated inside the quotes).</summary>
    public IReadOnlyList<string> Values => Value is null ? [] : Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Same feature tag, whatever the spelling (case, '+', %-escapes such as %5f for '_').</summary>
    public bool IsSameTag(FeatureParameter other) => other is not null && string.Equals(TagName, other.TagName, StringComparison.Ordinal);

    public bool IsSameTag(string name) => string.Equals(TagName, Normalize(name), StringComparison.Ordinal);

    public override string ToString() => RawValue is null ? Name : Name + "=" + RawValue;

    /// <summary>Whether a parameter name is a feature tag: "+"-prefixed, or one of the RFC 3840 base tags.</summary>
    public static bool IsFeatureTagName(string name) =>
        name.StartsWith('+') || Array.Exists(BaseTags, t => string.Equals(t, name, StringComparison.OrdinalIgnoreCase));

    internal static string Normalize(string name)
    {
        string n = name.StartsWith('+') ? name[1..] : name;
        n = SipSyntax.Unescape(Encoding.UTF8.GetBytes(n)).ToLowerInvariant();
        return !name.StartsWith('+') && Array.Exists(BaseTags, t => t == n) ? "sip." + n : n;
    }

    internal static IReadOnlyList<FeatureParameter> Select(SipParameters parameters)
    {
        List<FeatureParameter>? list = null;
        foreach (SipParameter p in parameters)
        {
            if (IsFeatureTagName(p.Name))
            {
                (list ??= []).Add(new FeatureParameter(p.Name, p.RawValue));
            }
        }

        return list is null ? [] : list;
    }
}

/// <summary>One Accept-Contact or Reject-Contact value (RFC 3841 §10): "*" and a feature predicate — feature
/// parameters ANDed — plus, for Accept-Contact, the explicit and require modifiers.</summary>
public sealed class CallerPreferenceValue
{
    /// <summary>A value to send: *;features…[;explicit][;require].</summary>
    public CallerPreferenceValue(IEnumerable<FeatureParameter> features, bool isExplicit = false, bool require = false)
    {
        ArgumentNullException.ThrowIfNull(features);
        Features = [.. features];
        Explicit = isExplicit;
        Require = require;
        var parameters = new List<SipParameter>();
        foreach (FeatureParameter f in Features)
        {
            parameters.Add(new SipParameter(f.Name, f.RawValue is null ? null : f.Value, f.RawValue is not null && f.RawValue.StartsWith('"'), f.RawValue));
        }

        if (isExplicit)
        {
            parameters.Add(new SipParameter("explicit"));
        }

        if (require)
        {
            parameters.Add(new SipParameter("require"));
        }

        Parameters = new SipParameters([.. parameters]);
    }

    private CallerPreferenceValue(IReadOnlyList<FeatureParameter> features, bool isExplicit, bool require, SipParameters parameters)
    {
        Features = features;
        Explicit = isExplicit;
        Require = require;
        Parameters = parameters;
    }

    /// <summary>Feature parameters in received order, byte-exact.</summary>
    public IReadOnlyList<FeatureParameter> Features { get; }

    public bool Explicit { get; }

    public bool Require { get; }

    /// <summary>Every parameter in received order (features, modifiers and generic parameters).</summary>
    public SipParameters Parameters { get; }

    public FeatureParameter? Find(string tagName)
    {
        string normalized = FeatureParameter.Normalize(tagName);
        foreach (FeatureParameter f in Features)
        {
            if (string.Equals(f.TagName, normalized, StringComparison.Ordinal))
            {
                return f;
            }
        }

        return null;
    }

    public bool HasFeature(string tagName) => Find(tagName) is not null;

    /// <summary>Wire form: "*" followed by the parameters in order.</summary>
    public override string ToString() => "*" + Parameters.ToString();

    internal static bool TryParseList(ReadOnlySpan<byte> value, List<CallerPreferenceValue> sink)
    {
        var r = new SipValueReader(value);
        while (true)
        {
            r.SkipLws();
            if (!r.TryConsume((byte)'*'))
            {
                return false;
            }

            var parameters = new List<SipParameter>();
            if (!HeaderGrammar.TryParams(ref r, parameters, allowTrailingSemicolon: true))
            {
                return false;
            }

            var features = new List<FeatureParameter>();
            int explicitCount = 0;
            int requireCount = 0;
            foreach (SipParameter p in parameters)
            {
                if (string.Equals(p.Name, "explicit", StringComparison.OrdinalIgnoreCase) && p.RawValue is null)
                {
                    explicitCount++;
                }
                else if (string.Equals(p.Name, "require", StringComparison.OrdinalIgnoreCase) && p.RawValue is null)
                {
                    requireCount++;
                }
                else if (FeatureParameter.IsFeatureTagName(p.Name))
                {
                    features.Add(new FeatureParameter(p.Name, p.RawValue));
                }
            }

            // RFC 3841 §10: at most one explicit and one require per value.
            if (explicitCount > 1 || requireCount > 1)
            {
                return false;
            }

            sink.Add(new CallerPreferenceValue(features, explicitCount == 1, requireCount == 1, new SipParameters([.. parameters])));
            if (!HeaderGrammar.TryListSeparator(ref r, out bool end))
            {
                return false;
            }

            if (end)
            {
                return true;
            }
        }
    }
}
