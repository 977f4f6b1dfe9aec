// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Text;
using System.Xml.Linq;
using ImUeAgent.Msrp.Sdp;
using ImUeAgent.Sip.Message;
using ImUeAgent.Testbed.Im;
using ImUeAgent.Testbed.Tests.Core;
using ImUeAgent.Testbed.Tests.Modem;

namespace ImUeAgent.Testbed.Tests.Im;

/// <summary>Deferred storage (12.2.2.3), the push of Appendix D.2 with each body type, the test knobs, the IM Service
/// Settings (5.2.4) and the XCAP metadata (12.1.2).</summary>
public sealed class DeferredMessageTests
{
    private const string BobImpi = CoreFixture.BobImpi;
    private static readonly XNamespace History = DeferredListDocument.Namespace;

    /// <summary>Alice (registered) sends Bob (not registered) one plain and one anonymous MESSAGE; both are stored.</summary>
    private static async Task<(SipRequest Plain, SipRequest Anonymous)> StoreTwoForBobAsync(ImFixture fixture, TestUe alice)
    {
        await alice.RegisterAsync();
        var plain = ImFixture.Message(alice, CoreFixture.BobImpu, "stored one").Add(SipHeaderId.Expires, "3600").BuildRequest();
        var stored = await alice.SendAndReceiveAsync(plain);
        Assert.Equal(202, stored.StatusCode);
        var anonymous = ImFixture.Message(alice, CoreFixture.BobImpu, "stored two").Add(SipHeaderId.Privacy, "id").BuildRequest();
        Assert.Equal(202, (await alice.SendAndReceiveAsync(anonymous)).StatusCode);
        var list = fixture.Im.Store.List(BobImpi);
        Assert.Equal(2, list.Count);
        Assert.Equal(fixture.Time.GetUtcNow() + TimeSpan.FromHours(1), list[0].ExpiresAt);
        Assert.Equal(fixture.Time.GetUtcNow() + TimeSpan.FromDays(7), list[1].ExpiresAt);
        Assert.NotEqual(list[0].Id, list[1].Id);
        Assert.StartsWith("sip:", list[0].Id, StringComparison.Ordinal);
        return (plain, anonymous);
    }

