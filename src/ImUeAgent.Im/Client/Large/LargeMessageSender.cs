// SPDX-License-Identifier: MIT
using System.Text;
using ImUeAgent.Im.Client.Pager;
using ImUeAgent.Im.FeatureTags;
using ImUeAgent.Msrp;
using ImUeAgent.Msrp.Framing;
using ImUeAgent.Msrp.Sdp;
using ImUeAgent.Msrp.Sessions;
using ImUeAgent.Sip.Dialogs;
using ImUeAgent.Sip.Message;
using ImUeAgent.Sip.Transactions;
using ImUeAgent.Sip.Ua;
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Im.Client.Large;

/// <summary>OMA SIMPLE IM 9 Large Message Mode, originating side: INVITE with a sendonly MSRP offer (9.1.1.1), ACK on the
/// 2xx (the UA core does it), the MSRP connection per a=setup (RFC 6135; RFC 4975 §5.4: the active side sends a
/// bodiless SEND to bind), one SEND chunked by the session, its 200, then BYE.</summary>
internal sealed class LargeMessageSender(ImClientSettings settings, MsrpEndpoint endpoint, TimeProvider time, ILogger logger)
{
    public async Task<AttemptOutcome> SendAsync(SipUserAgent userAgent, IReadOnlyList<string> recipients, OutgoingPayload payload, string? msrpMessageId,
        IReadOnlyList<string> wrappedTypes, Originator originator, ClientFeatureTagPolicy policy, CancellationToken cancellationToken)
    {
        var handler = new SendOnlyHandler();
        MsrpSession session = endpoint.CreateSession(handler, new MsrpSessionOptions
        {
            AcceptTypes = [payload.ContentType.Name],
            TransactionTimeout = settings.MsrpTimeout,
        });
        try
        {
            // a=sendonly: this session only carries our one message (RFC 3264 §5.1), and it tells the far end's client
            // it is Large Message Mode, not a chat (OMA CPM's large-mode offer is sendonly too).
            string offer = MsrpDirection.With(
                MsrpSdp.CreateOffer(session, [payload.ContentType.Name], wrappedTypes, maxSize: null, setup: settings.LargeMessageOfferSetup),
                MsrpDirection.SendOnly);
            ContactValue contact = policy.BuildContact(userAgent.ContactUri(null));
            SipRequest invite = OutgoingRequestFactory.BuildInvite(recipients, settings.ConferenceFactoryUri, offer, originator, policy, settings.UserAgent,
                SipUserAgent.NewTag(), contact, settings.SessionExpiresSeconds);
            SipInviteResult result;
            try
            {
                result = await userAgent.InviteAsync(invite, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (SipTransactionException e)
            {
                return AttemptOutcome.Transient(null, "INVITE " + e.Error);
            }

            if (!result.Response.IsSuccess)
            {
                return AttemptOutcome.FromSip(result.Response.StatusCode);
            }

            if (result.Dialog is not { } dialog)
            {
                return AttemptOutcome.Transient(result.Response.StatusCode, "2xx without a usable dialog");
            }

            try
            {
                return await TransferAsync(session, result.Response, payload, msrpMessageId, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await ByeQuietlyAsync(userAgent, dialog).ConfigureAwait(false);
            }
        }
        finally
        {
            await session.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<AttemptOutcome> TransferAsync(MsrpSession session, SipResponse answer, OutgoingPayload payload, string? msrpMessageId, CancellationToken cancellationToken)
    {
        MsrpMediaDescription media;
        try
        {
            media = MsrpSdp.Read(Encoding.UTF8.GetString(answer.Body.Span));
        }
        catch (FormatException)
        {
            // RFC 3264: an answer we cannot use ends the session; the peer will not take MSRP from us.
            return AttemptOutcome.Permanent(Store.OutboxFailureReason.Rejected, 488, "unusable SDP answer");
        }

        if (media.MaxSize is long max && payload.Body.Length > max)
        {
            return AttemptOutcome.Permanent(Store.OutboxFailureReason.TooLarge, MsrpStatusCodes.StopSending, "over the answer's a=max-size");
        }

        session.SetRemotePath(media.Path);
        using var deadline = new CancellationTokenSource(settings.MsrpTimeout, time);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            if (MsrpSdp.OffererRole(media.Setup) == MsrpConnectionRole.Active)
            {
                await session.ConnectAsync(timeout.Token).ConfigureAwait(false);
            }
            else
            {
                await session.WaitForConnectionAsync(timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or MsrpSessionException or OperationCanceledException or System.Net.Sockets.SocketException)
        {
            return AttemptOutcome.Transient(null, "MSRP connection: " + e.GetType().Name);
        }

        string? id = msrpMessageId is not null && MsrpSyntax.IsIdent(msrpMessageId) ? msrpMessageId : null;
        MsrpSendResult sent = await session.SendMessageAsync(payload.ContentType.ToString(), payload.Body, new MsrpSendOptions { MessageId = id }, cancellationToken)
            .ConfigureAwait(false);
        return AttemptOutcome.FromMsrp(sent);
    }

    private async Task ByeQuietlyAsync(SipUserAgent userAgent, SipDialog dialog)
    {
        if (dialog.State == SipDialogState.Terminated)
        {
            return;
        }

        try
        {
            await userAgent.ByeAsync(dialog).ConfigureAwait(false);
        }
        catch (SipTransactionException e)
        {
            // The message is already through (or not); a lost BYE only leaves the peer to time the session out.
            ClientLog.SessionFailed(logger, e, dialog.CallId);
        }
    }

    /// <summary>The originating side of a Large Message session only sends.</summary>
    private sealed class SendOnlyHandler : IMsrpSessionHandler
    {
        public MsrpReceiveDecision OnMessageStarted(MsrpSession session, MsrpIncomingMessage message) => MsrpReceiveDecision.Reject(MsrpStatusCodes.Forbidden);
    }
}
