// SPDX-License-Identifier: MIT
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using ImUeAgent.Im.Client.Large;
using ImUeAgent.Im.Client.Pager;
using ImUeAgent.Im.Client.Sessions;
using ImUeAgent.Im.Content;
using ImUeAgent.Im.FeatureTags;
using ImUeAgent.Im.Store;
using ImUeAgent.Ims.Registration;
using ImUeAgent.Msrp.Sessions;
using ImUeAgent.Sip.Message;
using ImUeAgent.Sip.Ua;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImUeAgent.Im.Client;

/// <summary>An inbox addition for the API: the stored message and the local application RFC 3841 routed it to.</summary>
public sealed record ImInboxEvent(InboxMessage Message)
{
    /// <summary>The application the message was routed to, as stored with it (<see cref="InboxMessage.ApplicationId"/>),
    /// so it is the same live and after a restart; null when no application is configured.</summary>
    public string? ApplicationId => Message.ApplicationId;
}

/// <summary>
/// The OMA SIMPLE IM client over the IMS registration: pager mode (8.1/8.1.1) and Large Message Mode (9) from the
/// durable outbox, IMDN (RFC 5438) both ways, receipt of MESSAGE, large messages and deferred pushes (Appendix D.2)
/// into the durable inbox — every received message is committed before it is acknowledged (SIP 200, MSRP 200).
/// <para>Lifecycle: construct (handlers are set on the registration's UA at once, and again on
/// <see cref="ImsRegistration.UserAgentReplaced"/>), <see cref="Start"/> (the sender loop), <see cref="DisposeAsync"/>.
/// Requests are accepted only from the registered P-CSCF (<see cref="ImsRegistration.RequireRegisteredPcscf"/>);
/// messages are sent only while registered.</para>
/// </summary>
public sealed partial class ImClient : IAsyncDisposable
{
    private readonly ImClientSettings _settings;
    private readonly ImsRegistration _registration;
    private readonly MessageStore _store;
    private readonly MsrpEndpoint _msrp;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ClientFeatureTagPolicy _defaultPolicy;
    private readonly ClientFeatureTagPolicy _imOnlyPolicy;
    private readonly ApplicationSelector _selector;
    private readonly string? _defaultApplicationId;
    private readonly LargeMessageSender _large;
    private readonly ChatSessionRegistry _chats;
    private readonly AsyncSignal _senderWake = new();
    private readonly AsyncSignal _inboxChanged = new();
    private readonly AsyncSignal _outboxChanged = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Task, byte> _background = new();
    private readonly SemaphoreSlim _outboxPublish = new(1, 1);
    private long _lastPublishedSequence;
    private Task? _sender;
    private int _imdnSweepRunning;
    private volatile bool _disposed;

    /// <param name="settings">Client settings (validated here: a bad feature tag throws naming it).</param>
    /// <param name="registration">The IMS registration: its UA carries every request, its state gates sending.</param>
    /// <param name="store">The durable inbox and outbox.</param>
    /// <param name="msrp">The MSRP endpoint (with its listener, for sessions where the peer connects to us).</param>
    public ImClient(ImClientSettings settings, ImsRegistration registration, MessageStore store, MsrpEndpoint msrp,
        TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(registration);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(msrp);
        settings.Validate();
        _settings = settings;
        _registration = registration;
        _store = store;
        _msrp = msrp;
        _time = timeProvider ?? TimeProvider.System;
        _logger = loggerFactory?.CreateLogger("ImUeAgent.Im.Client") ?? NullLogger.Instance;
        _defaultPolicy = ClientFeatureTagPolicy.Create(new ImFeatureTagSettings
        {
            AcceptContact = settings.ApplicationFeatureTags,
            ContactFeatureTags = settings.ContactFeatureTags,
        });
        _imOnlyPolicy = ClientFeatureTagPolicy.Create(new ImFeatureTagSettings { ContactFeatureTags = settings.ContactFeatureTags });
        _defaultApplicationId = settings.EffectiveDefaultApplicationId;
        _selector = new ApplicationSelector(settings.Applications.Select(ToLocalApplication), _defaultApplicationId);
        _large = new LargeMessageSender(settings, msrp, _time, _logger);
        _chats = new ChatSessionRegistry(registry => new ChatSessionHost
        {
            Settings = settings,
            Msrp = msrp,
            Time = _time,
            Logger = _logger,
            ImOnlyPolicy = _imOnlyPolicy,
            OwnOriginator = OwnOriginator,
            PolicyFor = PolicyFor,
            UserAgent = () => _registration.UserAgent,
            Commit = (context, message, body, token) => CommitMsrpAsync(context, message, body, MessageSource.Session, context.CallId, token),
            Track = Track,
            Changed = e =>
            {
                _chats!.Publish(e);
                RaiseSafely(SessionChanged, e);
            },
            ParticipantsChanged = s => RaiseSafely(SessionParticipantsChanged, s),
            SubscriptionChanged = registry.OnSubscriptionChanged,
            Stopping = _stopping.Token,
        }, s => RaiseSafely(SessionStarted, s), _ => _registration.RequireRegisteredPcscf((tx, dialog) => _chats!.OnNotifyAsync(tx, dialog)));
        Attach(registration.UserAgent);
        registration.UserAgentReplaced += Attach;
        registration.StateChanged += OnRegistrationChanged;
    }

