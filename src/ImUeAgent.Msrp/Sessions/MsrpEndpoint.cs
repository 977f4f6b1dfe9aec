// SPDX-License-Identifier: MIT
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImUeAgent.Msrp.Sessions;

/// <summary>Opens a transport to an MSRP URI's authority (TCP, TLS, or an in-memory pipe in tests).</summary>
public delegate ValueTask<IDuplexPipe> MsrpConnector(MsrpUri target, CancellationToken cancellationToken);

/// <summary>Endpoint settings.</summary>
public sealed record MsrpEndpointOptions
{
    /// <summary>Host written into local MSRP URIs (an address the peer can reach).</summary>
    public required string Host { get; init; }

    /// <summary>Port written into local URIs; a listener bound to port 0 fills in the real one.</summary>
    public int Port { get; init; }

    /// <summary>msrps URIs (TLS).</summary>
    public bool Secure { get; init; }

    public MsrpConnectionOptions Connection { get; init; } = new();
}

/// <summary>
/// The MSRP side of the agent: owns sessions (by local session-id) and connections, routes each inbound request to
/// its session, and reuses connections it opened (RFC 4975 §5.4). Transports come in through
/// <see cref="AddConnection"/> (a listener, or tests) and go out through the <see cref="MsrpConnector"/>.
/// </summary>
public sealed class MsrpEndpoint : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, MsrpSession> _sessions = new(StringComparer.Ordinal);
    private readonly Lock _connectionsLock = new();
    private readonly List<MsrpConnection> _connections = [];
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private readonly MsrpConnector? _connector;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private int _connectionCounter;

    public MsrpEndpoint(MsrpEndpointOptions options, MsrpConnector? connector = null, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        Port = options.Port;
        _connector = connector;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger("ImUeAgent.Msrp");
        TimeProvider = timeProvider ?? TimeProvider.System;
    }

    public MsrpEndpointOptions Options { get; }

    public TimeProvider TimeProvider { get; }

    /// <summary>Port advertised in new local URIs.</summary>
    public int Port { get; set; }

    public IReadOnlyList<MsrpConnection> Connections
    {
        get
        {
            lock (_connectionsLock)
            {
                return [.. _connections];
            }
        }
    }

    public int SessionCount => _sessions.Count;

    /// <summary>Creates a session with a fresh session-id (or the one given) and registers it for inbound routing.</summary>
    public MsrpSession CreateSession(IMsrpSessionHandler handler, MsrpSessionOptions? options = null, string? sessionId = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        sessionId ??= TransactionIds.NewSessionId();
        var uri = new MsrpUri(Options.Secure, Options.Host, Port, sessionId);
        var session = new MsrpSession(this, uri, options ?? new MsrpSessionOptions(), handler, _logger);
        if (!_sessions.TryAdd(sessionId, session))
        {
            throw new InvalidOperationException($"session-id {sessionId} already in use");
        }

        return session;
    }

    /// <summary>Adopts a transport (accepted socket, in-memory pipe) and starts reading it.</summary>
    public MsrpConnection AddConnection(IDuplexPipe transport, bool initiatedLocally = false, string? remoteAuthority = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        int n = Interlocked.Increment(ref _connectionCounter);
        var connection = new MsrpConnection(this, transport, initiatedLocally, remoteAuthority, Options.Connection, _logger, TimeProvider,
            name ?? remoteAuthority ?? $"conn-{n}");
        lock (_connectionsLock)
        {
            _connections.Add(connection);
        }

        connection.Start();
        return connection;
    }

    internal MsrpSession? FindSession(ReadOnlySpan<byte> sessionId)
    {
        Span<char> chars = stackalloc char[sessionId.Length];
        int n = Encoding.UTF8.GetChars(sessionId, chars);
        return _sessions.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(chars[..n], out var session) ? session : null;
    }

    internal void RemoveSession(MsrpSession session) => _sessions.TryRemove(new KeyValuePair<string, MsrpSession>(session.SessionId, session));

    internal void RemoveConnection(MsrpConnection connection)
    {
        lock (_connectionsLock)
        {
            _connections.Remove(connection);
        }
    }

    /// <summary>
    /// RFC 4975 §5.4: a connection this endpoint opened to the same scheme, host and port is reused; otherwise a new
    /// one is opened through the connector. A connection that is closing (<see cref="MsrpConnection.IsClosing"/>: the
    /// peer ended its side, or it is being given up) is never handed out.
    /// </summary>
    public async ValueTask<MsrpConnection> GetOrOpenConnectionAsync(MsrpUri target, CancellationToken cancellationToken) =>
        (await AcquireConnectionAsync(target, allowReuse: true, cancellationToken).ConfigureAwait(false)).Connection;

    /// <summary>
    /// <see cref="GetOrOpenConnectionAsync"/> that also tells whether the connection was reused; with
    /// <paramref name="allowReuse"/> false it always opens a new one (a retry after a reused one was lost).
    /// </summary>
    internal async ValueTask<(MsrpConnection Connection, bool Reused)> AcquireConnectionAsync(MsrpUri target, bool allowReuse, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        string key = target.AuthorityKey;
        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (allowReuse)
            {
                lock (_connectionsLock)
                {
                    foreach (var c in _connections)
                    {
                        if (c.IsInitiatedLocally && !c.IsClosing && string.Equals(c.RemoteAuthority, key, StringComparison.Ordinal))
                        {
                            return (c, true);
                        }
                    }
                }
            }

            var connector = _connector ?? throw new InvalidOperationException("no connector configured for the active role");
            var transport = await connector(target, cancellationToken).ConfigureAwait(false);
            return (AddConnection(transport, initiatedLocally: true, remoteAuthority: key), false);
        }
        finally
        {
            _connectLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var session in _sessions.Values)
        {
            await session.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var connection in Connections)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        _connectLock.Dispose();
    }
}
