// SPDX-License-Identifier: MIT
namespace ImUeAgent.Im.Store;

/// <summary>What happened to an outgoing message.</summary>
internal enum OutboxTrigger
{
    /// <summary>The sender loop took it (local).</summary>
    Claim,

    /// <summary>The network accepted it: SIP 2xx, MSRP 200 for the last chunk (local).</summary>
    Sent,

    /// <summary>A transient failure; try again at the stored time (local).</summary>
    RetryScheduled,

    /// <summary>A permanent failure decided by the sender (local).</summary>
    Failed,

    /// <summary>The store opened and found it claimed by a daemon that died.</summary>
    RecoveredAfterCrash,

    /// <summary>IMDN "delivered" (network).</summary>
    Delivered,

    /// <summary>IMDN "displayed" (network).</summary>
    Displayed,

    /// <summary>IMDN "failed", "forbidden" or "error" (network).</summary>
    NegativeDelivery,
}

/// <summary>How a trigger applies to the current state.</summary>
internal enum OutboxTransitionKind
{
    /// <summary>The state changes to the given one.</summary>
    Applied,

    /// <summary>Allowed, but the message is already further along (or it repeats); the state stays.</summary>
    Ignored,

    /// <summary>A local caller asked for something the state does not allow: a bug in the caller.</summary>
    Invalid,
}

/// <summary>
/// The outbox state machine as one explicit table: queued → sending → sent → delivered → displayed, failed from the
/// early states. Network events (IMDNs) are never Invalid, because the network may send anything at any time; they
/// are Ignored when the message is already further. An IMDN may overtake the 2xx (the far end answered before the
/// final response was processed) or arrive for a message re-queued after a crash: both advance the state, so a
/// message known to be delivered is never resent.
/// </summary>
internal static class OutboxStateMachine
{
    public static (OutboxTransitionKind Kind, OutboxState Next) Apply(OutboxState state, OutboxTrigger trigger) =>
        (trigger, state) switch
        {
            (OutboxTrigger.Claim, OutboxState.Queued) => Applied(OutboxState.Sending),

            (OutboxTrigger.Sent, OutboxState.Sending) => Applied(OutboxState.Sent),
            (OutboxTrigger.Sent, OutboxState.Sent or OutboxState.Delivered or OutboxState.Displayed or OutboxState.Failed) => Ignored(state),

            (OutboxTrigger.RetryScheduled, OutboxState.Sending) => Applied(OutboxState.Queued),
            (OutboxTrigger.RetryScheduled, OutboxState.Delivered or OutboxState.Displayed or OutboxState.Failed) => Ignored(state),

            (OutboxTrigger.Failed, OutboxState.Queued or OutboxState.Sending) => Applied(OutboxState.Failed),
            (OutboxTrigger.Failed, OutboxState.Delivered or OutboxState.Displayed or OutboxState.Failed) => Ignored(state),

            (OutboxTrigger.RecoveredAfterCrash, OutboxState.Sending) => Applied(OutboxState.Queued),

            (OutboxTrigger.Delivered, OutboxState.Queued or OutboxState.Sending or OutboxState.Sent) => Applied(OutboxState.Delivered),
            (OutboxTrigger.Delivered, _) => Ignored(state),

            (OutboxTrigger.Displayed, OutboxState.Queued or OutboxState.Sending or OutboxState.Sent or OutboxState.Delivered) => Applied(OutboxState.Displayed),
            (OutboxTrigger.Displayed, _) => Ignored(state),

            (OutboxTrigger.NegativeDelivery, OutboxState.Queued or OutboxState.Sending or OutboxState.Sent) => Applied(OutboxState.Failed),
            (OutboxTrigger.NegativeDelivery, _) => Ignored(state),

            _ => (OutboxTransitionKind.Invalid, state),
        };

    private static (OutboxTransitionKind, OutboxState) Applied(OutboxState next) => (OutboxTransitionKind.Applied, next);

    private static (OutboxTransitionKind, OutboxState) Ignored(OutboxState state) => (OutboxTransitionKind.Ignored, state);
}
