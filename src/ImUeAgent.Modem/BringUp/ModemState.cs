// SPDX-License-Identifier: MIT
using System.Net;
using System.Text;
using ImUeAgent.Modem.At;
using ImUeAgent.Modem.At.Urc;

namespace ImUeAgent.Modem.BringUp;

/// <summary>The bring-up phases, in order (DESIGN.md: probe → SIM → attach → IMS PDN → P-CSCF → ISIM).</summary>
public enum ModemPhase
{
    /// <summary>Not started, or shut down.</summary>
    Stopped,

    /// <summary>ATE0, +CMEE=1, identification, profile selection, the profile's init commands.</summary>
    Probe,

    /// <summary>+CPIN? until READY (SIM busy waited through; PIN entered only when configured).</summary>
    SimReady,

    /// <summary>+CIMI.</summary>
    Imsi,

    /// <summary>The module's own IMS client (profile imsClient): queried, and disabled when configured.</summary>
    ImsClientCheck,

    /// <summary>+CEREG reporting on, then waiting for registration.</summary>
    Attach,

    /// <summary>+CGDCONT / +CGACT / +CGPADDR of the IMS PDN.</summary>
    ImsPdn,

    /// <summary>+CGCONTRDP: the P-CSCF addresses of the IMS PDN.</summary>
    Pcscf,

    /// <summary>EF_DIR, the ISIM on a logical channel, IMPI / DOMAIN / IMPU (or identities derived from the IMSI).</summary>
    Isim,

    /// <summary>IMS PDN up, P-CSCF known, identities read: the Ims layer may register.</summary>
    Ready,

    /// <summary>The run stopped; <see cref="ModemState.LastFailure"/> says why in words.</summary>
    Failed,
}

/// <summary>Why a bring-up run failed (closed set, STYLE.md §4); <see cref="ModemFailure.Message"/> gives the words.</summary>
public enum ModemFailureReason
{
    /// <summary>The modem did not answer (AT channel unresponsive, a command timed out).</summary>
    ModemNotAnswering,

    /// <summary>The port cannot be opened (device missing, permission).</summary>
    PortUnavailable,

    /// <summary>A command bring-up needs was refused (ERROR / +CME ERROR).</summary>
    CommandRejected,

    /// <summary>An answer bring-up needs could not be read.</summary>
    MalformedAnswer,

    /// <summary>No modem profile fits (and there is no generic one).</summary>
    NoProfile,

    SimNotInserted,

    /// <summary>The SIM stayed busy (+CME ERROR: 14) beyond the profile's simBusy time.</summary>
    SimBusy,

    /// <summary>The SIM asks for its PIN and none is configured.</summary>
    SimPinRequired,

    /// <summary>The configured PIN was refused; it is not tried again (the SIM would block).</summary>
    SimPinRejected,
    SimPukRequired,

    /// <summary>A personalisation lock (PH-SIM PIN, PH-NET PIN, ...).</summary>
    SimLocked,
    SimFailure,

    /// <summary>The module's own IMS client is still on after it was switched off and the module restarted.</summary>
    ModuleImsClientStillEnabled,

    /// <summary>+CEREG stat 3: registration denied (reject cause in the message when the network gave one).</summary>
    AttachDenied,

    /// <summary>Not registered within the profile's attach time.</summary>
    AttachTimeout,

    PdnDefinitionRefused,
    PdnActivationRefused,

    /// <summary>The IMS PDN came up without an address.</summary>
    NoPdnAddress,

    /// <summary>No P-CSCF from the network, the ISIM or the configuration.</summary>
    NoPcscf,

    /// <summary>Neither an ISIM nor an IMSI to derive identities from.</summary>
    NoIdentity,

    /// <summary>The soft ISIM key file cannot be used.</summary>
    SoftIsimUnusable,
}

/// <summary>A failed run: why, in which phase, in words ("attach denied: cause 15 (no suitable cells in tracking area)").</summary>
public sealed record ModemFailure(ModemFailureReason Reason, ModemPhase Phase, string Message, DateTimeOffset At)
{
    /// <summary>Failures that another try cannot fix by itself (a PIN to configure, a SIM to unblock).</summary>
    public bool NeedsIntervention => Reason is ModemFailureReason.SimPinRequired or ModemFailureReason.SimPinRejected
        or ModemFailureReason.SimPukRequired or ModemFailureReason.SimLocked or ModemFailureReason.NoProfile
        or ModemFailureReason.SoftIsimUnusable or ModemFailureReason.ModuleImsClientStillEnabled;

    public override string ToString() => $"{Phase}: {Message}";
}

/// <summary>What the SIM said last.</summary>
public enum SimStatus
{
    Unknown,
    Busy,
    NotInserted,
    PinRequired,
    PukRequired,
    Locked,
    Failure,
    Ready,
}

