// SPDX-License-Identifier: MIT
using System.Buffers;
using System.Globalization;
using System.Text;
using ImUeAgent.Msrp;
using ImUeAgent.Msrp.Sdp;
using ImUeAgent.Msrp.Sessions;
using ImUeAgent.Sip.Message;
using ImUeAgent.Testbed.Core;

namespace ImUeAgent.Testbed.Im;

/// <summary>Deferred storage of a large message (12.2.2.3 step 3): for a user who is not registered the server answers
/// the INVITE as the MSRP endpoint itself, receives the SEND, and stores the relevant headers of the INVITE and its
/// 200 OK, the SEND with its receive timestamp, and the BYE.</summary>
internal sealed partial class ImServer
{
    /// <summary>The relevant headers of a large-message INVITE (12.2.2.3 step 3), plus Call-ID and CSeq which keep the
    /// stored text a SIP message and correlate it (D.2).</summary>
    private static readonly HashSet<SipHeaderId> RelevantInviteHeaders =
        [SipHeaderId.From, SipHeaderId.To, SipHeaderId.CallId, SipHeaderId.CSeq, SipHeaderId.Subject, SipHeaderId.Date, SipHeaderId.AcceptContact, SipHeaderId.Privacy];

    private static readonly HashSet<SipHeaderId> RelevantDialogHeaders = [SipHeaderId.From, SipHeaderId.To, SipHeaderId.CallId, SipHeaderId.CSeq];

