// SPDX-License-Identifier: MIT
namespace ImUeAgent.Im.Settings;

/// <summary>How a deferred message was sent (the history element's mode attribute).</summary>
public enum DeferredMessageMode : byte
{
    /// <summary>Absent or a value this client does not know.</summary>
    Unknown,

    /// <summary>Pager mode (8): a stored SIP MESSAGE.</summary>
    Pager,

    /// <summary>Large Message Mode (9): a stored MSRP session.</summary>
    LargeMessage,
}

/// <summary>The metadata of one deferred message as the IM Server's deferred-list document describes it (12.1.2):
/// only the history-reference is required; every other field is null when absent or not readable.</summary>
/// <param name="HistoryReference">The stored message's reference (the Message-ID the IM Server assigned, 12.2.2.3
/// step 4), what a later retrieval names.</param>
public sealed record DeferredMessageInfo(string HistoryReference)
{
    public DeferredMessageMode Mode { get; init; }

    /// <summary>Size in bytes.</summary>
    public long? Size { get; init; }

    /// <summary>When the IM Server drops the message.</summary>
    public DateTimeOffset? Expiry { get; init; }

    public string? Subject { get; init; }

    /// <summary>When the IM Server received (stored) the message.</summary>
    public DateTimeOffset? Date { get; init; }

    /// <summary>The time-stamp of the pager or large-message block.</summary>
    public DateTimeOffset? TimeStamp { get; init; }

    /// <summary>The sender's address as sent.</summary>
    public string? From { get; init; }

    /// <summary>The recipient's address.</summary>
    public string? To { get; init; }

    /// <summary>The sender's asserted identity (auth-id); null for an anonymous sender.</summary>
    public string? AuthenticatedIdentity { get; init; }

    /// <summary>The media type of the message content.</summary>
    public string? ContentType { get; init; }
}

/// <summary>A parsed deferred-list document.</summary>
/// <param name="Messages">The messages, in document order.</param>
/// <param name="SkippedEntries">&lt;history&gt; entries left out because they had no history-reference.</param>
public sealed record DeferredList(IReadOnlyList<DeferredMessageInfo> Messages, int SkippedEntries);
