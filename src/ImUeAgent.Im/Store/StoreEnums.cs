// SPDX-License-Identifier: MIT
namespace ImUeAgent.Im.Store;

/// <summary>How a received message reached the client. Values are persisted: never renumber.</summary>
public enum MessageSource
{
    /// <summary>SIP MESSAGE (OMA SIMPLE IM §8, pager mode).</summary>
    Pager = 0,

    /// <summary>MSRP SEND in a Large Message Mode session (§9).</summary>
    LargeMessage = 1,

    /// <summary>MSRP SEND in an IM session (§7).</summary>
    Session = 2,

    /// <summary>One stored message pushed by the IM Server over MSRP (Appendix D.2).</summary>
    DeferredPush = 3,
}

/// <summary>Direction of an inbox row. Values are persisted: never renumber.</summary>
public enum MessageDirection
{
    /// <summary>Sent to this user.</summary>
    Incoming = 0,

    /// <summary>Sent by this user (e.g. a deferred copy of the user's own message in a group conversation).</summary>
    Outgoing = 1,
}

/// <summary>
/// IMDN dispositions (RFC 5438 §7.2.1.1 Disposition-Notification: positive-delivery, negative-delivery, display,
/// processing). Used both for what a sender requested and for what this client has sent back. Persisted as bits.
/// </summary>
[Flags]
public enum ImdnDispositions
{
    None = 0,
    PositiveDelivery = 1,
    NegativeDelivery = 2,
    Display = 4,
    Processing = 8,
}

/// <summary>The application's hint for how to send. Values are persisted: never renumber.</summary>
public enum DeliveryModeHint
{
    /// <summary>Let the IM layer decide (pager below 1300 bytes, OMA SIMPLE IM §8.1; Large Message Mode otherwise).</summary>
    Auto = 0,
    Pager = 1,
    LargeMessage = 2,
    Session = 3,
}

/// <summary>
/// State of an outgoing message. Values are persisted: never renumber. Transitions are in
/// <see cref="OutboxStateMachine"/>.
/// </summary>
public enum OutboxState
{
    /// <summary>Committed, waiting for its next attempt time (and for registration).</summary>
    Queued = 0,

    /// <summary>Claimed by the sender loop. Back to <see cref="Queued"/> on the next open if the daemon died.</summary>
    Sending = 1,

    /// <summary>The network accepted it (SIP 2xx to MESSAGE, MSRP 200 to the last chunk).</summary>
    Sent = 2,

    /// <summary>An IMDN "delivered" came back (RFC 5438 §7.2.1.1).</summary>
    Delivered = 3,

    /// <summary>An IMDN "displayed" came back.</summary>
    Displayed = 4,

    /// <summary>Final failure; <see cref="OutboxFailureReason"/> says why.</summary>
    Failed = 5,
}

/// <summary>Why an outgoing message failed. Values are persisted: never renumber.</summary>
public enum OutboxFailureReason
{
    None = 0,

    /// <summary>A final error response (SIP 4xx-6xx or an MSRP error); the status code is kept beside it.</summary>
    Rejected = 1,

    /// <summary>The sender gave up after its retry budget.</summary>
    AttemptsExhausted = 2,

    /// <summary>The message was too old to send any more.</summary>
    Expired = 3,

    /// <summary>IMDN delivery-notification "failed".</summary>
    DeliveryFailed = 4,

    /// <summary>IMDN delivery-notification "forbidden".</summary>
    DeliveryForbidden = 5,

    /// <summary>IMDN delivery-notification "error".</summary>
    DeliveryError = 6,

    /// <summary>The application withdrew it before it was sent.</summary>
    Cancelled = 7,

    /// <summary>Bigger than any mode allows (MSRP 413, or over the server's max-size).</summary>
    TooLarge = 8,
}

/// <summary>An IMDN received for one of our outgoing messages (RFC 5438 §7.2.1.1).</summary>
public enum OutboxDisposition
{
    Delivered = 0,
    Displayed = 1,
    DeliveryFailed = 2,
    DeliveryForbidden = 3,
    DeliveryError = 4,
}

/// <summary>Result of an application's acknowledgment of an inbox message.</summary>
public enum InboxAcknowledgeOutcome
{
    /// <summary>First acknowledgment: the message will not be offered again.</summary>
    Acknowledged,

    /// <summary>It was already acknowledged (a retried call); nothing changed.</summary>
    AlreadyAcknowledged,

    /// <summary>No such inbox message.</summary>
    NotFound,
}

/// <summary>What an inbox insert did.</summary>
public enum InboxInsertOutcome
{
    /// <summary>A new message: committed, to be offered to applications.</summary>
    Inserted,

    /// <summary>Already stored (a re-push or a retransmission): nothing new committed, not to be offered again.</summary>
    Duplicate,

    /// <summary>Already stored once, acknowledged and since purged: recognised by its kept identities, not stored again.</summary>
    DuplicateOfPurged,
}
