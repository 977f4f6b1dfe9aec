// SPDX-License-Identifier: MIT
using System.Buffers.Text;

namespace ImUeAgent.Msrp.Framing;

/// <summary>
/// An MSRP Byte-Range (RFC 4975 §7.1.1): 1-based inclusive <see cref="Start"/>, <see cref="End"/> or unknown ('*'),
/// <see cref="Total"/> or unknown ('*').
/// </summary>
public readonly record struct ByteRange(long Start, long? End, long? Total)
{
    /// <summary>The whole of a message of known length.</summary>
    public static ByteRange Whole(long total) => new(1, total, total);

    /// <summary>Parses <c>range-start "-" range-end "/" total</c>.</summary>
    public static bool TryParse(ReadOnlySpan<byte> value, out ByteRange range)
    {
        range = default;
        int dash = value.IndexOf((byte)'-');
        int slash = value.IndexOf((byte)'/');
        if (dash <= 0 || slash < dash + 2 || slash == value.Length - 1)
        {
            return false;
        }

        if (!TryParseNumber(value[..dash], out long start) || start < 1)
        {
            return false;
        }

        long? end = null;
        var endText = value[(dash + 1)..slash];
        if (!(endText.Length == 1 && endText[0] == (byte)'*'))
        {
            if (!TryParseNumber(endText, out long e) || e < start - 1)
            {
                return false;
            }

            end = e;
        }

        long? total = null;
        var totalText = value[(slash + 1)..];
        if (!(totalText.Length == 1 && totalText[0] == (byte)'*'))
        {
            if (!TryParseNumber(totalText, out long t))
            {
                return false;
            }

            // RFC 4975 §7.1.1: a chunk cannot extend past the end of its message.
            if (end is long knownEnd && knownEnd > t)
            {
                return false;
            }

            total = t;
        }

        range = new ByteRange(start, end, total);
        return true;
    }

    private static bool TryParseNumber(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        // Digits only (Utf8Parser would accept signs); 18 digits cannot overflow a long.
        if (text.IsEmpty || text.Length > 18 || text.ContainsAnyExceptInRange((byte)'0', (byte)'9'))
        {
            return false;
        }

        return Utf8Parser.TryParse(text, out value, out int consumed) && consumed == text.Length;
    }

    public override string ToString() =>
        $"{Start}-{(End is long e ? e.ToString(System.Globalization.CultureInfo.InvariantCulture) : "*")}/{(Total is long t ? t.ToString(System.Globalization.CultureInfo.InvariantCulture) : "*")}";
}
