// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Text;
using ImUeAgent.Msrp.Sdp;
using ImUeAgent.Msrp.Sessions;
using ImUeAgent.Sip.Message;
using ImUeAgent.Testbed.Core;

namespace ImUeAgent.Testbed.Im;

/// <summary>Why the conference factory refused an INVITE (STYLE.md §4: a closed set, named in the reason phrase).</summary>
internal enum ConferenceSetupError
{
    None,

    /// <summary>Not multipart/mixed (415): RFC 5366 §3 puts the SDP and the URI list side by side.</summary>
    NotMultipart,
    MultipartMalformed,
    NoRecipientList,
    NoSessionDescription,
    ResourceListMalformed,
    TooManyRecipients,
    RecipientNotSipUri,

    /// <summary>Nobody but the sender on the list.</summary>
    NoInvitee,
}

/// <summary>
/// The conference focus of ad-hoc IM group sessions (RFC 4353, RFC 5366; OMA SIMPLE IM 7.2.2.1 for the INVITEs the
/// Controlling IM Function sends):
/// <list type="number">
/// <item>INVITE to the conference factory with multipart/mixed (SDP with an MSRP m=message, and
/// application/resource-lists+xml with Content-Disposition: recipient-list): 200 OK at once with the focus's own MSRP
/// endpoint, Contact = a new conference URI with '+g.oma.sip-im' and isfocus, Allow with SUBSCRIBE;</item>
/// <item>an INVITE from the focus to each listed user (From and P-Asserted-Identity: the inviting user, Referred-By:
/// the inviting user, Contact: the conference URI with isfocus, Accept-Contact under the server rule);</item>
/// <item>every MSRP SEND of one participant goes to every other connected participant over its own session with the
/// focus, as message/cpim with the sender in From (wrapped here when it came bare);</item>
/// <item>BYE from a participant: it leaves; the conference ends under <see cref="ImServerSettings.ConferenceRelease"/>;</item>
/// <item>the conference event package (RFC 4575) on the conference URI (see ImServer.ConferenceEvents.cs).</item>
/// </list>
/// </summary>
internal sealed partial class ImServer
{
    private const string FocusAllow = "INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, SUBSCRIBE";

    /// <summary>What a Require of an INVITE to the factory may name (RFC 3261 §8.2.2.3: anything else is 420).</summary>
    private static readonly HashSet<string> FocusExtensions = new(["recipient-list-invite", "timer"], StringComparer.OrdinalIgnoreCase);

    /// <summary>a=accept-types of the focus: it relays any type, and prefers CPIM (the sender's identity rides in it).</summary>
    private static readonly string[] ConferenceAcceptTypes = [CpimWrapper.ContentType, "text/plain", "*"];

    private static readonly string[] ConferenceWrappedTypes = ["*"];

    /// <summary>Reads an INVITE to the factory (pure): the SDP offer and the recipient URIs of its resource list.</summary>
    internal static ConferenceSetupError TryReadFactoryInvite(SipRequest invite, int maxRecipients, out string? sdp, out List<string> recipients,
        out ImContentError detail)
    {
        ArgumentNullException.ThrowIfNull(invite);
        sdp = null;
        recipients = [];
        detail = ImContentError.None;
        if (invite.Headers.ContentType is not { } type || !type.Is("multipart", "mixed"))
        {
            return ConferenceSetupError.NotMultipart;
        }

        detail = MimeMultipart.TryParse(invite.Body, type.Boundary, out var parts);
        if (detail != ImContentError.None)
        {
            return ConferenceSetupError.MultipartMalformed;
        }

        // RFC 5366 §3 / RFC 5363 §5: the list is the part with Content-Disposition: recipient-list.
        var list = parts.FirstOrDefault(p => p.MediaType == "application/resource-lists+xml"
            && (p.Header("Content-Disposition")?.StartsWith("recipient-list", StringComparison.OrdinalIgnoreCase) ?? true));
        if (list is null)
        {
            return ConferenceSetupError.NoRecipientList;
        }

        var offer = parts.FirstOrDefault(p => p.MediaType == "application/sdp");
        if (offer is null)
        {
            return ConferenceSetupError.NoSessionDescription;
        }

        detail = ResourceListBody.TryRead(list.Body, maxRecipients, out recipients);
        if (detail != ImContentError.None)
        {
            return detail == ImContentError.TooManyRecipients ? ConferenceSetupError.TooManyRecipients : ConferenceSetupError.ResourceListMalformed;
        }

        // RFC 5366 §4: the focus invites SIP (or tel) URIs; another scheme (mailto:, http:) is nothing it can INVITE.
        if (recipients.Any(r => !SipUri.TryParse(r, out var uri) || uri.Scheme == SipUriScheme.Other))
        {
            return ConferenceSetupError.RecipientNotSipUri;
        }

        sdp = Encoding.UTF8.GetString(offer.Body.Span);
        return recipients.Count == 0 ? ConferenceSetupError.NoInvitee : ConferenceSetupError.None;
    }

