// SPDX-License-Identifier: MIT
using System.Net;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Sip.Transport;

/// <summary>SIP transports (RFC 3261 §18; TLS per §26.2).</summary>
public enum SipTransportKind : byte
{
    Udp,
    Tcp,
    Tls,
}

/// <summary>Transport helpers.</summary>
public static class SipTransportKinds
{
    /// <summary>The Via transport token (RFC 3261 §20.42).</summary>
    public static string ToViaToken(this SipTransportKind kind) => kind switch
    {
        SipTransportKind.Udp => "UDP",
        SipTransportKind.Tcp => "TCP",
        SipTransportKind.Tls => "TLS",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Reads a Via transport token or a transport= URI parameter (case-insensitive).</summary>
    public static bool TryParse(string? token, out SipTransportKind kind)
    {
        kind = SipTransportKind.Udp;
        if (token is null)
        {
            return false;
        }

        if (token.Equals("udp", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        kind = token.Equals("tcp", StringComparison.OrdinalIgnoreCase) ? SipTransportKind.Tcp
            : token.Equals("tls", StringComparison.OrdinalIgnoreCase) ? SipTransportKind.Tls : (SipTransportKind)255;
        return kind != (SipTransportKind)255;
    }

    /// <summary>Stream transports deliver reliably: no retransmissions, Timers D/I/J/K are zero (RFC 3261 §17).</summary>
    public static bool IsReliable(this SipTransportKind kind) => kind != SipTransportKind.Udp;
}

/// <summary>Where a message goes or came from: a transport and an IP endpoint. Received messages carry it so upper
/// layers can require that requests come from the P-CSCF (TS 24.229 §5.1.1.4).</summary>
public readonly record struct SipTransportAddress(SipTransportKind Transport, IPEndPoint EndPoint)
{
    public bool IsReliable => Transport.IsReliable();

    public override string ToString() => Transport.ToViaToken().ToLowerInvariant() + ":" + EndPoint;
}

/// <summary>A message received from the network, with its source and the local endpoint it arrived on.</summary>
public sealed record ReceivedSipMessage(SipMessage Message, SipTransportAddress Source, IPEndPoint LocalEndPoint);

/// <summary>What the transaction layer sends through: the transport layer, or a fake in tests. The returned task
/// completes when the message was handed to the network and faults on a transport error (RFC 3261 §17.1.4).</summary>
public interface ISipSender
{
    ValueTask SendAsync(SipMessage message, SipTransportAddress destination, CancellationToken cancellationToken);
}
