// SPDX-License-Identifier: MIT
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using ImUeAgent.Msrp.Sessions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImUeAgent.Msrp.Transport;

/// <summary>A stream (socket or TLS) seen as a duplex pipe; completing both sides disposes the stream.</summary>
internal sealed class StreamDuplexPipe : IDuplexPipe
{
    // Buffers of 256 KiB let a long chunk go out and come in with a quarter of the system calls 64 KiB would take
    // (loopback benchmark: the per-call cost, not the copying, is what separates MSRP from a plain socket copy);
    // they are pooled and only held while data is in flight.
    private const int BufferSize = 256 * 1024;

    public StreamDuplexPipe(Stream stream)
    {
        Input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: BufferSize, minimumReadSize: BufferSize / 4, leaveOpen: false));
        Output = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: BufferSize, leaveOpen: false));
    }

    public PipeReader Input { get; }

    public PipeWriter Output { get; }
}

/// <summary>TCP and TLS (msrps, via <see cref="SslStream"/>) connections for MSRP (RFC 4975 §6.2: host and port of the URI).</summary>
public static class MsrpTcpTransport
{
    /// <summary>
    /// A connector for <see cref="MsrpEndpoint"/>: TCP to the URI's host and port, TLS when the scheme is msrps.
    /// <paramref name="tls"/> defaults to validating the server certificate for the URI host. <paramref name="configureSocket"/>
    /// runs before bind (e.g. to tie the socket to the IMS network interface).
    /// </summary>
    public static MsrpConnector CreateConnector(Func<MsrpUri, SslClientAuthenticationOptions>? tls = null, IPEndPoint? localEndPoint = null,
        Action<Socket>? configureSocket = null) =>
        async (uri, cancellationToken) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                configureSocket?.Invoke(socket);
                if (localEndPoint is not null)
                {
                    socket.Bind(localEndPoint);
                }

                await socket.ConnectAsync(uri.Host, uri.EffectivePort, cancellationToken).ConfigureAwait(false);
                Stream stream = new NetworkStream(socket, ownsSocket: true);
                if (uri.IsSecure)
                {
                    var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                    await ssl.AuthenticateAsClientAsync(tls?.Invoke(uri) ?? new SslClientAuthenticationOptions { TargetHost = uri.Host }, cancellationToken).ConfigureAwait(false);
                    stream = ssl;
                }

                return new StreamDuplexPipe(stream);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        };
}

/// <summary>
/// Accepts MSRP connections on a local address (port 0 picks a free port and updates the endpoint's advertised
/// port) and hands each to the endpoint; with TLS options it is an msrps listener.
/// </summary>
public sealed class MsrpTcpListener : IAsyncDisposable
{
    private readonly MsrpEndpoint _endpoint;
    private readonly SslServerAuthenticationOptions? _tls;
    private readonly ILogger _logger;
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private Task? _acceptLoop;

    public MsrpTcpListener(MsrpEndpoint endpoint, IPEndPoint localEndPoint, SslServerAuthenticationOptions? tls = null, ILogger? logger = null,
        Action<Socket>? configureSocket = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(localEndPoint);
        _endpoint = endpoint;
        _tls = tls;
        _logger = logger ?? NullLogger.Instance;
        _socket = new Socket(localEndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            configureSocket?.Invoke(_socket);
            _socket.Bind(localEndPoint);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }

        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        if (endpoint.Port == 0)
        {
            endpoint.Port = LocalEndPoint.Port;
        }
    }

    public IPEndPoint LocalEndPoint { get; }

    public void Start()
    {
        _socket.Listen(64);
        _acceptLoop = AcceptLoopAsync();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _socket.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                Log.AcceptFailed(_logger, ex);
                continue;
            }

            _ = AdoptAsync(client);
        }
    }

    private async Task AdoptAsync(Socket client)
    {
        try
        {
            client.NoDelay = true;
            Stream stream = new NetworkStream(client, ownsSocket: true);
            if (_tls is not null)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                timeout.CancelAfter(TimeSpan.FromSeconds(30));
                await ssl.AuthenticateAsServerAsync(_tls, timeout.Token).ConfigureAwait(false);
                stream = ssl;
            }

            _endpoint.AddConnection(new StreamDuplexPipe(stream), initiatedLocally: false, remoteAuthority: null, name: client.RemoteEndPoint?.ToString());
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or System.Security.Authentication.AuthenticationException or ObjectDisposedException)
        {
            Log.AcceptFailed(_logger, ex);
            client.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }

        _stop.Dispose();
    }
}
