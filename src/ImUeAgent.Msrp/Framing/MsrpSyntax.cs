// SPDX-License-Identifier: MIT
using System.Buffers;

namespace ImUeAgent.Msrp.Framing;

/// <summary>Character classes of the RFC 4975 §9 grammar.</summary>
public static class MsrpSyntax
{
    private static readonly SearchValues<byte> s_identChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-+%="u8);

    private static readonly SearchValues<byte> s_controlChars = SearchValues.Create(
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 127]);

    private static readonly SearchValues<byte> s_tokenChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.!%*_+`'~"u8);

    /// <summary>ident = ALPHANUM 3*31ident-char (RFC 4975 §9), used by transact-id and Message-ID.</summary>
    public static bool IsIdent(ReadOnlySpan<byte> value) =>
        value.Length is >= 4 and <= 32 && char.IsAsciiLetterOrDigit((char)value[0]) && !value.ContainsAnyExcept(s_identChars);

    /// <summary>True for a string that <see cref="IsIdent(ReadOnlySpan{byte})"/> accepts.</summary>
    public static bool IsIdent(string value)
    {
        if (value.Length is < 4 or > 32)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[32];
        for (int i = 0; i < value.Length; i++)
        {
            if (value[i] > 0x7F)
            {
                return false;
            }

            bytes[i] = (byte)value[i];
        }

        return IsIdent(bytes[..value.Length]);
    }

    internal static bool IsToken(ReadOnlySpan<byte> value) => !value.IsEmpty && !value.ContainsAnyExcept(s_tokenChars);

    /// <summary>Header text: no control characters other than HTAB (UTF-8 octets above 0x7F are allowed).</summary>
    internal static bool IsText(ReadOnlySpan<byte> value) => value.IndexOfAny(s_controlChars) < 0;
}
