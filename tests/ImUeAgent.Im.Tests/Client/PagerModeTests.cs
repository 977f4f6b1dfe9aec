// SPDX-License-Identifier: MIT
using System.Net;
using System.Text;
using ImUeAgent.Im.Client;
using ImUeAgent.Im.Client.Pager;
using ImUeAgent.Im.Content;
using ImUeAgent.Im.FeatureTags;
using ImUeAgent.Im.Store;
using ImUeAgent.Sip.Message;
using ImUeAgent.Sip.Transport;
using Microsoft.Extensions.Time.Testing;
using static ImUeAgent.Im.Tests.Client.TestText;

namespace ImUeAgent.Im.Tests.Client;

public sealed class PagerModeTests : IAsyncDisposable
{
    internal const string AppRef = "+g.3gpp.app_ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.xyz\"";
    internal const string AppRefPredicate = AppRef + ";explicit;require";
    internal static readonly IPAddress AliceAddress = IPAddress.Parse("10.0.0.2");
    internal static readonly IPAddress BobAddress = IPAddress.Parse("10.0.0.3");

    private readonly InMemorySipNetwork _network = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly TestCore _core;
    private readonly List<TestUe> _ues = [];

    public PagerModeTests()
    {
        _core = new TestCore(_network, _time);
    }

    internal static ImClientSettings Settings(bool withApplications = false) => new()
    {
        ConferenceFactoryUri = "sip:conf-factory@ims.test",
        ApplicationFeatureTags = [AppRefPredicate],
        UserAgent = "IM-client/OMA1.0 imue-agent/0.1.0",
        Applications = withApplications
            ? [new ImApplication("chat", [AppRef]), new ImApplication("other", ["+g.3gpp.iari-ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.other\""])]
            : [],
        DefaultApplicationId = withApplications ? "other" : null,
    };

    private async Task<TestUe> StartUeAsync(string user, IPAddress address, ImClientSettings? settings = null)
    {
        TestUe ue = await TestUe.StartAsync(_network, _core, user, address, settings ?? Settings());
        _ues.Add(ue);
        return ue;
    }

    private static NewOutboxMessage Msg(string body, ImdnDispositions imdn = ImdnDispositions.None, IReadOnlyList<string>? featureTags = null, params string[] to) => new()
    {
        Recipients = to.Length == 0 ? ["sip:bob@ims.test"] : to,
        ContentType = "text/plain;charset=utf-8",
        Body = Utf8(body),
        ImdnRequested = imdn,
        FeatureTags = featureTags ?? [],
    };

    [Fact]
    public async Task PagerMessageKeepsTheAppRefTagBesideTheImTagFromClientToServerToTerminatingClient()
    {
        TestUe alice = await StartUeAsync("alice", AliceAddress);
        TestUe bob = await StartUeAsync("bob", BobAddress, Settings(withApplications: true));

        OutboxEnqueueResult queued = await alice.Client.SendAsync(Msg("Watson, come here."), TestContext.Current.CancellationToken);
        SipRequest atServer = await TestCore.ReadAsync(_core.Messages);
        ImInboxEvent received = await bob.NextInboxAsync();
        await alice.WaitOutboxAsync(queued.Id, OutboxState.Sent);

        // Client → server: the IM tag in its own value, the application's predicate byte-exact (8.1.1 step 1).
        Assert.Equal("sip:bob@ims.test", atServer.RequestUri.ToString());
        Assert.Equal(["*;+g.oma.sip-im", "*;" + AppRefPredicate], atServer.Headers.GetAll(SipHeaderId.AcceptContact).Select(h => h.Value));
        Assert.Equal("IM-client/OMA1.0 imue-agent/0.1.0", atServer.Headers.UserAgent);
        Assert.Equal("<sip:alice@ims.test>", atServer.Headers.GetValue(SipHeaderId.PPreferredIdentity));
        Assert.False(atServer.Headers.Contains(SipHeaderId.Privacy));
        Assert.False(atServer.Headers.Contains(SipHeaderId.Contact));
        Assert.Equal(["sip:10.0.0.1:5060;lr", "sip:orig@scscf.ims.test;lr"], atServer.Headers.Route.Select(r => r.Uri.ToString()));
        Assert.Equal("text/plain;charset=utf-8", atServer.Headers.GetValue(SipHeaderId.ContentType));

        // Server → terminating client: the tags survived, and bob's RFC 3841 routing picked the app_ref application.
        Assert.Equal("chat", received.ApplicationId);
        Assert.Equal(MessageSource.Pager, received.Message.Source);
        Assert.Equal("sip:alice@ims.test", received.Message.SenderUri);
        Assert.Equal("Watson, come here.", Text(received.Message.Body));
        Assert.Equal("text/plain;charset=utf-8", received.Message.ContentType);
        Assert.Equal(atServer.Headers.CallId, received.Message.CallId);

        // Without application tags (the message names others) the default application takes it.
        await alice.Client.SendAsync(Msg("second", featureTags: ["+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg\""]), TestContext.Current.CancellationToken);
        SipRequest second = await TestCore.ReadAsync(_core.Messages);
        Assert.Equal(["*;+g.oma.sip-im", "*;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg\""],
            second.Headers.GetAll(SipHeaderId.AcceptContact).Select(h => h.Value));
        ImInboxEvent other = await bob.NextInboxAsync(received.Message.Id);
        Assert.Equal("other", other.ApplicationId);
    }

