// SPDX-License-Identifier: MIT
using ImUeAgent.Sip.Message;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImUeAgent.Sip.Transport;

/// <summary>Settings of <see cref="SipTransportLayer"/>.</summary>
public sealed record SipTransportLayerOptions
{
    /// <summary>RFC 3261 §18.1.1: a request larger than this (path MTU unknown: 1300 bytes) goes over TCP.</summary>
    public int MtuLimit { get; init; } = 1300;
}

/// <summary>The transports of one UA, all bound to the same local address: sends each message through the transport
/// of its destination, applies the RFC 3261 §18.1.1 size rule, and funnels received messages (already filtered by
/// <see cref="SipInbound"/>) to one handler.</summary>
public sealed class SipTransportLayer : ISipSender, IAsyncDisposable
{
    private readonly ISipTransport[] _transports;
    private readonly SipTransportLayerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public SipTransportLayer(IEnumerable<ISipTransport> transports, SipTransportLayerOptions? options = null, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(transports);
        _transports = [.. transports];
        if (_transports.Length == 0)
        {
            throw new ArgumentException("At least one transport", nameof(transports));
        }

        _options = options ?? new SipTransportLayerOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MtuLimit, 200);
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        foreach (ISipTransport t in _transports)
        {
            if (t is SipStreamTransport stream)
            {
                stream.ConnectionClosed += (remote, reason) => ConnectionClosed?.Invoke(remote, reason);
            }
        }
    }

    /// <summary>A TCP/TLS connection ended other than by our own close (see <see cref="SipStreamTransport.ConnectionClosed"/>).</summary>
    public event Action<SipTransportAddress, SipConnectionCloseReason>? ConnectionClosed;

    public IReadOnlyList<ISipTransport> Transports => _transports;

    /// <summary>The filter every transport reports to (available after <see cref="Start"/>).</summary>
    public SipInbound? Inbound { get; private set; }

    public int MtuLimit => _options.MtuLimit;

    public ISipTransport? Find(SipTransportKind kind) => Array.Find(_transports, t => t.Kind == kind);

    /// <summary>Starts every transport; well-formed received messages go to <paramref name="onMessage"/>.</summary>
    public void Start(Action<ReceivedSipMessage> onMessage)
    {
        if (Inbound is not null)
        {
            throw new InvalidOperationException("Already started");
        }

        Inbound = new SipInbound(onMessage, _time, _logger);
        foreach (ISipTransport t in _transports)
        {
            t.Start(Inbound);
        }
    }

    /// <summary>RFC 3261 §18.1.1: a UDP request over the MTU limit goes over TCP when a TCP transport exists (the
    /// caller then writes TCP in the top Via).</summary>
    public SipTransportKind ChooseTransport(SipTransportKind preferred, int requestLength)
    {
        if (preferred == SipTransportKind.Udp && requestLength > _options.MtuLimit && Find(SipTransportKind.Tcp) is not null)
        {
            SipLog.SwitchedToTcp(_logger, requestLength);
            return SipTransportKind.Tcp;
        }

        return preferred;
    }

    public ValueTask SendAsync(SipMessage message, SipTransportAddress destination, CancellationToken cancellationToken)
    {
        ISipTransport? transport = Find(destination.Transport);
        return transport is null
            ? ValueTask.FromException(new InvalidOperationException("No " + destination.Transport.ToViaToken() + " transport configured"))
            : transport.SendAsync(message, destination.EndPoint, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (ISipTransport t in _transports)
        {
            await t.DisposeAsync().ConfigureAwait(false);
        }
    }
}
