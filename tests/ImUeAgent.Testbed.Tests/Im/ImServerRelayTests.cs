// SPDX-License-Identifier: MIT
using System.Text;
using ImUeAgent.Sip.Message;
using ImUeAgent.Testbed.Im;
using ImUeAgent.Testbed.Tests.Core;

namespace ImUeAgent.Testbed.Tests.Im;

/// <summary>The IM server on the path: the Accept-Contact rule of 6.1.2.2.2 / 7.2.2.1 / 8.3.2.1, anonymity, and the
/// controlling function exploding URI lists and pre-defined groups.</summary>
public sealed class ImServerRelayTests
{
    private static string[] AcceptContactLines(SipMessage message) => [.. message.Headers.GetAll(SipHeaderId.AcceptContact).Select(h => h.Value)];

    [Fact]
    public async Task Pager_relay_keeps_the_app_ref_tag_byte_exact_and_adds_sip_im_once()
    {
        await using var fixture = ImFixture.Start();
        await using var alice = await fixture.AliceAsync();
        await using var bob = await fixture.BobAsync(tcp: true);
        await alice.RegisterAsync();
        await bob.RegisterAsync();

        // The app_ref predicate alone: '+g.oma.sip-im' is added as a value of its own, the received line untouched.
        await alice.SendAsync(ImFixture.Message(alice, CoreFixture.BobImpu, "first").BuildRequest());
        var first = await bob.ReceiveRequestAsync();
        Assert.Equal([ImFixture.AppRef, "*;+g.oma.sip-im"], AcceptContactLines(first));
        Assert.Equal("<" + CoreFixture.Impu + ">", first.Headers.GetValue(SipHeaderId.PAssertedIdentity));
        Assert.Equal("first", Encoding.UTF8.GetString(first.Body.Span));
        await bob.AnswerAsync(first, 200);
        Assert.Equal(200, (await alice.ReceiveResponseAsync()).StatusCode);

        // Already there (the seed's trailing ';' form): nothing is added, both lines pass byte-exact.
        var withTag = ImFixture.Message(alice, CoreFixture.BobImpu, "second", acceptContact: "*;+g.oma.sip-im;")
            .Add(SipHeaderId.AcceptContact, ImFixture.AppRef).BuildRequest();
        await alice.SendAsync(withTag);
        var second = await bob.ReceiveRequestAsync();
        Assert.Equal(["*;+g.oma.sip-im;", ImFixture.AppRef], AcceptContactLines(second));
        await bob.AnswerAsync(second, 200);
        Assert.Equal(200, (await alice.ReceiveResponseAsync()).StatusCode);

        // No Accept-Contact at all: the IM tag is the only one.
        await alice.SendAsync(ImFixture.Message(alice, CoreFixture.BobImpu, "third", acceptContact: null).BuildRequest());
        var third = await bob.ReceiveRequestAsync();
        Assert.Equal(["*;+g.oma.sip-im"], AcceptContactLines(third));
        await bob.AnswerAsync(third, 200);
        Assert.Equal(200, (await alice.ReceiveResponseAsync()).StatusCode);

        // The core's JSON log shows what the IM server forwarded.
        Assert.Contains(fixture.Log.Entries(), e => e.GetProperty("direction").GetString() == "out"
            && e.GetProperty("startLine").GetString()!.StartsWith("MESSAGE sip:ue@", StringComparison.Ordinal)
            && e.GetProperty("headers").EnumerateArray().Any(h => h[0].GetString() == "Accept-Contact" && h[1].GetString() == "*;+g.oma.sip-im"));
    }

    [Fact]
    public async Task An_anonymous_message_reaches_the_user_without_the_asserted_identity()
    {
        await using var fixture = ImFixture.Start();
        await using var alice = await fixture.AliceAsync();
        await using var bob = await fixture.BobAsync();
        await alice.RegisterAsync();
        await bob.RegisterAsync();
        await alice.SendAsync(ImFixture.Message(alice, CoreFixture.BobImpu, "guess who").Add(SipHeaderId.Privacy, "id").BuildRequest());
        var received = await bob.ReceiveRequestAsync();
        Assert.False(received.Headers.Contains(SipHeaderId.PAssertedIdentity));
        Assert.Equal(["id"], received.Headers.Privacy);
        Assert.Equal([ImFixture.AppRef, "*;+g.oma.sip-im"], AcceptContactLines(received));
        await bob.AnswerAsync(received, 200);
    }

