// SPDX-License-Identifier: MIT
using System.Diagnostics.CodeAnalysis;
using System.Text;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Im.Content;

/// <summary>Parses MIME Content-Type and Content-Disposition values (RFC 2045 §5.1, RFC 2183 §2): a token (or
/// type/subtype) followed by ";attribute=value" parameters, value a token or a quoted-string. Whitespace around the
/// separators and a trailing ';' are tolerated. The result is the SIP layer's <see cref="MediaType"/> so a body's type
/// can be handed to <see cref="SipMessageBuilder.Body"/> unchanged.</summary>
public static class MimeMediaType
{
    public static bool TryParse(string text, [NotNullWhen(true)] out MediaType? mediaType)
    {
        mediaType = null;
        ArgumentNullException.ThrowIfNull(text);
        ReadOnlySpan<char> s = text.AsSpan();
        int pos = 0;
        SkipWs(s, ref pos);
        if (!TryToken(s, ref pos, out string? type))
        {
            return false;
        }

        SkipWs(s, ref pos);
        if (pos >= s.Length || s[pos] != '/')
        {
            return false;
        }

        pos++;
        SkipWs(s, ref pos);
        if (!TryToken(s, ref pos, out string? subtype))
        {
            return false;
        }

        var parameters = new List<SipParameter>();
        if (!TryParameters(s, ref pos, parameters))
        {
            return false;
        }

        mediaType = new MediaType(type, subtype, parameters);
        return true;
    }

    /// <summary>Content-Disposition (RFC 2183): disposition-type and parameters, e.g. "recipient-list" (RFC 5363),
    /// "notification" (RFC 5438 §7.1), "render;handling=optional".</summary>
    public static bool TryParseDisposition(string text, [NotNullWhen(true)] out string? dispositionType, out IReadOnlyList<SipParameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(text);
        parameters = [];
        dispositionType = null;
        ReadOnlySpan<char> s = text.AsSpan();
        int pos = 0;
        SkipWs(s, ref pos);
        if (!TryToken(s, ref pos, out string? token))
        {
            return false;
        }

        var list = new List<SipParameter>();
        if (!TryParameters(s, ref pos, list))
        {
            return false;
        }

        dispositionType = token;
        parameters = list;
        return true;
    }

    /// <summary>Formats a parameter value: as a token when it is one, else as a quoted-string (RFC 2045 §5.1).</summary>
    public static SipParameter Parameter(string name, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(value);
        if (!ContentText.IsMimeToken(name))
        {
            throw new ArgumentException("Parameter name must be a MIME token", nameof(name));
        }

        if (value.AsSpan().IndexOfAny('\r', '\n') >= 0)
        {
            throw new ArgumentException("Parameter value must not contain CR or LF", nameof(value));
        }

        bool quoted = !ContentText.IsMimeToken(value);
        return new SipParameter(name, value, quoted);
    }

    private static bool TryParameters(ReadOnlySpan<char> s, ref int pos, List<SipParameter> sink)
    {
        while (true)
        {
            SkipWs(s, ref pos);
            if (pos >= s.Length)
            {
                return true;
            }

            if (s[pos] != ';')
            {
                return false;
            }

            pos++;
            SkipWs(s, ref pos);
            if (pos >= s.Length)
            {
                // Tolerated: a trailing ';'.
                return true;
            }

            if (!TryToken(s, ref pos, out string? name))
            {
                return false;
            }

            SkipWs(s, ref pos);
            if (pos >= s.Length || s[pos] != '=')
            {
                return false;
            }

            pos++;
            SkipWs(s, ref pos);
            if (pos < s.Length && s[pos] == '"')
            {
                if (!TryQuoted(s, ref pos, out string? value, out string? raw))
                {
                    return false;
                }

                sink.Add(new SipParameter(name, value, true, raw));
            }
            else
            {
                if (!TryToken(s, ref pos, out string? value))
                {
                    return false;
                }

                sink.Add(new SipParameter(name, value));
            }
        }
    }

    private static void SkipWs(ReadOnlySpan<char> s, ref int pos)
    {
        while (pos < s.Length && s[pos] is ' ' or '\t')
        {
            pos++;
        }
    }

    private static bool TryToken(ReadOnlySpan<char> s, ref int pos, [NotNullWhen(true)] out string? token)
    {
        int start = pos;
        while (pos < s.Length && ContentText.IsMimeToken(s.Slice(pos, 1)))
        {
            pos++;
        }

        token = pos > start ? s[start..pos].ToString() : null;
        return token is not null;
    }

    private static bool TryQuoted(ReadOnlySpan<char> s, ref int pos, [NotNullWhen(true)] out string? value, [NotNullWhen(true)] out string? raw)
    {
        int start = pos;
        pos++;
        var sb = new StringBuilder();
        while (pos < s.Length)
        {
            char c = s[pos];
            if (c == '\\' && pos + 1 < s.Length)
            {
                sb.Append(s[pos + 1]);
                pos += 2;
                continue;
            }

            if (c == '"')
            {
                pos++;
                value = sb.ToString();
                raw = s[start..pos].ToString();
                return true;
            }

            sb.Append(c);
            pos++;
        }

        value = null;
        raw = null;
        return false;
    }
}
