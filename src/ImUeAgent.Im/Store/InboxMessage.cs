// SPDX-License-Identifier: MIT
namespace ImUeAgent.Im.Store;

/// <summary>A received message to commit. Everything the IM layer knows when it must decide whether to acknowledge.</summary>
public sealed record NewInboxMessage
{
    public required MessageSource Source { get; init; }

    public MessageDirection Direction { get; init; } = MessageDirection.Incoming;

    /// <summary>Sender URI (CPIM From or SIP P-Asserted-Identity/From). Null only for unparseable pushed parts.</summary>
    public string? SenderUri { get; init; }

    public string? SenderDisplayName { get; init; }

    /// <summary>Recipient URIs (To, or the resource list of a group message). Each without CR/LF.</summary>
    public IReadOnlyList<string> Recipients { get; init; } = [];

    /// <summary>Conversation or session identifier (Contribution-ID/Conversation-ID or the session's Call-ID).</summary>
    public string? ConversationId { get; init; }

    /// <summary>SIP Call-ID of the carrying request or session.</summary>
    public string? CallId { get; init; }

    /// <summary>IMDN Message-ID when the message carries one.</summary>
    public string? MessageId { get; init; }

    /// <summary>When this client received it.</summary>
    public required DateTimeOffset ReceivedAt { get; init; }

    /// <summary>Date header of a deferred message: when the IM Server received it (Appendix D.2).</summary>
    public DateTimeOffset? OriginalDate { get; init; }

    public required string ContentType { get; init; }

    /// <summary>The message payload (for CPIM, the inner content). Empty for an unparseable part.</summary>
    public ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>IMDN dispositions the sender asked for.</summary>
    public ImdnDispositions ImdnRequested { get; init; }

    /// <summary>The whole pushed part when it could not be parsed, kept so nothing is lost.</summary>
    public ReadOnlyMemory<byte>? RawPart { get; init; }

    /// <summary>Why the part could not be parsed (the IM layer's reason name and where). Required with <see cref="RawPart"/>.</summary>
    public string? UnparsedReason { get; init; }

    /// <summary>At least one identity, see <see cref="InboxIdentity"/>.</summary>
    public required IReadOnlyList<InboxIdentity> Identities { get; init; }

    /// <summary>The local application the message was routed to (RFC 3841 selection among the client's configured
    /// applications, the default one when none matched); null when no application is configured. One line, at most
    /// 256 characters.</summary>
    public string? ApplicationId { get; init; }
}

/// <summary>A stored received message.</summary>
public sealed record InboxMessage
{
    public required long Id { get; init; }

    public required MessageSource Source { get; init; }

    public required MessageDirection Direction { get; init; }

    public string? SenderUri { get; init; }

    public string? SenderDisplayName { get; init; }

    public required IReadOnlyList<string> Recipients { get; init; }

    public string? ConversationId { get; init; }

    public string? CallId { get; init; }

    public string? MessageId { get; init; }

    public required DateTimeOffset ReceivedAt { get; init; }

    public DateTimeOffset? OriginalDate { get; init; }

    public required string ContentType { get; init; }

    public required ReadOnlyMemory<byte> Body { get; init; }

    public ImdnDispositions ImdnRequested { get; init; }

    /// <summary>IMDNs this client has already sent for it (so a restart does not send them twice).</summary>
    public ImdnDispositions ImdnSent { get; init; }

    public ReadOnlyMemory<byte>? RawPart { get; init; }

    public string? UnparsedReason { get; init; }

    /// <summary>When an application acknowledged it; null while it is still to be offered.</summary>
    public DateTimeOffset? AcknowledgedAt { get; init; }

    /// <summary>The local application it was routed to when received (see <see cref="NewInboxMessage.ApplicationId"/>);
    /// null for messages stored before schema v2 or without configured applications.</summary>
    public string? ApplicationId { get; init; }

    /// <summary>True when this is an unparseable pushed part kept raw.</summary>
    public bool IsUnparsed => UnparsedReason is not null;
}

/// <summary>Result of an inbox insert: whether the message is new, and the id of the stored row (0 when purged).</summary>
public readonly record struct InboxInsertResult(InboxInsertOutcome Outcome, long Id)
{
    public bool IsNew => Outcome == InboxInsertOutcome.Inserted;
}
