// SPDX-License-Identifier: MIT
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using ImUeAgent.Im.Client.Deferred;
using ImUeAgent.Im.Client.Large;
using ImUeAgent.Im.Client.Pager;
using ImUeAgent.Im.Client.Sessions;
using ImUeAgent.Im.Content;
using ImUeAgent.Im.FeatureTags;
using ImUeAgent.Im.Store;
using ImUeAgent.Msrp.Framing;
using ImUeAgent.Msrp.Sdp;
using ImUeAgent.Msrp.Sessions;
using ImUeAgent.Sip.Dialogs;
using ImUeAgent.Sip.Message;
using ImUeAgent.Sip.Transactions;
using ImUeAgent.Sip.Ua;

namespace ImUeAgent.Im.Client;

public sealed partial class ImClient
{
    /// <summary>MSRP status when the store could not commit a received message: not 200, so the sender keeps it
    /// (RFC 4975 defines no server-error class; 403 tells the IM Server this attempt was refused).</summary>
    internal const int StoreFailureMsrpStatus = MsrpStatusCodes.Forbidden;

    private readonly ConcurrentDictionary<string, IncomingSessionEntry> _incoming = new(StringComparer.Ordinal);

    /// <summary>An accepted incoming MSRP session (large message or deferred push) until its BYE.</summary>
    private sealed class IncomingSessionEntry(MsrpSession session, IncomingMsrpSession handler, SipDialog dialog, SipUserAgent userAgent, string answer, string? sessionExpires)
    {
        public MsrpSession Session => session;

        public IncomingMsrpSession Handler => handler;

        public SipDialog Dialog => dialog;

        public SipUserAgent UserAgent => userAgent;

        public string Answer => answer;

        public string? SessionExpires => sessionExpires;

        public TaskCompletionSource Bye { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    // ---- pager mode (RFC 3428, OMA SIMPLE IM 8) ----

    private async ValueTask OnMessageAsync(SipServerTransaction tx, SipDialog? dialog)
    {
        SipRequest request = tx.Request;
        if (_disposed)
        {
            Reject(tx, 480, "Temporarily Unavailable - IM client stopping");
            return;
        }

        string? contentType = request.Headers.GetValue(SipHeaderId.ContentType)?.Trim();
        if (string.IsNullOrEmpty(contentType) || request.Headers.CallId is not { } callId || request.Headers.CSeq is not { } cseq)
        {
            Reject(tx, 400, "Bad Request - MESSAGE without Content-Type");
            return;
        }

        NameAddress? sender = request.Headers.PAssertedIdentity is { Count: > 0 } pai ? pai[0] : request.Headers.From;
        ReceivedContent content = ReceivedContent.Read(contentType, request.Body, sender?.Uri.ToString());
        if (content.IsError)
        {
            Reject(tx, content.Error is ContentError.InvalidContentType ? 415 : 400, "Bad Request - " + ContentErrors.Describe(content.Error));
            return;
        }

        if (content.Notification is { } notification)
        {
            int status = await RecordNotificationAsync(notification, _stopping.Token).ConfigureAwait(false);
            Respond(tx, status);
            return;
        }

        ApplicationSelection selection = _selector.Select(request);
        var message = new NewInboxMessage
        {
            Source = MessageSource.Pager,
            SenderUri = content.CpimFrom ?? sender?.Uri.ToString() ?? Originator.AnonymousUri.ToString(),
            SenderDisplayName = content.CpimFrom is not null ? content.CpimFromName : sender?.DisplayName,
            Recipients = request.Headers.To is { } to ? [to.Uri.ToString()] : [],
            CallId = callId,
            MessageId = content.ImdnMessageId,
            ReceivedAt = _time.GetUtcNow(),
            OriginalDate = content.DateTime,
            ContentType = content.ContentType,
            Body = content.Body,
            ImdnRequested = content.ImdnRequested,
            Identities = content.Identities(InboxIdentity.ForSipRequest(callId, cseq.Number)),
            ApplicationId = selection.Application?.Id,
        };

        InboxInsertResult result;
        try
        {
            result = await _store.InsertInboxAsync(message, _stopping.Token).ConfigureAwait(false);
        }
        catch (MessageStoreException e)
        {
            // Nothing committed, so nothing acknowledged: the sender (or the IM Server) keeps the message.
            ClientLog.StoreFailed(_logger, e, "storing a received MESSAGE");
            (int status, string reason) = StoreRejection(e.Reason);
            Reject(tx, status, reason);
            return;
        }
        catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException)
        {
            Reject(tx, 500, "Server Internal Error - message store unavailable");
            return;
        }

        // Committed (or already stored): now the 200 (OMA SIMPLE IM durable store: commit before acknowledge).
        Respond(tx, 200);
        OnInboxCommitted(result, message, content);
    }

