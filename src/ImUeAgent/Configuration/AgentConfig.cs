// SPDX-License-Identifier: MIT
using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ImUeAgent.Configuration;

/// <summary>
/// The whole agent.json. Bound by the configuration-binding source generator (no reflection); every key that may
/// appear is listed in <see cref="AgentConfigSchema"/> so an unknown key is rejected with its line before binding.
/// </summary>
internal sealed class AgentConfig
{
    [ValidateObjectMembers]
    public DaemonSection Daemon { get; set; } = new();

    [ValidateObjectMembers]
    public ApiSection Api { get; set; } = new();

    [ValidateObjectMembers]
    public ModemSection Modem { get; set; } = new();

    [ValidateObjectMembers]
    public ImsSection Ims { get; set; } = new();

    [ValidateObjectMembers]
    public ImSection Im { get; set; } = new();
}

/// <summary>The OMA SIMPLE IM client (pager, large message mode, deferred messages) once registered.</summary>
internal sealed class ImSection
{
    /// <summary>The home IM network's conference factory URI, for messages to several recipients (8.1.1 step 6);
    /// empty: such messages fail with a clear reason.</summary>
    [SipUriText(AllowEmpty = true)]
    public string ConferenceFactoryUri { get; set; } = "";

    /// <summary>The application's Accept-Contact predicates for every initial request (byte-exact, e.g.
    /// +g.3gpp.app_ref="urn%3Aurn-7%3A3gpp-application.ims.iari.xyz";explicit;require); '+g.oma.sip-im' is always
    /// added beside them, never in place of them.</summary>
    public string[] AcceptContactTags { get; set; } = [];

    /// <summary>Send with Privacy: id and an anonymous From (RFC 3325; 8.1.1 step 4).</summary>
    public bool Anonymous { get; set; }

    /// <summary>Accept incoming MSRP sessions (large messages from others); false declines them with 603.</summary>
    public bool AcceptIncomingSessions { get; set; } = true;

    /// <summary>Take the IM server's pushes of deferred messages (Appendix D.2).</summary>
    public bool AcceptDeferredPush { get; set; } = true;

    /// <summary>Positive knowledge of an end-to-end connection-oriented transport: pager mode above 1300 bytes (8.1).</summary>
    public bool AssumeConnectionOrientedTransport { get; set; }

    /// <summary>
    /// Local applications behind this device's IM contact, by id, each with the feature tags it registered (RFC 3840
    /// contact parameters, byte-exact): an incoming request goes to the application whose tags its Accept-Contact
    /// prefers (RFC 3841), else to <see cref="DefaultApplication"/>. The inbox records which one took each message.
    /// </summary>
    public Dictionary<string, string[]> Applications { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The application taking requests no preference routes elsewhere (one of <see cref="Applications"/>).</summary>
    public string DefaultApplication { get; set; } = "";

    /// <summary>The IM XDMS's XCAP root (http://host:port/services) for the deferred-message list (12.1.2); empty: none.</summary>
    [HttpUri]
    public string XcapRoot { get; set; } = "";

    /// <summary>The IM service settings published to the IM server (5.2.4).</summary>
    [ValidateObjectMembers]
    public ImSettingsSection Settings { get; set; } = new();
}

/// <summary>
/// OMA SIMPLE IM 5.2.4 service settings: published with PUBLISH (Event: poc-settings) after registration, refreshed,
/// removed on shutdown. These are the defaults; a change made through the API (SetImSettings) is kept in the state
/// directory and wins over them.
/// </summary>
internal sealed class ImSettingsSection
{
    /// <summary>Publish at all (an IMS core without an IM server answers PUBLISH with an error, retried with backoff).</summary>
    public bool Publish { get; set; }

    /// <summary>Requested publication lifetime in seconds, kept within the registration's.</summary>
    [Range(60, 86400)]
    public int Expires { get; set; } = 3600;

    public bool IncomingSessionBarring { get; set; }

