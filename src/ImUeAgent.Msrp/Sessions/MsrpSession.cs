// SPDX-License-Identifier: MIT
using System.Collections.Concurrent;
using System.Text;
using ImUeAgent.Msrp.Framing;
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Msrp.Sessions;

/// <summary>Who opens the connection for a session (RFC 6135 a=setup outcome).</summary>
public enum MsrpConnectionRole
{
    /// <summary>This side connects to the first hop of the peer's path (or to its relay).</summary>
    Active,
    /// <summary>This side waits for the peer to connect and send the first request.</summary>
    Passive,
}

/// <summary>
/// One MSRP session (RFC 4975): a local URI, the peer's path, and a connection it is bound to. Sends messages in
/// chunks, reassembles received ones into application sinks, answers transactions and sends REPORTs. Created by
/// <see cref="MsrpEndpoint.CreateSession"/>.
/// </summary>
public sealed class MsrpSession : IAsyncDisposable
{
    private readonly MsrpEndpoint _endpoint;
    private readonly IMsrpSessionHandler _handler;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, MsrpIncomingMessage> _incoming = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, OutgoingMessage> _outgoing = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly Lock _incomingTimerLock = new();
    private ITimer? _incomingTimer;
    private bool _incomingTimerArmed;
    private readonly TaskCompletionSource<MsrpConnection> _bound = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IReadOnlyList<MsrpUri> _remotePath = [];
    private IReadOnlyList<MsrpUri> _relayPath = [];
    private byte[] _toPathBytes = [];
    private MsrpConnection? _connection;
    private int _closed;

    // While ConnectAsync waits for the binding SEND's response, the loss of that connection is the connect's failure
    // (it may retry on a new connection), not the session's: the handler hears OnClosed only if the connect gives up.
    private readonly Lock _bindLock = new();
    private MsrpConnection? _binding;
    private bool _bindingLost;

    internal MsrpSession(MsrpEndpoint endpoint, MsrpUri localUri, MsrpSessionOptions options, IMsrpSessionHandler handler, ILogger logger)
    {
        _endpoint = endpoint;
        LocalUri = localUri;
        LocalUriBytes = Encoding.UTF8.GetBytes(localUri.ToString());
        Options = options;
        _handler = handler;
        _logger = logger;
        _time = endpoint.TimeProvider;
    }

    public MsrpUri LocalUri { get; }

    public string SessionId => LocalUri.SessionId!;

    public MsrpSessionOptions Options { get; }

    /// <summary>The peer's a=path (last URI is the peer itself).</summary>
    public IReadOnlyList<MsrpUri> RemotePath => _remotePath;

    /// <summary>This side's relays (RFC 4976 Use-Path), prepended to the To-Path of what it sends.</summary>
    public IReadOnlyList<MsrpUri> RelayPath => _relayPath;

    /// <summary>The path to advertise in a=path: own relays, then the local URI (RFC 4976 §5.1).</summary>
    public IReadOnlyList<MsrpUri> AdvertisedPath => [.. _relayPath, LocalUri];

    public MsrpConnection? Connection => Volatile.Read(ref _connection);

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    internal byte[] LocalUriBytes { get; }

    internal IMsrpSessionHandler Handler => _handler;

    /// <summary>Sets the peer path from its SDP (a=path) and, optionally, this side's relays.</summary>
    public void SetRemotePath(IReadOnlyList<MsrpUri> remotePath, IReadOnlyList<MsrpUri>? relayPath = null)
    {
        ArgumentNullException.ThrowIfNull(remotePath);
        if (remotePath.Count == 0)
        {
            throw new ArgumentException("the remote path needs at least one URI", nameof(remotePath));
        }

        _remotePath = remotePath;
        _relayPath = relayPath ?? _relayPath;
        _toPathBytes = Encoding.UTF8.GetBytes(MsrpUri.FormatPath([.. _relayPath, .. remotePath]));
    }

    internal ReadOnlySpan<byte> ToPathBytes => _toPathBytes;

    /// <summary>Uses this side's relays (RFC 4976 Use-Path from <c>MsrpRelayClient</c>) before the offer/answer.</summary>
    public void SetRelayPath(IReadOnlyList<MsrpUri> relayPath)
    {
        ArgumentNullException.ThrowIfNull(relayPath);
        _relayPath = relayPath;
        if (_remotePath.Count > 0)
        {
            SetRemotePath(_remotePath, relayPath);
        }
    }

