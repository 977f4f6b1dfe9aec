// SPDX-License-Identifier: MIT
using System.Buffers;
using System.Text.Unicode;

namespace ImUeAgent.Modem.At;

/// <summary>Why the framer rejected a line (STYLE.md §4: a closed set, never string matching).</summary>
public enum AtFramingError
{
    /// <summary>More than <see cref="AtFramer.MaxLineLength"/> bytes without a line end (DESIGN.md: AT line 2 KiB).</summary>
    LineTooLong = 1,

    /// <summary>A C0 control byte (NUL, BEL, DEL...) inside a line: line noise or a baud-rate mismatch.</summary>
    ControlCharacter,

    /// <summary>Bytes that are not UTF-8 (which covers the V.250 IRA alphabet).</summary>
    InvalidUtf8,

    /// <summary>The port closed in the middle of a line.</summary>
    TruncatedLine,
}

/// <summary>What <see cref="AtFramer.Read"/> found.</summary>
internal enum AtFrameStatus
{
    /// <summary>No complete frame yet; only line terminators (if any) were consumed.</summary>
    Incomplete,

    /// <summary>A line without its terminator.</summary>
    Line,

    /// <summary>The "&gt; " prompt a modem sends (without a line end) when it waits for data (27.005 +CMGS).</summary>
    Prompt,

    /// <summary>A rejected line, already skipped; <see cref="AtFrame.Error"/> says why.</summary>
    Error,
}

/// <summary>One frame cut by the framer. <see cref="Line"/> slices the caller's buffer: use it before advancing.</summary>
internal readonly struct AtFrame
{
    public AtFrame(ReadOnlySequence<byte> line)
    {
        Line = line;
    }

    public AtFrame(AtFramingError error, long length, int column)
    {
        Error = error;
        Length = length;
        Column = column;
    }

    public ReadOnlySequence<byte> Line { get; }

    public AtFramingError Error { get; }

    /// <summary>For errors: how many bytes of the bad line were skipped by this frame.</summary>
    public long Length { get; }

    /// <summary>For errors: the 0-based byte offset inside the line where the problem is.</summary>
    public int Column { get; }
}

/// <summary>State the framer carries between calls: only whether it is skipping the rest of an overlong line.</summary>
internal struct AtFramerState
{
    public bool DiscardingOverlongLine;
}

/// <summary>
/// Cuts the byte stream from a modem into lines (STYLE.md §1/§6): a pure function over a
/// <see cref="ReadOnlySequence{T}"/>, no I/O. V.250 §5.7.1: responses are framed by S3/S4 (CR LF); echo ends with the
/// command's CR alone, and some firmware sends bare LF, so any run of CR and LF ends a line and empty lines vanish.
/// The "&gt; " prompt (27.005 §3.5.1) has no line end and is recognised at the start of a line.
/// </summary>
internal static class AtFramer
{
    /// <summary>DESIGN.md "Limits on every input": an AT line is at most 2 KiB.</summary>
    public const int MaxLineLength = 2048;

    // HT is kept (some firmware pads with tabs); SUB (Ctrl-Z) and ESC end the data of +CMGS-style commands and come
    // back in its echo, so they are not noise either. Every other C0 byte and DEL is.
    private static readonly SearchValues<byte> ForbiddenControls = SearchValues.Create(
        [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x0B, 0x0C, 0x0E, 0x0F, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
         0x16, 0x17, 0x18, 0x19, 0x1C, 0x1D, 0x1E, 0x1F, 0x7F]);

    private static ReadOnlySpan<byte> Terminators => "\r\n"u8;

