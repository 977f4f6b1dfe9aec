// SPDX-License-Identifier: MIT
using ImUeAgent.Modem.BringUp;

namespace ImUeAgent.Daemon;

/// <summary>The modem part of the status, as the API shows it (strings and lists only; the IMPI is redacted).</summary>
internal sealed record ModemSnapshot
{
    public required string Phase { get; init; }

    public string? Activity { get; init; }

    public required string Channel { get; init; }

    public string? Profile { get; init; }

    public string? Manufacturer { get; init; }

    public string? Model { get; init; }

    public string? Revision { get; init; }

    public string? Imei { get; init; }

    public string? Imsi { get; init; }

    public required string Sim { get; init; }

    public required string ModuleImsClient { get; init; }

    public string? Registration { get; init; }

    public int? ImsPdnCid { get; init; }

    public string? ImsApn { get; init; }

    public IReadOnlyList<string> ImsPdnAddresses { get; init; } = [];

    public IReadOnlyList<string> Pcscf { get; init; } = [];

    public required string PcscfSource { get; init; }

    public string? IsimAid { get; init; }

    /// <summary>"present" or null: the IMPI is an identity the network knows the subscriber by, kept out of status.</summary>
    public string? Impi { get; init; }

    public IReadOnlyList<string> Impus { get; init; } = [];

    public string? HomeDomain { get; init; }

    public bool IdentityFromImsi { get; init; }

    public bool SoftIsim { get; init; }

    public int ConsecutiveFailures { get; init; }

    public static ModemSnapshot From(ModemState m) => new()
    {
        Phase = m.Phase.ToString(),
        Activity = m.Activity,
        Channel = m.Channel.ToString(),
        Profile = m.ProfileName,
        Manufacturer = m.Manufacturer,
        Model = m.Model,
        Revision = m.Revision,
        Imei = m.Imei,
        Imsi = m.Imsi,
        Sim = m.Sim.ToString(),
        ModuleImsClient = m.ModuleImsClient.ToString(),
        Registration = m.Registration?.Status.ToString(),
        ImsPdnCid = m.ImsPdnCid,
        ImsApn = m.ImsApn,
        ImsPdnAddresses = m.ImsPdnAddresses.Select(a => a.ToString()).ToList(),
        Pcscf = m.PcscfAddresses,
        PcscfSource = m.PcscfSource.ToString(),
        IsimAid = m.IsimAid,
        Impi = m.Impi is null ? null : "present",
        Impus = m.Impus,
        HomeDomain = m.HomeDomain,
        IdentityFromImsi = m.IdentityFromImsi,
        SoftIsim = m.UsesSoftIsim,
        ConsecutiveFailures = m.ConsecutiveFailures,
    };

    /// <summary>Short form for STATUS= and the log.</summary>
    public string Summary => Phase switch
    {
        nameof(ModemPhase.Ready) => $"modem ready: IMS PDN {string.Join(' ', ImsPdnAddresses)}, P-CSCF {string.Join(' ', Pcscf)}",
        _ => $"modem {Phase}{(Activity is null ? "" : $" ({Activity})")}",
    };
}