    /// <summary>Raised after a new received message was committed (before or right after its acknowledgment went
    /// out). Handlers run on the receiving path: keep them short. <see cref="WatchInboxAsync"/> is the resumable form.</summary>
    public event Action<ImInboxEvent>? InboxAdded;

    /// <summary>An IMDN this client sent for a received message was taken by the network and recorded in
    /// <see cref="InboxMessage.ImdnSent"/> (inbox id, the disposition bit). Raised after the store commit.</summary>
    internal event Action<(long InboxId, ImdnDispositions Sent)>? ImdnRecorded;

    /// <summary>Raised for every delivery-state event of the outbox (sending, sent, delivered, displayed, failed), in
    /// sequence order. <see cref="WatchOutboxAsync"/> is the resumable form.</summary>
    public event Action<OutboxEvent>? OutboxChanged;

    /// <summary>An IM session (7) was created: started here (<see cref="StartChatAsync"/>) or offered by a peer and
    /// accepted per <see cref="ImClientSettings.SessionAcceptPolicy"/>. Raised before it is established.</summary>
    public event Action<ImChatSession>? SessionStarted;

    /// <summary>Every state change of every session (Active, Ended with its reason). <see cref="WatchSessionsAsync"/>
    /// is the stream form.</summary>
    public event Action<ImChatSessionEvent>? SessionChanged;

    /// <summary>A group session's participant list changed (conference event package NOTIFY, RFC 4575).</summary>
    public event Action<ImChatSession>? SessionParticipantsChanged;

    /// <summary>The sessions not yet ended, oldest first.</summary>
    public IReadOnlyList<ImChatSession> Sessions => _chats.List();

    /// <summary>A live session by its id (Call-ID), or null.</summary>
    public ImChatSession? FindSession(string id) => _chats.Find(id);

    /// <summary>The current state of every live session, then each session event, until cancelled.</summary>
    public IAsyncEnumerable<ImChatSessionEvent> WatchSessionsAsync(CancellationToken cancellationToken = default) => _chats.WatchAsync(cancellationToken);

    /// <summary>Starts a 1-1 IM session (7.1.1.1) and returns it once Active (INVITE answered, MSRP connected).
    /// Throws <see cref="ImChatSessionException"/> saying why when it cannot be set up.</summary>
    public Task<ImChatSession> StartChatAsync(string peerUri, ImChatSessionOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (_disposed)
        {
            throw new ImChatSessionException(ImChatSessionError.Stopped, "The IM client is stopped");
        }

        return _chats.StartAsync(peerUri, null, options ?? new ImChatSessionOptions(), cancellationToken);
    }

    /// <summary>Starts an ad-hoc IM group session (7.1.1.1): INVITE to the conference factory with the participants
    /// as an RFC 5366 URI list, then a subscription to the focus's conference state (participants in
    /// <see cref="ImChatSession.Participants"/>).</summary>
    public Task<ImChatSession> StartGroupChatAsync(IReadOnlyList<string> participants, ImChatSessionOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(participants);
        if (_disposed)
        {
            throw new ImChatSessionException(ImChatSessionError.Stopped, "The IM client is stopped");
        }

        return _chats.StartAsync(null, participants, options ?? new ImChatSessionOptions(), cancellationToken);
    }

    /// <summary>Starts the sender loop (sends queued messages whenever registered).</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_sender is not null)
        {
            return;
        }

        // Live events start after what the store already holds; WatchOutboxAsync replays from any cursor.
        while (true)
        {
            IReadOnlyList<OutboxEvent> old = await _store.ReadOutboxEventsAsync(_lastPublishedSequence, 500, cancellationToken).ConfigureAwait(false);
            if (old.Count == 0)
            {
                break;
            }

            _lastPublishedSequence = old[^1].Sequence;
        }

