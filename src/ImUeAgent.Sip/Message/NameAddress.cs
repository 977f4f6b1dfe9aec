// SPDX-License-Identifier: MIT
using System.Text;

namespace ImUeAgent.Sip.Message;

/// <summary>[display-name] &lt;URI&gt; followed by header parameters: the value of From, To, Contact, Route,
/// Record-Route, Service-Route, Path, P-Associated-URI, P-Asserted-Identity, P-Preferred-Identity, Referred-By.</summary>
public sealed class NameAddress
{
    public NameAddress(SipUri uri, string? displayName = null, params IEnumerable<SipParameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(uri);
        Uri = uri;
        DisplayName = displayName;
        Parameters = new SipParameters([.. parameters]);
        HasAngleBrackets = true;
    }

    private NameAddress(SipUri uri, string? displayName, SipParameters parameters, bool brackets)
    {
        Uri = uri;
        DisplayName = displayName;
        Parameters = parameters;
        HasAngleBrackets = brackets;
    }

    /// <summary>The display name without quotes and quoted-pair escapes; null when absent.</summary>
    public string? DisplayName { get; }

    public SipUri Uri { get; }

    /// <summary>Header parameters (after the URI, or after '&gt;').</summary>
    public SipParameters Parameters { get; }

    /// <summary>False for the addr-spec form (no angle brackets): its ';' parameters are header parameters
    /// (RFC 3261 §20.10, RFC 4475 §3.3.12).</summary>
    public bool HasAngleBrackets { get; }

    /// <summary>The tag parameter of From/To (RFC 3261 §19.3).</summary>
    public string? Tag => Parameters.GetValue("tag");

    /// <summary>A copy with one more parameter (e.g. the To tag a UAS adds).</summary>
    public NameAddress WithParameter(SipParameter parameter) =>
        new(Uri, DisplayName, new SipParameters([.. Parameters, parameter]), true);

    /// <summary>Wire form: ["display name"] &lt;uri&gt;;params.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        if (DisplayName is not null)
        {
            sb.Append(SipParameter.Quote(DisplayName)).Append(' ');
        }

        sb.Append('<').Append(Uri.ToString()).Append('>').Append(Parameters.ToString());
        return sb.ToString();
    }

    internal static bool TryRead(ref SipValueReader r, bool requireBrackets, out NameAddress? value)
    {
        value = null;
        var parameters = new List<SipParameter>();
        if (!HeaderGrammar.TryAddress(ref r, requireBrackets, out NameAddrParts p, parameters))
        {
            return false;
        }

        ReadOnlySpan<byte> s = r.Source;
        string? display = null;
        if (p.Display.Length >= 0)
        {
            ReadOnlySpan<byte> d = s.Slice(p.Display.Start, p.Display.Length);
            display = p.DisplayQuoted ? SipSyntax.UnquoteToString(d) : SipSyntax.Unfold(d);
        }

        if (!SipUri.TryParse(s.Slice(p.Uri.Start, p.Uri.Length), out SipUri? uri))
        {
            return false;
        }

        value = new NameAddress(uri, display, new SipParameters([.. parameters]), p.Bracketed);
        return true;
    }

    internal static bool TryParseSingle(ReadOnlySpan<byte> value, out NameAddress? result)
    {
        var r = new SipValueReader(value);
        return TryRead(ref r, false, out result) && r.AtEndAfterLws();
    }

    internal static bool TryParseList(ReadOnlySpan<byte> value, bool requireBrackets, List<NameAddress> sink)
    {
        var r = new SipValueReader(value);
        while (true)
        {
            if (!TryRead(ref r, requireBrackets, out NameAddress? one) || !HeaderGrammar.TryListSeparator(ref r, out bool end))
            {
                return false;
            }

            sink.Add(one!);
            if (end)
            {
                return true;
            }
        }
    }

    internal static bool TryParseNameAddrList(ReadOnlySpan<byte> value, List<NameAddress> sink) => TryParseList(value, true, sink);

    internal static bool TryParseAnyList(ReadOnlySpan<byte> value, List<NameAddress> sink) => TryParseList(value, false, sink);
}