/// <summary>The module's own IMS client (profile imsClient).</summary>
public enum ModuleImsClientStatus
{
    /// <summary>Not queried yet.</summary>
    Unknown,

    /// <summary>The profile knows of none.</summary>
    NotPresent,

    /// <summary>Off (or in a state the profile does not list as running).</summary>
    Disabled,

    /// <summary>On or possibly on; it may register to IMS beside this agent.</summary>
    Enabled,
}

/// <summary>Where the P-CSCF addresses in <see cref="ModemState.PcscfAddresses"/> came from.</summary>
public enum PcscfSource
{
    None,

    /// <summary>+CGCONTRDP: the network's PCO (P-CSCF discovery through NAS signalling, TS 24.229 §9.2.1).</summary>
    Network,

    /// <summary>EF_P-CSCF of the ISIM (TS 31.103 §4.2.8).</summary>
    Isim,

    /// <summary>The configured override list.</summary>
    Configuration,
}

/// <summary>
/// Everything the daemon shows about the modem, immutable: each change is a new instance from
/// <see cref="ModemService.StateChanged"/> / <see cref="ModemService.WatchStateAsync"/>. <see cref="ToString"/>
/// redacts the IMPI (DESIGN.md).
/// </summary>
public sealed record ModemState
{
    public static ModemState Initial { get; } = new() { Since = DateTimeOffset.MinValue };

    public ModemPhase Phase { get; init; } = ModemPhase.Stopped;

    /// <summary>When <see cref="Phase"/> was entered.</summary>
    public DateTimeOffset Since { get; init; }

    /// <summary>What the phase is doing now, in words ("waiting for +CEREG", "restarting the module").</summary>
    public string? Activity { get; init; }

    /// <summary>The AT channel's own state (Broken while the port is gone).</summary>
    public AtChannelStatus Channel { get; init; }

    public string? ProfileName { get; init; }

    public string? Manufacturer { get; init; }

    public string? Model { get; init; }

    public string? Revision { get; init; }

    public string? Imei { get; init; }

    public string? Imsi { get; init; }

    public SimStatus Sim { get; init; }

    public ModuleImsClientStatus ModuleImsClient { get; init; }

    /// <summary>The last +CEREG report.</summary>
    public NetworkRegistrationReport? Registration { get; init; }

    public int? ImsPdnCid { get; init; }

    public string? ImsApn { get; init; }

    /// <summary>The IMS PDN's own addresses (+CGPADDR).</summary>
    public IReadOnlyList<IPAddress> ImsPdnAddresses { get; init; } = [];

    /// <summary>P-CSCF addresses in preference order (IP literals, or names from the ISIM/configuration).</summary>
    public IReadOnlyList<string> PcscfAddresses { get; init; } = [];

    public PcscfSource PcscfSource { get; init; }

    /// <summary>The ISIM application's AID (hex), when the card has one and it is open.</summary>
    public string? IsimAid { get; init; }

    public string? Impi { get; init; }

    public IReadOnlyList<string> Impus { get; init; } = [];

    public string? HomeDomain { get; init; }

    /// <summary>True when the identities were derived from the IMSI (no ISIM, TS 23.003 §13).</summary>
    public bool IdentityFromImsi { get; init; }

    /// <summary>True when AKA runs on the configured soft ISIM.</summary>
    public bool UsesSoftIsim { get; init; }

    public ModemFailure? LastFailure { get; init; }

    /// <summary>Failed runs in a row (reset to 0 by Ready).</summary>
    public int ConsecutiveFailures { get; init; }

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Phase = ").Append(Phase);
        if (Activity is not null)
        {
            builder.Append(" (").Append(Activity).Append(')');
        }

        builder.Append(", Channel = ").Append(Channel)
            .Append(", Profile = ").Append(ProfileName)
            .Append(", Model = ").Append(Manufacturer).Append(' ').Append(Model).Append(' ').Append(Revision)
            .Append(", Sim = ").Append(Sim)
            .Append(", Registration = ").Append(Registration?.Status.ToString() ?? "none")
            .Append(", ImsPdn = ").Append(ImsPdnCid).Append(' ').Append(ImsApn).Append(' ').Append(string.Join(' ', ImsPdnAddresses))
            .Append(", Pcscf = ").Append(string.Join(' ', PcscfAddresses)).Append(" (").Append(PcscfSource).Append(')')
            .Append(", Isim = ").Append(IsimAid ?? (UsesSoftIsim ? "soft" : "none"))
            .Append(", Impi = ").Append(Impi is null ? "none" : "redacted")
            .Append(", Impus = ").Append(Impus.Count)
            .Append(", HomeDomain = ").Append(HomeDomain);
        if (LastFailure is not null)
        {
            builder.Append(", LastFailure = ").Append(LastFailure);
        }

        return true;
    }
}