    /// <summary>The URI this side connects to: its first relay, else the first URI of the peer's path.</summary>
    public MsrpUri FirstHop => _relayPath.Count > 0 ? _relayPath[0] : _remotePath.Count > 0 ? _remotePath[0] : throw new InvalidOperationException("remote path not set");

    /// <summary>
    /// Active role: get a connection to the first hop (reusing one this endpoint opened to the same authority,
    /// RFC 4975 §5.4), bind, and send a bodiless SEND so the peer can bind too. When a reused connection is lost before
    /// that SEND is answered (the peer was closing it: its last session had just ended), the session moves to a new
    /// connection once and sends it again there (§5.4 lets the active side open a new connection at any time).
    /// </summary>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        var target = FirstHop;
        bool mayRetry = true;
        while (true)
        {
            var (connection, reused) = await _endpoint.AcquireConnectionAsync(target, allowReuse: mayRetry, cancellationToken).ConfigureAwait(false);
            if (!TryBindActive(connection))
            {
                // Between the lookup and now the reused connection started closing: take a fresh one.
                if (reused && mayRetry)
                {
                    mayRetry = false;
                    continue;
                }

                throw new MsrpSessionException(0, $"connection {connection.Name} closed before the session could bind to it");
            }

            if (!Options.SendBindingSend)
            {
                _bound.TrySetResult(connection);
                return;
            }

            MsrpSendResult result;
            try
            {
                result = await connection.SendMessageAsync(this,
                    new OutgoingMessage(TransactionIds.NewMessageId(), string.Empty, MsrpFailureReport.Yes, false),
                    null, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                if (EndBinding())
                {
                    await OnConnectionClosedAsync(connection).ConfigureAwait(false);
                }

                throw;
            }

            if (result.Outcome == MsrpSendOutcome.ConnectionLost && reused && mayRetry && !cancellationToken.IsCancellationRequested && TryUnbindLost(connection))
            {
                // No response came (a 200 would have delivered it): nothing of this session happened on that
                // connection, so it can start over on a new one without the peer noticing.
                Log.BindingRetried(_logger, SessionId, connection.Name);
                connection.Close("lost before the binding SEND was answered");
                mayRetry = false;
                continue;
            }

            bool lost = EndBinding();
            _bound.TrySetResult(connection);
            if (lost)
            {
                await OnConnectionClosedAsync(connection).ConfigureAwait(false); // the notification held back above
            }

            if (!result.IsSuccess)
            {
                throw new MsrpSessionException(result.StatusCode, $"binding SEND failed: {result.Outcome} {result.StatusCode}");
            }

            return;
        }
    }

    /// <summary>ConnectAsync binds to <paramref name="connection"/> unless it is closing; the binding SEND goes next.</summary>
    private bool TryBindActive(MsrpConnection connection)
    {
        lock (_bindLock)
        {
            var current = Connection;
            if (current is not null && current != connection)
            {
                throw new InvalidOperationException("session already bound to another connection");
            }

            if (!connection.TryAddSession(this, toSend: true))
            {
                return false;
            }

            Volatile.Write(ref _connection, connection);
            _binding = Options.SendBindingSend ? connection : null;
            _bindingLost = false;
            return true;
        }
    }

    /// <summary>The binding SEND was lost with its connection: leave it (quietly) so a new one can be bound.</summary>
    private bool TryUnbindLost(MsrpConnection connection)
    {
        lock (_bindLock)
        {
            if (Connection != connection || _binding != connection || IsClosed)
            {
                return false;
            }

            Volatile.Write(ref _connection, null);
            _binding = null;
            _bindingLost = false;
        }

        connection.DetachSession(this);
        return true;
    }

    /// <summary>The binding SEND is settled; true when the connection closed meanwhile (OnClosed still owed).</summary>
    private bool EndBinding()
    {
        lock (_bindLock)
        {
            bool lost = _bindingLost;
            _binding = null;
            _bindingLost = false;
            return lost;
        }
    }

    /// <summary>Passive side: the first request for this session arrived on <paramref name="connection"/>.</summary>
    internal bool TryBindPassive(MsrpConnection connection)
    {
        lock (_bindLock)
        {
            if (Connection is not null)
            {
                return Connection == connection;
            }

            if (!connection.TryAddSession(this, toSend: false))
            {
                return false;
            }

            Volatile.Write(ref _connection, connection);
        }

        _bound.TrySetResult(connection);
        return true;
    }

