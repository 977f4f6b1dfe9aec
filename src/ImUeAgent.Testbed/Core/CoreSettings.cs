// SPDX-License-Identifier: MIT
namespace ImUeAgent.Testbed.Core;

/// <summary>What the S-CSCF does when the UE reports a network authentication failure (empty response, no auts:
/// the card rejected MAC-A, RFC 3310 §3.3, TS 24.229 §5.1.1.5.3).</summary>
internal enum MacFailurePolicy
{
    /// <summary>403 Forbidden (TS 24.229 §5.4.1.2.3: authentication failure).</summary>
    Forbid,

    /// <summary>A fresh challenge, as a network that retries with a new vector would.</summary>
    Challenge,
}

/// <summary>Policy of the software IMS core (P-CSCF, S-CSCF, HSS in one process). Plain data; the CLI fills it.</summary>
internal sealed record CoreSettings
{
    /// <summary>Home network domain: the realm of the challenges and the Request-URI of REGISTER (TS 24.229 §5.1.1.2).</summary>
    public string Domain { get; init; } = "ims.mnc001.mcc001.3gppnetwork.org";

    /// <summary>Host of the Service-Route (&lt;sip:orig@HOST;lr&gt;); null is "scscf." + <see cref="Domain"/>.</summary>
    public string? ScscfHost { get; init; }

    /// <summary>Host name under which the P-CSCF also answers in a Route (besides its IP address and port).</summary>
    public string? PcscfHost { get; init; }

    public string EffectiveScscfHost => ScscfHost ?? "scscf." + Domain;

    public string EffectivePcscfHost => PcscfHost ?? "pcscf." + Domain;

    /// <summary>Registration lifetime when the REGISTER states none (RFC 3261 §10.3 step 7 lets the registrar choose).</summary>
    public uint DefaultExpires { get; init; } = 3600;

    /// <summary>Longest registration granted; longer requests are shortened (RFC 3261 §10.3 step 7).</summary>
    public uint MaxExpires { get; init; } = 3600;

    /// <summary>Shortest registration accepted; shorter non-zero requests get 423 with Min-Expires (RFC 3261 §10.3).</summary>
    public uint MinExpires { get; init; } = 60;

    /// <summary>Longest reg-event subscription granted (TS 24.229 §5.1.1.3: the UE asks for 600000).</summary>
    public uint MaxSubscriptionExpires { get; init; } = 600_000;

    public MacFailurePolicy OnMacFailure { get; init; } = MacFailurePolicy.Forbid;

    /// <summary>Consecutive re-synchronisations accepted before 403, so a broken card cannot loop forever.</summary>
    public int MaxResynchronisations { get; init; } = 2;

    /// <summary>Challenge every REGISTER, instead of accepting a re-REGISTER that answers an earlier, still valid nonce
    /// with a higher nonce count (RFC 2617 §3.2.2 nonce reuse).</summary>
    public bool ChallengeEveryRegister { get; init; }

    /// <summary>How long an issued nonce may be answered (and reused).</summary>
    public TimeSpan NonceLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Reject initial requests from UEs whose Route lacks the Service-Route (TS 24.229 §5.1.2A.1.1).</summary>
    public bool RequireServiceRoute { get; init; } = true;

    /// <summary>RFC 3261 §17.1.1.1 T1 and T2, for the core's own requests over UDP (NOTIFY).</summary>
    public TimeSpan T1 { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan T2 { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>The Server header of the core's responses.</summary>
    public string ServerName { get; init; } = "imue-testbed-core/" + TestbedCli.Version;
}
