// SPDX-License-Identifier: MIT
using System.Text;
using System.Xml.Linq;
using ImUeAgent.Sip.Message;
using ImUeAgent.Testbed.Core;

namespace ImUeAgent.Testbed.Tests.Core;

/// <summary>The reg event package, network-initiated de-registration and relaying between registered UEs.</summary>
public sealed class RegEventAndRelayTests
{
    private static readonly XNamespace Reginfo = "urn:ietf:params:xml:ns:reginfo";

    private static async Task<(SipRequest Notify, XElement Body)> SubscribeAsync(TestUe ue)
    {
        var subscribe = ue.Request(SipMethod.Subscribe, ue.Impu)
            .Route(new NameAddress(SipUri.Parse(ue.ServiceRoute[0].Trim('<', '>'))))
            .Add(SipHeaderId.Event, "reg")
            .Add(SipHeaderId.Accept, "application/reginfo+xml")
            .Add(SipHeaderId.Expires, "600000")
            .Add(SipHeaderId.Contact, "<" + ue.ContactUri + ">")
            .BuildRequest();
        await ue.SendAsync(subscribe);
        var ok = await ue.ReceiveResponseAsync();
        Assert.Equal(200, ok.StatusCode);
        Assert.NotNull(ok.Headers.To!.Tag);
        Assert.Equal(600000u, ok.Headers.Expires);
        return await NextNotifyAsync(ue);
    }

    private static async Task<(SipRequest Notify, XElement Body)> NextNotifyAsync(TestUe ue)
    {
        var notify = await ue.ReceiveRequestAsync();
        Assert.Equal(SipMethod.Notify, notify.Method);
        Assert.Equal("reg", notify.Headers.Event!.Token);
        Assert.True(notify.Headers.ContentType!.Is("application", "reginfo+xml"));
        await ue.AnswerAsync(notify, 200);
        await ue.SyncAsync();
        return (notify, XElement.Parse(Encoding.UTF8.GetString(notify.Body.Span)));
    }

