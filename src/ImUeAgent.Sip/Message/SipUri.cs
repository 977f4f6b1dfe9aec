// SPDX-License-Identifier: MIT
using System.Text;

namespace ImUeAgent.Sip.Message;

/// <summary>URI schemes the stack understands; others are kept opaque (RFC 3261 absoluteURI).</summary>
public enum SipUriScheme : byte
{
    /// <summary>A scheme the stack does not interpret (RFC 4475 §3.3.2: a UAS answers 416).</summary>
    Other = 0,
    Sip,
    Sips,
    Tel,
}

/// <summary>A SIP, SIPS or TEL URI (RFC 3261 §19.1, RFC 3966), or another scheme kept opaque. The text is kept as
/// received; components are decoded on demand. Compare with <see cref="IsEquivalentTo"/> (RFC 3261 §19.1.4).</summary>
public sealed class SipUri
{
    private readonly byte[] _raw;
    private readonly UriParts _parts;
    private string? _text;
    private SipParameters? _parameters;

    private SipUri(byte[] raw, UriParts parts)
    {
        _raw = raw;
        _parts = parts;
    }

    public SipUriScheme Scheme => _parts.Scheme;

    /// <summary>The scheme as written, lower-cased (schemes are case-insensitive).</summary>
    public string SchemeName => Encoding.ASCII.GetString(_raw, 0, _parts.SchemeLength).ToLowerInvariant();

    /// <summary>The user part with %-escapes decoded (may contain NUL, RFC 4475 §3.1.1.4); for tel: the number as
    /// written. Null when absent.</summary>
    public string? User => _parts.User.Length < 0 ? null : Scheme == SipUriScheme.Tel
        ? Encoding.ASCII.GetString(_parts.User.Of(_raw))
        : SipSyntax.Unescape(_parts.User.Of(_raw));

    /// <summary>The user part exactly as written (escapes kept).</summary>
    public ReadOnlySpan<byte> RawUser => _parts.User.Length < 0 ? default : _parts.User.Of(_raw);

    public string? Password => _parts.Password.Length < 0 ? null : SipSyntax.Unescape(_parts.Password.Of(_raw));

    /// <summary>The host as written; an IPv6 reference keeps its brackets. Empty for tel and opaque URIs.</summary>
    public string Host => _parts.Host.Length <= 0 ? string.Empty : Encoding.ASCII.GetString(_parts.Host.Of(_raw));

    public bool IsIPv6Reference => _parts.Host.Length > 0 && _raw[_parts.Host.Start] == '[';

    /// <summary>The port, or null when the URI has none (which is not the same as 5060, RFC 3261 §19.1.4).</summary>
    public int? Port => _parts.Port < 0 ? null : _parts.Port;

    /// <summary>uri-parameters (sip/sips) or tel parameters, %-escapes decoded in <see cref="SipParameter.Value"/>.</summary>
    public SipParameters Parameters => _parameters ??= ParseParameters();

    /// <summary>The escaped headers after '?', decoded (RFC 3261 §19.1.1), in order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers
    {
        get
        {
            if (_parts.Headers.Length <= 0)
            {
                return [];
            }

            var list = new List<KeyValuePair<string, string>>();
            ReadOnlySpan<byte> h = _parts.Headers.Of(_raw);
            foreach (Range r in h.Split((byte)'&'))
            {
                ReadOnlySpan<byte> pair = h[r];
                int eq = pair.IndexOf((byte)'=');
                list.Add(new(SipSyntax.Unescape(pair[..eq]), SipSyntax.Unescape(pair[(eq + 1)..])));
            }

            return list;
        }
    }

    /// <summary>The part after "scheme:" for URIs of other schemes.</summary>
    public string Opaque => Encoding.UTF8.GetString(_raw.AsSpan(_parts.SchemeLength + 1));

    /// <summary>transport= uri-parameter, if any.</summary>
    public string? Transport => Parameters.GetValue("transport");

    /// <summary>True when the lr parameter is present (RFC 3261 §19.1.1: loose routing).</summary>
    public bool IsLooseRouter => Parameters.Contains("lr");

    /// <summary>The URI text exactly as received or built.</summary>
    public ReadOnlySpan<byte> Raw => _raw;

    public override string ToString() => _text ??= Encoding.UTF8.GetString(_raw);

    /// <summary>Parses a URI, throwing <see cref="FormatException"/> when invalid (for literals in UA code).</summary>
    public static SipUri Parse(string text) =>
        TryParse(text, out SipUri? uri) ? uri : throw new FormatException("Invalid SIP/TEL URI");

