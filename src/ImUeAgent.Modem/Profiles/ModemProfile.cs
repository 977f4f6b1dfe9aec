// SPDX-License-Identifier: MIT
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImUeAgent.Modem.Profiles;

/// <summary>
/// A modem's differences from plain 3GPP TS 27.007, as data (hardware/modems/&lt;vendor&gt;-&lt;model&gt;/profile.json,
/// STYLE §10). Bring-up, the UICC channel and the AT framer read these; nothing in code branches on a model name.
/// </summary>
public sealed record ModemProfile
{
    /// <summary>Folder name under hardware/modems, e.g. "quectel-eg25g".</summary>
    public required string Name { get; set; }

    public required string Vendor { get; set; }

    public required string Model { get; set; }

    /// <summary>Module family and chipset, for people (e.g. "EG25/EC25 series, Qualcomm MDM9607").</summary>
    public string Family { get; set; } = "";

    /// <summary>How the profile is recognised from +CGMI/+CGMM answers; the generic profile has none.</summary>
    public ProfileMatch? Match { get; set; }

    /// <summary>Final result codes beyond 27.007's (V.250) set that end a command on this firmware.</summary>
    public IReadOnlyList<string> ExtraFinalResults { get; set; } = [];

    /// <summary>Commands sent after the probe (ATE0, +CMEE=1) and before the SIM phase, e.g. to route URCs to the AT port.</summary>
    public IReadOnlyList<string> InitCommands { get; set; } = [];

    public ProfileTimeouts Timeouts { get; set; } = new();

    public UiccQuirks Uicc { get; set; } = new();

    public PdnQuirks Pdn { get; set; } = new();

    /// <summary>Some firmware answers "+CME ERROR: n" and then "OK"; the trailing OK must be swallowed.</summary>
    public bool CmeErrorFollowedByOk { get; set; }

    /// <summary>The module's own IMS client, which a host UE must know about and may switch off.</summary>
    public ModemImsClient? ImsClient { get; set; }


