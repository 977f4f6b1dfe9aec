// SPDX-License-Identifier: MIT
using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Threading.Channels;
using ImUeAgent.Msrp.Framing;
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Msrp.Sessions;

/// <summary>Connection-level settings.</summary>
public sealed record MsrpConnectionOptions
{
    /// <summary>Close a connection that has carried no traffic and has no session for this long.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Flush the output once this many bytes are buffered inside a chunk. Matches the TCP transport's buffer size, so
    /// each flush is one full-buffer write.
    /// </summary>
    public int FlushThreshold { get; init; } = 256 * 1024;

    /// <summary>Responses and REPORTs waiting for the connection beyond this make the reader wait (back-pressure).</summary>
    public int MaxOutbox { get; init; } = 256 * 1024;
}

/// <summary>A response to a request this side sent (AUTH needs its headers).</summary>
internal sealed record MsrpResponseInfo(int StatusCode, string Comment, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    public string? Header(string name) => Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
}

/// <summary>
/// One transport connection (an <see cref="IDuplexPipe"/>) carrying one or more sessions (RFC 4975 §5.4). Owns the
/// read loop (frame reader, dispatch by To-Path session-id, responses), the write side (one writer at a time; long
/// chunks yield to waiting writers), pending transactions with their timeout, and the idle timeout.
/// </summary>
public sealed class MsrpConnection : IAsyncDisposable
{
    private readonly IDuplexPipe _transport;
    private readonly MsrpEndpoint _endpoint;
    private readonly MsrpConnectionOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly MsrpFrameReader _reader = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Lock _outboxLock = new();
    private readonly ArrayBufferWriter<byte> _outbox = new(4096);
    private readonly Channel<bool> _outboxSignal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly Lock _pendingLock = new();
    private readonly Dictionary<ulong, PendingTransaction> _pending = [];
    private readonly Queue<(ulong Key, DateTimeOffset Deadline)> _deadlines = new();
    private readonly Lock _sessionsLock = new();
    private readonly List<MsrpSession> _sessions = [];
    private readonly CancellationTokenSource _closing = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ITimer _transactionTimer;
    private readonly ITimer? _idleTimer;
    private int _writeWaiters;
    private volatile bool _outboxHasData;
    private volatile bool _peerFinished;
    private volatile bool _retiring;
    private bool _timerArmed;
    private long _lastActivity;
    private int _started;
    private string _closeReason = "peer closed";

    // The request being read (valid from its head to its end-line; the head stays in the reader until then).
    private RequestState _current;
    private MsrpSession? _currentSession;
    private MsrpIncomingMessage? _currentMessage;
    private long _chunkStart;
    private long _offset;
    private int _status;

    private enum RequestState
    {
        None,
        Send,
        Discard,
        Report,
        Ignore,
    }

    /// <summary>Smallest piece of a long chunk taken from the writer's buffer before asking for a fresh one.</summary>
    private const int MinimumPiece = 2048;

    private readonly record struct PendingTransaction(OutgoingMessage? Message, TaskCompletionSource<MsrpResponseInfo>? Waiter, bool TimesOut);

