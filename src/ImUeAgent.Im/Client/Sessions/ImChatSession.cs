// SPDX-License-Identifier: MIT
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;
using ImUeAgent.Im.Client.Large;
using ImUeAgent.Im.Client.Pager;
using ImUeAgent.Im.Content;
using ImUeAgent.Im.Store;
using ImUeAgent.Msrp;
using ImUeAgent.Msrp.Framing;
using ImUeAgent.Msrp.Sdp;
using ImUeAgent.Msrp.Sessions;
using ImUeAgent.Sip.Dialogs;
using ImUeAgent.Sip.Message;
using ImUeAgent.Sip.Transactions;
using ImUeAgent.Sip.Ua;

namespace ImUeAgent.Im.Client.Sessions;

/// <summary>
/// One IM session (OMA SIMPLE IM 7): a SIP dialog with MSRP media, 1-1 or an ad-hoc group through a conference
/// focus. Messages go out with <see cref="SendAsync(ReadOnlyMemory{byte}, string, ImdnDispositions, CancellationToken)"/>
/// (returns at the MSRP 200); received ones are committed to the inbox (<see cref="MessageSource.Session"/>,
/// ConversationId = <see cref="Id"/>) before their MSRP 200, and raised as the client's InboxAdded. The RFC 4028
/// session timer runs on the client's <see cref="TimeProvider"/>: the refresher refreshes at half the interval (UPDATE
/// when the peer allows it, else re-INVITE); the other side ends the session when no refresh comes.
/// </summary>
public sealed class ImChatSession : IAsyncDisposable
{
    private const string TextPlain = "text/plain;charset=UTF-8";
    private static readonly TimeSpan GlareRetry = TimeSpan.FromSeconds(2);

    private readonly ChatSessionHost _host;
    private readonly SipUserAgent _userAgent;
    private readonly MsrpSession _msrp;
    private readonly IncomingMsrpSession _inbound;
    private readonly Originator? _originator;
    private readonly Lock _gate = new();
    private readonly List<Channel<ImChatSessionEvent>> _watchers = [];
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _establishing = new();
    private SipDialog? _dialog;
    private MsrpMediaDescription? _remoteMedia;
    private MsrpMediaDescription? _localMedia;
    private string? _localSdp;
    private long _sdpVersion;
    private SessionInterval? _interval;
    private ITimer? _timer;
    private int _timerGeneration;
    private IReadOnlyList<string> _peerAllow = [];
    private string? _peerContact;
    private string? _focusUri;
    private ConferenceSubscription? _conference;
    private IReadOnlyList<ImChatParticipant> _participants = [];
    private ImChatSessionState _state = ImChatSessionState.Establishing;
    private ImChatSessionEndReason _endReason;
    private int? _endStatus;
    private bool _localByeRequested;
    private DateTimeOffset? _lastRefreshedAt;

    internal ImChatSession(ChatSessionHost host, SipUserAgent userAgent, string callId, ImChatDirection direction, string peerUri, string? peerDisplayName,
        IReadOnlyList<string> invited, bool isGroup, Originator? originator, IncomingSessionContext context)
    {
        _host = host;
        _userAgent = userAgent;
        CallId = callId;
        Direction = direction;
        PeerUri = peerUri;
        PeerDisplayName = peerDisplayName;
        InvitedParticipants = invited;
        IsGroup = isGroup;
        _originator = originator;
        ApplicationId = context.ApplicationId;
        StartedAt = host.Time.GetUtcNow();
        _inbound = new IncomingMsrpSession(context, host.Settings.MaxIncomingMessageBytes, host.Commit);
        _msrp = host.Msrp.CreateSession(_inbound, new MsrpSessionOptions
        {
            AcceptTypes = [.. LocalAcceptTypes, Imdn.ContentType],
            MaxMessageSize = host.Settings.MaxIncomingMessageBytes,
            TransactionTimeout = host.Settings.MsrpTimeout,
        });
    }

    /// <summary>a=accept-types of this side (brief: message/cpim and text/plain; anything inside CPIM).</summary>
    internal static IReadOnlyList<string> LocalAcceptTypes { get; } = ["message/cpim", "text/plain"];

