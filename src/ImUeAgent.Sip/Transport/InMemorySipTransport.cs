// SPDX-License-Identifier: MIT
using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Sip.Transport;

/// <summary>A loopback network for tests: transports registered by (kind, endpoint) exchange serialized messages,
/// which the receiver parses like the real transport would (datagram framing for UDP, stream framing otherwise).</summary>
public sealed class InMemorySipNetwork
{
    private readonly ConcurrentDictionary<(SipTransportKind, IPEndPoint), InMemorySipTransport> _nodes = new();

    /// <summary>Creates a transport at <paramref name="endPoint"/>.</summary>
    public InMemorySipTransport CreateTransport(SipTransportKind kind, IPEndPoint endPoint)
    {
        var t = new InMemorySipTransport(this, kind, endPoint);
        if (!_nodes.TryAdd((kind, endPoint), t))
        {
            throw new InvalidOperationException("Endpoint in use: " + endPoint);
        }

        return t;
    }

    internal InMemorySipTransport? Find(SipTransportKind kind, IPEndPoint endPoint) => _nodes.GetValueOrDefault((kind, endPoint));

    internal void Remove(InMemorySipTransport t) => _nodes.TryRemove(new KeyValuePair<(SipTransportKind, IPEndPoint), InMemorySipTransport>((t.Kind, t.LocalEndPoint), t));
}

/// <summary>An in-memory transport (tests). Delivery is asynchronous and in order, like a socket's.</summary>
public sealed class InMemorySipTransport : ISipTransport
{
    private readonly InMemorySipNetwork _network;
    private readonly Channel<(byte[] Bytes, IPEndPoint From)> _queue = Channel.CreateUnbounded<(byte[], IPEndPoint)>(new UnboundedChannelOptions { SingleReader = true });
    private Task? _pump;

    internal InMemorySipTransport(InMemorySipNetwork network, SipTransportKind kind, IPEndPoint endPoint)
    {
        _network = network;
        Kind = kind;
        LocalEndPoint = endPoint;
    }

    public SipTransportKind Kind { get; }

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Every message this transport sent, in order (tests inspect them).</summary>
    public ConcurrentQueue<(SipMessage Message, IPEndPoint To)> SentMessages { get; } = new();

    public void Start(SipInbound inbound)
    {
        ArgumentNullException.ThrowIfNull(inbound);
        _pump = Task.Run(() => PumpAsync(inbound));
    }

    public ValueTask SendAsync(SipMessage message, IPEndPoint remote, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        SentMessages.Enqueue((message, remote));
        InMemorySipTransport? peer = _network.Find(Kind, remote);
        if (peer is null)
        {
            // UDP loses the datagram silently; a stream cannot connect.
            return Kind == SipTransportKind.Udp ? ValueTask.CompletedTask : ValueTask.FromException(new IOException("Connection refused: " + remote));
        }

        peer.Inject(message.ToArray(), LocalEndPoint);
        return ValueTask.CompletedTask;
    }

    /// <summary>Delivers raw bytes as if <paramref name="from"/> had sent them (hostile-input tests).</summary>
    public void Inject(byte[] bytes, IPEndPoint from) => _queue.Writer.TryWrite((bytes, from));

    public async ValueTask DisposeAsync()
    {
        _network.Remove(this);
        _queue.Writer.TryComplete();
        if (_pump is not null)
        {
            await _pump.ConfigureAwait(false);
        }
    }

    private async Task PumpAsync(SipInbound inbound)
    {
        await foreach ((byte[] bytes, IPEndPoint from) in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            var source = new SipTransportAddress(Kind, from);
            SipParseResult r = SipParser.Parse(bytes, Kind == SipTransportKind.Udp ? SipFraming.Datagram : SipFraming.Stream);
            if (r.Status != SipParseStatus.KeepAlive)
            {
                inbound.Deliver(r, source, LocalEndPoint, m => SendAsync(m, from, CancellationToken.None));
            }
        }
    }
}
