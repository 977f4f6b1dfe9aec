// SPDX-License-Identifier: MIT
using ImUeAgent.Sip.Message;
using ImUeAgent.Sip.Transport;

namespace ImUeAgent.Sip.Transactions;

/// <summary>A server transaction (RFC 3261 §17.2): absorbs request retransmissions, retransmits the last response
/// where the rules say so. The TU answers with <see cref="Respond"/> (thread-safe).</summary>
public abstract class SipServerTransaction : SipTransaction
{
    private protected SipServerTransaction(SipTransactionLayer layer, SipRequest request, string key, SipTransportAddress source, SipTransportAddress responseDestination)
        : base(layer, request, key)
    {
        Source = source;
        ResponseDestination = responseDestination;
    }

    /// <summary>Where the request came from (transport and endpoint).</summary>
    public SipTransportAddress Source { get; }

    /// <summary>Where responses go (RFC 3261 §18.2.2, RFC 3581).</summary>
    public SipTransportAddress ResponseDestination { get; }

    /// <summary>The last response sent, if any.</summary>
    public SipResponse? LastResponse { get; private protected set; }

    /// <summary>Sends a response through the state machine. Responses after the final one are ignored (except further
    /// 2xx to INVITE, which the UAS core may send itself).</summary>
    public void Respond(SipResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        Layer.Run(() => OnTuResponse(response));
    }

    internal abstract void OnTuResponse(SipResponse response);

    /// <summary>A retransmission of the request (or, for INVITE, an ACK for a non-2xx) arrived.</summary>
    internal abstract void OnRequest(SipRequest request);
}

/// <summary>INVITE server transaction: RFC 3261 §17.2.1 (Figure 7) with RFC 6026 §7.1 (Accepted state, Timer L). The
/// transaction also carries out the UAS core's 2xx retransmission (§13.3.1.4: T1 doubling to T2 until the ACK,
/// giving up after 64*T1), since it owns the timers; the ACK for a 2xx has its own branch and is matched by the layer
/// on Call-ID and CSeq (§13.3.1.4).</summary>
#pragma warning disable CA1001 // The CancellationTokenSource has no timer (nothing to release) and its token must stay usable after the transaction ends.
public sealed class InviteServerTransaction : SipServerTransaction
#pragma warning restore CA1001
{
    private readonly CancellationTokenSource _cancelled = new();
    private readonly TaskCompletionSource<SipRequest?> _ack = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TimeSpan _timerG;
    private TimeSpan _retransmit2xx;

    internal InviteServerTransaction(SipTransactionLayer layer, SipRequest request, string key, SipTransportAddress source, SipTransportAddress responseDestination)
        : base(layer, request, key, source, responseDestination)
    {
    }

    public enum States : byte
    {
        Proceeding,
        Completed,
        Confirmed,
        Accepted,
        Terminated,
    }

    public States State { get; private set; } = States.Proceeding;

    public override bool IsTerminated => State == States.Terminated;

    /// <summary>Signalled when a matching CANCEL arrived while no final response was sent (RFC 3261 §9.2): the TU
    /// should answer 487. The layer already answered the CANCEL with 200.</summary>
    public CancellationToken Cancelled => _cancelled.Token;

    /// <summary>Completes with the ACK for a 2xx (or for a 3xx–6xx), or null when none came before Timer L / H
    /// (§13.3.1.4: the session should then be ended with BYE).</summary>
    public Task<SipRequest?> Acknowledged => _ack.Task;

    internal void Begin()
    {
        // §17.2.1: a 100 Trying unless the TU answers within 200 ms; sent at once, which also quenches
        // retransmissions of the INVITE over UDP.
        SipResponse trying = SipMessageBuilder.ResponseTo(Request, 100).BuildResponse();
        LastResponse = trying;
        Send(trying, ResponseDestination);
    }

    internal bool CanBeCancelled => State == States.Proceeding;

    internal void OnCancel()
    {
        if (State == States.Proceeding)
        {
            Layer.Defer(() => _cancelled.Cancel());
        }
    }

    internal override void OnRequest(SipRequest request)
    {
        if (request.Method == SipMethod.Ack)
        {
            if (State == States.Completed)
            {
                // §17.2.1: ACK for the non-2xx final response.
                Stop(SipTimerName.G);
                Stop(SipTimerName.H);
                Layer.Defer(() => _ack.TrySetResult(request));
                if (ResponseDestination.IsReliable)
                {
                    Terminate();
                }
                else
                {
                    State = States.Confirmed;
                    Start(SipTimerName.I, Timers.T4);
                }
            }

            return;
        }

        // A retransmitted INVITE: re-send the last provisional (Proceeding) or final (Completed) response.
        if (State is States.Proceeding or States.Completed && LastResponse is not null)
        {
            Send(LastResponse, ResponseDestination);
        }
    }

    /// <summary>The ACK for our 2xx arrived (matched by the layer on Call-ID/CSeq).</summary>
    internal void On2xxAck(SipRequest ack)
    {
        if (State == States.Accepted)
        {
            Stop(SipTimerName.Retransmit2xx);
            Layer.Defer(() => _ack.TrySetResult(ack));
        }
    }

    internal bool Awaiting2xxAck => State == States.Accepted && !_ack.Task.IsCompleted;

    internal override void OnTuResponse(SipResponse response)
    {
        int status = response.StatusCode;
        switch (State)
        {
            case States.Proceeding when status < 200:
                LastResponse = response;
                Send(response, ResponseDestination);
                break;
            case States.Proceeding when status < 300:
                LastResponse = response;
                Send(response, ResponseDestination);
                State = States.Accepted;
                Start(SipTimerName.L, Timers.TransactionTimeout);
                _retransmit2xx = Timers.T1;
                Start(SipTimerName.Retransmit2xx, _retransmit2xx);
                Layer.Track2xx(this);
                break;
            case States.Proceeding:
                LastResponse = response;
                Send(response, ResponseDestination);
                State = States.Completed;
                if (!ResponseDestination.IsReliable)
                {
                    _timerG = Timers.T1;
                    Start(SipTimerName.G, _timerG);
                }

                Start(SipTimerName.H, Timers.TransactionTimeout);
                break;
            case States.Accepted when status is >= 200 and < 300:
                // RFC 6026 §7.1: the TU may send further 2xx (retransmissions) through the Accepted state.
                Send(response, ResponseDestination);
                break;
            default:
                break;
        }
    }

    private protected override void OnTimer(SipTimerName name)
    {
        switch (State, name)
        {
            case (States.Completed, SipTimerName.G):
                // §17.2.1: Timer G doubles up to T2.
                Send(LastResponse!, ResponseDestination);
                _timerG = _timerG * 2 < Timers.T2 ? _timerG * 2 : Timers.T2;
                Start(SipTimerName.G, _timerG);
                break;
            case (States.Completed, SipTimerName.H):
                // No ACK: the TU learns it through a null Acknowledged.
                Layer.Defer(() => _ack.TrySetResult(null));
                Terminate();
                break;
            case (States.Confirmed, SipTimerName.I):
                Terminate();
                break;
            case (States.Accepted, SipTimerName.Retransmit2xx):
                Send(LastResponse!, ResponseDestination);
                _retransmit2xx = _retransmit2xx * 2 < Timers.T2 ? _retransmit2xx * 2 : Timers.T2;
                Start(SipTimerName.Retransmit2xx, _retransmit2xx);
                break;
            case (States.Accepted, SipTimerName.L):
                Layer.Defer(() => _ack.TrySetResult(null));
                Terminate();
                break;
            default:
                break;
        }
    }

    internal override void OnTransportError(Exception error)
    {
        // §17.2.4: the TU is told; nothing more can be delivered.
        if (State != States.Terminated)
        {
            Layer.Defer(() => _ack.TrySetResult(null));
            Terminate();
        }
    }

    internal override void Abort()
    {
        if (State != States.Terminated)
        {
            Layer.Defer(() => _ack.TrySetResult(null));
            Terminate();
        }
    }

    private void Terminate()
    {
        StopAll();
        State = States.Terminated;
        Layer.Remove(this);
    }
}

