// SPDX-License-Identifier: MIT
using System.Net;
using System.Net.Sockets;
using ImUeAgent.Sip.Message;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImUeAgent.Sip.Transport;

/// <summary>SIP over UDP (RFC 3261 §18): one socket bound to the local address (port 0 picks a free port); each
/// datagram is one message, parsed with datagram framing.</summary>
public sealed class SipUdpTransport : ISipTransport
{
    private const int MaxDatagram = 65535;

    private readonly Socket _socket;
    private readonly SipParserOptions _parserOptions;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private Task? _receiveLoop;

    /// <param name="bindToDevice">Network interface the socket is tied to (SO_BINDTODEVICE); null: address only.</param>
    public SipUdpTransport(IPEndPoint localEndPoint, SipParserOptions? parserOptions = null, ILogger? logger = null, string? bindToDevice = null)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        _parserOptions = parserOptions ?? SipParserOptions.Default;
        _logger = logger ?? NullLogger.Instance;
        _socket = new Socket(localEndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            SocketTuning.BindToDeviceOrWarn(_socket, bindToDevice, _logger);
            _socket.Bind(localEndPoint);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }

        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
    }

    public SipTransportKind Kind => SipTransportKind.Udp;

    public IPEndPoint LocalEndPoint { get; }

    public void Start(SipInbound inbound)
    {
        ArgumentNullException.ThrowIfNull(inbound);
        if (_receiveLoop is not null)
        {
            throw new InvalidOperationException("Already started");
        }

        _receiveLoop = Task.Run(() => ReceiveLoopAsync(inbound, _stop.Token));
    }

    public async ValueTask SendAsync(SipMessage message, IPEndPoint remote, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        await _socket.SendToAsync(message.Raw, SocketFlags.None, remote, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        if (_receiveLoop is not null)
        {
            await _receiveLoop.ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    private async Task ReceiveLoopAsync(SipInbound inbound, CancellationToken stop)
    {
        // One buffer for the loop: the parser copies each message into its own array.
        byte[] buffer = GC.AllocateUninitializedArray<byte>(MaxDatagram);
        EndPoint any = new IPEndPoint(LocalEndPoint.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!stop.IsCancellationRequested)
        {
            SocketReceiveFromResult r;
            try
            {
                r = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable)
            {
                // ICMP errors from an earlier send surface here; the socket is still usable.
                continue;
            }
            catch (SocketException e)
            {
                SipLog.ReceiveFailed(_logger, e, "UDP");
                return;
            }

            var source = new SipTransportAddress(SipTransportKind.Udp, (IPEndPoint)r.RemoteEndPoint);
            SipParseResult parsed = SipParser.Parse(buffer.AsMemory(0, r.ReceivedBytes), SipFraming.Datagram, _parserOptions);
            if (parsed.Status == SipParseStatus.KeepAlive)
            {
                continue;
            }

            try
            {
                inbound.Deliver(parsed, source, LocalEndPoint, m => SendAsync(m, source.EndPoint, CancellationToken.None));
            }
            catch (Exception e)
            {
                SipLog.ReceiveFailed(_logger, e, "UDP");
            }
        }
    }
}
