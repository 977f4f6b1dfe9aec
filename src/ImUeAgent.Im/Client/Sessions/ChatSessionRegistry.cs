// SPDX-License-Identifier: MIT
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ImUeAgent.Im.Client.Large;
using ImUeAgent.Im.Client.Pager;
using ImUeAgent.Im.FeatureTags;
using ImUeAgent.Msrp.Sdp;
using ImUeAgent.Sip.Dialogs;
using ImUeAgent.Sip.Message;
using ImUeAgent.Sip.Transactions;
using ImUeAgent.Sip.Ua;

namespace ImUeAgent.Im.Client.Sessions;

/// <summary>The IM sessions of one client by Call-ID: starts them (7.1.1.1), accepts incoming ones, and routes the
/// requests within them (re-INVITE/UPDATE refreshes, BYE, the conference NOTIFYs of group sessions).</summary>
internal sealed class ChatSessionRegistry
{
    private readonly ChatSessionHost _host;
    private readonly ConcurrentDictionary<string, ImChatSession> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConferenceSubscription> _subscriptions = new(StringComparer.Ordinal);
    private readonly Action<ImChatSession> _started;
    private readonly Func<SipUserAgent, SipRequestHandler> _notifyHandler;
    private readonly ConcurrentDictionary<SipUserAgent, byte> _notifyInstalled = new();
    private readonly Lock _watchersGate = new();
    private readonly List<Channel<ImChatSessionEvent>> _watchers = [];

    /// <param name="started">Raised when a session is created (either direction), before it is answered/established.</param>
    /// <param name="notifyHandler">Wraps <see cref="OnNotifyAsync"/> for a UA (the client adds its P-CSCF check).</param>
    public ChatSessionRegistry(Func<ChatSessionRegistry, ChatSessionHost> host, Action<ImChatSession> started, Func<SipUserAgent, SipRequestHandler> notifyHandler)
    {
        _host = host(this);
        _started = started;
        _notifyHandler = notifyHandler;
    }

    public IReadOnlyList<ImChatSession> List() => [.. _sessions.Values.Where(s => s.State != ImChatSessionState.Ended).OrderBy(s => s.StartedAt)];

    /// <summary>The current state of every live session, then each session event (started, active, ended) as it
    /// happens, until cancelled. At least once: a change racing the snapshot may come twice.</summary>
    public async IAsyncEnumerable<ImChatSessionEvent> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateUnbounded<ImChatSessionEvent>(new UnboundedChannelOptions { SingleReader = true });
        lock (_watchersGate)
        {
            _watchers.Add(channel);
        }

