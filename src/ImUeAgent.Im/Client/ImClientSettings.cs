// SPDX-License-Identifier: MIT
using ImUeAgent.Im.FeatureTags;
using ImUeAgent.Msrp.Sdp;

namespace ImUeAgent.Im.Client;

/// <summary>What the client does with an incoming INVITE offering MSRP (IM session, large message, deferred push).</summary>
public enum ImSessionAcceptPolicy
{
    /// <summary>Accept it: an IM session (7) is answered and joined; a Large Message Mode session (9) or deferred push
    /// (Appendix D.2) has the MSRP SENDs it carries taken.</summary>
    Accept,

    /// <summary>Answer 603 Decline: the user takes no chat sessions and no MSRP-borne messages.</summary>
    Decline,
}

/// <summary>A local application behind this client's contact: its id and the feature tags it registered (RFC 3840
/// contact parameters, byte-exact, e.g. <c>+g.3gpp.iari-ref="urn%3Aurn-7%3A3gpp-application.ims.iari.xyz"</c>).</summary>
public sealed record ImApplication(string Id, IReadOnlyList<string> FeatureTags);

/// <summary>Settings of <see cref="ImClient"/> (plain record; the daemon maps its configuration onto it). The own IM
/// address comes from the registration (the first registered SIP public identity).</summary>
public sealed record ImClientSettings
{
    /// <summary>The conference factory URI of the home IM network (8.1.1 step 6b), e.g. sip:conf-factory@im.example.com.
    /// Null: messages to several recipients fail.</summary>
    public string? ConferenceFactoryUri { get; init; }

    /// <summary>The application's Accept-Contact predicates sent on every initial request when the message names none
    /// (byte-exact, e.g. <c>+g.3gpp.app_ref="urn%3Aurn-7%3A3gpp-application.ims.iari.xyz";explicit;require</c>).
    /// '+g.oma.sip-im' is added beside them (7.1.1.1 step 1, 8.1.1 step 1).</summary>
    public IReadOnlyList<string> ApplicationFeatureTags { get; init; } = [];

    /// <summary>Feature tags this client puts in Contact beside '+g.oma.sip-im' (INVITE; REGISTER is the registration's).</summary>
    public IReadOnlyList<string> ContactFeatureTags { get; init; } = [];

    /// <summary>User-Agent (Appendix F): the IM release version then the product, e.g. "IM-client/OMA1.0 imue-agent/0.1.0".</summary>
    public string UserAgent { get; init; } = "IM-client/OMA1.0 imue-agent/0.1.0";

    /// <summary>RFC 3428 §7 / OMA SIMPLE IM 8.1: pager mode while the whole serialized MESSAGE is below this size.</summary>
    public int PagerSizeLimit { get; init; } = 1300;

    /// <summary>Positive knowledge of an end-to-end connection-oriented transport (8.1): pager mode above the limit too.</summary>
    public bool AssumeConnectionOrientedTransport { get; init; }

    /// <summary>Send every message with Privacy: id (RFC 3325) and an anonymous From (8.1.1 step 4, 9.1.1.1 step 4).</summary>
    public bool RequestAnonymity { get; init; }

    /// <summary>What to do with every incoming INVITE offering MSRP: IM sessions (7, chat; 1-1 and group), Large
    /// Message Mode sessions (9) and deferred pushes (Appendix D.2). Decline answers each of them 603 before the offer is
    /// looked at.</summary>
    public ImSessionAcceptPolicy SessionAcceptPolicy { get; init; } = ImSessionAcceptPolicy.Accept;

    /// <summary>Take the IM Server's deferred-message pushes (Appendix D.2). False answers such SENDs with 403.</summary>
    public bool AcceptDeferredPush { get; init; } = true;

    /// <summary>a=setup of our Large Message Mode offer (RFC 6135; RFC 4975 default: the offerer connects).</summary>
    public MsrpSetup LargeMessageOfferSetup { get; init; } = MsrpSetup.Active;

    /// <summary>Session-Expires of the Large Message Mode INVITE (RFC 4028, refresher=uac, 9.1.1.1 step 6).</summary>
    public int SessionExpiresSeconds { get; init; } = 1800;

    /// <summary>Largest MSRP message accepted (a=max-size); bigger ones get 413.</summary>
    public long MaxIncomingMessageBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>How long to wait for the MSRP connection, the SEND and the BYE of one session.</summary>
    public TimeSpan MsrpTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>First retry delay after a transient failure; doubles per attempt up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Attempts before an outgoing message fails with AttemptsExhausted.</summary>
    public int MaxAttempts { get; init; } = 8;

    /// <summary>Local applications for RFC 3841 routing of incoming requests.</summary>
    public IReadOnlyList<ImApplication> Applications { get; init; } = [];

    /// <summary>The application taking requests no preference routes elsewhere (must be one of <see cref="Applications"/>);
    /// null: the first of <see cref="Applications"/>. Every received message is stored with the application it was
    /// routed to (<see cref="Store.InboxMessage.ApplicationId"/>), null only when no application is configured.</summary>
    public string? DefaultApplicationId { get; init; }

    /// <summary>The default application in force: <see cref="DefaultApplicationId"/>, else the first application.</summary>
    internal string? EffectiveDefaultApplicationId => DefaultApplicationId ?? (Applications.Count > 0 ? Applications[0].Id : null);

    /// <summary>Checks the settings (feature tags, applications, limits); an ArgumentException names the bad one.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(UserAgent);
        ArgumentOutOfRangeException.ThrowIfLessThan(PagerSizeLimit, 200);
        ArgumentOutOfRangeException.ThrowIfLessThan(SessionExpiresSeconds, 90);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxAttempts);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxIncomingMessageBytes);
        if (UserAgent.AsSpan().IndexOfAny('\r', '\n') >= 0)
        {
            throw new ArgumentException("User-Agent must be one line", nameof(UserAgent));
        }

        if (ConferenceFactoryUri is not null && !Sip.Message.SipUri.TryParse(ConferenceFactoryUri, out _))
        {
            throw new ArgumentException($"ConferenceFactoryUri is not a URI: {ConferenceFactoryUri}", nameof(ConferenceFactoryUri));
        }

        ArgumentNullException.ThrowIfNull(Applications);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (ImApplication app in Applications)
        {
            // The id is stored with every message routed to it (one line, the store's short-text cap).
            if (app is null || string.IsNullOrEmpty(app.Id) || app.Id.Length > 256 || app.Id.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0)
            {
                throw new ArgumentException("Application ids must be one line of 1 to 256 characters", nameof(Applications));
            }

            if (!ids.Add(app.Id))
            {
                throw new ArgumentException($"Application id '{app.Id}' appears twice", nameof(Applications));
            }
        }

        if (DefaultApplicationId is not null && !ids.Contains(DefaultApplicationId))
        {
            throw new ArgumentException($"DefaultApplicationId '{DefaultApplicationId}' is not one of the applications", nameof(DefaultApplicationId));
        }

        // Throws naming the bad entry (RFC 3841 / RFC 3840 validation).
        _ = ClientFeatureTagPolicy.Create(new ImFeatureTagSettings { AcceptContact = ApplicationFeatureTags, ContactFeatureTags = ContactFeatureTags });
    }
}