    [Fact]
    public async Task Reg_event_gives_full_state_then_shortened_then_network_deregistration()
    {
        await using var core = CoreFixture.Start();
        await using var ue = await TestUe.ConnectAsync(core.Udp, tcp: false);
        await ue.RegisterAsync();

        var (notify, body) = await SubscribeAsync(ue);
        Assert.Equal("active;expires=600000", notify.Headers.GetValue(SipHeaderId.SubscriptionState));
        Assert.Equal(ue.ContactUri, notify.RequestUri.ToString());
        Assert.Equal("0", body.Attribute("version")!.Value);
        Assert.Equal("full", body.Attribute("state")!.Value);
        var registrations = body.Elements(Reginfo + "registration").ToList();
        Assert.Equal([CoreFixture.Impu, CoreFixture.Tel], registrations.Select(r => r.Attribute("aor")!.Value));
        var contact = Assert.Single(registrations[0].Elements(Reginfo + "contact"));
        Assert.Equal("active", registrations[0].Attribute("state")!.Value);
        Assert.Equal(("active", "registered", "600"), (contact.Attribute("state")!.Value, contact.Attribute("event")!.Value, contact.Attribute("expires")!.Value));
        Assert.Equal(ue.ContactUri, contact.Element(Reginfo + "uri")!.Value);

        Assert.Equal("OK 1 contacts, 1 NOTIFY", await core.ControlAsync("shorten " + CoreFixture.Tel + " 120"));
        (notify, body) = await NextNotifyAsync(ue);
        contact = body.Elements(Reginfo + "registration").First().Elements(Reginfo + "contact").Single();
        Assert.Equal("1", body.Attribute("version")!.Value);
        Assert.Equal(("active", "shortened", "120"), (contact.Attribute("state")!.Value, contact.Attribute("event")!.Value, contact.Attribute("expires")!.Value));

        Assert.Equal("OK 1 contacts, 1 NOTIFY", await core.ControlAsync("deregister " + CoreFixture.Impu));
        (notify, body) = await NextNotifyAsync(ue);
        Assert.Equal("terminated;reason=deactivated", notify.Headers.GetValue(SipHeaderId.SubscriptionState));
        var registration = body.Elements(Reginfo + "registration").First();
        Assert.Equal("terminated", registration.Attribute("state")!.Value);
        contact = registration.Elements(Reginfo + "contact").Single();
        Assert.Equal(("terminated", "deactivated"), (contact.Attribute("state")!.Value, contact.Attribute("event")!.Value));
        Assert.Equal("OK 0", await core.ControlAsync("contacts " + CoreFixture.Impu));
        Assert.Contains("subscriptions=0", await core.ControlAsync("status"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reg_event_over_TCP_reports_a_rejected_registration_and_an_expiry()
    {
        await using var core = CoreFixture.Start();
        await using var ue = await TestUe.ConnectAsync(core.Tcp, tcp: true);
        await ue.RegisterAsync(expires: 600);
        await SubscribeAsync(ue);

        core.Time.Advance(TimeSpan.FromSeconds(600));
        var (notify, body) = await NextNotifyAsync(ue);
        Assert.Equal("terminated;reason=noresource", notify.Headers.GetValue(SipHeaderId.SubscriptionState));
        Assert.Equal("expired", body.Descendants(Reginfo + "contact").First().Attribute("event")!.Value);

        await ue.RegisterAsync(expires: 600);
        await SubscribeAsync(ue);
        Assert.StartsWith("OK", await core.ControlAsync("deregister " + CoreFixture.Impu + " rejected"), StringComparison.Ordinal);
        (notify, body) = await NextNotifyAsync(ue);
        Assert.Equal("terminated;reason=rejected", notify.Headers.GetValue(SipHeaderId.SubscriptionState));
        Assert.Equal("rejected", body.Descendants(Reginfo + "contact").First().Attribute("event")!.Value);
    }

    [Fact]
    public async Task Unanswered_NOTIFY_over_UDP_is_retransmitted_on_Timer_E()
    {
        await using var core = CoreFixture.Start();
        await using var ue = await TestUe.ConnectAsync(core.Udp, tcp: false);
        await ue.RegisterAsync();
        await SubscribeAsync(ue);
        Assert.StartsWith("OK", await core.ControlAsync("shorten " + CoreFixture.Impu + " 300"), StringComparison.Ordinal);
        var first = await ue.ReceiveRequestAsync();
        await core.Time.WaitForTimerAsync(TimeSpan.FromMilliseconds(500));
        core.Time.Advance(TimeSpan.FromMilliseconds(500));
        var again = await ue.ReceiveRequestAsync();
        Assert.Equal(first.Raw.ToArray(), again.Raw.ToArray());
        await ue.AnswerAsync(again, 200);
    }

    [Fact]
    public async Task Subscribing_to_someone_else_is_forbidden()
    {
        await using var core = CoreFixture.Start();
        await using var alice = await TestUe.ConnectAsync(core.Udp, tcp: false);
        await alice.RegisterAsync();
        var subscribe = alice.Request(SipMethod.Subscribe, CoreFixture.BobImpu, to: CoreFixture.BobImpu)
            .Route(new NameAddress(SipUri.Parse(alice.ServiceRoute[0].Trim('<', '>'))))
            .Add(SipHeaderId.Event, "reg")
            .Add(SipHeaderId.Contact, "<" + alice.ContactUri + ">")
            .BuildRequest();
        Assert.Equal(403, (await alice.SendAndReceiveAsync(subscribe)).StatusCode);
    }

    [Fact]
    public async Task MESSAGE_is_relayed_between_two_registered_UEs_on_different_transports()
    {
        await using var core = CoreFixture.Start();
        await using var alice = await TestUe.ConnectAsync(core.Udp, tcp: false);
        await using var bob = await TestUe.ConnectAsync(core.Tcp, tcp: true, CoreFixture.BobImpi, [CoreFixture.BobImpu], CoreFixture.BobK, CoreFixture.BobOpc);
        await alice.RegisterAsync();
        await bob.RegisterAsync();

        var message = alice.Request(SipMethod.Message, CoreFixture.BobImpu, to: CoreFixture.BobImpu)
            .Route(new NameAddress(SipUri.Parse("sip:orig@scscf." + CoreFixture.Domain), parameters: [new SipParameter("lr")]))
            .Add(SipHeaderId.PPreferredIdentity, "<" + CoreFixture.Tel + ">")
            .Add(SipHeaderId.AcceptContact, "*;+g.oma.sip-im;+g.3gpp.app_ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.rcse.im\";explicit;require")
            .Body(new MediaType("text", "plain"), "hello bob"u8.ToArray())
            .BuildRequest();
        await alice.SendAsync(message);

        var received = await bob.ReceiveRequestAsync();
        Assert.Equal(SipMethod.Message, received.Method);
        Assert.Equal(bob.ContactUri, received.RequestUri.ToString());
        Assert.Equal("hello bob", Encoding.UTF8.GetString(received.Body.Span));
        Assert.Equal("<" + CoreFixture.Tel + ">", received.Headers.GetValue(SipHeaderId.PAssertedIdentity));
        Assert.False(received.Headers.Contains(SipHeaderId.PPreferredIdentity));
        Assert.False(received.Headers.Contains(SipHeaderId.Route));
        Assert.Equal(69, received.Headers.MaxForwards);
        Assert.Equal(message.Headers.GetValue(SipHeaderId.AcceptContact), received.Headers.GetValue(SipHeaderId.AcceptContact));
        var vias = received.Headers.Via;
        Assert.Equal(2, vias.Count);
        Assert.Equal("TCP", vias[0].Transport);
        Assert.Equal(alice.Local.Port, vias[1].RPort);

        await bob.AnswerAsync(received, 200);
        var ok = await alice.ReceiveResponseAsync();
        Assert.Equal(200, ok.StatusCode);
        Assert.Equal(message.Headers.TopVia!.Branch, Assert.Single(ok.Headers.Via).Branch);
        Assert.Equal(message.Headers.CallId, ok.Headers.CallId);
    }

    [Fact]
    public async Task Requests_to_unknown_or_unregistered_users_or_without_Service_Route_are_refused()
    {
        await using var core = CoreFixture.Start();
        await using var alice = await TestUe.ConnectAsync(core.Udp, tcp: false);
        await using var stranger = await TestUe.ConnectAsync(core.Udp, tcp: false, CoreFixture.BobImpi, [CoreFixture.BobImpu]);
        var serviceRoute = new NameAddress(SipUri.Parse("sip:orig@scscf." + CoreFixture.Domain + ";lr"));

        // Not registered yet.
        var early = stranger.Request(SipMethod.Message, CoreFixture.Impu, to: CoreFixture.Impu).Route(serviceRoute).BuildRequest();
        Assert.Equal(403, (await stranger.SendAndReceiveAsync(early)).StatusCode);

        await alice.RegisterAsync();
        var unknown = alice.Request(SipMethod.Message, "sip:nobody@" + CoreFixture.Domain, to: "sip:nobody@" + CoreFixture.Domain).Route(serviceRoute).BuildRequest();
        Assert.Equal(404, (await alice.SendAndReceiveAsync(unknown)).StatusCode);
        var offline = alice.Request(SipMethod.Message, CoreFixture.BobImpu, to: CoreFixture.BobImpu).Route(serviceRoute).BuildRequest();
        Assert.Equal(480, (await alice.SendAndReceiveAsync(offline)).StatusCode);
        var unrouted = alice.Request(SipMethod.Message, CoreFixture.Impu).BuildRequest();
        var refused = await alice.SendAndReceiveAsync(unrouted);
        Assert.Equal(403, refused.StatusCode);
        Assert.Contains("Service-Route", refused.ReasonPhrase, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drop_next_withholds_one_relayed_response_and_restart_forgets_registrations()
    {
        await using var core = CoreFixture.Start();
        await using var alice = await TestUe.ConnectAsync(core.Udp, tcp: false);
        await using var bob = await TestUe.ConnectAsync(core.Udp, tcp: false, CoreFixture.BobImpi, [CoreFixture.BobImpu], CoreFixture.BobK, CoreFixture.BobOpc);
        await alice.RegisterAsync();
        await bob.RegisterAsync();
        var serviceRoute = new NameAddress(SipUri.Parse("sip:orig@scscf." + CoreFixture.Domain + ";lr"));

        Assert.Equal("OK", await core.ControlAsync("drop next MESSAGE"));
        var message = alice.Request(SipMethod.Message, CoreFixture.BobImpu, to: CoreFixture.BobImpu).Route(serviceRoute)
            .Body(new MediaType("text", "plain"), "one"u8.ToArray()).BuildRequest();
        await alice.SendAsync(message);
        var atBob = await bob.ReceiveRequestAsync();
        await bob.AnswerAsync(atBob, 200);

        // The UE retransmits (same branch): relayed again, answered again, and this time it arrives.
        await alice.SendAsync(message);
        var retransmitted = await bob.ReceiveRequestAsync();
        Assert.Equal(atBob.Headers.TopVia!.Branch, retransmitted.Headers.TopVia!.Branch);
        await bob.AnswerAsync(retransmitted, 200);
        Assert.Equal(200, (await alice.ReceiveResponseAsync()).StatusCode);
        Assert.False(alice.TryReceive(out _));
        Assert.Contains(core.Log.Entries(), e => e.GetProperty("direction").GetString() == "drop"
            && e.GetProperty("startLine").GetString() == "SIP/2.0 200 OK");

        Assert.Equal("OK", await core.ControlAsync("restart"));
        Assert.StartsWith("OK registered=0 contacts=0", await core.ControlAsync("status"), StringComparison.Ordinal);
        var after = alice.Request(SipMethod.Message, CoreFixture.BobImpu, to: CoreFixture.BobImpu).Route(serviceRoute).BuildRequest();
        Assert.Equal(403, (await alice.SendAndReceiveAsync(after)).StatusCode);
    }

    [Fact]
    public async Task An_application_server_behind_the_S_CSCF_can_take_terminating_requests()
    {
        var server = new FactoryServer();
        await using var core = CoreFixture.Start(applicationServers: [server]);
        await using var alice = await TestUe.ConnectAsync(core.Udp, tcp: false);
        await alice.RegisterAsync();
        var request = alice.Request(SipMethod.Message, CoreFixture.BobImpu, to: CoreFixture.BobImpu)
            .Route(new NameAddress(SipUri.Parse("sip:orig@scscf." + CoreFixture.Domain + ";lr"))).BuildRequest();
        var stored = await alice.SendAndReceiveAsync(request);
        Assert.Equal(202, stored.StatusCode);
        Assert.Equal([ServedDirection.Originating, ServedDirection.Terminating], server.Seen);
    }

    private sealed class FactoryServer : IApplicationServer
    {
        public List<ServedDirection> Seen { get; } = [];

        public async ValueTask<bool> TryHandleAsync(ApplicationServerRequest request, IImsCoreServices core, CancellationToken cancellationToken)
        {
            Seen.Add(request.Direction);
            if (request.Direction != ServedDirection.Terminating || request.ServedUserRegistered)
            {
                return false;
            }

            // Deferred delivery for an unregistered user, as the IM server will do.
            await core.RespondAsync(request.Request, request.Flow, 202, cancellationToken: cancellationToken);
            return true;
        }
    }
}
