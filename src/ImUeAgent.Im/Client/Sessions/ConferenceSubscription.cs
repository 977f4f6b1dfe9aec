// SPDX-License-Identifier: MIT
using ImUeAgent.Im.Client.Pager;
using ImUeAgent.Im.Content;
using ImUeAgent.Sip.Dialogs;
using ImUeAgent.Sip.Message;
using ImUeAgent.Sip.Transactions;
using ImUeAgent.Sip.Ua;

namespace ImUeAgent.Im.Client.Sessions;

/// <summary>
/// The subscription of a group session to its focus's conference event package (OMA SIMPLE IM 7.1.1.11, RFC 4575):
/// SUBSCRIBE to the session identity, a dialog from the 2xx (RFC 6665 §4.1.2.1), NOTIFYs applied to a
/// <see cref="ConferenceRoster"/> (full state, then partial updates in version order; a gap asks for full state with a
/// refresh, RFC 4575 §4.6), refreshed before it expires and ended with Expires: 0 when the session ends.
/// </summary>
internal sealed class ConferenceSubscription
{
    /// <summary>RFC 4575 §4.2 leaves the duration to the subscriber; one hour, refreshed at half.</summary>
    public const uint RequestedExpires = 3600;

    private readonly ImChatSession _session;
    private readonly ChatSessionHost _host;
    private readonly SipUserAgent _userAgent;
    private readonly SipUri _focus;
    private readonly Originator _originator;
    private readonly ConferenceRoster _roster = new();
    private readonly Lock _gate = new();
    private SipDialog? _dialog;
    private ITimer? _refresh;
    private bool _terminated;
    private bool _fullStateWanted;

    public ConferenceSubscription(ImChatSession session, ChatSessionHost host, SipUserAgent userAgent, SipUri focus, Originator originator)
    {
        _session = session;
        _host = host;
        _userAgent = userAgent;
        _focus = focus;
        _originator = originator;
        CallId = SipUserAgent.NewTag();
        FromTag = SipUserAgent.NewTag();
    }

    /// <summary>The subscription dialog's Call-ID (its own, RFC 6665 §4.1.2.1: a new dialog).</summary>
    public string CallId { get; }

    public string FromTag { get; }

    public async Task StartAsync()
    {
        _host.SubscriptionChanged(this, _userAgent, true);
        SipRequest subscribe = ChatRequestFactory.BuildSubscribe(_focus, _originator, _host.PolicyFor([]), _host.Settings.UserAgent, CallId, FromTag,
            Contact(), RequestedExpires);
        SipResponse response;
        try
        {
            response = await _userAgent.SendAsync(subscribe, cancellationToken: _host.Stopping).WaitAsync(_host.Stopping).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SipTransactionException or IOException or InvalidOperationException or ArgumentException or OperationCanceledException)
        {
            SessionLog.StepFailed(_host.Logger, e, _session.CallId, "conference SUBSCRIBE");
            Finish();
            return;
        }

        if (!response.IsSuccess)
        {
            // The session goes on without a participant list.
            SessionLog.Subscription(_host.Logger, _session.CallId, "refused", response.StatusCode);
            Finish();
            return;
        }

        SipDialog dialog;
        try
        {
            dialog = SipDialog.CreateUac(subscribe, response);
        }
        catch (ArgumentException e)
        {
            SessionLog.StepFailed(_host.Logger, e, _session.CallId, "conference SUBSCRIBE 2xx (no To tag)");
            Finish();
            return;
        }

        lock (_gate)
        {
            if (_terminated)
            {
                return;
            }

            _dialog = dialog;
        }

        _userAgent.Dialogs.Add(dialog);
        SessionLog.Subscription(_host.Logger, _session.CallId, "active", response.StatusCode);
        bool refreshNow;
        lock (_gate)
        {
            refreshNow = _fullStateWanted;
        }

        if (refreshNow)
        {
            // A NOTIFY before this 2xx showed a gap: ask for full state now that the dialog exists.
            await RefreshAsync().ConfigureAwait(false);
            return;
        }

        ArmRefresh(response.Headers.Expires ?? RequestedExpires);
    }

    /// <summary>A NOTIFY of this subscription (RFC 6665 §4.1.3): 200 once understood, then the roster is updated.
    /// It may come before the SUBSCRIBE's 2xx (§4.1.2.4).</summary>
    public void OnNotify(SipServerTransaction tx)
    {
        SipRequest request = tx.Request;
        if (request.Headers.Event?.Token is not { } ev || !ev.Equals(ChatRequestFactory.ConferenceEvent, StringComparison.OrdinalIgnoreCase))
        {
            Refuse(tx, 489, "Bad Event - not the conference package");
            return;
        }

        ConferenceInfoDocument? document = null;
        if (!request.Body.IsEmpty)
        {
            if (request.Headers.ContentType is not { } type || !type.Is("application", "conference-info+xml"))
            {
                Refuse(tx, 415, "Unsupported Media Type - application/conference-info+xml expected");
                return;
            }

            ContentResult<ConferenceInfoDocument> parsed = ConferenceInfo.Parse(request.Body);
            if (!parsed.IsSuccess)
            {
                Refuse(tx, 400, "Bad Request - conference-info " + parsed.Error + " at byte " + parsed.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture));
                return;
            }

            document = parsed.Value;
        }

