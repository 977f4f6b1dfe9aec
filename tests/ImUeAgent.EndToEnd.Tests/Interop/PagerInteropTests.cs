// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ImUeAgent.EndToEnd.Tests.Support;

namespace ImUeAgent.EndToEnd.Tests.Interop;

/// <summary>
/// Pager-mode MESSAGE (RFC 3428; OMA SIMPLE IM §8) between the published agent and a real SIP client, baresip, through
/// Kamailio (registrar + relay + msilo, <see cref="KamailioImCore"/>). The agent runs without a modem with a digest
/// account (Ims.Digest) and Kamailio as its P-CSCF; the application side is the agent's local API.
/// </summary>
public sealed class PagerInteropTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    private static readonly string AliceAor = KamailioImCore.Aor(KamailioImCore.Alice.User);

    private static readonly string BobAor = KamailioImCore.Aor(KamailioImCore.Bob.User);

    /// <summary>The agent as alice, registered to <paramref name="core"/> (READY=1 and the registered status seen).</summary>
    private static async Task<AgentUnderTest> StartAgentAsync(KamailioImCore core)
    {
        var ims = new JsonObject
        {
            ["PcscfPort"] = core.Port,
            ["Transport"] = "udp",
            // Kamailio shortens this to its max_expires (RFC 3261 §10.3 step 7).
            ["Expires"] = 60,
            // Kamailio here has no reg event package (RFC 3680).
            ["SubscribeRegEvent"] = false,
            ["Digest"] = new JsonObject
            {
                ["Username"] = KamailioImCore.Alice.User,
                ["Password"] = KamailioImCore.Alice.Password,
                ["PublicIdentity"] = AliceAor,
            },
        };
        var modem = new JsonObject { ["Port"] = "", ["PcscfAddresses"] = new JsonArray("127.0.0.1") };
        var agent = await AgentUnderTest.StartAsync($",\n\"Modem\": {modem.ToJsonString()},\n\"Ims\": {ims.ToJsonString()}");
        try
        {
            await agent.Notify.WaitForAsync("STATUS=registered as " + AliceAor, Long);
            return agent;
        }
        catch
        {
            await agent.DisposeAsync();
            throw;
        }
    }

    private static async Task<long> SendAsync(AgentUnderTest agent, string to, string text)
    {
        using var client = new VarlinkClient(agent.SocketPath);
        var call = new JsonObject
        {
            ["method"] = "org.imue.Agent.SendMessage",
            ["parameters"] = new JsonObject { ["to"] = new JsonArray(to), ["text"] = text, ["mode"] = "pager" },
        };
        var reply = await client.CallAsync(call.ToJsonString());
        Assert.False(reply.TryGetProperty("error", out _), $"SendMessage failed: {reply}");
        return reply.GetProperty("parameters").GetProperty("id").GetInt64();
    }

    /// <summary>Reads a WatchDelivery stream until outgoing message <paramref name="id"/> is Sent (or fails the test on
    /// Failed); returns that event.</summary>
    private static async Task<JsonElement> WaitForSentAsync(VarlinkClient watch, long id, Func<string> context)
    {
        var seen = new List<string>();
        while (true)
        {
            var reply = await ReceiveAsync(watch, () => $"message {id} not Sent; states seen: {string.Join(", ", seen)}\n{context()}");
            var e = reply.GetProperty("parameters").GetProperty("event");
            if (e.GetProperty("id").GetInt64() != id)
            {
                continue;
            }

            var state = e.GetProperty("state").GetString()!;
            seen.Add(state);
            Assert.True(state != "Failed", $"message {id} failed: {e}\n{context()}");
            if (state == "Sent")
            {
                return e;
            }
        }
    }

    /// <summary>Reads a WatchInbox stream until a message from <paramref name="from"/> with <paramref name="text"/>.</summary>
    private static async Task<JsonElement> WaitForInboxAsync(VarlinkClient watch, string from, string text, Func<string> context)
    {
        var seen = new List<string>();
        while (true)
        {
            var reply = await ReceiveAsync(watch, () => $"no inbox message from {from} with '{text}'; seen: {string.Join(", ", seen)}\n{context()}");
            var m = reply.GetProperty("parameters").GetProperty("message");
            seen.Add(m.ToString());
            if (m.GetProperty("from").GetString() == from && m.TryGetProperty("text", out var t) && t.GetString() == text)
            {
                return m;
            }
        }
    }

    /// <summary>The next reply of a stream; a timeout or hang-up fails the test with <paramref name="problem"/>.</summary>
    private static async Task<JsonElement> ReceiveAsync(VarlinkClient watch, Func<string> problem)
    {
        JsonElement? reply;
        try
        {
            reply = await watch.ReceiveAsync(Long);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"nothing within {Long.TotalSeconds} s: {problem()}");
        }

        return reply ?? throw new InvalidOperationException("the agent closed the stream: " + problem());
    }

    /// <summary>What a failure message needs: Kamailio's script lines and the agent's log.</summary>
    private static Func<string> Context(KamailioImCore core, AgentUnderTest agent) => () =>
        $"Kamailio:\n{string.Join('\n', core.ScriptLines(""))}\nagent stderr:\n{agent.Process.StandardError}";

    private static async Task<JsonElement> GetOutgoingAsync(AgentUnderTest agent, long id)
    {
        using var client = new VarlinkClient(agent.SocketPath);
        var call = new JsonObject { ["method"] = "org.imue.Agent.GetOutgoing", ["parameters"] = new JsonObject { ["id"] = id } };
        var reply = await client.CallAsync(call.ToJsonString());
        return reply.GetProperty("parameters").GetProperty("message");
    }

    private static async Task<List<JsonElement>> ListInboxAsync(AgentUnderTest agent)
    {
        using var client = new VarlinkClient(agent.SocketPath);
        var reply = await client.CallAsync("""{"method":"org.imue.Agent.ListInbox","parameters":{}}""");
        return [.. reply.GetProperty("parameters").GetProperty("messages").EnumerateArray()];
    }

    private static async Task<VarlinkClient> WatchAsync(AgentUnderTest agent, string method)
    {
        var watch = new VarlinkClient(agent.SocketPath);
        await watch.SendAsync($$"""{"method":"org.imue.Agent.{{method}}","parameters":{},"more":true}""");
        return watch;
    }

    [Fact]
    public async Task The_agent_sends_a_pager_message_that_baresip_receives_through_kamailio()
    {
        const string text = "Hello Bob from the agent, grüße";
        await using var core = await KamailioImCore.StartAsync(maxExpires: 60);
        await using var bob = await Baresip.StartAsync(BobAor, KamailioImCore.Bob.Password, core.ProxyUri, AliceAor, Long);
        await using var agent = await StartAgentAsync(core);
        using var delivery = await WatchAsync(agent, "WatchDelivery");

        var id = await SendAsync(agent, BobAor, text);

        // Kamailio relayed it to baresip's registered contact, and baresip's 200 came back to the agent: Sent.
        var sent = await WaitForSentAsync(delivery, id, Context(core, agent));
        // The event may name the final response; if it does, it is baresip's 200 (Kamailio's log below shows it).
        Assert.True(!sent.TryGetProperty("statusCode", out var code) || code.GetInt32() == 200, $"Sent, but not on a 200: {sent}");
        var outgoing = await GetOutgoingAsync(agent, id);
        Assert.Equal("Sent", outgoing.GetProperty("state").GetString());
        Assert.Equal(BobAor, Assert.Single(outgoing.GetProperty("to").EnumerateArray()).GetString());
        // baresip printed it with the agent's public identity as sender.
        await bob.WaitForMessageAsync(AliceAor, text, Long);
        var callId = await core.WaitForCallIdAsync($"imue-im message from={AliceAor} to={BobAor}", Long);
        await core.WaitForLogAsync("imue-im relay to=sip:bob-", Long);
        await core.WaitForLogAsync($"imue-im reply 200 OK callid={callId}", Long);
        Assert.Equal(1, bob.CountReceived(AliceAor, text));
    }

    [Fact]
    public async Task Baresip_sends_a_pager_message_that_lands_in_the_agents_inbox()
    {
        const string text = "Hi Alice, baresip here: grüße";
        await using var core = await KamailioImCore.StartAsync(maxExpires: 60);
        await using var agent = await StartAgentAsync(core);
        await using var bob = await Baresip.StartAsync(BobAor, KamailioImCore.Bob.Password, core.ProxyUri, AliceAor, Long);
        using var inbox = await WatchAsync(agent, "WatchInbox");

        await bob.SendMessageAsync(text);

        var message = await WaitForInboxAsync(inbox, BobAor, text, Context(core, agent));
        Assert.Equal("Pager", message.GetProperty("source").GetString());
        Assert.StartsWith("text/plain", message.GetProperty("contentType").GetString(), StringComparison.OrdinalIgnoreCase);
        // The agent answered 200 through Kamailio to baresip (RFC 3428 §7: a UAS that accepts the MESSAGE).
        var callId = await core.WaitForCallIdAsync($"imue-im message from={BobAor} to={AliceAor}", Long);
        await core.WaitForLogAsync($"imue-im reply 200 OK callid={callId}", Long);
        var listed = Assert.Single(await ListInboxAsync(agent));
        Assert.Equal(message.GetProperty("id").GetInt64(), listed.GetProperty("id").GetInt64());
        Assert.Equal(text, listed.GetProperty("text").GetString());
        Assert.Equal(callId, listed.GetProperty("callId").GetString());
    }

    [Fact]
    public async Task A_message_kamailio_stored_while_the_agent_was_offline_is_delivered_once_when_it_registers()
    {
        const string offline = "Stored by msilo while you were away";
        const string barrier = "A live one after your refresh";
        // A short registration so the agent refreshes within the test: each refresh runs m_dump again, which would
        // send the stored MESSAGE a second time had msilo not seen the agent's 2xx.
        await using var core = await KamailioImCore.StartAsync(maxExpires: 10);
        await using var bob = await Baresip.StartAsync(BobAor, KamailioImCore.Bob.Password, core.ProxyUri, AliceAor, Long);

        // Alice has no binding: msilo stores the MESSAGE and Kamailio answers 202.
        await bob.SendMessageAsync(offline);
        await core.WaitForLogAsync($"imue-im stored for={AliceAor} from={BobAor}", Long);
        Assert.Equal(1, (await core.MsiloStatisticsAsync())["stored_messages"]);

        // The agent registers; Kamailio's m_dump sends the stored MESSAGE to its new contact.
        await using var agent = await StartAgentAsync(core);
        using var inbox = await WatchAsync(agent, "WatchInbox");
        var message = await WaitForInboxAsync(inbox, BobAor, offline, Context(core, agent));
        Assert.Equal("Pager", message.GetProperty("source").GetString());
        // The agent's 200 went back through the relay to msilo, which deletes the stored row on a 2xx.
        var siloCallId = await core.WaitForCallIdAsync($"imue-im silo message from={BobAor} to={AliceAor}", Long);
        await core.WaitForLogAsync($"imue-im reply 200 OK callid={siloCallId}", Long);
        Assert.Equal(siloCallId, message.GetProperty("callId").GetString());

        // Only once: after the agent's refresh REGISTER (and its m_dump), a live MESSAGE from bob. Kamailio has one
        // worker, so anything m_dump sent for that refresh went through it before the live one; when the live one is
        // in the inbox, a second copy would be too.
        await core.WaitForRegistrationAsync(KamailioImCore.Alice.User, 2, Long);
        await bob.SendMessageAsync(barrier);
        var live = await WaitForInboxAsync(inbox, BobAor, barrier, Context(core, agent));
        // Kamailio logged the live one's relay after anything before it (one worker, one stderr pipe).
        await core.WaitForLogAsync("callid=" + live.GetProperty("callId").GetString(), Long);
        Assert.Single(core.ScriptLines($"imue-im silo message from={BobAor} to={AliceAor}"));
        var texts = (await ListInboxAsync(agent)).Select(m => m.GetProperty("text").GetString()).ToList();
        Assert.Equal([offline, barrier], texts);
        // msilo's own count: one stored, no failure reply (its dumped_messages counter stays 0 in 5.6 even on a 2xx).
        var stats = await core.MsiloStatisticsAsync();
        var summary = string.Join(", ", stats.Select(kv => $"{kv.Key}={kv.Value.ToString(CultureInfo.InvariantCulture)}"));
        Assert.True(stats["stored_messages"] == 1 && stats["failed_messages"] == 0, "msilo: " + summary);
    }
}
