// SPDX-License-Identifier: MIT
using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Threading.Channels;
using ImUeAgent.Im.Content;
using ImUeAgent.Msrp.Sdp;
using ImUeAgent.Msrp.Sessions;
using ImUeAgent.Sip.Dialogs;
using ImUeAgent.Sip.Message;
using ImUeAgent.Sip.Transactions;
using ImUeAgent.Sip.Transport;
using ImUeAgent.Sip.Ua;

namespace ImUeAgent.Im.Tests.Client.Sessions;

/// <summary>The far end of one IM session as the scripted core plays it: its dialog, its MSRP session, what it received.</summary>
internal sealed class PeerSession(SipDialog dialog, MsrpSession msrp, SipRequest invite, Channel<CoreMsrpMessage> received) : IAsyncDisposable
{
    public SipDialog Dialog { get; set; } = dialog;

    public MsrpSession Msrp => msrp;

    /// <summary>The INVITE that set the session up (received from the UE, or sent to it).</summary>
    public SipRequest Invite => invite;

    public Channel<CoreMsrpMessage> Received => received;

    public SipResponse? Answer { get; set; }

    public Task<MsrpSendResult> SendAsync(string contentType, byte[] body) =>
        Msrp.SendMessageAsync(contentType, body, cancellationToken: TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => Msrp.DisposeAsync();
}

/// <summary>
/// Session-mode script on top of <see cref="TestCore"/> (registrar and pager relay stay as they are): its INVITE
/// handler answers a UE's session INVITE as the far end (or, for the conference factory, as the focus: Contact with
/// isfocus), UPDATE and re-INVITE refreshes are recorded and answered 200 echoing Session-Expires, SUBSCRIBE to the
/// focus is answered and recorded, and the core can INVITE a UE, send NOTIFY and BYE within a dialog.
/// </summary>
internal sealed class ScriptedSessionPeer : IAsyncDisposable
{
    public const string FocusUser = "conf-7f3a";
    public static readonly string[] ChatTypes = ["message/cpim", "text/plain"];
    private readonly TestCore _core;
    private readonly ConcurrentBag<PeerSession> _sessions = [];

    public ScriptedSessionPeer(TestCore core)
    {
        _core = core;
        core.Ua.SetHandler(SipMethod.Invite, OnInvite);
        core.Ua.SetHandler(SipMethod.Update, OnUpdate);
        core.Ua.SetHandler(SipMethod.Subscribe, OnSubscribe);
    }

    /// <summary>Allow of the far end (7.1.1.1: the UE stores it and refreshes by UPDATE only when it is there).</summary>
    public string Allow { get; set; } = "INVITE, ACK, CANCEL, BYE, UPDATE, MESSAGE";

    /// <summary>Session-Expires of the 2xx to the UE's INVITE; null echoes the request's with refresher=uac.</summary>
    public string? AnswerSessionExpires { get; set; }

    public Channel<SipRequest> Invites { get; } = Channel.CreateUnbounded<SipRequest>();

    public Channel<SipRequest> Refreshes { get; } = Channel.CreateUnbounded<SipRequest>();

    public Channel<SipRequest> Subscribes { get; } = Channel.CreateUnbounded<SipRequest>();

    public Channel<PeerSession> Answered { get; } = Channel.CreateUnbounded<PeerSession>();

    /// <summary>The focus's subscription dialogs, by the SUBSCRIBE's Call-ID.</summary>
    public ConcurrentDictionary<string, SipDialog> Subscriptions { get; } = new(StringComparer.Ordinal);

    public static SipUri FocusUri => SipUri.Parse("sip:" + FocusUser + "@" + TestCore.PcscfEndPoint);

    private ValueTask OnInvite(SipServerTransaction tx, SipDialog? dialog)
    {
        SipRequest r = tx.Request;
        if (dialog is not null)
        {
            // A re-INVITE refresh: same answer again, the interval echoed (RFC 4028 §9).
            Refreshes.Writer.TryWrite(r);
            PeerSession? known = _sessions.FirstOrDefault(s => s.Dialog.CallId == r.Headers.CallId);
            SipMessageBuilder ok = SipMessageBuilder.ResponseTo(r, 200).Add(SipHeaderId.Allow, Allow);
            AddTimer(ok, r);
            if (known?.Answer is { } answered)
            {
                ok.Body(new MediaType("application", "sdp"), answered.Body);
            }

            tx.Respond(ok.BuildResponse());
            return ValueTask.CompletedTask;
        }

        Invites.Writer.TryWrite(r);
        bool focus = r.RequestUri.User == "conf-factory";
        string sdpText = focus ? SdpPart(r) : Encoding.UTF8.GetString(r.Body.Span);
        MsrpMediaDescription offer = MsrpSdp.Read(sdpText);
        var received = Channel.CreateUnbounded<CoreMsrpMessage>();
        MsrpSession session = _core.Msrp.Endpoint.CreateSession(new Collector(received));
        string answer = MsrpSdp.CreateAnswer(session, offer, ChatTypes, ["*"], null, out MsrpConnectionRole role);
        SipDialog uas = SipDialog.CreateUas(r, "peer-" + SipUserAgent.NewTag());
        _core.Ua.Dialogs.Add(uas);
        string contact = focus ? "<" + FocusUri + ">;isfocus;+g.oma.sip-im" : "<sip:bob-ue@" + TestCore.PcscfEndPoint + ">;+g.oma.sip-im";
        SipMessageBuilder b = SipMessageBuilder.ResponseTo(r, 200, toTag: uas.LocalTag)
            .Add(SipHeaderId.Contact, contact)
            .Add(SipHeaderId.Allow, Allow);
        AddTimer(b, r);
        SipResponse response = b.Body(new MediaType("application", "sdp"), Encoding.UTF8.GetBytes(answer)).BuildResponse();
        var peer = new PeerSession(uas, session, r, received) { Answer = response };
        _sessions.Add(peer);
        tx.Respond(response);
        _ = ConnectThenReportAsync(peer, role);
        return ValueTask.CompletedTask;
    }