    private static int StatusOf(ConferenceSetupError error) => error switch
    {
        ConferenceSetupError.NotMultipart => 415,
        ConferenceSetupError.TooManyRecipients => 403,
        _ => 400,
    };

    /// <summary>RFC 5366 §5: an INVITE with a URI list to the conference factory creates a conference.</summary>
    private async ValueTask<bool> OnFactoryInviteAsync(ApplicationServerRequest request, CancellationToken cancellationToken)
    {
        var sip = request.Request;
        var originator = request.ServedUser!;
        var from = sip.Headers.From!;
        var unsupported = sip.Headers.Require.Where(t => !FocusExtensions.Contains(t)).ToList();
        if (unsupported.Count > 0)
        {
            await RefuseAsync(request, 420, "Bad Extension", b => b.Add(SipHeaderId.Unsupported, string.Join(", ", unsupported)), cancellationToken).ConfigureAwait(false);
            return true;
        }

        var error = TryReadFactoryInvite(sip, _settings.MaxRecipients, out var sdp, out var recipients, out var detail);
        // The list may name the sender too (RFC 5366 §4 has the UAC list everyone): it is in the conference already.
        var invitees = error == ConferenceSetupError.None ? recipients.Where(r => !ReferenceEquals(Core.FindSubscriber(SipUri.Parse(r)), originator)).ToList() : [];
        if (error == ConferenceSetupError.None && invitees.Count == 0)
        {
            error = ConferenceSetupError.NoInvitee;
        }

        if (error != ConferenceSetupError.None)
        {
            var status = StatusOf(error);
            var phrase = SipStatus.GetReasonPhrase(status) + " - " + error + (detail is ImContentError.None ? string.Empty : " (" + detail + ")");
            await RefuseAsync(request, status, phrase, status == 415
                ? b => b.Add(SipHeaderId.Accept, "multipart/mixed, application/sdp, application/resource-lists+xml")
                : null, cancellationToken).ConfigureAwait(false);
            return true;
        }

        if (_conferences.Count >= _settings.MaxConferences)
        {
            await RefuseAsync(request, 503, "Service Unavailable - Too many conferences", null, cancellationToken).ConfigureAwait(false);
            return true;
        }

        MsrpMediaDescription offer;
        try
        {
            offer = MsrpSdp.Read(sdp!);
        }
        catch (FormatException exception)
        {
            await RefuseAsync(request, 488, "Not Acceptable Here - " + exception.Message.ReplaceLineEndings(" "), null, cancellationToken).ConfigureAwait(false);
            return true;
        }

        var identity = Core.AssertedIdentityOf(sip) ?? originator.Impus[0];
        var user = ConferenceUserPrefix + NewToken();
        var conference = new Conference(user, Core.ApplicationServerUri(user, request.Flow.Transport).ToString(), identity, sip);
        var anonymous = SipText.WantsAnonymity(sip);
        var now = _time.GetUtcNow();
        var me = new ConferenceParticipant(identity, from.DisplayName, anonymous, ConferenceJoiningMethod.DialedIn, conference.NextMediaId());
        var inviter = anonymous ? AnonymousUri : identity;
        foreach (var invitee in invitees)
        {
            conference.Participants.Add(new ConferenceParticipant(invitee, null, false, ConferenceJoiningMethod.DialedOut, conference.NextMediaId())
            {
                JoinedBy = inviter,
            });
        }

        conference.Participants.Insert(0, me);
        _conferences[user] = conference;
        if (!await AnswerJoinAsync(conference, me, request, offer, now, cancellationToken).ConfigureAwait(false))
        {
            _conferences.TryRemove(user, out _);
            return true;
        }

        _logger.ConferenceCreated(conference.Uri, identity, invitees.Count);
        foreach (var participant in conference.Participants.Skip(1))
        {
            Run(token => InviteParticipantAsync(conference, participant, token));
        }

        return true;
    }

