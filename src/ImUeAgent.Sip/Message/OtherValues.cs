// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Text;

namespace ImUeAgent.Sip.Message;

/// <summary>Content-Type (RFC 3261 §20.15): type/subtype with parameters (boundary, charset…).</summary>
public sealed class MediaType
{
    public MediaType(string type, string subtype, params IEnumerable<SipParameter> parameters)
    {
        ArgumentException.ThrowIfNullOrEmpty(type);
        ArgumentException.ThrowIfNullOrEmpty(subtype);
        Type = type;
        Subtype = subtype;
        Parameters = new SipParameters([.. parameters]);
    }

    public string Type { get; }

    public string Subtype { get; }

    public SipParameters Parameters { get; }

    /// <summary>"type/subtype" lower-cased (media types are case-insensitive).</summary>
    public string Name => (Type + "/" + Subtype).ToLowerInvariant();

    public bool Is(string type, string subtype) =>
        string.Equals(Type, type, StringComparison.OrdinalIgnoreCase) && string.Equals(Subtype, subtype, StringComparison.OrdinalIgnoreCase);

    public string? Boundary => Parameters.GetValue("boundary");

    public string? Charset => Parameters.GetValue("charset");

    public override string ToString() => Type + "/" + Subtype + Parameters.ToString();

    internal static MediaType? TryParse(ReadOnlySpan<byte> value)
    {
        var r = new SipValueReader(value);
        var parameters = new List<SipParameter>();
        if (!HeaderGrammar.TryMediaType(ref r, out Seg type, out Seg subtype, parameters) || !r.AtEndAfterLws())
        {
            return null;
        }

        return new MediaType(Encoding.ASCII.GetString(r.Slice(type)), Encoding.ASCII.GetString(r.Slice(subtype)), parameters);
    }
}

/// <summary>WWW-Authenticate / Proxy-Authenticate challenges and Authorization / Proxy-Authorization credentials
/// (RFC 3261 §20.27, §20.44, §25.1; RFC 3310 AKA; TS 24.229 integrity-protected): a scheme and comma-separated
/// auth-params whose quoting is kept (RFC 3261: some params are quoted-string, others token).</summary>
public sealed class AuthenticationValue
{
    public AuthenticationValue(string scheme, params IEnumerable<SipParameter> parameters)
    {
        ArgumentException.ThrowIfNullOrEmpty(scheme);
        Scheme = scheme;
        Parameters = new SipParameters([.. parameters]);
    }

    public string Scheme { get; }

    public bool IsDigest => string.Equals(Scheme, "Digest", StringComparison.OrdinalIgnoreCase);

    public SipParameters Parameters { get; }

    public string? Realm => Parameters.GetValue("realm");

    public string? Nonce => Parameters.GetValue("nonce");

    public string? Opaque => Parameters.GetValue("opaque");

    /// <summary>algorithm, e.g. MD5, AKAv1-MD5, AKAv2-MD5 (RFC 3310, RFC 4169).</summary>
    public string? Algorithm => Parameters.GetValue("algorithm");

    public string? Domain => Parameters.GetValue("domain");

