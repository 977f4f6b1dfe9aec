// SPDX-License-Identifier: MIT
using System.Buffers;

namespace ImUeAgent.Msrp.Framing;

/// <summary>What one <see cref="MsrpFrameReader.Read"/> call produced.</summary>
public enum MsrpReadKind
{
    /// <summary>Nothing complete yet: advance to Consumed/Examined and read more.</summary>
    NeedMoreData,
    /// <summary>A start line and header block; see <see cref="MsrpFrameReader.Head"/>.</summary>
    Head,
    /// <summary>A slice of body, in order, to hand on before advancing past Consumed.</summary>
    Body,
    /// <summary>The end-line; <see cref="MsrpReadResult.Continuation"/> holds its flag.</summary>
    End,
    /// <summary>Framing is lost; the connection must be closed.</summary>
    Error,
}

/// <summary>The outcome of one read step. <see cref="Body"/> is a slice of the caller's buffer, valid until it advances.</summary>
public readonly struct MsrpReadResult
{
    internal MsrpReadResult(MsrpReadKind kind, SequencePosition consumed, SequencePosition examined,
        ReadOnlySequence<byte> body = default, MsrpContinuation continuation = MsrpContinuation.Complete,
        MsrpFrameError error = MsrpFrameError.None, long errorOffset = 0)
    {
        Kind = kind;
        Consumed = consumed;
        Examined = examined;
        Body = body;
        Continuation = continuation;
        Error = error;
        ErrorOffset = errorOffset;
    }

    public MsrpReadKind Kind { get; }

    public SequencePosition Consumed { get; }

    public SequencePosition Examined { get; }

    public ReadOnlySequence<byte> Body { get; }

    public MsrpContinuation Continuation { get; }

    public MsrpFrameError Error { get; }

    /// <summary>Byte offset inside the frame where the error was found.</summary>
    public long ErrorOffset { get; }
}

/// <summary>
/// Incremental MSRP frame reader (RFC 4975 §5.1, §9). Each call looks at the unread bytes and reports one step: a
/// head, a body slice, the end-line, a need for more data, or a framing error. Bodies are never buffered: every byte
/// that cannot be the start of this transaction's end-line is returned as a slice of the input at once; only a tail
/// that might begin the end-line (<c>CRLF "-------" transact-id flag CRLF</c>) is held back until more data shows
/// what it is. The caller advances its pipe to Consumed/Examined after each step.
/// </summary>
public sealed class MsrpFrameReader
{
    /// <summary>Cap on the start line plus headers (DESIGN: MSRP headers 8 KiB).</summary>
    public const int MaxHeaderBlock = 8192;

    private static readonly byte[] s_startPrefix = "MSRP "u8.ToArray();

    private readonly byte[] _endPattern = new byte[9 + 32];
    private int _endPatternLength;
    private State _state = State.Head;
    private MsrpContinuation _pendingEndFlag;

    private enum State
    {
        Head,
        Body,
        PendingEnd,
        Failed,
    }

    /// <summary>The most recent head; valid until the next <see cref="MsrpReadKind.Head"/>.</summary>
    public MsrpFrameHead Head { get; } = new();

    /// <summary>True between a head and its end-line: a connection closing now truncates a frame.</summary>
    public bool InFrame => _state is State.Body or State.PendingEnd;

    public MsrpReadResult Read(in ReadOnlySequence<byte> buffer) => _state switch
    {
        State.Head => ReadHead(buffer),
        State.Body => ReadBody(buffer),
        State.PendingEnd => EmitPendingEnd(buffer),
        _ => new MsrpReadResult(MsrpReadKind.Error, buffer.Start, buffer.End, error: MsrpFrameError.InvalidStartLine),
    };

    private MsrpReadResult EmitPendingEnd(in ReadOnlySequence<byte> buffer)
    {
        _state = State.Head;
        return new MsrpReadResult(MsrpReadKind.End, buffer.Start, buffer.Start, continuation: _pendingEndFlag);
    }

    private MsrpReadResult ReadHead(in ReadOnlySequence<byte> buffer)
    {
        // Reject early when the first bytes cannot begin "MSRP " so hostile input does not sit in the buffer up to the cap.
        int probe = (int)Math.Min(buffer.Length, s_startPrefix.Length);
        Span<byte> first = stackalloc byte[5];
        buffer.Slice(0, probe).CopyTo(first);
        if (!first[..probe].SequenceEqual(s_startPrefix.AsSpan(0, probe)))
        {
            return Fail(buffer, MsrpFrameError.InvalidStartLine, 0);
        }

        var limited = buffer.Length > MaxHeaderBlock ? buffer.Slice(0, MaxHeaderBlock) : buffer;
        var reader = new SequenceReader<byte>(limited);
        bool firstLine = true;
        while (reader.TryReadTo(out ReadOnlySequence<byte> line, "\r\n"u8, advancePastDelimiter: true))
        {
            if (firstLine)
            {
                firstLine = false;
                continue;
            }

            bool blank = line.IsEmpty;
            bool endLine = !blank && StartsWithDashes(line);
            if (!blank && !endLine)
            {
                continue;
            }

            var fatal = Head.Parse(limited.Slice(0, reader.Consumed), endLine, out int errorOffset, out var endFlag);
            if (fatal != MsrpFrameError.None)
            {
                return Fail(buffer, fatal, errorOffset);
            }

            SetEndPattern(Head.TransactionId);
            if (endLine)
            {
                _state = State.PendingEnd;
                _pendingEndFlag = endFlag;
            }
            else
            {
                _state = State.Body;
            }

            return new MsrpReadResult(MsrpReadKind.Head, reader.Position, reader.Position);
        }

        if (buffer.Length >= MaxHeaderBlock)
        {
            return Fail(buffer, MsrpFrameError.HeaderBlockTooLarge, MaxHeaderBlock);
        }

        return new MsrpReadResult(MsrpReadKind.NeedMoreData, buffer.Start, buffer.End);
    }