    public static bool TryParse(string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SipUri? uri)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(Encoding.UTF8.GetBytes(text), out uri);
    }

    public static bool TryParse(ReadOnlySpan<byte> text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SipUri? uri)
    {
        if (!SipUriGrammar.TryParse(text, out UriParts parts))
        {
            uri = null;
            return false;
        }

        uri = new SipUri(text.ToArray(), parts);
        return true;
    }

    /// <summary>Builds a sip: or sips: URI, escaping the user part as RFC 3261 §19.1.2 requires.</summary>
    public static SipUri Create(SipUriScheme scheme, string? user, string host, int? port = null, params SipParameter[] parameters)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        if (scheme is not (SipUriScheme.Sip or SipUriScheme.Sips))
        {
            throw new ArgumentOutOfRangeException(nameof(scheme), "Create builds sip: and sips: URIs");
        }

        var sb = new StringBuilder(scheme == SipUriScheme.Sip ? "sip:" : "sips:");
        if (!string.IsNullOrEmpty(user))
        {
            AppendEscaped(sb, user, SipSyntax.User);
            sb.Append('@');
        }

        sb.Append(host.Contains(':', StringComparison.Ordinal) && host[0] != '[' ? "[" + host + "]" : host);
        if (port is int p)
        {
            sb.Append(':').Append(p);
        }

        foreach (SipParameter parameter in parameters)
        {
            sb.Append(';').Append(parameter.Name);
            if (parameter.Value is not null)
            {
                sb.Append('=');
                AppendEscaped(sb, parameter.Value, SipSyntax.UriParam);
            }
        }

        return Parse(sb.ToString());
    }

    private static void AppendEscaped(StringBuilder sb, string value, System.Buffers.SearchValues<byte> allowed)
    {
        foreach (byte b in Encoding.UTF8.GetBytes(value))
        {
            if (b != '%' && allowed.Contains(b))
            {
                sb.Append((char)b);
            }
            else
            {
                sb.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }
    }

    /// <summary>RFC 3261 §19.1.4 URI comparison for sip/sips (user and password case-sensitive, host case-insensitive,
    /// escapes equal to their characters, absent port ≠ 5060, user/ttl/method/maddr/transport must match when either
    /// has them, other parameters compared only when both have them, headers must all match). tel URIs compare per
    /// RFC 3966 §4 (numbers without visual separators, same parameters). Other schemes compare by text.</summary>
    public bool IsEquivalentTo(SipUri? other)
    {
        if (other is null || other.Scheme != Scheme)
        {
            return false;
        }

        return Scheme switch
        {
            SipUriScheme.Sip or SipUriScheme.Sips => SipEquivalent(this, other),
            SipUriScheme.Tel => TelEquivalent(this, other),
            _ => SipSyntax.EqualsIgnoreCase(_raw.AsSpan(0, _parts.SchemeLength), other._raw.AsSpan(0, other._parts.SchemeLength))
                && _raw.AsSpan(_parts.SchemeLength).SequenceEqual(other._raw.AsSpan(other._parts.SchemeLength)),
        };
    }

    private static bool SipEquivalent(SipUri a, SipUri b)
    {
        UriParts pa = a._parts;
        UriParts pb = b._parts;
        if ((pa.User.Length < 0) != (pb.User.Length < 0) || (pa.Password.Length < 0) != (pb.Password.Length < 0))
        {
            return false;
        }

        if (pa.User.Length >= 0 && !SipSyntax.UnescapedEquals(pa.User.Of(a._raw), pb.User.Of(b._raw), ignoreCase: false))
        {
            return false;
        }

        if (pa.Password.Length >= 0 && !SipSyntax.UnescapedEquals(pa.Password.Of(a._raw), pb.Password.Of(b._raw), ignoreCase: false))
        {
            return false;
        }

        if (!SipSyntax.EqualsIgnoreCase(pa.Host.Of(a._raw), pb.Host.Of(b._raw)) || pa.Port != pb.Port)
        {
            return false;
        }

        if (!ParametersEquivalent(a.Parameters, b.Parameters, ["user", "ttl", "method", "maddr", "transport"])
            || !ParametersEquivalent(b.Parameters, a.Parameters, ["user", "ttl", "method", "maddr", "transport"]))
        {
            return false;
        }

        // Headers are never ignored: each must be present in both, with equal values.
        IReadOnlyList<KeyValuePair<string, string>> ha = a.Headers;
        IReadOnlyList<KeyValuePair<string, string>> hb = b.Headers;
        if (ha.Count != hb.Count)
        {
            return false;
        }

        foreach (KeyValuePair<string, string> h in ha)
        {
            bool found = false;
            foreach (KeyValuePair<string, string> g in hb)
            {
                if (string.Equals(h.Key, g.Key, StringComparison.OrdinalIgnoreCase) && string.Equals(h.Value, g.Value, StringComparison.Ordinal))
                {
                    found = true;
                    break;
                }
            }

            if (!found)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Every parameter of <paramref name="a"/> that is also in <paramref name="b"/> has an equal value
    /// (case-insensitive); the <paramref name="mustMatch"/> ones must also be present in <paramref name="b"/>.</summary>
    private static bool ParametersEquivalent(SipParameters a, SipParameters b, string[] mustMatch)
    {
        foreach (SipParameter p in a)
        {
            SipParameter? q = b.Find(p.Name);
            if (q is null)
            {
                if (Array.Exists(mustMatch, m => string.Equals(m, p.Name, StringComparison.OrdinalIgnoreCase)))
                {
                    return false;
                }

                continue;
            }

            if (!string.Equals(p.Value, q.Value, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return true;
    }

    private static bool TelEquivalent(SipUri a, SipUri b)
    {
        string na = StripVisualSeparators(a.User ?? string.Empty);
        string nb = StripVisualSeparators(b.User ?? string.Empty);
        if (!string.Equals(na, nb, StringComparison.OrdinalIgnoreCase) || a.Parameters.Count != b.Parameters.Count)
        {
            return false;
        }

        return ParametersEquivalent(a.Parameters, b.Parameters, [.. a.Parameters.Select(p => p.Name)]);
    }

    private static string StripVisualSeparators(string number)
    {
        var sb = new StringBuilder(number.Length);
        foreach (char c in number)
        {
            if (c is not ('-' or '.' or '(' or ')'))
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    private SipParameters ParseParameters()
    {
        if (_parts.Params.Length <= 0)
        {
            return SipParameters.Empty;
        }

        ReadOnlySpan<byte> all = _parts.Params.Of(_raw);
        var list = new List<SipParameter>();
        foreach (Range r in all.Split((byte)';'))
        {
            ReadOnlySpan<byte> one = all[r];
            if (one.IsEmpty)
            {
                continue;
            }

            int eq = one.IndexOf((byte)'=');
            if (eq < 0)
            {
                list.Add(new SipParameter(SipSyntax.Unescape(one)));
            }
            else
            {
                list.Add(new SipParameter(SipSyntax.Unescape(one[..eq]), SipSyntax.Unescape(one[(eq + 1)..]), false, Encoding.UTF8.GetString(one[(eq + 1)..])));
            }
        }

        return new SipParameters([.. list]);
    }
}

/// <summary>Offsets of one component in a URI's bytes; Length -1 means absent.</summary>
internal readonly record struct Seg(int Start, int Length)
{
    public static readonly Seg None = new(0, -1);

    public ReadOnlySpan<byte> Of(ReadOnlySpan<byte> s) => Length <= 0 ? default : s.Slice(Start, Length);

    public int End => Start + Length;
}

internal struct UriParts
{
    public SipUriScheme Scheme;
    public int SchemeLength;
    public Seg User;
    public Seg Password;
    public Seg Host;
    public int Port;
    public Seg Params;
    public Seg Headers;
}

/// <summary>The allocation-free URI grammar (RFC 3261 §25.1 SIP-URI/SIPS-URI, RFC 3966 telephone-subscriber,
/// absoluteURI for other schemes).</summary>
internal static class SipUriGrammar
{
    public static bool TryParse(ReadOnlySpan<byte> s, out UriParts p)
    {
        p = default;
        p.User = p.Password = p.Host = p.Params = p.Headers = Seg.None;
        p.Port = -1;
        int colon = s.IndexOf((byte)':');
        if (colon <= 0 || !IsAlpha(s[0]))
        {
            return false;
        }

        for (int i = 1; i < colon; i++)
        {
            byte c = s[i];
            if (!IsAlpha(c) && c is not ((>= (byte)'0' and <= (byte)'9') or (byte)'+' or (byte)'-' or (byte)'.'))
            {
                return false;
            }
        }

        p.SchemeLength = colon;
        ReadOnlySpan<byte> scheme = s[..colon];
        if (SipSyntax.EqualsIgnoreCase(scheme, "sip"u8))
        {
            p.Scheme = SipUriScheme.Sip;
            return TryParseSip(s, colon + 1, ref p);
        }

        if (SipSyntax.EqualsIgnoreCase(scheme, "sips"u8))
        {
            p.Scheme = SipUriScheme.Sips;
            return TryParseSip(s, colon + 1, ref p);
        }

        ReadOnlySpan<byte> rest = s[(colon + 1)..];
        if (SipSyntax.EqualsIgnoreCase(scheme, "tel"u8))
        {
            p.Scheme = SipUriScheme.Tel;
            int semi = rest.IndexOf((byte)';');
            ReadOnlySpan<byte> number = semi < 0 ? rest : rest[..semi];
            if (number.IsEmpty || number.ContainsAnyExcept(SipSyntax.TelNumber))
            {
                return false;
            }

            p.User = new Seg(colon + 1, number.Length);
            int at = colon + 1 + number.Length;
            return semi < 0 || TryParseParams(s, ref at, ref p) && at == s.Length;
        }

        p.Scheme = SipUriScheme.Other;
        return !rest.IsEmpty && !rest.ContainsAnyExcept(SipSyntax.Uric) && SipSyntax.EscapesAreValid(rest);
    }

    private static bool TryParseSip(ReadOnlySpan<byte> s, int start, ref UriParts p)
    {
        int pos = start;
        int at = s[start..].IndexOf((byte)'@');
        if (at >= 0)
        {
            ReadOnlySpan<byte> userinfo = s.Slice(start, at);
            int pw = userinfo.IndexOf((byte)':');
            ReadOnlySpan<byte> user = pw < 0 ? userinfo : userinfo[..pw];
            if (user.IsEmpty || user.ContainsAnyExcept(SipSyntax.User) || !SipSyntax.EscapesAreValid(user))
            {
                return false;
            }

            p.User = new Seg(start, user.Length);
            if (pw >= 0)
            {
                ReadOnlySpan<byte> password = userinfo[(pw + 1)..];
                if (password.ContainsAnyExcept(SipSyntax.Password) || !SipSyntax.EscapesAreValid(password))
                {
                    return false;
                }

                p.Password = new Seg(start + pw + 1, password.Length);
            }

            pos = start + at + 1;
        }

        // hostport
        if (pos >= s.Length)
        {
            return false;
        }

        if (s[pos] == '[')
        {
            int close = s[pos..].IndexOf((byte)']');
            if (close < 3 || s.Slice(pos + 1, close - 1).ContainsAnyExcept(SipSyntax.Ipv6) || s.Slice(pos + 1, close - 1).IndexOf((byte)':') < 0)
            {
                return false;
            }

            p.Host = new Seg(pos, close + 1);
            pos += close + 1;
        }
        else
        {
            int len = s[pos..].IndexOfAnyExcept(SipSyntax.HostName);
            if (len < 0)
            {
                len = s.Length - pos;
            }

            if (len == 0)
            {
                return false;
            }

            p.Host = new Seg(pos, len);
            pos += len;
        }

        if (pos < s.Length && s[pos] == ':')
        {
            pos++;
            int digits = s[pos..].IndexOfAnyExceptInRange((byte)'0', (byte)'9');
            if (digits < 0)
            {
                digits = s.Length - pos;
            }

            if (digits is 0 or > 5 || !SipSyntax.TryParseUInt32(s.Slice(pos, digits), out uint port) || port > 65535)
            {
                return false;
            }

            p.Port = (int)port;
            pos += digits;
        }

        if (pos < s.Length && s[pos] == ';' && !TryParseParams(s, ref pos, ref p))
        {
            return false;
        }

        if (pos < s.Length && s[pos] == '?')
        {
            ReadOnlySpan<byte> headers = s[(pos + 1)..];
            if (headers.IsEmpty)
            {
                return false;
            }

            foreach (Range r in headers.Split((byte)'&'))
            {
                ReadOnlySpan<byte> pair = headers[r];
                int eq = pair.IndexOf((byte)'=');
                if (eq <= 0 || pair[..eq].ContainsAnyExcept(SipSyntax.UriHeader) || pair[(eq + 1)..].ContainsAnyExcept(SipSyntax.UriHeader)
                    || !SipSyntax.EscapesAreValid(pair))
                {
                    return false;
                }
            }

            p.Headers = new Seg(pos + 1, headers.Length);
            pos = s.Length;
        }

        return pos == s.Length;
    }

    /// <summary>Parses ";pname[=pvalue]" repeats starting at the ';' at <paramref name="pos"/>; stops at '?' or end.</summary>
    private static bool TryParseParams(ReadOnlySpan<byte> s, ref int pos, ref UriParts p)
    {
        int start = pos + 1;
        while (pos < s.Length && s[pos] == ';')
        {
            pos++;
            int len = s[pos..].IndexOfAny((byte)';', (byte)'?');
            if (len < 0)
            {
                len = s.Length - pos;
            }

            ReadOnlySpan<byte> param = s.Slice(pos, len);
            int eq = param.IndexOf((byte)'=');
            ReadOnlySpan<byte> name = eq < 0 ? param : param[..eq];
            if (name.IsEmpty || name.ContainsAnyExcept(SipSyntax.UriParam)
                || (eq >= 0 && (eq == param.Length - 1 || param[(eq + 1)..].ContainsAnyExcept(SipSyntax.UriParam)))
                || !SipSyntax.EscapesAreValid(param))
            {
                return false;
            }

            pos += len;
        }

        p.Params = new Seg(start, pos - start);
        return true;
    }

    private static bool IsAlpha(byte b) => (uint)((b | 0x20) - 'a') <= 'z' - 'a';
}
