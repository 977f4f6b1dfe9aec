// SPDX-License-Identifier: MIT
namespace ImUeAgent.Im.Store;

/// <summary>An outgoing message accepted from an application, to commit before acknowledging it.</summary>
public sealed record NewOutboxMessage
{
    /// <summary>
    /// The application's own reference for this message (optional). An enqueue with a reference already stored
    /// returns the stored message instead of a second one, so an application that retries after losing our
    /// acknowledgment does not send twice.
    /// </summary>
    public string? ApplicationRef { get; init; }

    /// <summary>One recipient, or several for an ad-hoc group message (OMA SIMPLE IM 8.1.1 step 6).</summary>
    public required IReadOnlyList<string> Recipients { get; init; }

    /// <summary>The application's Accept-Contact feature tags, kept byte-exact (the seed: kept, never substituted).</summary>
    public IReadOnlyList<string> FeatureTags { get; init; } = [];

    public required string ContentType { get; init; }

    public ReadOnlyMemory<byte> Body { get; init; }

    public ImdnDispositions ImdnRequested { get; init; }

    public DeliveryModeHint ModeHint { get; init; }

    /// <summary>
    /// IMDN Message-ID to use; when null the store makes one (<see cref="OutboxMessageIds.Create"/>). It never changes
    /// across retries, so the far end can recognise a resend after a crash.
    /// </summary>
    public string? MessageId { get; init; }

    /// <summary>First attempt not before this time; null means now.</summary>
    public DateTimeOffset? NotBefore { get; init; }
}

/// <summary>A stored outgoing message.</summary>
public sealed record OutboxMessage
{
    public required long Id { get; init; }

    public required string MessageId { get; init; }

    public string? ApplicationRef { get; init; }

    public required IReadOnlyList<string> Recipients { get; init; }

    public required IReadOnlyList<string> FeatureTags { get; init; }

    public required string ContentType { get; init; }

    public required ReadOnlyMemory<byte> Body { get; init; }

    public ImdnDispositions ImdnRequested { get; init; }

    public DeliveryModeHint ModeHint { get; init; }

    public required OutboxState State { get; init; }

    public OutboxFailureReason FailureReason { get; init; }

    /// <summary>SIP or MSRP status code of the last failure or retry, when there was one.</summary>
    public int? StatusCode { get; init; }

    /// <summary>Attempts started (incremented when the sender loop claims it).</summary>
    public int Attempts { get; init; }

    public required DateTimeOffset NextAttemptAt { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>Result of an enqueue: the stored id and Message-ID, and whether it was new (false: same ApplicationRef).</summary>
public readonly record struct OutboxEnqueueResult(long Id, string MessageId, bool IsNew);

/// <summary>
/// One entry of the delivery-state stream: an outgoing message changed state, or a recipient sent an IMDN. The
/// sequence is monotonic and never reused, so an API client can resume with "after sequence N" after any restart.
/// </summary>
public sealed record OutboxEvent
{
    public required long Sequence { get; init; }

    public required long OutboxId { get; init; }

    public required string MessageId { get; init; }

    /// <summary>The message's state after this event.</summary>
    public required OutboxState State { get; init; }

    /// <summary>The recipient the IMDN came from, for disposition events; null for send-side events.</summary>
    public string? Recipient { get; init; }

    /// <summary>The disposition reported, for IMDN events.</summary>
    public OutboxDisposition? Disposition { get; init; }

    public OutboxFailureReason FailureReason { get; init; }

    public int? StatusCode { get; init; }

    public required DateTimeOffset At { get; init; }
}

/// <summary>Result of recording an IMDN for an outgoing message.</summary>
public enum DispositionOutcome
{
    /// <summary>Recorded; the message state advanced.</summary>
    StateAdvanced,

    /// <summary>Recorded as an event; the message state did not change (already further, or one of several recipients).</summary>
    Recorded,

    /// <summary>The same IMDN (message, recipient, disposition) was already recorded; nothing changed.</summary>
    Duplicate,

    /// <summary>No outgoing message has that Message-ID.</summary>
    UnknownMessageId,
}