    /// <summary>The body length that makes the whole MESSAGE exactly <paramref name="wireLength"/> bytes on the wire,
    /// found with the client's own builder; the core then measures what really arrived.</summary>
    private static int BodyLengthFor(TestUe ue, ImClientSettings settings, int wireLength)
    {
        var originator = new Originator(SipUri.Parse(ue.Impu), false);
        ClientFeatureTagPolicy policy = ClientFeatureTagPolicy.Create(new ImFeatureTagSettings { AcceptContact = settings.ApplicationFeatureTags });
        for (int n = 0; n < wireLength; n++)
        {
            var payload = new OutgoingPayload(new MediaType("text", "plain"), new byte[n]);
            SipRequest r = OutgoingRequestFactory.BuildMessage(["sip:bob@ims.test"], null, payload, originator, policy, settings.UserAgent, "0123456789abcdef01234567");
            if (OutgoingRequestFactory.PredictWireLength(r, ue.Registration.UserAgent) == wireLength)
            {
                return n;
            }
        }

        throw new InvalidOperationException("no body length gives " + wireLength);
    }

    [Theory]
    [InlineData(1299, false)]
    [InlineData(1300, true)]
    public async Task PagerOrLargeIsDecidedOnTheExactSerializedSize(int wireLength, bool expectLarge)
    {
        ImClientSettings settings = Settings();
        TestUe alice = await StartUeAsync("alice", AliceAddress, settings);
        int bodyLength = BodyLengthFor(alice, settings, wireLength);
        var message = new NewOutboxMessage { Recipients = ["sip:bob@ims.test"], ContentType = "text/plain", Body = Encoding.ASCII.GetBytes(new string('x', bodyLength)) };

        OutboxEnqueueResult queued = await alice.Client.SendAsync(message, TestContext.Current.CancellationToken);
        await alice.WaitOutboxAsync(queued.Id, OutboxState.Sent);

        if (expectLarge)
        {
            SipRequest invite = await TestCore.ReadAsync(_core.Invites);
            Assert.Equal("sip:bob@ims.test", invite.RequestUri.ToString());
            CoreMsrpMessage send = await TestCore.ReadAsync(_core.MsrpMessages);
            Assert.Equal(bodyLength, send.Body.Length);
            Assert.False(_core.Messages.Reader.TryRead(out _));
        }
        else
        {
            SipRequest atServer = await TestCore.ReadAsync(_core.Messages);
            Assert.Equal(wireLength, atServer.Length);
            Assert.Equal(bodyLength, atServer.Body.Length);
            Assert.False(_core.Invites.Reader.TryRead(out _));
        }
    }

