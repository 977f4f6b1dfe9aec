// SPDX-License-Identifier: MIT
using System.Text.Json;
using ImUeAgent.EndToEnd.Tests.Support;

namespace ImUeAgent.EndToEnd.Tests.Im;

/// <summary>
/// Published agents messaging each other through `imue-testbed all` (its IM server, conference factory and deferred
/// storage): the card's device (IMS AKA over the emulated modem) and digest accounts without a modem.
/// </summary>
public sealed class MessagingTests
{
    private const string AppRef = "+g.3gpp.app_ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.imue-test\";explicit;require";

    private static IEnumerable<string> Values(JsonElement message, string name) => message.GetProperty("headers").EnumerateArray()
        .Where(h => h[0].GetString()!.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => h[1].GetString()!);

    private static bool Is(JsonElement message, string direction, string method) =>
        message.GetProperty("direction").GetString() == direction
        && message.GetProperty("startLine").GetString()!.StartsWith(method + " ", StringComparison.Ordinal);

    private static string Text(string s) => JsonSerializer.Serialize(s);

    [Fact]
    public async Task A_pager_message_reaches_the_other_device_with_the_app_ref_tag_kept_on_both_hops()
    {
        await using var devices = await DeviceSet.StartAsync(["bob"]);
        var (testbed, alice, bob) = (devices.Testbed, devices.Alice, devices["bob"]);

        var id = await alice.SendAsync($$"""{"to":["{{bob.Impu}}"],"text":"hello bob","featureTags":[{{Text(AppRef)}}]}""");
        var received = Assert.Single(await bob.WaitForInboxAsync(1));
        Assert.Equal("hello bob", received.GetProperty("text").GetString());
        Assert.Equal("Pager", received.GetProperty("source").GetString());
        Assert.Contains("001010123456789", received.GetProperty("from").GetString(), StringComparison.Ordinal);
        await alice.WaitForDeliveryAsync(id, "Sent", "Delivered");

        var log = testbed.SipMessages();
        // Client → server: Accept-Contact with the app's predicate byte-exact and '+g.oma.sip-im' as its own value.
        var sent = log.First(m => Is(m, "in", "MESSAGE") && Values(m, "From").Any(f => f.Contains("001010123456789", StringComparison.Ordinal)));
        var acceptContact = string.Join(",", Values(sent, "Accept-Contact"));
        Assert.Contains(AppRef, acceptContact, StringComparison.Ordinal);
        Assert.Contains("+g.oma.sip-im", acceptContact, StringComparison.Ordinal);
        Assert.StartsWith("IM-client/OMA1.0", Values(sent, "User-Agent").Single(), StringComparison.Ordinal);
        // Server → terminating client: the same predicate survives, '+g.oma.sip-im' is there exactly once.
        var delivered = log.First(m => Is(m, "out", "MESSAGE") && m.GetProperty("startLine").GetString()!.Contains("bob", StringComparison.Ordinal)
            || Is(m, "out", "MESSAGE") && Values(m, "To").Any(t => t.Contains("bob", StringComparison.Ordinal)));
        var deliveredAccept = string.Join(",", Values(delivered, "Accept-Contact"));
        Assert.Contains(AppRef, deliveredAccept, StringComparison.Ordinal);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(deliveredAccept, System.Text.RegularExpressions.Regex.Escape("+g.oma.sip-im")));