    /// <summary>Reads and checks a profile.json; problems are <see cref="ModemProfileException"/>s naming file and field.</summary>
    public static ModemProfile Load(string path)
    {
        ModemProfile? profile;
        try
        {
            using var stream = File.OpenRead(path);
            profile = JsonSerializer.Deserialize(stream, ProfileJsonContext.Default.ModemProfile);
        }
        catch (JsonException ex)
        {
            throw new ModemProfileException($"{path}: {ex.Message}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ModemProfileException($"{path}: cannot read modem profile: {ex.Message}");
        }

        if (profile is null)
        {
            throw new ModemProfileException($"{path}: empty modem profile");
        }

        profile.Validate(path);
        return profile;
    }

    /// <summary>Every profile in a hardware/modems directory (one sub-folder each, holding profile.json).</summary>
    public static IReadOnlyList<ModemProfile> LoadAll(string modemsDirectory) =>
        Directory.EnumerateDirectories(modemsDirectory)
            .Select(d => Path.Combine(d, "profile.json"))
            .Where(File.Exists)
            .Order(StringComparer.Ordinal)
            .Select(Load)
            .ToList();

    /// <summary>The profile that matches a modem's +CGMI/+CGMM answers, or the one named "generic".</summary>
    public static ModemProfile Select(IReadOnlyList<ModemProfile> profiles, string manufacturer, string model)
    {
        foreach (var profile in profiles)
        {
            if (profile.Match is { } match && match.IsMatch(manufacturer, model))
            {
                return profile;
            }
        }

        return profiles.FirstOrDefault(p => p.Name == "generic")
            ?? throw new ModemProfileException("no profile matches and there is no 'generic' profile");
    }

    internal void Validate(string source)
    {
        void Check(bool ok, string field, string problem)
        {
            if (!ok)
            {
                throw new ModemProfileException($"{source}: {field}: {problem}");
            }
        }

        Check(Name.Length > 0 && Name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'), "name", "lower-case letters, digits and '-' only");
        Check(Timeouts.DefaultMilliseconds is >= 100 and <= 60000, "timeouts.defaultMilliseconds", "must be 100..60000");
        Check(Timeouts.UiccMilliseconds is >= 1000 and <= 120000, "timeouts.uiccMilliseconds", "must be 1000..120000");
        Check(Timeouts.PdnMilliseconds is >= 1000 and <= 300000, "timeouts.pdnMilliseconds", "must be 1000..300000");
        Check(Timeouts.AttachMilliseconds is >= 1000 and <= 600000, "timeouts.attachMilliseconds", "must be 1000..600000");
        Check(Timeouts.SimBusyMilliseconds is >= 0 and <= 120000, "timeouts.simBusyMilliseconds", "must be 0..120000");
        Check(Uicc.SelectP2 is 0x04 or 0x0C, "uicc.selectP2", "must be 4 (return FCP) or 12 (no data)");
        Check(Pdn.CgdcontMaxParameters is >= 3 and <= 20, "pdn.cgdcontMaxParameters", "must be 3..20");
        Check(Match is null || Match.Manufacturer.Length > 0, "match.manufacturer", "must not be empty");
        foreach (var result in ExtraFinalResults)
        {
            Check(result.Length is > 0 and <= 64 && !result.Contains('\r', StringComparison.Ordinal), "extraFinalResults", $"'{result}' is not a result code");
        }

        if (ImsClient is { } ims)
        {
            Check(ims.Query.StartsWith("AT", StringComparison.Ordinal), "imsClient.query", "must be an AT command");
            Check(ims.Disable.StartsWith("AT", StringComparison.Ordinal), "imsClient.disable", "must be an AT command");
            Check(ims.ResponsePrefix.Length > 0, "imsClient.responsePrefix", "must not be empty");
        }
    }

}

/// <summary>Recognises a module from its identification answers (case-insensitive substring matches).</summary>
public sealed record ProfileMatch
{
    /// <summary>Substring of the +CGMI answer, e.g. "Quectel".</summary>
    public required string Manufacturer { get; set; }

    /// <summary>Substrings of the +CGMM answer; empty matches any model of the manufacturer.</summary>
    public IReadOnlyList<string> Models { get; set; } = [];

    public bool IsMatch(string manufacturer, string model) =>
        manufacturer.Contains(Manufacturer, StringComparison.OrdinalIgnoreCase)
        && (Models.Count == 0 || Models.Any(m => model.Contains(m, StringComparison.OrdinalIgnoreCase)));
}

/// <summary>Per-command-class timeouts (each AT command has its own, STYLE §9).</summary>
public sealed record ProfileTimeouts
{
    public int DefaultMilliseconds { get; set; } = 5000;

    /// <summary>+CGLA/+CSIM, AUTHENTICATE in particular: slow, and never retransmitted.</summary>
    public int UiccMilliseconds { get; set; } = 30000;

    /// <summary>+CGACT and +CGDCONT on a live network.</summary>
    public int PdnMilliseconds { get; set; } = 150000;

    /// <summary>How long bring-up waits for +CEREG to show registered before giving up with the last reason.</summary>
    public int AttachMilliseconds { get; set; } = 180000;

    /// <summary>How long "SIM busy" (+CME ERROR: 14) answers are waited through after power-up.</summary>
    public int SimBusyMilliseconds { get; set; } = 20000;
}

/// <summary>How the firmware carries APDUs to the UICC (27.007 §8.43-8.46, +CSIM §8.17).</summary>
public sealed record UiccQuirks
{
    /// <summary>+CCHO answers "+CCHO: &lt;id&gt;" on some firmware and a bare "&lt;id&gt;" on others; both are read.</summary>
    public CchoReply CchoReply { get; set; } = CchoReply.Either;

    /// <summary>
    /// 27.007 says the MT sets the logical channel bits in CLA itself (the host sends 0); this firmware wants the host
    /// to set them (ETSI TS 102 221 §10.1.1 encoding).
    /// </summary>
    public bool HostSetsChannelInCla { get; set; }

    /// <summary>P2 of SELECT by AID: 0x04 (return FCP template) or 0x0C (no data).</summary>
    public int SelectP2 { get; set; } = 0x04;

    /// <summary>The firmware offers +CGLA on logical channels (otherwise only +CSIM on the basic channel).</summary>
    public bool SupportsCgla { get; set; } = true;
}

public enum CchoReply
{
    Either,
    Prefixed,
    Bare,
}

/// <summary>PDP context command dialects (27.007 §10.1.1 +CGDCONT, §10.1.23 +CGCONTRDP).</summary>
public sealed record PdnQuirks
{
    /// <summary>+CGCONTRDP layout: 27.007 v9.4.0 and later carry a separate subnet-mask field before v9.4.0 did not.</summary>
    public CgcontrdpLayout CgcontrdpLayout { get; set; } = CgcontrdpLayout.Current;

    /// <summary>Address and mask as one dotted string ("a.b.c.d.m.m.m.m"), as some firmware answers.</summary>
    public bool DottedAddressAndMask { get; set; }

    /// <summary>How many +CGDCONT parameters the firmware accepts (27.007 §10.1.1: P-CSCF discovery is the 9th, the IM CN signalling flag the 10th).</summary>
    public int CgdcontMaxParameters { get; set; } = 12;
}

public enum CgcontrdpLayout
{
    /// <summary>27.007 v9.4.0 and later: address and subnet mask in one field ("local_addr and subnet_mask").</summary>
    Current,

    /// <summary>Before v9.4.0: the subnet mask in its own field, shifting the P-CSCF fields by one.</summary>
    SeparateMask,
}

/// <summary>A module's own IMS stack and how to query and disable it.</summary>
public sealed record ModemImsClient
{
    /// <summary>e.g. AT+QCFG="ims"</summary>
    public required string Query { get; set; }

    /// <summary>e.g. +QCFG: "ims"</summary>
    public required string ResponsePrefix { get; set; }

    /// <summary>Index of the value field in the query answer that says whether it is on (0-based, after the prefix).</summary>
    public int StateField { get; set; } = 1;

    /// <summary>Values of that field that mean the module's IMS client is (or may be) running.</summary>
    public IReadOnlyList<string> EnabledValues { get; set; } = [];

    /// <summary>e.g. AT+QCFG="ims",2</summary>
    public required string Disable { get; set; }

    /// <summary>The change takes effect only after a module restart (AT+CFUN=1,1).</summary>
    public bool DisableNeedsRestart { get; set; }
}

/// <summary>A profile that cannot be used.</summary>
public sealed class ModemProfileException(string message) : Exception(message);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    UseStringEnumConverter = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(ModemProfile))]
internal sealed partial class ProfileJsonContext : JsonSerializerContext;