        try
        {
            foreach (ImChatSession s in List())
            {
                yield return new ImChatSessionEvent(s, s.State, s.EndReason, s.EndStatusCode);
            }

            await foreach (ImChatSessionEvent e in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return e;
            }
        }
        finally
        {
            lock (_watchersGate)
            {
                _watchers.Remove(channel);
            }
        }
    }

    /// <summary>Feeds the watchers (the client calls it for every session state change).</summary>
    public void Publish(ImChatSessionEvent e)
    {
        lock (_watchersGate)
        {
            foreach (Channel<ImChatSessionEvent> w in _watchers)
            {
                w.Writer.TryWrite(e);
            }
        }
    }

    public ImChatSession? Find(string id) => _sessions.TryGetValue(id, out ImChatSession? s) ? s : null;

    /// <summary>7.1.1.1: a 1-1 session (<paramref name="participants"/> null) or an ad-hoc group session through the
    /// conference factory.</summary>
    public async Task<ImChatSession> StartAsync(string? peerUri, IReadOnlyList<string>? participants, ImChatSessionOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (_host.Stopping.IsCancellationRequested)
        {
            throw new ImChatSessionException(ImChatSessionError.Stopped, "The IM client is stopped");
        }

        string? factory = _host.Settings.ConferenceFactoryUri;
        if (participants is not null)
        {
            if (participants.Count == 0)
            {
                throw new ImChatSessionException(ImChatSessionError.InvalidPeer, "A group session needs at least one participant");
            }

            for (int i = 0; i < participants.Count; i++)
            {
                CheckPeer(participants[i], $"Participant {i}");
            }

            if (factory is null)
            {
                throw new ImChatSessionException(ImChatSessionError.NoConferenceFactory, "A group session needs the conference factory URI");
            }
        }
        else
        {
            CheckPeer(peerUri, "The peer");
        }

        ClientFeatureTagPolicy policy;
        try
        {
            policy = _host.PolicyFor(options.FeatureTags ?? []);
        }
        catch (ArgumentException e)
        {
            throw new ImChatSessionException(ImChatSessionError.InvalidFeatureTag, e.Message);
        }

        Originator originator = _host.OwnOriginator(options.Anonymous ?? _host.Settings.RequestAnonymity)
            ?? throw new ImChatSessionException(ImChatSessionError.NotRegistered, "Not registered: no own IM address");
        SipUserAgent userAgent = _host.UserAgent();
        string callId = SipUserAgent.NewTag();
        string fromTag = SipUserAgent.NewTag();
        bool group = participants is not null;
        string peer = group ? factory! : peerUri!;
        // Messages from the peer: CPIM From when present (a focus wraps them, RFC 5438/OMA), else the peer.
        var context = new IncomingSessionContext(callId, group ? null : peer, null, originator.ImAddress.ToString(), null);
        var session = new ImChatSession(_host, userAgent, callId, ImChatDirection.Originating, peer, null, participants ?? [], group, originator, context);
        _sessions[callId] = session;
        session.StateChanged += e => Forget(e);
        Publish(new ImChatSessionEvent(session, ImChatSessionState.Establishing, ImChatSessionEndReason.None, null));
        _started(session);
        string offer = session.CreateOffer();
        ContactValue contact = _host.ImOnlyPolicy.BuildContact(userAgent.ContactUri(null));
        await session.EstablishAsync((cseq, sessionExpires) => ChatRequestFactory.BuildInvite(group ? null : peer, participants, factory, offer, originator, policy,
            _host.Settings.UserAgent, callId, fromTag, cseq, contact, sessionExpires, options.Subject), cancellationToken).ConfigureAwait(false);
        return session;
    }

    /// <summary>Accepts an incoming session INVITE (policy already applied by the client): answers it and reports it.</summary>
    public void Accept(SipUserAgent userAgent, SipServerTransaction tx, MsrpMediaDescription offer, string? applicationId)
    {
        SipRequest request = tx.Request;
        SessionInterval? interval = SessionInterval.FromRequest(request, out bool tooSmall);
        if (tooSmall)
        {
            // RFC 4028 §9: below our minimum: 422 with Min-SE.
            tx.Respond(SipMessageBuilder.ResponseTo(request, 422, toTag: SipUserAgent.NewTag())
                .Add(SipHeaderId.MinSE, SessionInterval.MinimumSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)).BuildResponse());
            return;
        }

        string callId = request.Headers.CallId!;
        if (_sessions.ContainsKey(callId))
        {
            tx.Respond(SipMessageBuilder.ResponseTo(request, 482, "Loop Detected - Call-ID already in a session", toTag: SipUserAgent.NewTag()).BuildResponse());
            return;
        }

        NameAddress? sender = request.Headers.PAssertedIdentity is { Count: > 0 } pai ? pai[0] : request.Headers.From;
        bool group = request.Headers.Contact is { Count: > 0 } c && c[0].Parameters.Contains("isfocus");
        string peer = sender?.Uri.ToString() ?? Originator.AnonymousUri.ToString();
        var context = new IncomingSessionContext(callId, group ? null : peer, group ? null : sender?.DisplayName, request.Headers.To?.Uri.ToString(), applicationId);
        var session = new ImChatSession(_host, userAgent, callId, ImChatDirection.Terminating, peer, sender?.DisplayName, [], group,
            _host.OwnOriginator(false), context);
        _sessions[callId] = session;
        session.StateChanged += e => Forget(e);
        Publish(new ImChatSessionEvent(session, ImChatSessionState.Establishing, ImChatSessionEndReason.None, null));
        _started(session);
        session.Answer(tx, offer, interval);
    }

    /// <summary>A re-INVITE or UPDATE within a session dialog; false when no session has this Call-ID.</summary>
    public bool OnRefreshRequest(SipServerTransaction tx)
    {
        if (tx.Request.Headers.CallId is not { } callId || !_sessions.TryGetValue(callId, out ImChatSession? session))
        {
            return false;
        }

        session.OnRefreshRequest(tx);
        return true;
    }

    /// <summary>A BYE (already answered 200 by the client) for a session.</summary>
    public void OnBye(string callId)
    {
        if (_sessions.TryGetValue(callId, out ImChatSession? session))
        {
            session.OnRemoteBye();
        }
    }

    /// <summary>NOTIFY: a conference subscription's by Call-ID, else 481 (RFC 6665 §4.1.3).</summary>
    public ValueTask OnNotifyAsync(SipServerTransaction tx, SipDialog? dialog)
    {
        if (tx.Request.Headers.CallId is { } callId && _subscriptions.TryGetValue(callId, out ConferenceSubscription? subscription)
            && tx.Request.Headers.To?.Tag == subscription.FromTag)
        {
            subscription.OnNotify(tx);
        }
        else
        {
            tx.Respond(SipMessageBuilder.ResponseTo(tx.Request, 481, "Call/Transaction Does Not Exist - no such subscription").BuildResponse());
        }

        return ValueTask.CompletedTask;
    }

    internal void OnSubscriptionChanged(ConferenceSubscription subscription, SipUserAgent userAgent, bool active)
    {
        if (!active)
        {
            _subscriptions.TryRemove(subscription.CallId, out _);
            return;
        }

        _subscriptions[subscription.CallId] = subscription;
        if (_notifyInstalled.TryAdd(userAgent, 0))
        {
            // NOTIFYs are dispatched by event package: the registration's "reg" handler stays in place.
            userAgent.SetNotifyHandler("conference", _notifyHandler(userAgent));
        }
    }

    /// <summary>Ends every session (BYE) as the client stops.</summary>
    public async Task StopAllAsync()
    {
        foreach (ImChatSession s in _sessions.Values)
        {
            await s.StopAsync().ConfigureAwait(false);
        }
    }

    private void Forget(ImChatSessionEvent e)
    {
        if (e.State == ImChatSessionState.Ended)
        {
            _sessions.TryRemove(new KeyValuePair<string, ImChatSession>(e.Session.CallId, e.Session));
        }
    }

    private static void CheckPeer(string? uri, string what)
    {
        if (uri is null || !SipUri.TryParse(uri, out SipUri? parsed) || parsed.Scheme is not (SipUriScheme.Sip or SipUriScheme.Sips or SipUriScheme.Tel))
        {
            throw new ImChatSessionException(ImChatSessionError.InvalidPeer, what + " is not a SIP, SIPS or tel URI");
        }
    }
}
