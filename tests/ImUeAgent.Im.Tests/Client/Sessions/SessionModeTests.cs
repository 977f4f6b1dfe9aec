// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Net;
using ImUeAgent.Im.Client;
using ImUeAgent.Im.Client.Sessions;
using ImUeAgent.Im.Content;
using ImUeAgent.Im.Store;
using ImUeAgent.Msrp.Sdp;
using ImUeAgent.Msrp.Sessions;
using ImUeAgent.Sip.Message;
using ImUeAgent.Sip.Transport;
using Microsoft.Extensions.Time.Testing;
using static ImUeAgent.Im.Tests.Client.TestText;

namespace ImUeAgent.Im.Tests.Client.Sessions;

public sealed class SessionModeTests : IAsyncDisposable
{
    private const string Bob = "sip:bob@ims.test";
    private const string Alice = "sip:alice@ims.test";
    private readonly InMemorySipNetwork _network = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly TestCore _core;
    private readonly ScriptedSessionPeer _peer;
    private readonly List<TestUe> _ues = [];

    public SessionModeTests()
    {
        _core = new TestCore(_network, _time);
        _peer = new ScriptedSessionPeer(_core);
    }

    private async Task<TestUe> StartUeAsync(string user, IPAddress address, ImClientSettings? settings = null)
    {
        TestUe ue = await TestUe.StartAsync(_network, _core, user, address, settings ?? PagerModeTests.Settings());
        _ues.Add(ue);
        return ue;
    }

    private static async Task<T> Read<T>(System.Threading.Channels.Channel<T> channel) => await TestCore.ReadAsync(channel);