    internal static IReadOnlyList<string> LocalAcceptWrappedTypes { get; } = ["*"];

    /// <summary>The session's id: its Call-ID (also the ConversationId of the messages it brings in).</summary>
    public string Id => CallId;

    public string CallId { get; }

    public ImChatDirection Direction { get; }

    /// <summary>True for an ad-hoc group session through a conference focus (or an invitation from one: isfocus).</summary>
    public bool IsGroup { get; }

    /// <summary>1-1: the peer's IM address. Group: the conference factory URI we invited, or the focus that invited us.</summary>
    public string PeerUri { get; }

    public string? PeerDisplayName { get; }

    /// <summary>Group sessions started here: the participants put in the URI list (RFC 5366).</summary>
    public IReadOnlyList<string> InvitedParticipants { get; }

    /// <summary>The session identity of a group session (the focus Contact of the 2xx, with isfocus), once known.</summary>
    public string? FocusUri => Volatile.Read(ref _focusUri);

    /// <summary>7.1.1.1: the methods the peer said it supports (Allow of its INVITE or 2xx).</summary>
    public IReadOnlyList<string> PeerAllow => Volatile.Read(ref _peerAllow);

    /// <summary>7.1.1.1: the peer's Contact (the dialog's remote target at establishment).</summary>
    public string? PeerContact => Volatile.Read(ref _peerContact);

    public DateTimeOffset StartedAt { get; }

    /// <summary>Incoming sessions: the local application RFC 3841 routing chose (null: the default/none).</summary>
    public string? ApplicationId { get; }

    public ImChatSessionState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    public ImChatSessionEndReason EndReason
    {
        get
        {
            lock (_gate)
            {
                return _endReason;
            }
        }
    }

    /// <summary>The SIP status that ended the session (a rejected INVITE, a failed refresh), when there was one.</summary>
    public int? EndStatusCode
    {
        get
        {
            lock (_gate)
            {
                return _endStatus;
            }
        }
    }

    /// <summary>The negotiated session interval in seconds (RFC 4028), null without a session timer.</summary>
    public int? SessionExpiresSeconds
    {
        get
        {
            lock (_gate)
            {
                return _interval is { } i ? (int)i.Seconds : null;
            }
        }
    }

    /// <summary>True when this side refreshes the session (RFC 4028 refresher).</summary>
    public bool IsRefresher
    {
        get
        {
            lock (_gate)
            {
                return _interval is { LocalRefresher: true };
            }
        }
    }

    /// <summary>When the session was last refreshed (RFC 4028: our refresh answered 2xx, or the peer's answered by us).</summary>
    public DateTimeOffset? LastRefreshedAt
    {
        get
        {
            lock (_gate)
            {
                return _lastRefreshedAt;
            }
        }
    }

    /// <summary>Observes completed refreshes (tests wait on it before moving the clock on).</summary>
    internal event Action<ImChatSession>? Refreshed;

    /// <summary>Group sessions: the participants the focus reported (RFC 4575), in its order.</summary>
    public IReadOnlyList<ImChatParticipant> Participants => Volatile.Read(ref _participants);

    /// <summary>Each state change (Establishing → Active → Ended). Handlers run on the protocol path: keep them short.</summary>
    public event Action<ImChatSessionEvent>? StateChanged;

    /// <summary>Group sessions: the participant list changed (a NOTIFY of the conference event package was applied).</summary>
    public event Action<ImChatSession>? ParticipantsChanged;

    /// <summary>The current state, then every change, ending after <see cref="ImChatSessionState.Ended"/>.</summary>
    public async IAsyncEnumerable<ImChatSessionEvent> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateUnbounded<ImChatSessionEvent>(new UnboundedChannelOptions { SingleReader = true });
        lock (_gate)
        {
            channel.Writer.TryWrite(new ImChatSessionEvent(this, _state, _endReason, _endStatus));
            if (_state == ImChatSessionState.Ended)
            {
                channel.Writer.TryComplete();
            }
            else
            {
                _watchers.Add(channel);
            }
        }