    [Fact]
    public async Task A_resource_list_MESSAGE_to_the_factory_reaches_three_members_one_of_them_deferred()
    {
        await using var fixture = ImFixture.Start();
        await using var alice = await fixture.AliceAsync();
        await using var bob = await fixture.BobAsync();
        await using var carol = await fixture.CarolAsync(tcp: true);
        await alice.RegisterAsync();
        await bob.RegisterAsync();
        await carol.RegisterAsync();

        const string boundary = "list-boundary";
        var list = $"""
            <?xml version="1.0" encoding="UTF-8"?>
            <resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists" xmlns:cp="urn:ietf:params:xml:ns:copycontrol">
              <list>
                <entry uri="{CoreFixture.BobImpu}" cp:copyControl="to"/>
                <entry uri="{CoreFixture.CarolImpu}" cp:copyControl="to"/>
                <entry uri="{ImFixture.DaveImpu}" cp:copyControl="to"/>
              </list>
            </resource-lists>
            """;
        var body = $"--{boundary}\r\nContent-Type: text/plain\r\n\r\nhello all\r\n--{boundary}\r\nContent-Type: application/resource-lists+xml\r\n"
            + $"Content-Disposition: recipient-list\r\n\r\n{list}\r\n--{boundary}--\r\n";
        var factory = fixture.Im.FactoryUri + ";sessiontype=adhoc";
        alice.CallId = Guid.NewGuid().ToString("N");
        var message = alice.Request(SipMethod.Message, factory, to: fixture.Im.FactoryUri).Route(ImFixture.ServiceRoute)
            .Add(SipHeaderId.AcceptContact, ImFixture.AppRef)
            .Add(SipHeaderId.Require, "recipient-list-message")
            .Body(new MediaType("multipart", "mixed", new SipParameter("boundary", boundary)), Encoding.UTF8.GetBytes(body))
            .BuildRequest();
        Assert.Equal(202, (await alice.SendAndReceiveAsync(message)).StatusCode);

        foreach (var (member, impu) in new[] { (bob, CoreFixture.BobImpu), (carol, CoreFixture.CarolImpu) })
        {
            var received = await member.ReceiveRequestAsync();
            Assert.Equal(SipMethod.Message, received.Method);
            Assert.Equal(impu, received.Headers.To!.Uri.ToString());
            Assert.Equal("<" + CoreFixture.Impu + ">", received.Headers.GetValue(SipHeaderId.PAssertedIdentity));
            Assert.Equal([ImFixture.AppRef, "*;+g.oma.sip-im"], AcceptContactLines(received));
            Assert.True(received.Headers.ContentType!.Is("text", "plain"));
            Assert.Equal("hello all", Encoding.UTF8.GetString(received.Body.Span));
            Assert.False(received.Headers.Contains(SipHeaderId.Require));
            Assert.NotEqual(message.Headers.CallId, received.Headers.CallId);
            await member.AnswerAsync(received, 200);
        }

        var stored = Assert.Single(fixture.Im.Store.List("dave@" + ImFixture.Domain));
        Assert.Equal(DeferredMode.Pager, stored.Mode);
        Assert.Contains("hello all", Encoding.UTF8.GetString(stored.Request), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_MESSAGE_to_a_predefined_group_carries_the_group_identity_and_a_Referred_By()
    {
        const string group = "sip:friends@" + ImFixture.Domain;
        await using var fixture = ImFixture.Start(new ImServerSettings
        {
            Groups = new Dictionary<string, IReadOnlyList<string>> { [group] = [CoreFixture.Impu, CoreFixture.BobImpu] },
        });
        await using var alice = await fixture.AliceAsync();
        await using var bob = await fixture.BobAsync();
        await alice.RegisterAsync();
        await bob.RegisterAsync();

        Assert.Equal(202, (await alice.SendAndReceiveAsync(ImFixture.Message(alice, group, "to the group").BuildRequest())).StatusCode);
        var received = await bob.ReceiveRequestAsync();
        Assert.Equal("<" + group + ">", received.Headers.GetValue(SipHeaderId.PAssertedIdentity));
        Assert.Equal("<" + CoreFixture.Impu + ">", received.Headers.GetValue(SipHeaderId.ReferredBy));
        Assert.Equal(group, received.Headers.From!.Uri.ToString());
        Assert.Equal("to the group", Encoding.UTF8.GetString(received.Body.Span));
        await bob.AnswerAsync(received, 200);

        // 8.3.2.1 step 4c: privacy asked, so Referred-By is the anonymous URI.
        var anonymous = ImFixture.Message(alice, group, "who?").Add(SipHeaderId.Privacy, "id").BuildRequest();
        Assert.Equal(202, (await alice.SendAndReceiveAsync(anonymous)).StatusCode);
        received = await bob.ReceiveRequestAsync();
        Assert.Equal("<sip:anonymous@anonymous.invalid>", received.Headers.GetValue(SipHeaderId.ReferredBy));
        await bob.AnswerAsync(received, 200);

        // The sender is not sent its own copy.
        await alice.SyncAsync();
        Assert.False(alice.TryReceive(out _));
    }
}