    public bool IncomingPagerLargeModeBarring { get; set; }

    public bool Invisibility { get; set; }

    /// <summary>Messages for this user are stored while it is offline and pushed when it registers.</summary>
    public bool OfflineDelivery { get; set; } = true;

    public bool SessionModeHistory { get; set; }

    public bool PagerLargeModeHistory { get; set; }

    public bool IncomingFileTransferBarring { get; set; }
}

/// <summary>IMS registration (TS 24.229 §5.1.1) once the modem's IMS PDN is up.</summary>
internal sealed class ImsSection
{
    /// <summary>Register when the modem is ready. Off: the daemon only brings the modem up.</summary>
    public bool Register { get; set; } = true;

    /// <summary>The P-CSCF's SIP port (+CGCONTRDP gives addresses only).</summary>
    [Range(1, 65535)]
    public int PcscfPort { get; set; } = 5060;

    [OneOf("udp", "tcp")]
    public string Transport { get; set; } = "udp";

    /// <summary>Requested registration time in seconds (TS 24.229 §5.1.1.2: 600000 by default).</summary>
    [Range(60, 600000)]
    public int Expires { get; set; } = 600000;

    /// <summary>Application feature tags for Contact, kept byte-exact; '+g.oma.sip-im' is always added beside them.</summary>
    public string[] FeatureTags { get; set; } = [];

    /// <summary>Subscribe to the reg event package (RFC 3680) to follow network-initiated changes.</summary>
    public bool SubscribeRegEvent { get; set; } = true;

    /// <summary>
    /// Network interface (e.g. rmnet_data1) whose address SIP and MSRP bind to, instead of the IMS PDN address the
    /// modem reports; the sockets are also tied to the interface (SO_BINDTODEVICE) when the daemon may do so.
    /// Needed when there is no modem. Empty: the IMS PDN's address from +CGPADDR.
    /// </summary>
    [InterfaceName]
    public string NetworkInterface { get; set; } = "";

    /// <summary>Plain SIP digest (MD5) account instead of IMS AKA through the ISIM, for ordinary SIP cores; absent:
    /// IMS AKA with the identities of the ISIM.</summary>
    [ValidateObjectMembers]
    public DigestSection? Digest { get; set; }
}

/// <summary>A SIP account registered with digest (RFC 2617/7616 MD5) instead of IMS AKA.</summary>
internal sealed class DigestSection
{
    /// <summary>Authorization username (the private identity of the account).</summary>
    [Required(AllowEmptyStrings = false)]
    [SipToken]
    public string Username { get; set; } = "";

    /// <summary>The password, written here; prefer <see cref="PasswordFile"/> so agent.json needs no secret.</summary>
    public string Password { get; set; } = "";

    /// <summary>A file (mode 0600, owned by the daemon) whose first line is the password.</summary>
    public string PasswordFile { get; set; } = "";

    /// <summary>The public identity registered (From/To), e.g. sip:alice@example.net.</summary>
    [Required(AllowEmptyStrings = false)]
    [SipUriText]
    public string PublicIdentity { get; set; } = "";

    /// <summary>The registrar's domain (REGISTER Request-URI sip:&lt;domain&gt;); empty: the public identity's host.</summary>
    public string Domain { get; set; } = "";

    /// <summary>The realm the password belongs to; empty: whichever realm the registrar challenges with.</summary>
    public string Realm { get; set; } = "";
}

/// <summary>
/// The cellular modem the daemon owns. Without a Port the daemon runs without a modem (e.g. plain SIP over a
/// configured P-CSCF).
/// </summary>
internal sealed class ModemSection
{
    public const string DefaultProfileDirectory = "/usr/share/imue-agent/modems";

    /// <summary>AT port: /dev/imue-at, serial:/dev/ttyUSB2?baud=115200, pty:/dev/pts/N or tcp:host:port. Empty: no modem.</summary>
    public string Port { get; set; } = "";

