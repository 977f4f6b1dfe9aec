// SPDX-License-Identifier: MIT
namespace ImUeAgent.Im.Client.Sessions;

/// <summary>Where an IM session (OMA SIMPLE IM 7) is in its life.</summary>
public enum ImChatSessionState
{
    /// <summary>INVITE sent (or received and being answered); no MSRP connection yet.</summary>
    Establishing,

    /// <summary>2xx/ACK done and the MSRP connection is up: messages flow both ways.</summary>
    Active,

    /// <summary>Over; <see cref="ImChatSession.EndReason"/> says why.</summary>
    Ended,
}

/// <summary>Why a session ended (a closed set, STYLE.md §4).</summary>
public enum ImChatSessionEndReason
{
    /// <summary>Not ended.</summary>
    None,

    /// <summary>This side sent BYE (<see cref="ImChatSession.ByeAsync"/> or dispose).</summary>
    LocalBye,

    /// <summary>The peer (or the conference focus) sent BYE.</summary>
    RemoteBye,

    /// <summary>The INVITE got a final non-2xx response (<see cref="ImChatSession.EndStatusCode"/>).</summary>
    Rejected,

    /// <summary>The INVITE transaction failed (timeout, transport error) or was cancelled.</summary>
    Unreachable,

    /// <summary>The SDP answer/offer could not be used (RFC 3264; no MSRP media, bad path).</summary>
    UnusableSdp,

    /// <summary>The MSRP connection could not be made or was lost (RFC 4975 §5.4).</summary>
    MsrpFailed,

    /// <summary>No session refresh came within the interval (RFC 4028 §10), or our refresh was refused.</summary>
    SessionExpired,

    /// <summary>The IM client stopped (or the registration went away under the session).</summary>
    ClientStopped,
}

/// <summary>Who started the session.</summary>
public enum ImChatDirection
{
    Originating,
    Terminating,
}

/// <summary>A state change of one session, in order; the final one is <see cref="ImChatSessionState.Ended"/>.</summary>
public sealed record ImChatSessionEvent(ImChatSession Session, ImChatSessionState State, ImChatSessionEndReason Reason, int? StatusCode);

/// <summary>A participant of a group session as the conference focus reports it (RFC 4575 user + endpoint status).</summary>
/// <param name="Uri">The user's entity (its IM address).</param>
/// <param name="DisplayName">display-text, when given.</param>
/// <param name="Status">The status of its first endpoint (connected, pending, alerting, disconnected…).</param>
/// <param name="IsParticipating">True when one of its endpoints is connected (RFC 4575 §5.7.2).</param>
/// <param name="Roles">Its roles, as the focus names them.</param>
public sealed record ImChatParticipant(string Uri, string? DisplayName, string? Status, bool IsParticipating, IReadOnlyList<string> Roles);

/// <summary>Options of an outgoing session (1-1 or group).</summary>
public sealed record ImChatSessionOptions
{
    /// <summary>Accept-Contact predicates of the application (byte-exact); empty: the configured
    /// <see cref="ImClientSettings.ApplicationFeatureTags"/>. '+g.oma.sip-im' is always added (7.1.1.1 step 1).</summary>
    public IReadOnlyList<string> FeatureTags { get; init; } = [];

    /// <summary>Privacy: id and an anonymous From (7.1.1.1 step 5); null: <see cref="ImClientSettings.RequestAnonymity"/>.</summary>
    public bool? Anonymous { get; init; }

    /// <summary>Subject header of the INVITE (RFC 3261 §20.36), e.g. the topic of a group chat.</summary>
    public string? Subject { get; init; }
}

/// <summary>The result of one message sent in a session: its MSRP final response (RFC 4975 §7.1.1).</summary>
/// <param name="IsSuccess">The peer answered 200 to every chunk.</param>
/// <param name="StatusCode">The MSRP status (200, or the error: 403, 413, 415, 408 for a timeout, 0 when the
/// connection was lost).</param>
/// <param name="MsrpMessageId">The MSRP Message-ID of the SEND.</param>
/// <param name="ImdnMessageId">The IMDN Message-ID when notifications were requested (correlates the IMDNs).</param>
public sealed record ImChatSendResult(bool IsSuccess, int StatusCode, string MsrpMessageId, string? ImdnMessageId);

/// <summary>Why a session request was refused (a closed set).</summary>
public enum ImChatSessionError
{
    /// <summary>The peer (or a participant) is not a SIP, SIPS or tel URI.</summary>
    InvalidPeer,

    /// <summary>A group session needs the conference factory URI (7.1.1.1 for ad-hoc groups).</summary>
    NoConferenceFactory,

    /// <summary>A feature tag is not an RFC 3841 Accept-Contact value.</summary>
    InvalidFeatureTag,

    /// <summary>Not registered: no own IM address to start a session from.</summary>
    NotRegistered,

    /// <summary>The INVITE was answered with a final error (<see cref="ImChatSessionException.StatusCode"/>).</summary>
    Rejected,

    /// <summary>The INVITE got no answer or the transport failed.</summary>
    Unreachable,

    /// <summary>The answer's SDP has no usable MSRP media.</summary>
    UnusableAnswer,

    /// <summary>The MSRP connection could not be made.</summary>
    MsrpConnectFailed,

    /// <summary>The session is not active (still establishing, or ended).</summary>
    NotActive,

    /// <summary>The Content-Type is malformed or the peer's a=accept-types refuse it (RFC 4975 §8.6).</summary>
    ContentTypeNotAccepted,

    /// <summary>The IM client is stopped.</summary>
    Stopped,
}

/// <summary>A session request was refused or failed; <see cref="Error"/> says which way.</summary>
public sealed class ImChatSessionException : Exception
{
    public ImChatSessionException(ImChatSessionError error, string message, int? statusCode = null)
        : base(message)
    {
        Error = error;
        StatusCode = statusCode;
    }

    public ImChatSessionException()
        : this(ImChatSessionError.NotActive, "Session request refused")
    {
    }

    public ImChatSessionException(string message)
        : this(ImChatSessionError.NotActive, message)
    {
    }

    public ImChatSessionException(string message, Exception innerException)
        : base(message, innerException) => Error = ImChatSessionError.NotActive;

    public ImChatSessionError Error { get; }

    /// <summary>The SIP status of a rejected INVITE, or the MSRP status of a failed connection step.</summary>
    public int? StatusCode { get; }
}
