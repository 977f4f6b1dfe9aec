// SPDX-License-Identifier: MIT
using System.Buffers;

namespace ImUeAgent.Msrp.Sessions;

/// <summary>
/// Collects a small message in memory (deferred-push CPIM bodies, IMDNs). Bounded by <c>maxLength</c>; writes at any
/// offset, so out-of-order chunks land in place.
/// </summary>
public sealed class MsrpMemorySink : IMsrpMessageSink
{
    private readonly long _maxLength;
    private byte[] _buffer;
    private long _length;
    private readonly TaskCompletionSource<ReadOnlyMemory<byte>> _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public MsrpMemorySink(long maxLength, long? expectedLength = null)
    {
        _maxLength = maxLength;
        _buffer = new byte[(int)Math.Min(expectedLength ?? 4096, maxLength)];
    }

    /// <summary>The body, once complete.</summary>
    public Task<ReadOnlyMemory<byte>> Completed => _completed.Task;

    public ReadOnlyMemory<byte> Data => _buffer.AsMemory(0, (int)_length);

    public ValueTask WriteAsync(long offset, ReadOnlySequence<byte> data, CancellationToken cancellationToken)
    {
        long end = offset + data.Length;
        if (end > _maxLength)
        {
            throw new InvalidOperationException($"message exceeds {_maxLength} bytes");
        }

        if (end > _buffer.Length)
        {
            Array.Resize(ref _buffer, (int)Math.Min(_maxLength, Math.Max(end, (long)_buffer.Length * 2)));
        }

        data.CopyTo(_buffer.AsSpan((int)offset));
        _length = Math.Max(_length, end);
        return ValueTask.CompletedTask;
    }

    public ValueTask<int> CompleteAsync(long length, CancellationToken cancellationToken)
    {
        _length = length;
        _completed.TrySetResult(Data);
        return ValueTask.FromResult(200);
    }

    public ValueTask AbortAsync(MsrpIncompleteReason reason, CancellationToken cancellationToken)
    {
        _completed.TrySetException(new InvalidOperationException($"message incomplete: {reason}"));
        return ValueTask.CompletedTask;
    }
}

/// <summary>Writes a message into a seekable stream (a file for Large Message Mode) at each chunk's offset.</summary>
public sealed class MsrpStreamSink : IMsrpMessageSink
{
    private readonly Stream _stream;
    private readonly Func<long, CancellationToken, ValueTask<int>>? _onComplete;

    public MsrpStreamSink(Stream stream, Func<long, CancellationToken, ValueTask<int>>? onComplete = null)
    {
        if (!stream.CanSeek || !stream.CanWrite)
        {
            throw new ArgumentException("stream must be seekable and writable", nameof(stream));
        }

        _stream = stream;
        _onComplete = onComplete;
    }

    public async ValueTask WriteAsync(long offset, ReadOnlySequence<byte> data, CancellationToken cancellationToken)
    {
        if (_stream.Position != offset)
        {
            _stream.Position = offset;
        }

        foreach (var segment in data)
        {
            await _stream.WriteAsync(segment, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask<int> CompleteAsync(long length, CancellationToken cancellationToken)
    {
        await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        return _onComplete is null ? 200 : await _onComplete(length, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask AbortAsync(MsrpIncompleteReason reason, CancellationToken cancellationToken)
    {
        _stream.SetLength(0);
        return ValueTask.CompletedTask;
    }
}
