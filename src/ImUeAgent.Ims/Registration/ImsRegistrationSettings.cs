// SPDX-License-Identifier: MIT
using System.Net;
using ImUeAgent.Sip.Message;
using ImUeAgent.Sip.Transport;
using ImUeAgent.Sip.Ua;

namespace ImUeAgent.Ims.Registration;

/// <summary>A P-CSCF the UE may register through (TS 24.229 §9.2.1: from +CGCONTRDP, the ISIM or configuration).</summary>
public sealed record PcscfAddress(IPAddress Address, int Port = 5060, SipTransportKind Transport = SipTransportKind.Udp)
{
    public SipTransportAddress ToTransportAddress() => new(Transport, new IPEndPoint(Address, Port));

    public override string ToString() => Transport.ToViaToken().ToLowerInvariant() + ":" + new IPEndPoint(Address, Port);
}

/// <summary>SIP digest with a shared password instead of IMS AKA (networks or test cores without an HSS for AKA).
/// <see cref="ToString"/> never shows the password.</summary>
public sealed record DigestRegistrationCredentials(string Username, string Password, string? Realm = null)
{
    public override string ToString() => "digest credentials for realm " + (Realm ?? "*");
}

/// <summary>What <see cref="ImsRegistration"/> registers and how (TS 24.229 §5.1.1).</summary>
public sealed record ImsRegistrationSettings
{
    private static readonly System.Buffers.SearchValues<char> NotInFeatureTag = System.Buffers.SearchValues.Create("\r\n;,<> ");

    /// <summary>The IMS private identity: Authorization username (TS 24.229 §5.1.1.2.1).</summary>
    public required string Impi { get; init; }

    /// <summary>The public identities; the first is registered (From/To of REGISTER).</summary>
    public required IReadOnlyList<string> Impus { get; init; }

    /// <summary>The home network domain: REGISTER's Request-URI is sip:&lt;domain&gt; and the initial realm.</summary>
    public required string HomeDomain { get; init; }

    /// <summary>P-CSCFs in order of preference; a timeout moves to the next one.</summary>
    public required IReadOnlyList<PcscfAddress> Pcscfs { get; init; }

    /// <summary>The IMS PDN's local address the SIP transports bind to.</summary>
    public required IPAddress LocalAddress { get; init; }

    /// <summary>The instance ID URN for +sip.instance (<see cref="InstanceId.FromImei"/>); null leaves it out.</summary>
    public string? InstanceId { get; init; }

    /// <summary>Feature tags put on Contact as written (byte-exact), e.g. <c>+g.oma.sip-im</c> or
    /// <c>+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel"</c>.</summary>
    public IReadOnlyList<string> ContactFeatureTags { get; init; } = [];

    /// <summary>The registration expiry asked for: 600000 s (TS 24.229 §5.1.1.2.1).</summary>
    public uint Expires { get; init; } = 600000;

    /// <summary>The reg-event subscription's expiry (TS 24.229 §5.1.1.3: 600000 s).</summary>
    public uint RegEventExpires { get; init; } = 600000;

    /// <summary>Subscribe to the reg event package after registering (TS 24.229 §5.1.1.3).</summary>
    public bool SubscribeRegEvent { get; init; } = true;

    /// <summary>User-Agent header value, e.g. "IM-client/OMA1.0 imue-agent/0.1.0"; null leaves it out.</summary>
    public string? UserAgent { get; init; }

    /// <summary>Supported: path (RFC 3327, TS 24.229 §5.1.1.2.1).</summary>
    public bool SupportPath { get; init; } = true;

    /// <summary>Supported: gruu (RFC 5627) when the device uses GRUUs.</summary>
    public bool SupportGruu { get; init; }

    /// <summary>Digest credentials instead of AKA; null registers with IMS AKA.</summary>
    public DigestRegistrationCredentials? Digest { get; init; }

    /// <summary>Settings of the SIP user agent the registration creates (ports, timers, transports).</summary>
    public SipUserAgentSettings UserAgentSettings { get; init; } = new();

    /// <summary>RFC 5626 §4.5 backoff base-time and max-time (defaults 30 s and 1800 s).</summary>
    public TimeSpan BackoffBase { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan BackoffMax { get; init; } = TimeSpan.FromSeconds(1800);

    /// <summary>Identities are left out (IMPI redaction, DESIGN.md).</summary>
    public override string ToString() =>
        $"IMS registration settings: domain {HomeDomain}, {Impus?.Count ?? 0} IMPU(s), P-CSCFs [{string.Join(", ", Pcscfs ?? [])}], {(Digest is null ? "AKA" : "digest")}, expires {Expires}";

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrEmpty(Impi);
        ArgumentException.ThrowIfNullOrEmpty(HomeDomain);
        ArgumentNullException.ThrowIfNull(LocalAddress);
        if (Impus is null || Impus.Count == 0)
        {
            throw new ArgumentException("At least one IMPU", nameof(Impus));
        }

        if (!SipUri.TryParse(Impus[0], out SipUri? first) || first.Scheme is not (SipUriScheme.Sip or SipUriScheme.Sips))
        {
            throw new ArgumentException("The IMPU to register (the first) must be a SIP URI (TS 24.229 §5.1.1.2.1)", nameof(Impus));
        }

        if (Pcscfs is null || Pcscfs.Count == 0)
        {
            throw new ArgumentException("At least one P-CSCF", nameof(Pcscfs));
        }

        foreach (string tag in ContactFeatureTags)
        {
            if (string.IsNullOrEmpty(tag) || tag[0] != '+' || tag.AsSpan().IndexOfAny(NotInFeatureTag) >= 0)
            {
                throw new ArgumentException($"'{tag}' is not a Contact feature tag (+name or +name=value, RFC 3840 §9)", nameof(ContactFeatureTags));
            }
        }
    }
}