    private async ValueTask<bool> OnLargeMessageInviteAsync(ApplicationServerRequest request, CancellationToken cancellationToken)
    {
        var sip = request.Request;
        if (!HasMsrpOffer(sip))
        {
            return false;
        }

        MsrpMediaDescription offer;
        try
        {
            offer = MsrpSdp.Read(Encoding.UTF8.GetString(sip.Body.Span));
        }
        catch (FormatException exception)
        {
            await Core.RespondAsync(sip, request.Flow, 488, "Not Acceptable Here - " + exception.Message.ReplaceLineEndings(" "), cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            return true;
        }

        var user = request.ServedUser!;
        if (Store.List(user.Impi).Count >= _settings.MaxDeferredPerUser)
        {
            _logger.StoreRefused(user.Impi, "store full");
            await Core.RespondAsync(sip, request.Flow, 486, "Busy Here - Deferred store full", cancellationToken: cancellationToken).ConfigureAwait(false);
            return true;
        }

        var receivedAt = _time.GetUtcNow();
        var contactUser = DialogUserPrefix + NewToken();
        var dialog = new LargeMessageDialog(contactUser, sip.Headers.CallId!)
        {
            Invite = sip,
            InviteReceivedAt = receivedAt,
            Owner = user,
            AssertedIdentity = SipText.WantsAnonymity(sip) ? null : Core.AssertedIdentityOf(sip),
        };
        var session = _msrp.CreateSession(new LargeMessageHandler(this, dialog), new MsrpSessionOptions
        {
            AcceptTypes = ["*"],
            MaxMessageSize = _settings.MaxDeferredMessageBytes,
            SendBindingSend = true,
            TransactionTimeout = _settings.PushTimeout,
        });
        dialog.Session = session;
        string answer;
        MsrpConnectionRole role;
        try
        {
            answer = MsrpSdp.CreateAnswer(session, offer, ["*"], null, _settings.MaxDeferredMessageBytes, out role);
        }
        catch (FormatException exception)
        {
            await session.DisposeAsync().ConfigureAwait(false);
            await Core.RespondAsync(sip, request.Flow, 488, "Not Acceptable Here - " + exception.Message.ReplaceLineEndings(" "), cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            return true;
        }

        _dialogs[contactUser] = dialog;
        var timer = sip.Headers.Supported.Contains("timer", StringComparer.OrdinalIgnoreCase);
        var contact = Core.ApplicationServerUri(contactUser, request.Flow.Transport);
        dialog.AnsweredAt = _time.GetUtcNow();
        var sent = await Core.AnswerAsync(sip, request.Flow, 200, NewToken(), b =>
        {
            // 6.1.2.2.2 (200 OK): Contact with '+g.oma.sip-im', Allow, session timer when the UAC supports it (RFC 4028 §9).
            b.Add(SipHeaderId.Contact, "<" + contact + ">;+g.oma.sip-im");
            b.Add(SipHeaderId.Allow, "INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE");
            if (timer)
            {
                b.Add(SipHeaderId.Require, "timer");
                b.Add(SipHeaderId.SessionExpires, (sip.Headers.SessionExpires?.Seconds ?? 1800).ToString(CultureInfo.InvariantCulture) + ";refresher=uac");
            }

            b.Body(new MediaType("application", "sdp"), Encoding.UTF8.GetBytes(answer));
        }, cancellationToken).ConfigureAwait(false);
        // The sender may be quicker with its SEND than this loop with the next line: the sink waits for it.
        dialog.AnswerSent.TrySetResult(sent);
        if (role == MsrpConnectionRole.Active)
        {
            // RFC 6135: the answer made us the active side; connect (the bodiless SEND lets the sender bind).
            Run(async token =>
            {
                try
                {
                    using var timeout = new CancellationTokenSource(_settings.PushTimeout, _time);
                    using var linked = CancellationTokenSource.CreateLinkedTokenSource(token, timeout.Token);
                    await session.ConnectAsync(linked.Token).ConfigureAwait(false);
                }
                catch (Exception exception) when (exception is IOException or OperationCanceledException or MsrpSessionException or System.Net.Sockets.SocketException
                    or InvalidOperationException)
                {
                    _logger.LargeMessageFailed(dialog.CallId, "MSRP connect: " + exception.Message);
                }
            });
        }

        return true;
    }

    /// <summary>Requests inside the dialogs the server holds (ACK, BYE, UPDATE, OPTIONS), addressed to its Contact.</summary>
    private async ValueTask<bool> OnDialogRequestAsync(ApplicationServerRequest request, CancellationToken cancellationToken)
    {
        var sip = request.Request;
        if (sip.RequestUri.User is not { } user || !user.StartsWith(DialogUserPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        if (!_dialogs.TryGetValue(user, out var dialog) || !string.Equals(dialog.CallId, sip.Headers.CallId, StringComparison.Ordinal))
        {
            if (sip.Method != SipMethod.Ack)
            {
                await Core.RespondAsync(sip, request.Flow, 481, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            return true;
        }

        switch (sip.Method)
        {
            case SipMethod.Ack:
                return true;
            case SipMethod.Bye:
                _dialogs.TryRemove(user, out _);
                await Core.RespondAsync(sip, request.Flow, 200, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (dialog is LargeMessageDialog large)
                {
                    large.Ended(SipText.CopyRequest(sip, h => !RelevantDialogHeaders.Contains(h.Id), [("Date", SipText.Date(_time.GetUtcNow()))]).ToArray());
                    Run(async _ => await large.Session!.DisposeAsync().ConfigureAwait(false));
                }
                else if (dialog is PushDialog push)
                {
                    push.ByeReceived.TrySetResult();
                }

                return true;
            case SipMethod.Update or SipMethod.Options:
                // RFC 4028 §7.4: a session refresh without SDP.
                await Core.RespondAsync(sip, request.Flow, 200, cancellationToken: cancellationToken).ConfigureAwait(false);
                return true;
            default:
                await Core.RespondAsync(sip, request.Flow, 488, "Not Acceptable Here - No re-negotiation", cancellationToken: cancellationToken).ConfigureAwait(false);
                return true;
        }
    }

    /// <summary>Stores one completed MSRP message of a large-message session (runs before its MSRP 200 goes out: a
    /// received message is stored before it is acknowledged).</summary>
    private async ValueTask<int> StoreLargeMessageAsync(LargeMessageDialog dialog, MsrpIncomingMessage message, ReadOnlyMemory<byte> body,
        CancellationToken cancellationToken)
    {
        var answer = await dialog.AnswerSent.Task.WaitAsync(_settings.PushTimeout, _time, cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        var invite = dialog.Invite!;
        var id = DeferredMessage.NewId(Domain);
        var add = new List<(string, string)>();
        if (dialog.AssertedIdentity is { } identity)
        {
            add.Add(("P-Asserted-Identity", "<" + identity + ">"));
        }

        if (!invite.Headers.Contains(SipHeaderId.Date))
        {
            add.Add(("Date", SipText.Date(dialog.InviteReceivedAt)));
        }

        add.Add(("Message-ID", id));
        var storedInvite = SipText.CopyRequest(invite, h => !RelevantInviteHeaders.Contains(h.Id), add);
        var storedAnswer = SipText.CopyResponse(answer, h => RelevantDialogHeaders.Contains(h.Id) || h.Id == SipHeaderId.Contact,
            [("Date", SipText.Date(dialog.AnsweredAt))]);
        var send = StoredSend(dialog.Session!, message, body, now);
        var stored = new DeferredMessage
        {
            Id = id,
            Mode = DeferredMode.LargeMessage,
            OwnerImpi = dialog.Owner!.Impi,
            OwnerImpus = dialog.Owner.Impus,
            ReceivedAt = now,
            ExpiresAt = now + _settings.DefaultDeferredExpiry,
            From = invite.Headers.From?.ToString() ?? string.Empty,
            To = invite.Headers.To?.ToString() ?? string.Empty,
            AssertedIdentity = dialog.AssertedIdentity,
            Subject = invite.Headers.Subject,
            ContentType = message.ContentType,
            Size = body.Length,
            Request = storedInvite.ToArray(),
            Answer = storedAnswer.ToArray(),
            MsrpSend = send,
        };
        if (!Store.TryAdd(stored))
        {
            _logger.StoreRefused(stored.OwnerImpi, "store full");
            return 507;
        }

        dialog.Stored.Add(stored);
        _logger.Stored("large-message", id, stored.OwnerImpi, stored.ExpiresAt);
        return 200;
    }

    /// <summary>The received message as one complete SEND (RFC 4975 §7.1.1): its Message-ID kept, Byte-Range of the
    /// whole, the receive Date (D.2), the other headers of its first chunk, the body and the end-line.</summary>
    internal static byte[] StoredSend(MsrpSession session, MsrpIncomingMessage message, ReadOnlyMemory<byte> body, DateTimeOffset receivedAt)
    {
        var tid = NewToken()[..10];
        var text = new StringBuilder();
        text.Append("MSRP ").Append(tid).Append(" SEND\r\n");
        text.Append("To-Path: ").Append(session.LocalUri).Append("\r\n");
        text.Append("From-Path: ").Append(message.FromPath).Append("\r\n");
        text.Append("Message-ID: ").Append(message.MessageId).Append("\r\n");
        text.Append(CultureInfo.InvariantCulture, $"Byte-Range: 1-{body.Length}/{body.Length}\r\n");
        text.Append("Date: ").Append(SipText.Date(receivedAt)).Append("\r\n");
        foreach (var (name, value) in message.Headers)
        {
            text.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        var head = new List<byte>(Encoding.UTF8.GetBytes(text.ToString()));
        if (message.ContentType.Length > 0)
        {
            head.AddRange(Encoding.UTF8.GetBytes("Content-Type: " + message.ContentType + "\r\n\r\n"));
            head.AddRange(body.Span);
            head.AddRange("\r\n"u8);
        }

        head.AddRange(Encoding.ASCII.GetBytes("-------" + tid + "$\r\n"));
        return [.. head];
    }

    private sealed class LargeMessageDialog(string contactUser, string callId) : ServerDialog(contactUser, callId)
    {
        public SipRequest? Invite { get; init; }

        public DateTimeOffset InviteReceivedAt { get; init; }

        public Subscriber? Owner { get; init; }

        public string? AssertedIdentity { get; init; }

        public MsrpSession? Session { get; set; }

        public TaskCompletionSource<SipResponse> AnswerSent { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public DateTimeOffset AnsweredAt { get; set; }

        public List<DeferredMessage> Stored { get; } = [];

        /// <summary>The BYE's relevant headers go with every message of the session (12.2.2.3 step 3).</summary>
        public void Ended(byte[] bye)
        {
            foreach (var message in Stored)
            {
                message.Bye = bye;
            }
        }
    }

    /// <summary>Receives the SENDs of a large-message session into bounded memory and stores each before its 200.</summary>
    private sealed class LargeMessageHandler(ImServer server, LargeMessageDialog dialog) : IMsrpSessionHandler
    {
        public MsrpReceiveDecision OnMessageStarted(MsrpSession session, MsrpIncomingMessage message)
        {
            if (message.TotalLength > server._settings.MaxDeferredMessageBytes)
            {
                return MsrpReceiveDecision.Reject(413);
            }

            return MsrpReceiveDecision.Accept(new StoringSink(server, dialog, message));
        }
    }

    private sealed class StoringSink(ImServer server, LargeMessageDialog dialog, MsrpIncomingMessage message) : IMsrpMessageSink
    {
        private readonly MsrpMemorySink _memory = new(server._settings.MaxDeferredMessageBytes, message.TotalLength);

        public ValueTask WriteAsync(long offset, ReadOnlySequence<byte> data, CancellationToken cancellationToken) => _memory.WriteAsync(offset, data, cancellationToken);

        public async ValueTask<int> CompleteAsync(long length, CancellationToken cancellationToken)
        {
            await _memory.CompleteAsync(length, cancellationToken).ConfigureAwait(false);
            return await server.StoreLargeMessageAsync(dialog, message, _memory.Data.ToArray(), cancellationToken).ConfigureAwait(false);
        }

        public ValueTask AbortAsync(MsrpIncompleteReason reason, CancellationToken cancellationToken) => _memory.AbortAsync(reason, cancellationToken);
    }
}
