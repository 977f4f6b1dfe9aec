// SPDX-License-Identifier: MIT
using System.Text;
using ImUeAgent.Msrp.Framing;

namespace ImUeAgent.Msrp.Sessions;

/// <summary>Sender-side state of one message: how many chunk responses are outstanding and how it ended.</summary>
internal sealed class OutgoingMessage
{
    private readonly Lock _lock = new();
    private int _pendingResponses;
    private bool _allSent;

    public OutgoingMessage(string messageId, string contentType, MsrpFailureReport failureReport, bool successReport)
    {
        MessageId = messageId;
        MessageIdBytes = Encoding.ASCII.GetBytes(messageId);
        ContentTypeBytes = Encoding.UTF8.GetBytes(contentType);
        FailureReport = failureReport;
        SuccessReport = successReport;
    }

    public string MessageId { get; }

    public byte[] MessageIdBytes { get; }

    public byte[] ContentTypeBytes { get; }

    public MsrpFailureReport FailureReport { get; }

    public bool SuccessReport { get; }

    /// <summary>The transaction id of the chunk being written (reused buffer).</summary>
    public byte[] TransactionId { get; } = new byte[TransactionIds.Length];

    public long BytesSent { get; set; }

    public int Chunks { get; set; }

    /// <summary>Set once a failure settles the message: the sender stops and ends an open chunk with '#'.</summary>
    public volatile bool StopRequested;

    public TaskCompletionSource<MsrpSendResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsSettled => Done.Task.IsCompleted;

    public void ChunkRegistered()
    {
        if (FailureReport == MsrpFailureReport.Yes)
        {
            lock (_lock)
            {
                _pendingResponses++;
            }
        }
    }

    public void OnResponse(int statusCode)
    {
        if (MsrpStatusCodes.IsSuccess(statusCode))
        {
            if (FailureReport == MsrpFailureReport.Yes)
            {
                lock (_lock)
                {
                    _pendingResponses--;
                    TryDeliver();
                }
            }

            return;
        }

        // RFC 4975 §10.5 (413) and any other failure: stop sending this message.
        Settle(MsrpSendOutcome.Rejected, statusCode);
    }

    public void AllSent()
    {
        lock (_lock)
        {
            _allSent = true;
            TryDeliver();
        }
    }

    public void Settle(MsrpSendOutcome outcome, int statusCode)
    {
        StopRequested = true;
        Done.TrySetResult(new MsrpSendResult(outcome, statusCode, MessageId, BytesSent, Chunks));
    }

    private void TryDeliver()
    {
        if (_allSent && (FailureReport != MsrpFailureReport.Yes || _pendingResponses == 0))
        {
            Done.TrySetResult(new MsrpSendResult(MsrpSendOutcome.Delivered, MsrpStatusCodes.Ok, MessageId, BytesSent, Chunks));
        }
    }
}

/// <summary>Where an outgoing message's bytes come from, with a way to put back bytes a chunk could not carry.</summary>
internal abstract class ChunkSource
{
    /// <summary>Total length if known (RFC 4975 Byte-Range total); null sends '*'.</summary>
    public abstract long? Length { get; }

    public abstract ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken);

    /// <summary>Returns the last <paramref name="data"/>.Length bytes read so the next chunk sends them.</summary>
    public abstract void PushBack(ReadOnlySpan<byte> data);
}

internal sealed class MemoryChunkSource(ReadOnlyMemory<byte> data) : ChunkSource
{
    private int _position;

    public override long? Length => data.Length;

    public override ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        int n = Math.Min(destination.Length, data.Length - _position);
        data.Span.Slice(_position, n).CopyTo(destination.Span);
        _position += n;
        return ValueTask.FromResult(n);
    }

    public override void PushBack(ReadOnlySpan<byte> data) => _position -= data.Length;
}

internal sealed class StreamChunkSource(Stream stream, long? length) : ChunkSource
{
    private byte[]? _carry;
    private int _carryStart;
    private int _carryEnd;

    public override long? Length => length;

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (_carry is not null && _carryStart < _carryEnd)
        {
            int n = Math.Min(destination.Length, _carryEnd - _carryStart);
            _carry.AsSpan(_carryStart, n).CopyTo(destination.Span);
            _carryStart += n;
            return n;
        }

        return await stream.ReadAsync(destination, cancellationToken).ConfigureAwait(false);
    }

    public override void PushBack(ReadOnlySpan<byte> data)
    {
        // Rare (an end-line look-alike in the data): keep the bytes for the next chunk.
        int pending = _carry is null ? 0 : _carryEnd - _carryStart;
        var next = new byte[data.Length + pending];
        data.CopyTo(next);
        if (pending > 0)
        {
            _carry.AsSpan(_carryStart, pending).CopyTo(next.AsSpan(data.Length));
        }

        _carry = next;
        _carryStart = 0;
        _carryEnd = next.Length;
    }
}
