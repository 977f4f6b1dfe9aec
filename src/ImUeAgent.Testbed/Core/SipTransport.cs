// SPDX-License-Identifier: MIT
using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using ImUeAgent.Sip.Message;
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Testbed.Core;

internal enum SipTransportKind
{
    Udp,
    Tcp,
}

/// <summary>Where a message came from and how to answer on the same path: the transport, the peer's address and,
/// for TCP, the connection (RFC 3261 §18.2.2: responses go back over the connection the request came on).</summary>
internal readonly record struct SipFlow(SipTransportKind Transport, IPEndPoint Remote, long ConnectionId)
{
    public string TransportToken => Transport == SipTransportKind.Udp ? "UDP" : "TCP";

    public override string ToString() => $"{TransportToken.ToLowerInvariant()}:{Remote}";
}

/// <summary>A message as it arrived. <see cref="Error"/> is set when it failed to parse; <see cref="Message"/> is
/// then the framed message when the parser could still frame it (so a request can get its 400), else null.</summary>
internal sealed record InboundSipMessage(SipMessage? Message, SipFlow Flow, SipParseError Error = SipParseError.None,
    SipHeaderId ErrorHeader = SipHeaderId.Unknown);

/// <summary>
/// The core's sockets: one UDP socket and one TCP listener, plus TCP connections accepted or opened towards UEs.
/// Messages are framed with the pure <see cref="SipParser"/> (datagram or stream framing, 64 KiB cap) and handed to
/// <c>deliver</c>; every message in and out is written to the <see cref="SipMessageLog"/>. A TCP connection that
/// breaks framing is closed (RFC 3261 §18.3: the stream cannot be resynchronised).
/// </summary>
internal sealed class SipTransport : IAsyncDisposable
{
    private const int MaxDatagram = 65_535;

    private readonly Socket? _udp;
    private readonly Socket? _tcpListener;
    private readonly SipMessageLog _log;
    private readonly ILogger _logger;
    private readonly Func<InboundSipMessage, ValueTask> _deliver;
    private readonly ConcurrentDictionary<long, TcpConnection> _connections = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private long _nextConnectionId;

    private SipTransport(Socket? udp, Socket? tcpListener, SipMessageLog log, ILogger logger, Func<InboundSipMessage, ValueTask> deliver)
    {
        _udp = udp;
        _tcpListener = tcpListener;
        _log = log;
        _logger = logger;
        _deliver = deliver;
        UdpEndPoint = (IPEndPoint?)udp?.LocalEndPoint;
        TcpEndPoint = (IPEndPoint?)tcpListener?.LocalEndPoint;
    }

    public IPEndPoint? UdpEndPoint { get; }

    public IPEndPoint? TcpEndPoint { get; }

    public int ConnectionCount => _connections.Count;

