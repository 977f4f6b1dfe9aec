// SPDX-License-Identifier: MIT
using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using ImUeAgent.Msrp.Sessions;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Testbed.Im;

/// <summary>The state the conference focus keeps: conferences, their users (one SIP dialog and one MSRP session each),
/// and the conference-event subscriptions. Every change of a conference happens under its <see cref="Conference.Gate"/>,
/// and the NOTIFYs it causes are queued in the same critical section, so each subscriber sees the changes in order.</summary>
internal sealed partial class ImServer
{
    /// <summary>User part of a conference URI (RFC 4353 §6: the focus hands it out as Contact with ;isfocus).</summary>
    private const string ConferenceUserPrefix = "im-conf-";

    /// <summary>Messages waiting for one participant's MSRP session; a participant this far behind loses the newest.</summary>
    private const int ConferenceOutboxCapacity = 128;

    /// <summary>NOTIFYs waiting for one subscriber; one this far behind loses the subscription (RFC 6665 §4.2.2).</summary>
    private const int ConferenceNotifyBacklog = 32;

    /// <summary>Subscriptions per conference.</summary>
    private const int MaxConferenceSubscriptions = 32;

    private readonly ConcurrentDictionary<string, Conference> _conferences = new(StringComparer.Ordinal);

    /// <summary>Conferences in progress (for tests and the control port).</summary>
    public int ConferenceCount => _conferences.Count;

    private static bool IsConferenceUri(SipUri uri) =>
        uri.Scheme is SipUriScheme.Sip or SipUriScheme.Sips && uri.User is { } user && user.StartsWith(ConferenceUserPrefix, StringComparison.Ordinal);

    /// <summary>One side of a SIP dialog the focus holds (RFC 3261 §12): what its own in-dialog requests need. The
    /// core does not record-route the focus's dialogs, so there is no route set.</summary>
    private sealed class FocusDialog(string callId, string localParty, string remoteParty, SipUri remoteTarget)
    {
        private uint _cseq;

        public string CallId { get; } = callId;

        /// <summary>The focus's name-addr with its tag (From of what it sends).</summary>
        public string LocalParty { get; } = localParty;

        /// <summary>The peer's name-addr with its tag (To of what the focus sends).</summary>
        public string RemoteParty { get; } = remoteParty;

        public SipUri RemoteTarget { get; } = remoteTarget;

        /// <summary>RFC 3261 §12.2.1.1: one more than the last local CSeq (the INVITE's 1 for a dialog the focus began).</summary>
        public uint NextCSeq() => Interlocked.Increment(ref _cseq);

        public void StartCSeqAt(uint last) => _cseq = last;
    }

    /// <summary>An ad-hoc IM group session (RFC 4353 conference, RFC 5366 creation).</summary>
    private sealed class Conference(string user, string uri, string originator, SipRequest invite)
    {
        private int _mediaIds;

        public Lock Gate { get; } = new();

        /// <summary>The conference URI's user part: the key of <see cref="_conferences"/>.</summary>
        public string User { get; } = user;

        /// <summary>The conference URI (entity of its conference-info).</summary>
        public string Uri { get; } = uri;

        /// <summary>The inviting user's asserted IM address.</summary>
        public string Originator { get; } = originator;

        /// <summary>The INVITE that created it: Accept-Contact, Privacy and Subject of the INVITEs the focus sends.</summary>
        public SipRequest Invite { get; } = invite;

        public string? Subject => Invite.Headers.Subject;

        public List<ConferenceParticipant> Participants { get; } = [];

        public List<ConferenceSubscription> Subscriptions { get; } = [];

        public bool Ended { get; set; }

        public int NextMediaId() => Interlocked.Increment(ref _mediaIds);

        public ConferenceParticipant? Find(string callId)
        {
            foreach (var participant in Participants)
            {
                if (participant.Dialog is { } dialog && string.Equals(dialog.CallId, callId, StringComparison.Ordinal))
                {
                    return participant;
                }
            }

            return null;
        }

        public int UserCount => Participants.Count(p => p.Status == ConferenceEndpointStatus.Connected);
    }

    /// <summary>One user's part in a conference: its dialog with the focus, its MSRP session and the queue of messages
    /// the others sent it. A user who leaves and joins again gets a new one.</summary>
    private sealed class ConferenceParticipant(string identity, string? displayName, bool anonymous, ConferenceJoiningMethod joiningMethod, int mediaId)
    {
        public string Identity { get; } = identity;

