// SPDX-License-Identifier: MIT
using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using ImUeAgent.Msrp.Framing;

namespace ImUeAgent.Msrp.Tests;

/// <summary>A parsed frame as plain values, for assertions.</summary>
internal sealed record ParsedFrame(
    MsrpFrameKind Kind,
    string TransactionId,
    string Method,
    int StatusCode,
    string ToPath,
    string FromPath,
    string MessageId,
    ByteRange? ByteRange,
    MsrpFrameError SemanticError,
    string ContentType,
    bool HasBody)
{
    public byte[] Body { get; set; } = [];

    public MsrpContinuation? Flag { get; set; }

    public MsrpFrameHead? LiveHead { get; set; }

    public string RawHead { get; set; } = "";
}

/// <summary>
/// Drives <see cref="MsrpFrameReader"/> the way a pipe read loop does: each fed piece becomes its own segment of a
/// multi-segment sequence, unconsumed bytes stay, consumed ones go.
/// </summary>
internal sealed class FrameFeeder
{
    private readonly MsrpFrameReader _reader = new();
    private readonly List<byte[]> _pieces = [];
    private List<byte>? _body;

    public List<ParsedFrame> Frames { get; } = [];

    public MsrpFrameError Error { get; private set; }

    public long ErrorOffset { get; private set; }

    public int BodySegments { get; private set; }

    public bool BodySlicesCameFromInput { get; private set; } = true;

    public long Buffered => _pieces.Sum(p => (long)p.Length);

    public MsrpFrameReader Reader => _reader;

    public Action<ParsedFrame, MsrpFrameHead>? OnHead { get; set; }

    public static FrameFeeder FeedAll(byte[] data, params int[] splits)
    {
        var f = new FrameFeeder();
        int last = 0;
        foreach (int s in splits.Order())
        {
            f.Feed(data.AsSpan(last, s - last));
            last = s;
        }

        f.Feed(data.AsSpan(last));
        return f;
    }

    public void Feed(ReadOnlySpan<byte> data)
    {
        if (Error != MsrpFrameError.None)
        {
            return;
        }

        if (!data.IsEmpty)
        {
            _pieces.Add(data.ToArray());
        }

        var seq = Build();
        while (true)
        {
            var r = _reader.Read(seq);
            switch (r.Kind)
            {
                case MsrpReadKind.NeedMoreData:
                    Keep(seq.Slice(r.Consumed));
                    return;
                case MsrpReadKind.Error:
                    Error = r.Error;
                    ErrorOffset = r.ErrorOffset;
                    Keep(seq);
                    return;
                case MsrpReadKind.Head:
                    var h = _reader.Head;
                    var frame = new ParsedFrame(h.Kind, h.GetTransactionId(), Encoding.ASCII.GetString(h.MethodName), h.StatusCode,
                        h.GetToPath(), h.GetFromPath(), h.GetMessageId(), h.ByteRange, h.SemanticError, h.GetContentType(), h.HasBody)
                    {
                        LiveHead = h,
                        RawHead = Encoding.UTF8.GetString(h.RawBlock),
                    };
                    OnHead?.Invoke(frame, h);
                    Frames.Add(frame);
                    _body = [];
                    break;
                case MsrpReadKind.Body:
                    Assert.False(r.Body.IsEmpty);
                    BodySegments++;
                    foreach (var m in r.Body)
                    {
                        if (!MemoryMarshal.TryGetArray(m, out var seg) || !_pieces.Any(p => ReferenceEquals(p, seg.Array)))
                        {
                            BodySlicesCameFromInput = false;
                        }

                        _body!.AddRange(m.Span);
                    }

                    break;
                case MsrpReadKind.End:
                    Frames[^1].Body = _body!.ToArray();
                    Frames[^1].Flag = r.Continuation;
                    break;
            }

            seq = seq.Slice(r.Consumed);
        }
    }

    private void Keep(ReadOnlySequence<byte> rest)
    {
        var kept = new List<byte[]>();
        foreach (var m in rest)
        {
            // Reuse the original arrays when a segment is still whole so identity checks keep working.
            if (MemoryMarshal.TryGetArray(m, out var seg) && seg.Offset == 0 && seg.Count == seg.Array!.Length)
            {
                kept.Add(seg.Array);
            }
            else if (!m.IsEmpty)
            {
                kept.Add(m.ToArray());
            }
        }

        _pieces.Clear();
        _pieces.AddRange(kept);
    }

    private ReadOnlySequence<byte> Build()
    {
        if (_pieces.Count == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        if (_pieces.Count == 1)
        {
            return new ReadOnlySequence<byte>(_pieces[0]);
        }

        var first = new Segment(_pieces[0]);
        var last = first;
        for (int i = 1; i < _pieces.Count; i++)
        {
            last = last.Append(_pieces[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] data) => Memory = data;

        public Segment Append(byte[] data)
        {
            var next = new Segment(data) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