        try
        {
            await foreach (ImChatSessionEvent e in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return e;
            }
        }
        finally
        {
            lock (_gate)
            {
                _watchers.Remove(channel);
            }
        }
    }

    /// <summary>Sends UTF-8 text (text/plain) in the session.</summary>
    public Task<ImChatSendResult> SendAsync(string text, ImdnDispositions imdn = ImdnDispositions.None, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        return SendAsync(Encoding.UTF8.GetBytes(text), TextPlain, imdn, cancellationToken);
    }

    /// <summary>
    /// Sends one message as an MSRP SEND and returns when its final response arrives. It goes as given when the
    /// peer's a=accept-types take its type and no IMDN is asked for; otherwise wrapped in message/cpim (RFC 3862) with
    /// From, To, DateTime and, for IMDN, imdn.Message-ID and imdn.Disposition-Notification (RFC 5438 §6). Throws
    /// <see cref="ImChatSessionException"/> (NotActive, ContentTypeNotAccepted) without sending.
    /// </summary>
    public async Task<ImChatSendResult> SendAsync(ReadOnlyMemory<byte> body, string contentType, ImdnDispositions imdn = ImdnDispositions.None,
        CancellationToken cancellationToken = default)
    {
        MsrpMediaDescription remote;
        lock (_gate)
        {
            if (_state != ImChatSessionState.Active || _remoteMedia is null)
            {
                throw new ImChatSessionException(ImChatSessionError.NotActive, "The session is " + _state);
            }

            remote = _remoteMedia;
        }

        if (contentType is null || !MimeMediaType.TryParse(contentType, out MediaType? type))
        {
            throw new ImChatSessionException(ImChatSessionError.ContentTypeNotAccepted, "Content-Type is not type/subtype with parameters (RFC 2045 §5.1)");
        }

        bool direct = Accepts(remote.AcceptTypes, type.Name);
        bool wrap = imdn != ImdnDispositions.None || !direct;
        if (wrap && (!Accepts(remote.AcceptTypes, Cpim.MediaType.Name) || !(direct || Accepts(remote.AcceptWrappedTypes, type.Name))))
        {
            throw new ImChatSessionException(ImChatSessionError.ContentTypeNotAccepted,
                $"The peer's a=accept-types do not take {type.Name}" + (imdn != ImdnDispositions.None ? " inside message/cpim (needed for IMDN)" : string.Empty));
        }

        string? imdnId = null;
        string sendType = contentType;
        ReadOnlyMemory<byte> payload = body;
        if (wrap)
        {
            Originator me = _originator ?? _host.OwnOriginator(false) ?? throw new ImChatSessionException(ImChatSessionError.NotRegistered, "No own IM address");
            CpimMessageBuilder cpim = new CpimMessageBuilder()
                .From(new CpimAddress(me.CpimFrom))
                .To(new CpimAddress(FocusUri ?? PeerUri))
                .DateTime(_host.Time.GetUtcNow());
            if (imdn != ImdnDispositions.None)
            {
                imdnId = Imdn.NewMessageId();
                cpim.RequestImdn(imdnId, OutgoingRequestFactory.ToDispositionNotification(imdn));
            }

            payload = cpim.ContentType(type).Body(body).Build();
            sendType = Cpim.MediaType.ToString();
        }

        MsrpSendResult sent;
        try
        {
            sent = await _msrp.SendMessageAsync(sendType, payload, new MsrpSendOptions(), cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            throw new ImChatSessionException(ImChatSessionError.NotActive, "The session's MSRP connection is gone: " + e.Message);
        }

        return new ImChatSendResult(sent.IsSuccess, sent.IsSuccess ? MsrpStatusCodes.Ok : sent.StatusCode, sent.MessageId, imdnId);
    }

    /// <summary>Ends the session: BYE when established, CANCEL while the INVITE is pending (RFC 3261 §9). Returns
    /// once the session is over (the BYE answered or timed out).</summary>
    public async Task ByeAsync(CancellationToken cancellationToken = default)
    {
        bool establishing;
        lock (_gate)
        {
            establishing = _state == ImChatSessionState.Establishing;
            _localByeRequested = true;
        }

        if (establishing && Direction == ImChatDirection.Originating)
        {
            await _establishing.CancelAsync().ConfigureAwait(false);
        }
        else
        {
            End(ImChatSessionEndReason.LocalBye, null, sendBye: true);
        }

        await _ended.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync() => await ByeAsync().ConfigureAwait(false);

    public override string ToString() => $"IM session {CallId} ({Direction}{(IsGroup ? ", group" : string.Empty)}, {State})";

    // ---- originating (7.1.1.1) ----

    /// <summary>INVITE (retried once with a larger interval on 422, RFC 4028 §7.4), then on the 2xx: store the peer's
    /// Allow and Contact (7.1.1.1), start the session timer, connect MSRP per a=setup (RFC 6135), and for a group
    /// subscribe to the conference event package (7.1.1.11). Throws <see cref="ImChatSessionException"/> after
    /// ending the session when any step fails.</summary>
    internal async Task EstablishAsync(Func<uint, uint, SipRequest> buildInvite, CancellationToken cancellationToken)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _host.Stopping, _establishing.Token);
        uint sessionExpires = (uint)_host.Settings.SessionExpiresSeconds;
        uint cseq = 1;
        SipInviteResult result;
        while (true)
        {
            SipRequest invite = buildInvite(cseq, sessionExpires);
            try
            {
                // Cancelling the token CANCELs the INVITE; the 487 then comes back as the result.
                result = await _userAgent.InviteAsync(invite, cancellationToken: cancel.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SipTransactionException or IOException or InvalidOperationException or ArgumentException)
            {
                End(ImChatSessionEndReason.Unreachable, null, sendBye: false);
                throw new ImChatSessionException(ImChatSessionError.Unreachable, "INVITE failed: " + e.Message);
            }

            if (result.Response.StatusCode == 422 && cseq == 1 && result.Response.Headers.MinSE is uint minimum && minimum > sessionExpires)
            {
                // RFC 4028 §7.4: retry with the peer's Min-SE.
                sessionExpires = minimum;
                cseq++;
                continue;
            }

            break;
        }

        SipResponse response = result.Response;
        if (!response.IsSuccess)
        {
            bool byUs = Volatile.Read(ref _localByeRequested) || cancel.IsCancellationRequested;
            End(!byUs ? ImChatSessionEndReason.Rejected
                : _host.Stopping.IsCancellationRequested ? ImChatSessionEndReason.ClientStopped : ImChatSessionEndReason.LocalBye, response.StatusCode, sendBye: false);
            throw byUs
                ? new ImChatSessionException(ImChatSessionError.Stopped, "The session was cancelled before it was answered", response.StatusCode)
                : new ImChatSessionException(ImChatSessionError.Rejected, $"INVITE answered {response.StatusCode} {response.ReasonPhrase}", response.StatusCode);
        }

        if (result.Dialog is not { } dialog)
        {
            End(ImChatSessionEndReason.Unreachable, response.StatusCode, sendBye: false);
            throw new ImChatSessionException(ImChatSessionError.Unreachable, "2xx without a usable dialog (no To tag)", response.StatusCode);
        }

        lock (_gate)
        {
            _dialog = dialog;
            _interval = SessionInterval.FromResponse(response);
        }

        RememberPeer(response.Headers.Allow, response.Headers.Contact);
        MsrpMediaDescription media;
        try
        {
            media = MsrpSdp.Read(Encoding.UTF8.GetString(response.Body.Span));
        }
        catch (FormatException)
        {
            End(ImChatSessionEndReason.UnusableSdp, response.StatusCode, sendBye: true);
            throw new ImChatSessionException(ImChatSessionError.UnusableAnswer, "The 2xx has no usable MSRP answer (RFC 4975 §8)");
        }

        lock (_gate)
        {
            _remoteMedia = media;
        }

        _msrp.SetRemotePath(media.Path);
        if (!await ConnectAsync(MsrpSdp.OffererRole(media.Setup), cancel.Token).ConfigureAwait(false))
        {
            throw new ImChatSessionException(ImChatSessionError.MsrpConnectFailed, "The MSRP connection could not be made");
        }

        if (cancel.IsCancellationRequested)
        {
            End(ImChatSessionEndReason.LocalBye, null, sendBye: true);
            throw new ImChatSessionException(ImChatSessionError.Stopped, "The session was ended while it was being set up");
        }

        BecomeActive();
    }

    /// <summary>Our SDP offer (kept for re-INVITE refreshes).</summary>
    internal string CreateOffer()
    {
        MsrpUri first = _msrp.AdvertisedPath[0];
        var local = new MsrpMediaDescription
        {
            Path = _msrp.AdvertisedPath,
            AcceptTypes = LocalAcceptTypes,
            AcceptWrappedTypes = LocalAcceptWrappedTypes,
            MaxSize = _host.Settings.MaxIncomingMessageBytes,
            Setup = MsrpSetup.Active,
            Secure = _msrp.LocalUri.IsSecure,
            Port = first.EffectivePort,
            ConnectionAddress = first.Host,
        };
        string sdp = MsrpSdp.Build(local, _msrp.LocalUri.Host, _sdpVersion);
        lock (_gate)
        {
            _localMedia = local;
            _localSdp = sdp;
        }

        return sdp;
    }

    // ---- terminating ----

    /// <summary>Answers an accepted INVITE (RFC 6135 roles, the interval the UAC asked for, Contact with
    /// '+g.oma.sip-im') and completes the session in the background: ACK, MSRP connection, then Active.</summary>
    internal void Answer(SipServerTransaction tx, MsrpMediaDescription offer, SessionInterval? interval)
    {
        SipRequest request = tx.Request;
        string answer = MsrpSdp.CreateAnswer(_msrp, offer, LocalAcceptTypes, LocalAcceptWrappedTypes, _host.Settings.MaxIncomingMessageBytes,
            out MsrpConnectionRole role);
        string localTag = SipUserAgent.NewTag();
        SipDialog dialog = SipDialog.CreateUas(request, localTag);
        lock (_gate)
        {
            _dialog = dialog;
            _remoteMedia = offer;
            _localSdp = answer;
            _interval = interval;
        }

        RememberPeer(request.Headers.Allow, request.Headers.Contact);
        _userAgent.Dialogs.Add(dialog);
        tx.Respond(ChatRequestFactory.BuildAnswer(request, localTag, Contact(), interval, answer, _host.Settings.UserAgent));
        _host.Track(CompleteAnsweredAsync(tx as InviteServerTransaction, role));
    }

    private async Task CompleteAnsweredAsync(InviteServerTransaction? invite, MsrpConnectionRole role)
    {
        try
        {
            if (invite is not null && await invite.Acknowledged.WaitAsync(_host.Stopping).ConfigureAwait(false) is null)
            {
                // RFC 3261 §17.2.1 Timer H: no ACK for our 2xx, the session never came up.
                End(ImChatSessionEndReason.Unreachable, null, sendBye: true);
                return;
            }
        }
        catch (OperationCanceledException)
        {
            End(ImChatSessionEndReason.ClientStopped, null, sendBye: false);
            return;
        }

        if (await ConnectAsync(role, _host.Stopping).ConfigureAwait(false))
        {
            BecomeActive();
        }
    }

    // ---- within the dialog ----

    /// <summary>A re-INVITE or UPDATE from the peer: a session refresh (RFC 4028 §9). The interval it carries (or none)
    /// replaces ours; the media stay as negotiated, so a re-INVITE gets our current description again.</summary>
    internal void OnRefreshRequest(SipServerTransaction tx)
    {
        SipRequest request = tx.Request;
        SessionInterval? interval = SessionInterval.FromRequest(request, out bool tooSmall);
        if (tooSmall)
        {
            tx.Respond(SipMessageBuilder.ResponseTo(request, 422)
                .Add(SipHeaderId.MinSE, SessionInterval.MinimumSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)).BuildResponse());
            return;
        }

        string? sdp;
        lock (_gate)
        {
            if (_state == ImChatSessionState.Ended)
            {
                sdp = null;
            }
            else
            {
                _interval = interval;
                sdp = request.Method == SipMethod.Invite || !request.Body.IsEmpty ? _localSdp : null;
            }
        }

        if (State == ImChatSessionState.Ended)
        {
            tx.Respond(SipMessageBuilder.ResponseTo(request, 481).BuildResponse());
            return;
        }

        if (request.Headers.Allow is { Count: > 0 } allow)
        {
            Volatile.Write(ref _peerAllow, allow);
        }

        // The timer restarts before the 2xx goes out: the peer may act on the 2xx at once.
        ArmTimer(expiryOnly: false);
        MarkRefreshed();
        tx.Respond(ChatRequestFactory.BuildAnswer(request, null, Contact(), interval, sdp, _host.Settings.UserAgent));
    }

    /// <summary>The peer's BYE (answered 200 by the client).</summary>
    internal void OnRemoteBye() => End(ImChatSessionEndReason.RemoteBye, null, sendBye: false);

    /// <summary>The client stops: BYE and end.</summary>
    internal Task StopAsync()
    {
        End(ImChatSessionEndReason.ClientStopped, null, sendBye: true);
        return _ended.Task;
    }

    internal void OnParticipants(IReadOnlyList<ImChatParticipant> participants)
    {
        Volatile.Write(ref _participants, participants);
        Raise(ParticipantsChanged, this);
        _host.ParticipantsChanged(this);
    }

    internal ConferenceSubscription? Conference => Volatile.Read(ref _conference);

    // ---- steps ----

    private void RememberPeer(IReadOnlyList<string> allow, IReadOnlyList<ContactValue> contact)
    {
        // 7.1.1.1: store the Allow list and the Contact of the response (the remote target the dialog uses).
        Volatile.Write(ref _peerAllow, allow);
        if (contact is { Count: > 0 } && contact[0].Address is { } address)
        {
            Volatile.Write(ref _peerContact, address.ToString());
            if (IsGroup && (contact[0].Parameters.Contains("isfocus") || Direction == ImChatDirection.Originating))
            {
                // 7.2.2.1 step 6: the focus Contact is the session identity.
                Volatile.Write(ref _focusUri, address.Uri.ToString());
            }
        }
    }

    private async Task<bool> ConnectAsync(MsrpConnectionRole role, CancellationToken cancellationToken)
    {
        try
        {
            using var deadline = new CancellationTokenSource(_host.Settings.MsrpTimeout, _host.Time);
            using var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
            if (role == MsrpConnectionRole.Active)
            {
                await _msrp.ConnectAsync(connect.Token).ConfigureAwait(false);
            }
            else
            {
                await _msrp.WaitForConnectionAsync(connect.Token).ConfigureAwait(false);
            }

            return true;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or MsrpSessionException or InvalidOperationException
            or System.Net.Sockets.SocketException)
        {
            SessionLog.StepFailed(_host.Logger, e, CallId, "MSRP connection");
            End(_host.Stopping.IsCancellationRequested ? ImChatSessionEndReason.ClientStopped
                : Volatile.Read(ref _localByeRequested) ? ImChatSessionEndReason.LocalBye : ImChatSessionEndReason.MsrpFailed, null, sendBye: true);
            return false;
        }
    }

    private void BecomeActive()
    {
        lock (_gate)
        {
            if (_state != ImChatSessionState.Establishing)
            {
                return;
            }

            _state = ImChatSessionState.Active;
        }

        // The session timer exists before anyone hears the session is active (they may act on the clock at once).
        ArmTimer(expiryOnly: false);
        Publish(new ImChatSessionEvent(this, ImChatSessionState.Active, ImChatSessionEndReason.None, null));
        _host.Track(WatchMsrpAsync());
        if (IsGroup && FocusUri is { } focus && SipUri.TryParse(focus, out SipUri? focusUri) && _host.OwnOriginator(false) is { } me)
        {
            // 7.1.1.1 (on the 2xx of an IM group session) / 7.1.1.11: subscribe to the conference state.
            var subscription = new ConferenceSubscription(this, _host, _userAgent, focusUri, _originator ?? me);
            Volatile.Write(ref _conference, subscription);
            _host.Track(subscription.StartAsync());
        }
    }

    private async Task WatchMsrpAsync()
    {
        await Task.WhenAny(_inbound.Closed, _ended.Task).ConfigureAwait(false);
        if (_inbound.Closed.IsCompleted)
        {
            // RFC 4975 §5.4: the connection is the media; without it the session is of no use.
            End(ImChatSessionEndReason.MsrpFailed, null, sendBye: true);
        }
    }

    /// <summary>Arms the session timer: at half the interval when we refresh, at the expiry point otherwise
    /// (<paramref name="expiryOnly"/>: after a failed refresh, only the expiry remains).</summary>
    private void ArmTimer(bool expiryOnly, TimeSpan? due = null)
    {
        lock (_gate)
        {
            _timer?.Dispose();
            _timer = null;
            int generation = ++_timerGeneration;
            if (_interval is not { } interval || _state == ImChatSessionState.Ended)
            {
                return;
            }

            bool refresh = interval.LocalRefresher && !expiryOnly;
            TimeSpan when = due ?? (refresh ? interval.RefreshAfter : interval.ExpireAfter);
            _timer = _host.Time.CreateTimer(static state =>
            {
                var (session, gen, isRefresh) = ((ImChatSession, int, bool))state!;
                session.OnTimer(gen, isRefresh);
            }, (this, generation, refresh), when, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnTimer(int generation, bool refresh)
    {
        lock (_gate)
        {
            if (generation != _timerGeneration || _state == ImChatSessionState.Ended)
            {
                return;
            }
        }

        if (refresh)
        {
            _host.Track(RefreshAsync());
        }
        else
        {
            // RFC 4028 §10: no refresh before the expiry point: end the session with BYE.
            End(ImChatSessionEndReason.SessionExpired, null, sendBye: true);
        }
    }

    /// <summary>RFC 4028 §10: the refresh — UPDATE when the peer's Allow has it (RFC 3311, no new offer needed), else
    /// re-INVITE with our description. 408/481 or no answer end the session; 405/501 to UPDATE fall back to re-INVITE;
    /// 422 retries with Min-SE; 491 retries after a pause; anything else leaves the expiry point to end it.</summary>
    private async Task RefreshAsync()
    {
        SipDialog? dialog;
        SessionInterval? interval;
        lock (_gate)
        {
            dialog = _dialog;
            interval = _interval;
        }

        if (dialog is null || interval is not { } current)
        {
            return;
        }

        bool update = PeerAllow.Contains("UPDATE", StringComparer.OrdinalIgnoreCase);
        for (int attempt = 0; attempt < 3; attempt++)
        {
            string? offer = update ? null : NextOffer();
            SipRequest request = ChatRequestFactory.BuildRefresh(dialog, update, offer, Contact(), current, _host.Settings.UserAgent);
            SipResponse response;
            try
            {
                response = await _userAgent.SendInDialogAsync(dialog, request, cancellationToken: _host.Stopping).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SipTransactionException or IOException or InvalidOperationException or ArgumentException or OperationCanceledException)
            {
                SessionLog.StepFailed(_host.Logger, e, CallId, "session refresh");
                End(_host.Stopping.IsCancellationRequested ? ImChatSessionEndReason.ClientStopped : ImChatSessionEndReason.SessionExpired, null, sendBye: true);
                return;
            }
            finally
            {
                if (!update)
                {
                    // The UA records a dialog for every INVITE 2xx; the session's own dialog object stays the one in use.
                    _userAgent.Dialogs.Add(dialog);
                }
            }

            SessionLog.Refreshed(_host.Logger, CallId, update ? "UPDATE" : "re-INVITE", response.StatusCode);
            if (response.IsSuccess)
            {
                lock (_gate)
                {
                    _interval = SessionInterval.FromResponse(response);
                }

                if (response.Headers.Allow is { Count: > 0 } allow)
                {
                    Volatile.Write(ref _peerAllow, allow);
                }

                ArmTimer(expiryOnly: false);
                MarkRefreshed();
                return;
            }

            switch (response.StatusCode)
            {
                case 405 or 501 when update:
                    update = false;
                    continue;
                case 422 when response.Headers.MinSE is uint minimum && minimum > current.Seconds:
                    current = current with { Seconds = minimum };
                    continue;
                case 408 or 481:
                    End(ImChatSessionEndReason.SessionExpired, response.StatusCode, sendBye: true);
                    return;
                case 491:
                    ArmTimer(expiryOnly: false, GlareRetry);
                    return;
                default:
                    ArmTimer(expiryOnly: true, current.ExpireAfter - current.RefreshAfter);
                    return;
            }
        }

        ArmTimer(expiryOnly: true, current.ExpireAfter - current.RefreshAfter);
    }

    private void MarkRefreshed()
    {
        lock (_gate)
        {
            _lastRefreshedAt = _host.Time.GetUtcNow();
        }

        Refreshed?.Invoke(this);
    }

    private string? NextOffer()
    {
        lock (_gate)
        {
            if (Direction == ImChatDirection.Terminating || _localMedia is null)
            {
                // Our description as the answerer: re-offer it unchanged (a=setup as answered keeps the connection).
                return _localSdp;
            }

            _sdpVersion++;
            _localSdp = MsrpSdp.Build(_localMedia, _msrp.LocalUri.Host, _sdpVersion);
            return _localSdp;
        }
    }

    private ContactValue Contact() => _host.ImOnlyPolicy.BuildContact(_userAgent.ContactUri(null));

    private void End(ImChatSessionEndReason reason, int? status, bool sendBye)
    {
        SipDialog? dialog;
        ConferenceSubscription? conference;
        lock (_gate)
        {
            if (_state == ImChatSessionState.Ended)
            {
                return;
            }

            _state = ImChatSessionState.Ended;
            _endReason = reason;
            _endStatus = status;
            _timer?.Dispose();
            _timer = null;
            _timerGeneration++;
            dialog = _dialog;
            conference = _conference;
        }

        _host.Track(CleanupAsync(dialog, conference, sendBye));
    }

    private async Task CleanupAsync(SipDialog? dialog, ConferenceSubscription? conference, bool sendBye)
    {
        try
        {
            if (conference is not null)
            {
                await conference.EndAsync(unsubscribe: sendBye).ConfigureAwait(false);
            }

            if (sendBye && dialog is not null && dialog.State != SipDialogState.Terminated)
            {
                try
                {
                    await _userAgent.ByeAsync(dialog).ConfigureAwait(false);
                }
                catch (Exception e) when (e is SipTransactionException or IOException or InvalidOperationException or ObjectDisposedException or ArgumentException)
                {
                    // A lost BYE only leaves the peer to time the session out (RFC 4028).
                    SessionLog.StepFailed(_host.Logger, e, CallId, "BYE");
                }
            }
            else if (dialog is not null)
            {
                dialog.Terminate();
                _userAgent.Dialogs.Remove(dialog);
            }

            await _msrp.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            ImChatSessionEvent ended;
            lock (_gate)
            {
                ended = new ImChatSessionEvent(this, ImChatSessionState.Ended, _endReason, _endStatus);
            }

            Publish(ended);
            _ended.TrySetResult();
        }
    }

    private void Publish(ImChatSessionEvent e)
    {
        SessionLog.StateChanged(_host.Logger, CallId, Direction, IsGroup, e.State, e.Reason, e.StatusCode);
        // Handlers first, streams after: whoever sees the change in a stream finds the handlers already run.
        Raise(StateChanged, e);
        _host.Changed(e);
        lock (_gate)
        {
            foreach (Channel<ImChatSessionEvent> w in _watchers)
            {
                w.Writer.TryWrite(e);
                if (e.State == ImChatSessionState.Ended)
                {
                    w.Writer.TryComplete();
                }
            }
        }
    }

    private void Raise<T>(Action<T>? handler, T value)
    {
        if (handler is null)
        {
            return;
        }

        try
        {
            handler(value);
        }
#pragma warning disable CA1031 // An application's event handler must not break the session's protocol path.
        catch (Exception e)
#pragma warning restore CA1031
        {
            SessionLog.StepFailed(_host.Logger, e, CallId, "event handler");
        }
    }

    /// <summary>RFC 4975 §8.6: "*" takes anything, "type/*" a whole type, otherwise an exact (case-insensitive) match.</summary>
    internal static bool Accepts(IReadOnlyList<string> accepted, string type)
    {
        foreach (string a in accepted)
        {
            if (a == "*" || a.Equals(type, StringComparison.OrdinalIgnoreCase)
                || (a.EndsWith("/*", StringComparison.Ordinal) && type.StartsWith(a.AsSpan(0, a.Length - 1), StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }

        return false;
    }
}