    private static void AssertStoredCopy(SipRequest stored, SipRequest original, bool anonymous, string expectedText)
    {
        Assert.Equal(SipMethod.Message, stored.Method);
        Assert.Equal(original.Headers.CallId, stored.Headers.CallId);
        Assert.Equal(original.Headers.CSeq!.Number, stored.Headers.CSeq!.Number);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), stored.Headers.Date);
        Assert.StartsWith("sip:", stored.Headers.GetValue("Message-ID"), StringComparison.Ordinal);
        Assert.Equal([ImFixture.AppRef, "*;+g.oma.sip-im"], stored.Headers.GetAll(SipHeaderId.AcceptContact).Select(h => h.Value));
        Assert.Equal(anonymous ? null : "<" + CoreFixture.Impu + ">", stored.Headers.GetValue(SipHeaderId.PAssertedIdentity));
        Assert.False(stored.Headers.Contains(SipHeaderId.Route));
        Assert.Equal(expectedText, Encoding.UTF8.GetString(stored.Body.Span));
    }

    [Fact]
    public async Task Stored_pager_messages_are_pushed_as_message_sip_when_the_user_registers()
    {
        await using var fixture = ImFixture.Start();
        await using var alice = await fixture.AliceAsync();
        await using var bob = await fixture.BobAsync();
        var (plain, anonymous) = await StoreTwoForBobAsync(fixture, alice);

        await bob.RegisterAsync();
        var (invite, sends) = await PushClient.AcceptAsync(bob, 2);

        // The push INVITE (7.2.2.1, D.2 step 2): from the IM server, IM tag, release in User-Agent, MSRP offer.
        Assert.Equal(fixture.Im.ServerUri, invite.Headers.From!.Uri.ToString());
        Assert.Equal(CoreFixture.BobImpu, invite.Headers.To!.Uri.ToString());
        Assert.Equal(["*;+g.oma.sip-im"], invite.Headers.GetAll(SipHeaderId.AcceptContact).Select(h => h.Value));
        Assert.StartsWith("IM-serv/OMA1.0 ", invite.Headers.UserAgent, StringComparison.Ordinal);
        Assert.Contains("+g.oma.sip-im", invite.Headers.GetValue(SipHeaderId.Contact), StringComparison.Ordinal);
        var offer = MsrpSdp.Read(Encoding.UTF8.GetString(invite.Body.Span));
        Assert.Equal(MsrpSetup.ActPass, offer.Setup);
        Assert.Equal(["message/sip", "message/sipfrag", "message/msrp", "multipart/mixed"], offer.AcceptTypes);

        Assert.All(sends, s => Assert.Equal("message/sip", s.ContentType));
        AssertStoredCopy(PushClient.ParseSip(sends[0].Body), plain, anonymous: false, "stored one");
        AssertStoredCopy(PushClient.ParseSip(sends[1].Body), anonymous, anonymous: true, "stored two");
        Assert.Empty(fixture.Im.Store.List(BobImpi));
    }

    [Fact]
    public async Task A_sipfrag_push_carries_the_relevant_headers_without_a_start_line()
    {
        await using var fixture = ImFixture.Start(new ImServerSettings { PushBody = DeferredPushBody.SipFrag });
        await using var alice = await fixture.AliceAsync();
        await using var bob = await fixture.BobAsync(tcp: true);
        var (plain, _) = await StoreTwoForBobAsync(fixture, alice);
        await bob.RegisterAsync();
        var (_, sends) = await PushClient.AcceptAsync(bob, 2);

        var fragment = sends[0];
        Assert.Equal("message/sipfrag", fragment.ContentType);
        var text = fragment.Text;
        Assert.StartsWith("From: ", text, StringComparison.Ordinal);
        Assert.DoesNotContain("SIP/2.0", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Via:", text, StringComparison.Ordinal);
        Assert.Contains("Call-ID: " + plain.Headers.CallId + "\r\n", text, StringComparison.Ordinal);
        Assert.Contains("Date: Thu, 01 Jan 2026 00:00:00 GMT\r\n", text, StringComparison.Ordinal);
        Assert.Contains("P-Asserted-Identity: <" + CoreFixture.Impu + ">\r\n", text, StringComparison.Ordinal);
        Assert.EndsWith("Content-Type: text/plain\r\n\r\nstored one", text, StringComparison.Ordinal);
        Assert.DoesNotContain("P-Asserted-Identity", sends[1].Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_multipart_push_has_one_message_sip_part_per_stored_message_and_the_client_may_be_passive()
    {
        await using var fixture = ImFixture.Start(new ImServerSettings { PushBody = DeferredPushBody.Multipart });
        await using var alice = await fixture.AliceAsync();
        await using var bob = await fixture.BobAsync();
        var (plain, anonymous) = await StoreTwoForBobAsync(fixture, alice);
        await bob.RegisterAsync();
        var (_, sends) = await PushClient.AcceptAsync(bob, 1, answerSetup: MsrpSetup.Passive);

        var send = Assert.Single(sends);
        Assert.StartsWith("multipart/mixed; boundary=", send.ContentType, StringComparison.Ordinal);
        var boundary = send.ContentType.Split("boundary=")[1].Trim('"');
        Assert.Equal(ImContentError.None, MimeMultipart.TryParse(send.Body, boundary, out var parts));
        Assert.Equal(2, parts.Count);
        Assert.All(parts, p => Assert.Equal("message/sip", p.MediaType));
        AssertStoredCopy(PushClient.ParseSip(parts[0].Body.ToArray()), plain, anonymous: false, "stored one");
        AssertStoredCopy(PushClient.ParseSip(parts[1].Body.ToArray()), anonymous, anonymous: true, "stored two");
        Assert.Empty(fixture.Im.Store.List(BobImpi));
    }

    /// <summary>Alice sends Bob (offline) a large message: INVITE with MSRP SDP, the server answers as the MSRP
    /// endpoint, SEND, BYE.</summary>
    private static async Task<string> SendLargeMessageAsync(ImFixture fixture, TestUe alice, string text)
    {
        await alice.RegisterAsync();
        await using var msrp = new TestMsrp();
        var offer = MsrpSdp.CreateOffer(msrp.Session, ["text/plain"], setup: MsrpSetup.Active);
        alice.CallId = Guid.NewGuid().ToString("N");
        var invite = alice.Request(SipMethod.Invite, CoreFixture.BobImpu, to: CoreFixture.BobImpu).Route(ImFixture.ServiceRoute)
            .Add(SipHeaderId.Contact, $"<{alice.ContactUri}>;+g.oma.sip-im")
            .Add(SipHeaderId.AcceptContact, ImFixture.AppRef)
            .Add(SipHeaderId.Supported, "timer")
            .Add(SipHeaderId.SessionExpires, "1800;refresher=uac")
            .Add(SipHeaderId.Subject, "big one")
            .Body(new MediaType("application", "sdp"), Encoding.UTF8.GetBytes(offer))
            .BuildRequest();
        var ok = await alice.SendAndReceiveAsync(invite);
        Assert.Equal(200, ok.StatusCode);
        Assert.Equal(["timer"], ok.Headers.Require);
        Assert.Contains("+g.oma.sip-im", ok.Headers.GetValue(SipHeaderId.Contact), StringComparison.Ordinal);
        var answer = MsrpSdp.Read(Encoding.UTF8.GetString(ok.Body.Span));
        Assert.Equal(MsrpSetup.Passive, answer.Setup);
        await alice.SendAsync(ImFixture.InDialog(alice, SipMethod.Ack, ok, invite.Headers.CSeq!.Number));
        msrp.Session.SetRemotePath(answer.Path);
        await msrp.Session.ConnectAsync(TestContext.Current.CancellationToken);
        var sent = await msrp.Session.SendMessageAsync("text/plain", Encoding.UTF8.GetBytes(text), cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(sent.IsSuccess, sent.ToString());
        Assert.Single(fixture.Im.Store.List(BobImpi));
        var byeOk = await alice.SendAndReceiveAsync(ImFixture.InDialog(alice, SipMethod.Bye, ok, invite.Headers.CSeq!.Number + 1));
        Assert.Equal(200, byeOk.StatusCode);
        return sent.MessageId;
    }

    [Fact]
    public async Task A_large_message_for_an_offline_user_is_stored_and_pushed_as_INVITE_200_SEND_BYE_parts()
    {
        await using var fixture = ImFixture.Start();
        await using var alice = await fixture.AliceAsync();
        await using var bob = await fixture.BobAsync();
        var text = new string('x', 3000) + " end";
        var messageId = await SendLargeMessageAsync(fixture, alice, text);

        await bob.RegisterAsync();
        var (_, sends) = await PushClient.AcceptAsync(bob, 1);
        var send = Assert.Single(sends);
        Assert.StartsWith("multipart/mixed", send.ContentType, StringComparison.Ordinal);
        Assert.Equal(ImContentError.None, MimeMultipart.TryParse(send.Body, send.ContentType.Split("boundary=")[1].Trim('"'), out var parts));
        Assert.Equal(["message/sip", "message/sip", "message/msrp", "message/sip"], parts.Select(p => p.MediaType));
        var invite = PushClient.ParseSip(parts[0].Body.ToArray());
        Assert.Equal(SipMethod.Invite, invite.Method);
        Assert.Equal("big one", invite.Headers.Subject);
        Assert.Equal("<" + CoreFixture.Impu + ">", invite.Headers.GetValue(SipHeaderId.PAssertedIdentity));
        Assert.Equal([ImFixture.AppRef], invite.Headers.GetAll(SipHeaderId.AcceptContact).Select(h => h.Value));
        Assert.NotNull(invite.Headers.Date);
        Assert.False(invite.Headers.Contains(SipHeaderId.Via));
        var okPart = SipParser.Parse(parts[1].Body, SipFraming.Datagram);
        Assert.Equal(200, Assert.IsType<SipResponse>(okPart.Message).StatusCode);
        Assert.NotNull(okPart.Message!.Headers.Date);
        var msrpText = Encoding.UTF8.GetString(parts[2].Body.Span);
        Assert.StartsWith("MSRP ", msrpText, StringComparison.Ordinal);
        Assert.Contains("Message-ID: " + messageId + "\r\n", msrpText, StringComparison.Ordinal);
        Assert.Contains("Date: Thu, 01 Jan 2026 00:00:00 GMT\r\n", msrpText, StringComparison.Ordinal);
        Assert.Contains("Content-Type: text/plain\r\n\r\n" + text + "\r\n-------", msrpText, StringComparison.Ordinal);
        Assert.EndsWith("$\r\n", msrpText, StringComparison.Ordinal);
        Assert.Equal(SipMethod.Bye, PushClient.ParseSip(parts[3].Body.ToArray()).Method);
        Assert.Equal(invite.Headers.CallId, okPart.Message.Headers.CallId);
        Assert.Empty(fixture.Im.Store.List(BobImpi));
    }

    [Fact]
    public async Task A_large_message_is_pushed_as_message_msrp_with_its_session_headers()
    {
        await using var fixture = ImFixture.Start(new ImServerSettings { PushBody = DeferredPushBody.Msrp });
        await using var alice = await fixture.AliceAsync();
        await using var bob = await fixture.BobAsync();
        var messageId = await SendLargeMessageAsync(fixture, alice, "large enough");
        await bob.RegisterAsync();
        var (_, sends) = await PushClient.AcceptAsync(bob, 1);
        var send = Assert.Single(sends);
        Assert.Equal("message/msrp", send.ContentType);
        var text = send.Text;
        Assert.StartsWith("MSRP ", text, StringComparison.Ordinal);
        Assert.Contains("\r\nFrom: <" + CoreFixture.Impu + ">;tag=", text, StringComparison.Ordinal);
        Assert.Contains("\r\nP-Asserted-Identity: <" + CoreFixture.Impu + ">\r\n", text, StringComparison.Ordinal);
        Assert.Contains("\r\nMessage-ID: " + messageId + "\r\n", text, StringComparison.Ordinal);
        Assert.Contains("\r\n\r\nlarge enough\r\n-------", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_duplicate_and_malformed_knobs_send_everything_twice_plus_a_bad_part_and_still_empty_the_store()
    {
        await using var fixture = ImFixture.Start(new ImServerSettings { DuplicatePush = true, MalformedPart = true });
        await using var alice = await fixture.AliceAsync();
        await using var bob = await fixture.BobAsync();
        await StoreTwoForBobAsync(fixture, alice);
        await bob.RegisterAsync();
        var report = new TaskCompletionSource<PushReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        fixture.Im.PushFinished += r => report.TrySetResult(r);

        // The client refuses what it cannot parse (as the agent does) and accepts the rest.
        var (_, sends) = await PushClient.AcceptAsync(bob, 6, (type, body) => SipParser.Parse(body, SipFraming.Datagram).IsComplete ? 200 : 400);
        Assert.Equal([200, 200, 400, 200, 200, 400], sends.Select(s => s.Status));
        Assert.Equal(sends[0].Body, sends[3].Body);
        Assert.Equal(DeferredPushBodies.MalformedSip, sends[2].Body);
        Assert.Equal(new PushReport(BobImpi, 2, 2, null), await report.Task.WaitAsync(TestSupport.Patience, TestContext.Current.CancellationToken));
        Assert.Empty(fixture.Im.Store.List(BobImpi));
    }

    [Fact]
    public async Task A_refused_push_keeps_the_messages_for_the_next_registration()
    {
        await using var fixture = ImFixture.Start();
        await using var alice = await fixture.AliceAsync();
        await using var bob = await fixture.BobAsync();
        await StoreTwoForBobAsync(fixture, alice);
        var report = new TaskCompletionSource<PushReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        fixture.Im.PushFinished += r => report.TrySetResult(r);
        await bob.RegisterAsync();
        var invite = await bob.ReceiveRequestAsync();
        Assert.Equal(SipMethod.Invite, invite.Method);
        await bob.AnswerAsync(invite, 603);
        var ack = await bob.ReceiveRequestAsync();
        Assert.Equal(SipMethod.Ack, ack.Method);
        Assert.Equal(invite.Headers.TopVia!.Branch, ack.Headers.TopVia!.Branch);
        Assert.Equal("INVITE 603", (await report.Task.WaitAsync(TestSupport.Patience, TestContext.Current.CancellationToken)).Failure);
        Assert.Equal(2, fixture.Im.Store.List(BobImpi).Count);
    }

    [Fact]
    public async Task Published_settings_hold_messages_for_XCAP_until_offline_delivery_is_switched_on()
    {
        await using var fixture = ImFixture.Start();
        await using var alice = await fixture.AliceAsync();
        await using var bob = await fixture.BobAsync();
        await bob.RegisterAsync();

        // 5.2.4: PUBLISH Event: poc-settings with offline delivery inactive.
        var publish = Publish(bob, offlineDelivery: false, expires: 7200);
        var published = await bob.SendAndReceiveAsync(publish);
        Assert.Equal(200, published.StatusCode);
        Assert.Equal(3600u, published.Headers.Expires);
        Assert.NotNull(published.Headers.GetValue("SIP-ETag"));
        await bob.RegisterAsync(expires: 0);

        var (plain, _) = await StoreTwoForBobAsync(fixture, alice);
        await bob.RegisterAsync();
        await bob.SyncAsync();
        Assert.False(bob.TryReceive(out _));

        // 12.1.2: the metadata of what waits, over XCAP.
        var url = fixture.Im.DeferredListUrl(CoreFixture.BobImpu)!;
        var response = await ImFixture.HttpGetAsync(url);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", response, StringComparison.Ordinal);
        Assert.Contains("Content-Type: application/vnd.oma.im.deferred-list+xml\r\n", response, StringComparison.Ordinal);
        var document = XElement.Parse(response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]);
        var entries = document.Elements(History + "history").ToList();
        Assert.Equal(2, entries.Count);
        var stored = fixture.Im.Store.List(BobImpi);
        Assert.Equal(stored.Select(m => m.Id), entries.Select(e => e.Element(History + "history-reference")!.Value));
        Assert.Equal(CoreFixture.Impu, entries[0].Element(History + "pager")!.Element(History + "auth-id")!.Value);
        Assert.Null(entries[1].Element(History + "pager")!.Element(History + "auth-id"));
        Assert.Equal("10", entries[0].Element(History + "size")!.Value);
        Assert.Equal("2026-01-01T01:00:00Z", entries[0].Element(History + "expiry")!.Value);

        // Switched on while registered: pushed at once (a refresh by SIP-If-Match without a body keeps the document).
        var on = await bob.SendAndReceiveAsync(Publish(bob, offlineDelivery: true, expires: 600));
        Assert.Equal(200, on.StatusCode);
        var (_, sends) = await PushClient.AcceptAsync(bob, 2);
        AssertStoredCopy(PushClient.ParseSip(sends[0].Body), plain, anonymous: false, "stored one");
        var refresh = bob.Request(SipMethod.Publish, CoreFixture.BobImpu, to: CoreFixture.BobImpu).Route(ImFixture.ServiceRoute)
            .Add(SipHeaderId.Event, "poc-settings").Add(SipHeaderId.Expires, "600").Add("SIP-If-Match", on.Headers.GetValue("SIP-ETag")!).BuildRequest();
        Assert.Equal(200, (await bob.SendAndReceiveAsync(refresh)).StatusCode);
        var stale = bob.Request(SipMethod.Publish, CoreFixture.BobImpu, to: CoreFixture.BobImpu).Route(ImFixture.ServiceRoute)
            .Add(SipHeaderId.Event, "poc-settings").Add(SipHeaderId.Expires, "600").Add("SIP-If-Match", "nope").BuildRequest();
        Assert.Equal(412, (await bob.SendAndReceiveAsync(stale)).StatusCode);
        Assert.Contains("<history-list", await ImFixture.HttpGetAsync(url), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET", "/services/org.openmobilealliance.deferred-list/users/sip%3Anobody%40example.net/deferred-list", "HTTP/1.1 404 ")]
    [InlineData("GET", "/services/other/users/x/index", "HTTP/1.1 404 ")]
    [InlineData("PUT", "/services/org.openmobilealliance.deferred-list/users/x/deferred-list", "HTTP/1.1 405 ")]
    public async Task XCAP_refuses_what_it_does_not_serve(string method, string path, string statusLine)
    {
        await using var fixture = ImFixture.Start();
        var root = new Uri(fixture.Im.XcapRoot!);
        var response = await ImFixture.HttpGetAsync($"http://{root.Authority}{path}", method);
        Assert.StartsWith(statusLine, response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Expired_messages_are_not_pushed()
    {
        await using var fixture = ImFixture.Start();
        await using var alice = await fixture.AliceAsync();
        await using var bob = await fixture.BobAsync();
        await StoreTwoForBobAsync(fixture, alice);
        fixture.Time.Advance(TimeSpan.FromHours(1));
        var remaining = Assert.Single(fixture.Im.Store.List(BobImpi));
        Assert.Contains("stored two", Encoding.UTF8.GetString(remaining.Request), StringComparison.Ordinal);
        await bob.RegisterAsync();
        var (_, sends) = await PushClient.AcceptAsync(bob, 1);
        Assert.Contains("stored two", Assert.Single(sends).Text, StringComparison.Ordinal);
    }

    private static SipRequest Publish(TestUe ue, bool offlineDelivery, uint expires)
    {
        var body = $"""
            <?xml version="1.0" encoding="UTF-8"?>
            <poc-settings xmlns="urn:oma:xml:poc:poc-settings" xmlns:im="urn:oma:xml:im:service-settings">
              <entity id="e1">
                <isb-settings><incoming-session-barring active="false"/></isb-settings>
                <im:deferred-settings><im:offline-delivery active="{(offlineDelivery ? "true" : "false")}"/></im:deferred-settings>
              </entity>
            </poc-settings>
            """;
        return ue.Request(SipMethod.Publish, ue.Impu, to: ue.Impu).Route(ImFixture.ServiceRoute)
            .Add(SipHeaderId.Event, "poc-settings")
            .Add(SipHeaderId.Expires, expires.ToString(CultureInfo.InvariantCulture))
            .Add(SipHeaderId.AcceptContact, "*;+g.oma.sip-im")
            .Body(new MediaType("application", "poc-settings+xml"), Encoding.UTF8.GetBytes(body))
            .BuildRequest();
    }
}