        // Acknowledged messages are no longer offered.
        var ack = await bob.CallAsync("AckInbox", $$"""{"id":{{received.GetProperty("id").GetInt64()}}}""");
        Assert.Equal("Acknowledged", ack.GetProperty("outcome").GetString());
        Assert.Equal(0, (await bob.CallAsync("ListInbox")).GetProperty("messages").GetArrayLength());
    }

    [Fact]
    public async Task The_whole_request_decides_pager_or_large_message_mode_at_exactly_1300_bytes()
    {
        await using var devices = await DeviceSet.StartAsync(["bob"]);
        var (testbed, alice, bob) = (devices.Testbed, devices.Alice, devices["bob"]);

        // Measure one MESSAGE, then size the text so the next request is exactly 1299 bytes, then 1300.
        const int probe = 300;
        await alice.SendAsync($$"""{"to":["{{bob.Impu}}"],"text":"{{new string('p', probe)}}"}""");
        await bob.WaitForInboxAsync(1);
        var probeLength = testbed.SipMessages().Last(m => Is(m, "in", "MESSAGE")).GetProperty("length").GetInt32();
        var fits = probe + (1299 - probeLength);

        await alice.SendAsync($$"""{"to":["{{bob.Impu}}"],"text":"{{new string('a', fits)}}"}""");
        await bob.WaitForInboxAsync(2);
        var pager = testbed.SipMessages().Last(m => Is(m, "in", "MESSAGE"));
        Assert.Equal(1299, pager.GetProperty("length").GetInt32());

        await alice.SendAsync($$"""{"to":["{{bob.Impu}}"],"text":"{{new string('b', fits + 1)}}"}""");
        var inbox = await bob.WaitForInboxAsync(3);
        Assert.Equal("LargeMessage", inbox[2].GetProperty("source").GetString());
        Assert.Equal(new string('b', fits + 1), inbox[2].GetProperty("text").GetString());
        Assert.Contains(testbed.SipMessages(), m => Is(m, "in", "INVITE") && Values(m, "Content-Type").Any(c => c.Contains("application/sdp", StringComparison.Ordinal)));
        Assert.Equal(2, testbed.SipMessages().Count(m => Is(m, "in", "MESSAGE")));
    }

    [Fact]
    public async Task Messages_for_an_offline_device_are_pushed_when_it_registers_once_each()
    {
        await using var testbed = await TestbedAll.StartAsync("udp", "--digest-user", "bob:bob-pw");
        await using var alice = Device.Card(testbed);
        await using var bob = Device.DigestUser(testbed, "bob", "bob-pw");
        await alice.StartAsync();

        var first = await alice.SendAsync($$"""{"to":["{{bob.Impu}}"],"text":"while you were away 1"}""");
        var second = await alice.SendAsync($$"""{"to":["{{bob.Impu}}"],"text":"{{new string('L', 3000)}}"}""");
        await alice.WaitForDeliveryAsync(first, "Sent", "Delivered");
        await alice.WaitForDeliveryAsync(second, "Sent", "Delivered");

        await bob.StartAsync();
        var inbox = await bob.WaitForInboxAsync(2);
        Assert.All(inbox, m => Assert.Equal("DeferredPush", m.GetProperty("source").GetString()));
        Assert.Contains(inbox, m => m.GetProperty("text").GetString() == "while you were away 1");
        Assert.Contains(inbox, m => m.GetProperty("text").GetString() == new string('L', 3000));
        Assert.All(inbox, m => Assert.Contains("001010123456789", m.GetProperty("from").GetString(), StringComparison.Ordinal));

        // A second registration gets no second copy: the server deleted what the client confirmed.
        await bob.KillAsync();
        await bob.StartAsync();
        Assert.Equal(2, (await bob.CallAsync("ListInbox")).GetProperty("messages").GetArrayLength());
    }

    [Fact]
    public async Task A_message_to_two_recipients_goes_through_the_conference_factory_to_each()
    {
        await using var devices = await DeviceSet.StartAsync(["bob", "carol"]);
        var (testbed, alice, bob, carol) = (devices.Testbed, devices.Alice, devices["bob"], devices["carol"]);

        await alice.SendAsync($$"""{"to":["{{bob.Impu}}","{{carol.Impu}}"],"text":"hello both"}""");
        Assert.Equal("hello both", Assert.Single(await bob.WaitForInboxAsync(1)).GetProperty("text").GetString());
        Assert.Equal("hello both", Assert.Single(await carol.WaitForInboxAsync(1)).GetProperty("text").GetString());
        var toFactory = testbed.SipMessages().First(m => Is(m, "in", "MESSAGE") && m.GetProperty("startLine").GetString()!.Contains("conference-factory", StringComparison.Ordinal));
        Assert.Contains(Values(toFactory, "Content-Type"), c => c.StartsWith("multipart/mixed", StringComparison.Ordinal));
        Assert.Contains(Values(toFactory, "Require"), r => r.Contains("recipient-list", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Delivery_and_display_notifications_come_back_to_the_sender()
    {
        await using var devices = await DeviceSet.StartAsync(["bob"]);
        var (testbed, alice, bob) = (devices.Testbed, devices.Alice, devices["bob"]);

        var id = await alice.SendAsync($$"""{"to":["{{bob.Impu}}"],"text":"tell me when you read this","imdn":["delivery","display"]}""");
        var received = Assert.Single(await bob.WaitForInboxAsync(1));
        Assert.Equal("tell me when you read this", received.GetProperty("text").GetString());
        Assert.Contains("Display", received.GetProperty("imdnRequested").GetString(), StringComparison.Ordinal);
        // RFC 5438: the request travels in a CPIM wrapper; the delivery notification comes back on its own.
        Assert.Contains(testbed.SipMessages(), m => Is(m, "in", "MESSAGE") && Values(m, "Content-Type").Any(c => c.StartsWith("message/cpim", StringComparison.Ordinal)));
        var delivered = await alice.WaitForDeliveryAsync(id, "Delivered");
        Assert.Contains("bob", delivered.GetProperty("recipient").GetString(), StringComparison.Ordinal);

        var marked = await bob.CallAsync("MarkDisplayed", $$"""{"id":{{received.GetProperty("id").GetInt64()}}}""");
        Assert.True(marked.GetProperty("notificationSent").GetBoolean());
        await alice.WaitForDeliveryAsync(id, "Displayed");
        Assert.Equal("Displayed", (await alice.CallAsync("GetOutgoing", $$"""{"id":{{id}}}""")).GetProperty("message").GetProperty("state").GetString());
        // Once only.
        Assert.False((await bob.CallAsync("MarkDisplayed", $$"""{"id":{{received.GetProperty("id").GetInt64()}}}""")).GetProperty("notificationSent").GetBoolean());
    }

    [Fact]
    public async Task Messages_accepted_just_before_the_sender_is_killed_are_sent_after_it_restarts()
    {
        await using var testbed = await TestbedAll.StartAsync("udp", "--digest-user", "bob:bob-pw");
        await using var alice = Device.Card(testbed);
        await using var bob = Device.DigestUser(testbed, "bob", "bob-pw");
        await bob.StartAsync();
        await alice.StartAsync();

        // Each SendMessage answers once the message is on disk; SIGKILL right after the last answer.
        var texts = Enumerable.Range(1, 5).Select(i => $"survives the crash {i}").ToList();
        foreach (var text in texts)
        {
            await alice.SendAsync($$"""{"to":["{{bob.Impu}}"],"text":"{{text}}"}""");
        }

        await alice.KillAsync();
        await alice.StartAsync();
        // Nothing is lost. (Without IMDN the receiver cannot tell a resend after a crash between sending and
        // recording it from a new message, so at-least-once is what pager mode can promise here.)
        var inbox = await bob.WaitForInboxAsync(m => m.Select(x => x.GetProperty("text").GetString()).Distinct().Count() >= texts.Count, "all five texts");
        Assert.Equal(texts.Order(StringComparer.Ordinal), inbox.Select(m => m.GetProperty("text").GetString()!).Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_message_to_a_predefined_group_reaches_every_member_from_the_group_identity()
    {
        const string Group = "sip:team@" + Device.Domain;
        await using var testbed = await TestbedAll.StartAsync("udp", "--digest-user", "bob:bob-pw", "--digest-user", "carol:carol-pw",
            "--im-group", $"{Group}=sip:bob@{Device.Domain},sip:carol@{Device.Domain},{Device.CardImpu}");
        await using var alice = Device.Card(testbed);
        await using var bob = Device.DigestUser(testbed, "bob", "bob-pw");
        await using var carol = Device.DigestUser(testbed, "carol", "carol-pw");
        await alice.StartAsync();
        await bob.StartAsync();
        await carol.StartAsync();

        // 8.1.1 step 7: one recipient, the group identity; the IM server sends to each member but the sender.
        await alice.SendAsync($$"""{"to":["{{Group}}"],"text":"team meeting at 10"}""");
        Assert.Equal("team meeting at 10", Assert.Single(await bob.WaitForInboxAsync(1)).GetProperty("text").GetString());
        Assert.Equal("team meeting at 10", Assert.Single(await carol.WaitForInboxAsync(1)).GetProperty("text").GetString());
        var toCarol = testbed.SipMessages().First(m => Is(m, "out", "MESSAGE") && Values(m, "To").Any(t => t.Contains("carol", StringComparison.Ordinal)));
        Assert.Contains(Values(toCarol, "Referred-By"), r => r.Contains("001010123456789", StringComparison.Ordinal));
        Assert.Equal(0, (await alice.CallAsync("ListInbox")).GetProperty("messages").GetArrayLength());
    }

    [Fact]
    public async Task An_anonymous_sender_is_not_revealed_to_the_recipient()
    {
        await using var testbed = await TestbedAll.StartAsync("udp", "--digest-user", "bob:bob-pw");
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(testbed.AgentConfig))!;
        config["Im"]!["Anonymous"] = true;
        File.WriteAllText(testbed.AgentConfig, config.ToJsonString());
        await using var alice = Device.Card(testbed);
        await using var bob = Device.DigestUser(testbed, "bob", "bob-pw");
        await alice.StartAsync();
        await bob.StartAsync();

        await alice.SendAsync($$"""{"to":["{{bob.Impu}}"],"text":"guess who"}""");
        var received = Assert.Single(await bob.WaitForInboxAsync(1));
        Assert.Equal("guess who", received.GetProperty("text").GetString());
        Assert.DoesNotContain("001010123456789", received.GetRawText(), StringComparison.Ordinal);
        var sent = testbed.SipMessages().First(m => Is(m, "in", "MESSAGE"));
        Assert.Contains(Values(sent, "Privacy"), p => p.Contains("id", StringComparison.Ordinal));
        var delivered = testbed.SipMessages().First(m => Is(m, "out", "MESSAGE"));
        Assert.Empty(Values(delivered, "P-Asserted-Identity"));
    }
}