    private static async Task<ImChatSessionEvent> WaitStateAsync(ImChatSession session, ImChatSessionState state)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(15));
        await foreach (ImChatSessionEvent e in session.WatchAsync(cts.Token))
        {
            if (e.State == state)
            {
                return e;
            }
        }

        throw new InvalidOperationException("The session ended in " + session.State + " (" + session.EndReason + ")");
    }

    /// <summary>One MSRP round trip UE → far end: everything the UE did before it (timers fired on the fake clock
    /// and the requests they sent) has had its turn.</summary>
    private static async Task RoundTripAsync(ImChatSession session, PeerSession peer, string text)
    {
        ImChatSendResult sent = await session.SendAsync(text, cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(sent.IsSuccess);
        Assert.Equal(text, Text((await Read(peer.Received)).Body));
    }

    /// <summary>Completes when the session's next refresh transaction is through (so the clock may move on).</summary>
    private static Task NextRefreshAsync(ImChatSession session)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Handler(ImChatSession s)
        {
            s.Refreshed -= Handler;
            done.TrySetResult();
        }

        session.Refreshed += Handler;
        return done.Task;
    }

    private async Task<(TestUe Alice, ImChatSession Session, PeerSession Peer)> AliceChatsWithBobAsync()
    {
        TestUe alice = await StartUeAsync("alice", PagerModeTests.AliceAddress);
        ImChatSession session = await alice.Client.StartChatAsync(Bob, cancellationToken: TestContext.Current.CancellationToken);
        PeerSession peer = await Read(_peer.Answered);
        return (alice, session, peer);
    }

    [Fact]
    public async Task OriginatingSessionInviteCarriesTheImTagsTimerAndMsrpOfferThenTextFlowsBothWays()
    {
        (TestUe alice, ImChatSession session, PeerSession peer) = await AliceChatsWithBobAsync();
        SipRequest invite = await Read(_peer.Invites);

        // 7.1.1.1 steps 1-7: '+g.oma.sip-im' beside the application's predicate (byte-exact), Contact with the tag,
        // User-Agent, Allow, Supported: timer, Session-Expires refresher=uac.
        Assert.Equal(Bob, invite.RequestUri.ToString());
        Assert.Equal(["*;+g.oma.sip-im", "*;" + PagerModeTests.AppRefPredicate], invite.Headers.GetAll(SipHeaderId.AcceptContact).Select(h => h.Value));
        Assert.Contains(";+g.oma.sip-im", invite.Headers.GetValue(SipHeaderId.Contact), StringComparison.Ordinal);
        Assert.Equal("IM-client/OMA1.0 imue-agent/0.1.0", invite.Headers.UserAgent);
        Assert.Contains("UPDATE", invite.Headers.Allow);
        Assert.Equal(["timer"], invite.Headers.Supported);
        Assert.Equal("1800;refresher=uac", invite.Headers.GetValue(SipHeaderId.SessionExpires));
        Assert.Equal("<sip:alice@ims.test>", invite.Headers.GetValue(SipHeaderId.PPreferredIdentity));
        MsrpMediaDescription offer = MsrpSdp.Read(Text(invite.Body));
        Assert.Equal(["message/cpim", "text/plain"], offer.AcceptTypes);
        Assert.Equal(["*"], offer.AcceptWrappedTypes);
        Assert.Equal(MsrpSetup.Active, offer.Setup);
        Assert.Single(offer.Path);

        // The 2xx's Allow and Contact are kept (7.1.1.1), the timer negotiated.
        Assert.Equal(ImChatSessionState.Active, session.State);
        Assert.Equal(invite.Headers.CallId, session.Id);
        Assert.Contains("UPDATE", session.PeerAllow);
        Assert.Contains("sip:bob-ue@10.0.0.1:5060", session.PeerContact, StringComparison.Ordinal);
        Assert.Equal(1800, session.SessionExpiresSeconds);
        Assert.True(session.IsRefresher);
        Assert.Same(session, Assert.Single(alice.Client.Sessions));

        ImChatSendResult sent = await session.SendAsync("hello bob", cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(sent.IsSuccess);
        Assert.Equal(200, sent.StatusCode);
        CoreMsrpMessage atPeer = await Read(peer.Received);
        Assert.Equal("text/plain;charset=UTF-8", atPeer.ContentType);
        Assert.Equal("hello bob", Text(atPeer.Body));

        MsrpSendResult back = await peer.SendAsync("text/plain", Utf8("hi alice"));
        Assert.True(back.IsSuccess);
        InboxMessage m = Assert.Single(await alice.InboxAsync());
        Assert.Equal(MessageSource.Session, m.Source);
        Assert.Equal(session.Id, m.ConversationId);
        Assert.Equal(session.Id, m.CallId);
        Assert.Equal(Bob, m.SenderUri);
        Assert.Equal("hi alice", Text(m.Body));
    }

    [Fact]
    public async Task ImdnRequestWrapsTheMessageInCpimWithTheImdnHeaders()
    {
        (_, ImChatSession session, PeerSession peer) = await AliceChatsWithBobAsync();
        ImChatSendResult sent = await session.SendAsync("tell me when read", ImdnDispositions.PositiveDelivery | ImdnDispositions.Display,
            TestContext.Current.CancellationToken);
        Assert.True(sent.IsSuccess);
        Assert.NotNull(sent.ImdnMessageId);
        CoreMsrpMessage atPeer = await Read(peer.Received);
        Assert.Equal("message/cpim", atPeer.ContentType);
        CpimMessage cpim = Cpim.Parse(atPeer.Body).Value!;
        Assert.Equal(sent.ImdnMessageId, cpim.ImdnMessageId);
        Assert.Equal(Alice, cpim.From?.Uri);
        Assert.Equal("tell me when read", Text(cpim.Body));
    }

    [Fact]
    public async Task ReceivedSendIsCommittedBeforeItsMsrp200AndNotAcknowledgedWhenTheStoreRefusesIt()
    {
        (TestUe alice, ImChatSession session, PeerSession peer) = await AliceChatsWithBobAsync();
        int peerHad200AtCommit = -1;
        int peerGot200 = 0;
        alice.Client.InboxAdded += _ => Volatile.Write(ref peerHad200AtCommit, Volatile.Read(ref peerGot200));
        Task<MsrpSendResult> sending = peer.SendAsync("text/plain", Utf8("first"));
        _ = sending.ContinueWith(_ => Volatile.Write(ref peerGot200, 1), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        Assert.True((await sending).IsSuccess);
        // InboxAdded is raised by the commit, which ran while the far end still waited for its 200.
        Assert.Equal(0, Volatile.Read(ref peerHad200AtCommit));

        long pages = await alice.Store.WriterPragmaAsync("page_count");
        await alice.Store.WriterPragmaAsync("max_page_count = " + pages.ToString(CultureInfo.InvariantCulture));
        MsrpSendResult refused = await peer.SendAsync("text/plain", Utf8(new string('z', 200 * 1024)));
        Assert.False(refused.IsSuccess);
        Assert.NotEqual(200, refused.StatusCode);
        Assert.Single(await alice.InboxAsync());
        await alice.Store.WriterPragmaAsync("max_page_count = 1073741823");
        Assert.True((await peer.SendAsync("text/plain", Utf8("third"))).IsSuccess);
        Assert.Equal(ImChatSessionState.Active, session.State);
        Assert.Equal(["first", "third"], (await alice.InboxAsync()).Select(x => Text(x.Body)));
    }

    [Fact]
    public async Task TerminatingSessionIsAcceptedAnsweredWithOurMsrpAnswerAndTextFlowsBothWays()
    {
        TestUe bob = await StartUeAsync("bob", PagerModeTests.BobAddress);
        var started = new TaskCompletionSource<ImChatSession>(TaskCreationOptions.RunContinuationsAsynchronously);
        bob.Client.SessionStarted += s => started.TrySetResult(s);
        (SipResponse ok, PeerSession? peer) = await _peer.InviteAsync(bob.EndPoint, Alice);
        Assert.Equal(200, ok.StatusCode);
        Assert.NotNull(peer);

        // 200 OK: Contact with '+g.oma.sip-im', the interval kept with refresher=uac and Require: timer (RFC 4028 §9),
        // the answer active to an actpass offer (RFC 6135: the answerer connects).
        Assert.Contains(";+g.oma.sip-im", ok.Headers.GetValue(SipHeaderId.Contact), StringComparison.Ordinal);
        Assert.Equal("1800;refresher=uac", ok.Headers.GetValue(SipHeaderId.SessionExpires));
        Assert.Contains("timer", ok.Headers.Require);
        MsrpMediaDescription answer = MsrpSdp.Read(Text(ok.Body));
        Assert.Equal(MsrpSetup.Active, answer.Setup);
        Assert.Equal(["message/cpim", "text/plain"], answer.AcceptTypes);

        ImChatSession session = await started.Task.WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);
        await WaitStateAsync(session, ImChatSessionState.Active);
        Assert.Equal(ImChatDirection.Terminating, session.Direction);
        Assert.Equal(Alice, session.PeerUri);
        Assert.False(session.IsRefresher);
        Assert.Same(session, bob.Client.FindSession(peer.Dialog.CallId));

        Assert.True((await peer.SendAsync("text/plain", Utf8("hi bob"))).IsSuccess);
        InboxMessage m = Assert.Single(await bob.InboxAsync());
        Assert.Equal(MessageSource.Session, m.Source);
        Assert.Equal(Alice, m.SenderUri);
        Assert.Equal(session.Id, m.ConversationId);
        await RoundTripAsync(session, peer, "hello alice");
    }

    [Fact]
    public async Task DeclinePolicyAnswers603AndStartsNoSession()
    {
        TestUe bob = await StartUeAsync("bob", PagerModeTests.BobAddress, PagerModeTests.Settings() with { SessionAcceptPolicy = ImSessionAcceptPolicy.Decline });
        int started = 0;
        bob.Client.SessionStarted += _ => Interlocked.Increment(ref started);
        (SipResponse response, PeerSession? peer) = await _peer.InviteAsync(bob.EndPoint, Alice);
        Assert.Equal(603, response.StatusCode);
        Assert.Null(peer);
        Assert.Equal(0, Volatile.Read(ref started));
        Assert.Empty(bob.Client.Sessions);
    }

    [Fact]
    public async Task RefresherSendsUpdateAtHalfTheSessionIntervalWhenThePeerAllowsIt()
    {
        (_, ImChatSession session, PeerSession peer) = await AliceChatsWithBobAsync();
        _time.Advance(TimeSpan.FromSeconds(899));
        await RoundTripAsync(session, peer, "before");
        Assert.False(_peer.Refreshes.Reader.TryRead(out _));

        Task refreshed = NextRefreshAsync(session);
        _time.Advance(TimeSpan.FromSeconds(1));
        SipRequest update = await Read(_peer.Refreshes);
        await refreshed.WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);
        Assert.Equal(_time.GetUtcNow(), session.LastRefreshedAt);
        Assert.Equal(SipMethod.Update, update.Method);
        Assert.Equal("1800;refresher=uac", update.Headers.GetValue(SipHeaderId.SessionExpires));
        Assert.Equal(["timer"], update.Headers.Supported);
        Assert.True(update.Body.IsEmpty);
        // Within the dialog: to the peer's Contact (the remote target stored from the 2xx).
        Assert.Equal("sip:bob-ue@10.0.0.1:5060", update.RequestUri.ToString());
        Assert.Equal(session.Id, update.Headers.CallId);

        // The 200 re-arms the timer: the next refresh comes another half interval later.
        _time.Advance(TimeSpan.FromSeconds(900));
        Assert.Equal(SipMethod.Update, (await Read(_peer.Refreshes)).Method);
        Assert.Equal(ImChatSessionState.Active, session.State);
        await RoundTripAsync(session, peer, "after");
    }

    [Fact]
    public async Task RefresherSendsReInviteWithTheSameMediaWhenThePeerDoesNotAllowUpdate()
    {
        _peer.Allow = "INVITE, ACK, CANCEL, BYE, MESSAGE";
        (_, ImChatSession session, PeerSession peer) = await AliceChatsWithBobAsync();
        Assert.DoesNotContain("UPDATE", session.PeerAllow);
        Task refreshed = NextRefreshAsync(session);
        _time.Advance(TimeSpan.FromSeconds(900));
        SipRequest reinvite = await Read(_peer.Refreshes);
        await refreshed.WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);
        Assert.Equal(SipMethod.Invite, reinvite.Method);
        Assert.Equal("1800;refresher=uac", reinvite.Headers.GetValue(SipHeaderId.SessionExpires));
        MsrpMediaDescription original = MsrpSdp.Read(Text(peer.Invite.Body));
        MsrpMediaDescription again = MsrpSdp.Read(Text(reinvite.Body));
        Assert.Equal(original.Path.Select(p => p.ToString()), again.Path.Select(p => p.ToString()));
        await RoundTripAsync(session, peer, "still here");
        Assert.Equal(ImChatSessionState.Active, session.State);
    }

    [Fact]
    public async Task TerminatingSideRefreshesWhenTheInviteMakesItTheRefresher()
    {
        TestUe bob = await StartUeAsync("bob", PagerModeTests.BobAddress);
        (SipResponse ok, PeerSession? peer) = await _peer.InviteAsync(bob.EndPoint, Alice, sessionExpires: "600;refresher=uas");
        Assert.Equal("600;refresher=uas", ok.Headers.GetValue(SipHeaderId.SessionExpires));
        ImChatSession session = bob.Client.FindSession(peer!.Dialog.CallId)!;
        await WaitStateAsync(session, ImChatSessionState.Active);
        Assert.True(session.IsRefresher);

        _time.Advance(TimeSpan.FromSeconds(300));
        SipRequest update = await Read(_peer.Refreshes);
        Assert.Equal(SipMethod.Update, update.Method);
        // In its own request bob is the UAC: refresher=uac names bob (RFC 4028 §7.4).
        Assert.Equal("600;refresher=uac", update.Headers.GetValue(SipHeaderId.SessionExpires));
        Assert.Equal("sip:alice-ue@10.0.0.1:5060", update.RequestUri.ToString());
    }

    [Fact]
    public async Task WithoutARefreshFromThePeerTheSessionEndsWithByeBeforeItExpires()
    {
        TestUe bob = await StartUeAsync("bob", PagerModeTests.BobAddress);
        (_, PeerSession? peer) = await _peer.InviteAsync(bob.EndPoint, Alice, sessionExpires: "1800;refresher=uac");
        ImChatSession session = bob.Client.FindSession(peer!.Dialog.CallId)!;
        await WaitStateAsync(session, ImChatSessionState.Active);

        // RFC 4028 §10: BYE at the interval minus min(32 s, interval/3) = 1768 s.
        _time.Advance(TimeSpan.FromSeconds(1767));
        await RoundTripAsync(session, peer, "still");
        Assert.False(_core.Byes.Reader.TryRead(out _));
        _time.Advance(TimeSpan.FromSeconds(1));
        SipRequest bye = await Read(_core.Byes);
        Assert.Equal(session.Id, bye.Headers.CallId);
        ImChatSessionEvent ended = await WaitStateAsync(session, ImChatSessionState.Ended);
        Assert.Equal(ImChatSessionEndReason.SessionExpired, ended.Reason);
    }

    [Fact]
    public async Task APeerRefreshPostponesTheExpiry()
    {
        TestUe bob = await StartUeAsync("bob", PagerModeTests.BobAddress);
        (_, PeerSession? peer) = await _peer.InviteAsync(bob.EndPoint, Alice, sessionExpires: "1800;refresher=uac");
        ImChatSession session = bob.Client.FindSession(peer!.Dialog.CallId)!;
        await WaitStateAsync(session, ImChatSessionState.Active);
        _time.Advance(TimeSpan.FromSeconds(900));
        SipResponse refreshed = await _peer.RefreshAsync(peer, "1800;refresher=uac");
        Assert.Equal(200, refreshed.StatusCode);
        Assert.Equal("1800;refresher=uac", refreshed.Headers.GetValue(SipHeaderId.SessionExpires));
        Assert.Contains("timer", refreshed.Headers.Require);

        _time.Advance(TimeSpan.FromSeconds(1000));
        await RoundTripAsync(session, peer, "not expired");
        Assert.False(_core.Byes.Reader.TryRead(out _));
        Assert.Equal(ImChatSessionState.Active, session.State);
    }

    [Fact]
    public async Task PeerByeEndsTheSession()
    {
        (TestUe alice, ImChatSession session, PeerSession peer) = await AliceChatsWithBobAsync();
        SipResponse ok = await _peer.ByeAsync(peer);
        Assert.Equal(200, ok.StatusCode);
        ImChatSessionEvent ended = await WaitStateAsync(session, ImChatSessionState.Ended);
        Assert.Equal(ImChatSessionEndReason.RemoteBye, ended.Reason);
        Assert.Empty(alice.Client.Sessions);
        ImChatSessionException e = await Assert.ThrowsAsync<ImChatSessionException>(() => session.SendAsync("too late", cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(ImChatSessionError.NotActive, e.Error);
    }

    [Fact]
    public async Task LocalByeEndsTheSessionAtThePeer()
    {
        TestUe bob = await StartUeAsync("bob", PagerModeTests.BobAddress);
        var changes = new List<ImChatSessionEvent>();
        bob.Client.SessionChanged += e =>
        {
            lock (changes)
            {
                changes.Add(e);
            }
        };
        (_, PeerSession? peer) = await _peer.InviteAsync(bob.EndPoint, Alice);
        ImChatSession session = bob.Client.FindSession(peer!.Dialog.CallId)!;
        await WaitStateAsync(session, ImChatSessionState.Active);
        await session.ByeAsync(TestContext.Current.CancellationToken);
        SipRequest bye = await Read(_core.Byes);
        Assert.Equal(session.Id, bye.Headers.CallId);
        // The BYE goes to the peer's Contact (the INVITE's), inside the dialog.
        Assert.Equal("sip:alice-ue@10.0.0.1:5060", bye.RequestUri.ToString());
        Assert.Equal(ImChatSessionEndReason.LocalBye, session.EndReason);
        lock (changes)
        {
            Assert.Equal([ImChatSessionState.Active, ImChatSessionState.Ended], changes.Select(c => c.State));
        }
    }

    [Fact]
    public async Task RejectedInviteThrowsWithTheStatusAndEndsTheSession()
    {
        TestUe alice = await StartUeAsync("alice", PagerModeTests.AliceAddress);
        _core.Ua.SetHandler(SipMethod.Invite, (tx, _) =>
        {
            tx.Respond(SipMessageBuilder.ResponseTo(tx.Request, 486, toTag: "busy").BuildResponse());
            return ValueTask.CompletedTask;
        });
        var started = new TaskCompletionSource<ImChatSession>(TaskCreationOptions.RunContinuationsAsynchronously);
        alice.Client.SessionStarted += s => started.TrySetResult(s);
        ImChatSessionException e = await Assert.ThrowsAsync<ImChatSessionException>(() => alice.Client.StartChatAsync(Bob, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(ImChatSessionError.Rejected, e.Error);
        Assert.Equal(486, e.StatusCode);
        Assert.Empty(alice.Client.Sessions);
        ImChatSession session = await started.Task;
        ImChatSessionEvent ended = await WaitStateAsync(session, ImChatSessionState.Ended);
        Assert.Equal(ImChatSessionEndReason.Rejected, ended.Reason);
        Assert.Equal(486, ended.StatusCode);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (TestUe ue in _ues)
        {
            await ue.DisposeAsync();
        }

        await _peer.DisposeAsync();
        await _core.DisposeAsync();
    }
}
