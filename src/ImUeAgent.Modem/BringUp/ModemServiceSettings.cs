// SPDX-License-Identifier: MIT
using System.Text;
using ImUeAgent.Modem.At;
using ImUeAgent.Modem.Ports;
using ImUeAgent.Modem.Power;
using ImUeAgent.Modem.Profiles;

namespace ImUeAgent.Modem.BringUp;

/// <summary>&lt;PDP_type&gt; of the IMS PDN (27.007 §10.1.1).</summary>
public enum ImsPdnType
{
    IPv4v6,
    IPv4,
    IPv6,
}

/// <summary>
/// What <see cref="ModemService"/> needs, as plain data (the daemon binds it from its configuration file). Command
/// timeouts come from the modem profile; the values here are the service's own waits. <see cref="ToString"/> never
/// shows the PIN.
/// </summary>
public sealed record ModemServiceSettings
{
    /// <summary>The AT port, as <see cref="ModemPortAddress"/> reads it: "serial:/dev/ttyUSB2?baud=115200", "pty:/dev/pts/7", "tcp:127.0.0.1:2000".</summary>
    public string Port { get; init; } = "";

    /// <summary>hardware/modems (one folder per profile); null: the built-in 27.007 profile only.</summary>
    public string? ProfileDirectory { get; init; }

    /// <summary>Profiles given directly (embedders, tests); used instead of <see cref="ProfileDirectory"/> when set.</summary>
    public IReadOnlyList<ModemProfile>? Profiles { get; init; }

    /// <summary>Use this profile whatever +CGMI/+CGMM say (a module that identifies itself oddly).</summary>
    public string? ProfileName { get; init; }

    /// <summary>APN of the IMS PDN (TS 23.003 §9.1: the IMS well-known APN "ims").</summary>
    public string ImsApn { get; init; } = "ims";

    /// <summary>
    /// Context id of the IMS PDN. 2, not 1: on LTE cid 1 is usually the default (attach) bearer's context, which the
    /// modem or another connection manager owns.
    /// </summary>
    public int ImsPdnCid { get; init; } = 2;

    public ImsPdnType PdnType { get; init; } = ImsPdnType.IPv4v6;

    /// <summary>P-CSCF addresses that override what the network and the ISIM give (IP literals or names).</summary>
    public IReadOnlyList<string> PcscfOverride { get; init; } = [];

    /// <summary>Switch the module's own IMS client off when the profile knows how (spec/NOTES.md, Quectel).</summary>
    public bool DisableModuleImsClient { get; init; }

    /// <summary>The SIM PIN; null: a SIM asking for its PIN stops bring-up with "SIM PIN required".</summary>
    public string? SimPin { get; init; }

    /// <summary>MNC length (2 or 3) for identities derived from the IMSI when there is no ISIM (TS 23.003 §13).</summary>
    public int MncLength { get; init; } = 2;

    /// <summary>A soft ISIM key file: AKA in software instead of the card (boards without an ISIM, tests).</summary>
    public string? SoftIsimKeyFile { get; init; }

    /// <summary>The board's power lines, for the last steps of recovery (reset, then power cycle); null: none.</summary>
    public BoardDescription? PowerBoard { get; init; }

    /// <summary>AT channel tuning; null: the channel's defaults (the profile adds its final results and quirks).</summary>
    public AtChannelSettings? Channel { get; init; }

    /// <summary>Failed runs in a row before the power lines are used: reset after this many, power cycle after twice as many.</summary>
    public int FailuresBeforePowerAction { get; init; } = 3;

    /// <summary>Wait before retrying a failed run; doubles per failure up to <see cref="RetryDelayMax"/>.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan RetryDelayMax { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How often +CPIN? is asked again while the SIM is busy, unless a "+CPIN: READY" URC comes first.</summary>
    public TimeSpan SimBusyRetryInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long to wait for the module to come back after a restart (AT+CFUN=1,1) before probing anyway.</summary>
    public TimeSpan ModuleRestartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Reset indications ("RDY", "+CFUN: 1", "+CPIN: READY") within this time of a probe are one boot, not another reset.</summary>
    public TimeSpan ResetBurstWindow { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Throws <see cref="ArgumentException"/> naming the setting that is wrong.</summary>
    public void Validate(bool portRequired = true)
    {
        if (portRequired && !ModemPortAddress.TryParse(Port, out _, out var portError))
        {
            throw new ArgumentException($"{nameof(Port)}: '{Port}' is not a modem port address ({portError})");
        }

        if (string.IsNullOrEmpty(ImsApn) || ImsApn.Length > 100 || ImsApn.Any(c => c is < '!' or > '~' or '"' or ','))
        {
            throw new ArgumentException($"{nameof(ImsApn)}: an APN is 1 to 100 printable characters without quotes or commas (TS 23.003 §9.1)");
        }

        if (ImsPdnCid is < 1 or > 255)
        {
            throw new ArgumentException($"{nameof(ImsPdnCid)}: a context id is 1 to 255");
        }

        if (SimPin is not null && (SimPin.Length is < 4 or > 8 || !SimPin.All(char.IsAsciiDigit)))
        {
            throw new ArgumentException($"{nameof(SimPin)}: a PIN is 4 to 8 digits (TS 31.101)");
        }

        if (MncLength is not (2 or 3))
        {
            throw new ArgumentException($"{nameof(MncLength)}: 2 or 3");
        }

        foreach (var pcscf in PcscfOverride)
        {
            if (string.IsNullOrWhiteSpace(pcscf) || pcscf.Length > 255)
            {
                throw new ArgumentException($"{nameof(PcscfOverride)}: '{pcscf}' is not an address or name");
            }
        }

        if (FailuresBeforePowerAction < 1 || RetryDelay <= TimeSpan.Zero || RetryDelayMax < RetryDelay
            || SimBusyRetryInterval <= TimeSpan.Zero || ModuleRestartTimeout <= TimeSpan.Zero || ResetBurstWindow < TimeSpan.Zero)
        {
            throw new ArgumentException("recovery settings: counts and delays must be positive, RetryDelayMax at least RetryDelay");
        }
    }

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Port = ").Append(Port)
            .Append(", ProfileDirectory = ").Append(ProfileDirectory)
            .Append(", ProfileName = ").Append(ProfileName)
            .Append(", ImsApn = ").Append(ImsApn)
            .Append(", ImsPdnCid = ").Append(ImsPdnCid)
            .Append(", PdnType = ").Append(PdnType)
            .Append(", PcscfOverride = [").Append(string.Join(", ", PcscfOverride)).Append(']')
            .Append(", DisableModuleImsClient = ").Append(DisableModuleImsClient)
            .Append(", SimPin = ").Append(SimPin is null ? "none" : "redacted")
            .Append(", MncLength = ").Append(MncLength)
            .Append(", SoftIsimKeyFile = ").Append(SoftIsimKeyFile)
            .Append(", PowerBoard = ").Append(PowerBoard?.Name);
        return true;
    }
}
