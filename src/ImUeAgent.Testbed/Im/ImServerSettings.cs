// SPDX-License-Identifier: MIT
using System.Net;
using ImUeAgent.Msrp.Sdp;

namespace ImUeAgent.Testbed.Im;

/// <summary>How the IM server wraps stored messages in the MSRP SENDs of a deferred push (OMA SIMPLE IM Appendix D.2).</summary>
internal enum DeferredPushBody
{
    /// <summary>One SEND per stored message: message/sip for a pager message (the complete stored MESSAGE with Date),
    /// multipart/mixed for a large message (INVITE, 200 OK and BYE as message/sip, the SEND as message/msrp).</summary>
    Sip,

    /// <summary>As <see cref="Sip"/> with message/sipfrag (RFC 3420: relevant header lines and the body, no start line)
    /// in place of message/sip.</summary>
    SipFrag,

    /// <summary>One SEND per stored message: message/msrp for a large message (the stored SEND with its receive Date and
    /// the relevant SIP headers of its session as extension headers); a pager message has no MSRP form and goes as
    /// message/sip.</summary>
    Msrp,

    /// <summary>One SEND for all stored messages: multipart/mixed, a message/sip part per pager message and four
    /// parts (INVITE, 200 OK, SEND, BYE) per large message, each part with a Date header.</summary>
    Multipart,
}

/// <summary>When the conference focus releases an ad-hoc IM group session (RFC 4353 §5: the focus's policy).</summary>
internal enum ConferenceReleasePolicy
{
    /// <summary>When fewer than two users are in it or still being invited: the one left gets BYE (a group of one is
    /// no group; the OMA PoC/IM release policy for ad-hoc sessions).</summary>
    FewerThanTwo,

    /// <summary>Only when the last user has left.</summary>
    Empty,
}

/// <summary>Policy of the testbed's IM server (plain data; <see cref="ImServerOptions"/> fills it from the command line).</summary>
internal sealed record ImServerSettings
{
    /// <summary>User part of the IM server's own URI (From and P-Asserted-Identity of its pushes): sip:USER@domain.</summary>
    public string ServerUser { get; init; } = "im-server";

    /// <summary>Conference-factory URI (8.1.1 step 6b); null is sip:conference-factory@DOMAIN.</summary>
    public string? ConferenceFactoryUri { get; init; }

    /// <summary>Pre-defined groups (8.3.2.1 step 7b): group identity → member IM addresses.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Groups { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>12.2.2.3 step 6: the Expire value given to a stored message without (or above) an acceptable Expires.</summary>
    public TimeSpan DefaultDeferredExpiry { get; init; } = TimeSpan.FromDays(7);

    /// <summary>12.2.2.3 step 6: the largest Expires of a MESSAGE the server honours ("maximum value per local policy").</summary>
    public TimeSpan MaxDeferredExpiry { get; init; } = TimeSpan.FromDays(30);

    /// <summary>Largest message body stored (a bigger large-message SEND gets MSRP 413).</summary>
    public int MaxDeferredMessageBytes { get; init; } = 1024 * 1024;

    /// <summary>Stored messages per user; more are refused (480 for a MESSAGE, 486 for an INVITE).</summary>
    public int MaxDeferredPerUser { get; init; } = 500;

    /// <summary>Largest recipient list exploded (8.3.2.1 step 7a).</summary>
    public int MaxRecipients { get; init; } = 64;

    public DeferredPushBody PushBody { get; init; } = DeferredPushBody.Sip;

    /// <summary>When an ad-hoc IM group session (INVITE to the conference factory, RFC 5366) ends.</summary>
    public ConferenceReleasePolicy ConferenceRelease { get; init; } = ConferenceReleasePolicy.FewerThanTwo;

    /// <summary>Conferences at once; the factory answers 503 above it.</summary>
    public int MaxConferences { get; init; } = 32;

    /// <summary>Largest message a conference relays (a bigger SEND gets MSRP 413; also the a=max-size of the focus).</summary>
    public int MaxConferenceMessageBytes { get; init; } = 256 * 1024;

    /// <summary>Longest conference-event subscription granted (RFC 4575 §3.7 suggests one hour by default).</summary>
    public uint MaxConferenceSubscriptionExpires { get; init; } = 3600;

    /// <summary>How long the focus waits for a participant's MSRP connection before it drops it.</summary>
    public TimeSpan ConferenceMediaTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>a=setup of the push INVITE's offer (RFC 6135): actpass lets the client choose, which by RFC 6135 §4.2
    /// makes it the active side (it connects to the server).</summary>
    public MsrpSetup PushSetup { get; init; } = MsrpSetup.ActPass;

    /// <summary>Test knob: every push SEND goes twice (same content, new MSRP Message-ID) before the messages are
    /// deleted, for the client's duplicate detection.</summary>
    public bool DuplicatePush { get; init; }

    /// <summary>Test knob: one deliberately unparseable part goes with the push (its own SEND, or an extra part of the
    /// multipart body); its failure does not keep the real messages.</summary>
    public bool MalformedPart { get; init; }

    /// <summary>Offline delivery (5.2.4 d) of a user who has not published IM Service Settings: true pushes stored
    /// messages when the user registers; false keeps them for retrieval (12.1.2 metadata over XCAP).</summary>
    public bool OfflineDeliveryDefault { get; init; } = true;

    /// <summary>How long a push waits for the MSRP connection and each SEND's response.</summary>
    public TimeSpan PushTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Where the server's MSRP endpoint listens (port 0 picks one).</summary>
    public IPEndPoint MsrpListen { get; init; } = new(IPAddress.Loopback, 0);

    /// <summary>Where the XCAP server for the deferred-message metadata listens; null: none.</summary>
    public IPEndPoint? XcapListen { get; init; } = new(IPAddress.Loopback, 0);

    /// <summary>Appendix F: the IM release version, then the product.</summary>
    public string UserAgent { get; init; } = "IM-serv/OMA1.0 imue-testbed/" + TestbedCli.Version;

    public string EffectiveFactoryUri(string domain) => ConferenceFactoryUri ?? "sip:conference-factory@" + domain;

    public string ServerUri(string domain) => "sip:" + ServerUser + "@" + domain;
}