        public string? DisplayName { get; } = anonymous ? null : displayName;

        /// <summary>RFC 3323/3325: Privacy asked; the others see the anonymous URI, not <see cref="Identity"/>.</summary>
        public bool Anonymous { get; } = anonymous;

        public ConferenceJoiningMethod JoiningMethod { get; } = joiningMethod;

        public int MediaId { get; } = mediaId;

        public ConferenceEndpointStatus Status { get; set; } = joiningMethod == ConferenceJoiningMethod.DialedOut ? ConferenceEndpointStatus.DialingOut
            : ConferenceEndpointStatus.DialingIn;

        public DateTimeOffset? JoinedAt { get; set; }

        public string? JoinedBy { get; init; }

        public ConferenceDisconnectionMethod? DisconnectionMethod { get; set; }

        public DateTimeOffset? DisconnectedAt { get; set; }

        public string? DisconnectionReason { get; set; }

        public FocusDialog? Dialog { get; set; }

        public string? EndpointEntity { get; set; }

        public MsrpSession? Session { get; set; }

        /// <summary>The peer's a=accept-types: decides whether it gets message/cpim or the bare content.</summary>
        public IReadOnlyList<string> PeerAcceptTypes { get; set; } = ["*"];

        public Channel<RelayedMessage> Outbox { get; } = Channel.CreateBounded<RelayedMessage>(new BoundedChannelOptions(ConferenceOutboxCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });

        /// <summary>Cancelled when the participant leaves: its media task (which also watches the server's stop) ends and
        /// closes its MSRP session. Never linked, so it holds no registration and needs no disposal.</summary>
        public CancellationTokenSource Stop { get; } = new();

        /// <summary>What the others see: the IM address, or a per-conference anonymous URI (RFC 4575 §5.6 wants a
        /// unique entity per user; RFC 3323 §4.1.1.3 the anonymous.invalid domain).</summary>
        public string PublicEntity => Anonymous ? "sip:anonymous-" + MediaId.ToString(CultureInfo.InvariantCulture) + "@anonymous.invalid" : Identity;

        public bool IsLive => Status != ConferenceEndpointStatus.Disconnected;

        public void Disconnect(ConferenceDisconnectionMethod method, string? reason, DateTimeOffset now)
        {
            Status = ConferenceEndpointStatus.Disconnected;
            DisconnectionMethod = method;
            DisconnectionReason = reason;
            DisconnectedAt = now;
            Outbox.Writer.TryComplete();
        }

        public ConferenceUserInfo Snapshot() => new()
        {
            Entity = PublicEntity,
            DisplayText = DisplayName,
            EndpointEntity = Anonymous ? null : EndpointEntity,
            Status = Status,
            JoiningMethod = JoiningMethod,
            JoinedAt = JoinedAt,
            JoinedBy = JoinedBy,
            DisconnectionMethod = DisconnectionMethod,
            DisconnectedAt = DisconnectedAt,
            DisconnectionReason = DisconnectionReason,
            MediaId = MediaId,
        };
    }

    /// <summary>A message for one participant: the content type and bytes it gets (wrapped or not for it).</summary>
    private sealed record RelayedMessage(string ContentType, ReadOnlyMemory<byte> Body, string Sender);

    /// <summary>A conference-event subscription (RFC 4575 §3, RFC 6665): its dialog (the focus is the UAS side), the
    /// per-subscription document version (§5.1), its lifetime and the queue of NOTIFYs still to send.</summary>
    private sealed class ConferenceSubscription(FocusDialog dialog, string watcher, string eventHeader)
    {
        public FocusDialog Dialog { get; } = dialog;

        public string Watcher { get; } = watcher;

        /// <summary>The SUBSCRIBE's Event value (with its id parameter, RFC 6665 §8.2.1) for the NOTIFYs.</summary>
        public string EventHeader { get; } = eventHeader;

        public uint Version { get; set; }

        public DateTimeOffset ExpiresAt { get; set; }

        public ITimer? Timer { get; set; }

        public Channel<ConferenceNotify> Queue { get; } = Channel.CreateBounded<ConferenceNotify>(new BoundedChannelOptions(ConferenceNotifyBacklog)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>One NOTIFY to send: the conference-info body and the Subscription-State (RFC 6665 §8.2.3).</summary>
    private sealed record ConferenceNotify(byte[] Body, string SubscriptionState);
}
