// SPDX-License-Identifier: MIT
using System.Text;

namespace ImUeAgent.Sip.Message;

internal struct NameAddrParts
{
    public Seg Display;
    public bool DisplayQuoted;
    public Seg Uri;
    public bool Bracketed;
}

internal struct ViaParts
{
    public Seg Protocol;
    public Seg Version;
    public Seg Transport;
    public Seg Host;
    public int Port;
}

/// <summary>Allocation-free grammar of the header values (RFC 3261 §25.1 and the extensions' ABNF). Every function
/// works on a <see cref="SipValueReader"/>; a null sink means "validate only".</summary>
internal static class HeaderGrammar
{
    private static readonly System.Buffers.SearchValues<byte> AddrSpecEnd = System.Buffers.SearchValues.Create(";, \t\r\n"u8);

    /// <summary>*( SEMI generic-param ). With <paramref name="allowTrailingSemicolon"/>, a ';' followed by nothing
    /// is tolerated (seen in deployed Accept-Contact values, NOTES.md "seed errata").</summary>
    public static bool TryParams(ref SipValueReader r, List<SipParameter>? sink, bool allowTrailingSemicolon = false)
    {
        while (r.TrySeparator((byte)';'))
        {
            if (!r.TryToken(out Seg name))
            {
                if (allowTrailingSemicolon && (r.AtEnd || r.Peek((byte)',')))
                {
                    return true;
                }

                return false;
            }

            Seg raw = Seg.None;
            bool quoted = false;
            if (r.TrySeparator((byte)'=') && !r.TryGenericValue(out raw, out quoted))
            {
                return false;
            }

            sink?.Add(MakeParameter(r.Source, name, raw, quoted));
        }

        return true;
    }

    public static SipParameter MakeParameter(ReadOnlySpan<byte> s, Seg name, Seg raw, bool quoted)
    {
        string n = Encoding.ASCII.GetString(raw.Length < 0 ? s.Slice(name.Start, name.Length) : s.Slice(name.Start, name.Length));
        if (raw.Length < 0)
        {
            return new SipParameter(n);
        }

        ReadOnlySpan<byte> rv = s.Slice(raw.Start, raw.Length);
        string value = quoted ? SipSyntax.UnquoteToString(rv[1..^1]) : Encoding.UTF8.GetString(rv);
        return new SipParameter(n, value, quoted, quoted ? Encoding.UTF8.GetString(rv) : value);
    }

    /// <summary>name-addr / addr-spec (RFC 3261 §20.10). With <paramref name="requireBrackets"/> only name-addr is
    /// accepted (Route, Record-Route, Path, Service-Route, P-Associated-URI). Without brackets the URI ends at ';',
    /// ',' or whitespace and must not contain '?' (RFC 4475 §3.1.2.13), and the parameters belong to the header.</summary>
    public static bool TryNameAddr(ref SipValueReader r, bool requireBrackets, out NameAddrParts p)
    {
        p = default;
        p.Display = Seg.None;
        r.SkipLws();
        if (r.Peek((byte)'"'))
        {
            if (!r.TryQuotedString(out p.Display))
            {
                return false;
            }

            p.DisplayQuoted = true;
            r.SkipLws();
            return r.TryConsume((byte)'<') && TryBracketedUri(ref r, ref p);
        }

        if (r.TryConsume((byte)'<'))
        {
            return TryBracketedUri(ref r, ref p);
        }

        // Either *(token LWS) "<" (a display name) or an addr-spec starting with its scheme.
        int start = r.Position;
        int lastTokenEnd = -1;
        while (r.TryToken(out Seg t))
        {
            lastTokenEnd = t.End;
            r.SkipLws();
        }

        if (lastTokenEnd > 0 && r.TryConsume((byte)'<'))
        {
            p.Display = new Seg(start, lastTokenEnd - start);
            return TryBracketedUri(ref r, ref p);
        }

        if (requireBrackets)
        {
            return false;
        }

        r.Position = start;
        int len = r.Source[start..].IndexOfAny(AddrSpecEnd);
        if (len < 0)
        {
            len = r.Source.Length - start;
        }

        ReadOnlySpan<byte> uri = r.Source.Slice(start, len);
        if (uri.IsEmpty || uri.IndexOf((byte)'?') >= 0 || !SipUriGrammar.TryParse(uri, out _))
        {
            return false;
        }

        p.Uri = new Seg(start, len);
        r.Position = start + len;
        return true;
    }

    private static bool TryBracketedUri(ref SipValueReader r, ref NameAddrParts p)
    {
        // RAQUOT = ">" SWS, LAQUOT = SWS "<": no whitespace inside the brackets (RFC 4475 §3.1.2.14).
        int start = r.Position;
        int close = r.Source[start..].IndexOf((byte)'>');
        if (close <= 0)
        {
            return false;
        }

        ReadOnlySpan<byte> uri = r.Source.Slice(start, close);
        if (!SipUriGrammar.TryParse(uri, out _))
        {
            return false;
        }

        p.Uri = new Seg(start, close);
        p.Bracketed = true;
        r.Position = start + close + 1;
        return true;
    }

    /// <summary>A name-addr/addr-spec followed by header parameters; the common shape of From, To, Contact, Route….</summary>
    public static bool TryAddress(ref SipValueReader r, bool requireBrackets, out NameAddrParts p, List<SipParameter>? sink) =>
        TryNameAddr(ref r, requireBrackets, out p) && TryParams(ref r, sink);

    /// <summary>Moves past the COMMA between list elements; true at the end of the value.</summary>
    public static bool TryListSeparator(ref SipValueReader r, out bool end)
    {
        end = r.AtEndAfterLws();
        return end || r.TrySeparator((byte)',');
    }

