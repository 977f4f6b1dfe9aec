// SPDX-License-Identifier: MIT
using System.Net;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Sip.Transport;

/// <summary>One SIP transport bound to a local address (the IMS PDN's): UDP, TCP, TLS, or in-memory in tests.</summary>
public interface ISipTransport : IAsyncDisposable
{
    SipTransportKind Kind { get; }

    /// <summary>The bound local endpoint (the actual port when 0 was asked).</summary>
    IPEndPoint LocalEndPoint { get; }

    /// <summary>Starts receiving; every parse outcome goes to <paramref name="inbound"/>.</summary>
    void Start(SipInbound inbound);

    /// <summary>Sends one message to <paramref name="remote"/> (on a stream transport: over the connection to that
    /// endpoint, opened when there is none).</summary>
    ValueTask SendAsync(SipMessage message, IPEndPoint remote, CancellationToken cancellationToken);
}
