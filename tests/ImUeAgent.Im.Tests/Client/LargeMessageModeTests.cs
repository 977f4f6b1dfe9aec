// SPDX-License-Identifier: MIT
using ImUeAgent.Im.Client.Sessions;
using ImUeAgent.Im.Content;
using ImUeAgent.Im.Store;
using ImUeAgent.Msrp.Sdp;
using ImUeAgent.Sip.Message;
using ImUeAgent.Sip.Transport;
using Microsoft.Extensions.Time.Testing;
using static ImUeAgent.Im.Tests.Client.TestText;

namespace ImUeAgent.Im.Tests.Client;

public sealed class LargeMessageModeTests : IAsyncDisposable
{
    private readonly InMemorySipNetwork _network = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly TestCore _core;
    private readonly List<TestUe> _ues = [];

    public LargeMessageModeTests()
    {
        _core = new TestCore(_network, _time);
    }

    private async Task<TestUe> StartUeAsync(string user, System.Net.IPAddress address)
    {
        TestUe ue = await TestUe.StartAsync(_network, _core, user, address, PagerModeTests.Settings());
        _ues.Add(ue);
        return ue;
    }

    private static byte[] Pattern(int length)
    {
        byte[] b = new byte[length];
        for (int i = 0; i < b.Length; i++)
        {
            b[i] = (byte)('a' + (i % 26));
        }

        return b;
    }

    [Fact]
    public async Task LargeMessageIsAnInviteWithAnMsrpOfferThenOneChunkedSendThenBye()
    {
        TestUe alice = await StartUeAsync("alice", PagerModeTests.AliceAddress);
        byte[] body = Pattern(200 * 1024);
        OutboxEnqueueResult queued = await alice.Client.SendAsync(new NewOutboxMessage
        {
            Recipients = ["sip:bob@ims.test"],
            ContentType = "text/plain",
            Body = body,
            ImdnRequested = ImdnDispositions.PositiveDelivery,
        }, TestContext.Current.CancellationToken);

        SipRequest invite = await TestCore.ReadAsync(_core.Invites);
        CoreMsrpMessage send = await TestCore.ReadAsync(_core.MsrpMessages);
        SipRequest bye = await TestCore.ReadAsync(_core.Byes);
        await alice.WaitOutboxAsync(queued.Id, OutboxState.Sent);

        // 9.1.1.1: the IM tag beside the application's, Contact with '+g.oma.sip-im', User-Agent, timer.
        Assert.Equal(["*;+g.oma.sip-im", "*;" + PagerModeTests.AppRefPredicate], invite.Headers.GetAll(SipHeaderId.AcceptContact).Select(h => h.Value));
        Assert.Contains(";+g.oma.sip-im", invite.Headers.GetValue(SipHeaderId.Contact), StringComparison.Ordinal);
        Assert.Equal("IM-client/OMA1.0 imue-agent/0.1.0", invite.Headers.UserAgent);
        Assert.Equal(["timer"], invite.Headers.Supported);
        Assert.Equal("1800;refresher=uac", invite.Headers.GetValue(SipHeaderId.SessionExpires));
        Assert.Equal("<sip:alice@ims.test>", invite.Headers.GetValue(SipHeaderId.PPreferredIdentity));
        MsrpMediaDescription offer = MsrpSdp.Read(Text(invite.Body));
        Assert.Equal(MsrpSetup.Active, offer.Setup);
        Assert.Equal(["message/cpim"], offer.AcceptTypes);
        Assert.Contains("text/plain", offer.AcceptWrappedTypes);
        // One-way (RFC 3264 §5.1) on the MSRP media line itself, which is what tells a receiving client it is not a chat.
        SdpSessionDescription offerSdp = SdpSessionDescription.Parse(Text(invite.Body));
        Assert.Equal(["sendonly"], offerSdp.Media.Single().Attributes.Select(a => a.Key).Where(k => k is "sendonly" or "recvonly" or "sendrecv" or "inactive"));
        Assert.Empty(offerSdp.Attributes);
        Assert.Equal(ChatOfferDecision.OneWayDirection, ChatOfferClassifier.Classify(offerSdp, offer));

        // One message over MSRP (chunked by the session), CPIM-wrapped to carry the IMDN request.
        Assert.Equal("message/cpim", send.ContentType);
        CpimMessage cpim = Cpim.Parse(send.Body).Value!;
        Assert.Equal(queued.MessageId, cpim.ImdnMessageId);
        Assert.Equal(body, cpim.Body.ToArray());
        Assert.Equal(invite.Headers.CallId, bye.Headers.CallId);
    }