    /// <summary>stale=TRUE in a challenge (case-insensitive).</summary>
    public bool Stale => string.Equals(Parameters.GetValue("stale"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>qop as received: a quoted list in a challenge, a single token in credentials.</summary>
    public string? Qop => Parameters.GetValue("qop");

    /// <summary>qop split into its options (RFC 3261 §25.1: qop-options = "qop" EQUAL LDQUOT qop-value *("," qop-value) RDQUOT).</summary>
    public IReadOnlyList<string> QopOptions => Qop is null ? [] : Qop.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    public string? Username => Parameters.GetValue("username");

    public string? Uri => Parameters.GetValue("uri");

    public string? Response => Parameters.GetValue("response");

    public string? CNonce => Parameters.GetValue("cnonce");

    /// <summary>nc, eight hex digits.</summary>
    public string? NonceCount => Parameters.GetValue("nc");

    /// <summary>auts (RFC 3310 §3.4): base64 of AUTS on a synchronisation failure.</summary>
    public string? Auts => Parameters.GetValue("auts");

    /// <summary>integrity-protected (TS 24.229 §7.2A.1): yes, no, tls-pending, tls-yes, ip-assoc-pending, ip-assoc-yes.</summary>
    public string? IntegrityProtected => Parameters.GetValue("integrity-protected");

    /// <summary>Wire form: scheme, SP, params joined by ", " with their own quoting. Not for logs: credentials.</summary>
    public string ToWireString()
    {
        var sb = new StringBuilder(Scheme);
        for (int i = 0; i < Parameters.Count; i++)
        {
            sb.Append(i == 0 ? " " : ", ").Append(Parameters[i].ToString());
        }

        return sb.ToString();
    }

    /// <summary>Scheme and parameter names only: values (nonces, responses) stay out of logs.</summary>
    public override string ToString() => Scheme + " (" + string.Join(", ", Parameters.Select(p => p.Name)) + ")";

    internal static bool TryParse(ReadOnlySpan<byte> value, List<AuthenticationValue> sink)
    {
        var r = new SipValueReader(value);
        r.SkipLws();
        if (!r.TryToken(out Seg scheme))
        {
            return false;
        }

        var parameters = new List<SipParameter>();
        if (!r.AtEndAfterLws())
        {
            if (r.Position == scheme.End)
            {
                return false;
            }

            while (true)
            {
                if (!r.TryToken(out Seg name) || !r.TrySeparator((byte)'=') || !r.TryGenericValue(out Seg raw, out bool quoted))
                {
                    return false;
                }

                parameters.Add(HeaderGrammar.MakeParameter(r.Source, name, raw, quoted));
                if (r.AtEndAfterLws())
                {
                    break;
                }

                if (!r.TrySeparator((byte)','))
                {
                    return false;
                }
            }
        }

        sink.Add(new AuthenticationValue(Encoding.ASCII.GetString(r.Slice(scheme)), parameters));
        return true;
    }
}

/// <summary>Security-Client / Security-Server / Security-Verify mechanism (RFC 3329; TS 33.203 §7 ipsec-3gpp
/// parameters).</summary>
public sealed class SecurityMechanism
{
    public SecurityMechanism(string name, params IEnumerable<SipParameter> parameters)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        Parameters = new SipParameters([.. parameters]);
    }

    /// <summary>mechanism-name: digest, tls, ipsec-ike, ipsec-man, ipsec-3gpp, …</summary>
    public string Name { get; }

    public SipParameters Parameters { get; }

    public double? Preference => double.TryParse(Parameters.GetValue("q"), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double q) ? q : null;

    /// <summary>alg: hmac-md5-96, hmac-sha-1-96.</summary>
    public string? Algorithm => Parameters.GetValue("alg");

    /// <summary>ealg: des-ede3-cbc, aes-cbc, null.</summary>
    public string? EncryptionAlgorithm => Parameters.GetValue("ealg");

    public string? Protocol => Parameters.GetValue("prot");

    public string? Mode => Parameters.GetValue("mod");

    public uint? SpiClient => ContactValue.ParseDelta(Parameters.GetValue("spi-c"));

    public uint? SpiServer => ContactValue.ParseDelta(Parameters.GetValue("spi-s"));

    public int? PortClient => ParsePort(Parameters.GetValue("port-c"));

    public int? PortServer => ParsePort(Parameters.GetValue("port-s"));

    /// <summary>d-ver (RFC 3329 §2.2), quoted in the header.</summary>
    public string? DigestVerify => Parameters.GetValue("d-ver");

    public override string ToString() => Name + Parameters.ToString();

    private static int? ParsePort(string? s) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v <= 65535 ? v : null;

    internal static bool TryParseList(ReadOnlySpan<byte> value, List<SecurityMechanism> sink)
    {
        var r = new SipValueReader(value);
        while (true)
        {
            r.SkipLws();
            var parameters = new List<SipParameter>();
            if (!r.TryToken(out Seg name) || !HeaderGrammar.TryParams(ref r, parameters))
            {
                return false;
            }

            sink.Add(new SecurityMechanism(Encoding.ASCII.GetString(r.Slice(name)), parameters));
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

/// <summary>A value with a leading token or number and parameters: Event (RFC 6665), Session-Expires and Min-SE
/// (RFC 4028), Subscription-State, Reason, Priority and similar.</summary>
public sealed class TokenWithParameters
{
    public TokenWithParameters(string token, params IEnumerable<SipParameter> parameters)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        Token = token;
        Parameters = new SipParameters([.. parameters]);
    }

    /// <summary>The leading token as received (event package, delta-seconds, substate…).</summary>
    public string Token { get; }

    public SipParameters Parameters { get; }

    /// <summary>The token read as delta-seconds (Session-Expires, Min-SE); null when not a 32-bit number.</summary>
    public uint? Seconds => ContactValue.ParseDelta(Token);

    /// <summary>Session-Expires refresher parameter: uac or uas.</summary>
    public string? Refresher => Parameters.GetValue("refresher");

    /// <summary>Event id parameter.</summary>
    public string? Id => Parameters.GetValue("id");

    public override string ToString() => Token + Parameters.ToString();

    internal static TokenWithParameters? TryParse(ReadOnlySpan<byte> value)
    {
        var r = new SipValueReader(value);
        r.SkipLws();
        var parameters = new List<SipParameter>();
        if (!r.TryToken(out Seg token) || !HeaderGrammar.TryParams(ref r, parameters) || !r.AtEndAfterLws())
        {
            return null;
        }

        return new TokenWithParameters(Encoding.ASCII.GetString(r.Slice(token)), parameters);
    }
}