    /// <summary>
    /// Reads the next frame. <paramref name="buffer"/> is advanced past what was consumed; on
    /// <see cref="AtFrameStatus.Incomplete"/> the caller advances its reader to <c>buffer.Start</c> and marks the rest
    /// examined.
    /// </summary>
    public static AtFrameStatus Read(ref AtFramerState state, ref ReadOnlySequence<byte> buffer, out AtFrame frame)
    {
        frame = default;
        while (true)
        {
            if (state.DiscardingOverlongLine)
            {
                var end = buffer.PositionOfAny(Terminators);
                if (end is null)
                {
                    buffer = buffer.Slice(buffer.End);
                    return AtFrameStatus.Incomplete;
                }

                buffer = buffer.Slice(end.Value);
                state.DiscardingOverlongLine = false;
            }

            var reader = new SequenceReader<byte>(buffer);
            reader.AdvancePastAny((byte)'\r', (byte)'\n');
            buffer = buffer.Slice(reader.Position);
            if (buffer.IsEmpty)
            {
                return AtFrameStatus.Incomplete;
            }

            if (reader.TryPeek(out var first) && first == (byte)'>')
            {
                if (buffer.Length == 1)
                {
                    return AtFrameStatus.Incomplete;
                }

                if (reader.TryPeek(1, out var second) && second == (byte)' ')
                {
                    buffer = buffer.Slice(2);
                    return AtFrameStatus.Prompt;
                }
            }

            // Look one byte past the cap: a terminator there still means the line is too long.
            var window = buffer.Length > MaxLineLength ? buffer.Slice(0, MaxLineLength + 1) : buffer;
            var terminator = window.PositionOfAny(Terminators);
            if (terminator is null)
            {
                if (window.Length <= MaxLineLength)
                {
                    return AtFrameStatus.Incomplete;
                }

                // Report once, skip what is here and the rest of the line whenever it comes (bounded memory).
                frame = new AtFrame(AtFramingError.LineTooLong, window.Length, MaxLineLength);
                buffer = buffer.Slice(window.End);
                state.DiscardingOverlongLine = true;
                return AtFrameStatus.Error;
            }

            var line = buffer.Slice(0, terminator.Value);
            buffer = buffer.Slice(terminator.Value);
            if (line.Length > MaxLineLength)
            {
                frame = new AtFrame(AtFramingError.LineTooLong, line.Length, MaxLineLength);
                return AtFrameStatus.Error;
            }

            var problem = Validate(line, out var column);
            if (problem != 0)
            {
                frame = new AtFrame(problem, line.Length, column);
                return AtFrameStatus.Error;
            }

            frame = new AtFrame(line);
            return AtFrameStatus.Line;
        }
    }

    /// <summary>Checks a line for noise: no forbidden control byte, valid UTF-8.</summary>
    internal static AtFramingError Validate(in ReadOnlySequence<byte> line, out int column)
    {
        if (line.IsSingleSegment)
        {
            return Validate(line.FirstSpan, out column);
        }

        Span<byte> copy = stackalloc byte[MaxLineLength];
        line.CopyTo(copy);
        return Validate(copy[..(int)line.Length], out column);
    }

    internal static AtFramingError Validate(ReadOnlySpan<byte> line, out int column)
    {
        column = line.IndexOfAny(ForbiddenControls);
        if (column >= 0)
        {
            return AtFramingError.ControlCharacter;
        }

        if (Utf8.IsValid(line))
        {
            column = 0;
            return 0;
        }

        // Slow path only for bad lines: find where the invalid sequence starts.
        var offset = 0;
        while (offset < line.Length)
        {
            var status = System.Text.Rune.DecodeFromUtf8(line[offset..], out _, out var consumed);
            if (status != OperationStatus.Done)
            {
                break;
            }

            offset += consumed;
        }

        column = offset;
        return AtFramingError.InvalidUtf8;
    }

    private static SequencePosition? PositionOfAny(this in ReadOnlySequence<byte> sequence, ReadOnlySpan<byte> values)
    {
        if (sequence.IsSingleSegment)
        {
            var index = sequence.FirstSpan.IndexOfAny(values);
            return index < 0 ? null : sequence.GetPosition(index);
        }

        var position = sequence.Start;
        var offset = 0L;
        while (sequence.TryGet(ref position, out var memory))
        {
            var index = memory.Span.IndexOfAny(values);
            if (index >= 0)
            {
                return sequence.GetPosition(offset + index);
            }

            offset += memory.Length;
        }

        return null;
    }
}