    // ---- Large Message Mode receipt (9) and deferred push (Appendix D.2) ----

    private async ValueTask OnInviteAsync(SipUserAgent userAgent, SipServerTransaction tx, SipDialog? dialog)
    {
        SipRequest request = tx.Request;
        if (dialog is not null)
        {
            // A re-INVITE within an accepted session: a session refresh (RFC 4028 §10); the media stays as answered.
            if (_incoming.TryGetValue(request.Headers.CallId!, out IncomingSessionEntry? known))
            {
                tx.Respond(SessionAnswer(request, userAgent, known.Dialog.LocalTag, known.Answer, known.SessionExpires));
            }
            else if (!_chats.OnRefreshRequest(tx))
            {
                Reject(tx, 488, "Not Acceptable Here - no media change in this session");
            }

            return;
        }

        if (_disposed)
        {
            Reject(tx, 480, "Temporarily Unavailable - IM client stopping");
            return;
        }

        if (_settings.SessionAcceptPolicy == ImSessionAcceptPolicy.Decline)
        {
            Reject(tx, 603, "Decline");
            return;
        }

        if (request.Headers.ContentType is not { } type || !type.Is("application", "sdp"))
        {
            Reject(tx, 415, "Unsupported Media Type - an MSRP offer in application/sdp is needed");
            return;
        }

        if (!SdpSessionDescription.TryParse(Encoding.UTF8.GetString(request.Body.Span), out SdpSessionDescription? sdp, out SdpError sdpError, out _)
            || !MsrpSdp.TryRead(sdp, out MsrpMediaDescription? offer, out sdpError) || offer.Setup == MsrpSetup.HoldConn)
        {
            Reject(tx, 488, "Not Acceptable Here - " + (sdpError == SdpError.None ? "a=setup:holdconn" : sdpError.ToString()));
            return;
        }

        if (request.Headers.Contact is not { Count: > 0 } || request.Headers.From?.Tag is null)
        {
            Reject(tx, 400, "Bad Request - INVITE without Contact or From tag");
            return;
        }

        string callId = request.Headers.CallId!;
        ApplicationSelection selection = _selector.Select(request);
        ChatOfferDecision kind = ChatOfferClassifier.Classify(sdp, offer);
        SessionLog.OfferClassified(_logger, callId, kind);
        if (kind == ChatOfferDecision.Chat)
        {
            // 7: an IM session; everything else stays Large Message Mode / deferred push (ChatOfferClassifier).
            _chats.Accept(userAgent, tx, offer, selection.Application?.Id);
            return;
        }

        NameAddress? sender = request.Headers.PAssertedIdentity is { Count: > 0 } pai ? pai[0] : request.Headers.From;
        var context = new IncomingSessionContext(callId, sender?.Uri.ToString(), sender?.DisplayName, request.Headers.To?.Uri.ToString(), selection.Application?.Id);
        var handler = new IncomingMsrpSession(context, _settings.MaxIncomingMessageBytes, CommitMsrpAsync);
        MsrpSession session = _msrp.CreateSession(handler, new MsrpSessionOptions
        {
            MaxMessageSize = _settings.MaxIncomingMessageBytes,
            TransactionTimeout = _settings.MsrpTimeout,
        });
        string answer = MsrpSdp.CreateAnswer(session, offer, ["*"], null, _settings.MaxIncomingMessageBytes, out MsrpConnectionRole role);
        if (MsrpDirection.AnswerTo(MsrpDirection.Of(sdp)) is { } direction)
        {
            // RFC 3264 §6.1: a sendonly offer (a Large Message Mode peer that says so) is answered recvonly.
            answer = MsrpDirection.With(answer, direction);
        }

        string localTag = SipUserAgent.NewTag();
        SipDialog uas = SipDialog.CreateUas(request, localTag);
        string? sessionExpires = request.Headers.SessionExpires is { Seconds: uint seconds }
            ? seconds.ToString(CultureInfo.InvariantCulture) + ";refresher=" + (request.Headers.SessionExpires.Refresher ?? "uac")
            : null;
        var entry = new IncomingSessionEntry(session, handler, uas, userAgent, answer, sessionExpires);
        if (!_incoming.TryAdd(callId, entry))
        {
            await session.DisposeAsync().ConfigureAwait(false);
            Reject(tx, 482, "Loop Detected - Call-ID already in a session");
            return;
        }

        userAgent.Dialogs.Add(uas);
        tx.Respond(SessionAnswer(request, userAgent, localTag, answer, sessionExpires));
        Track(RunIncomingSessionAsync(entry, tx as InviteServerTransaction, role, callId));
    }