        tx.Respond(SipMessageBuilder.ResponseTo(request, 200).BuildResponse());
        bool terminated = string.Equals(request.Headers.SubscriptionState?.Token, "terminated", StringComparison.OrdinalIgnoreCase);
        if (document is not null)
        {
            Apply(document);
        }

        if (terminated)
        {
            SessionLog.Subscription(_host.Logger, _session.CallId, "terminated by the focus", null);
            Finish();
        }
    }

    /// <summary>The session ends: stop refreshing and, when asked, end the subscription with Expires: 0 (RFC 6665 §4.1.2.3).</summary>
    public async Task EndAsync(bool unsubscribe)
    {
        SipDialog? dialog;
        lock (_gate)
        {
            if (_terminated)
            {
                return;
            }

            dialog = _dialog;
            _refresh?.Dispose();
            _refresh = null;
        }

        if (unsubscribe && dialog is not null)
        {
            try
            {
                await _userAgent.SendInDialogAsync(dialog, ChatRequestFactory.BuildResubscribe(dialog, Contact(), _host.Settings.UserAgent, 0))
                    .WaitAsync(_host.Settings.MsrpTimeout, _host.Time).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SipTransactionException or IOException or InvalidOperationException or ArgumentException or TimeoutException
                or ObjectDisposedException)
            {
                SessionLog.StepFailed(_host.Logger, e, _session.CallId, "conference unsubscribe");
            }
        }

        Finish();
    }

    private void Apply(ConferenceInfoDocument document)
    {
        IReadOnlyList<ImChatParticipant>? participants = null;
        ConferenceApplyOutcome outcome;
        lock (_gate)
        {
            outcome = _roster.Apply(document);
            if (outcome == ConferenceApplyOutcome.Applied)
            {
                participants = [.. _roster.Users.Select(ToParticipant)];
            }
        }

        SessionLog.Participants(_host.Logger, _session.CallId, participants?.Count ?? _roster.Users.Count, document.Version, outcome.ToString());
        if (participants is not null)
        {
            _session.OnParticipants(participants);
        }
        else if (outcome == ConferenceApplyOutcome.NeedsFullState)
        {
            // RFC 4575 §4.6: a lost partial notification; a refresh brings full state.
            _host.Track(RefreshAsync());
        }
    }

    private void ArmRefresh(uint expires)
    {
        lock (_gate)
        {
            _refresh?.Dispose();
            _refresh = _terminated || expires == 0 ? null : _host.Time.CreateTimer(static state => ((ConferenceSubscription)state!).OnRefreshDue(), this,
                TimeSpan.FromSeconds(expires / 2.0), Timeout.InfiniteTimeSpan);
        }
    }

    private void OnRefreshDue() => _host.Track(RefreshAsync());

    private async Task RefreshAsync()
    {
        SipDialog? dialog;
        lock (_gate)
        {
            dialog = _terminated ? null : _dialog;
            // Before the SUBSCRIBE's 2xx there is no dialog yet (a NOTIFY may overtake it, RFC 6665 §4.1.2.4).
            _fullStateWanted = dialog is null && !_terminated;
        }

        if (dialog is null)
        {
            return;
        }

        try
        {
            SipResponse response = await _userAgent.SendInDialogAsync(dialog, ChatRequestFactory.BuildResubscribe(dialog, Contact(), _host.Settings.UserAgent, RequestedExpires),
                cancellationToken: _host.Stopping).WaitAsync(_host.Stopping).ConfigureAwait(false);
            if (response.IsSuccess)
            {
                ArmRefresh(response.Headers.Expires ?? RequestedExpires);
                return;
            }

            // RFC 6665 §4.1.2.2: a failed refresh ends the subscription.
            SessionLog.Subscription(_host.Logger, _session.CallId, "refresh refused", response.StatusCode);
        }
        catch (Exception e) when (e is SipTransactionException or IOException or InvalidOperationException or ArgumentException or OperationCanceledException)
        {
            SessionLog.StepFailed(_host.Logger, e, _session.CallId, "conference re-SUBSCRIBE");
        }

        Finish();
    }

    private void Finish()
    {
        SipDialog? dialog;
        lock (_gate)
        {
            if (_terminated)
            {
                return;
            }

            _terminated = true;
            _refresh?.Dispose();
            _refresh = null;
            dialog = _dialog;
        }

        if (dialog is not null)
        {
            dialog.Terminate();
            _userAgent.Dialogs.Remove(dialog);
        }

        _host.SubscriptionChanged(this, _userAgent, false);
    }

    private void Refuse(SipServerTransaction tx, int status, string reason)
    {
        SessionLog.NotifyRefused(_host.Logger, _session.CallId, status, reason);
        tx.Respond(SipMessageBuilder.ResponseTo(tx.Request, status, reason).BuildResponse());
    }

    private ContactValue Contact() => _host.ImOnlyPolicy.BuildContact(_userAgent.ContactUri(null));

    private static ImChatParticipant ToParticipant(ConferenceUser user)
    {
        ConferenceEndpoint? first = user.Endpoints.Count > 0 ? user.Endpoints[0] : null;
        return new ImChatParticipant(user.Entity, user.DisplayText ?? first?.DisplayText, first?.Status, user.IsParticipating, user.Roles);
    }
}