    internal MsrpConnection(MsrpEndpoint endpoint, IDuplexPipe transport, bool initiatedLocally, string? remoteAuthority,
        MsrpConnectionOptions options, ILogger logger, TimeProvider time, string name)
    {
        _endpoint = endpoint;
        _transport = transport;
        IsInitiatedLocally = initiatedLocally;
        RemoteAuthority = remoteAuthority;
        _options = options;
        _logger = logger;
        _time = time;
        Name = name;
        _lastActivity = time.GetTimestamp();
        _transactionTimer = time.CreateTimer(static s => ((MsrpConnection)s!).OnTransactionTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        if (options.IdleTimeout > TimeSpan.Zero && options.IdleTimeout != Timeout.InfiniteTimeSpan)
        {
            _idleTimer = time.CreateTimer(static s => ((MsrpConnection)s!).OnIdleTimer(), this, options.IdleTimeout, options.IdleTimeout);
        }
    }

    /// <summary>For logs: the peer authority or an in-memory name.</summary>
    public string Name { get; }

    /// <summary>True when this side opened the connection (only those are reused for new sessions, RFC 4975 §5.4).</summary>
    public bool IsInitiatedLocally { get; }

    /// <summary>scheme://host:port this connection reaches, when this side opened it.</summary>
    public string? RemoteAuthority { get; }

    /// <summary>Completes when the connection has closed and everything on it was failed or reported.</summary>
    public Task Completion => _completion.Task;

    public bool IsClosed => _closing.IsCancellationRequested;

    /// <summary>
    /// True once the connection is on its way out: closed or closing, the peer has ended its side (FIN seen), or it
    /// was given up for lack of sessions. Such a connection takes no new session (RFC 4975 §5.4 reuse).
    /// </summary>
    public bool IsClosing => _retiring || _peerFinished || _closing.IsCancellationRequested;

    public int SessionCount
    {
        get
        {
            lock (_sessionsLock)
            {
                return _sessions.Count;
            }
        }
    }

    internal void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _ = Task.Run(RunAsync);
        }
    }

    private async Task RunAsync()
    {
        var outboxLoop = OutboxLoopAsync();
        try
        {
            await ReadLoopAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            _closeReason = IsClosed ? _closeReason : ex.GetType().Name;
        }
        finally
        {
            await ShutdownAsync(outboxLoop).ConfigureAwait(false);
        }
    }

    private async Task ReadLoopAsync()
    {
        var input = _transport.Input;
        while (true)
        {
            // No token here: Close() cancels the pending read instead, which spares a token registration per read.
            var read = await input.ReadAsync().ConfigureAwait(false);
            if (read.IsCanceled && IsClosed)
            {
                return;
            }

            if (read.IsCompleted)
            {
                // The peer has ended its side; whatever is still buffered gets processed, but from now on no new
                // session may pick this connection (MsrpEndpoint reuse), or it would send into a closing socket.
                _peerFinished = true;
            }

            _lastActivity = _time.GetTimestamp();
            var buffer = read.Buffer;
            var consumed = buffer.Start;
            var examined = buffer.Start;
            try
            {
                while (true)
                {
                    var step = _reader.Read(buffer);
                    if (step.Kind == MsrpReadKind.NeedMoreData)
                    {
                        consumed = step.Consumed;
                        examined = step.Examined;
                        break;
                    }

                    if (step.Kind == MsrpReadKind.Error)
                    {
                        Log.FrameRejected(_logger, Name, step.Error, step.ErrorOffset);
                        _closeReason = $"frame rejected: {step.Error}";
                        consumed = examined = buffer.End;
                        return;
                    }

                    switch (step.Kind)
                    {
                        case MsrpReadKind.Head:
                            OnHead(_reader.Head);
                            break;
                        case MsrpReadKind.Body:
                            await OnBodyAsync(step.Body).ConfigureAwait(false);
                            break;
                        case MsrpReadKind.End:
                            await OnEndAsync(_reader.Head, step.Continuation).ConfigureAwait(false);
                            FlushOutboxInline();
                            break;
                    }

                    buffer = buffer.Slice(step.Consumed);
                    consumed = examined = step.Consumed;
                }

                if (read.IsCompleted || read.IsCanceled)
                {
                    _closeReason = _reader.InFrame || !buffer.IsEmpty ? "peer closed mid-frame" : read.IsCanceled ? _closeReason : "peer closed";
                    return;
                }
            }
            finally
            {
                input.AdvanceTo(consumed, examined);
            }

            if (_outbox.WrittenCount > _options.MaxOutbox)
            {
                await FlushOutboxAsync().ConfigureAwait(false);
            }
        }
    }

    private void OnHead(MsrpFrameHead head)
    {
        _current = RequestState.Ignore;
        _currentSession = null;
        _currentMessage = null;
        _status = 0;
        if (head.Kind == MsrpFrameKind.Response)
        {
            OnResponse(head);
            return;
        }

        if (_retiring || IsClosed)
        {
            // Closing for lack of sessions: a request racing the close (a new session the peer put on this
            // connection) is neither bound nor answered, so the peer sees the connection lost and opens a new one
            // (RFC 4975 §5.4) instead of a session bound to a connection about to vanish.
            return;
        }

        bool isReport = head.Method == MsrpMethod.Report;
        if (head.SemanticError != MsrpFrameError.None)
        {
            Log.BadRequest(_logger, Name, head.SemanticError, head.SemanticErrorOffset);
            _current = isReport ? RequestState.Ignore : RequestState.Discard; // REPORT is never answered
            _status = MsrpStatusCodes.BadRequest;
            return;
        }

        var session = FindSession(head, out int status);
        if (session is null)
        {
            if (!isReport)
            {
                Log.NoSession(_logger, Name, status);
                _current = RequestState.Discard;
                _status = status;
            }

            return;
        }

        _currentSession = session;
        switch (head.Method)
        {
            case MsrpMethod.Report:
                _current = RequestState.Report;
                return;
            case MsrpMethod.Send:
                _status = session.OnSendHead(head, out _currentMessage, out _chunkStart);
                _offset = _chunkStart;
                _current = _status == 0 ? RequestState.Send : RequestState.Discard;
                return;
            case MsrpMethod.Auth:
                _current = RequestState.Discard; // RFC 4976: AUTH is for relays; an endpoint does not grant it
                _status = MsrpStatusCodes.Forbidden;
                return;
            default:
                _current = RequestState.Discard;
                _status = MsrpStatusCodes.UnknownMethod; // RFC 4975 §10.9
                return;
        }
    }

    /// <summary>To-Path names the session (481 if unknown or From-Path disagrees); a session bound elsewhere is 506.</summary>
    private MsrpSession? FindSession(MsrpFrameHead head, out int status)
    {
        if (!PathBytes.TryGetSessionId(head.ToPath, last: false, out var sessionId))
        {
            status = MsrpStatusCodes.SessionDoesNotExist;
            return null;
        }

        var session = _endpoint.FindSession(sessionId);
        if (session is null || !session.FromPathMatches(head.FromPath))
        {
            status = MsrpStatusCodes.SessionDoesNotExist;
            return null;
        }

        var bound = session.Connection;
        if (bound is null)
        {
            // Passive side: the first request binds the session (RFC 4975 §5.4), unless this connection is being
            // given up right now (the last session left between the check in OnHead and here).
            if (!session.TryBindPassive(this))
            {
                status = MsrpStatusCodes.SessionDoesNotExist;
                return null;
            }
        }
        else if (bound != this)
        {
            status = MsrpStatusCodes.SessionAlreadyBound; // RFC 4975 §10.11
            return null;
        }

        status = 0;
        return session;
    }

    private async ValueTask OnBodyAsync(ReadOnlySequence<byte> body)
    {
        if (_current == RequestState.Send && _status == 0)
        {
            _status = await _currentSession!.OnBodyAsync(_currentMessage!, _offset, body, _closing.Token).ConfigureAwait(false);
        }

        _offset += body.Length;
    }

    private async ValueTask OnEndAsync(MsrpFrameHead head, MsrpContinuation flag)
    {
        var state = _current;
        _current = RequestState.None;
        switch (state)
        {
            case RequestState.Send when _status == 0:
                int status = _currentMessage is null
                    ? MsrpStatusCodes.Ok
                    : await _currentSession!.OnSendEndAsync(_currentMessage, _chunkStart, _offset, flag, this, _closing.Token).ConfigureAwait(false);
                Respond(head, status, _currentSession);
                break;
            case RequestState.Send:
            case RequestState.Discard:
                if (_currentMessage is not null)
                {
                    _currentSession!.ForgetIfEnded(_currentMessage, flag);
                }

                Respond(head, _status, _currentSession);
                break;
            case RequestState.Report:
                _currentSession!.OnReport(head);
                break;
        }

        _currentSession = null;
        _currentMessage = null;
    }

    /// <summary>RFC 4975 §7.2: Failure-Report yes answers always, partial only errors, no never.</summary>
    private void Respond(MsrpFrameHead head, int status, MsrpSession? session)
    {
        var mode = head.EffectiveFailureReport;
        if (mode == MsrpFailureReport.No || (mode == MsrpFailureReport.Partial && MsrpStatusCodes.IsSuccess(status)))
        {
            return;
        }

        // To-Path: the previous hop (first From-Path URI); From-Path: this session (or the URI the peer asked for).
        var from = session is null ? PathBytes.FirstUri(head.ToPath) : session.LocalUriBytes;
        lock (_outboxLock)
        {
            MsrpFrameWriter.WriteResponse(_outbox, head.TransactionId, status, PathBytes.FirstUri(head.FromPath), from);
            _outboxHasData = true;
        }

        // No signal: the read loop sends it right after this request (FlushOutboxInline).
    }

    /// <summary>
    /// After a request is handled, its response (and any REPORT) goes out from the read loop itself when the writer is
    /// free: no hand-over to the outbox loop, one thread wake-up less per chunk. The flush is started here but never
    /// awaited here (STYLE §7): if the socket is full it completes in the background, holding the writer until then.
    /// When a message is being written, the outbox loop waits for its turn as before.
    /// </summary>
    private void FlushOutboxInline()
    {
        if (!_outboxHasData)
        {
            return;
        }

        if (IsClosed || !_writeLock.Wait(0, CancellationToken.None))
        {
            _outboxSignal.Writer.TryWrite(true);
            return;
        }

        ValueTask flush;
        try
        {
            DrainOutbox();
            flush = FlushAsync(_closing.Token);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            ReleaseWrite(); // the transport is closing; the read loop finds out on its next read
            return;
        }

        if (flush.IsCompleted)
        {
            ObserveFlush(flush);
            ReleaseWrite();
            return;
        }

        _ = CompleteFlushAsync(flush);

        static void ObserveFlush(ValueTask done)
        {
            try
            {
                done.GetAwaiter().GetResult();
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
            {
                // as above: closing
            }
        }
    }

    private async Task CompleteFlushAsync(ValueTask flush)
    {
        try
        {
            await flush.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            // closing: the read loop finds out on its next read
        }
        finally
        {
            ReleaseWrite();
        }
    }

    /// <summary>Success REPORT for a completed message (RFC 4975 §7.1.3): To-Path is the SEND's From-Path.</summary>
    internal void EnqueueReport(MsrpSession session, MsrpIncomingMessage message, int status)
    {
        long total = message.TotalLength ?? message.BytesReceived;
        EnqueueReport(session, message, status, new ByteRange(1, total, total));
    }

    /// <summary>A REPORT about a received message (success, or failure such as 408, RFC 4975 §7.1.2), never answered.</summary>
    internal void EnqueueReport(MsrpSession session, MsrpIncomingMessage message, int status, ByteRange range)
    {
        Span<byte> tid = stackalloc byte[TransactionIds.Length];
        TransactionIds.Format(TransactionIds.NewKey(), tid);
        lock (_outboxLock)
        {
            MsrpFrameWriter.WriteReport(_outbox, tid, Encoding.UTF8.GetBytes(message.FromPath), session.LocalUriBytes,
                Encoding.ASCII.GetBytes(message.MessageId), range, status);
            _outboxHasData = true;
        }

        _outboxSignal.Writer.TryWrite(true);
    }

    private void OnResponse(MsrpFrameHead head)
    {
        if (!TransactionIds.TryParse(head.TransactionId, out ulong key))
        {
            return;
        }

        PendingTransaction pending;
        lock (_pendingLock)
        {
            if (!_pending.Remove(key, out pending))
            {
                return; // late (after timeout) or not ours
            }
        }

        if (pending.Waiter is not null)
        {
            var headers = new List<KeyValuePair<string, string>>(head.HeaderCount);
            for (int i = 0; i < head.HeaderCount; i++)
            {
                headers.Add(new(Encoding.ASCII.GetString(head.HeaderName(i)), Encoding.UTF8.GetString(head.HeaderValue(i))));
            }

            pending.Waiter.TrySetResult(new MsrpResponseInfo(head.StatusCode, head.GetComment(), headers));
        }

        pending.Message?.OnResponse(head.StatusCode);
    }

    private ulong Register(OutgoingMessage? message, TaskCompletionSource<MsrpResponseInfo>? waiter, bool timesOut, TimeSpan timeout)
    {
        lock (_pendingLock)
        {
            ulong key;
            do
            {
                key = TransactionIds.NewKey();
            }
            while (!_pending.TryAdd(key, new PendingTransaction(message, waiter, timesOut)));

            // Answered transactions leave the deadline queue here too, so it stays as long as what is in flight.
            while (_deadlines.TryPeek(out var oldest) && !_pending.ContainsKey(oldest.Key))
            {
                _deadlines.Dequeue();
            }

            _deadlines.Enqueue((key, _time.GetUtcNow() + timeout));
            if (!_timerArmed)
            {
                _timerArmed = true;
                _transactionTimer.Change(timeout, Timeout.InfiniteTimeSpan);
            }

            return key;
        }
    }

    /// <summary>RFC 4975 §7.1.1: no response within the timeout fails the transaction with 408.</summary>
    private void OnTransactionTimer()
    {
        var expired = new List<PendingTransaction>();
        lock (_pendingLock)
        {
            var now = _time.GetUtcNow();
            while (_deadlines.TryPeek(out var head) && (head.Deadline <= now || !_pending.ContainsKey(head.Key)))
            {
                _deadlines.Dequeue();
                if (_pending.Remove(head.Key, out var p))
                {
                    expired.Add(p);
                }
            }

            if (_deadlines.TryPeek(out var next))
            {
                _transactionTimer.Change(next.Deadline - now, Timeout.InfiniteTimeSpan);
            }
            else
            {
                _timerArmed = false;
            }
        }

        foreach (var p in expired)
        {
            if (!p.TimesOut)
            {
                continue; // Failure-Report partial: silence means success
            }

            Log.TransactionTimedOut(_logger, Name);
            p.Message?.Settle(MsrpSendOutcome.TimedOut, MsrpStatusCodes.RequestTimeout);
            p.Waiter?.TrySetResult(new MsrpResponseInfo(MsrpStatusCodes.RequestTimeout, "Request Timeout", []));
        }
    }

    private void OnIdleTimer()
    {
        var idle = _time.GetElapsedTime(Volatile.Read(ref _lastActivity));
        if (idle >= _options.IdleTimeout && TryRetire())
        {
            Log.IdleClose(_logger, Name, idle);
            Close("idle");
        }
    }

    /// <summary>
    /// Marks a connection without sessions as being given up, atomically with <see cref="TryAddSession"/>: a session
    /// either binds before (and the connection stays) or is refused after (and goes to a new connection).
    /// </summary>
    private bool TryRetire()
    {
        lock (_sessionsLock)
        {
            if (_sessions.Count != 0)
            {
                return false;
            }

            _retiring = true;
            return true;
        }
    }

    /// <summary>
    /// Sends one message as chunks (RFC 4975 §7.1.1). A chunk larger than the interruptible threshold carries an open
    /// Byte-Range end and is cut short with '+' when a response, a REPORT or another message waits for the
    /// connection, so messages interleave. Bytes that would form this chunk's end-line are moved to the next chunk.
    /// <paramref name="source"/> null sends a bodiless SEND.
    /// </summary>
    internal async Task<MsrpSendResult> SendMessageAsync(MsrpSession session, OutgoingMessage message, ChunkSource? source, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
        var ct = linked.Token;
        var options = session.Options;
        var output = _transport.Output;
        byte[] small = ArrayPool<byte>.Shared.Rent(Math.Max(1, options.InterruptibleThreshold));
        long offset = 0;
        bool timesOut = message.FailureReport == MsrpFailureReport.Yes;
        try
        {
            bool finished = false;
            while (!finished && !message.StopRequested)
            {
                await AcquireWriteAsync(ct).ConfigureAwait(false);
                try
                {
                    DrainOutbox();
                    ulong key = Register(message, null, timesOut, options.TransactionTimeout);
                    message.ChunkRegistered();
                    TransactionIds.Format(key, message.TransactionId);
                    var tid = message.TransactionId.AsSpan();
                    MsrpContinuation flag;
                    if (source is null)
                    {
                        MsrpFrameWriter.WriteSendHead(output, tid, session.ToPathBytes, session.LocalUriBytes, message.MessageIdBytes, null,
                            false, message.FailureReport, default);
                        MsrpFrameWriter.WriteEndLine(output, tid, MsrpContinuation.Complete, afterBody: false);
                        flag = MsrpContinuation.Complete;
                    }
                    else
                    {
                        long? total = source.Length;
                        long remaining = total is long t ? t - offset : long.MaxValue;
                        int planned = (int)Math.Min(options.ChunkSize, remaining);
                        if (planned <= options.InterruptibleThreshold && total is not null)
                        {
                            flag = await WriteSmallChunkAsync(session, message, source, small, offset, planned, total.Value, ct).ConfigureAwait(false);
                            offset = message.BytesSent;
                        }
                        else
                        {
                            flag = await WriteInterruptibleChunkAsync(session, message, source, offset, planned, total, ct).ConfigureAwait(false);
                            offset = message.BytesSent;
                        }
                    }

                    message.Chunks++;
                    await FlushAsync(ct).ConfigureAwait(false);
                    finished = flag != MsrpContinuation.More;
                    if (flag == MsrpContinuation.Aborted && !message.IsSettled)
                    {
                        message.Settle(MsrpSendOutcome.Cancelled, 0);
                    }
                }
                finally
                {
                    ReleaseWrite();
                }

                // Give a waiting writer (another message, the response writer) its turn between chunks.
                if (Volatile.Read(ref _writeWaiters) > 0)
                {
                    await Task.Yield();
                }
            }

            message.AllSent();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            message.Settle(MsrpSendOutcome.Cancelled, 0);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            message.Settle(MsrpSendOutcome.ConnectionLost, 0);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(small);
        }

        return await message.Done.Task.ConfigureAwait(false);
    }

    private async ValueTask<MsrpContinuation> WriteSmallChunkAsync(MsrpSession session, OutgoingMessage message, ChunkSource source,
        byte[] small, long offset, int planned, long total, CancellationToken ct)
    {
        int got = 0;
        while (got < planned)
        {
            int n = await source.ReadAsync(small.AsMemory(got, planned - got), ct).ConfigureAwait(false);
            if (n == 0)
            {
                throw new InvalidOperationException("message source ended before its declared length");
            }

            got += n;
        }

        var tid = message.TransactionId.AsSpan();
        int cut = FindEndLineLookAlike(small.AsSpan(0, got), tid);
        if (cut >= 0)
        {
            source.PushBack(small.AsSpan(cut, got - cut));
            got = cut;
        }

        var output = _transport.Output;
        long end = offset + got;
        MsrpFrameWriter.WriteSendHead(output, tid, session.ToPathBytes, session.LocalUriBytes, message.MessageIdBytes,
            new ByteRange(offset + 1, end, total), message.SuccessReport, message.FailureReport, message.ContentTypeBytes);
        MsrpFrameWriter.Write(output, small.AsSpan(0, got));
        message.BytesSent = end;
        var flag = end == total ? MsrpContinuation.Complete : MsrpContinuation.More;
        MsrpFrameWriter.WriteEndLine(output, tid, flag, afterBody: true);
        return flag;
    }

    private async ValueTask<MsrpContinuation> WriteInterruptibleChunkAsync(MsrpSession session, OutgoingMessage message, ChunkSource source,
        long offset, int planned, long? total, CancellationToken ct)
    {
        var output = _transport.Output;
        MsrpFrameWriter.WriteSendHead(output, message.TransactionId, session.ToPathBytes, session.LocalUriBytes, message.MessageIdBytes,
            new ByteRange(offset + 1, null, total), message.SuccessReport, message.FailureReport, message.ContentTypeBytes);
        int written = 0;
        var flag = MsrpContinuation.More;
        while (written < planned)
        {
            if (message.StopRequested || ct.IsCancellationRequested)
            {
                flag = MsrpContinuation.Aborted; // RFC 4975 §7.1.1: a message being stopped ends its chunk with '#'
                break;
            }

            // Fill what the writer's current buffer has left (down to a floor) rather than asking for a whole piece:
            // a fresh buffer per piece would leave the head and end-line in buffers of their own, i.e. tiny sends.
            int want = Math.Min(session.Options.WritePieceSize, planned - written);
            var memory = output.GetMemory(Math.Min(want, MinimumPiece));
            if (memory.Length > want)
            {
                memory = memory[..want];
            }

            int got = await source.ReadAsync(memory, ct).ConfigureAwait(false);
            if (got == 0)
            {
                if (total is not null)
                {
                    throw new InvalidOperationException("message source ended before its declared length");
                }

                flag = MsrpContinuation.Complete;
                break;
            }

            var data = memory.Span[..got];
            int cut = FindEndLineLookAlike(data, message.TransactionId);
            bool straddle = false;
            if (cut >= 0)
            {
                source.PushBack(data[cut..]);
                got = cut;
            }
            else
            {
                straddle = EndsWithEndLinePrefix(data, message.TransactionId);
            }

            output.Advance(got);
            written += got;
            offset += got;
            message.BytesSent = offset;
            if (total is long t && offset == t)
            {
                flag = MsrpContinuation.Complete;
                break;
            }

            if (cut >= 0 || straddle)
            {
                break; // the next chunk has a new transaction id, so the look-alike is harmless there
            }

            if (output.UnflushedBytes >= _options.FlushThreshold)
            {
                await FlushAsync(ct).ConfigureAwait(false);
            }

            if (Volatile.Read(ref _writeWaiters) > 0 || _outboxHasData)
            {
                break; // interrupt: someone is waiting for the connection
            }
        }

        MsrpFrameWriter.WriteEndLine(output, message.TransactionId, flag, afterBody: true);
        return flag;
    }

    /// <summary>Index of <c>"-------" tid</c> in the data (conservatively, any occurrence), or -1.</summary>
    internal static int FindEndLineLookAlike(ReadOnlySpan<byte> data, ReadOnlySpan<byte> transactionId)
    {
        // One search for the whole sequence (EndLineSearch): "-------" rulers in text do not stop it, only the dashes
        // followed by this very transaction id do.
        Span<byte> lookAlike = stackalloc byte[7 + TransactionIds.Length];
        if (transactionId.Length > TransactionIds.Length)
        {
            lookAlike = new byte[7 + transactionId.Length];
        }

        "-------"u8.CopyTo(lookAlike);
        transactionId.CopyTo(lookAlike[7..]);
        return EndLineSearch.IndexOf(data, lookAlike[..(7 + transactionId.Length)], dashOffset: 0);
    }

    private static bool EndsWithEndLinePrefix(ReadOnlySpan<byte> data, ReadOnlySpan<byte> transactionId)
    {
        // Does the data end with a proper prefix of "-------" + tid? (the rest might come in the next piece)
        int max = Math.Min(data.Length, 7 + transactionId.Length - 1);
        for (int k = max; k >= 1; k--)
        {
            var tail = data[^k..];
            int dashes = Math.Min(k, 7);
            if (tail[..dashes].IndexOfAnyExcept((byte)'-') >= 0)
            {
                continue;
            }

            if (k <= 7 || tail[7..].SequenceEqual(transactionId[..(k - 7)]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Sends a request without body and waits for its response (AUTH, RFC 4976 §5).</summary>
    internal async Task<MsrpResponseInfo> SendRequestAsync(string method, string toPath, string fromPath,
        IReadOnlyList<KeyValuePair<string, string>> headers, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var waiter = new TaskCompletionSource<MsrpResponseInfo>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
        await AcquireWriteAsync(linked.Token).ConfigureAwait(false);
        try
        {
            DrainOutbox();
            ulong key = Register(null, waiter, true, timeout);
            Span<byte> tid = stackalloc byte[TransactionIds.Length];
            TransactionIds.Format(key, tid);
            var output = _transport.Output;
            MsrpFrameWriter.WriteRequestLine(output, tid, Encoding.ASCII.GetBytes(method));
            MsrpFrameWriter.WriteHeader(output, "To-Path"u8, toPath);
            MsrpFrameWriter.WriteHeader(output, "From-Path"u8, fromPath);
            foreach (var (name, value) in headers)
            {
                MsrpFrameWriter.WriteHeader(output, Encoding.ASCII.GetBytes(name), value);
            }

            MsrpFrameWriter.WriteEndLine(output, tid, MsrpContinuation.Complete, afterBody: false);
            await FlushAsync(linked.Token).ConfigureAwait(false);
        }
        finally
        {
            ReleaseWrite();
        }

        using var reg = linked.Token.Register(static s => ((TaskCompletionSource<MsrpResponseInfo>)s!).TrySetCanceled(), waiter);
        return await waiter.Task.ConfigureAwait(false);
    }

    private async ValueTask AcquireWriteAsync(CancellationToken ct)
    {
        if (_writeLock.Wait(0, CancellationToken.None))
        {
            return;
        }

        Interlocked.Increment(ref _writeWaiters);
        try
        {
            await _writeLock.WaitAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _writeWaiters);
        }
    }

    private void ReleaseWrite()
    {
        _writeLock.Release();
        if (_outboxHasData)
        {
            _outboxSignal.Writer.TryWrite(true);
        }
    }

    /// <summary>Moves queued responses and REPORTs into the output; the caller holds the write lock, between chunks.</summary>
    private void DrainOutbox()
    {
        if (!_outboxHasData)
        {
            return;
        }

        lock (_outboxLock)
        {
            MsrpFrameWriter.Write(_transport.Output, _outbox.WrittenSpan);
            _outbox.ResetWrittenCount();
            _outboxHasData = false;
        }
    }

    private async Task OutboxLoopAsync()
    {
        var signals = _outboxSignal.Reader;
        try
        {
            while (await signals.WaitToReadAsync(_closing.Token).ConfigureAwait(false))
            {
                signals.TryRead(out _);
                if (_outboxHasData)
                {
                    await FlushOutboxAsync().ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // closing
        }
    }

    private async Task FlushOutboxAsync()
    {
        await AcquireWriteAsync(_closing.Token).ConfigureAwait(false);
        try
        {
            DrainOutbox();
            await FlushAsync(_closing.Token).ConfigureAwait(false);
        }
        finally
        {
            ReleaseWrite();
        }
    }

    /// <summary>STYLE §7: the flush completes synchronously while the pipe has room; await only the slow path.</summary>
    private ValueTask FlushAsync(CancellationToken ct)
    {
        _lastActivity = _time.GetTimestamp();
        var flush = _transport.Output.FlushAsync(ct);
        if (flush.IsCompletedSuccessfully)
        {
            var result = flush.Result;
            return result.IsCompleted || result.IsCanceled ? throw new IOException("connection closed") : ValueTask.CompletedTask;
        }

        return SlowFlushAsync(flush);

        static async ValueTask SlowFlushAsync(ValueTask<FlushResult> pending)
        {
            var result = await pending.ConfigureAwait(false);
            if (result.IsCompleted || result.IsCanceled)
            {
                throw new IOException("connection closed");
            }
        }
    }

    internal void AddSession(MsrpSession session)
    {
        lock (_sessionsLock)
        {
            if (!_sessions.Contains(session))
            {
                _sessions.Add(session);
            }
        }
    }

    /// <summary>
    /// Adds a session unless the connection is being given up or closed. <paramref name="toSend"/>: the session is
    /// about to send its first request here (active side), so a peer that has ended its side also refuses it; a
    /// request that already arrived (passive side) binds even when the peer closed right after sending it.
    /// </summary>
    internal bool TryAddSession(MsrpSession session, bool toSend)
    {
        lock (_sessionsLock)
        {
            if (_retiring || IsClosed || (toSend && _peerFinished))
            {
                return false;
            }

            if (!_sessions.Contains(session))
            {
                _sessions.Add(session);
            }

            return true;
        }
    }

    /// <summary>Forgets a session that moved to another connection (its binding SEND was lost here); never closes.</summary>
    internal void DetachSession(MsrpSession session)
    {
        lock (_sessionsLock)
        {
            _sessions.Remove(session);
        }
    }

    internal ValueTask RemoveSessionAsync(MsrpSession session)
    {
        bool retire;
        lock (_sessionsLock)
        {
            _sessions.Remove(session);

            // An unused connection opened by this side stays for reuse until the idle timeout; others close now.
            retire = _sessions.Count == 0 && !IsInitiatedLocally;
            if (retire)
            {
                _retiring = true;
            }
        }

        if (retire)
        {
            Close("last session left");
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Starts closing; <see cref="Completion"/> completes when done.</summary>
    public void Close(string reason = "closed locally")
    {
        if (_closing.IsCancellationRequested)
        {
            return;
        }

        _closeReason = reason;
        try
        {
            _closing.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        try
        {
            _transport.Input.CancelPendingRead();
            _transport.Output.CancelPendingFlush();
        }
        catch (Exception ex) when (ex is ObjectDisposedException or InvalidOperationException)
        {
            // Cancelling the token can run the shutdown inline, which completes the transport before we get here.
        }

        Start(); // a never-started connection still needs its shutdown
    }

    private async Task ShutdownAsync(Task outboxLoop)
    {
        if (!_closing.IsCancellationRequested)
        {
            _closing.Cancel();
        }

        Log.ConnectionClosed(_logger, Name, _closeReason);
        _transactionTimer.Dispose();
        _idleTimer?.Dispose();
        List<PendingTransaction> pending;
        lock (_pendingLock)
        {
            pending = [.. _pending.Values];
            _pending.Clear();
            _deadlines.Clear();
        }

        foreach (var p in pending)
        {
            p.Message?.Settle(MsrpSendOutcome.ConnectionLost, 0);
            p.Waiter?.TrySetCanceled();
        }

        // A message interrupted mid-chunk by the close is reported incomplete, not lost silently.
        if (_current == RequestState.Send && _currentMessage is not null)
        {
            _current = RequestState.None;
        }

        MsrpSession[] sessions;
        lock (_sessionsLock)
        {
            sessions = [.. _sessions];
        }

        foreach (var session in sessions)
        {
            await session.OnConnectionClosedAsync(this).ConfigureAwait(false);
        }

        _endpoint.RemoveConnection(this);
        try
        {
            await outboxLoop.ConfigureAwait(false);
            await _transport.Input.CompleteAsync().ConfigureAwait(false);
            await _writeLock.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            await _transport.Output.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            // the transport is gone already
        }

        _completion.TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        Close();
        await Completion.ConfigureAwait(false);
    }
}