/// <summary>Non-INVITE server transaction: RFC 3261 §17.2.2 (Figure 8).</summary>
public sealed class NonInviteServerTransaction : SipServerTransaction
{
    internal NonInviteServerTransaction(SipTransactionLayer layer, SipRequest request, string key, SipTransportAddress source, SipTransportAddress responseDestination)
        : base(layer, request, key, source, responseDestination)
    {
    }

    public enum States : byte
    {
        Trying,
        Proceeding,
        Completed,
        Terminated,
    }

    public States State { get; private set; } = States.Trying;

    public override bool IsTerminated => State == States.Terminated;

    internal override void OnRequest(SipRequest request)
    {
        // Trying: absorbed; Proceeding: last provisional again; Completed: the final response again.
        if (State is States.Proceeding or States.Completed && LastResponse is not null)
        {
            Send(LastResponse, ResponseDestination);
        }
    }

    internal override void OnTuResponse(SipResponse response)
    {
        if (State is not (States.Trying or States.Proceeding))
        {
            return;
        }

        LastResponse = response;
        Send(response, ResponseDestination);
        if (response.IsProvisional)
        {
            State = States.Proceeding;
            return;
        }

        if (ResponseDestination.IsReliable)
        {
            // Timer J is zero on reliable transports.
            Terminate();
        }
        else
        {
            State = States.Completed;
            Start(SipTimerName.J, Timers.TransactionTimeout);
        }
    }

    private protected override void OnTimer(SipTimerName name)
    {
        if (State == States.Completed && name == SipTimerName.J)
        {
            Terminate();
        }
    }

    internal override void OnTransportError(Exception error) => Terminate();

    internal override void Abort() => Terminate();

    private void Terminate()
    {
        if (State == States.Terminated)
        {
            return;
        }

        StopAll();
        State = States.Terminated;
        Layer.Remove(this);
    }
}
