// SPDX-License-Identifier: MIT
using System.Text;
using ImUeAgent.Im.Client.Sessions;
using ImUeAgent.Im.Content;
using ImUeAgent.Im.Store;
using ImUeAgent.Msrp.Sdp;
using ImUeAgent.Sip.Dialogs;
using ImUeAgent.Sip.Message;
using ImUeAgent.Sip.Transport;
using Microsoft.Extensions.Time.Testing;
using static ImUeAgent.Im.Tests.Client.TestText;

namespace ImUeAgent.Im.Tests.Client.Sessions;

public sealed class GroupSessionTests : IAsyncDisposable
{
    private const string Entity = "sip:conf-7f3a@ims.test";
    private readonly InMemorySipNetwork _network = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly TestCore _core;
    private readonly ScriptedSessionPeer _focus;
    private TestUe? _alice;

    public GroupSessionTests()
    {
        _core = new TestCore(_network, _time);
        _focus = new ScriptedSessionPeer(_core);
    }

    private static string FullState(uint version) => $"""
        <conference-info xmlns="urn:ietf:params:xml:ns:conference-info" entity="{Entity}" state="full" version="{version}">
          <conference-state><user-count>3</user-count></conference-state>
          <users>
            <user entity="sip:alice@ims.test"><endpoint entity="sip:alice@ims.test"><status>connected</status></endpoint></user>
            <user entity="sip:bob@ims.test"><display-text>Bob</display-text><endpoint entity="sip:bob@ims.test"><status>connected</status></endpoint></user>
            <user entity="sip:carol@ims.test"><endpoint entity="sip:carol@ims.test"><status>alerting</status></endpoint></user>
          </users>
        </conference-info>
        """;

    private static string CarolLeaves(uint version) => $"""
        <conference-info xmlns="urn:ietf:params:xml:ns:conference-info" entity="{Entity}" state="partial" version="{version}">
          <users><user entity="sip:carol@ims.test" state="deleted"/></users>
        </conference-info>
        """;

    private async Task<(ImChatSession Session, PeerSession Focus, SipRequest Invite, SipRequest Subscribe, SipDialog Subscription)> StartGroupAsync()
    {
        _alice = await TestUe.StartAsync(_network, _core, "alice", PagerModeTests.AliceAddress, PagerModeTests.Settings());
        ImChatSession session = await _alice.Client.StartGroupChatAsync(["sip:bob@ims.test", "sip:carol@ims.test"], new ImChatSessionOptions { Subject = "plans" },
            TestContext.Current.CancellationToken);
        SipRequest invite = await TestCore.ReadAsync(_focus.Invites);
        PeerSession focus = await TestCore.ReadAsync(_focus.Answered);
        SipRequest subscribe = await TestCore.ReadAsync(_focus.Subscribes);
        return (session, focus, invite, subscribe, _focus.Subscriptions[subscribe.Headers.CallId!]);
    }

