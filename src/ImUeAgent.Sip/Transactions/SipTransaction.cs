// SPDX-License-Identifier: MIT
using ImUeAgent.Sip.Message;
using ImUeAgent.Sip.Transport;

namespace ImUeAgent.Sip.Transactions;

/// <summary>Why a client transaction ended without a final response (RFC 3261 §17.1.1.2, §17.1.4).</summary>
public enum SipTransactionError : byte
{
    /// <summary>Timer B or F fired: the TU treats it as 408 (RFC 3261 §8.1.3.1).</summary>
    Timeout,
    /// <summary>The transport reported a failure (RFC 3261 §17.1.4): the TU treats it as 503.</summary>
    TransportError,
    /// <summary>The transaction layer was disposed.</summary>
    Shutdown,
}

/// <summary>A client transaction ended without a final response.</summary>
public sealed class SipTransactionException : Exception
{
    public SipTransactionException(SipTransactionError error, string message, Exception? inner = null)
        : base(message, inner) => Error = error;

    public SipTransactionException()
        : this(SipTransactionError.Timeout, "SIP transaction failed")
    {
    }

    public SipTransactionException(string message)
        : this(SipTransactionError.Timeout, message)
    {
    }

    public SipTransactionException(string message, Exception innerException)
        : this(SipTransactionError.TransportError, message, innerException)
    {
    }

    public SipTransactionError Error { get; }

    /// <summary>The status a UAC reports for this failure (RFC 3261 §8.1.3.1: 408 for a timeout, 503 for transport).</summary>
    public int EquivalentStatusCode => Error == SipTransactionError.Timeout ? 408 : 503;
}

/// <summary>Names of the RFC 3261 §17 / RFC 6026 timers, plus the UAS core's 2xx retransmission (§13.3.1.4).</summary>
internal enum SipTimerName : byte
{
    A,
    B,
    D,
    E,
    F,
    G,
    H,
    I,
    J,
    K,
    L,
    M,
    /// <summary>RFC 3261 §13.3.1.4: the 2xx to INVITE is retransmitted (T1 doubling to T2) until the ACK comes.</summary>
    Retransmit2xx,
}

/// <summary>One running timer of a transaction. A callback whose timer was replaced or stopped is ignored (the owner
/// checks identity under the layer lock), so a real timer racing with a stop does no harm.</summary>
internal sealed class TransactionTimer
{
    public TransactionTimer(SipTimerName name) => Name = name;

    public SipTimerName Name { get; }

    public ITimer? Timer { get; set; }
}

/// <summary>What every transaction shares: its layer, request, timers and termination.</summary>
public abstract class SipTransaction
{
    private readonly TransactionTimer?[] _timers = new TransactionTimer?[(int)SipTimerName.Retransmit2xx + 1];

    private protected SipTransaction(SipTransactionLayer layer, SipRequest request, string key)
    {
        Layer = layer;
        Request = request;
        Key = key;
    }

    /// <summary>The request that created the transaction.</summary>
    public SipRequest Request { get; }

    /// <summary>True once the transaction reached Terminated.</summary>
    public abstract bool IsTerminated { get; }

    internal string Key { get; }

    internal SipTransactionLayer Layer { get; }

    private protected SipTimerSettings Timers => Layer.Timers;

    /// <summary>Starts (or restarts) a timer; fires <see cref="OnTimer"/> under the layer lock.</summary>
    private protected void Start(SipTimerName name, TimeSpan interval)
    {
        Stop(name);
        var slot = new TransactionTimer(name);
        _timers[(int)name] = slot;
        slot.Timer = Layer.Time.CreateTimer(static s => ((TimerState)s!).Fire(), new TimerState(this, slot), interval, Timeout.InfiniteTimeSpan);
    }

    private protected void Stop(SipTimerName name)
    {
        TransactionTimer? slot = _timers[(int)name];
        if (slot is not null)
        {
            _timers[(int)name] = null;
            slot.Timer?.Dispose();
        }
    }

    private protected void StopAll()
    {
        for (int i = 0; i < _timers.Length; i++)
        {
            Stop((SipTimerName)i);
        }
    }

    /// <summary>A timer fired (under the layer lock).</summary>
    private protected abstract void OnTimer(SipTimerName name);

    /// <summary>The transport failed to send (under the layer lock).</summary>
    internal abstract void OnTransportError(Exception error);

    /// <summary>The layer shuts down (under the layer lock).</summary>
    internal abstract void Abort();

    private protected void Send(SipMessage message, SipTransportAddress destination) => Layer.Send(this, message, destination);

    private sealed class TimerState(SipTransaction owner, TransactionTimer slot)
    {
        public void Fire() => owner.Layer.Run(() =>
        {
            if (ReferenceEquals(owner._timers[(int)slot.Name], slot))
            {
                owner._timers[(int)slot.Name] = null;
                slot.Timer?.Dispose();
                owner.OnTimer(slot.Name);
            }
        });
    }
}