    private async ValueTask RefuseAsync(ApplicationServerRequest request, int status, string phrase, Action<SipMessageBuilder>? addHeaders, CancellationToken cancellationToken)
    {
        _logger.ConferenceRefused(request.Request.Headers.From?.Uri.ToString() ?? "-", status, phrase);
        await Core.RespondAsync(request.Request, request.Flow, status, phrase, addHeaders, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Answers an INVITE that brings a user into the conference (at the factory or dialled in): the focus's
    /// MSRP session, 200 OK (6.1.2.2.2 200 OK rules: Contact with the IM tag and isfocus, Allow, Server, the session
    /// timer when the UAC supports it), then the media task. False when the offer could not be answered (488 sent).</summary>
    private async ValueTask<bool> AnswerJoinAsync(Conference conference, ConferenceParticipant participant, ApplicationServerRequest request,
        MsrpMediaDescription offer, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var sip = request.Request;
        var session = _msrp.CreateSession(new ConferenceMsrpHandler(this, conference, participant), ConferenceSessionOptions());
        string answer;
        MsrpConnectionRole role;
        try
        {
            answer = MsrpSdp.CreateAnswer(session, offer, ConferenceAcceptTypes, ConferenceWrappedTypes, _settings.MaxConferenceMessageBytes, out role);
        }
        catch (FormatException exception)
        {
            await session.DisposeAsync().ConfigureAwait(false);
            await RefuseAsync(request, 488, "Not Acceptable Here - " + exception.Message.ReplaceLineEndings(" "), null, cancellationToken).ConfigureAwait(false);
            return false;
        }

        var toTag = NewToken();
        var remoteTarget = sip.Headers.Contact is { Count: > 0 } contacts && contacts[0].Uri is { } contactUri ? contactUri : sip.Headers.From!.Uri;
        participant.Session = session;
        participant.PeerAcceptTypes = offer.AcceptTypes;
        participant.EndpointEntity = remoteTarget.ToString();
        participant.Dialog = new FocusDialog(sip.Headers.CallId!, sip.Headers.GetValue(SipHeaderId.To)! + ";tag=" + toTag,
            sip.Headers.GetValue(SipHeaderId.From)!, remoteTarget);
        lock (conference.Gate)
        {
            // Connected before the 200 leaves: a SEND may follow the ACK at once.
            participant.Status = ConferenceEndpointStatus.Connected;
            participant.JoinedAt = now;
            NotifyChangedLocked(conference, [participant], now);
        }

        var timer = sip.Headers.Supported.Contains("timer", StringComparer.OrdinalIgnoreCase);
        var contact = Core.ApplicationServerUri(conference.User, request.Flow.Transport);
        await Core.AnswerAsync(sip, request.Flow, 200, toTag, b =>
        {
            b.Add(SipHeaderId.Contact, "<" + contact + ">;" + ImAcceptContact.SipImTag + ";isfocus");
            b.Add(SipHeaderId.Allow, FocusAllow);
            b.Add(SipHeaderId.AllowEvents, "conference");
            b.Add(SipHeaderId.Supported, "recipient-list-invite, timer");
            if (timer)
            {
                // RFC 4028 §9: the UAS answers with the interval and who refreshes.
                b.Add(SipHeaderId.Require, "timer");
                b.Add(SipHeaderId.SessionExpires, (sip.Headers.SessionExpires?.Seconds ?? 1800).ToString(CultureInfo.InvariantCulture) + ";refresher=uac");
            }

            b.Body(new MediaType("application", "sdp"), Encoding.UTF8.GetBytes(answer));
        }, cancellationToken).ConfigureAwait(false);
        _logger.ParticipantJoined(conference.Uri, participant.Identity, ConferenceInfo.JoiningToken(participant.JoiningMethod));
        Run(token => RunParticipantMediaAsync(conference, participant, role, token));
        return true;
    }

    private MsrpSessionOptions ConferenceSessionOptions() => new()
    {
        AcceptTypes = ["*"],
        MaxMessageSize = _settings.MaxConferenceMessageBytes,
        TransactionTimeout = _settings.ConferenceMediaTimeout,
    };

    /// <summary>7.2.2.1: the INVITE of the Controlling IM Function to one listed user, then ACK and the media; a refusal
    /// or a failure leaves the user disconnected in the roster.</summary>
    private async Task InviteParticipantAsync(Conference conference, ConferenceParticipant participant, CancellationToken cancellationToken)
    {
        var session = _msrp.CreateSession(new ConferenceMsrpHandler(this, conference, participant), ConferenceSessionOptions());
        participant.Session = session;
        var offer = MsrpSdp.CreateOffer(session, ConferenceAcceptTypes, ConferenceWrappedTypes, _settings.MaxConferenceMessageBytes);
        var received = conference.Invite;
        var anonymous = SipText.WantsAnonymity(received);
        var callId = NewToken() + NewToken() + "@" + Domain;
        var from = StripTag(received.Headers.GetValue(SipHeaderId.From)!) + ";tag=" + NewToken();
        var invite = new ApplicationServerOutbound("INVITE", SipUri.Parse(participant.Identity), ToRegisteredContact: true, (b, transport) =>
        {
            // Step 4a: the Authenticated Originator's IM Address is the inviting user's (From and P-Asserted-Identity);
            // step 5: Referred-By names it too (the anonymous URI when it asked for privacy, as 8.3.2.1 step 4c).
            b.Add(SipHeaderId.From, from)
                .Add(SipHeaderId.To, "<" + participant.Identity + ">")
                .CallId(callId)
                .CSeq(1, SipMethod.Invite)
                .Add(SipHeaderId.Contact, "<" + Core.ApplicationServerUri(conference.User, transport) + ">;" + ImAcceptContact.SipImTag + ";isfocus");
            ImAcceptContact.CopyWithRule(received, b);
            if (!anonymous)
            {
                b.Add(SipHeaderId.PAssertedIdentity, "<" + conference.Originator + ">");
            }

            b.Add(SipHeaderId.ReferredBy, "<" + (anonymous ? AnonymousUri : conference.Originator) + ">");
            b.CopyAll(received, SipHeaderId.Privacy);
            b.CopyAll(received, SipHeaderId.Subject);
            b.Add(SipHeaderId.UserAgent, _settings.UserAgent)
                .Add(SipHeaderId.Supported, "timer")
                .Add(SipHeaderId.SessionExpires, "1800;refresher=uas")
                .Add(SipHeaderId.Allow, FocusAllow)
                .Add(SipHeaderId.AllowEvents, "conference");
        })
        {
            ContentType = new MediaType("application", "sdp"),
            Body = Encoding.UTF8.GetBytes(offer),
        };

        SipResponse ok;
        try
        {
            var outcome = await Core.SendRequestAsync(invite, cancellationToken).ConfigureAwait(false);
            if (outcome.Response is not { IsSuccess: true } success)
            {
                var method = outcome.Response?.StatusCode is 486 or 600 ? ConferenceDisconnectionMethod.Busy : ConferenceDisconnectionMethod.Failed;
                var reason = outcome.Response is { } refusal ? refusal.StatusCode.ToString(CultureInfo.InvariantCulture) + " " + refusal.ReasonPhrase
                    : outcome.Failure.ToString();
                await session.DisposeAsync().ConfigureAwait(false);
                await DropParticipantAsync(conference, participant, method, reason, cancellationToken).ConfigureAwait(false);
                return;
            }

            ok = success;
        }
        catch (OperationCanceledException)
        {
            await session.DisposeAsync().ConfigureAwait(false);
            return;
        }

        var remoteTarget = ok.Headers.Contact is { Count: > 0 } contacts && contacts[0].Uri is { } contactUri ? contactUri : SipUri.Parse(participant.Identity);
        var dialog = new FocusDialog(callId, from, ok.Headers.GetValue(SipHeaderId.To)!, remoteTarget);
        dialog.StartCSeqAt(1);
        participant.Dialog = dialog;
        participant.EndpointEntity = remoteTarget.ToString();
        // RFC 3261 §13.2.2.4: the 2xx is acknowledged whatever comes next.
        await Core.SendRequestAsync(FocusRequest(conference, dialog, "ACK", 1), cancellationToken).ConfigureAwait(false);

        MsrpMediaDescription answer;
        try
        {
            answer = MsrpSdp.Read(Encoding.UTF8.GetString(ok.Body.Span));
            session.SetRemotePath(answer.Path);
        }
        catch (FormatException exception)
        {
            await session.DisposeAsync().ConfigureAwait(false);
            await DropParticipantAsync(conference, participant, ConferenceDisconnectionMethod.Failed, "answer: " + exception.Message.ReplaceLineEndings(" "),
                cancellationToken, sendBye: true).ConfigureAwait(false);
            return;
        }

        participant.PeerAcceptTypes = answer.AcceptTypes;
        var now = _time.GetUtcNow();
        bool ended;
        lock (conference.Gate)
        {
            ended = conference.Ended || !participant.IsLive;
            if (!ended)
            {
                participant.Status = ConferenceEndpointStatus.Connected;
                participant.JoinedAt = now;
                NotifyChangedLocked(conference, [participant], now);
            }
        }

        if (ended)
        {
            // The conference ended while this user was being invited: it gets BYE at once.
            await Core.SendRequestAsync(FocusRequest(conference, dialog, "BYE", dialog.NextCSeq()), cancellationToken).ConfigureAwait(false);
            await session.DisposeAsync().ConfigureAwait(false);
            return;
        }

        _logger.ParticipantJoined(conference.Uri, participant.Identity, ConferenceInfo.JoiningToken(participant.JoiningMethod));
        await RunParticipantMediaAsync(conference, participant, MsrpSdp.OffererRole(answer.Setup), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A participant's MSRP session: connect (RFC 6135 role) or wait for the peer, then send it, in order, what
    /// the others said; ends when it leaves; closes the session.</summary>
    private async Task RunParticipantMediaAsync(Conference conference, ConferenceParticipant participant, MsrpConnectionRole role, CancellationToken cancellationToken)
    {
        var session = participant.Session!;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, participant.Stop.Token);
        try
        {
            string? failure = null;
            try
            {
                using var timeout = new CancellationTokenSource(_settings.ConferenceMediaTimeout, _time);
                using var connect = CancellationTokenSource.CreateLinkedTokenSource(linked.Token, timeout.Token);
                if (role == MsrpConnectionRole.Active)
                {
                    await session.ConnectAsync(connect.Token).ConfigureAwait(false);
                }
                else
                {
                    await session.WaitForConnectionAsync(connect.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (!linked.IsCancellationRequested)
            {
                failure = "MSRP connection timed out";
            }
            catch (Exception exception) when (exception is IOException or MsrpSessionException or System.Net.Sockets.SocketException or InvalidOperationException)
            {
                failure = "MSRP connection: " + exception.Message;
            }

            if (failure is not null)
            {
                await DropParticipantAsync(conference, participant, ConferenceDisconnectionMethod.Failed, failure, cancellationToken, sendBye: true).ConfigureAwait(false);
                return;
            }

            await foreach (var message in participant.Outbox.Reader.ReadAllAsync(linked.Token).ConfigureAwait(false))
            {
                var result = await session.SendMessageAsync(message.ContentType, message.Body, new MsrpSendOptions(), linked.Token).ConfigureAwait(false);
                if (!result.IsSuccess)
                {
                    // Each participant's 200 is its own: a refusal here touches nobody else (RFC 4975 §7.1.1 per hop).
                    _logger.ConferenceRelayFailed(conference.Uri, participant.Identity, result.Outcome + " " + result.StatusCode.ToString(CultureInfo.InvariantCulture));
                    if (result.Outcome is MsrpSendOutcome.ConnectionLost)
                    {
                        await DropParticipantAsync(conference, participant, ConferenceDisconnectionMethod.Failed, "MSRP connection lost", cancellationToken, sendBye: true)
                            .ConfigureAwait(false);
                        return;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Left, or the server stops.
        }
        catch (Exception exception) when (exception is IOException or MsrpSessionException or InvalidOperationException)
        {
            _logger.ConferenceRelayFailed(conference.Uri, participant.Identity, exception.Message);
        }
        finally
        {
            await session.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The focus takes a participant out (its INVITE failed, its media failed): roster, NOTIFY, BYE when a
    /// dialog exists and <paramref name="sendBye"/>, and the release policy.</summary>
    private async Task DropParticipantAsync(Conference conference, ConferenceParticipant participant, ConferenceDisconnectionMethod method, string reason,
        CancellationToken cancellationToken, bool sendBye = false)
    {
        List<ConferenceParticipant>? release;
        lock (conference.Gate)
        {
            if (!participant.IsLive)
            {
                return;
            }

            var now = _time.GetUtcNow();
            participant.Disconnect(method, reason, now);
            NotifyChangedLocked(conference, [participant], now);
            release = ReleaseIfDueLocked(conference, now);
        }

        _logger.ParticipantFailed(conference.Uri, participant.Identity, reason);
        if (sendBye && participant.Dialog is { } dialog)
        {
            await SendByeAsync(conference, dialog, cancellationToken).ConfigureAwait(false);
        }

        await participant.Stop.CancelAsync().ConfigureAwait(false);
        if (release is not null)
        {
            await FinishReleaseAsync(conference, release, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task SendByeAsync(Conference conference, FocusDialog dialog, CancellationToken cancellationToken)
    {
        try
        {
            var outcome = await Core.SendRequestAsync(FocusRequest(conference, dialog, "BYE", dialog.NextCSeq()), cancellationToken).ConfigureAwait(false);
            if (outcome.Response is not { IsSuccess: true })
            {
                _logger.ConferenceRelayFailed(conference.Uri, dialog.RemoteTarget.ToString(), "BYE: " + (outcome.Response?.StatusCode.ToString(CultureInfo.InvariantCulture)
                    ?? outcome.Failure.ToString()));
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>Under the gate: when the release policy says so, ends the conference — the remaining users leave the
    /// roster (booted), the subscriptions get their last NOTIFY (terminated;reason=noresource, RFC 6665 §4.2.2) — and
    /// returns who still needs a BYE; else null.</summary>
    private List<ConferenceParticipant>? ReleaseIfDueLocked(Conference conference, DateTimeOffset now)
    {
        if (conference.Ended)
        {
            return null;
        }

        var live = conference.Participants.Count(p => p.IsLive);
        var due = _settings.ConferenceRelease == ConferenceReleasePolicy.FewerThanTwo ? live < 2 : live == 0;
        if (!due)
        {
            return null;
        }

        conference.Ended = true;
        _conferences.TryRemove(conference.User, out _);
        var remaining = conference.Participants.Where(p => p.IsLive).ToList();
        foreach (var participant in remaining)
        {
            participant.Disconnect(ConferenceDisconnectionMethod.Booted, "conference released", now);
        }

        EndSubscriptionsLocked(conference, remaining);
        return remaining;
    }

    private async Task FinishReleaseAsync(Conference conference, List<ConferenceParticipant> remaining, CancellationToken cancellationToken)
    {
        _logger.ConferenceReleased(conference.Uri, remaining.Count == 0 ? "nobody left" : "fewer than two participants");
        foreach (var participant in remaining)
        {
            if (participant.Dialog is { } dialog)
            {
                _logger.ParticipantLeft(conference.Uri, participant.Identity, "booted");
                await SendByeAsync(conference, dialog, cancellationToken).ConfigureAwait(false);
            }

            await participant.Stop.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>An in-dialog request of the focus (RFC 3261 §12.2.1.1): to the remote target, the dialog's From/To/Call-ID.</summary>
    private ApplicationServerOutbound FocusRequest(Conference conference, FocusDialog dialog, string method, uint cseq, Action<SipMessageBuilder>? more = null) =>
        new(method, dialog.RemoteTarget, ToRegisteredContact: false, (b, transport) =>
        {
            b.Add(SipHeaderId.From, dialog.LocalParty)
                .Add(SipHeaderId.To, dialog.RemoteParty)
                .CallId(dialog.CallId)
                .Add(SipHeaderId.CSeq, cseq.ToString(CultureInfo.InvariantCulture) + " " + method);
            if (method is "NOTIFY")
            {
                b.Add(SipHeaderId.Contact, "<" + Core.ApplicationServerUri(conference.User, transport) + ">;isfocus");
            }

            b.Add(SipHeaderId.UserAgent, _settings.UserAgent);
            more?.Invoke(b);
        });

    // ---- Requests to the conference URI ----

    /// <summary>Initial requests to a conference URI from a registered user: SUBSCRIBE (RFC 4575), INVITE (dial-in of a
    /// listed user who is not in, RFC 4579 §5.2).</summary>
    private async ValueTask<bool> OnConferenceRequestAsync(ApplicationServerRequest request, CancellationToken cancellationToken)
    {
        var sip = request.Request;
        if (!_conferences.TryGetValue(sip.RequestUri.User!, out var conference))
        {
            await RefuseAsync(request, 404, "Not Found - No such conference", null, cancellationToken).ConfigureAwait(false);
            return true;
        }

        switch (sip.Method)
        {
            case SipMethod.Subscribe:
                await OnConferenceSubscribeAsync(conference, request, cancellationToken).ConfigureAwait(false);
                return true;
            case SipMethod.Invite:
                await OnConferenceDialInAsync(conference, request, cancellationToken).ConfigureAwait(false);
                return true;
            case SipMethod.Message:
                await OnConferenceMessageAsync(conference, request, cancellationToken).ConfigureAwait(false);
                return true;
            case SipMethod.Options:
                await Core.RespondAsync(sip, request.Flow, 200, addHeaders: b => b.Add(SipHeaderId.Allow, FocusAllow).Add(SipHeaderId.AllowEvents, "conference")
                    .Add(SipHeaderId.Supported, "recipient-list-invite, timer"), cancellationToken: cancellationToken)
                    .ConfigureAwait(false);
                return true;
            default:
                await RefuseAsync(request, 405, "Method Not Allowed", b => b.Add(SipHeaderId.Allow, FocusAllow), cancellationToken).ConfigureAwait(false);
                return true;
        }
    }

    /// <summary>
    /// A pager MESSAGE into the ongoing session's identity (8.1.1 step 8 / 8.3.2.1): a connected participant's message is
    /// relayed to the others over their MSRP sessions, as if sent in the session; anybody else gets 403.
    /// </summary>
    private async ValueTask OnConferenceMessageAsync(Conference conference, ApplicationServerRequest request, CancellationToken cancellationToken)
    {
        var sip = request.Request;
        var user = request.ServedUser!;
        ConferenceParticipant? sender;
        lock (conference.Gate)
        {
            sender = conference.Ended ? null : conference.Participants.FirstOrDefault(p =>
                p.Status == ConferenceEndpointStatus.Connected && ReferenceEquals(Core.FindSubscriber(SipUri.Parse(p.Identity)), user));
        }

        var status = sender is null
            ? 403
            : RelayConferenceMessage(conference, sender, sip.Headers.GetValue(SipHeaderId.ContentType) ?? "text/plain", sip.Body.ToArray());
        if (status == 200)
        {
            await Core.RespondAsync(sip, request.Flow, 200, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await RefuseAsync(request, 403, "Forbidden - Not connected to this conference", null, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A listed user who declined, failed or left comes back by INVITE to the conference URI; the ad-hoc
    /// conference is closed to anybody else (403).</summary>
    private async ValueTask OnConferenceDialInAsync(Conference conference, ApplicationServerRequest request, CancellationToken cancellationToken)
    {
        var sip = request.Request;
        var user = request.ServedUser!;
        ConferenceParticipant? previous;
        lock (conference.Gate)
        {
            previous = conference.Ended ? null : conference.Participants.FirstOrDefault(p => ReferenceEquals(Core.FindSubscriber(SipUri.Parse(p.Identity)), user));
        }

        if (previous is null)
        {
            await RefuseAsync(request, 403, "Forbidden - Not on this conference's list", null, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (previous.IsLive)
        {
            await RefuseAsync(request, 486, "Busy Here - Already in the conference", null, cancellationToken).ConfigureAwait(false);
            return;
        }

        MsrpMediaDescription offer;
        try
        {
            offer = HasMsrpOffer(sip) ? MsrpSdp.Read(Encoding.UTF8.GetString(sip.Body.Span)) : throw new SdpFormatException(SdpError.NoMsrpMedia, 0);
        }
        catch (FormatException exception)
        {
            await RefuseAsync(request, 488, "Not Acceptable Here - " + exception.Message.ReplaceLineEndings(" "), null, cancellationToken).ConfigureAwait(false);
            return;
        }

        var participant = new ConferenceParticipant(previous.Identity, sip.Headers.From?.DisplayName, SipText.WantsAnonymity(sip), ConferenceJoiningMethod.DialedIn,
            conference.NextMediaId());
        lock (conference.Gate)
        {
            if (conference.Ended || !ReferenceEquals(conference.Participants.FirstOrDefault(p => p.Identity == previous.Identity), previous))
            {
                participant = null;
            }
            else
            {
                conference.Participants[conference.Participants.IndexOf(previous)] = participant;
            }
        }

        if (participant is null)
        {
            await RefuseAsync(request, 404, "Not Found - No such conference", null, cancellationToken).ConfigureAwait(false);
            return;
        }

        await AnswerJoinAsync(conference, participant, request, offer, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Requests inside the focus's dialogs (ACK, BYE, SUBSCRIBE refresh, UPDATE, OPTIONS), addressed to the
    /// conference URI.</summary>
    private async ValueTask<bool> OnConferenceDialogRequestAsync(ApplicationServerRequest request, CancellationToken cancellationToken)
    {
        var sip = request.Request;
        ConferenceParticipant? participant = null;
        ConferenceSubscription? subscription = null;
        if (_conferences.TryGetValue(sip.RequestUri.User!, out var conference))
        {
            lock (conference.Gate)
            {
                participant = conference.Find(sip.Headers.CallId!);
                subscription = conference.Subscriptions.FirstOrDefault(s => string.Equals(s.Dialog.CallId, sip.Headers.CallId, StringComparison.Ordinal));
            }
        }

        if (sip.Method == SipMethod.Ack)
        {
            return true;
        }

        if (conference is null || (participant is null && subscription is null))
        {
            // RFC 3261 §12.2.2: no such dialog (the conference may have ended).
            await Core.RespondAsync(sip, request.Flow, 481, cancellationToken: cancellationToken).ConfigureAwait(false);
            return true;
        }

        switch (sip.Method)
        {
            case SipMethod.Bye when participant is not null:
                await OnParticipantByeAsync(conference, participant, request, cancellationToken).ConfigureAwait(false);
                return true;
            case SipMethod.Subscribe when subscription is not null:
                await OnConferenceResubscribeAsync(conference, subscription, request, cancellationToken).ConfigureAwait(false);
                return true;
            case SipMethod.Update or SipMethod.Options when participant is not null:
                // RFC 4028 §7.4: a session refresh without SDP.
                await Core.RespondAsync(sip, request.Flow, 200, cancellationToken: cancellationToken).ConfigureAwait(false);
                return true;
            case SipMethod.Invite when participant is not null:
                // RFC 5366 §5.1 would let a re-INVITE add users; this focus keeps the session as set up.
                await Core.RespondAsync(sip, request.Flow, 488, "Not Acceptable Here - No re-negotiation", cancellationToken: cancellationToken).ConfigureAwait(false);
                return true;
            default:
                await Core.RespondAsync(sip, request.Flow, 405, addHeaders: b => b.Add(SipHeaderId.Allow, FocusAllow), cancellationToken: cancellationToken)
                    .ConfigureAwait(false);
                return true;
        }
    }

    /// <summary>RFC 4579 §5.6: a participant's BYE takes it out; the others hear of it through the conference event
    /// package; the release policy may end the conference.</summary>
    private async ValueTask OnParticipantByeAsync(Conference conference, ConferenceParticipant participant, ApplicationServerRequest request, CancellationToken cancellationToken)
    {
        List<ConferenceParticipant>? release = null;
        var now = _time.GetUtcNow();
        bool left;
        lock (conference.Gate)
        {
            left = participant.IsLive;
            if (left)
            {
                participant.Disconnect(ConferenceDisconnectionMethod.Departed, null, now);
                NotifyChangedLocked(conference, [participant], now);
                release = ReleaseIfDueLocked(conference, now);
            }
        }

        await Core.RespondAsync(request.Request, request.Flow, 200, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (left)
        {
            _logger.ParticipantLeft(conference.Uri, participant.Identity, "departed");
        }

        // Off the core's loop: cancelling runs the media task's continuations, and the release sends BYEs through the core.
        Run(async token =>
        {
            await participant.Stop.CancelAsync().ConfigureAwait(false);
            if (release is not null)
            {
                await FinishReleaseAsync(conference, release, token).ConfigureAwait(false);
            }
        });
    }

    // ---- MSRP relay ----

    /// <summary>A complete message from <paramref name="sender"/>: one copy for every other connected participant
    /// (message/cpim with the sender's identity, or the CPIM it sent as it came). Returns the MSRP status for the
    /// sender: 200 once queued for all, 403 when the sender is not in the conference (RFC 4975 §10.2 "action not
    /// allowed").</summary>
    private int RelayConferenceMessage(Conference conference, ConferenceParticipant sender, string contentType, byte[] body)
    {
        var isCpim = contentType.StartsWith(CpimWrapper.ContentType, StringComparison.OrdinalIgnoreCase);
        byte[]? wrapped = isCpim ? body : null;
        var count = 0;
        lock (conference.Gate)
        {
            if (conference.Ended || sender.Status != ConferenceEndpointStatus.Connected)
            {
                return 403;
            }

            foreach (var participant in conference.Participants)
            {
                if (ReferenceEquals(participant, sender) || participant.Status != ConferenceEndpointStatus.Connected)
                {
                    continue;
                }

                RelayedMessage copy;
                if (CpimWrapper.Accepts(participant.PeerAcceptTypes, CpimWrapper.ContentType))
                {
                    wrapped ??= CpimWrapper.Wrap(sender.Anonymous ? AnonymousUri : sender.Identity, sender.DisplayName, conference.Uri, _time.GetUtcNow(), contentType, body);
                    copy = new RelayedMessage(CpimWrapper.ContentType, wrapped, sender.Identity);
                }
                else if (!isCpim && CpimWrapper.Accepts(participant.PeerAcceptTypes, contentType))
                {
                    copy = new RelayedMessage(contentType, body, sender.Identity);
                }
                else
                {
                    _logger.ConferenceRelayFailed(conference.Uri, participant.Identity, contentType + " is not in its a=accept-types");
                    continue;
                }

                if (participant.Outbox.Writer.TryWrite(copy))
                {
                    count++;
                }
                else
                {
                    _logger.ConferenceRelayFailed(conference.Uri, participant.Identity, "too far behind, message dropped");
                }
            }
        }

        _logger.ConferenceMessageRelayed(conference.Uri, contentType, body.Length, sender.Identity, count);
        return 200;
    }

    /// <summary>Receives a participant's SENDs into bounded memory; each complete one is relayed before its 200.</summary>
    private sealed class ConferenceMsrpHandler(ImServer server, Conference conference, ConferenceParticipant participant) : IMsrpSessionHandler
    {
        public MsrpReceiveDecision OnMessageStarted(MsrpSession session, MsrpIncomingMessage message)
        {
            if (message.TotalLength > server._settings.MaxConferenceMessageBytes)
            {
                return MsrpReceiveDecision.Reject(413);
            }

            return MsrpReceiveDecision.Accept(new ConferenceSink(server, conference, participant, message));
        }
    }

    private sealed class ConferenceSink(ImServer server, Conference conference, ConferenceParticipant participant, MsrpIncomingMessage message) : IMsrpMessageSink
    {
        private readonly MsrpMemorySink _memory = new(server._settings.MaxConferenceMessageBytes, message.TotalLength);

        public ValueTask WriteAsync(long offset, System.Buffers.ReadOnlySequence<byte> data, CancellationToken cancellationToken) =>
            _memory.WriteAsync(offset, data, cancellationToken);

        public async ValueTask<int> CompleteAsync(long length, CancellationToken cancellationToken)
        {
            await _memory.CompleteAsync(length, cancellationToken).ConfigureAwait(false);
            return server.RelayConferenceMessage(conference, participant, message.ContentType, _memory.Data.ToArray());
        }

        public ValueTask AbortAsync(MsrpIncompleteReason reason, CancellationToken cancellationToken) => _memory.AbortAsync(reason, cancellationToken);
    }
}
