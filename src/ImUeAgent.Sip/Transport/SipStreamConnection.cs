// SPDX-License-Identifier: MIT
using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using ImUeAgent.Sip.Message;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImUeAgent.Sip.Transport;

/// <summary>Why a stream connection ended (STYLE.md §4: a closed set).</summary>
public enum SipConnectionCloseReason : byte
{
    /// <summary>We closed it (dispose, shutdown).</summary>
    LocalClose,
    /// <summary>The peer closed between messages.</summary>
    PeerClosed,
    /// <summary>The peer closed in the middle of a message: the partial message is lost.</summary>
    PeerClosedMidMessage,
    /// <summary>The byte stream could not be framed (bad start line, missing Content-Length, over the caps).</summary>
    FramingError,
    /// <summary>No pong answered our CRLF keep-alive ping in time (RFC 5626 §4.4.1).</summary>
    KeepAliveTimeout,
    /// <summary>A socket or TLS error.</summary>
    TransportError,
}

/// <summary>Keep-alive settings for stream connections (RFC 5626 §4.4.1: double-CRLF ping, single-CRLF pong).</summary>
public sealed record SipKeepAliveOptions
{
    /// <summary>How often to ping on connections we opened; null disables pings (pongs are always answered).</summary>
    public TimeSpan? PingInterval { get; init; }

    /// <summary>How long to wait for the pong (RFC 5626 §4.4.1: 10 seconds).</summary>
    public TimeSpan PongTimeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>One SIP connection over a duplex pipe (TCP, TLS, or an in-memory pipe in tests). The read loop frames
/// messages with <see cref="SipParser"/> (stream framing, Content-Length mandatory), owns the buffer bookkeeping
/// (AdvanceTo(consumed, examined) in a finally, STYLE.md §2), answers keep-alive pings with a pong, and ends with a
/// distinct reason when the peer closes mid-message. Writes are serialized.</summary>
public sealed class SipStreamConnection : IAsyncDisposable
{
    private static readonly byte[] Ping = "\r\n\r\n"u8.ToArray();
    private static readonly byte[] Pong = "\r\n"u8.ToArray();

    private readonly IDuplexPipe _pipe;
    private readonly IAsyncDisposable? _owner;
    private readonly SipParserOptions _parserOptions;
    private readonly SipKeepAliveOptions _keepAlive;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<SipConnectionCloseReason> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private ITimer? _pingTimer;
    private ITimer? _pongTimer;
    private bool _pingOutstanding;
    private int _crlfRun;

