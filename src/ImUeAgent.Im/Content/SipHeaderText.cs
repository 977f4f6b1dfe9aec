// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Text;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Im.Content;

/// <summary>Reads single SIP header values that arrive outside a SIP message (a sipfrag without start line,
/// configuration strings) with the SIP layer's own grammar: the value is placed in a minimal datagram and read back
/// through the typed accessors, so there is one SIP grammar in the product. The Sip project keeps its value parsers
/// internal; a public TryParse on NameAddress/CallerPreferenceValue would make this wrapper unnecessary.</summary>
internal static class SipHeaderText
{
    private static readonly byte[] Prefix = "OPTIONS sip:parse.invalid SIP/2.0\r\n"u8.ToArray();

    /// <summary>Parses header lines (already "Name: value") into a request carrying only them.</summary>
    public static SipRequest? ParseHeaders(IEnumerable<(string Name, string Value)> headers)
    {
        var sb = new StringBuilder();
        foreach ((string name, string value) in headers)
        {
            if (name.AsSpan().IndexOfAny('\r', '\n') >= 0 || value.AsSpan().IndexOfAny('\r', '\n') >= 0)
            {
                return null;
            }

            sb.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        sb.Append("\r\n");
        byte[] text = [.. Prefix, .. Encoding.UTF8.GetBytes(sb.ToString())];
        SipParseResult r = SipParser.Parse(text, SipFraming.Datagram);
        return r.IsComplete ? r.Message as SipRequest : null;
    }

    public static NameAddress? ParseAddress(string headerName, string value) =>
        ParseHeaders([(headerName, value)]) is { } m
            ? string.Equals(headerName, "From", StringComparison.OrdinalIgnoreCase) ? m.Headers.From
            : m.Headers.PAssertedIdentity is { Count: > 0 } pai ? pai[0] : null
            : null;

    /// <summary>RFC 3261 §20.17 Date (rfc1123-date); lenient with the trailing spaces and odd day names of
    /// hand-written examples.</summary>
    public static DateTimeOffset? ParseDate(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        string v = value.Trim();
        if (DateTimeOffset.TryParseExact(v, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset d))
        {
            return d;
        }

        if (DateTimeOffset.TryParse(v, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out d))
        {
            return d;
        }

        // A day name that does not agree with the date (the seed's "Thu, 21 Feb 2005" was a Monday): the date wins.
        int comma = v.IndexOf(',', StringComparison.Ordinal);
        return comma is > 0 and <= 9
            && DateTimeOffset.TryParse(v[(comma + 1)..].Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out d) ? d : null;
    }
}