    private static async Task<IReadOnlyList<ImChatParticipant>> NextParticipantsAsync(Task<IReadOnlyList<ImChatParticipant>> changed) =>
        await changed.WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);

    private static Task<IReadOnlyList<ImChatParticipant>> ParticipantsChange(ImChatSession session)
    {
        var tcs = new TaskCompletionSource<IReadOnlyList<ImChatParticipant>>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Handler(ImChatSession s)
        {
            session.ParticipantsChanged -= Handler;
            tcs.TrySetResult(s.Participants);
        }

        session.ParticipantsChanged += Handler;
        return tcs.Task;
    }

    [Fact]
    public async Task GroupInviteGoesToTheConferenceFactoryWithTheUriListAndRequire()
    {
        (ImChatSession session, _, SipRequest invite, _, _) = await StartGroupAsync();

        // RFC 5366 / 7.1.1.1 for ad-hoc groups: factory URI with sessiontype=adhoc, Require, multipart SDP + list.
        Assert.Equal("sip:conf-factory@ims.test;sessiontype=adhoc", invite.RequestUri.ToString());
        Assert.Equal("sip:conf-factory@ims.test", invite.Headers.To!.Uri.ToString());
        Assert.Equal(["recipient-list-invite"], invite.Headers.Require);
        Assert.Equal("plans", invite.Headers.Subject);
        Assert.Equal(["*;+g.oma.sip-im", "*;" + PagerModeTests.AppRefPredicate], invite.Headers.GetAll(SipHeaderId.AcceptContact).Select(h => h.Value));
        Assert.True(invite.Headers.ContentType!.Is("multipart", "mixed"));
        MultipartBody body = Multipart.Parse(invite.Body, invite.Headers.ContentType!).Value!;
        RecipientListBody list = RecipientListBody.Parse(body).Value!;
        Assert.Equal(["sip:bob@ims.test", "sip:carol@ims.test"], list.Recipients.Select(r => r.Uri));
        Assert.True(list.MessagePart!.ContentType!.Is("application", "sdp"));
        Assert.Equal(["message/cpim", "text/plain"], MsrpSdp.Read(Encoding.UTF8.GetString(list.MessagePart.Body.Span)).AcceptTypes);

        Assert.True(session.IsGroup);
        Assert.Equal(ImChatSessionState.Active, session.State);
        Assert.Equal(ScriptedSessionPeer.FocusUri.ToString(), session.FocusUri);
        Assert.Equal(["sip:bob@ims.test", "sip:carol@ims.test"], session.InvitedParticipants);
    }

    [Fact]
    public async Task TheClientSubscribesToTheFocusAndNotifiesBuildTheParticipantList()
    {
        (ImChatSession session, _, _, SipRequest subscribe, SipDialog subscription) = await StartGroupAsync();

        // 7.1.1.1 / 7.1.1.11: SUBSCRIBE to the session identity (the isfocus Contact of the 2xx), Event: conference.
        Assert.Equal(ScriptedSessionPeer.FocusUri.ToString(), subscribe.RequestUri.ToString());
        Assert.Equal("conference", subscribe.Headers.Event?.Token);
        Assert.Equal("application/conference-info+xml", subscribe.Headers.GetValue(SipHeaderId.Accept));
        Assert.Equal(3600u, subscribe.Headers.Expires);
        Assert.Contains("*;+g.oma.sip-im", subscribe.Headers.GetAll(SipHeaderId.AcceptContact).Select(h => h.Value));
        Assert.NotEqual(session.Id, subscribe.Headers.CallId);

        Task<IReadOnlyList<ImChatParticipant>> changed = ParticipantsChange(session);
        Assert.Equal(200, (await _focus.NotifyAsync(subscription, FullState(1))).StatusCode);
        IReadOnlyList<ImChatParticipant> participants = await NextParticipantsAsync(changed);
        Assert.Equal(["sip:alice@ims.test", "sip:bob@ims.test", "sip:carol@ims.test"], participants.Select(p => p.Uri));
        Assert.Equal("Bob", participants[1].DisplayName);
        Assert.Equal([true, true, false], participants.Select(p => p.IsParticipating));
        Assert.Equal("alerting", participants[2].Status);

        changed = ParticipantsChange(session);
        Assert.Equal(200, (await _focus.NotifyAsync(subscription, CarolLeaves(2))).StatusCode);
        Assert.Equal(["sip:alice@ims.test", "sip:bob@ims.test"], (await NextParticipantsAsync(changed)).Select(p => p.Uri));
        Assert.Equal(2, session.Participants.Count);
    }

    [Fact]
    public async Task APartialNotifyOutOfSequenceAsksForFullStateWithAResubscribe()
    {
        (ImChatSession session, _, _, _, SipDialog subscription) = await StartGroupAsync();
        Task<IReadOnlyList<ImChatParticipant>> changed = ParticipantsChange(session);
        await _focus.NotifyAsync(subscription, FullState(1));
        await NextParticipantsAsync(changed);

        // Version 3 after 1: a lost partial; RFC 4575 §4.6 wants full state, which a refresh SUBSCRIBE brings.
        Assert.Equal(200, (await _focus.NotifyAsync(subscription, CarolLeaves(3))).StatusCode);
        SipRequest refresh = await TestCore.ReadAsync(_focus.Subscribes);
        Assert.Equal(subscription.CallId, refresh.Headers.CallId);
        Assert.Equal(3600u, refresh.Headers.Expires);
        Assert.Equal(3, session.Participants.Count);
    }

    [Fact]
    public async Task BadNotifyBodiesAreRefusedWithAReasonAndChangeNothing()
    {
        (ImChatSession session, _, _, _, SipDialog subscription) = await StartGroupAsync();
        SipResponse bad = await _focus.NotifyAsync(subscription, "<conference-info xmlns=\"urn:ietf:params:xml:ns:conference-info\" entity=\"x\"");
        Assert.Equal(400, bad.StatusCode);
        Assert.StartsWith("Bad Request - conference-info", bad.ReasonPhrase, StringComparison.Ordinal);
        Assert.Empty(session.Participants);
    }

    [Fact]
    public async Task MessagesFromTheFocusCarryTheSenderInCpimAndEndingUnsubscribesThenByes()
    {
        (ImChatSession session, PeerSession focus, _, _, SipDialog subscription) = await StartGroupAsync();
        byte[] cpim = new CpimMessageBuilder()
            .From(new CpimAddress("sip:bob@ims.test", "Bob"))
            .To(new CpimAddress(Entity))
            .DateTime(_time.GetUtcNow())
            .ContentType(new MediaType("text", "plain"))
            .Body(Utf8("hi all"))
            .Build();
        Assert.True((await focus.SendAsync("message/cpim", cpim)).IsSuccess);
        InboxMessage m = Assert.Single(await _alice!.InboxAsync());
        Assert.Equal("sip:bob@ims.test", m.SenderUri);
        Assert.Equal(MessageSource.Session, m.Source);
        Assert.Equal(session.Id, m.ConversationId);

        // Sent into the group: CPIM To the session identity.
        ImChatSendResult sent = await session.SendAsync("hello group", ImdnDispositions.PositiveDelivery, TestContext.Current.CancellationToken);
        Assert.True(sent.IsSuccess);
        CpimMessage out1 = Cpim.Parse((await TestCore.ReadAsync(focus.Received)).Body).Value!;
        Assert.Equal(ScriptedSessionPeer.FocusUri.ToString(), Assert.Single(out1.To).Uri);

        await session.ByeAsync(TestContext.Current.CancellationToken);
        SipRequest unsubscribe = await TestCore.ReadAsync(_focus.Subscribes);
        Assert.Equal(subscription.CallId, unsubscribe.Headers.CallId);
        Assert.Equal(0u, unsubscribe.Headers.Expires);
        Assert.Equal(session.Id, (await TestCore.ReadAsync(_core.Byes)).Headers.CallId);
    }

    [Fact]
    public async Task GroupSessionWithoutAConferenceFactoryIsRefused()
    {
        _alice = await TestUe.StartAsync(_network, _core, "alice", PagerModeTests.AliceAddress, PagerModeTests.Settings() with { ConferenceFactoryUri = null });
        ImChatSessionException e = await Assert.ThrowsAsync<ImChatSessionException>(() => _alice.Client.StartGroupChatAsync(["sip:bob@ims.test"],
            cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(ImChatSessionError.NoConferenceFactory, e.Error);
        e = await Assert.ThrowsAsync<ImChatSessionException>(() => _alice.Client.StartGroupChatAsync(["sip:bob@ims.test", "mailto:x@y"],
            cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(ImChatSessionError.InvalidPeer, e.Error);
        Assert.Empty(_alice.Client.Sessions);
    }

    public async ValueTask DisposeAsync()
    {
        if (_alice is not null)
        {
            await _alice.DisposeAsync();
        }

        await _focus.DisposeAsync();
        await _core.DisposeAsync();
    }
}
