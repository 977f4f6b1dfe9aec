// SPDX-License-Identifier: MIT
using System.Net;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Sip.Transport;

/// <summary>RFC 3261 §18.2.2 with RFC 3581: where a response goes.</summary>
public static class SipResponseRouting
{
    /// <summary>On a stream: back to the source (the connection it came on, which the transport reuses by remote
    /// endpoint). On UDP: the source address (the "received" a server would add) and, when the top Via asked with
    /// rport, the source port; otherwise the Via's sent-by port (5060 when absent).</summary>
    public static SipTransportAddress GetResponseDestination(SipRequest request, SipTransportAddress source)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (source.IsReliable)
        {
            return source;
        }

        ViaValue? via = request.Headers.TopVia;
        if (via is null || via.HasRPort)
        {
            return source;
        }

        if (via.Maddr is { } maddr && IPAddress.TryParse(maddr, out IPAddress? multicast))
        {
            return new SipTransportAddress(source.Transport, new IPEndPoint(multicast, via.Port ?? 5060));
        }

        return new SipTransportAddress(source.Transport, new IPEndPoint(source.EndPoint.Address, via.Port ?? 5060));
    }
}