    /// <summary>Passive role: wait until the peer's first request binds this session to its connection.</summary>
    public Task<MsrpConnection> WaitForConnectionAsync(CancellationToken cancellationToken = default) =>
        _bound.Task.WaitAsync(cancellationToken);

    /// <summary>Binds to an existing connection (in-memory pairs, or a connection set up by the caller).</summary>
    public void Bind(MsrpConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        lock (_bindLock)
        {
            var previous = Interlocked.CompareExchange(ref _connection, connection, null);
            if (previous is not null && previous != connection)
            {
                throw new InvalidOperationException("session already bound to another connection");
            }
        }

        connection.AddSession(this);
        _bound.TrySetResult(connection);
    }

    /// <summary>Sends a message held in memory, in chunks of <see cref="MsrpSessionOptions.ChunkSize"/>.</summary>
    public Task<MsrpSendResult> SendMessageAsync(string contentType, ReadOnlyMemory<byte> body, MsrpSendOptions? options = null, CancellationToken cancellationToken = default) =>
        SendCoreAsync(contentType, new MemoryChunkSource(body), options, cancellationToken);

    /// <summary>
    /// Sends a message read from a stream (a file for Large Message Mode) without holding it in memory.
    /// <paramref name="length"/> null sends '*' totals and ends when the stream ends.
    /// </summary>
    public Task<MsrpSendResult> SendMessageAsync(string contentType, Stream body, long? length, MsrpSendOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        return SendCoreAsync(contentType, new StreamChunkSource(body, length), options, cancellationToken);
    }

    private Task<MsrpSendResult> SendCoreAsync(string contentType, ChunkSource source, MsrpSendOptions? options, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(contentType);
        var connection = Connection ?? throw new InvalidOperationException("session is not connected");
        options ??= new MsrpSendOptions();
        var messageId = options.MessageId ?? TransactionIds.NewMessageId();
        if (!MsrpSyntax.IsIdent(messageId))
        {
            throw new ArgumentException("Message-ID must be an ident (RFC 4975 §9)", nameof(options));
        }

        var message = new OutgoingMessage(messageId, contentType, options.FailureReport, options.SuccessReport);
        return SendTrackedAsync(connection, message, source, cancellationToken);
    }

