// SPDX-License-Identifier: MIT
using System.Globalization;
using ImUeAgent.Sip.Message;
using ImUeAgent.Sip.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImUeAgent.Sip.Transactions;

/// <summary>The RFC 3261 §17 transaction layer: creates client transactions for requests the TU sends, matches
/// received responses to them (§17.1.3) and received requests to server transactions (§17.2.3, with the RFC 2543
/// fallback), answers CANCEL (§9.2) and hands new requests to the TU. All state changes run under one lock (a UE has
/// few transactions); callbacks to the TU run after it is released, in order. Timers come from the
/// <see cref="TimeProvider"/>.</summary>
public sealed class SipTransactionLayer : IDisposable
{
    private readonly ISipSender _sender;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, SipClientTransaction> _clients = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SipServerTransaction> _servers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, InviteServerTransaction> _awaiting2xxAck = new(StringComparer.Ordinal);
    private readonly List<Action> _deferred = [];
    private readonly Dictionary<SipClientTransaction, SipRequest> _pendingCancels = [];
    private bool _disposed;

    public SipTransactionLayer(ISipSender sender, TimeProvider? timeProvider = null, SipTimerSettings? timers = null, ILogger? logger = null)
    {
        _sender = sender ?? throw new ArgumentNullException(nameof(sender));
        Time = timeProvider ?? TimeProvider.System;
        Timers = timers ?? SipTimerSettings.Default;
        Timers.Validate();
        _logger = logger ?? NullLogger.Instance;
    }

    public SipTimerSettings Timers { get; }

    public TimeProvider Time { get; }

    /// <summary>A new request (not a retransmission, not an ACK, not a CANCEL) with its server transaction. The TU
    /// must answer it through <see cref="SipServerTransaction.Respond"/>.</summary>
    public Action<SipServerTransaction>? RequestReceived { get; set; }

    /// <summary>An ACK that matched no transaction and no pending 2xx (e.g. a late ACK retransmission).</summary>
    public Action<SipRequest, SipTransportAddress>? UnmatchedAck { get; set; }

    /// <summary>A response that matched no client transaction: a 2xx to INVITE retransmitted after the transaction
    /// ended must still be ACKed by the UAC core (RFC 3261 §13.2.2.4).</summary>
    public Action<SipResponse, SipTransportAddress>? UnmatchedResponse { get; set; }