    /// <summary>Modem profile folder name (hardware/modems/NAME); empty selects it from +CGMI/+CGMM.</summary>
    [ProfileName]
    public string Profile { get; set; } = "";

    /// <summary>Where the modem profiles are (one folder per module with profile.json).</summary>
    [Required(AllowEmptyStrings = false)]
    public string ProfileDirectory { get; set; } = DefaultProfileDirectory;

    [Required(AllowEmptyStrings = false)]
    [Apn]
    public string ImsApn { get; set; } = "ims";

    /// <summary>Context id of the IMS PDN; the default 2 leaves the default bearer's context 1 alone.</summary>
    [Range(1, 24)]
    public int ImsPdnCid { get; set; } = 2;

    [OneOf("IPv4v6", "IPv4", "IPv6")]
    public string PdnType { get; set; } = "IPv4v6";

    /// <summary>P-CSCF addresses that replace what the network (+CGCONTRDP) or the ISIM says.</summary>
    public string[] PcscfAddresses { get; set; } = [];

    /// <summary>Switch the module's own IMS client off (it would otherwise answer on the IMS PDN).</summary>
    public bool DisableModuleImsClient { get; set; } = true;

    /// <summary>SIM PIN, if the card asks for one (4 to 8 digits); empty: stop with "SIM PIN required".</summary>
    [Digits(4, 8)]
    public string SimPin { get; set; } = "";

    /// <summary>Digits of the MNC in the IMSI (2 or 3), for identities derived from the IMSI.</summary>
    [Range(2, 3)]
    public int MncLength { get; set; } = 2;

    /// <summary>Key file (mode 0600) of a soft ISIM, for boards whose card has no ISIM; empty: the card's ISIM.</summary>
    public string SoftIsimKeyFile { get; set; } = "";

    /// <summary>Board description (hardware/boards/*.json) for PWRKEY/RESET/STATUS; empty: no GPIO power control.</summary>
    public string Board { get; set; } = "";
}

/// <summary>The local API (varlink-style JSON over a Unix domain socket) that applications and the CLI use.</summary>
internal sealed class ApiSection
{
    public const string DefaultSocketPath = "/run/imue-agent/api.sock";

    /// <summary>Socket path; created with mode 0660 so members of the daemon's group may call it.</summary>
    [Required(AllowEmptyStrings = false)]
    [SocketPath]
    public string SocketPath { get; set; } = DefaultSocketPath;
}

/// <summary>Settings of the daemon process itself.</summary>
internal sealed class DaemonSection
{
    /// <summary>Where durable state (the message store) lives; must exist and be writable by the daemon.</summary>
    [Required(AllowEmptyStrings = false)]
    public string StateDirectory { get; set; } = "/var/lib/imue-agent";

    /// <summary>Minimum level written to the console or journal.</summary>
    public LogLevel LogLevel { get; set; } = LogLevel.Information;