    [Fact]
    public async Task AboveTheLimitWithAConnectionOrientedTransportKnownEndToEndStaysInPagerMode()
    {
        ImClientSettings settings = Settings() with { AssumeConnectionOrientedTransport = true };
        TestUe alice = await StartUeAsync("alice", AliceAddress, settings);
        OutboxEnqueueResult queued = await alice.Client.SendAsync(Msg(new string('y', 4000)), TestContext.Current.CancellationToken);
        await alice.WaitOutboxAsync(queued.Id, OutboxState.Sent);
        SipRequest atServer = await TestCore.ReadAsync(_core.Messages);
        Assert.True(atServer.Length > 4000);
        // RFC 3261 §18.1.1: over the MTU the UA itself moved the request to TCP.
        Assert.Equal("TCP", atServer.Headers.TopVia!.Transport);
        Assert.False(_core.Invites.Reader.TryRead(out _));
    }

    [Fact]
    public async Task SeveralRecipientsGoToTheConferenceFactoryAsAnRfc5365ResourceList()
    {
        TestUe alice = await StartUeAsync("alice", AliceAddress);
        _core.MessageScript.Enqueue(202);
        OutboxEnqueueResult queued = await alice.Client.SendAsync(Msg("Hi all", ImdnDispositions.None, null, "sip:bob@ims.test", "sip:carol@ims.test"),
            TestContext.Current.CancellationToken);
        SipRequest atServer = await TestCore.ReadAsync(_core.Messages);
        await alice.WaitOutboxAsync(queued.Id, OutboxState.Sent);

        Assert.Equal("sip:conf-factory@ims.test;sessiontype=adhoc", atServer.RequestUri.ToString());
        Assert.Equal("sip:conf-factory@ims.test", atServer.Headers.To!.Uri.ToString());
        Assert.Equal(["recipient-list-message"], atServer.Headers.Require);
        MediaType type = atServer.Headers.ContentType!;
        Assert.True(type.Is("multipart", "mixed"));
        ContentResult<MultipartBody> parts = Multipart.Parse(atServer.Body, type);
        Assert.True(parts.IsSuccess, parts.ToString());
        ContentResult<RecipientListBody> list = RecipientListBody.Parse(parts.Value!);
        Assert.True(list.IsSuccess, list.ToString());
        Assert.Equal(["sip:bob@ims.test", "sip:carol@ims.test"], list.Value!.Recipients.Select(r => r.Uri));
        Assert.Equal("Hi all", Text(list.Value.MessagePart!.Body));
        Assert.Contains(parts.Value!.Parts, p => p.Disposition == "recipient-list");
        Assert.Equal(["*;+g.oma.sip-im", "*;" + AppRefPredicate], atServer.Headers.GetAll(SipHeaderId.AcceptContact).Select(h => h.Value));
    }

    [Fact]
    public async Task PreDefinedGroupIsAddressedByItsGroupIdentity()
    {
        TestUe alice = await StartUeAsync("alice", AliceAddress);
        _core.MessageScript.Enqueue(200);
        await alice.Client.SendAsync(Msg("to the group", to: "sip:friends-group@ims.test"), TestContext.Current.CancellationToken);
        SipRequest atServer = await TestCore.ReadAsync(_core.Messages);
        Assert.Equal("sip:friends-group@ims.test", atServer.RequestUri.ToString());
        Assert.False(atServer.Headers.Contains(SipHeaderId.Require));
        Assert.Equal("to the group", Text(atServer.Body));
    }

    [Fact]
    public async Task AnonymityAsksForPrivacyIdWithAnAnonymousFrom()
    {
        TestUe alice = await StartUeAsync("alice", AliceAddress, Settings() with { RequestAnonymity = true });
        _core.MessageScript.Enqueue(200);
        await alice.Client.SendAsync(Msg("guess who", ImdnDispositions.PositiveDelivery), TestContext.Current.CancellationToken);
        SipRequest atServer = await TestCore.ReadAsync(_core.Messages);
        Assert.Equal(["id"], atServer.Headers.Privacy);
        Assert.Equal("sip:anonymous@anonymous.invalid", atServer.Headers.From!.Uri.ToString());
        // The network still needs to know who it is to assert it (RFC 3325), kept private by Privacy: id.
        Assert.Equal("<sip:alice@ims.test>", atServer.Headers.GetValue(SipHeaderId.PPreferredIdentity));
        ContentResult<CpimMessage> cpim = Cpim.Parse(atServer.Body);
        Assert.Equal("sip:anonymous@anonymous.invalid", cpim.Value!.From!.Uri);
    }