    /// <summary>Live transactions (for tests and diagnostics).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _clients.Count + _servers.Count;
            }
        }
    }

    /// <summary>Starts a client transaction for <paramref name="request"/> (its top Via must carry an RFC 3261
    /// branch). <paramref name="onResponse"/> sees every response, outside any lock.</summary>
    public SipClientTransaction SendRequest(SipRequest request, SipTransportAddress destination, Action<SipResponse>? onResponse = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Method == SipMethod.Ack)
        {
            throw new ArgumentException("An ACK is not a transaction: send it with SendAck", nameof(request));
        }

        ViaValue via = request.Headers.TopVia ?? throw new ArgumentException("The request needs a Via", nameof(request));
        if (!via.IsRfc3261Branch)
        {
            throw new ArgumentException("The top Via needs an RFC 3261 branch (z9hG4bK…)", nameof(request));
        }

        string key = ClientKey(via.Branch!, request.Headers.CSeq!.MethodName);
        SipClientTransaction tx = request.Method == SipMethod.Invite
            ? new InviteClientTransaction(this, request, key, destination, onResponse)
            : new NonInviteClientTransaction(this, request, key, destination, onResponse);
        Run(() =>
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_clients.TryAdd(key, tx))
            {
                throw new InvalidOperationException("A client transaction with this branch and method exists");
            }

            tx.Begin();
        });
        return tx;
    }

    /// <summary>Sends an ACK outside any transaction (the ACK for a 2xx, RFC 3261 §13.2.2.4, §17.1.1.3).</summary>
    public ValueTask SendAckAsync(SipRequest ack, SipTransportAddress destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ack);
        return _sender.SendAsync(ack, destination, cancellationToken);
    }

    /// <summary>Cancels a pending INVITE (RFC 3261 §9.1): builds the CANCEL and sends it as its own non-INVITE
    /// transaction once a provisional response has arrived. Returns that transaction, or null when the CANCEL waits
    /// for a provisional response or the INVITE already got a final one (then nothing is sent).</summary>
    public SipClientTransaction? Cancel(SipClientTransaction invite)
    {
        ArgumentNullException.ThrowIfNull(invite);
        if (invite is not InviteClientTransaction ict)
        {
            throw new ArgumentException("Only INVITE can be cancelled", nameof(invite));
        }

        bool now = false;
        Run(() =>
        {
            now = ict.RequestCancel();
            if (!now && ict.State == InviteClientTransaction.States.Calling)
            {
                _pendingCancels[ict] = BuildCancel(ict.Request);
            }
        });
        return now ? SendRequest(BuildCancel(ict.Request), ict.Destination) : null;
    }

    /// <summary>Feeds a message from the transport.</summary>
    public void OnMessageReceived(ReceivedSipMessage received)
    {
        ArgumentNullException.ThrowIfNull(received);
        if (received.Message is SipResponse response)
        {
            OnResponse(response, received.Source);
        }
        else
        {
            OnRequest((SipRequest)received.Message, received.Source);
        }
    }

    public void Dispose()
    {
        Run(() =>
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (SipTransaction tx in _clients.Values.ToArray())
            {
                tx.Abort();
            }

            foreach (SipTransaction tx in _servers.Values.ToArray())
            {
                tx.Abort();
            }
        });
    }

    /// <summary>RFC 3261 §9.1: CANCEL with the INVITE's Request-URI, Call-ID, To, From, CSeq number and top Via (same
    /// branch), and its Route headers.</summary>
    public static SipRequest BuildCancel(SipRequest invite)
    {
        ArgumentNullException.ThrowIfNull(invite);
        SipMessageBuilder b = SipMessageBuilder.Request(SipMethod.Cancel, invite.RequestUri);
        b.Add(SipHeaderId.Via, (invite.Headers.TopVia ?? throw new ArgumentException("The INVITE has no Via", nameof(invite))).ToString());

        b.MaxForwards(70);
        b.CopyAll(invite, SipHeaderId.From);
        b.CopyAll(invite, SipHeaderId.To);
        b.CopyAll(invite, SipHeaderId.CallId);
        b.CSeq(invite.Headers.CSeq!.Number, SipMethod.Cancel);
        b.CopyAll(invite, SipHeaderId.Route);
        return b.BuildRequest();
    }

    /// <summary>RFC 3261 §17.1.1.3: the ACK a client transaction sends for a 3xx–6xx: Request-URI, Call-ID, From,
    /// CSeq number and top Via of the INVITE, To of the response, the INVITE's Route headers.</summary>
    internal static SipRequest BuildAckForFailure(SipRequest invite, SipResponse response)
    {
        SipMessageBuilder b = SipMessageBuilder.Request(SipMethod.Ack, invite.RequestUri);
        b.Add(SipHeaderId.Via, invite.Headers.TopVia!.ToString());
        b.MaxForwards(70);
        b.CopyAll(invite, SipHeaderId.From);
        b.CopyAll(response, SipHeaderId.To);
        b.CopyAll(invite, SipHeaderId.CallId);
        b.CSeq(invite.Headers.CSeq!.Number, SipMethod.Ack);
        b.CopyAll(invite, SipHeaderId.Route);
        return b.BuildRequest();
    }

    // ---- internals used by the transactions (all under the lock) ----

    internal void Run(Action action)
    {
        List<Action>? todo = null;
        lock (_gate)
        {
            try
            {
                action();
            }
            finally
            {
                if (_deferred.Count > 0)
                {
                    todo = [.. _deferred];
                    _deferred.Clear();
                }
            }
        }

        if (todo is not null)
        {
            foreach (Action a in todo)
            {
                try
                {
                    a();
                }
                catch (Exception e)
                {
                    SipLog.TransactionUserFailed(_logger, e);
                }
            }
        }
    }

    internal void Defer(Action action) => _deferred.Add(action);

    internal void Send(SipTransaction owner, SipMessage message, SipTransportAddress destination)
    {
        ValueTask sent;
        try
        {
            sent = _sender.SendAsync(message, destination, CancellationToken.None);
        }
        catch (Exception e)
        {
            SipLog.SendFailed(_logger, e, destination.ToString());
            owner.OnTransportError(e);
            return;
        }

        if (!sent.IsCompletedSuccessfully)
        {
            _ = ObserveAsync(sent, owner, destination);
        }
    }

    private async Task ObserveAsync(ValueTask sent, SipTransaction owner, SipTransportAddress destination)
    {
        try
        {
            await sent.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            SipLog.SendFailed(_logger, e, destination.ToString());
            Run(() => owner.OnTransportError(e));
        }
    }

    internal void Remove(SipTransaction tx)
    {
        if (tx is SipClientTransaction client)
        {
            _clients.Remove(client.Key);
            _pendingCancels.Remove(client);
        }
        else
        {
            if (_servers.TryGetValue(tx.Key, out SipServerTransaction? s) && ReferenceEquals(s, tx))
            {
                _servers.Remove(tx.Key);
            }

            if (tx is InviteServerTransaction ist)
            {
                string key = AckKey(ist.Request);
                if (_awaiting2xxAck.TryGetValue(key, out InviteServerTransaction? pending) && ReferenceEquals(pending, ist))
                {
                    _awaiting2xxAck.Remove(key);
                }
            }
        }
    }

    internal void Track2xx(InviteServerTransaction ist) => _awaiting2xxAck[AckKey(ist.Request)] = ist;

    internal void SendDeferredCancel(InviteClientTransaction ict)
    {
        if (_pendingCancels.Remove(ict, out SipRequest? cancel))
        {
            // Started after the lock is released: SendRequest takes the lock itself.
            Defer(() => SendRequest(cancel, ict.Destination));
        }
    }

    // ---- matching ----

    private void OnResponse(SipResponse response, SipTransportAddress source)
    {
        ViaValue? via = response.Headers.TopVia;
        CSeqValue? cseq = response.Headers.CSeq;
        if (via?.Branch is not { } branch || cseq is null)
        {
            SipLog.ResponseWithoutVia(_logger, source.ToString());
            return;
        }

        bool matched = false;
        Run(() =>
        {
            // §17.1.3: branch of the top Via and the CSeq method.
            if (_clients.TryGetValue(ClientKey(branch, cseq.MethodName), out SipClientTransaction? tx))
            {
                matched = true;
                tx.OnResponse(response);
            }
        });

        if (!matched)
        {
            if (UnmatchedResponse is { } handler)
            {
                handler(response, source);
            }
            else
            {
                SipLog.UnmatchedResponse(_logger, response.StatusCode, source.ToString());
            }
        }
    }

    private void OnRequest(SipRequest request, SipTransportAddress source)
    {
        string? key = ServerKey(request, request.Method == SipMethod.Ack ? "INVITE" : request.MethodName);
        if (key is null)
        {
            return;
        }

        SipServerTransaction? created = null;
        bool ackUnmatched = false;
        Run(() =>
        {
            if (_disposed)
            {
                return;
            }

            if (_servers.TryGetValue(key, out SipServerTransaction? existing))
            {
                // A retransmission, or the ACK for a non-2xx (same branch as the INVITE, §17.2.3).
                existing.OnRequest(request);
                return;
            }

            if (request.Method == SipMethod.Ack)
            {
                // §13.3.1.4: the ACK for a 2xx has its own branch; match it on Call-ID and CSeq number.
                if (_awaiting2xxAck.TryGetValue(AckKey(request), out InviteServerTransaction? ist))
                {
                    ist.On2xxAck(request);
                    _awaiting2xxAck.Remove(AckKey(request));
                }
                else
                {
                    ackUnmatched = true;
                }

                return;
            }

            SipTransportAddress destination = SipResponseRouting.GetResponseDestination(request, source);
            if (request.Method == SipMethod.Cancel)
            {
                var cancelTx = new NonInviteServerTransaction(this, request, key, source, destination);
                _servers.Add(key, cancelTx);
                // §9.2: the CANCEL matches the INVITE transaction with the same key but method INVITE.
                string? inviteKey = ServerKey(request, "INVITE");
                if (inviteKey is not null && _servers.TryGetValue(inviteKey, out SipServerTransaction? target) && target is InviteServerTransaction invite)
                {
                    cancelTx.OnTuResponse(SipMessageBuilder.ResponseTo(request, 200, toTag: invite.LastResponse?.Headers.To?.Tag).BuildResponse());
                    invite.OnCancel();
                }
                else
                {
                    cancelTx.OnTuResponse(SipMessageBuilder.ResponseTo(request, 481).BuildResponse());
                }

                return;
            }

            if (request.Method == SipMethod.Invite)
            {
                var ist = new InviteServerTransaction(this, request, key, source, destination);
                _servers.Add(key, ist);
                ist.Begin();
                created = ist;
            }
            else
            {
                var nist = new NonInviteServerTransaction(this, request, key, source, destination);
                _servers.Add(key, nist);
                created = nist;
            }
        });

        if (ackUnmatched)
        {
            UnmatchedAck?.Invoke(request, source);
        }

        if (created is not null)
        {
            if (RequestReceived is { } handler)
            {
                handler(created);
            }
            else
            {
                // Nobody above: RFC 3261 §8.2.1 would answer 405; with no TU at all, 501 says it best.
                created.Respond(SipMessageBuilder.ResponseTo(request, 501).BuildResponse());
            }
        }
    }

    private static string ClientKey(string branch, string method) => branch + "|" + method;

    /// <summary>§17.2.3: with an RFC 3261 branch, branch + sent-by + method (ACK matches INVITE); otherwise the RFC 2543
    /// rule: Request-URI, From tag, Call-ID, CSeq number, top Via and method (To tag too, except for INVITE/ACK whose
    /// To tag comes from our response).</summary>
    private static string? ServerKey(SipRequest request, string method)
    {
        ViaValue? via = request.Headers.TopVia;
        if (via is null)
        {
            return null;
        }

        if (via.IsRfc3261Branch)
        {
            return "3261|" + via.Branch + "|" + via.SentBy.ToLowerInvariant() + "|" + method;
        }

        CSeqValue? cseq = request.Headers.CSeq;
        string toTag = method is "INVITE" ? string.Empty : request.Headers.To?.Tag ?? string.Empty;
        return "2543|" + request.RawRequestUriText() + "|" + (request.Headers.From?.Tag ?? string.Empty) + "|" + toTag + "|"
            + request.Headers.CallId + "|" + cseq?.Number.ToString(CultureInfo.InvariantCulture) + "|" + via + "|" + method;
    }

    /// <summary>Pairs an ACK for a 2xx with its INVITE: Call-ID, CSeq number and From tag (§13.3.1.4, §12.2.1.1).</summary>
    private static string AckKey(SipRequest request) =>
        request.Headers.CallId + "|" + request.Headers.CSeq?.Number.ToString(CultureInfo.InvariantCulture) + "|" + request.Headers.From?.Tag;
}

internal static class SipRequestTextExtensions
{
    public static string RawRequestUriText(this SipRequest request) => System.Text.Encoding.UTF8.GetString(request.RawRequestUri);
}