    /// <summary>Time the daemon gives its services to stop after SIGTERM, before it exits anyway.</summary>
    [Range(1, 30)]
    public int ShutdownTimeoutSeconds { get; set; } = 4;
}

/// <summary>
/// The key tree accepted in agent.json, one entry per bindable property above (kept outside the bound types so the
/// binder generator does not see it). A test checks it against those properties, so a key cannot be forgotten.
/// </summary>
internal static class AgentConfigSchema
{
    public static ConfigSchema Root { get; } = ConfigSchema.Section(
        (nameof(AgentConfig.Daemon), ConfigSchema.Section(
            (nameof(DaemonSection.StateDirectory), ConfigSchema.Value),
            (nameof(DaemonSection.LogLevel), ConfigSchema.Value),
            (nameof(DaemonSection.ShutdownTimeoutSeconds), ConfigSchema.Value))),
        (nameof(AgentConfig.Api), ConfigSchema.Section(
            (nameof(ApiSection.SocketPath), ConfigSchema.Value))),
        (nameof(AgentConfig.Modem), ConfigSchema.Section(
            (nameof(ModemSection.Port), ConfigSchema.Value),
            (nameof(ModemSection.Profile), ConfigSchema.Value),
            (nameof(ModemSection.ProfileDirectory), ConfigSchema.Value),
            (nameof(ModemSection.ImsApn), ConfigSchema.Value),
            (nameof(ModemSection.ImsPdnCid), ConfigSchema.Value),
            (nameof(ModemSection.PdnType), ConfigSchema.Value),
            (nameof(ModemSection.PcscfAddresses), ConfigSchema.Value),
            (nameof(ModemSection.DisableModuleImsClient), ConfigSchema.Value),
            (nameof(ModemSection.SimPin), ConfigSchema.Value),
            (nameof(ModemSection.MncLength), ConfigSchema.Value),
            (nameof(ModemSection.SoftIsimKeyFile), ConfigSchema.Value),
            (nameof(ModemSection.Board), ConfigSchema.Value))),
        (nameof(AgentConfig.Ims), ConfigSchema.Section(
            (nameof(ImsSection.Register), ConfigSchema.Value),
            (nameof(ImsSection.PcscfPort), ConfigSchema.Value),
            (nameof(ImsSection.Transport), ConfigSchema.Value),
            (nameof(ImsSection.Expires), ConfigSchema.Value),
            (nameof(ImsSection.FeatureTags), ConfigSchema.Value),
            (nameof(ImsSection.SubscribeRegEvent), ConfigSchema.Value),
            (nameof(ImsSection.NetworkInterface), ConfigSchema.Value),
            (nameof(ImsSection.Digest), ConfigSchema.Section(
                (nameof(DigestSection.Username), ConfigSchema.Value),
                (nameof(DigestSection.Password), ConfigSchema.Value),
                (nameof(DigestSection.PasswordFile), ConfigSchema.Value),
                (nameof(DigestSection.PublicIdentity), ConfigSchema.Value),
                (nameof(DigestSection.Domain), ConfigSchema.Value),
                (nameof(DigestSection.Realm), ConfigSchema.Value))))),
        (nameof(AgentConfig.Im), ConfigSchema.Section(
            (nameof(ImSection.ConferenceFactoryUri), ConfigSchema.Value),
            (nameof(ImSection.AcceptContactTags), ConfigSchema.Value),
            (nameof(ImSection.Anonymous), ConfigSchema.Value),
            (nameof(ImSection.AcceptIncomingSessions), ConfigSchema.Value),
            (nameof(ImSection.AcceptDeferredPush), ConfigSchema.Value),
            (nameof(ImSection.AssumeConnectionOrientedTransport), ConfigSchema.Value),
            (nameof(ImSection.Applications), ConfigSchema.Map(ConfigSchema.Value)),
            (nameof(ImSection.DefaultApplication), ConfigSchema.Value),
            (nameof(ImSection.XcapRoot), ConfigSchema.Value),
            (nameof(ImSection.Settings), ConfigSchema.Section(
                (nameof(ImSettingsSection.Publish), ConfigSchema.Value),
                (nameof(ImSettingsSection.Expires), ConfigSchema.Value),
                (nameof(ImSettingsSection.IncomingSessionBarring), ConfigSchema.Value),
                (nameof(ImSettingsSection.IncomingPagerLargeModeBarring), ConfigSchema.Value),
                (nameof(ImSettingsSection.Invisibility), ConfigSchema.Value),
                (nameof(ImSettingsSection.OfflineDelivery), ConfigSchema.Value),
                (nameof(ImSettingsSection.SessionModeHistory), ConfigSchema.Value),
                (nameof(ImSettingsSection.PagerLargeModeHistory), ConfigSchema.Value),
                (nameof(ImSettingsSection.IncomingFileTransferBarring), ConfigSchema.Value))))));
}

/// <summary>Range and presence checks, generated at compile time (no reflection, AOT-clean).</summary>
[OptionsValidator]
internal sealed partial class AgentConfigValidator : IValidateOptions<AgentConfig>;
