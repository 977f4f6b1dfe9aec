// SPDX-License-Identifier: MIT
namespace ImUeAgent.Im.Settings;

/// <summary>Where the IM Service Settings publication (5.2.4) is.</summary>
public enum ImSettingsPublicationStatus : byte
{
    /// <summary>Nothing published: not started, or not registered (the publication starts when registered).</summary>
    Unpublished,

    /// <summary>A PUBLISH is on its way.</summary>
    Pending,

    /// <summary>The IM Server answered 200 (5.2.4: "MAY indicate to the IM User the successful communication").</summary>
    Published,

    /// <summary>The last PUBLISH failed; <see cref="ImSettingsPublicationState.NextAttemptAt"/> says when the next runs.</summary>
    Failed,

    /// <summary>Stopped: the publication was removed (RFC 3903 §4.5) or left to expire.</summary>
    Stopped,
}

/// <summary>Why a PUBLISH failed (STYLE.md §4: a closed set).</summary>
public enum ImSettingsFailureReason : byte
{
    None,

    /// <summary>No SIP URI among the registered public identities to publish to (5.2.4 step 2).</summary>
    NoImAddress,

    /// <summary>No response (RFC 3261 Timer F).</summary>
    Timeout,

    /// <summary>The transport failed (connection refused or reset, UA gone).</summary>
    TransportError,

    /// <summary>401/407 that the UA's authenticator could not answer.</summary>
    Unauthorized,

    /// <summary>423 without a usable Min-Expires (RFC 3903 §4.1).</summary>
    IntervalTooBrief,

    /// <summary>412 to a PUBLISH without SIP-If-Match (RFC 3903 §4.1: the server refused a fresh publication).</summary>
    ConditionalRequestFailed,

    /// <summary>A 2xx that granted no time (Expires: 0 to a PUBLISH that asked for some).</summary>
    NoTimeGranted,

    /// <summary>A 5xx response.</summary>
    ServerFailure,

    /// <summary>Another final failure response (e.g. 403, 489 Bad Event, 415).</summary>
    Rejected,
}

/// <summary>An immutable snapshot of the publication: what the daemon shows ("settings: published, 200").</summary>
public sealed record ImSettingsPublicationState
{
    public ImSettingsPublicationStatus Status { get; init; }

    /// <summary>The settings last asked for (published, or to be published).</summary>
    public ImSettings Settings { get; init; } = new();

    /// <summary>True while the IM Server's entity tag is held (refresh, modify and remove use it, RFC 3903 §4.2).</summary>
    public bool HasEntityTag => EntityTag is not null;

    /// <summary>The SIP-ETag of the current publication (RFC 3903 §11.3).</summary>
    public string? EntityTag { get; init; }

    /// <summary>When the publication expires at the IM Server.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>When the next PUBLISH (refresh or retry) is due.</summary>
    public DateTimeOffset? NextAttemptAt { get; init; }

    /// <summary>The status code of the last final response (200 after a success), null before any or after a timeout.</summary>
    public int? LastStatusCode { get; init; }

    /// <summary>When the last 2xx arrived.</summary>
    public DateTimeOffset? LastPublishedAt { get; init; }

    public ImSettingsFailureReason FailureReason { get; init; }

    /// <summary>The failure in words (no identities, no bodies).</summary>
    public string? FailureText { get; init; }

    /// <summary>Failed PUBLISH attempts in a row.</summary>
    public int ConsecutiveFailures { get; init; }

    public override string ToString() =>
        Status + (LastStatusCode is { } s ? " (" + s.ToString(System.Globalization.CultureInfo.InvariantCulture) + ")" : string.Empty)
        + (ExpiresAt is { } e ? "; expires " + e.ToString("u", System.Globalization.CultureInfo.InvariantCulture) : string.Empty)
        + (FailureText is { } f ? "; " + FailureReason + ": " + f : string.Empty);
}