    private SipResponse SessionAnswer(SipRequest request, SipUserAgent userAgent, string localTag, string answer, string? sessionExpires)
    {
        SipMessageBuilder ok = SipMessageBuilder.ResponseTo(request, 200, toTag: request.Headers.To?.Tag is null ? localTag : null)
            .Contact(_imOnlyPolicy.BuildContact(userAgent.ContactUri(null)))
            .Add(SipHeaderId.Allow, OutgoingRequestFactory.Allow)
            .Add(SipHeaderId.Supported, "timer");
        if (sessionExpires is not null)
        {
            // RFC 4028 §9: the 2xx carries the interval (and Require: timer, the UAC having said it supports it).
            ok.Add(SipHeaderId.SessionExpires, sessionExpires).Add(SipHeaderId.Require, "timer");
        }

        return ok.Body(new MediaType("application", "sdp"), Encoding.UTF8.GetBytes(answer)).BuildResponse();
    }

    /// <summary>After the 200: the ACK, the MSRP connection per a=setup, then the SENDs (committed by the session
    /// handler) until the peer's BYE; without a BYE the session ends at its Session-Expires (RFC 4028 §10) with ours.</summary>
    private async Task RunIncomingSessionAsync(IncomingSessionEntry entry, InviteServerTransaction? invite, MsrpConnectionRole role, string callId)
    {
        CancellationToken stopping = _stopping.Token;
        try
        {
            if (invite is not null && await invite.Acknowledged.WaitAsync(stopping).ConfigureAwait(false) is null)
            {
                return;
            }

            using (var deadline = new CancellationTokenSource(_settings.MsrpTimeout, _time))
            using (var connect = CancellationTokenSource.CreateLinkedTokenSource(stopping, deadline.Token))
            {
                if (role == MsrpConnectionRole.Active)
                {
                    await entry.Session.ConnectAsync(connect.Token).ConfigureAwait(false);
                }
                else
                {
                    await entry.Session.WaitForConnectionAsync(connect.Token).ConfigureAwait(false);
                }
            }

            uint expires = entry.SessionExpires is { } se && uint.TryParse(se.AsSpan(0, se.IndexOf(';', StringComparison.Ordinal)), CultureInfo.InvariantCulture, out uint s)
                ? s : (uint)_settings.SessionExpiresSeconds;
            Task expiry = Task.Delay(TimeSpan.FromSeconds(expires), _time, stopping);
            await Task.WhenAny(entry.Bye.Task, entry.Handler.Closed, expiry).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or MsrpSessionException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            if (!stopping.IsCancellationRequested)
            {
                ClientLog.SessionFailed(_logger, e, callId);
            }
        }
        finally
        {
            _incoming.TryRemove(callId, out _);
            await entry.Session.DisposeAsync().ConfigureAwait(false);
            if (!entry.Bye.Task.IsCompleted && entry.Dialog.State != SipDialogState.Terminated)
            {
                try
                {
                    await entry.UserAgent.ByeAsync(entry.Dialog).ConfigureAwait(false);
                }
                catch (Exception e) when (e is SipTransactionException or ObjectDisposedException or InvalidOperationException)
                {
                    ClientLog.SessionFailed(_logger, e, callId);
                }
            }
        }
    }

