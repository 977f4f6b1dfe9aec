// SPDX-License-Identifier: MIT
using System.Buffers;
using System.Text;

namespace ImUeAgent.Testbed.Modem;

/// <summary>What <see cref="AtLineFramer.TryReadLine"/> found in the buffer.</summary>
internal enum AtFrameStatus
{
    /// <summary>No terminator yet: nothing consumed, wait for more bytes.</summary>
    Incomplete,

    /// <summary>A command line (without its terminator) and the bytes it consumed.</summary>
    Line,

    /// <summary>A line longer than <see cref="AtLineFramer.MaxLineLength"/>, consumed through its CR: answer ERROR.</summary>
    LineTooLong,

    /// <summary>
    /// More than <see cref="AtLineFramer.MaxLineLength"/> bytes and no terminator yet: that much was consumed; the
    /// caller discards up to the next CR (<see cref="AtLineFramer.SkipToEndOfLine"/>), then answers ERROR.
    /// </summary>
    Overflow,
}

/// <summary>
/// Pure framing of the TE → MT byte stream into command lines (ITU-T V.250 §5.2.1): a line ends at S3 (CR); an LF
/// after it (hosts that send CR LF) is skipped; S5 (backspace) deletes the previous character. Bytes are read as
/// Latin-1 so that garbage stays one character per byte. Lines are capped (DESIGN.md: AT line 2 KiB).
/// </summary>
internal static class AtLineFramer
{
    public const int MaxLineLength = 2048;

    private const byte CarriageReturn = 0x0D;
    private const byte LineFeed = 0x0A;
    private const byte Backspace = 0x08;

    /// <summary>
    /// Reads one line from <paramref name="buffer"/>. <paramref name="consumed"/> is where the caller advances to;
    /// on <see cref="AtFrameStatus.Incomplete"/> it is the start (leading LFs are consumed).
    /// </summary>
    public static AtFrameStatus TryReadLine(in ReadOnlySequence<byte> buffer, out string line, out SequencePosition consumed)
    {
        line = string.Empty;
        var reader = new SequenceReader<byte>(buffer);
        while (reader.TryPeek(out var first) && first == LineFeed)
        {
            reader.Advance(1);
        }

        var start = reader.Position;
        if (!reader.TryAdvanceTo(CarriageReturn, advancePastDelimiter: false))
        {
            var pending = buffer.Slice(start).Length;
            if (pending > MaxLineLength)
            {
                consumed = buffer.GetPosition(MaxLineLength, start);
                return AtFrameStatus.Overflow;
            }

            consumed = start;
            return AtFrameStatus.Incomplete;
        }

        var content = buffer.Slice(start, reader.Position);
        reader.Advance(1);
        if (content.Length > MaxLineLength)
        {
            consumed = reader.Position;
            return AtFrameStatus.LineTooLong;
        }

        consumed = reader.Position;
        line = Decode(content);
        return AtFrameStatus.Line;
    }

    /// <summary>
    /// While discarding an over-long line: consumes up to and including the next CR. True when the CR was found
    /// (discarding ends), false when everything was consumed and discarding goes on.
    /// </summary>
    public static bool SkipToEndOfLine(in ReadOnlySequence<byte> buffer, out SequencePosition consumed)
    {
        var reader = new SequenceReader<byte>(buffer);
        if (reader.TryAdvanceTo(CarriageReturn, advancePastDelimiter: true))
        {
            consumed = reader.Position;
            return true;
        }

        consumed = buffer.End;
        return false;
    }

    private static string Decode(in ReadOnlySequence<byte> content)
    {
        Span<byte> bytes = content.Length <= 256 ? stackalloc byte[(int)content.Length] : new byte[content.Length];
        content.CopyTo(bytes);
        if (bytes.IndexOf(Backspace) < 0)
        {
            return Encoding.Latin1.GetString(bytes);
        }

        var builder = new StringBuilder(bytes.Length);
        foreach (var b in bytes)
        {
            if (b == Backspace)
            {
                if (builder.Length > 0)
                {
                    builder.Length--;
                }
            }
            else
            {
                builder.Append((char)b);
            }
        }

        return builder.ToString();
    }
}