    [Fact]
    public async Task ExternalBodyIsSentAsMessageExternalBodyAndReachesTheApplicationIntact()
    {
        TestUe alice = await StartUeAsync("alice", AliceAddress);
        TestUe bob = await StartUeAsync("bob", BobAddress);
        NewOutboxMessage message = ImClient.CreateExternalBodyMessage(["sip:bob@ims.test"],
            new ExternalBodyReference(new Uri("https://files.ims.test/f/42"), new MediaType("image", "jpeg"), size: 123456));
        await alice.Client.SendAsync(message, TestContext.Current.CancellationToken);
        SipRequest atServer = await TestCore.ReadAsync(_core.Messages);
        Assert.True(atServer.Headers.ContentType!.Is("message", "external-body"));
        ImInboxEvent received = await bob.NextInboxAsync();
        Assert.True(MimeMediaType.TryParse(received.Message.ContentType, out MediaType? type));
        ContentResult<ExternalBodyReference> reference = ExternalBody.Parse(type!, received.Message.Body);
        Assert.True(reference.IsSuccess, reference.ToString());
        Assert.Equal("https://files.ims.test/f/42", reference.Value!.Url.AbsoluteUri);
        Assert.Equal(123456, reference.Value.Size);
    }

    [Fact]
    public async Task ImdnRoundTripCorrelatesByMessageIdAndReportsDeliveredThenDisplayed()
    {
        TestUe alice = await StartUeAsync("alice", AliceAddress);
        TestUe bob = await StartUeAsync("bob", BobAddress);
        // Bob records his delivery notification as sent only once its MESSAGE got the 2xx, which comes after alice
        // has answered it (and so may come after alice reports Delivered): wait for that record, not for alice.
        var deliveryRecorded = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        bob.Client.ImdnRecorded += e =>
        {
            if (e.Sent == ImdnDispositions.PositiveDelivery)
            {
                deliveryRecorded.TrySetResult(e.InboxId);
            }
        };
        OutboxEnqueueResult queued = await alice.Client.SendAsync(Msg("Did you get it?", ImdnDispositions.PositiveDelivery | ImdnDispositions.Display),
            TestContext.Current.CancellationToken);

        SipRequest request = await TestCore.ReadAsync(_core.Messages);
        Assert.True(request.Headers.ContentType!.Is("message", "cpim"));
        CpimMessage sentCpim = Cpim.Parse(request.Body).Value!;
        Assert.Equal(queued.MessageId, sentCpim.ImdnMessageId);
        Assert.Equal(DispositionNotification.PositiveDelivery | DispositionNotification.Display, sentCpim.DispositionNotification);
        Assert.Equal("sip:alice@ims.test", sentCpim.From!.Uri);

        ImInboxEvent received = await bob.NextInboxAsync();
        Assert.Equal("Did you get it?", Text(received.Message.Body));
        Assert.Equal("text/plain;charset=utf-8", received.Message.ContentType);
        Assert.Equal(queued.MessageId, received.Message.MessageId);
        Assert.Equal(ImdnDispositions.PositiveDelivery | ImdnDispositions.Display, received.Message.ImdnRequested);

        // Bob's client answers with a delivery notification; alice's outbox correlates it by Message-ID.
        SipRequest delivery = await TestCore.ReadAsync(_core.Messages);
        Assert.Equal("sip:alice@ims.test", delivery.RequestUri.ToString());
        CpimMessage deliveryCpim = Cpim.Parse(delivery.Body).Value!;
        Assert.Equal("notification", deliveryCpim.ContentHeaders.GetValue("Content-Disposition"));
        ImdnNotification n = ImdnDocument.Parse(deliveryCpim.Body).Value!;
        Assert.Equal((queued.MessageId, ImdnNotificationKind.Delivery, ImdnStatus.Delivered), (n.MessageId, n.Kind, n.Status));
        OutboxEvent delivered = await alice.WaitOutboxAsync(queued.Id, OutboxState.Delivered);
        Assert.Equal(OutboxDisposition.Delivered, delivered.Disposition);
        Assert.Equal("sip:bob@ims.test", delivered.Recipient);

        Assert.Equal(received.Message.Id, await deliveryRecorded.Task.WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken));
        Assert.Equal(ImdnDispositions.PositiveDelivery, (await bob.Store.GetInboxMessageAsync(received.Message.Id, TestContext.Current.CancellationToken))!.ImdnSent);

