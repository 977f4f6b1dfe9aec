// SPDX-License-Identifier: MIT
using ImUeAgent.Sip.Message;
using ImUeAgent.Sip.Transport;

namespace ImUeAgent.Sip.Transactions;

/// <summary>A client transaction (RFC 3261 §17.1): sends a request, retransmits it on unreliable transports, and
/// reports responses. <see cref="FinalResponse"/> completes with the first final response, or faults with a
/// <see cref="SipTransactionException"/> on timeout or transport error; every response (provisional, final, and for
/// INVITE the further 2xx of a forked request, RFC 6026 §7.2) also goes to the handler given at creation, outside any
/// lock and in arrival order.</summary>
public abstract class SipClientTransaction : SipTransaction
{
    private readonly TaskCompletionSource<SipResponse> _final = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action<SipResponse>? _onResponse;

    private protected SipClientTransaction(SipTransactionLayer layer, SipRequest request, string key, SipTransportAddress destination, Action<SipResponse>? onResponse)
        : base(layer, request, key)
    {
        Destination = destination;
        _onResponse = onResponse;
        Branch = request.Headers.TopVia?.Branch ?? throw new ArgumentException("The request needs a Via with a branch", nameof(request));
    }

    /// <summary>Where the request goes (next hop).</summary>
    public SipTransportAddress Destination { get; }

    /// <summary>The branch of the top Via: with the CSeq method, the transaction's identity (§17.1.3).</summary>
    public string Branch { get; }

    public Task<SipResponse> FinalResponse => _final.Task;

    /// <summary>True once a provisional response arrived (a CANCEL may then be sent, RFC 3261 §9.1).</summary>
    public bool HasProvisional { get; private protected set; }

    internal abstract void Begin();

    internal abstract void OnResponse(SipResponse response);

    private protected void Report(SipResponse response)
    {
        if (_onResponse is { } handler)
        {
            Layer.Defer(() => handler(response));
        }

        if (!response.IsProvisional)
        {
            Layer.Defer(() => _final.TrySetResult(response));
        }
    }

    /// <summary>Still before a final response: a transport error then fails the request (RFC 3261 §17.1.4).</summary>
    private protected abstract bool AwaitsFinalResponse { get; }

    /// <summary>Moves the subclass's own state machine to Terminated.</summary>
    private protected abstract void EnterTerminated();

    internal override void OnTransportError(Exception error)
    {
        if (AwaitsFinalResponse)
        {
            Fail(SipTransactionError.TransportError, error);
            Terminate();
        }
    }

    internal override void Abort()
    {
        if (!IsTerminated)
        {
            Fail(SipTransactionError.Shutdown);
            Terminate();
        }
    }

    private protected void Terminate()
    {
        StopAll();
        EnterTerminated();
        Layer.Remove(this);
    }

    private protected void Fail(SipTransactionError error, Exception? inner = null)
    {
        string what = error switch
        {
            SipTransactionError.Timeout => "No final response before Timer " + (Request.Method == SipMethod.Invite ? "B" : "F"),
            SipTransactionError.TransportError => "Transport error sending to " + Destination,
            _ => "Transaction layer shut down",
        };
        var exception = new SipTransactionException(error, what + " (" + Request + ")", inner);
        Layer.Defer(() => _final.TrySetException(exception));
    }
}

/// <summary>INVITE client transaction: RFC 3261 §17.1.1 (Figure 5) with RFC 6026 §7.2 (Accepted state, Timer M).</summary>
internal sealed class InviteClientTransaction : SipClientTransaction
{
    private SipRequest? _ack;
    private bool _cancelWanted;
    private TimeSpan _timerA;

    public InviteClientTransaction(SipTransactionLayer layer, SipRequest request, string key, SipTransportAddress destination, Action<SipResponse>? onResponse)
        : base(layer, request, key, destination, onResponse)
    {
    }

    public enum States : byte
    {
        Calling,
        Proceeding,
        Completed,
        Accepted,
        Terminated,
    }

    public States State { get; private set; } = States.Calling;

    public override bool IsTerminated => State == States.Terminated;

    /// <summary>The ACK this transaction generated for a 3xx–6xx (RFC 3261 §17.1.1.3), once sent.</summary>
    public SipRequest? Ack => _ack;

    internal override void Begin()
    {
        Send(Request, Destination);
        if (!Destination.IsReliable)
        {
            // §17.1.1.2: Timer A starts at T1 on unreliable transports only.
            _timerA = Timers.T1;
            Start(SipTimerName.A, _timerA);
        }

        Start(SipTimerName.B, Timers.TransactionTimeout);
    }

    /// <summary>The TU wants to cancel: the CANCEL goes once a provisional response has arrived (§9.1).</summary>
    internal bool RequestCancel()
    {
        if (State is States.Proceeding)
        {
            return true;
        }

        if (State is States.Calling)
        {
            _cancelWanted = true;
        }

        return false;
    }