    /// <param name="pipe">The byte stream.</param>
    /// <param name="remote">The peer, as a transport address (what received messages carry as source).</param>
    /// <param name="local">The local endpoint.</param>
    /// <param name="owner">Disposed with the connection (the socket or TLS stream under the pipe).</param>
    public SipStreamConnection(IDuplexPipe pipe, SipTransportAddress remote, IPEndPoint local, IAsyncDisposable? owner = null,
        SipParserOptions? parserOptions = null, SipKeepAliveOptions? keepAlive = null, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        _pipe = pipe ?? throw new ArgumentNullException(nameof(pipe));
        Remote = remote;
        Local = local ?? throw new ArgumentNullException(nameof(local));
        _owner = owner;
        _parserOptions = parserOptions ?? SipParserOptions.Default;
        _keepAlive = keepAlive ?? new SipKeepAliveOptions();
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    public SipTransportAddress Remote { get; }

    public IPEndPoint Local { get; }

    /// <summary>Completes when the connection ends, with why.</summary>
    public Task<SipConnectionCloseReason> Closed => _closed.Task;

    /// <summary>Pongs received in answer to our pings.</summary>
    public int PongsReceived { get; private set; }

    /// <summary>Pings received (and answered).</summary>
    public int PingsReceived { get; private set; }

    /// <summary>Starts the read loop (and the ping timer when configured).</summary>
    public void Start(SipInbound inbound)
    {
        ArgumentNullException.ThrowIfNull(inbound);
        if (_keepAlive.PingInterval is { } interval)
        {
            _pingTimer = _time.CreateTimer(static s => ((SipStreamConnection)s!).SendPing(), this, interval, interval);
        }

        _ = Task.Run(() => ReadLoopAsync(inbound));
    }

    public async ValueTask SendAsync(SipMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        await WriteAsync(message.Raw, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends a CRLF keep-alive ping now (RFC 5626 §4.4.1) and expects a pong within the timeout.</summary>
    public void SendPing()
    {
        lock (_gate)
        {
            if (_closed.Task.IsCompleted || _pingOutstanding)
            {
                return;
            }

            _pingOutstanding = true;
            _pongTimer?.Dispose();
            _pongTimer = _time.CreateTimer(static s => ((SipStreamConnection)s!).OnPongTimeout(), this, _keepAlive.PongTimeout, Timeout.InfiniteTimeSpan);
        }

        _ = WriteQuietlyAsync(Ping);
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync(SipConnectionCloseReason.LocalClose).ConfigureAwait(false);
    }

    private void OnPongTimeout()
    {
        bool timedOut;
        lock (_gate)
        {
            timedOut = _pingOutstanding;
        }

        if (timedOut)
        {
            SipLog.KeepAliveTimeout(_logger, Remote.ToString());
            _ = CloseAsync(SipConnectionCloseReason.KeepAliveTimeout).AsTask();
        }
    }

    private async Task ReadLoopAsync(SipInbound inbound)
    {
        PipeReader input = _pipe.Input;
        SipConnectionCloseReason reason = SipConnectionCloseReason.PeerClosed;
        try
        {
            while (true)
            {
                ReadResult read = await input.ReadAsync(_stop.Token).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = read.Buffer;
                SequencePosition consumed = buffer.Start;
                SequencePosition examined = buffer.End;
                bool framingError = false;
                try
                {
                    while (!buffer.IsEmpty)
                    {
                        SipParseResult r = SipParser.Parse(buffer, SipFraming.Stream, _parserOptions);
                        if (r.Status == SipParseStatus.Incomplete)
                        {
                            break;
                        }

                        if (r.Status == SipParseStatus.KeepAlive)
                        {
                            OnCrlf((int)(r.Consumed / 2));
                        }
                        else
                        {
                            _crlfRun = 0;
                            if (!inbound.Deliver(r, Remote, Local, m => SendAsync(m, CancellationToken.None)))
                            {
                                framingError = true;
                                break;
                            }
                        }

                        buffer = buffer.Slice(r.Consumed);
                        consumed = buffer.Start;
                    }
                }
                finally
                {
                    input.AdvanceTo(consumed, examined);
                }

                if (framingError)
                {
                    reason = SipConnectionCloseReason.FramingError;
                    return;
                }

                if (read.IsCompleted || read.IsCanceled)
                {
                    // STYLE.md §2: a peer that closes with a partial message in the buffer is its own error.
                    reason = buffer.IsEmpty ? SipConnectionCloseReason.PeerClosed : SipConnectionCloseReason.PeerClosedMidMessage;
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            reason = SipConnectionCloseReason.LocalClose;
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException or System.Security.Authentication.AuthenticationException)
        {
            reason = _stop.IsCancellationRequested ? SipConnectionCloseReason.LocalClose : SipConnectionCloseReason.TransportError;
        }
        finally
        {
            await input.CompleteAsync().ConfigureAwait(false);
            await CloseAsync(reason).ConfigureAwait(false);
        }
    }

    /// <summary>RFC 5626 §4.4.1: a CRLF while our ping is outstanding is the pong; two CRLFs otherwise are a ping,
    /// answered with one CRLF. Counted across reads, since a ping may arrive split.</summary>
    private void OnCrlf(int count)
    {
        int pings = 0;
        lock (_gate)
        {
            _crlfRun += count;
            if (_pingOutstanding)
            {
                _pingOutstanding = false;
                _pongTimer?.Dispose();
                _pongTimer = null;
                PongsReceived++;
                _crlfRun = 0;
                return;
            }

            while (_crlfRun >= 2)
            {
                _crlfRun -= 2;
                pings++;
            }

            PingsReceived += pings;
        }

        for (int i = 0; i < pings; i++)
        {
            _ = WriteQuietlyAsync(Pong);
        }
    }

    private async ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        if (_closed.Task.IsCompleted)
        {
            throw new IOException("SIP connection to " + Remote + " is closed (" + _closed.Task.Result + ")");
        }

        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            FlushResult flush = await _pipe.Output.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            if (flush.IsCompleted)
            {
                throw new IOException("SIP connection to " + Remote + ": peer stopped reading");
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task WriteQuietlyAsync(byte[] bytes)
    {
        try
        {
            await WriteAsync(bytes, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            await CloseAsync(SipConnectionCloseReason.TransportError).ConfigureAwait(false);
        }
    }

    private async ValueTask CloseAsync(SipConnectionCloseReason reason)
    {
        if (!_closed.TrySetResult(reason))
        {
            return;
        }

        SipLog.ConnectionClosed(_logger, Remote.ToString(), reason.ToString());
        lock (_gate)
        {
            _pingTimer?.Dispose();
            _pongTimer?.Dispose();
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _pipe.Output.CompleteAsync().ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // A write in progress: the owner's disposal below ends it.
        }

        if (_owner is not null)
        {
            try
            {
                await _owner.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
            {
                // Closing a broken socket.
            }
        }
    }
}
