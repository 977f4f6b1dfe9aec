// SPDX-License-Identifier: MIT
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using ImUeAgent.Sip.Message;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImUeAgent.Sip.Transport;

/// <summary>Settings of a TCP or TLS transport.</summary>
public sealed record SipStreamTransportOptions
{
    /// <summary>Accept incoming connections on the local endpoint (a UE accepts them from the P-CSCF).</summary>
    public bool Listen { get; init; } = true;

    public SipKeepAliveOptions KeepAlive { get; init; } = new();

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>TLS: the CA certificates that anchor the server's chain; null uses the system trust store.</summary>
    public X509Certificate2Collection? TrustedCertificateAuthorities { get; init; }

    /// <summary>TLS: the name sent as SNI and checked against the server certificate; null uses the remote IP.</summary>
    public string? ServerName { get; init; }

    /// <summary>TLS: our certificate when accepting connections.</summary>
    public X509Certificate2? ServerCertificate { get; init; }

    public SipParserOptions ParserOptions { get; init; } = SipParserOptions.Default;

    /// <summary>Kernel keep-alive on every connection (no process wake-ups); null turns it off.</summary>
    public TcpKeepAliveOptions? TcpKeepAlive { get; init; } = new();

    /// <summary>Network interface the sockets are tied to (SO_BINDTODEVICE); null: address binding only.</summary>
    public string? BindToDevice { get; init; }
}

/// <summary>SIP over TCP or TLS (RFC 3261 §18, §26.2): a listener on the local endpoint, and connections reused by
/// remote endpoint — a request to an endpoint we already talk to (either direction) goes over that connection, and
/// a response goes back over the connection its request came on.</summary>
public sealed class SipStreamTransport : ISipTransport
{
    private readonly SipStreamTransportOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Socket? _listener;
    private readonly ConcurrentDictionary<IPEndPoint, Task<SipStreamConnection>> _connections = new();
    private readonly CancellationTokenSource _stop = new();
    private SipInbound? _inbound;
    private Task? _acceptLoop;
    private int _disposed;

    public SipStreamTransport(SipTransportKind kind, IPEndPoint localEndPoint, SipStreamTransportOptions? options = null, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        if (kind == SipTransportKind.Udp)
        {
            throw new ArgumentException("Stream transports are TCP or TLS", nameof(kind));
        }

        Kind = kind;
        _options = options ?? new SipStreamTransportOptions();
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        if (kind == SipTransportKind.Tls && _options.Listen && _options.ServerCertificate is null)
        {
            throw new ArgumentException("A listening TLS transport needs a ServerCertificate", nameof(options));
        }

        if (_options.Listen)
        {
            _listener = new Socket(localEndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                SocketTuning.BindToDeviceOrWarn(_listener, _options.BindToDevice, _logger);
                _listener.Bind(localEndPoint);
                _listener.Listen(16);
            }
            catch
            {
                _listener.Dispose();
                throw;
            }

            LocalEndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        }
        else
        {
            LocalEndPoint = localEndPoint;
        }
    }

