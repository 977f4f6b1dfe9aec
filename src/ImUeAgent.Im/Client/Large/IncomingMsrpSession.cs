// SPDX-License-Identifier: MIT
using System.Buffers;
using ImUeAgent.Msrp.Framing;
using ImUeAgent.Msrp.Sessions;

namespace ImUeAgent.Im.Client.Large;

/// <summary>Who is on the other side of an accepted MSRP session, from its INVITE.</summary>
internal sealed record IncomingSessionContext(string CallId, string? SenderUri, string? SenderName, string? RecipientUri, string? ApplicationId);

/// <summary>Commits one received MSRP message and returns the status of its final 200/error response (RFC 4975
/// §7.1.1): the response goes out only after this returns, so a message is on disk before it is acknowledged.</summary>
internal delegate ValueTask<int> MsrpCommit(IncomingSessionContext context, MsrpIncomingMessage message, ReadOnlyMemory<byte> body, CancellationToken cancellationToken);

/// <summary>The receiving side of a Large Message Mode session (9) or a deferred push (Appendix D.2): every SEND is
/// collected (bounded by the advertised a=max-size) and handed to the commit step when complete.</summary>
internal sealed class IncomingMsrpSession(IncomingSessionContext context, long maxBytes, MsrpCommit commit) : IMsrpSessionHandler
{
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IncomingSessionContext Context => context;

    public Task Closed => _closed.Task;

    private MsrpCommit Commit => commit;

    public MsrpReceiveDecision OnMessageStarted(MsrpSession session, MsrpIncomingMessage message)
    {
        if (message.TotalLength > maxBytes)
        {
            return MsrpReceiveDecision.Reject(MsrpStatusCodes.StopSending);
        }

        return MsrpReceiveDecision.Accept(new CommitSink(this, message, maxBytes));
    }

    public void OnClosed(MsrpSession session) => _closed.TrySetResult();

    private sealed class CommitSink(IncomingMsrpSession owner, MsrpIncomingMessage message, long maxBytes) : IMsrpMessageSink
    {
        private byte[] _buffer = new byte[(int)Math.Min(message.TotalLength ?? 4096, maxBytes)];
        private long _length;

        public ValueTask WriteAsync(long offset, ReadOnlySequence<byte> data, CancellationToken cancellationToken)
        {
            long end = offset + data.Length;
            if (end > maxBytes)
            {
                // The session turns this into 403 and drops the message; the sender learns through a=max-size first.
                throw new InvalidOperationException("MSRP message over a=max-size");
            }

            if (end > _buffer.Length)
            {
                Array.Resize(ref _buffer, (int)Math.Min(maxBytes, Math.Max(end, (long)_buffer.Length * 2)));
            }

            data.CopyTo(_buffer.AsSpan((int)offset));
            _length = Math.Max(_length, end);
            return ValueTask.CompletedTask;
        }

        public ValueTask<int> CompleteAsync(long length, CancellationToken cancellationToken) =>
            owner.Commit(owner.Context, message, _buffer.AsMemory(0, (int)Math.Min(length, _length)), cancellationToken);

        public ValueTask AbortAsync(MsrpIncompleteReason reason, CancellationToken cancellationToken)
        {
            _buffer = [];
            _length = 0;
            return ValueTask.CompletedTask;
        }
    }
}