    [Fact]
    public async Task LargeMessageReceivedOverMsrpIsCommittedBeforeIts200()
    {
        TestUe bob = await StartUeAsync("bob", PagerModeTests.BobAddress);
        byte[] body = Pattern(150 * 1024);
        IReadOnlyList<int> statuses = await _core.PushAsync(bob.EndPoint, "sip:alice@ims.test", [("text/plain", body)], callId: "large-1@ims.test");
        Assert.Equal([200], statuses);
        InboxMessage m = Assert.Single(await bob.InboxAsync());
        Assert.Equal(MessageSource.LargeMessage, m.Source);
        Assert.Equal(body, m.Body.ToArray());
        Assert.Equal("sip:alice@ims.test", m.SenderUri);
        Assert.Equal("large-1@ims.test", m.CallId);
    }

    /// <summary>Peers differ: some large-mode offers say sendonly, some name no direction (as the IM Server's pushes
    /// here). Each is taken as one message; a sendonly offer is answered recvonly (RFC 3264 §6.1), the others as before.</summary>
    [Theory]
    [InlineData(null, null)]
    [InlineData("sendonly", "recvonly")]
    [InlineData("sendrecv", null)]
    public async Task LargeMessageOffersWithAndWithoutSendOnlyAreTakenAndASendOnlyOfferIsAnsweredRecvOnly(string? offered, string? answered)
    {
        TestUe bob = await StartUeAsync("bob", PagerModeTests.BobAddress);
        byte[] body = Pattern(4 * 1024);
        IReadOnlyList<int> statuses = await _core.PushAsync(bob.EndPoint, "sip:alice@ims.test", [("text/plain", body)], direction: offered);

        Assert.Equal([200], statuses);
        SipResponse ok = await TestCore.ReadAsync(_core.PushAnswers);
        SdpSessionDescription answer = SdpSessionDescription.Parse(Text(ok.Body));
        string[] directions = [.. answer.Attributes.Concat(answer.Media.Single().Attributes).Select(a => a.Key).Where(k => k is "sendonly" or "recvonly" or "sendrecv" or "inactive")];
        Assert.Equal(answered is null ? [] : [answered], directions);
        Assert.Equal("path", answer.Media.Single().Attributes[^1].Key);
        InboxMessage m = Assert.Single(await bob.InboxAsync());
        Assert.Equal(MessageSource.LargeMessage, m.Source);
        Assert.Equal(body, m.Body.ToArray());
    }

    [Fact]
    public async Task WithActPassTheAnswererConnectsItself()
    {
        TestUe bob = await StartUeAsync("bob", PagerModeTests.BobAddress);
        // a=setup:actpass lets the answerer pick: bob answers active and connects (RFC 6135 §4.2).
        IReadOnlyList<int> statuses = await _core.PushAsync(bob.EndPoint, "sip:alice@ims.test", [("text/plain", Utf8("hello"))], MsrpSetup.ActPass);
        Assert.Equal([200], statuses);
        Assert.Equal("hello", Text(Assert.Single(await bob.InboxAsync()).Body));
    }

    [Fact]
    public async Task TwoClientsExchangeALargeMessageThroughTheCoreWithoutLosingBytes()
    {
        TestUe alice = await StartUeAsync("alice", PagerModeTests.AliceAddress);
        byte[] body = Pattern(300 * 1024 + 17);
        OutboxEnqueueResult queued = await alice.Client.SendAsync(new NewOutboxMessage { Recipients = ["sip:bob@ims.test"], ContentType = "application/octet-stream", Body = body },
            TestContext.Current.CancellationToken);
        CoreMsrpMessage atServer = await TestCore.ReadAsync(_core.MsrpMessages);
        await alice.WaitOutboxAsync(queued.Id, OutboxState.Sent);
        Assert.Equal("application/octet-stream", atServer.ContentType);

        TestUe bob = await StartUeAsync("bob", PagerModeTests.BobAddress);
        IReadOnlyList<int> statuses = await _core.PushAsync(bob.EndPoint, "sip:alice@ims.test", [(atServer.ContentType, atServer.Body)]);
        Assert.Equal([200], statuses);
        Assert.Equal(body, Assert.Single(await bob.InboxAsync()).Body.ToArray());
    }

    public async ValueTask DisposeAsync()
    {
        foreach (TestUe ue in _ues)
        {
            await ue.DisposeAsync();
        }

        await _core.DisposeAsync();
    }
}