    private ValueTask OnByeAsync(SipServerTransaction tx, SipDialog? dialog)
    {
        Respond(tx, 200);
        if (tx.Request.Headers.CallId is { } callId)
        {
            if (_incoming.TryGetValue(callId, out IncomingSessionEntry? entry))
            {
                entry.Bye.TrySetResult();
            }

            _chats.OnBye(callId);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>UPDATE (RFC 3311): a session refresh of an IM session (RFC 4028 §9); 481 for any other dialog.</summary>
    private ValueTask OnUpdateAsync(SipServerTransaction tx, SipDialog? dialog)
    {
        if (dialog is null || !_chats.OnRefreshRequest(tx))
        {
            Reject(tx, 481, "Call/Transaction Does Not Exist");
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>One complete MSRP message of an accepted session: a deferred push (message/sip, message/sipfrag,
    /// message/msrp, multipart/mixed of those) is unwrapped and its messages committed in one transaction; anything
    /// else is one large message. The returned status is the SEND's response, sent after the commit.</summary>
    private ValueTask<int> CommitMsrpAsync(IncomingSessionContext context, MsrpIncomingMessage message, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
        CommitMsrpAsync(context, message, body, MessageSource.LargeMessage, null, cancellationToken);

    /// <summary>As above for a given source: Large Message Mode, or an IM session (7) whose messages carry the
    /// session's id as ConversationId.</summary>
    private async ValueTask<int> CommitMsrpAsync(IncomingSessionContext context, MsrpIncomingMessage message, ReadOnlyMemory<byte> body, MessageSource source,
        string? conversationId, CancellationToken cancellationToken)
    {
        string contentType = message.ContentType.Length > 0 ? message.ContentType : "application/octet-stream";
        DateTimeOffset now = _time.GetUtcNow();
        if (DeferredPushStorage.IsDeferredPush(contentType, body))
        {
            return await CommitDeferredPushAsync(context, contentType, body, now, cancellationToken).ConfigureAwait(false);
        }

        ReceivedContent content = ReceivedContent.Read(contentType, body, context.SenderUri);
        if (content.IsError)
        {
            ClientLog.IncomingRejected(_logger, "MSRP SEND", MsrpStatusCodes.BadRequest, content.Describe());
            return content.Error is ContentError.InvalidContentType ? MsrpStatusCodes.UnsupportedMediaType : MsrpStatusCodes.BadRequest;
        }

        if (content.Notification is { } notification)
        {
            return await RecordNotificationAsync(notification, cancellationToken).ConfigureAwait(false) == 200 ? MsrpStatusCodes.Ok : StoreFailureMsrpStatus;
        }

        var inbox = new NewInboxMessage
        {
            Source = source,
            ConversationId = conversationId,
            SenderUri = content.CpimFrom ?? context.SenderUri ?? Originator.AnonymousUri.ToString(),
            SenderDisplayName = content.CpimFrom is not null ? content.CpimFromName : context.SenderName,
            Recipients = context.RecipientUri is { } to ? [to] : [],
            CallId = context.CallId,
            MessageId = content.ImdnMessageId,
            ReceivedAt = now,
            OriginalDate = content.DateTime,
            ContentType = content.ContentType,
            Body = content.Body,
            ImdnRequested = content.ImdnRequested,
            Identities = content.Identities(InboxIdentity.ForMsrpMessage(context.CallId, message.MessageId)),
            // A session this client originated had no incoming request to route: its messages go to the default.
            ApplicationId = context.ApplicationId ?? _defaultApplicationId,
        };
        try
        {
            InboxInsertResult result = await _store.InsertInboxAsync(inbox, cancellationToken).ConfigureAwait(false);
            OnInboxCommitted(result, inbox, content);
            return MsrpStatusCodes.Ok;
        }
        catch (Exception e) when (e is MessageStoreException or ObjectDisposedException)
        {
            ClientLog.StoreFailed(_logger, e, source == MessageSource.Session ? "storing a session message" : "storing a large message");
            return StoreFailureMsrpStatus;
        }
    }

    private async ValueTask<int> CommitDeferredPushAsync(IncomingSessionContext context, string contentType, ReadOnlyMemory<byte> body, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        if (!_settings.AcceptDeferredPush)
        {
            return MsrpStatusCodes.Forbidden;
        }

        DeferredPushBatch batch = DeferredPushStorage.Build(contentType, body, context, _selector, now);
        foreach (ReceivedNotification n in batch.Notifications)
        {
            if (await RecordNotificationAsync(n, cancellationToken).ConfigureAwait(false) != 200)
            {
                return StoreFailureMsrpStatus;
            }
        }

        if (batch.Messages.Count > 0)
        {
            IReadOnlyList<InboxInsertResult> results;
            try
            {
                // All parts in one transaction, before the MSRP 200 (Appendix D.2 step 9).
                results = await _store.InsertInboxBatchAsync(batch.Messages, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is MessageStoreException or ObjectDisposedException)
            {
                ClientLog.StoreFailed(_logger, e, "storing a deferred push");
                return StoreFailureMsrpStatus;
            }

            for (int i = 0; i < results.Count; i++)
            {
                OnInboxCommitted(results[i], batch.Messages[i], batch.Contents[i]);
            }
        }

        ClientLog.DeferredPushStored(_logger, context.CallId, batch.Messages.Count - batch.Unparsed, batch.Unparsed, batch.Status);
        return batch.Status;
    }

    // ---- IMDN (RFC 5438) ----

    /// <summary>Records a received notification against the outbox (correlated by Message-ID) and returns the SIP
    /// status to answer: 200 once recorded (or when it is about nothing we sent), 400 for a value the store refuses,
    /// 500 when the store failed.</summary>
    private async Task<int> RecordNotificationAsync(ReceivedNotification received, CancellationToken cancellationToken)
    {
        ImdnNotification n = received.Notification;
        OutboxDisposition? disposition = (n.Kind, n.Status) switch
        {
            (ImdnNotificationKind.Delivery, ImdnStatus.Delivered) => OutboxDisposition.Delivered,
            (ImdnNotificationKind.Delivery, ImdnStatus.Failed) => OutboxDisposition.DeliveryFailed,
            (ImdnNotificationKind.Display, ImdnStatus.Displayed) => OutboxDisposition.Displayed,
            (ImdnNotificationKind.Delivery or ImdnNotificationKind.Display, ImdnStatus.Forbidden) => OutboxDisposition.DeliveryForbidden,
            (ImdnNotificationKind.Delivery or ImdnNotificationKind.Display, ImdnStatus.Error) => OutboxDisposition.DeliveryError,
            _ => null,
        };
        if (disposition is null)
        {
            // Processing notifications (RFC 5438 §7.2.1.1) are interim: nothing to record.
            return 200;
        }

        try
        {
            DispositionOutcome outcome = await _store.RecordDispositionAsync(n.MessageId, received.From, disposition.Value, n.DateTime, cancellationToken)
                .ConfigureAwait(false);
            ClientLog.ImdnReceived(_logger, disposition.Value, n.MessageId, outcome);
        }
        catch (MessageStoreException e)
        {
            ClientLog.StoreFailed(_logger, e, "recording a delivery notification");
            return StoreRejection(e.Reason).Status;
        }
        catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException)
        {
            return 500;
        }

        await PublishOutboxAsync().ConfigureAwait(false);
        return 200;
    }

    private void OnInboxCommitted(InboxInsertResult result, NewInboxMessage message, ReceivedContent content)
    {
        ClientLog.InboxCommitted(_logger, result.Id, result.Outcome, message.Source, message.ApplicationId);
        if (!result.IsNew)
        {
            return;
        }

        _inboxChanged.Set();
        RaiseSafely(InboxAdded, new ImInboxEvent(ToStored(result.Id, message)));
        if ((message.ImdnRequested & ImdnDispositions.PositiveDelivery) != 0 && content.ImdnMessageId is { } imdnId && message.SenderUri is { } target)
        {
            Track(SendImdnAsync(result.Id, imdnId, target, content.DateTime ?? message.ReceivedAt, ImdnNotificationKind.Delivery, ImdnStatus.Delivered,
                ImdnDispositions.PositiveDelivery, _stopping.Token));
        }
    }

    /// <summary>Sends one IMDN for a received message in a pager-mode MESSAGE to the CPIM sender (RFC 5438 §7.1.1),
    /// and records it as sent once the network took it (so a restart does not send it twice).</summary>
    private async Task<bool> SendImdnAsync(long inboxId, string imdnMessageId, string target, DateTimeOffset messageDate, ImdnNotificationKind kind,
        ImdnStatus status, ImdnDispositions bit, CancellationToken cancellationToken)
    {
        string what = kind.ToString();
        Originator? me = OwnOriginator(anonymous: false);
        if (me is null)
        {
            ClientLog.ImdnNotSent(_logger, what, inboxId, "not registered");
            return false;
        }

        if (!SipUri.TryParse(target, out SipUri? targetUri) || targetUri.Scheme is not (SipUriScheme.Sip or SipUriScheme.Sips or SipUriScheme.Tel)
            || targetUri.IsEquivalentTo(Originator.AnonymousUri))
        {
            ClientLog.ImdnNotSent(_logger, what, inboxId, "no reachable sender");
            return false;
        }

        try
        {
            var notification = new ImdnNotification(imdnMessageId, messageDate, kind, status, recipientUri: me.ImAddress.ToString());
            byte[] cpim = ImdnDocument.BuildCpim(notification, new CpimAddress(me.CpimFrom), new CpimAddress(target), Imdn.NewMessageId(), _time.GetUtcNow());
            SipRequest request = OutgoingRequestFactory.BuildNotification(targetUri, cpim, me, _imOnlyPolicy, _settings.UserAgent, SipUserAgent.NewTag());
            SipResponse response = await _registration.UserAgent.SendAsync(request, cancellationToken: cancellationToken).WaitAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccess)
            {
                ClientLog.ImdnNotSent(_logger, what, inboxId, "SIP " + response.StatusCode.ToString(CultureInfo.InvariantCulture));
                return false;
            }

            // Recorded only after the 2xx: a crash in between sends it again rather than never (a repeated IMDN is
            // harmless: the sender correlates by Message-ID and records one event per disposition).
            await _store.MarkImdnSentAsync(inboxId, bit, cancellationToken).ConfigureAwait(false);
            RaiseSafely(ImdnRecorded, (inboxId, bit));
            return true;
        }
        catch (Exception e) when (e is SipTransactionException or MessageStoreException or IOException or InvalidOperationException or ArgumentException
            or OperationCanceledException or ObjectDisposedException)
        {
            ClientLog.ImdnNotSent(_logger, what, inboxId, e.GetType().Name);
            return false;
        }
    }

    /// <summary>After (re-)registration: delivery notifications requested by received messages and not yet sent
    /// (the client was offline, or stopped before sending them) go out now.</summary>
    private void StartImdnSweep()
    {
        if (Interlocked.Exchange(ref _imdnSweepRunning, 1) != 0)
        {
            return;
        }

        Track(Task.Run(async () =>
        {
            try
            {
                long after = 0;
                while (!_stopping.IsCancellationRequested)
                {
                    IReadOnlyList<InboxMessage> page = await _store.ListUndeliveredAsync(after, 100, _stopping.Token).ConfigureAwait(false);
                    if (page.Count == 0)
                    {
                        break;
                    }

                    foreach (InboxMessage m in page)
                    {
                        after = m.Id;
                        if ((m.ImdnRequested & ImdnDispositions.PositiveDelivery) != 0 && (m.ImdnSent & ImdnDispositions.PositiveDelivery) == 0
                            && m.MessageId is not null && m.SenderUri is not null)
                        {
                            await SendImdnAsync(m.Id, m.MessageId, m.SenderUri, m.OriginalDate ?? m.ReceivedAt, ImdnNotificationKind.Delivery, ImdnStatus.Delivered,
                                ImdnDispositions.PositiveDelivery, _stopping.Token).ConfigureAwait(false);
                        }
                    }
                }
            }
            catch (Exception e) when (e is MessageStoreException or ObjectDisposedException or OperationCanceledException)
            {
                ClientLog.StoreFailed(_logger, e, "looking for unsent delivery notifications");
            }
            finally
            {
                Volatile.Write(ref _imdnSweepRunning, 0);
            }
        }));
    }

    // ---- responses ----

    private static void Respond(SipServerTransaction tx, int status) =>
        tx.Respond(SipMessageBuilder.ResponseTo(tx.Request, status, toTag: tx.Request.Headers.To?.Tag is null ? SipUserAgent.NewTag() : null).BuildResponse());

    private void Reject(SipServerTransaction tx, int status, string reason)
    {
        ClientLog.IncomingRejected(_logger, tx.Request.MethodName, status, reason);
        tx.Respond(SipMessageBuilder.ResponseTo(tx.Request, status, reason, toTag: tx.Request.Headers.To?.Tag is null ? SipUserAgent.NewTag() : null).BuildResponse());
    }

    /// <summary>A value the store refuses is the sender's fault (400, 413); a failed commit is ours (500).</summary>
    private static (int Status, string Reason) StoreRejection(MessageStoreErrorReason reason) => reason switch
    {
        MessageStoreErrorReason.BodyTooLarge => (413, "Request Entity Too Large - over the message store's body cap"),
        MessageStoreErrorReason.FieldTooLong or MessageStoreErrorReason.FieldHasControlCharacter or MessageStoreErrorReason.FieldEmpty
            or MessageStoreErrorReason.TooManyItems or MessageStoreErrorReason.NoIdentity => (400, "Bad Request - " + reason),
        _ => (500, "Server Internal Error - message not stored (" + reason + ")"),
    };

    private static InboxMessage ToStored(long id, NewInboxMessage m) => new()
    {
        Id = id,
        Source = m.Source,
        Direction = m.Direction,
        SenderUri = m.SenderUri,
        SenderDisplayName = m.SenderDisplayName,
        Recipients = m.Recipients,
        ConversationId = m.ConversationId,
        CallId = m.CallId,
        MessageId = m.MessageId,
        ReceivedAt = m.ReceivedAt,
        OriginalDate = m.OriginalDate,
        ContentType = m.ContentType,
        Body = m.Body,
        ImdnRequested = m.ImdnRequested,
        RawPart = m.RawPart,
        UnparsedReason = m.UnparsedReason,
        ApplicationId = string.IsNullOrEmpty(m.ApplicationId) ? null : m.ApplicationId,
    };
}
