// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Text;
using ImUeAgent.Msrp.Sdp;
using ImUeAgent.Msrp.Sessions;
using ImUeAgent.Sip.Message;
using ImUeAgent.Testbed.Core;

namespace ImUeAgent.Testbed.Im;

/// <summary>
/// Pushing deferred messages (OMA SIMPLE IM Appendix D.2): INVITE with an MSRP offer to the user's registered contact
/// (steps 2–5), ACK (6–7), one MSRP SEND per stored message or one multipart/mixed SEND (8), each answered by the
/// client's MSRP 200 (9) before the messages it carries are deleted, then BYE (10–13).
/// </summary>
internal sealed partial class ImServer
{
    /// <summary>What the push's SENDs may carry (a=accept-types of the offer is what the server sends).</summary>
    private static readonly string[] PushTypes = ["message/sip", "message/sipfrag", "message/msrp", "multipart/mixed"];

    /// <summary>Registrations seen per IMPI: a push that ends after the user registered again (e.g. the device
    /// restarted while its old contact was being pushed to) starts over towards the new contact.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _registrationCount = new(StringComparer.OrdinalIgnoreCase);

    private int CountRegistration(string impi) => _registrationCount.AddOrUpdate(impi, 1, (_, n) => n + 1);

    private void StartPush(Subscriber user)
    {
        var registration = _registrationCount.GetValueOrDefault(user.Impi);
        var messages = Store.TakeForPush(user.Impi);
        if (messages.Count == 0)
        {
            return;
        }

        Run(async token =>
        {
            PushReport report;
            try
            {
                report = await PushAsync(user, messages, token).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is IOException or OperationCanceledException or MsrpSessionException or InvalidOperationException
                or System.Net.Sockets.SocketException or FormatException)
            {
                Store.FinishPush(messages, new HashSet<string>());
                report = new PushReport(user.Impi, messages.Count, 0, exception.GetType().Name + ": " + exception.Message);
                _logger.PushFailed(user.Impi, report.Failure!);
            }

            RaisePushFinished(report);

            // Messages taken by this push were invisible to a registration that came meanwhile (they were in
            // flight); whatever this push could not deliver goes to the newer contact now.
            if (_registrationCount.GetValueOrDefault(user.Impi) != registration && OfflineDeliveryActive(user.Impi))
            {
                StartPush(user);
            }
        });
    }

    private async Task<PushReport> PushAsync(Subscriber user, IReadOnlyList<DeferredMessage> messages, CancellationToken cancellationToken)
    {
        var impu = SipUri.Parse(user.Impus[0]);
        var bodies = DeferredPushBodies.Build(messages, _settings.PushBody, _settings.MalformedPart);
        _logger.PushStarted(messages.Count, user.Impi, _settings.PushBody.ToString());
        var session = _msrp.CreateSession(new PushSessionHandler(), new MsrpSessionOptions
        {
            AcceptTypes = ["*"],
            // The first SEND carries a deferred message: it binds the session for the client (RFC 4975 §5.4).
            SendBindingSend = false,
            TransactionTimeout = _settings.PushTimeout,
        });
        await using var sessionScope = session.ConfigureAwait(false);
        var offer = MsrpSdp.CreateOffer(session, PushTypes, null, null, _settings.PushSetup);
        var contactUser = DialogUserPrefix + NewToken();
        var callId = NewToken() + NewToken() + "@" + Domain;
        var fromTag = NewToken();
        var dialog = new PushDialog(contactUser, callId);
        _dialogs[contactUser] = dialog;
        try
        {
            var invite = new ApplicationServerOutbound("INVITE", impu, ToRegisteredContact: true, (b, transport) =>
            {
                // 7.2.2.1: Accept-Contact with the IM tag, User-Agent with the release, the server's identity, the
                // session timer (refresher uas), Allow, a Contact that routes back to the server with '+g.oma.sip-im'.
                b.Add(SipHeaderId.From, "<" + ServerUri + ">;tag=" + fromTag)
                    .Add(SipHeaderId.To, "<" + impu + ">")
                    .CallId(callId)
                    .CSeq(1, SipMethod.Invite)
                    .Add(SipHeaderId.Contact, "<" + Core.ApplicationServerUri(contactUser, transport) + ">;+g.oma.sip-im")
                    .Add(SipHeaderId.AcceptContact, ImAcceptContact.SipImValue)
                    .Add(SipHeaderId.PAssertedIdentity, "<" + ServerUri + ">")
                    .Add(SipHeaderId.UserAgent, _settings.UserAgent)
                    .Add(SipHeaderId.Supported, "timer")
                    .Add(SipHeaderId.SessionExpires, "1800;refresher=uas")
                    .Add(SipHeaderId.Allow, "INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE")
                    .Add(SipHeaderId.Subject, "Deferred messages");
            })
            {
                ContentType = new MediaType("application", "sdp"),
                Body = Encoding.UTF8.GetBytes(offer),
            };
            var outcome = await Core.SendRequestAsync(invite, cancellationToken).ConfigureAwait(false);
            if (outcome.Response is not { IsSuccess: true } ok)
            {
                return Abandon(user, messages, "INVITE " + (outcome.Response is { } r ? r.StatusCode.ToString(CultureInfo.InvariantCulture) : outcome.Failure.ToString()));
            }

            var contacts = ok.Headers.Contact;
            var remoteTarget = contacts.Count > 0 && contacts[0].Uri is { } contactUri ? contactUri : impu;
            var toHeader = ok.Headers.GetValue(SipHeaderId.To)!;
            await Core.SendRequestAsync(InDialog("ACK", 1, remoteTarget, callId, fromTag, toHeader), cancellationToken).ConfigureAwait(false);

            var answer = MsrpSdp.Read(Encoding.UTF8.GetString(ok.Body.Span));
            session.SetRemotePath(answer.Path);
            using (var timeout = new CancellationTokenSource(_settings.PushTimeout, _time))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token))
            {
                if (MsrpSdp.OffererRole(answer.Setup) == MsrpConnectionRole.Active)
                {
                    await session.ConnectAsync(linked.Token).ConfigureAwait(false);
                }
                else
                {
                    // RFC 6135: the client chose to be active; it connects and its first request binds the session.
                    await session.WaitForConnectionAsync(linked.Token).ConfigureAwait(false);
                }
            }