        Assert.True(await bob.Client.SendDisplayNotificationAsync(received.Message.Id, TestContext.Current.CancellationToken));
        await alice.WaitOutboxAsync(queued.Id, OutboxState.Displayed);
        InboxMessage atBob = (await bob.Store.GetInboxMessageAsync(received.Message.Id, TestContext.Current.CancellationToken))!;
        Assert.Equal(ImdnDispositions.PositiveDelivery | ImdnDispositions.Display, atBob.ImdnSent);
        // Sent once: a second request finds nothing left to send.
        Assert.False(await bob.Client.SendDisplayNotificationAsync(received.Message.Id, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task ReceivedMessageIsCommittedBeforeThe200AndARepeatIsAnsweredButNotStoredTwice()
    {
        TestUe bob = await StartUeAsync("bob", BobAddress);
        SipResponse first = await _core.SendMessageAsync(bob.EndPoint, "sip:alice@ims.test", "text/plain", Utf8("once"), callId: "dup-1@ims.test");
        Assert.Equal(200, first.StatusCode);
        Assert.Single(await bob.InboxAsync());
        SipResponse again = await _core.SendMessageAsync(bob.EndPoint, "sip:alice@ims.test", "text/plain", Utf8("once"), callId: "dup-1@ims.test");
        Assert.Equal(200, again.StatusCode);
        InboxMessage only = Assert.Single(await bob.InboxAsync());
        Assert.Equal("once", Text(only.Body));
        Assert.Equal("sip:alice@ims.test", only.SenderUri);
    }

    [Fact]
    public async Task StoreThatCannotCommitMeansNo200()
    {
        TestUe bob = await StartUeAsync("bob", BobAddress);
        long pages = await bob.Store.WriterPragmaAsync("page_count");
        await bob.Store.WriterPragmaAsync("max_page_count = " + pages.ToString(System.Globalization.CultureInfo.InvariantCulture));
        SipResponse refused = await _core.SendMessageAsync(bob.EndPoint, "sip:alice@ims.test", "text/plain", new byte[40 * 1024], callId: "full@ims.test");
        Assert.Equal(500, refused.StatusCode);
        Assert.Empty(await bob.InboxAsync());

        await bob.Store.WriterPragmaAsync("max_page_count = 1073741823");
        SipResponse retried = await _core.SendMessageAsync(bob.EndPoint, "sip:alice@ims.test", "text/plain", new byte[40 * 1024], callId: "full@ims.test");
        Assert.Equal(200, retried.StatusCode);
        Assert.Single(await bob.InboxAsync());
    }

    [Fact]
    public async Task MalformedCpimIsRefusedWith400NamingTheProblem()
    {
        TestUe bob = await StartUeAsync("bob", BobAddress);
        SipResponse r = await _core.SendMessageAsync(bob.EndPoint, "sip:alice@ims.test", "message/cpim", Utf8("From <sip:a@b>\r\nno blank line"));
        Assert.Equal(400, r.StatusCode);
        Assert.StartsWith("Bad Request - ", r.ReasonPhrase, StringComparison.Ordinal);
        Assert.Empty(await bob.InboxAsync());
    }

    [Fact]
    public async Task RequestsFromAnythingButTheRegisteredPcscfAreRefused()
    {
        TestUe bob = await StartUeAsync("bob", BobAddress);
        var strangerNetworkUa = new Sip.Ua.SipUserAgent(new SipTransportLayer([_network.CreateTransport(SipTransportKind.Udp, new IPEndPoint(IPAddress.Parse("10.0.0.66"), 5060))],
            timeProvider: _time), timeProvider: _time);
        await using (strangerNetworkUa)
        {
            strangerNetworkUa.Start();
            SipRequest message = SipMessageBuilder.Request(SipMethod.Message, SipUri.Parse("sip:bob@" + bob.EndPoint))
                .MaxForwards(70).From(new NameAddress(SipUri.Parse("sip:mallory@evil.test")).WithParameter(new SipParameter("tag", "m")))
                .To(new NameAddress(SipUri.Parse("sip:bob@ims.test"))).CallId("stranger").CSeq(1, SipMethod.Message)
                .Body(new MediaType("text", "plain"), Utf8("hi")).BuildRequest();
            SipResponse r = await strangerNetworkUa.SendAsync(message, options: new Sip.Ua.SipSendOptions
            {
                Destination = new SipTransportAddress(SipTransportKind.Udp, bob.EndPoint),
                Authenticate = false,
            }, cancellationToken: TestContext.Current.CancellationToken);
            Assert.Equal(403, r.StatusCode);
        }

        Assert.Empty(await bob.InboxAsync());
    }

    [Fact]
    public async Task TransientFailureIsRetriedWithBackoffAndAPermanentOneFails()
    {
        TestUe alice = await StartUeAsync("alice", AliceAddress);
        _core.MessageScript.Enqueue(503);
        OutboxEnqueueResult queued = await alice.Client.SendAsync(Msg("retry me"), TestContext.Current.CancellationToken);
        await TestCore.ReadAsync(_core.Messages);
        OutboxEvent retry = await alice.WaitOutboxAsync(queued.Id, OutboxState.Queued, statusCode: 503);
        OutboxMessage waiting = (await alice.Store.GetOutboxMessageAsync(queued.Id, TestContext.Current.CancellationToken))!;
        Assert.Equal((OutboxState.Queued, 1), (waiting.State, waiting.Attempts));
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromSeconds(5), waiting.NextAttemptAt);
        Assert.Equal(503, retry.StatusCode);

        _time.Advance(TimeSpan.FromSeconds(5));
        SipRequest second = await TestCore.ReadAsync(_core.Messages);
        Assert.Equal("retry me", Text(second.Body));
        await alice.WaitOutboxAsync(queued.Id, OutboxState.Sent);

        _core.MessageScript.Enqueue(404);
        OutboxEnqueueResult lost = await alice.Client.SendAsync(Msg("nobody", to: "sip:nobody@ims.test"), TestContext.Current.CancellationToken);
        await alice.WaitOutboxAsync(lost.Id, OutboxState.Failed);
        OutboxMessage failed = (await alice.Store.GetOutboxMessageAsync(lost.Id, TestContext.Current.CancellationToken))!;
        Assert.Equal((OutboxFailureReason.Rejected, 404), (failed.FailureReason, failed.StatusCode));
    }

    [Fact]
    public async Task BadApplicationInputIsRefusedBeforeAnythingIsStored()
    {
        TestUe alice = await StartUeAsync("alice", AliceAddress, Settings() with { ConferenceFactoryUri = null });
        ImSendException e1 = await Assert.ThrowsAsync<ImSendException>(() => alice.Client.SendAsync(Msg("x", to: "mailto:bob@ims.test"), TestContext.Current.CancellationToken));
        Assert.Equal(ImSendError.InvalidRecipient, e1.Error);
        ImSendException e2 = await Assert.ThrowsAsync<ImSendException>(() => alice.Client.SendAsync(Msg("x", to: ["sip:a@ims.test", "sip:b@ims.test"]), TestContext.Current.CancellationToken));
        Assert.Equal(ImSendError.NoConferenceFactory, e2.Error);
        ImSendException e3 = await Assert.ThrowsAsync<ImSendException>(() => alice.Client.SendAsync(Msg("x", featureTags: ["no-plus-sign"]), TestContext.Current.CancellationToken));
        Assert.Equal(ImSendError.InvalidFeatureTag, e3.Error);
        ImSendException e4 = await Assert.ThrowsAsync<ImSendException>(() => alice.Client.SendAsync(Msg("x") with { ContentType = "text" }, TestContext.Current.CancellationToken));
        Assert.Equal(ImSendError.InvalidContentType, e4.Error);
        Assert.Empty(await alice.Store.ReadOutboxEventsAsync(0, 10, TestContext.Current.CancellationToken));
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
