// SPDX-License-Identifier: MIT
using System.Buffers;
using System.Text;

namespace ImUeAgent.Sip.Message;

/// <summary>Character classes and small helpers of the RFC 3261 §25.1 grammar, on bytes.</summary>
internal static class SipSyntax
{
    /// <summary>RFC 3261 §25.1 token: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~".</summary>
    public static readonly SearchValues<byte> Token = SearchValues.Create(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.!%*_+`'~"u8);

    /// <summary>A generic-param value that is not quoted: token, or host including an IPv6 reference
    /// (RFC 3261 gen-value = token / host / quoted-string; RFC 5118 allows an unbracketed IPv6 address in
    /// received=).</summary>
    public static readonly SearchValues<byte> ParamValue = SearchValues.Create(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.!%*_+`'~:[]"u8);

    /// <summary>hostname / IPv4address characters (RFC 3261 §25.1).</summary>
    public static readonly SearchValues<byte> HostName = SearchValues.Create(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._"u8);

    /// <summary>IPv6 reference content between '[' and ']'.</summary>
    public static readonly SearchValues<byte> Ipv6 = SearchValues.Create("0123456789abcdefABCDEF:."u8);

    /// <summary>user = 1*( unreserved / escaped / user-unreserved ); user-unreserved = &amp; = + $ , ; ? /.</summary>
    public static readonly SearchValues<byte> User = SearchValues.Create(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()%&=+$,;?/"u8);

    /// <summary>password = *( unreserved / escaped / &amp; = + $ , ).</summary>
    public static readonly SearchValues<byte> Password = SearchValues.Create(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()%&=+$,"u8);

    /// <summary>paramchar = param-unreserved / unreserved / escaped; param-unreserved = [ ] / : &amp; + $.</summary>
    public static readonly SearchValues<byte> UriParam = SearchValues.Create(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()%[]/:&+$"u8);

    /// <summary>hname/hvalue = *( hnv-unreserved / unreserved / escaped ); hnv-unreserved = [ ] / ? : + $.</summary>
    public static readonly SearchValues<byte> UriHeader = SearchValues.Create(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()%[]/?:+$"u8);

    /// <summary>uric (RFC 2396) for the opaque part of an absoluteURI with another scheme.</summary>
    public static readonly SearchValues<byte> Uric = SearchValues.Create(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()%;/?:@&=+$,[]#"u8);

    /// <summary>tel: telephone-subscriber characters before the first parameter (RFC 3966 §3).</summary>
    public static readonly SearchValues<byte> TelNumber = SearchValues.Create("0123456789abcdefABCDEF*#+-.()pPwW"u8);

    public static readonly SearchValues<byte> Digits = SearchValues.Create("0123456789"u8);

    /// <summary>word (RFC 3261 §25.1, used by Call-ID): token characters plus ( ) &lt; &gt; : \ " / [ ] ? { }.</summary>
    public static readonly SearchValues<byte> Word = SearchValues.Create(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.!%*_+`'~()<>:\\\"/[]?{}"u8);

    public static bool IsLws(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n';

    public static bool IsToken(ReadOnlySpan<byte> s) => !s.IsEmpty && !s.ContainsAnyExcept(Token);

    /// <summary>Trims LWS, including folded line breaks that stay inside a header value (RFC 3261 §7.3.1).</summary>
    public static ReadOnlySpan<byte> TrimLws(ReadOnlySpan<byte> s)
    {
        int start = 0;
        while (start < s.Length && IsLws(s[start]))
        {
            start++;
        }

        int end = s.Length;
        while (end > start && IsLws(s[end - 1]))
        {
            end--;
        }

        return s[start..end];
    }

    public static bool EqualsIgnoreCase(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => Ascii.EqualsIgnoreCase(a, b);

    /// <summary>Parses 1*DIGIT into an unsigned 32-bit value; false when empty, not digits, or overflowing.</summary>
    public static bool TryParseUInt32(ReadOnlySpan<byte> s, out uint value)
    {
        value = 0;
        if (s.IsEmpty || s.Length > 10)
        {
            return false;
        }

        ulong v = 0;
        foreach (byte b in s)
        {
            uint d = (uint)(b - '0');
            if (d > 9)
            {
                return false;
            }

            v = (v * 10) + d;
        }

        if (v > uint.MaxValue)
        {
            return false;
        }

        value = (uint)v;
        return true;
    }

    public static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    /// <summary>True when every '%' starts a valid escape (RFC 3261 escaped = "%" HEXDIG HEXDIG).</summary>
    public static bool EscapesAreValid(ReadOnlySpan<byte> s)
    {
        int i = s.IndexOf((byte)'%');
        while (i >= 0)
        {
            if (i + 2 >= s.Length)
            {
                return false;
            }

            if (HexValue(s[i + 1]) < 0 || HexValue(s[i + 2]) < 0)
            {
                return false;
            }

            int next = s[(i + 3)..].IndexOf((byte)'%');
            i = next < 0 ? -1 : i + 3 + next;
        }

        return true;
    }

    /// <summary>Decodes %XX escapes (RFC 3261 §19.1.2) and returns the text as UTF-8 (invalid sequences become
    /// U+FFFD). An escaped NUL stays a NUL character (RFC 4475 §3.1.1.4).</summary>
    public static string Unescape(ReadOnlySpan<byte> s)
    {
        if (s.IndexOf((byte)'%') < 0)
        {
            return Encoding.UTF8.GetString(s);
        }

        byte[]? rented = null;
        Span<byte> buffer = s.Length <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(s.Length));
        int n = UnescapeInto(s, buffer);
        string result = Encoding.UTF8.GetString(buffer[..n]);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        return result;
    }

    /// <summary>Writes the unescaped bytes of <paramref name="s"/>; a '%' that is not a valid escape is kept.</summary>
    public static int UnescapeInto(ReadOnlySpan<byte> s, Span<byte> destination)
    {
        int n = 0;
        for (int i = 0; i < s.Length; i++)
        {
            byte b = s[i];
            if (b == '%' && i + 2 < s.Length)
            {
                int hi = HexValue(s[i + 1]);
                int lo = HexValue(s[i + 2]);
                if (hi >= 0 && lo >= 0)
                {
                    destination[n++] = (byte)((hi << 4) | lo);
                    i += 2;
                    continue;
                }
            }

            destination[n++] = b;
        }

        return n;
    }

    /// <summary>Compares two escaped strings after unescaping, case-sensitively or not.</summary>
    public static bool UnescapedEquals(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, bool ignoreCase)
    {
        int i = 0;
        int j = 0;
        while (true)
        {
            bool endA = i >= a.Length;
            bool endB = j >= b.Length;
            if (endA || endB)
            {
                return endA && endB;
            }

            byte x = Next(a, ref i);
            byte y = Next(b, ref j);
            if (x != y && !(ignoreCase && ToLower(x) == ToLower(y)))
            {
                return false;
            }
        }

        static byte Next(ReadOnlySpan<byte> s, ref int i)
        {
            byte b = s[i];
            if (b == '%' && i + 2 < s.Length)
            {
                int hi = HexValue(s[i + 1]);
                int lo = HexValue(s[i + 2]);
                if (hi >= 0 && lo >= 0)
                {
                    i += 3;
                    return (byte)((hi << 4) | lo);
                }
            }

            i++;
            return b;
        }
    }

    public static byte ToLower(byte b) => b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b | 0x20) : b;

    /// <summary>Removes quoted-pair escapes from the inside of a quoted-string (RFC 3261 §25.1).</summary>
    public static string UnquoteToString(ReadOnlySpan<byte> inner)
    {
        if (inner.IndexOf((byte)'\\') < 0)
        {
            return Encoding.UTF8.GetString(inner);
        }

        byte[]? rented = null;
        Span<byte> buffer = inner.Length <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(inner.Length));
        int n = 0;
        for (int i = 0; i < inner.Length; i++)
        {
            byte b = inner[i];
            if (b == '\\' && i + 1 < inner.Length)
            {
                b = inner[++i];
            }

            buffer[n++] = b;
        }

        string result = Encoding.UTF8.GetString(buffer[..n]);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        return result;
    }

    /// <summary>Header value text with each folded line break (CRLF followed by whitespace) read as one SP
    /// (RFC 3261 §7.3.1).</summary>
    public static string Unfold(ReadOnlySpan<byte> value)
    {
        if (value.IndexOfAny((byte)'\r', (byte)'\n') < 0)
        {
            return Encoding.UTF8.GetString(value);
        }

        var sb = new StringBuilder(value.Length);
        int i = 0;
        while (i < value.Length)
        {
            int brk = value[i..].IndexOfAny((byte)'\r', (byte)'\n');
            if (brk < 0)
            {
                sb.Append(Encoding.UTF8.GetString(value[i..]));
                break;
            }

            ReadOnlySpan<byte> part = value.Slice(i, brk);
            int end = part.Length;
            while (end > 0 && part[end - 1] is (byte)' ' or (byte)'\t')
            {
                end--;
            }

            sb.Append(Encoding.UTF8.GetString(part[..end]));
            i += brk;
            while (i < value.Length && IsLws(value[i]))
            {
                i++;
            }

            sb.Append(' ');
        }

        return sb.ToString();
    }
}