    /// <summary>While a message is being sent, a failure REPORT for its Message-ID ends the send (RFC 4975 §7.1.2).</summary>
    private async Task<MsrpSendResult> SendTrackedAsync(MsrpConnection connection, OutgoingMessage message, ChunkSource source, CancellationToken cancellationToken)
    {
        _outgoing[message.MessageId] = message;
        try
        {
            return await connection.SendMessageAsync(this, message, source, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _outgoing.TryRemove(new KeyValuePair<string, OutgoingMessage>(message.MessageId, message));
        }
    }

    /// <summary>True when <paramref name="contentType"/> matches a=accept-types (RFC 4975 §8.6).</summary>
    public bool Accepts(ReadOnlySpan<char> contentType)
    {
        int semi = contentType.IndexOf(';');
        var type = (semi < 0 ? contentType : contentType[..semi]).Trim();
        foreach (var accepted in Options.AcceptTypes)
        {
            if (accepted == "*" || type.Equals(accepted, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            if (accepted.EndsWith("/*", StringComparison.Ordinal) && type.StartsWith(accepted.AsSpan(0, accepted.Length - 1), StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// First look at a SEND for this session: finds or creates the message state. Returns 0 to receive the body at
    /// <paramref name="startOffset"/>, or the status to answer while discarding the body.
    /// </summary>
    internal int OnSendHead(MsrpFrameHead head, out MsrpIncomingMessage? message, out long startOffset)
    {
        message = null;
        startOffset = 0;
        if (!head.HasMessageId)
        {
            return MsrpStatusCodes.BadRequest;
        }

        Span<char> idChars = stackalloc char[32];
        int idLength = Encoding.ASCII.GetChars(head.MessageId, idChars);
        var lookup = _incoming.GetAlternateLookup<ReadOnlySpan<char>>();
        var range = head.ByteRange ?? new ByteRange(1, null, null);
        if (!lookup.TryGetValue(idChars[..idLength], out message))
        {
            if (!head.HasBody && head.ContentType.IsEmpty && head.ByteRange is null)
            {
                return MsrpStatusCodes.Ok; // bodiless SEND: binds the session or keeps it alive (RFC 4975 §5.4, §7.1)
            }

            var headers = new List<KeyValuePair<string, string>>();
            for (int i = 2; i < head.HeaderCount; i++)
            {
                var name = head.HeaderName(i);
                if (!IsTransportHeader(name))
                {
                    headers.Add(new(Encoding.ASCII.GetString(name), Encoding.UTF8.GetString(head.HeaderValue(i))));
                }
            }

            message = new MsrpIncomingMessage(head.GetMessageId(), head.GetContentType(), range.Total, headers, head.EffectiveSuccessReport, head.GetFromPath())
            {
                LastActivity = _time.GetTimestamp(),
            };
            _incoming[message.MessageId] = message;
            ArmIncomingTimer();
            if (range.Total > Options.MaxMessageSize || range.End > Options.MaxMessageSize)
            {
                message.RejectStatus = MsrpStatusCodes.StopSending;
            }
            else if (!head.ContentType.IsEmpty && !Accepts(message.ContentType))
            {
                message.RejectStatus = MsrpStatusCodes.UnsupportedMediaType;
            }
            else
            {
                MsrpReceiveDecision decision;
                try
                {
                    decision = _handler.OnMessageStarted(this, message);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    Log.SinkFailed(_logger, ex, SessionId, message.MessageId);
                    decision = MsrpReceiveDecision.Reject(MsrpStatusCodes.Forbidden);
                }

                if (decision.Sink is null)
                {
                    message.RejectStatus = decision.StatusCode is >= 400 ? decision.StatusCode : MsrpStatusCodes.Forbidden;
                }
                else
                {
                    message.Sink = decision.Sink;
                }
            }
        }

        message.LastActivity = _time.GetTimestamp();
        message.FailureReport = head.EffectiveFailureReport;
        if (message.RejectStatus != 0)
        {
            return message.RejectStatus;
        }

        if (message.Finished)
        {
            return MsrpStatusCodes.StopSending; // given up (inactivity timeout, session closing): stop sending it
        }

        if (range.Total is long total)
        {
            if (message.TotalLength is long known && known != total)
            {
                return MsrpStatusCodes.ParameterOutOfBounds; // totals disagree between chunks
            }

            message.TotalLength = total;
        }

        startOffset = range.Start - 1;
        if (startOffset > Options.MaxMessageSize)
        {
            return RejectTooLarge(message);
        }

        return 0;
    }

    internal async ValueTask<int> OnBodyAsync(MsrpIncomingMessage message, long offset, System.Buffers.ReadOnlySequence<byte> data, CancellationToken cancellationToken)
    {
        if (offset + data.Length > Options.MaxMessageSize)
        {
            return RejectTooLarge(message);
        }

        message.LastActivity = _time.GetTimestamp();
        if (!message.TryEnterSink())
        {
            return StatusForFinished(message); // timed out between two slices of this chunk
        }

        try
        {
            await message.Sink!.WriteAsync(offset, data, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.SinkFailed(_logger, ex, SessionId, message.MessageId);
            message.RejectStatus = MsrpStatusCodes.Forbidden;
            await FinishIncompleteAsync(message, MsrpIncompleteReason.SinkFailed).ConfigureAwait(false);
            return MsrpStatusCodes.Forbidden;
        }
        catch
        {
            message.ExitSink();
            throw;
        }

        if (!message.ExitSink())
        {
            await AbortAsync(message, message.PendingAbortReason).ConfigureAwait(false); // the session closed meanwhile
            return StatusForFinished(message);
        }

        return 0;
    }

    /// <summary>The answer to a chunk of a message this side no longer takes: its reject status, else 413 (stop sending).</summary>
    private static int StatusForFinished(MsrpIncomingMessage message) =>
        message.RejectStatus != 0 ? message.RejectStatus : MsrpStatusCodes.StopSending;

    private int RejectTooLarge(MsrpIncomingMessage message)
    {
        message.RejectStatus = MsrpStatusCodes.StopSending;
        _ = FinishIncompleteAsync(message, MsrpIncompleteReason.TooLarge).AsTask();
        return MsrpStatusCodes.StopSending;
    }

    /// <summary>End of a chunk whose body was received: update the ranges and complete the message when whole.</summary>
    internal async ValueTask<int> OnSendEndAsync(MsrpIncomingMessage message, long chunkStart, long chunkEnd, MsrpContinuation flag, MsrpConnection connection, CancellationToken cancellationToken)
    {
        if (message.Finished)
        {
            return StatusForFinished(message);
        }

        message.LastActivity = _time.GetTimestamp();
        message.Received.Add(chunkStart, chunkEnd);
        if (flag == MsrpContinuation.Aborted)
        {
            await FinishIncompleteAsync(message, MsrpIncompleteReason.Aborted).ConfigureAwait(false);
            return MsrpStatusCodes.Ok;
        }

        if (flag == MsrpContinuation.Complete && message.TotalLength is null)
        {
            message.TotalLength = chunkEnd; // '*' total: the last chunk says where the message ends
        }

        if (message.TotalLength is not long total || !message.Received.CoversPrefix(total))
        {
            return MsrpStatusCodes.Ok; // more chunks to come, possibly out of order
        }

        if (!message.TryFinish())
        {
            return StatusForFinished(message); // the inactivity timeout took it just now
        }

        _incoming.TryRemove(new KeyValuePair<string, MsrpIncomingMessage>(message.MessageId, message));
        int status;
        try
        {
            status = await message.Sink!.CompleteAsync(total, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.SinkFailed(_logger, ex, SessionId, message.MessageId);
            status = MsrpStatusCodes.Forbidden;
        }

        if (MsrpStatusCodes.IsSuccess(status))
        {
            if (message.SuccessReport)
            {
                connection.EnqueueReport(this, message, MsrpStatusCodes.Ok);
            }

            try
            {
                _handler.OnMessageReceived(this, message);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Log.HandlerFailed(_logger, ex, connection.Name);
            }
        }
        else
        {
            _handler.OnMessageIncomplete(this, message, MsrpIncompleteReason.SinkFailed);
        }

        return status;
    }

    /// <summary>A rejected message's last chunk went by: forget it.</summary>
    internal void ForgetIfEnded(MsrpIncomingMessage message, MsrpContinuation flag)
    {
        if (flag != MsrpContinuation.More)
        {
            _incoming.TryRemove(message.MessageId, out _);
        }
    }

    /// <summary>Gives up a message from the read loop (or after the connection closed); once only.</summary>
    private ValueTask FinishIncompleteAsync(MsrpIncomingMessage message, MsrpIncompleteReason reason) =>
        message.TryFinish() ? AbortAsync(message, reason) : ValueTask.CompletedTask;

    /// <summary>Aborts the sink of a message already marked finished and tells the application.</summary>
    private async ValueTask AbortAsync(MsrpIncomingMessage message, MsrpIncompleteReason reason)
    {
        // A message refused as too large or given up after the timeout stays as a tombstone, so that its later chunks
        // are answered 413 rather than starting it over; the inactivity sweep removes tombstones (see ExpireIdleMessages).
        if (reason is not MsrpIncompleteReason.TooLarge and not MsrpIncompleteReason.TimedOut)
        {
            _incoming.TryRemove(new KeyValuePair<string, MsrpIncomingMessage>(message.MessageId, message));
        }

        Log.MessageIncomplete(_logger, SessionId, message.MessageId, reason);
        try
        {
            if (message.Sink is not null)
            {
                await message.Sink.AbortAsync(reason, CancellationToken.None).ConfigureAwait(false);
            }

            _handler.OnMessageIncomplete(this, message, reason);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.HandlerFailed(_logger, ex, SessionId);
        }
    }

    internal void OnReport(MsrpFrameHead head)
    {
        var report = new MsrpReport(head.GetMessageId(), head.ByteRange, head.StatusHeaderCode ?? 0, Encoding.UTF8.GetString(head.StatusComment));

        // RFC 4975 §7.1.2: a failure REPORT (e.g. 408 from a receiver or relay that gave up) fails the message; one
        // still being sent stops at once (an open chunk ends with '#').
        if (head.StatusHeaderCode is int code && !MsrpStatusCodes.IsSuccess(code) && _outgoing.TryGetValue(report.MessageId, out var sending))
        {
            Log.FailureReportReceived(_logger, SessionId, report.MessageId, code);
            sending.Settle(MsrpSendOutcome.FailureReported, code);
        }

        try
        {
            _handler.OnReport(this, report);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.HandlerFailed(_logger, ex, SessionId);
        }
    }

    /// <summary>True when the request's From-Path ends in the peer's session (RFC 4975 §7.3: else 481).</summary>
    internal bool FromPathMatches(ReadOnlySpan<byte> fromPath)
    {
        if (_remotePath.Count == 0)
        {
            return true; // peer not known yet (passive side before the answer is applied)
        }

        var expected = _remotePath[^1].SessionId;
        return expected is null || (PathBytes.TryGetSessionId(fromPath, last: true, out var sid) && Encoding.ASCII.GetString(sid) == expected);
    }

    internal async ValueTask OnConnectionClosedAsync(MsrpConnection connection)
    {
        bool connecting;
        lock (_bindLock)
        {
            if (Connection != connection)
            {
                return;
            }

            // ConnectAsync is still waiting for the binding SEND: it decides (retry elsewhere, or fail and notify).
            connecting = _binding == connection;
            if (connecting)
            {
                _bindingLost = true;
            }
        }

        foreach (var message in _incoming.Values)
        {
            await FinishIncompleteAsync(message, MsrpIncompleteReason.ConnectionLost).ConfigureAwait(false);
        }

        _incoming.Clear();
        DisarmIncomingTimer();
        if (connecting)
        {
            return;
        }

        try
        {
            _handler.OnClosed(this);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.HandlerFailed(_logger, ex, SessionId);
        }
    }

    private static bool IsTransportHeader(ReadOnlySpan<byte> name) =>
        Ascii.EqualsIgnoreCase(name, "Message-ID"u8) || Ascii.EqualsIgnoreCase(name, "Byte-Range"u8)
        || Ascii.EqualsIgnoreCase(name, "Success-Report"u8) || Ascii.EqualsIgnoreCase(name, "Failure-Report"u8)
        || Ascii.EqualsIgnoreCase(name, "Content-Type"u8);

    /// <summary>Leaves the endpoint; the connection closes when no session uses it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        _endpoint.RemoveSession(this);
        var connection = Connection;
        if (connection is not null)
        {
            foreach (var message in _incoming.Values)
            {
                // A message whose sink the read loop is inside right now is aborted by the read loop when it returns.
                if (message.RequestFinish(MsrpIncompleteReason.SessionClosed))
                {
                    await AbortAsync(message, MsrpIncompleteReason.SessionClosed).ConfigureAwait(false);
                }
            }

            await connection.RemoveSessionAsync(this).ConfigureAwait(false);
        }

        lock (_incomingTimerLock)
        {
            _incomingTimer?.Dispose(); // IsClosed is set: the sweep never re-arms it
        }

        _bound.TrySetCanceled();
    }

    private bool IncomingTimeoutEnabled =>
        Options.IncomingMessageTimeout > TimeSpan.Zero && Options.IncomingMessageTimeout != Timeout.InfiniteTimeSpan;

    /// <summary>Starts the inactivity sweep when a message starts arriving (one timer per session, re-armed lazily).</summary>
    private void ArmIncomingTimer()
    {
        if (!IncomingTimeoutEnabled)
        {
            return;
        }

        lock (_incomingTimerLock)
        {
            if (_incomingTimerArmed || IsClosed)
            {
                return;
            }

            _incomingTimer ??= _time.CreateTimer(static s => ((MsrpSession)s!).ExpireIdleMessages(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _incomingTimerArmed = true;
            _incomingTimer.Change(Options.IncomingMessageTimeout, Timeout.InfiniteTimeSpan);
        }
    }

    private void DisarmIncomingTimer()
    {
        lock (_incomingTimerLock)
        {
            if (_incomingTimerArmed && !IsClosed)
            {
                _incomingTimerArmed = false;
                _incomingTimer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>
    /// The inactivity sweep: a message with no chunk or body bytes for <see cref="MsrpSessionOptions.IncomingMessageTimeout"/>
    /// is given up (sink aborted, buffers freed) and, when its Failure-Report is not "no", a failure REPORT with 408 goes
    /// back to the sender (RFC 4975 §7.1.2: the failure can no longer be told in a transaction response, those went
    /// out with each chunk). It stays a tombstone (later chunks get 413) for one more timeout. Activity only moves a
    /// timestamp; the timer is re-armed here, for the earliest message that could expire next.
    /// </summary>
    private void ExpireIdleMessages()
    {
        var timeout = Options.IncomingMessageTimeout;
        long now = _time.GetTimestamp();
        var next = TimeSpan.MaxValue;
        List<MsrpIncomingMessage>? expired = null;
        foreach (var (id, message) in _incoming)
        {
            var idle = _time.GetElapsedTime(message.LastActivity, now);
            if (idle < timeout)
            {
                next = Min(next, timeout - idle);
            }
            else if (message.Finished)
            {
                _incoming.TryRemove(new KeyValuePair<string, MsrpIncomingMessage>(id, message)); // tombstone served
            }
            else if (message.TryFinishIdle())
            {
                message.RejectStatus = MsrpStatusCodes.StopSending;
                message.LastActivity = now;
                (expired ??= []).Add(message);
                next = Min(next, timeout);
            }
            else
            {
                next = Min(next, timeout); // inside its sink right now: it is active
            }
        }

        lock (_incomingTimerLock)
        {
            if (next == TimeSpan.MaxValue && !_incoming.IsEmpty)
            {
                next = timeout; // a message started while this sweep ran
            }

            if (IsClosed)
            {
                return;
            }

            _incomingTimerArmed = next != TimeSpan.MaxValue;
            _incomingTimer!.Change(_incomingTimerArmed ? next : Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }

        if (expired is not null)
        {
            _ = GiveUpAsync(expired);
        }

        static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
    }

    private async Task GiveUpAsync(List<MsrpIncomingMessage> expired)
    {
        foreach (var message in expired)
        {
            Log.IncomingMessageTimedOut(_logger, SessionId, message.MessageId, message.BytesReceived);
            var connection = Connection;
            if (message.FailureReport != MsrpFailureReport.No && connection is { IsClosed: false } && !IsClosed)
            {
                // Byte-Range of a failure report: the message it is about, whole (the total may still be unknown).
                connection.EnqueueReport(this, message, MsrpStatusCodes.RequestTimeout, new ByteRange(1, message.TotalLength, message.TotalLength));
            }

            await AbortAsync(message, MsrpIncompleteReason.TimedOut).ConfigureAwait(false);
        }
    }
}

/// <summary>A session-level failure with the MSRP status that caused it.</summary>
public sealed class MsrpSessionException : Exception
{
    public MsrpSessionException(int statusCode, string message)
        : base(message) => StatusCode = statusCode;

    public MsrpSessionException()
    {
    }

    public MsrpSessionException(string message)
        : base(message)
    {
    }

    public MsrpSessionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public int StatusCode { get; }
}

/// <summary>Span helpers over To-Path / From-Path bytes.</summary>
internal static class PathBytes
{
    /// <summary>Session-id of the first (or last) URI of a path: the part after the authority's '/', before ';'.</summary>
    public static bool TryGetSessionId(ReadOnlySpan<byte> path, bool last, out ReadOnlySpan<byte> sessionId)
    {
        sessionId = default;
        var uri = last ? LastUri(path) : FirstUri(path);
        int scheme = uri.IndexOf("://"u8);
        if (scheme < 0)
        {
            return false;
        }

        var rest = uri[(scheme + 3)..];
        int semi = rest.IndexOf((byte)';');
        if (semi < 0)
        {
            return false;
        }

        rest = rest[..semi];
        int slash = rest.IndexOf((byte)'/');
        if (slash < 0 || slash == rest.Length - 1)
        {
            return false;
        }

        sessionId = rest[(slash + 1)..];
        return sessionId.Length <= 128;
    }

    public static ReadOnlySpan<byte> FirstUri(ReadOnlySpan<byte> path)
    {
        path = path.TrimStart(" \t"u8);
        int end = path.IndexOfAny((byte)' ', (byte)'\t');
        return end < 0 ? path : path[..end];
    }

    public static ReadOnlySpan<byte> LastUri(ReadOnlySpan<byte> path)
    {
        path = path.TrimEnd(" \t"u8);
        int start = path.LastIndexOfAny((byte)' ', (byte)'\t');
        return start < 0 ? path : path[(start + 1)..];
    }
}
