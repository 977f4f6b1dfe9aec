// SPDX-License-Identifier: MIT
using System.Globalization;

namespace ImUeAgent.Im.Content;

/// <summary>RFC 3339 §5.6 date-time, as CPIM DateTime (RFC 3862 §4.5) and IMDN &lt;datetime&gt; (RFC 5438 §7.2.1.2)
/// use it: full-date "T" full-time with optional fractional seconds and a "Z" or ±hh:mm offset.</summary>
public static class Rfc3339
{
    private static readonly string[] Formats =
    [
        "yyyy-MM-dd'T'HH:mm:ssK",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
    ];

    public static bool TryParse(string? text, out DateTimeOffset value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        // RFC 3339 §5.6 NOTE: "T" and "Z" may be lower case.
        string s = text.Trim().ToUpperInvariant();
        int t = s.IndexOf('T', StringComparison.Ordinal);
        if (t != 10)
        {
            return false;
        }

        // An offset is mandatory (RFC 3339 time-offset): "Z" or +hh:mm / -hh:mm.
        bool hasOffset = s.EndsWith('Z') || (s.Length > 6 && s[^6] is '+' or '-' && s[^3] == ':');
        if (!hasOffset)
        {
            return false;
        }

        // .NET's fraction specifier stops at 7 digits; RFC 3339 allows more: keep the first 7.
        int dot = s.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0)
        {
            int end = dot + 1;
            while (end < s.Length && char.IsAsciiDigit(s[end]))
            {
                end++;
            }

            if (end == dot + 1)
            {
                return false;
            }

            if (end - dot - 1 > 7)
            {
                s = string.Concat(s.AsSpan(0, dot + 8), s.AsSpan(end));
            }
        }

        return DateTimeOffset.TryParseExact(s, Formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out value);
    }

    /// <summary>Formats with millisecond precision; "Z" for UTC, else the offset.</summary>
    public static string Format(DateTimeOffset value) => value.Offset == TimeSpan.Zero
        ? value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)
        : value.ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture);
}
