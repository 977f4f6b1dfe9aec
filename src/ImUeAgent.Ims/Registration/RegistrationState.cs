// SPDX-License-Identifier: MIT
namespace ImUeAgent.Ims.Registration;

/// <summary>Where the IMS registration is.</summary>
public enum RegistrationStatus : byte
{
    Unregistered,
    Registering,
    Registered,
    Deregistering,
    /// <summary>The last attempt failed; <see cref="RegistrationState.NextAttemptAt"/> says when the next one runs
    /// (null: none until <see cref="ImsRegistration.TriggerRestart"/>).</summary>
    Failed,
}

/// <summary>Why a registration attempt failed or the registration went down (STYLE.md §4: a closed set).</summary>
public enum RegistrationFailureReason : byte
{
    None,
    /// <summary>The network challenged again after the answer (wrong credentials, repeated resync).</summary>
    AuthenticationLoop,
    /// <summary>AKA MAC failure: the network is not authentic (TS 24.229 §5.1.1.5.3).</summary>
    NetworkNotAuthentic,
    /// <summary>The ISIM could not run AKA (card or channel error).</summary>
    AkaUnavailable,
    /// <summary>403 Forbidden.</summary>
    Forbidden,
    /// <summary>423 without a usable Min-Expires.</summary>
    IntervalTooBrief,
    /// <summary>A 5xx response.</summary>
    ServerFailure,
    /// <summary>Another final failure response.</summary>
    Rejected,
    /// <summary>No response from any P-CSCF (RFC 3261 Timer F).</summary>
    Timeout,
    /// <summary>The transport failed (connection refused or reset).</summary>
    TransportError,
    /// <summary>The network ended the registration (reg-event rejected/unregistered, TS 24.229 §5.1.1.7).</summary>
    NetworkDeregistered,
    /// <summary>The modem layer asked for a restart (PDN lost/back).</summary>
    Restarted,
}

/// <summary>A registration failure: the reason, the words for it, and the SIP status when there was one.</summary>
public sealed record RegistrationFailure(RegistrationFailureReason Reason, string Text, int? StatusCode, DateTimeOffset At)
{
    public override string ToString() => StatusCode is { } s ? $"{Text} ({s})" : Text;
}

/// <summary>An immutable snapshot of the registration (TS 24.229 §5.1.1).</summary>
public sealed record RegistrationState
{
    public RegistrationStatus Status { get; init; }

    /// <summary>The P-CSCF in use (the one registered through, or being tried).</summary>
    public PcscfAddress? Pcscf { get; init; }

    /// <summary>The registered public identities (P-Associated-URI; the first is the default, RFC 7315 §4.1).</summary>
    public IReadOnlyList<string> PublicIdentities { get; init; } = [];

    /// <summary>The Service-Route learnt (RFC 3608), as URIs.</summary>
    public IReadOnlyList<string> ServiceRoute { get; init; } = [];

    /// <summary>The Path the registrar returned (RFC 3327), as URIs.</summary>
    public IReadOnlyList<string> Path { get; init; } = [];

    /// <summary>When the registration expires at the registrar.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>When the next REGISTER (refresh or retry) is due.</summary>
    public DateTimeOffset? NextAttemptAt { get; init; }

    public RegistrationFailure? LastFailure { get; init; }

    /// <summary>REGISTER requests sent since the last success (or since start).</summary>
    public int Attempts { get; init; }

    /// <summary>True while the reg-event subscription is active.</summary>
    public bool RegEventSubscribed { get; init; }

    public override string ToString() =>
        $"{Status} via {Pcscf?.ToString() ?? "-"}; expires {ExpiresAt?.ToString("u", System.Globalization.CultureInfo.InvariantCulture) ?? "-"}; attempts {Attempts}" +
        (LastFailure is { } f ? "; last failure: " + f : string.Empty);
}