    internal override void OnResponse(SipResponse response)
    {
        int status = response.StatusCode;
        switch (State)
        {
            case States.Calling or States.Proceeding when status < 200:
                Stop(SipTimerName.A);
                // Timer B guards the Calling state only (§17.1.1.2); in Proceeding the TU decides (CANCEL).
                Stop(SipTimerName.B);
                bool first = State == States.Calling;
                State = States.Proceeding;
                HasProvisional = true;
                Report(response);
                if (first && _cancelWanted)
                {
                    _cancelWanted = false;
                    Layer.SendDeferredCancel(this);
                }

                break;
            case States.Calling or States.Proceeding when status < 300:
                // RFC 6026 §7.2: Accepted absorbs nothing but passes every 2xx to the TU, which ACKs them.
                Stop(SipTimerName.A);
                Stop(SipTimerName.B);
                State = States.Accepted;
                Start(SipTimerName.M, Timers.TransactionTimeout);
                Report(response);
                break;
            case States.Calling or States.Proceeding:
                Stop(SipTimerName.A);
                Stop(SipTimerName.B);
                _ack = SipTransactionLayer.BuildAckForFailure(Request, response);
                Send(_ack, Destination);
                Report(response);
                if (Destination.IsReliable)
                {
                    // Timer D is zero on reliable transports.
                    Terminate();
                }
                else
                {
                    State = States.Completed;
                    Start(SipTimerName.D, Timers.TimerD);
                }

                break;
            case States.Completed when status >= 300:
                // §17.1.1.2: a retransmitted final response is answered with the same ACK, not passed up.
                Send(_ack!, Destination);
                break;
            case States.Accepted when status is >= 200 and < 300:
                Report(response);
                break;
            default:
                break;
        }
    }

    private protected override void OnTimer(SipTimerName name)
    {
        switch (State, name)
        {
            case (States.Calling, SipTimerName.A):
                // §17.1.1.2: retransmit and double Timer A (no cap for INVITE).
                Send(Request, Destination);
                _timerA *= 2;
                Start(SipTimerName.A, _timerA);
                break;
            case (States.Calling, SipTimerName.B):
                Fail(SipTransactionError.Timeout);
                Terminate();
                break;
            case (States.Completed, SipTimerName.D):
            case (States.Accepted, SipTimerName.M):
                Terminate();
                break;
            default:
                break;
        }
    }

    private protected override bool AwaitsFinalResponse => State is States.Calling or States.Proceeding;

    private protected override void EnterTerminated() => State = States.Terminated;
}

/// <summary>Non-INVITE client transaction: RFC 3261 §17.1.2 (Figure 6).</summary>
internal sealed class NonInviteClientTransaction : SipClientTransaction
{
    private TimeSpan _timerE;

    public NonInviteClientTransaction(SipTransactionLayer layer, SipRequest request, string key, SipTransportAddress destination, Action<SipResponse>? onResponse)
        : base(layer, request, key, destination, onResponse)
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

    internal override void Begin()
    {
        Send(Request, Destination);
        if (!Destination.IsReliable)
        {
            _timerE = Timers.T1;
            Start(SipTimerName.E, _timerE);
        }

        Start(SipTimerName.F, Timers.TransactionTimeout);
    }

    internal override void OnResponse(SipResponse response)
    {
        switch (State)
        {
            case States.Trying or States.Proceeding when response.IsProvisional:
                State = States.Proceeding;
                HasProvisional = true;
                Report(response);
                break;
            case States.Trying or States.Proceeding:
                Stop(SipTimerName.E);
                Stop(SipTimerName.F);
                Report(response);
                if (Destination.IsReliable)
                {
                    // Timer K is zero on reliable transports.
                    Terminate();
                }
                else
                {
                    State = States.Completed;
                    Start(SipTimerName.K, Timers.T4);
                }

                break;
            default:
                // Completed: response retransmissions are absorbed.
                break;
        }
    }

    private protected override void OnTimer(SipTimerName name)
    {
        switch (State, name)
        {
            case (States.Trying, SipTimerName.E):
                // §17.1.2.2: Timer E doubles up to T2.
                Send(Request, Destination);
                _timerE = _timerE * 2 < Timers.T2 ? _timerE * 2 : Timers.T2;
                Start(SipTimerName.E, _timerE);
                break;
            case (States.Proceeding, SipTimerName.E):
                // §17.1.2.2: in Proceeding, Timer E is reset to T2.
                Send(Request, Destination);
                _timerE = Timers.T2;
                Start(SipTimerName.E, _timerE);
                break;
            case (States.Trying or States.Proceeding, SipTimerName.F):
                Fail(SipTransactionError.Timeout);
                Terminate();
                break;
            case (States.Completed, SipTimerName.K):
                Terminate();
                break;
            default:
                break;
        }
    }

    private protected override bool AwaitsFinalResponse => State is States.Trying or States.Proceeding;

    private protected override void EnterTerminated() => State = States.Terminated;
}
