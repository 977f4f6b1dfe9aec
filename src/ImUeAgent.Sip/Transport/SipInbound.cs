// SPDX-License-Identifier: MIT
using System.Net;
using ImUeAgent.Sip.Message;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImUeAgent.Sip.Transport;

/// <summary>What every transport does with a parse outcome (RFC 3261 §18.3, §8.2, §18.1.2): a well-formed message goes
/// up with its source; a malformed request that can still be answered gets the <see cref="SipRejection"/> response;
/// a malformed response is dropped and logged once per source per minute (so a misbehaving peer cannot flood logs).</summary>
public sealed class SipInbound
{
    private const int MaxTrackedSources = 256;
    private static readonly TimeSpan LogInterval = TimeSpan.FromMinutes(1);

    private readonly Action<ReceivedSipMessage> _deliver;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<IPAddress, DateTimeOffset> _lastLogged = [];
    private int _droppedResponses;
    private int _rejectedRequests;

    public SipInbound(Action<ReceivedSipMessage> deliver, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        _deliver = deliver ?? throw new ArgumentNullException(nameof(deliver));
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Malformed responses dropped so far (for tests and diagnostics).</summary>
    public int DroppedResponses => Volatile.Read(ref _droppedResponses);

    /// <summary>Malformed requests answered so far.</summary>
    public int RejectedRequests => Volatile.Read(ref _rejectedRequests);

    /// <summary>Handles one parse outcome. <paramref name="reply"/> sends back to the source over the same socket or
    /// connection. Returns false when a stream can no longer be framed and must be closed.</summary>
    public bool Deliver(in SipParseResult result, SipTransportAddress source, IPEndPoint local, Func<SipMessage, ValueTask> reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        switch (result.Status)
        {
            case SipParseStatus.Complete when result.Message is SipRequest request:
                (SipParseError error, SipHeaderId header) = request.CheckRequiredHeaders();
                if (error != SipParseError.None)
                {
                    Reject(request, error, header, 0, source, reply);
                    return true;
                }

                _deliver(new ReceivedSipMessage(request, source, local));
                return true;
            case SipParseStatus.Complete:
                _deliver(new ReceivedSipMessage(result.Message!, source, local));
                return true;
            case SipParseStatus.Error:
                if (result.Message is SipRequest bad)
                {
                    Reject(bad, result.Error, result.Header, result.Offset, source, reply);
                }
                else
                {
                    DropUnanswerable(result, source);
                }

                return result.Consumed > 0;
            default:
                return true;
        }
    }

    private void Reject(SipRequest request, SipParseError error, SipHeaderId header, long offset, SipTransportAddress source, Func<SipMessage, ValueTask> reply)
    {
        (int status, string phrase) = SipRejection.GetResponse(error, header);
        Interlocked.Increment(ref _rejectedRequests);
        SipLog.RequestRejected(_logger, source.ToString(), phrase, offset, status);
        if (request.Method == SipMethod.Ack || !request.Headers.Contains(SipHeaderId.Via))
        {
            // An ACK is never answered; without Via there is nowhere to answer (RFC 3261 §18.2.2).
            return;
        }

        SipResponse response;
        try
        {
            response = SipMessageBuilder.ResponseTo(request, status, phrase).BuildResponse();
        }
        catch (ArgumentException)
        {
            return;
        }

        ValueTask sent = reply(response);
        if (!sent.IsCompletedSuccessfully)
        {
            _ = Observe(sent);
        }
    }

    private void DropUnanswerable(in SipParseResult result, SipTransportAddress source)
    {
        Interlocked.Increment(ref _droppedResponses);
        DateTimeOffset now = _time.GetUtcNow();
        lock (_gate)
        {
            if (_lastLogged.TryGetValue(source.EndPoint.Address, out DateTimeOffset last) && now - last < LogInterval)
            {
                return;
            }

            if (_lastLogged.Count >= MaxTrackedSources)
            {
                _lastLogged.Clear();
            }

            _lastLogged[source.EndPoint.Address] = now;
        }

        SipLog.ResponseDropped(_logger, source.ToString(), SipRejection.Describe(result.Error, result.Header == SipHeaderId.Unknown ? null : SipHeaderNames.GetName(result.Header)), result.Offset);
    }

    private static async Task Observe(ValueTask sent)
    {
        try
        {
            await sent.ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // The peer is gone: nothing to answer.
        }
    }
}