    private void AddTimer(SipMessageBuilder b, SipRequest r)
    {
        string? se = AnswerSessionExpires ?? (r.Headers.SessionExpires is { Seconds: uint s } ? s + ";refresher=uac" : null);
        if (se is not null)
        {
            b.Add(SipHeaderId.SessionExpires, se).Add(SipHeaderId.Require, "timer");
        }
    }

    private async Task ConnectThenReportAsync(PeerSession peer, MsrpConnectionRole role)
    {
        if (role == MsrpConnectionRole.Active)
        {
            await peer.Msrp.ConnectAsync(TestContext.Current.CancellationToken);
        }
        else
        {
            await peer.Msrp.WaitForConnectionAsync(TestContext.Current.CancellationToken);
        }

        Answered.Writer.TryWrite(peer);
    }

    private ValueTask OnUpdate(SipServerTransaction tx, SipDialog? dialog)
    {
        Refreshes.Writer.TryWrite(tx.Request);
        SipMessageBuilder ok = SipMessageBuilder.ResponseTo(tx.Request, dialog is null ? 481 : 200).Add(SipHeaderId.Allow, Allow);
        AddTimer(ok, tx.Request);
        tx.Respond(ok.BuildResponse());
        return ValueTask.CompletedTask;
    }

    private ValueTask OnSubscribe(SipServerTransaction tx, SipDialog? dialog)
    {
        SipRequest r = tx.Request;
        if (dialog is null)
        {
            SipDialog uas = SipDialog.CreateUas(r, "focus-" + SipUserAgent.NewTag());
            _core.Ua.Dialogs.Add(uas);
            Subscriptions[r.Headers.CallId!] = uas;
            Subscribes.Writer.TryWrite(r);
            tx.Respond(SipMessageBuilder.ResponseTo(r, 200, toTag: uas.LocalTag)
                .Add(SipHeaderId.Contact, "<" + FocusUri + ">;isfocus")
                .Add(SipHeaderId.Expires, r.Headers.Expires?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "3600")
                .BuildResponse());
        }
        else
        {
            Subscribes.Writer.TryWrite(r);
            tx.Respond(SipMessageBuilder.ResponseTo(r, 200).Add(SipHeaderId.Expires, r.Headers.Expires?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "0")
                .BuildResponse());
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>The focus notifies conference state within a subscription dialog (RFC 4575, RFC 6665 §4.2.2).</summary>
    public Task<SipResponse> NotifyAsync(SipDialog subscription, string conferenceInfoXml, string state = "active;expires=3600") =>
        _core.Ua.SendInDialogAsync(subscription, subscription.CreateRequest(SipMethod.Notify)
            .Add(SipHeaderId.Event, "conference")
            .Add(SipHeaderId.SubscriptionState, state)
            .Contact(new ContactValue(new NameAddress(FocusUri)))
            .Body(ConferenceInfo.MediaType, Encoding.UTF8.GetBytes(conferenceInfoXml))
            .BuildRequest(), cancellationToken: TestContext.Current.CancellationToken);

    /// <summary>The core as a far end INVITEs a UE for a session (offer actpass: the UE's answer picks active and
    /// connects, RFC 6135), then sets up its side of the MSRP session.</summary>
    public async Task<(SipResponse Response, PeerSession? Session)> InviteAsync(IPEndPoint ue, string from, string? sessionExpires = "1800;refresher=uac",
        string? allow = "INVITE, ACK, CANCEL, BYE, UPDATE, MESSAGE", string? callId = null, IReadOnlyList<string>? acceptContact = null)
    {
        var received = Channel.CreateUnbounded<CoreMsrpMessage>();
        MsrpSession session = _core.Msrp.Endpoint.CreateSession(new Collector(received));
        string offer = MsrpSdp.CreateOffer(session, ChatTypes, ["*"], null, MsrpSetup.ActPass);
        SipMessageBuilder b = SipMessageBuilder.Request(SipMethod.Invite, SipUri.Parse("sip:ue@" + ue))
            .MaxForwards(70)
            .From(new NameAddress(SipUri.Parse(from)).WithParameter(new SipParameter("tag", SipUserAgent.NewTag())))
            .To(new NameAddress(SipUri.Parse("sip:bob@ims.test")))
            .CallId(callId ?? SipUserAgent.NewTag())
            .CSeq(1, SipMethod.Invite)
            .Contact(new ContactValue(new NameAddress(SipUri.Parse("sip:alice-ue@" + TestCore.PcscfEndPoint), null, [new SipParameter("+g.oma.sip-im")])))
            .Add(SipHeaderId.PAssertedIdentity, "<" + from + ">")
            .Add(SipHeaderId.AcceptContact, "*;+g.oma.sip-im")
            .Add(SipHeaderId.Supported, "timer");
        if (sessionExpires is not null)
        {
            b.Add(SipHeaderId.SessionExpires, sessionExpires);
        }

        if (allow is not null)
        {
            b.Add(SipHeaderId.Allow, allow);
        }

        foreach (string value in acceptContact ?? [])
        {
            b.Add(SipHeaderId.AcceptContact, value);
        }

        SipRequest invite = b.Body(new MediaType("application", "sdp"), Encoding.UTF8.GetBytes(offer)).BuildRequest();
        SipInviteResult result = await _core.Ua.InviteAsync(invite, options: new SipSendOptions { Destination = new SipTransportAddress(SipTransportKind.Udp, ue), Authenticate = false });
        if (!result.Response.IsSuccess)
        {
            await session.DisposeAsync();
            return (result.Response, null);
        }

        MsrpMediaDescription answer = MsrpSdp.Read(Encoding.UTF8.GetString(result.Response.Body.Span));
        session.SetRemotePath(answer.Path);
        if (MsrpSdp.OffererRole(answer.Setup) == MsrpConnectionRole.Active)
        {
            await session.ConnectAsync(TestContext.Current.CancellationToken);
        }
        else
        {
            await session.WaitForConnectionAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);
        }

        var peer = new PeerSession(result.Dialog!, session, invite, received) { Answer = result.Response };
        _sessions.Add(peer);
        return (result.Response, peer);
    }

    /// <summary>A refresh from the far end (UPDATE, or re-INVITE with the same offer).</summary>
    public Task<SipResponse> RefreshAsync(PeerSession peer, string sessionExpires, bool update = true)
    {
        SipMessageBuilder b = peer.Dialog.CreateRequest(update ? SipMethod.Update : SipMethod.Invite)
            .Contact(new ContactValue(new NameAddress(SipUri.Parse("sip:alice-ue@" + TestCore.PcscfEndPoint))))
            .Add(SipHeaderId.Supported, "timer")
            .Add(SipHeaderId.SessionExpires, sessionExpires);
        if (!update)
        {
            b.Body(new MediaType("application", "sdp"), peer.Invite.Body);
        }

        return _core.Ua.SendInDialogAsync(peer.Dialog, b.BuildRequest(), cancellationToken: TestContext.Current.CancellationToken);
    }

    public Task<SipResponse> ByeAsync(PeerSession peer) => _core.Ua.ByeAsync(peer.Dialog, TestContext.Current.CancellationToken);

    private static string SdpPart(SipRequest r)
    {
        ContentResult<MultipartBody> multipart = Multipart.Parse(r.Body, r.Headers.ContentType!);
        Assert.True(multipart.IsSuccess, multipart.Error.ToString());
        MimePart sdp = multipart.Value!.Parts.Single(p => p.ContentType is { } t && t.Is("application", "sdp"));
        return Encoding.UTF8.GetString(sdp.Body.Span);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (PeerSession s in _sessions)
        {
            await s.DisposeAsync();
        }
    }

    /// <summary>Collects every complete message of a far-end MSRP session.</summary>
    private sealed class Collector(Channel<CoreMsrpMessage> sink) : IMsrpSessionHandler
    {
        public MsrpReceiveDecision OnMessageStarted(MsrpSession session, MsrpIncomingMessage message) => MsrpReceiveDecision.Accept(new Sink(sink, message));

        private sealed class Sink(Channel<CoreMsrpMessage> sink, MsrpIncomingMessage message) : IMsrpMessageSink
        {
            private readonly MsrpMemorySink _memory = new(16 * 1024 * 1024);

            public ValueTask WriteAsync(long offset, ReadOnlySequence<byte> data, CancellationToken cancellationToken) => _memory.WriteAsync(offset, data, cancellationToken);

            public async ValueTask<int> CompleteAsync(long length, CancellationToken cancellationToken)
            {
                int status = await _memory.CompleteAsync(length, cancellationToken);
                sink.Writer.TryWrite(new CoreMsrpMessage(message.ContentType, _memory.Data.ToArray(), message.MessageId));
                return status;
            }

            public ValueTask AbortAsync(Msrp.Sessions.MsrpIncompleteReason reason, CancellationToken cancellationToken) => _memory.AbortAsync(reason, cancellationToken);
        }
    }
}