    private static bool StartsWithDashes(in ReadOnlySequence<byte> line)
    {
        if (line.Length < 7)
        {
            return false;
        }

        Span<byte> seven = stackalloc byte[7];
        line.Slice(0, 7).CopyTo(seven);
        return seven.SequenceEqual("-------"u8);
    }

    private void SetEndPattern(ReadOnlySpan<byte> transactionId)
    {
        "\r\n-------"u8.CopyTo(_endPattern);
        transactionId.CopyTo(_endPattern.AsSpan(9));
        _endPatternLength = 9 + transactionId.Length;
    }

    private MsrpReadResult ReadBody(in ReadOnlySequence<byte> buffer)
    {
        var pattern = _endPattern.AsSpan(0, _endPatternLength);
        var reader = new SequenceReader<byte>(buffer);
        while (!reader.End)
        {
            // Candidates are whole "CRLF ------- transact-id" sequences (EndLineSearch: vectorised on the dashes), so a
            // body full of CRLFs (text) costs what random data costs instead of a stop at every line. Only a CR within
            // the segment's last pattern-length bytes may start one that continues in the next segment; those few are
            // candidates too.
            var span = reader.UnreadSpan;
            int i = EndLineSearch.IndexOf(span, pattern, dashOffset: 2);
            if (i < 0)
            {
                int tail = Math.Max(0, span.Length - (pattern.Length - 1));
                int cr = span[tail..].IndexOf((byte)'\r');
                if (cr < 0)
                {
                    reader.Advance(span.Length);
                    continue;
                }

                i = tail + cr;
            }

            reader.Advance(i);
            var candidate = reader.Position;
            long candidateOffset = reader.Consumed;
            switch (MatchEndLine(reader, pattern, out var flag, out long endLength))
            {
                case EndMatch.Full:
                    if (candidateOffset > 0)
                    {
                        return BodySlice(buffer, candidate, candidate);
                    }

                    _state = State.Head;
                    var after = buffer.GetPosition(endLength);
                    return new MsrpReadResult(MsrpReadKind.End, after, after, continuation: flag);

                case EndMatch.Partial:
                    // The tail may be the start of the end-line: hand on what precedes it, hold the rest back.
                    return candidateOffset > 0
                        ? BodySlice(buffer, candidate, candidate)
                        : new MsrpReadResult(MsrpReadKind.NeedMoreData, buffer.Start, buffer.End);

                default:
                    reader.Advance(1); // a CR of the body (look-alike or plain data)
                    break;
            }
        }

        return buffer.IsEmpty
            ? new MsrpReadResult(MsrpReadKind.NeedMoreData, buffer.Start, buffer.End)
            : BodySlice(buffer, buffer.End, buffer.End);
    }

    private static MsrpReadResult BodySlice(in ReadOnlySequence<byte> buffer, SequencePosition end, SequencePosition examined) =>
        new(MsrpReadKind.Body, end, examined, body: buffer.Slice(buffer.Start, end));

    private enum EndMatch
    {
        None,
        Partial,
        Full,
    }

    private static EndMatch MatchEndLine(SequenceReader<byte> reader, ReadOnlySpan<byte> pattern, out MsrpContinuation flag, out long length)
    {
        flag = MsrpContinuation.Complete;
        length = pattern.Length + 3;
        Span<byte> window = stackalloc byte[9 + 32 + 3];
        window = window[..(int)length];
        int available = (int)Math.Min(reader.Remaining, length);
        reader.TryCopyTo(window[..available]);
        int compare = Math.Min(available, pattern.Length);
        if (!window[..compare].SequenceEqual(pattern[..compare]))
        {
            return EndMatch.None;
        }

        if (available <= pattern.Length)
        {
            return EndMatch.Partial;
        }

        byte f = window[pattern.Length];
        if (!MsrpFrameHead.IsFlag(f))
        {
            return EndMatch.None;
        }

        if (available == pattern.Length + 1)
        {
            return EndMatch.Partial;
        }

        if (window[pattern.Length + 1] != (byte)'\r')
        {
            return EndMatch.None;
        }

        if (available == pattern.Length + 2)
        {
            return EndMatch.Partial;
        }

        if (window[pattern.Length + 2] != (byte)'\n')
        {
            return EndMatch.None;
        }

        flag = (MsrpContinuation)f;
        return EndMatch.Full;
    }

    private MsrpReadResult Fail(in ReadOnlySequence<byte> buffer, MsrpFrameError error, long offset)
    {
        _state = State.Failed;
        return new MsrpReadResult(MsrpReadKind.Error, buffer.Start, buffer.End, error: error, errorOffset: offset);
    }

    /// <summary>Forgets any partial frame (used after a connection is replaced).</summary>
    public void Reset() => _state = State.Head;
}
