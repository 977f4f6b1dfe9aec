// SPDX-License-Identifier: MIT
using System.Text;
using ImUeAgent.Msrp.Sdp;
using ImUeAgent.Sip.Message;
using ImUeAgent.Testbed.Im;
using ImUeAgent.Testbed.Tests.Core;

namespace ImUeAgent.Testbed.Tests.Im;

/// <summary>The conference focus of ad-hoc IM group sessions (RFC 5366, OMA SIMPLE IM 7.2.2.1): creation at the
/// factory, the INVITEs to the listed users, MSRP relay among the participants, the conference event package
/// (RFC 4575) and the release.</summary>
public sealed class ConferenceTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static async Task SendTextAsync(ConferenceMember member, string contentType, string text)
    {
        var sent = await member.Msrp.Session.SendMessageAsync(contentType, Encoding.UTF8.GetBytes(text), cancellationToken: Token);
        Assert.True(sent.IsSuccess, sent.ToString());
    }

    [Fact]
    public async Task Three_users_chat_through_the_focus_watch_the_roster_and_see_a_leave()
    {
        await using var fixture = ImFixture.Start();
        await using var aliceUe = await fixture.AliceAsync();
        await using var bobUe = await fixture.BobAsync(tcp: true);
        await using var carolUe = await fixture.CarolAsync();
        await aliceUe.RegisterAsync();
        await bobUe.RegisterAsync();
        await carolUe.RegisterAsync();

        // Alice invites the factory with Bob and Carol listed (and herself, which the focus skips).
        await using var alice = await ConferenceClient.CreateAsync(fixture, aliceUe, CoreFixture.BobImpu, CoreFixture.CarolImpu, CoreFixture.Impu);
        var ok = alice.Ok!;
        var contact = ok.Headers.Contact[0];
        Assert.True(contact.Parameters.Contains("isfocus"));
        Assert.True(contact.Parameters.Contains("+g.oma.sip-im"));
        var conferenceUri = contact.Uri!.ToString();
        Assert.StartsWith("sip:im-conf-", conferenceUri, StringComparison.Ordinal);
        Assert.Contains("SUBSCRIBE", ok.Headers.Allow);
        Assert.Equal(["timer"], ok.Headers.Require);
        Assert.Equal(1, fixture.Im.ConferenceCount);

        await using var bob = await ConferenceClient.AcceptAsync(bobUe);
        await using var carol = await ConferenceClient.AcceptAsync(carolUe);
        foreach (var (member, impu) in new[] { (bob, CoreFixture.BobImpu), (carol, CoreFixture.CarolImpu) })
        {
            // 7.2.2.1: the inviting user as originator (From, P-Asserted-Identity) and in Referred-By; the conference
            // URI with isfocus as Contact; Accept-Contact under the server rule; the release in User-Agent; timer.
            var invite = member.Invite!;
            Assert.Equal(impu, invite.Headers.To!.Uri.ToString());
            Assert.Equal(CoreFixture.Impu, invite.Headers.From!.Uri.ToString());
            Assert.Equal("<" + CoreFixture.Impu + ">", invite.Headers.GetValue(SipHeaderId.PAssertedIdentity));
            Assert.Equal("<" + CoreFixture.Impu + ">", invite.Headers.GetValue(SipHeaderId.ReferredBy));
            var focus = invite.Headers.Contact[0];
            Assert.Equal(contact.Uri!.User, focus.Uri!.User);
            Assert.True(focus.Parameters.Contains("isfocus"));
            Assert.True(focus.Parameters.Contains("+g.oma.sip-im"));
            Assert.Equal([ImFixture.AppRef, "*;+g.oma.sip-im"], invite.Headers.GetAll(SipHeaderId.AcceptContact).Select(h => h.Value));
            Assert.StartsWith("IM-serv/OMA1.0 ", invite.Headers.UserAgent, StringComparison.Ordinal);
            Assert.Equal("uas", invite.Headers.SessionExpires!.Refresher);
            Assert.Contains("timer", invite.Headers.Supported);
            Assert.Equal("team chat", invite.Headers.Subject);
            Assert.Contains("SUBSCRIBE", invite.Headers.Allow);
        }

        Assert.NotEqual(bob.Invite!.Headers.CallId, carol.Invite!.Headers.CallId);
        Assert.False(bobUe.TryReceive(out _));

        // A bare text from Alice reaches Bob and Carol wrapped in CPIM with Alice as From.
        await SendTextAsync(alice, "text/plain", "hello both");
        foreach (var member in new[] { bob, carol })
        {
            var (from, type, body) = ConferenceClient.ReadCpim(await member.Msrp.ReceiveAsync());
            Assert.Equal("<" + CoreFixture.Impu + ">", from);
            Assert.Equal("text/plain", type);
            Assert.Equal("hello both", body);
        }

        // A CPIM message from Bob goes to Alice and Carol as Bob sent it.
        var bobCpim = $"From: <{CoreFixture.BobImpu}>\r\nTo: <{conferenceUri}>\r\n\r\nContent-Type: text/plain\r\n\r\nhi from bob";
        await SendTextAsync(bob, "message/cpim", bobCpim);
        foreach (var member in new[] { alice, carol })
        {
            var received = await member.Msrp.ReceiveAsync();
            Assert.Equal("message/cpim", received.ContentType);
            Assert.Equal(bobCpim, received.Text);
        }

        // Alice subscribes to the conference state: 200, then the full document with everybody connected.
        var subscribe = ConferenceClient.Subscribe(aliceUe, conferenceUri);
        var subscribed = await aliceUe.SendAndReceiveAsync(subscribe);
        Assert.Equal(200, subscribed.StatusCode);
        Assert.Equal(600u, subscribed.Headers.Expires);
        Assert.NotNull(subscribed.Headers.To!.Tag);
        var (notify, info) = await ConferenceClient.NotifyAsync(aliceUe);
        Assert.Equal(subscribe.Headers.CallId, notify.Headers.CallId);
        Assert.Equal(subscribed.Headers.To!.Tag, notify.Headers.From!.Tag);
        Assert.Equal("active", notify.Headers.SubscriptionState!.Token);
        Assert.Equal("600", notify.Headers.SubscriptionState!.Parameters.GetValue("expires"));
        Assert.Equal("full", (string?)info.Attribute("state"));
        Assert.Equal("1", (string?)info.Attribute("version"));
        Assert.Equal(conferenceUri, (string?)info.Attribute("entity"));
        Assert.Equal(3, ConferenceClient.UserCount(info));
        var users = ConferenceClient.Users(info);
        Assert.Equal(3, users.Count);
        Assert.All(new[] { CoreFixture.Impu, CoreFixture.BobImpu, CoreFixture.CarolImpu }, u => Assert.Equal(("connected", null), users[u]));
        Assert.Equal("team chat", (string?)info.Element(ConferenceClient.Info + "conference-description")?.Element(ConferenceClient.Info + "subject"));

        // Carol leaves: 200 to her BYE, and a partial NOTIFY with only her, disconnected (departed).
        var bye = await carolUe.SendAndReceiveAsync(ConferenceClient.CalleeRequest(carol, SipMethod.Bye, 1));
        Assert.Equal(200, bye.StatusCode);
        (notify, info) = await ConferenceClient.NotifyAsync(aliceUe);
        Assert.Equal("partial", (string?)info.Attribute("state"));
        Assert.Equal("2", (string?)info.Attribute("version"));
        Assert.Equal(2, ConferenceClient.UserCount(info));
        Assert.Equal(("disconnected", "departed"), Assert.Single(ConferenceClient.Users(info)).Value);
        Assert.Equal(CoreFixture.CarolImpu, ConferenceClient.Users(info).Keys.Single());

        // The two left still talk.
        await SendTextAsync(bob, "text/plain", "just us");
        Assert.Equal("just us", ConferenceClient.ReadCpim(await alice.Msrp.ReceiveAsync()).Body);

        // Alice leaves: one user is no group, so the focus sends Bob a BYE and ends Alice's subscription.
        var aliceBye = ImFixture.InDialog(aliceUe, SipMethod.Bye, ok, alice.CSeq + 1);
        await aliceUe.SendAsync(aliceBye);
        // The 200 and two NOTIFYs (one at a time: the focus waits for each one's 200), in any interleaving.
        SipResponse? byeOk = null;
        var notifies = new List<SipRequest>();
        while (byeOk is null || notifies.Count < 2)
        {
            switch (await aliceUe.ReceiveAsync())
            {
                case SipResponse response:
                    byeOk = response;
                    break;
                case SipRequest request:
                    notifies.Add(request);
                    await aliceUe.AnswerAsync(request, 200);
                    break;
            }
        }

        Assert.Equal(200, byeOk.StatusCode);
        Assert.Equal(SipMethod.Notify, notifies[0].Method);
        Assert.True(notifies[0].Headers.CSeq!.Number < notifies[1].Headers.CSeq!.Number);
        Assert.Equal(("disconnected", "departed"), ConferenceClient.Users(ConferenceClient.ParseInfo(notifies[0]))[CoreFixture.Impu]);
        Assert.Equal("terminated", notifies[1].Headers.SubscriptionState!.Token);
        Assert.Equal("noresource", notifies[1].Headers.SubscriptionState!.Parameters.GetValue("reason"));
        var last = ConferenceClient.ParseInfo(notifies[1]);
        Assert.Equal("false", (string?)last.Element(ConferenceClient.Info + "conference-state")!.Element(ConferenceClient.Info + "active"));
        Assert.Equal(("disconnected", "booted"), ConferenceClient.Users(last)[CoreFixture.BobImpu]);

        var focusBye = await bobUe.ReceiveRequestAsync();
        Assert.Equal(SipMethod.Bye, focusBye.Method);
        Assert.Equal(bob.Invite.Headers.CallId, focusBye.Headers.CallId);
        Assert.Equal(bob.ToTag, focusBye.Headers.To!.Tag);
        await bobUe.AnswerAsync(focusBye, 200);
        Assert.Equal(0, fixture.Im.ConferenceCount);

        // The conference URI is gone.
        var late = await aliceUe.SendAndReceiveAsync(ConferenceClient.Subscribe(aliceUe, conferenceUri));
        Assert.Equal(404, late.StatusCode);
    }

    [Fact]
    public async Task An_invitee_who_declines_is_shown_disconnected_and_the_others_still_join()
    {
        await using var fixture = ImFixture.Start();
        await using var aliceUe = await fixture.AliceAsync();
        await using var bobUe = await fixture.BobAsync();
        await using var carolUe = await fixture.CarolAsync(tcp: true);
        await aliceUe.RegisterAsync();
        await bobUe.RegisterAsync();
        await carolUe.RegisterAsync();

        await using var alice = await ConferenceClient.CreateAsync(fixture, aliceUe, CoreFixture.BobImpu, CoreFixture.CarolImpu);
        var conferenceUri = alice.Ok!.Headers.Contact[0].Uri!.ToString();
        var bobInvite = await bobUe.ReceiveRequestAsync();
        Assert.Equal(SipMethod.Invite, bobInvite.Method);

        // Subscribed while both invitations are out: both listed as dialing-out.
        Assert.Equal(200, (await aliceUe.SendAndReceiveAsync(ConferenceClient.Subscribe(aliceUe, conferenceUri))).StatusCode);
        var (_, info) = await ConferenceClient.NotifyAsync(aliceUe);
        var users = ConferenceClient.Users(info);
        Assert.Equal(("connected", null), users[CoreFixture.Impu]);
        Assert.Equal(("dialing-out", null), users[CoreFixture.BobImpu]);
        Assert.Equal(("dialing-out", null), users[CoreFixture.CarolImpu]);
        Assert.Equal(1, ConferenceClient.UserCount(info));

        // Bob declines: the core acknowledges the 603, the roster says failed with the status.
        await bobUe.AnswerAsync(bobInvite, 603);
        Assert.Equal(SipMethod.Ack, (await bobUe.ReceiveRequestAsync()).Method);
        (_, info) = await ConferenceClient.NotifyAsync(aliceUe);
        Assert.Equal(("disconnected", "failed"), ConferenceClient.Users(info)[CoreFixture.BobImpu]);
        Assert.Contains("603", info.Descendants(ConferenceClient.Info + "reason").Single().Value, StringComparison.Ordinal);

        // Carol accepts and is connected; Alice and Carol talk.
        await using var carol = await ConferenceClient.AcceptAsync(carolUe);
        (_, info) = await ConferenceClient.NotifyAsync(aliceUe);
        Assert.Equal(("connected", null), ConferenceClient.Users(info)[CoreFixture.CarolImpu]);
        Assert.Equal(2, ConferenceClient.UserCount(info));
        await SendTextAsync(alice, "text/plain", "only you came");
        var (from, _, body) = ConferenceClient.ReadCpim(await carol.Msrp.ReceiveAsync());
        Assert.Equal("<" + CoreFixture.Impu + ">", from);
        Assert.Equal("only you came", body);
        await SendTextAsync(carol, "text/plain", "hi alice");
        Assert.Equal("<" + CoreFixture.CarolImpu + ">", ConferenceClient.ReadCpim(await alice.Msrp.ReceiveAsync()).From);

        // Bob changes his mind and dials in to the conference URI; Dave, not on the list, may not.
        await using var bobMsrp = new TestMsrp();
        bobUe.CallId = Guid.NewGuid().ToString("N");
        var dialIn = bobUe.Request(SipMethod.Invite, conferenceUri, to: conferenceUri).Route(ImFixture.ServiceRoute)
            .Add(SipHeaderId.Contact, $"<{bobUe.ContactUri}>;+g.oma.sip-im")
            .Body(new MediaType("application", "sdp"), Encoding.UTF8.GetBytes(MsrpSdp.CreateOffer(bobMsrp.Session, ["message/cpim"], setup: MsrpSetup.Active)))
            .BuildRequest();
        var joined = await ConferenceClient.ReceiveFinalAsync(bobUe, dialIn);
        Assert.Equal(200, joined.StatusCode);
        Assert.True(joined.Headers.Contact[0].Parameters.Contains("isfocus"));
        await bobUe.SendAsync(ImFixture.InDialog(bobUe, SipMethod.Ack, joined, dialIn.Headers.CSeq!.Number));
        bobMsrp.Session.SetRemotePath(MsrpSdp.Read(Encoding.UTF8.GetString(joined.Body.Span)).Path);
        await bobMsrp.Session.ConnectAsync(Token);
        (_, info) = await ConferenceClient.NotifyAsync(aliceUe);
        Assert.Equal(("connected", null), ConferenceClient.Users(info)[CoreFixture.BobImpu]);
        Assert.Equal("dialed-in", info.Descendants(ConferenceClient.Info + "joining-method").Single().Value);
        await SendTextAsync(carol, "text/plain", "welcome back");
        Assert.Equal("welcome back", ConferenceClient.ReadCpim(await bobMsrp.ReceiveAsync()).Body);
        Assert.Equal("welcome back", ConferenceClient.ReadCpim(await alice.Msrp.ReceiveAsync()).Body);

        await using var daveUe = await TestUe.ConnectAsync(fixture.Core.UdpEndPoint!, false, "dave@" + ImFixture.Domain, [ImFixture.DaveImpu], password: "dave-secret");
        await daveUe.RegisterAsync();
        var daveDialIn = daveUe.Request(SipMethod.Invite, conferenceUri, to: conferenceUri).Route(ImFixture.ServiceRoute)
            .Add(SipHeaderId.Contact, $"<{daveUe.ContactUri}>")
            .Body(new MediaType("application", "sdp"), dialIn.Body)
            .BuildRequest();
        Assert.Equal(403, (await ConferenceClient.ReceiveFinalAsync(daveUe, daveDialIn)).StatusCode);
        Assert.Equal(403, (await daveUe.SendAndReceiveAsync(ConferenceClient.Subscribe(daveUe, conferenceUri))).StatusCode);
    }

    [Fact]
    public async Task When_every_invitee_declines_the_originator_is_released()
    {
        await using var fixture = ImFixture.Start();
        await using var aliceUe = await fixture.AliceAsync();
        await using var bobUe = await fixture.BobAsync();
        await aliceUe.RegisterAsync();
        await bobUe.RegisterAsync();

        // Carol is not registered: her INVITE cannot go anywhere; Bob is busy.
        await using var alice = await ConferenceClient.CreateAsync(fixture, aliceUe, CoreFixture.BobImpu, CoreFixture.CarolImpu);
        var invite = await bobUe.ReceiveRequestAsync();
        await bobUe.AnswerAsync(invite, 486);
        Assert.Equal(SipMethod.Ack, (await bobUe.ReceiveRequestAsync()).Method);

        var bye = await aliceUe.ReceiveRequestAsync();
        Assert.Equal(SipMethod.Bye, bye.Method);
        Assert.Equal(alice.Ok!.Headers.CallId, bye.Headers.CallId);
        Assert.Equal(alice.Ok.Headers.To!.Tag, bye.Headers.From!.Tag);
        Assert.Equal(aliceUe.Tag, bye.Headers.To!.Tag);
        await aliceUe.AnswerAsync(bye, 200);
        Assert.Equal(0, fixture.Im.ConferenceCount);
    }

    [Fact]
    public async Task With_the_empty_policy_the_originator_stays_alone_and_a_message_to_nobody_is_accepted()
    {
        await using var fixture = ImFixture.Start(new ImServerSettings { ConferenceRelease = ConferenceReleasePolicy.Empty });
        await using var aliceUe = await fixture.AliceAsync();
        await using var bobUe = await fixture.BobAsync();
        await aliceUe.RegisterAsync();
        await bobUe.RegisterAsync();
        await using var alice = await ConferenceClient.CreateAsync(fixture, aliceUe, CoreFixture.BobImpu);
        var invite = await bobUe.ReceiveRequestAsync();
        await bobUe.AnswerAsync(invite, 603);
        Assert.Equal(SipMethod.Ack, (await bobUe.ReceiveRequestAsync()).Method);

        await SendTextAsync(alice, "text/plain", "anyone?");
        Assert.Equal(1, fixture.Im.ConferenceCount);
        var ok = await aliceUe.SendAndReceiveAsync(ImFixture.InDialog(aliceUe, SipMethod.Bye, alice.Ok!, alice.CSeq + 1));
        Assert.Equal(200, ok.StatusCode);
        Assert.Equal(0, fixture.Im.ConferenceCount);
    }

    [Fact]
    public async Task The_factory_refuses_what_it_cannot_set_up_with_the_reason()
    {
        await using var fixture = ImFixture.Start();
        await using var aliceUe = await fixture.AliceAsync();
        await aliceUe.RegisterAsync();
        await using var msrp = new TestMsrp();
        var good = ConferenceClient.ResourceList(CoreFixture.BobImpu);

        async Task<SipResponse> TryAsync(SipRequest request) => await ConferenceClient.ReceiveFinalAsync(aliceUe, request);

        var malformed = await TryAsync(ConferenceClient.FactoryInvite(fixture, aliceUe, msrp, "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"><list><entry"));
        Assert.Equal(400, malformed.StatusCode);
        Assert.Equal("Bad Request - ResourceListMalformed (XmlMalformed)", malformed.ReasonPhrase);

        var noUri = await TryAsync(ConferenceClient.FactoryInvite(fixture, aliceUe, msrp,
            "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"><list><entry/></list></resource-lists>"));
        Assert.Equal("Bad Request - ResourceListMalformed (EntryWithoutUri)", noUri.ReasonPhrase);

        var onlyMe = await TryAsync(ConferenceClient.FactoryInvite(fixture, aliceUe, msrp, ConferenceClient.ResourceList(CoreFixture.Impu)));
        Assert.Equal("Bad Request - NoInvitee", onlyMe.ReasonPhrase);

        var noList = await TryAsync(ConferenceClient.FactoryInvite(fixture, aliceUe, msrp, good, listType: "text/plain"));
        Assert.Equal("Bad Request - NoRecipientList", noList.ReasonPhrase);

        var extension = await TryAsync(ConferenceClient.FactoryInvite(fixture, aliceUe, msrp, good, require: "recipient-list-invite, 100rel-ng"));
        Assert.Equal(420, extension.StatusCode);
        Assert.Equal(["100rel-ng"], extension.Headers.Unsupported);

        var badSdp = await TryAsync(ConferenceClient.FactoryInvite(fixture, aliceUe, msrp, good, sdpOverride: "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"));
        Assert.Equal(488, badSdp.StatusCode);

        aliceUe.CallId = Guid.NewGuid().ToString("N");
        var plain = aliceUe.Request(SipMethod.Invite, fixture.Im.FactoryUri, to: fixture.Im.FactoryUri).Route(ImFixture.ServiceRoute)
            .Add(SipHeaderId.Contact, $"<{aliceUe.ContactUri}>")
            .Body(new MediaType("application", "sdp"), Encoding.UTF8.GetBytes(MsrpSdp.CreateOffer(msrp.Session, ["*"])))
            .BuildRequest();
        var unsupported = await TryAsync(plain);
        Assert.Equal(415, unsupported.StatusCode);
        Assert.Contains("multipart/mixed", unsupported.Headers.GetValue(SipHeaderId.Accept), StringComparison.Ordinal);

        Assert.Equal(0, fixture.Im.ConferenceCount);
    }

    [Fact]
    public async Task Subscriptions_refuse_other_packages_refresh_and_end_by_expiry_or_unsubscribe()
    {
        await using var fixture = ImFixture.Start(new ImServerSettings { MaxConferenceSubscriptionExpires = 300 });
        await using var aliceUe = await fixture.AliceAsync();
        await using var bobUe = await fixture.BobAsync();
        await aliceUe.RegisterAsync();
        await bobUe.RegisterAsync();
        await using var alice = await ConferenceClient.CreateAsync(fixture, aliceUe, CoreFixture.BobImpu);
        await using var bob = await ConferenceClient.AcceptAsync(bobUe);
        var conferenceUri = alice.Ok!.Headers.Contact[0].Uri!.ToString();

        var wrong = await aliceUe.SendAndReceiveAsync(ConferenceClient.Subscribe(aliceUe, conferenceUri, eventPackage: "presence"));
        Assert.Equal(489, wrong.StatusCode);
        Assert.Equal(["conference"], wrong.Headers.AllowEvents);

        // Bob asks for an hour and is granted the server's five minutes.
        var subscribe = ConferenceClient.Subscribe(bobUe, conferenceUri, expires: 3600);
        var ok = await bobUe.SendAndReceiveAsync(subscribe);
        Assert.Equal(300u, ok.Headers.Expires);
        var (notify, info) = await ConferenceClient.NotifyAsync(bobUe);
        Assert.Equal("300", notify.Headers.SubscriptionState!.Parameters.GetValue("expires"));
        Assert.Equal(2, ConferenceClient.UserCount(info));

        // A refresh inside the dialog: 200 and the full state again, next version.
        SipRequest Refresh(uint cseq) => SipMessageBuilder.Request(SipMethod.Subscribe, ok.Headers.Contact[0].Uri!)
            .Via(new ViaValue(bobUe.Transport, "127.0.0.1", bobUe.Local.Port, TestUe.Branch(), rport: true))
            .MaxForwards(70)
            .Add(SipHeaderId.From, subscribe.Headers.GetValue(SipHeaderId.From)!)
            .Add(SipHeaderId.To, ok.Headers.GetValue(SipHeaderId.To)!)
            .CallId(subscribe.Headers.CallId!)
            .CSeq(cseq, SipMethod.Subscribe)
            .Add(SipHeaderId.Event, "conference")
            .Add(SipHeaderId.Expires, "120")
            .BuildRequest();
        var refresh = Refresh(subscribe.Headers.CSeq!.Number + 1);
        Assert.Equal(200, (await bobUe.SendAndReceiveAsync(refresh)).StatusCode);
        (notify, info) = await ConferenceClient.NotifyAsync(bobUe);
        Assert.Equal("full", (string?)info.Attribute("state"));
        Assert.Equal("2", (string?)info.Attribute("version"));
        Assert.Equal("120", notify.Headers.SubscriptionState!.Parameters.GetValue("expires"));
        await bobUe.SyncAsync(); // the 200 to the NOTIFY is in: no retransmission when the clock jumps

        // At expiry (fake clock) the focus ends it: terminated;reason=timeout.
        fixture.Time.Advance(TimeSpan.FromSeconds(120));
        (notify, _) = await ConferenceClient.NotifyAsync(bobUe);
        Assert.Equal("terminated", notify.Headers.SubscriptionState!.Token);
        Assert.Equal("timeout", notify.Headers.SubscriptionState!.Parameters.GetValue("reason"));
        Assert.Equal(481, (await bobUe.SendAndReceiveAsync(Refresh(subscribe.Headers.CSeq!.Number + 2))).StatusCode);

        // Alice subscribes and unsubscribes (Expires: 0): the 200, then one terminated NOTIFY with the state.
        Assert.Equal(200, (await aliceUe.SendAndReceiveAsync(ConferenceClient.Subscribe(aliceUe, conferenceUri, expires: 0))).StatusCode);
        (notify, info) = await ConferenceClient.NotifyAsync(aliceUe);
        Assert.Equal("terminated", notify.Headers.SubscriptionState!.Token);
        Assert.Equal(2, ConferenceClient.Users(info).Count);
    }
}