            var delivered = new HashSet<string>(StringComparer.Ordinal);
            for (var round = 0; round < (_settings.DuplicatePush ? 2 : 1); round++)
            {
                foreach (var send in bodies)
                {
                    var result = await session.SendMessageAsync(send.ContentType, send.Body, new MsrpSendOptions(), cancellationToken).ConfigureAwait(false);
                    if (result.IsSuccess)
                    {
                        delivered.UnionWith(send.MessageIds);
                    }
                    else if (result.Outcome is MsrpSendOutcome.ConnectionLost or MsrpSendOutcome.TimedOut)
                    {
                        break;
                    }
                }
            }

            // Step 9: only what the client answered with MSRP 200 is gone from the store.
            Store.FinishPush(messages, delivered);
            _logger.PushFinished(user.Impi, delivered.Count, messages.Count - delivered.Count);
            if (!dialog.ByeReceived.Task.IsCompleted)
            {
                await Core.SendRequestAsync(InDialog("BYE", 2, remoteTarget, callId, fromTag, toHeader), cancellationToken).ConfigureAwait(false);
            }

            return new PushReport(user.Impi, messages.Count, delivered.Count, null);
        }
        finally
        {
            _dialogs.TryRemove(contactUser, out _);
        }
    }

    private PushReport Abandon(Subscriber user, IReadOnlyList<DeferredMessage> messages, string reason)
    {
        Store.FinishPush(messages, new HashSet<string>());
        _logger.PushFailed(user.Impi, reason);
        return new PushReport(user.Impi, messages.Count, 0, reason);
    }

    /// <summary>An in-dialog request of the push (RFC 3261 §12.2.1.1): to the remote target, no route set (the core
    /// does not record-route its own requests), the dialog's From/To/Call-ID.</summary>
    private ApplicationServerOutbound InDialog(string method, uint cseq, SipUri remoteTarget, string callId, string fromTag, string toHeader) =>
        new(method, remoteTarget, ToRegisteredContact: false, (b, _) =>
        {
            b.Add(SipHeaderId.From, "<" + ServerUri + ">;tag=" + fromTag)
                .Add(SipHeaderId.To, toHeader)
                .CallId(callId)
                .Add(SipHeaderId.CSeq, cseq.ToString(CultureInfo.InvariantCulture) + " " + method)
                .Add(SipHeaderId.UserAgent, _settings.UserAgent);
        });

    private sealed class PushDialog(string contactUser, string callId) : ServerDialog(contactUser, callId)
    {
        public TaskCompletionSource ByeReceived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>The client sends nothing on a push session; anything it does send is refused.</summary>
    private sealed class PushSessionHandler : IMsrpSessionHandler
    {
        public MsrpReceiveDecision OnMessageStarted(MsrpSession session, MsrpIncomingMessage message) => MsrpReceiveDecision.Reject(403);
    }
}
