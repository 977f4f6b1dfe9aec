// SPDX-License-Identifier: MIT
using System.Buffers;
using ImUeAgent.Modem.At;

namespace ImUeAgent.Modem.Uicc;

/// <summary>Why a +CCHO/+CGLA/+CSIM answer was rejected (closed set, STYLE.md §4).</summary>
public enum UiccReplyError
{
    None = 0,

    /// <summary>No line carries the answer (a bare OK).</summary>
    Missing,

    /// <summary>The value grammar failed (unterminated string...).</summary>
    MalformedValues,

    /// <summary>The session id or length is not a number.</summary>
    NotANumber,

    /// <summary>The response APDU is not an even run of hexadecimal digits.</summary>
    NotHexadecimal,

    /// <summary>The length field counts neither the hex characters (27.007) nor the bytes of the response.</summary>
    LengthMismatch,

    /// <summary>The response APDU has fewer than the two status bytes.</summary>
    TooShort,

    /// <summary>The answer is longer than a short response APDU can be (256 data bytes + SW1 SW2).</summary>
    TooLong,
}

/// <summary>
/// Pure parsers of the UICC access answers (27.007 §8.17 +CSIM, §8.43 +CCHO, §8.45 +CGLA), table-tested
/// (STYLE.md §6).
/// </summary>
public static class UiccReplies
{
    /// <summary>A short response APDU: at most 256 data bytes and SW1 SW2 (ISO/IEC 7816-4 §5.1).</summary>
    public const int MaxResponseBytes = 258;

    /// <summary>
    /// The session id of a +CCHO answer: "+CCHO: &lt;sessionid&gt;" (27.007) or a bare "&lt;sessionid&gt;" line (some
    /// firmware, spec/NOTES.md); which forms are accepted follows the profile. The id may be any number, it is not
    /// necessarily the logical channel number.
    /// </summary>
    public static UiccReplyError TryParseOpenChannel(IReadOnlyList<string> lines, Profiles.CchoReply accepted, out int session)
    {
        ArgumentNullException.ThrowIfNull(lines);
        session = 0;
        foreach (var line in lines)
        {
            var values = AtValueReader.ForLine(line, out var name);
            var prefixed = name.SequenceEqual("+CCHO");
            if (prefixed ? accepted == Profiles.CchoReply.Bare : name.Length != 0 || accepted == Profiles.CchoReply.Prefixed)
            {
                continue;
            }

            if (!values.TryRead(out var value))
            {
                return values.Error == AtValueError.None ? UiccReplyError.Missing : UiccReplyError.MalformedValues;
            }

            // Some firmware quotes the id.
            var digits = value.Kind == AtValueKind.QuotedString ? value.Raw : value.Kind == AtValueKind.Number ? value.Raw : [];
            if (!int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out session))
            {
                return UiccReplyError.NotANumber;
            }

            return UiccReplyError.None;
        }

        return UiccReplyError.Missing;
    }

    /// <summary>
    /// The response APDU of a "+CGLA: &lt;length&gt;,"&lt;response&gt;"" or "+CSIM: ..." answer, data followed by
    /// SW1 SW2. 27.007 counts &lt;length&gt; in hex characters; a byte count is accepted too (seen in the field).
    /// </summary>
    public static UiccReplyError TryParseApduResponse(IReadOnlyList<string> lines, string name, out byte[] response)
    {
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentException.ThrowIfNullOrEmpty(name);
        response = [];
        foreach (var line in lines)
        {
            var values = AtValueReader.ForLine(line, out var lineName);
            if (!lineName.SequenceEqual(name))
            {
                continue;
            }

            return TryParseApduValues(ref values, out response);
        }

        return UiccReplyError.Missing;
    }

    internal static UiccReplyError TryParseApduValues(ref AtValueReader values, out byte[] response)
    {
        response = [];
        if (!values.TryRead(out var lengthValue))
        {
            return values.Error == AtValueError.None ? UiccReplyError.Missing : UiccReplyError.MalformedValues;
        }

        if (!lengthValue.TryGetInt32(out var length) || length < 0)
        {
            return UiccReplyError.NotANumber;
        }

        if (!values.TryRead(out var hexValue))
        {
            return values.Error == AtValueError.None ? UiccReplyError.Missing : UiccReplyError.MalformedValues;
        }

        var hex = hexValue.Raw;
        if (hex.Length > 2 * MaxResponseBytes)
        {
            return UiccReplyError.TooLong;
        }

        if (hex.Length % 2 != 0 || hex.ContainsAnyExcept(HexDigits))
        {
            return UiccReplyError.NotHexadecimal;
        }

        if (length != hex.Length && length != hex.Length / 2)
        {
            return UiccReplyError.LengthMismatch;
        }

        if (hex.Length < 4)
        {
            return UiccReplyError.TooShort;
        }

        response = Convert.FromHexString(hex);
        return UiccReplyError.None;
    }

    /// <summary>The command line for an APDU: <c>AT+CGLA=&lt;session&gt;,&lt;length&gt;,"&lt;hex&gt;"</c>; length counts hex characters.</summary>
    public static string FormatGenericLogicalAccess(int session, ReadOnlySpan<byte> apdu)
        => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"AT+CGLA={session},{apdu.Length * 2},\"{Convert.ToHexString(apdu)}\"");

    /// <summary>The command line for an APDU on the basic channel: <c>AT+CSIM=&lt;length&gt;,"&lt;hex&gt;"</c>.</summary>
    public static string FormatGenericSimAccess(ReadOnlySpan<byte> apdu)
        => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"AT+CSIM={apdu.Length * 2},\"{Convert.ToHexString(apdu)}\"");

    private static readonly SearchValues<char> HexDigits = SearchValues.Create("0123456789ABCDEFabcdef");
}