        _sender = Task.Run(() => RunSenderAsync(_stopping.Token), CancellationToken.None);
        if (IsRegistered)
        {
            StartImdnSweep();
        }
    }

    /// <summary>
    /// Accepts a message from an application: checks it (recipients, Content-Type, feature tags; an
    /// <see cref="ImSendException"/> says what is wrong and nothing is stored), commits it to the outbox and returns
    /// once it is on disk — acknowledge to the application then. It is sent when registered and retried with backoff.
    /// Several recipients make an ad-hoc group message (8.1.1 step 6); a pre-defined group is one recipient, its group
    /// identity (step 7). <see cref="NewOutboxMessage.FeatureTags"/> overrides the configured application tags.
    /// </summary>
    public async Task<OutboxEnqueueResult> SendAsync(NewOutboxMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (_disposed)
        {
            throw new ImSendException(ImSendError.Stopped, "The IM client is stopped");
        }

        CheckOutgoing(message.Recipients, message.ContentType, message.FeatureTags);
        OutboxEnqueueResult result = await _store.EnqueueAsync(message, cancellationToken).ConfigureAwait(false);
        _senderWake.Set();
        await PublishOutboxAsync().ConfigureAwait(false);
        return result;
    }

    /// <summary>A message referring to content stored elsewhere (8.1.1 step 9, RFC 4483 message/external-body).</summary>
    public static NewOutboxMessage CreateExternalBodyMessage(IReadOnlyList<string> recipients, ExternalBodyReference reference,
        ImdnDispositions imdn = ImdnDispositions.None, string? applicationRef = null)
    {
        byte[] body = ExternalBody.Build(reference, out MediaType contentType);
        return new NewOutboxMessage
        {
            Recipients = recipients,
            ContentType = contentType.ToString(),
            Body = body,
            ImdnRequested = imdn,
            ApplicationRef = applicationRef,
        };
    }

    /// <summary>The application showed a received message: sends the "displayed" IMDN when its sender asked for one
    /// and none was sent yet (RFC 5438 §7.1.1). False when there is nothing to send or it could not be sent now.</summary>
    public async Task<bool> SendDisplayNotificationAsync(long inboxId, CancellationToken cancellationToken = default)
    {
        InboxMessage? m = await _store.GetInboxMessageAsync(inboxId, cancellationToken).ConfigureAwait(false);
        if (m is null || (m.ImdnRequested & ImdnDispositions.Display) == 0 || (m.ImdnSent & ImdnDispositions.Display) != 0
            || m.MessageId is null || m.SenderUri is null)
        {
            return false;
        }

        return await SendImdnAsync(m.Id, m.MessageId, m.SenderUri, m.OriginalDate ?? m.ReceivedAt, ImdnNotificationKind.Display, ImdnStatus.Displayed,
            ImdnDispositions.Display, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Received messages not yet acknowledged, with id above <paramref name="afterId"/>, then each new one as it
    /// is committed, until cancelled. Resumable across restarts (at-least-once toward the application).</summary>
    public async IAsyncEnumerable<ImInboxEvent> WatchInboxAsync(long afterId = 0, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task changed = _inboxChanged.WaitAsync();
            IReadOnlyList<InboxMessage> page = await _store.ListUndeliveredAsync(afterId, 100, cancellationToken).ConfigureAwait(false);
            foreach (InboxMessage m in page)
            {
                afterId = m.Id;
                yield return new ImInboxEvent(m);
            }

            if (page.Count == 0)
            {
                await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The delivery-state stream from a cursor: outbox events with sequence above
    /// <paramref name="afterSequence"/>, then each new one, until cancelled.</summary>
    public async IAsyncEnumerable<OutboxEvent> WatchOutboxAsync(long afterSequence = 0, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task changed = _outboxChanged.WaitAsync();
            IReadOnlyList<OutboxEvent> page = await _store.ReadOutboxEventsAsync(afterSequence, 100, cancellationToken).ConfigureAwait(false);
            foreach (OutboxEvent e in page)
            {
                afterSequence = e.Sequence;
                yield return e;
            }

            if (page.Count == 0)
            {
                await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _registration.UserAgentReplaced -= Attach;
        _registration.StateChanged -= OnRegistrationChanged;
        // Sessions end with BYE while the UA is still there.
        await _chats.StopAllAsync().ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (IncomingSessionEntry entry in _incoming.Values)
        {
            entry.Bye.TrySetResult();
        }

        if (_sender is not null)
        {
            await _sender.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        foreach (Task t in _background.Keys)
        {
            await t.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _stopping.Dispose();
        _outboxPublish.Dispose();
    }

    // ---- registration ----

    private bool IsRegistered => _registration.State.Status == RegistrationStatus.Registered;

    private void Attach(SipUserAgent userAgent)
    {
        userAgent.SetHandler(SipMethod.Message, _registration.RequireRegisteredPcscf(OnMessageAsync));
        userAgent.SetHandler(SipMethod.Invite, _registration.RequireRegisteredPcscf((tx, dialog) => OnInviteAsync(userAgent, tx, dialog)));
        userAgent.SetHandler(SipMethod.Bye, _registration.RequireRegisteredPcscf(OnByeAsync));
        userAgent.SetHandler(SipMethod.Update, _registration.RequireRegisteredPcscf(OnUpdateAsync));
    }

    private void OnRegistrationChanged(RegistrationState state)
    {
        _senderWake.Set();
        if (state.Status == RegistrationStatus.Registered && _sender is not null)
        {
            StartImdnSweep();
        }
    }

    /// <summary>The own IM address: the first registered SIP public identity (P-Associated-URI order, RFC 7315 §4.1).</summary>
    private Originator? OwnOriginator(bool anonymous)
    {
        RegistrationState state = _registration.State;
        if (state.Status != RegistrationStatus.Registered)
        {
            return null;
        }

        foreach (string identity in state.PublicIdentities)
        {
            if (SipUri.TryParse(identity, out SipUri? uri) && uri.Scheme is SipUriScheme.Sip or SipUriScheme.Sips)
            {
                return new Originator(uri, anonymous);
            }
        }

        return null;
    }

    // ---- helpers ----

    private void Track(Task task)
    {
        _background[task] = 0;
        _ = task.ContinueWith(t => _background.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void CheckOutgoing(IReadOnlyList<string> recipients, string contentType, IReadOnlyList<string> featureTags)
    {
        if (recipients is null || recipients.Count == 0)
        {
            throw new ImSendException(ImSendError.InvalidRecipient, "At least one recipient");
        }

        for (int i = 0; i < recipients.Count; i++)
        {
            if (recipients[i] is null || !SipUri.TryParse(recipients[i], out SipUri? uri) || uri.Scheme is not (SipUriScheme.Sip or SipUriScheme.Sips or SipUriScheme.Tel))
            {
                throw new ImSendException(ImSendError.InvalidRecipient, $"Recipient {i} is not a SIP, SIPS or tel URI");
            }
        }

        if (recipients.Count > 1 && _settings.ConferenceFactoryUri is null)
        {
            throw new ImSendException(ImSendError.NoConferenceFactory, "Several recipients need the conference factory URI (8.1.1 step 6b)");
        }

        if (contentType is null || !MimeMediaType.TryParse(contentType, out _))
        {
            throw new ImSendException(ImSendError.InvalidContentType, "Content-Type is not type/subtype with parameters (RFC 2045 §5.1)");
        }

        if (featureTags is { Count: > 0 })
        {
            try
            {
                _ = PolicyFor(featureTags);
            }
            catch (ArgumentException e)
            {
                throw new ImSendException(ImSendError.InvalidFeatureTag, e.Message);
            }
        }
    }

    private ClientFeatureTagPolicy PolicyFor(IReadOnlyList<string> featureTags) =>
        featureTags.Count == 0 ? _defaultPolicy
            : ClientFeatureTagPolicy.Create(new ImFeatureTagSettings { AcceptContact = featureTags, ContactFeatureTags = _settings.ContactFeatureTags });

    private static LocalApplication ToLocalApplication(ImApplication app)
    {
        var features = new List<FeatureParameter>();
        foreach (string tag in app.FeatureTags)
        {
            if (!CallerPreferences.TryParseFeatureParameters(tag, out IReadOnlyList<FeatureParameter> parsed))
            {
                throw new ArgumentException($"Application {app.Id}: '{tag}' is not a list of RFC 3840 feature parameters", nameof(app));
            }

            features.AddRange(parsed);
        }

        return new LocalApplication(app.Id, features);
    }

    private async Task PublishOutboxAsync()
    {
        try
        {
            await _outboxPublish.WaitAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        try
        {
            while (true)
            {
                IReadOnlyList<OutboxEvent> events = await _store.ReadOutboxEventsAsync(_lastPublishedSequence, 100).ConfigureAwait(false);
                foreach (OutboxEvent e in events)
                {
                    _lastPublishedSequence = e.Sequence;
                    RaiseSafely(OutboxChanged, e);
                }

                if (events.Count < 100)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is MessageStoreException or ObjectDisposedException)
        {
            ClientLog.StoreFailed(_logger, e, "reading delivery events");
        }
        finally
        {
            _outboxPublish.Release();
        }

        _outboxChanged.Set();
    }

    private void RaiseSafely<T>(Action<T>? handler, T value)
    {
        if (handler is null)
        {
            return;
        }

        try
        {
            handler(value);
        }
#pragma warning disable CA1031 // An application's event handler must not break the receiving or sending path.
        catch (Exception e)
#pragma warning restore CA1031
        {
            ClientLog.EventHandlerFailed(_logger, e, typeof(T).Name);
        }
    }
}