    public SipTransportKind Kind { get; }

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Raised when a connection ends for any reason but our own close (the peer closed or reset it, the
    /// kernel keep-alive or the CRLF ping found it dead, framing failed): the registration layer re-registers.</summary>
    public event Action<SipTransportAddress, SipConnectionCloseReason>? ConnectionClosed;

    /// <summary>Open connections (for tests and diagnostics).</summary>
    public int ConnectionCount => _connections.Count(c => c.Value.IsCompletedSuccessfully && !c.Value.Result.Closed.IsCompleted);

    public void Start(SipInbound inbound)
    {
        _inbound = inbound ?? throw new ArgumentNullException(nameof(inbound));
        if (_listener is not null)
        {
            _acceptLoop = Task.Run(AcceptLoopAsync);
        }
    }

    public async ValueTask SendAsync(SipMessage message, IPEndPoint remote, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(remote);
        SipStreamConnection connection = await GetOrConnectAsync(remote).ConfigureAwait(false);
        await connection.SendAsync(message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The open connection to <paramref name="remote"/>, if any.</summary>
    public SipStreamConnection? FindConnection(IPEndPoint remote) =>
        _connections.TryGetValue(remote, out Task<SipStreamConnection>? t) && t.IsCompletedSuccessfully && !t.Result.Closed.IsCompleted ? t.Result : null;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _listener?.Dispose();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }

        foreach (Task<SipStreamConnection> c in _connections.Values)
        {
            if (c.IsCompletedSuccessfully)
            {
                await c.Result.DisposeAsync().ConfigureAwait(false);
            }
        }

        _connections.Clear();
        _stop.Dispose();
    }

    private Task<SipStreamConnection> GetOrConnectAsync(IPEndPoint remote)
    {
        while (true)
        {
            Task<SipStreamConnection> task = _connections.GetOrAdd(remote, r => ConnectAsync(r));
            if (task.IsFaulted || (task.IsCompletedSuccessfully && task.Result.Closed.IsCompleted))
            {
                _connections.TryRemove(new KeyValuePair<IPEndPoint, Task<SipStreamConnection>>(remote, task));
                if (task.IsFaulted)
                {
                    return task;
                }

                continue;
            }

            return task;
        }
    }

    private async Task<SipStreamConnection> ConnectAsync(IPEndPoint remote)
    {
        SipInbound inbound = _inbound ?? throw new InvalidOperationException("Start the transport before sending");
        var socket = new Socket(remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            // The outgoing connection leaves from the configured local address (the IMS PDN's), any port.
            SocketTuning.BindToDeviceOrWarn(socket, _options.BindToDevice, _logger);
            SocketTuning.ApplyKeepAlive(socket, _options.TcpKeepAlive);
            socket.Bind(new IPEndPoint(LocalEndPoint.Address, 0));
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(_options.ConnectTimeout);
            await socket.ConnectAsync(remote, timeout.Token).ConfigureAwait(false);
            Stream stream = new NetworkStream(socket, ownsSocket: true);
            if (Kind == SipTransportKind.Tls)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                await ssl.AuthenticateAsClientAsync(ClientTlsOptions(remote), timeout.Token).ConfigureAwait(false);
            }

            return Open(stream, remote, inbound, pings: true);
        }
        catch (Exception e)
        {
            socket.Dispose();
            _connections.TryRemove(remote, out _);
            throw new IOException("SIP " + Kind.ToViaToken() + " connection to " + remote + " failed: " + e.Message, e);
        }
    }

    private SslClientAuthenticationOptions ClientTlsOptions(IPEndPoint remote)
    {
        var tls = new SslClientAuthenticationOptions
        {
            // SNI and the name checked against the certificate.
            TargetHost = _options.ServerName ?? remote.Address.ToString(),
        };
        if (_options.TrustedCertificateAuthorities is { Count: > 0 } cas)
        {
            var policy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            policy.CustomTrustStore.AddRange(cas);
            tls.CertificateChainPolicy = policy;
        }

        return tls;
    }

    private SipStreamConnection Open(Stream stream, IPEndPoint remote, SipInbound inbound, bool pings)
    {
        var pipe = new StreamDuplexPipe(stream);
        var connection = new SipStreamConnection(pipe, new SipTransportAddress(Kind, remote), LocalEndPoint, stream,
            _options.ParserOptions, pings ? _options.KeepAlive : new SipKeepAliveOptions(), _time, _logger);
        if (!pings)
        {
            // Accepted: registered before the first read so a response finds this connection (§18.2.2).
            _connections[remote] = Task.FromResult(connection);
        }

        connection.Start(inbound);
        _ = connection.Closed.ContinueWith(
            closed =>
            {
                if (_connections.TryGetValue(remote, out Task<SipStreamConnection>? t) && t.IsCompletedSuccessfully && ReferenceEquals(t.Result, connection))
                {
                    _connections.TryRemove(remote, out _);
                }

                if (closed.Result != SipConnectionCloseReason.LocalClose && !_stop.IsCancellationRequested)
                {
                    ConnectionClosed?.Invoke(connection.Remote, closed.Result);
                }
            },
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return connection;
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await _listener!.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                SipLog.AcceptFailed(_logger, e);
                continue;
            }

            _ = Task.Run(() => AcceptOneAsync(accepted));
        }
    }

    private async Task AcceptOneAsync(Socket socket)
    {
        socket.NoDelay = true;
        SocketTuning.ApplyKeepAlive(socket, _options.TcpKeepAlive);
        var remote = (IPEndPoint)socket.RemoteEndPoint!;
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            if (Kind == SipTransportKind.Tls)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                timeout.CancelAfter(_options.ConnectTimeout);
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _options.ServerCertificate }, timeout.Token).ConfigureAwait(false);
            }

            Open(stream, remote, _inbound!, pings: false);
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or OperationCanceledException or SocketException)
        {
            SipLog.AcceptFailed(_logger, e);
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>A stream (socket or TLS) seen as a duplex pipe.</summary>
internal sealed class StreamDuplexPipe : IDuplexPipe
{
    public StreamDuplexPipe(Stream stream)
    {
        Input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, minimumReadSize: 4 * 1024, leaveOpen: true));
        Output = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 4 * 1024, leaveOpen: true));
    }

    public PipeReader Input { get; }

    public PipeWriter Output { get; }
}