    /// <summary>via-parm = sent-protocol LWS sent-by (RFC 3261 §20.42); parameters are read by the caller.</summary>
    public static bool TryViaParm(ref SipValueReader r, out ViaParts v)
    {
        v = default;
        v.Port = -1;
        r.SkipLws();
        if (!r.TryToken(out v.Protocol) || !r.TrySeparator((byte)'/') || !r.TryToken(out v.Version)
            || !r.TrySeparator((byte)'/') || !r.TryToken(out v.Transport))
        {
            return false;
        }

        int before = r.Position;
        r.SkipLws();
        if (r.Position == before)
        {
            return false;
        }

        return TryHostPort(ref r, out v.Host, out v.Port);
    }

    /// <summary>host [ COLON port ], host being a hostname, IPv4 address or bracketed IPv6 reference.</summary>
    public static bool TryHostPort(ref SipValueReader r, out Seg host, out int port)
    {
        port = -1;
        if (r.Peek((byte)'['))
        {
            int start = r.Position;
            int close = r.Source[start..].IndexOf((byte)']');
            if (close < 3 || r.Source.Slice(start + 1, close - 1).ContainsAnyExcept(SipSyntax.Ipv6))
            {
                host = Seg.None;
                return false;
            }

            host = new Seg(start, close + 1);
            r.Position = start + close + 1;
        }
        else if (!r.TryRun(SipSyntax.HostName, out host))
        {
            return false;
        }

        if (r.TrySeparator((byte)':'))
        {
            if (!r.TryRun(SipSyntax.Digits, out Seg digits) || digits.Length > 5
                || !SipSyntax.TryParseUInt32(r.Slice(digits), out uint value) || value > 65535)
            {
                return false;
            }

            port = (int)value;
        }

        return true;
    }

    /// <summary>Call-ID = word [ "@" word ] (RFC 3261 §25.1).</summary>
    public static bool IsCallId(ReadOnlySpan<byte> value)
    {
        ReadOnlySpan<byte> v = SipSyntax.TrimLws(value);
        int at = v.IndexOf((byte)'@');
        return at != 0 && at != v.Length - 1 && !v.IsEmpty
            && !(at < 0 ? v : v[..at]).ContainsAnyExcept(SipSyntax.Word)
            && (at < 0 || !v[(at + 1)..].ContainsAnyExcept(SipSyntax.Word));
    }

    /// <summary>CSeq = 1*DIGIT LWS Method. The number must fit 32 bits (RFC 3261 §8.1.1.5; RFC 4475 §3.1.2.4).</summary>
    public static bool TryCSeq(ReadOnlySpan<byte> value, out uint number, out Seg method)
    {
        var r = new SipValueReader(value);
        number = 0;
        method = Seg.None;
        r.SkipLws();
        if (!r.TryRun(SipSyntax.Digits, out Seg digits) || !SipSyntax.TryParseUInt32(r.Slice(digits), out number))
        {
            return false;
        }

        int before = r.Position;
        r.SkipLws();
        return r.Position > before && r.TryToken(out method) && r.AtEndAfterLws();
    }

    /// <summary>Max-Forwards = 1*DIGIT, 0..255 (RFC 3261 §20.22; RFC 4475 §3.1.2.4).</summary>
    public static bool TryMaxForwards(ReadOnlySpan<byte> value, out int hops)
    {
        hops = 0;
        ReadOnlySpan<byte> v = SipSyntax.TrimLws(value);
        if (!SipSyntax.TryParseUInt32(v, out uint n) || n > 255)
        {
            return false;
        }

        hops = (int)n;
        return true;
    }

    /// <summary>Via = via-parm *(COMMA via-parm), each with parameters.</summary>
    public static bool IsVia(ReadOnlySpan<byte> value)
    {
        var r = new SipValueReader(value);
        while (true)
        {
            if (!TryViaParm(ref r, out _) || !TryParams(ref r, null) || !TryListSeparator(ref r, out bool end))
            {
                return false;
            }

            if (end)
            {
                return true;
            }
        }
    }

    /// <summary>From/To: a single (name-addr / addr-spec) *( SEMI param ).</summary>
    public static bool IsSingleAddress(ReadOnlySpan<byte> value)
    {
        var r = new SipValueReader(value);
        return TryAddress(ref r, false, out _, null) && r.AtEndAfterLws();
    }

    /// <summary>Contact = ( STAR / (contact-param *(COMMA contact-param))).</summary>
    public static bool IsContact(ReadOnlySpan<byte> value)
    {
        ReadOnlySpan<byte> v = SipSyntax.TrimLws(value);
        if (v.Length == 1 && v[0] == '*')
        {
            return true;
        }

        return IsAddressList(value, requireBrackets: false);
    }

    public static bool IsAddressList(ReadOnlySpan<byte> value, bool requireBrackets)
    {
        var r = new SipValueReader(value);
        while (true)
        {
            if (!TryAddress(ref r, requireBrackets, out _, null) || !TryListSeparator(ref r, out bool end))
            {
                return false;
            }

            if (end)
            {
                return true;
            }
        }
    }

    /// <summary>media-type = m-type SLASH m-subtype *(SEMI m-parameter).</summary>
    public static bool TryMediaType(ref SipValueReader r, out Seg type, out Seg subtype, List<SipParameter>? sink)
    {
        subtype = Seg.None;
        r.SkipLws();
        return r.TryToken(out type) && r.TrySeparator((byte)'/') && r.TryToken(out subtype) && TryParams(ref r, sink);
    }

    public static bool IsMediaType(ReadOnlySpan<byte> value)
    {
        var r = new SipValueReader(value);
        return TryMediaType(ref r, out _, out _, null) && r.AtEndAfterLws();
    }
}