    /// <summary>Binds the sockets (port 0 picks one). When UDP and TCP share an address with port 0, TCP takes the
    /// port UDP got, so the core has one port number for both (RFC 3261 §18: a server listens on both).</summary>
    public static SipTransport Bind(IPEndPoint? udp, IPEndPoint? tcp, SipMessageLog log, ILogger logger, Func<InboundSipMessage, ValueTask> deliver)
    {
        var samePort = udp is not null && tcp is not null && udp.Port == 0 && tcp.Port == 0 && udp.Address.Equals(tcp.Address);
        for (var attempt = 0; ; attempt++)
        {
            Socket? udpSocket = null, tcpSocket = null;
            try
            {
                if (udp is not null)
                {
                    udpSocket = new Socket(udp.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                    udpSocket.Bind(udp);
                }

                if (tcp is not null)
                {
                    var endPoint = samePort ? new IPEndPoint(tcp.Address, ((IPEndPoint)udpSocket!.LocalEndPoint!).Port) : tcp;
                    tcpSocket = new Socket(tcp.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                    tcpSocket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                    tcpSocket.Bind(endPoint);
                    tcpSocket.Listen(64);
                }

                return new SipTransport(udpSocket, tcpSocket, log, logger, deliver);
            }
            catch (SocketException exception) when (samePort && attempt < 8 && exception.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                udpSocket?.Dispose();
                tcpSocket?.Dispose();
            }
            catch
            {
                udpSocket?.Dispose();
                tcpSocket?.Dispose();
                throw;
            }
        }
    }

    public void Start()
    {
        if (_udp is not null)
        {
            _loops.Add(Task.Run(() => ReceiveDatagramsAsync(_stop.Token)));
        }

        if (_tcpListener is not null)
        {
            _loops.Add(Task.Run(() => AcceptAsync(_stop.Token)));
        }
    }

    public bool HasConnection(long connectionId) => _connections.ContainsKey(connectionId);

    /// <summary>Sends on a flow: UDP to its address, TCP on its connection, or, when that is gone, on a connection
    /// to the same address (opened if needed). False when it could not be sent.</summary>
    public async ValueTask<bool> SendAsync(SipMessage message, SipFlow flow, CancellationToken cancellationToken)
    {
        if (flow.Transport == SipTransportKind.Udp)
        {
            return await SendDatagramAsync(message, flow.Remote, cancellationToken).ConfigureAwait(false);
        }

        var connection = _connections.TryGetValue(flow.ConnectionId, out var c) ? c : await ConnectionToAsync(flow.Remote, cancellationToken).ConfigureAwait(false);
        return connection is not null && await connection.SendAsync(message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends to an address: UDP, or TCP over an existing connection to it or a new one.</summary>
    public async ValueTask<bool> SendAsync(SipMessage message, SipTransportKind transport, IPEndPoint remote, CancellationToken cancellationToken)
    {
        if (transport == SipTransportKind.Udp)
        {
            return await SendDatagramAsync(message, remote, cancellationToken).ConfigureAwait(false);
        }

        var connection = await ConnectionToAsync(remote, cancellationToken).ConfigureAwait(false);
        return connection is not null && await connection.SendAsync(message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>P-CSCF restart: every TCP connection is closed.</summary>
    public void CloseConnections()
    {
        foreach (var connection in _connections.Values)
        {
            connection.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _udp?.Dispose();
        _tcpListener?.Dispose();
        CloseConnections();
        try
        {
            await Task.WhenAll(_loops).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Shutting down.
        }

        _stop.Dispose();
    }

    private async ValueTask<bool> SendDatagramAsync(SipMessage message, IPEndPoint remote, CancellationToken cancellationToken)
    {
        if (_udp is null)
        {
            return false;
        }

        try
        {
            // Logged before the send, so whoever receives it finds it in the log.
            _log.Sent(SipTransportKind.Udp, remote, message);
            await _udp.SendToAsync(message.Raw, SocketFlags.None, remote, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (SocketException exception)
        {
            _logger.SendFailed(remote.ToString(), exception.SocketErrorCode.ToString());
            return false;
        }
    }

    private async ValueTask<TcpConnection?> ConnectionToAsync(IPEndPoint remote, CancellationToken cancellationToken)
    {
        foreach (var existing in _connections.Values)
        {
            if (existing.Remote.Equals(remote))
            {
                return existing;
            }
        }

        var socket = new Socket(remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await socket.ConnectAsync(remote, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            _logger.ConnectFailed(remote.ToString());
            return null;
        }

        return Serve(socket);
    }

    private TcpConnection Serve(Socket socket)
    {
        socket.NoDelay = true;
        var connection = new TcpConnection(Interlocked.Increment(ref _nextConnectionId), socket, _log, _logger);
        _connections[connection.Id] = connection;
        _logger.ConnectionOpened(connection.Id, connection.Remote.ToString());
        var loop = Task.Run(async () =>
        {
            try
            {
                await ReadStreamAsync(connection, _stop.Token).ConfigureAwait(false);
            }
            finally
            {
                _connections.TryRemove(connection.Id, out _);
                connection.Dispose();
                _logger.ConnectionClosed(connection.Id, connection.Remote.ToString());
            }
        });
        lock (_loops)
        {
            _loops.RemoveAll(t => t.IsCompleted);
            _loops.Add(loop);
        }

        return connection;
    }

    private async Task AcceptAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _tcpListener!.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException exception)
            {
                _logger.ReceiveFailed("tcp", exception.SocketErrorCode.ToString());
                continue;
            }

            Serve(socket);
        }
    }

    private async Task ReceiveDatagramsAsync(CancellationToken cancellationToken)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(MaxDatagram);
        EndPoint any = new IPEndPoint(_udp!.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!cancellationToken.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _udp.ReceiveFromAsync(buffer, SocketFlags.None, any, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException exception)
            {
                // ICMP port unreachable from an earlier send shows up here on Linux: not fatal for the socket.
                _logger.ReceiveFailed("udp", exception.SocketErrorCode.ToString());
                continue;
            }

            var remote = (IPEndPoint)received.RemoteEndPoint;
            var flow = new SipFlow(SipTransportKind.Udp, remote, 0);
            var result = SipParser.Parse(buffer.AsMemory(0, received.ReceivedBytes), SipFraming.Datagram);
            switch (result.Status)
            {
                case SipParseStatus.Complete:
                    _log.Received(SipTransportKind.Udp, remote, result.Message!);
                    await _deliver(new InboundSipMessage(result.Message, flow)).ConfigureAwait(false);
                    break;
                case SipParseStatus.Error:
                    _log.Unparsable(SipTransportKind.Udp, remote, result.Error, result.Header, received.ReceivedBytes);
                    await _deliver(new InboundSipMessage(result.Message, flow, result.Error, result.Header)).ConfigureAwait(false);
                    break;
                default:
                    // A keep-alive or a truncated datagram: nothing to answer (RFC 5626 §4.4.1 STUN is not spoken here).
                    break;
            }
        }
    }

    private async Task ReadStreamAsync(TcpConnection connection, CancellationToken cancellationToken)
    {
        var reader = connection.Input;
        var flow = new SipFlow(SipTransportKind.Tcp, connection.Remote, connection.Id);
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = read.Buffer;
                var close = false;
                var pendingDeliveries = new List<InboundSipMessage>();
                var pong = false;
                try
                {
                    while (!buffer.IsEmpty)
                    {
                        var result = SipParser.Parse(buffer, SipFraming.Stream);
                        if (result.Status == SipParseStatus.Incomplete)
                        {
                            break;
                        }

                        if (result.Status == SipParseStatus.KeepAlive)
                        {
                            // RFC 5626 §3.5.1: a double-CRLF ping is answered with a single CRLF pong.
                            pong |= result.Consumed >= 4;
                            buffer = buffer.Slice(result.Consumed);
                            continue;
                        }

                        if (result.Status == SipParseStatus.Error)
                        {
                            _log.Unparsable(SipTransportKind.Tcp, connection.Remote, result.Error, result.Header, (int)Math.Min(buffer.Length, int.MaxValue));
                            pendingDeliveries.Add(new InboundSipMessage(result.Message, flow, result.Error, result.Header));
                            if (result.Consumed == 0)
                            {
                                close = true;
                                buffer = buffer.Slice(buffer.End);
                                break;
                            }

                            buffer = buffer.Slice(result.Consumed);
                            continue;
                        }

                        _log.Received(SipTransportKind.Tcp, connection.Remote, result.Message!);
                        pendingDeliveries.Add(new InboundSipMessage(result.Message, flow));
                        buffer = buffer.Slice(result.Consumed);
                    }
                }
                finally
                {
                    reader.AdvanceTo(buffer.Start, buffer.End);
                }

                foreach (var inbound in pendingDeliveries)
                {
                    await _deliver(inbound).ConfigureAwait(false);
                }

                if (pong)
                {
                    await connection.SendRawAsync("\r\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
                }

                if (close)
                {
                    return;
                }

                if (read.IsCompleted)
                {
                    if (!buffer.IsEmpty)
                    {
                        _logger.ClosedMidMessage(connection.Id, connection.Remote.ToString(), buffer.Length);
                    }

                    return;
                }
            }
        }
        catch (Exception exception) when (exception is IOException or SocketException or ObjectDisposedException
            or OperationCanceledException or InvalidOperationException)
        {
            // Peer reset, restart or shutdown: the finally of Serve cleans up.
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>One TCP connection: a pipe reader over the socket and serialised writes.</summary>
    private sealed class TcpConnection : IDisposable
    {
        private readonly Socket _socket;
        private readonly NetworkStream _stream;
        private readonly SemaphoreSlim _writeGate = new(1, 1);
        private readonly SipMessageLog _log;
        private readonly ILogger _logger;
        private int _closed;

        public TcpConnection(long id, Socket socket, SipMessageLog log, ILogger logger)
        {
            Id = id;
            _socket = socket;
            _log = log;
            _logger = logger;
            Remote = (IPEndPoint)socket.RemoteEndPoint!;
            _stream = new NetworkStream(socket, ownsSocket: true);
            Input = PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true));
        }

        public long Id { get; }

        public IPEndPoint Remote { get; }

        public PipeReader Input { get; }

        public async ValueTask<bool> SendAsync(SipMessage message, CancellationToken cancellationToken)
        {
            if (Volatile.Read(ref _closed) != 0)
            {
                return false;
            }

            // Logged before the write, so whoever receives it finds it in the log.
            _log.Sent(SipTransportKind.Tcp, Remote, message);
            return await SendRawAsync(message.Raw, cancellationToken).ConfigureAwait(false);
        }

        public async ValueTask<bool> SendRawAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
        {
            if (Volatile.Read(ref _closed) != 0)
            {
                return false;
            }

            try
            {
                await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return false;
            }

            try
            {
                await _stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (Exception exception) when (exception is IOException or SocketException or ObjectDisposedException)
            {
                _logger.SendFailed(Remote.ToString(), exception.GetType().Name);
                return false;
            }
            finally
            {
                ReleaseGate();
            }
        }

        private void ReleaseGate()
        {
            try
            {
                _writeGate.Release();
            }
            catch (ObjectDisposedException)
            {
                // Disposed while writing: the connection is gone anyway.
            }
        }

        public void Dispose()
        {
            Close();
            _writeGate.Dispose();
        }

        public void Close()
        {
            if (Interlocked.Exchange(ref _closed, 1) != 0)
            {
                return;
            }

            try
            {
                _socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
            {
                // Already gone.
            }

            _stream.Dispose();
        }
    }
}
