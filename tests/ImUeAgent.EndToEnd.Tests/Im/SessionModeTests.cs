// SPDX-License-Identifier: MIT
using System.Text.Json;
using ImUeAgent.EndToEnd.Tests.Support;

namespace ImUeAgent.EndToEnd.Tests.Im;

/// <summary>Session mode (7.1.1.1) between published agents through the testbed: a 1-to-1 chat and an ad-hoc group chat
/// through the conference focus, driven over the local API.</summary>
public sealed class SessionModeTests
{
    private static async Task<JsonElement> WaitForSessionAsync(Device device, Func<JsonElement, bool> match)
    {
        using var watcher = new VarlinkClient(device.SocketPath);
        await watcher.SendAsync("""{"method":"org.imue.Agent.WatchSessions","more":true}""");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        string? last = null;
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            JsonElement? reply;
            try
            {
                reply = await watcher.ReceiveAsync(left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1));
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{device.Name}: no matching session within 120 s; last seen: {last ?? "none"}");
            }

            if (reply is null)
            {
                throw new InvalidOperationException($"{device.Name}: session stream ended; last seen: {last ?? "none"}");
            }

            if (reply.Value.TryGetProperty("error", out var error))
            {
                throw new InvalidOperationException($"{device.Name}: WatchSessions answered {error.GetString()}");
            }

            var session = reply.Value.GetProperty("parameters").GetProperty("session");
            last = session.GetRawText();
            if (match(session))
            {
                return session.Clone();
            }
        }
    }

    [Fact]
    public async Task A_chat_session_carries_messages_both_ways_and_ends_on_either_side()
    {
        await using var devices = await DeviceSet.StartAsync(["bob"]);
        var (testbed, alice, bob) = (devices.Testbed, devices.Alice, devices["bob"]);

        var started = (await alice.CallAsync("StartChat", $$"""{"to":"{{bob.Impu}}"}""")).GetProperty("session");
        Assert.Equal("Active", started.GetProperty("state").GetString());
        var id = started.GetProperty("id").GetString();
        var incoming = await WaitForSessionAsync(bob, s => s.GetProperty("state").GetString() == "Active");
        Assert.Equal("Terminating", incoming.GetProperty("direction").GetString());

        var sent = await alice.CallAsync("SendInSession", $$"""{"session":"{{id}}","text":"hi bob, in a session"}""");
        Assert.True(sent.GetProperty("delivered").GetBoolean());
        var atBob = Assert.Single(await bob.WaitForInboxAsync(1));
        Assert.Equal("Session", atBob.GetProperty("source").GetString());
        Assert.Equal("hi bob, in a session", atBob.GetProperty("text").GetString());

        await bob.CallAsync("SendInSession", $$"""{"session":"{{incoming.GetProperty("id").GetString()}}","text":"hello alice"}""");
        Assert.Equal("hello alice", Assert.Single(await alice.WaitForInboxAsync(1)).GetProperty("text").GetString());

        // Watch alice's sessions first (the stream starts with the live ones), then bob hangs up.
        using var watcher = new VarlinkClient(alice.SocketPath);
        await watcher.SendAsync("""{"method":"org.imue.Agent.WatchSessions","more":true}""");
        JsonElement Next(JsonElement? reply) => (reply ?? throw new InvalidOperationException("session stream ended")).GetProperty("parameters").GetProperty("session");
        Assert.Equal(id, Next(await watcher.ReceiveAsync(TimeSpan.FromSeconds(30))).GetProperty("id").GetString());
        await bob.CallAsync("EndSession", $$"""{"session":"{{incoming.GetProperty("id").GetString()}}"}""");
        JsonElement ended;
        do
        {
            ended = Next(await watcher.ReceiveAsync(TimeSpan.FromSeconds(30)));
        }
        while (ended.GetProperty("state").GetString() != "Ended");
        Assert.Equal(id, ended.GetProperty("id").GetString());
        Assert.Equal("RemoteBye", ended.GetProperty("endReason").GetString());
        Assert.Contains(testbed.SipMessages(), m => m.GetProperty("startLine").GetString()!.StartsWith("BYE ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_group_chat_through_the_focus_reaches_every_member_and_shows_the_roster()
    {
        await using var devices = await DeviceSet.StartAsync(["bob", "carol"]);
        var (testbed, alice, bob, carol) = (devices.Testbed, devices.Alice, devices["bob"], devices["carol"]);

        var group = (await alice.CallAsync("StartChat", $$"""{"to":["{{bob.Impu}}","{{carol.Impu}}"],"subject":"lunch"}""")).GetProperty("session");
        Assert.True(group.GetProperty("group").GetBoolean());
        var id = group.GetProperty("id").GetString();
        await WaitForSessionAsync(bob, s => s.GetProperty("state").GetString() == "Active");
        await WaitForSessionAsync(carol, s => s.GetProperty("state").GetString() == "Active");
        var roster = await WaitForSessionAsync(alice, s => s.GetProperty("id").GetString() == id
            && s.GetProperty("participants").EnumerateArray().Count(p => p.GetProperty("participating").GetBoolean()) >= 3);
        Assert.Contains(roster.GetProperty("participants").EnumerateArray(), p => p.GetProperty("uri").GetString()!.Contains("carol", StringComparison.Ordinal));

        await alice.CallAsync("SendInSession", $$"""{"session":"{{id}}","text":"pizza at noon?"}""");
        Assert.Equal("pizza at noon?", Assert.Single(await bob.WaitForInboxAsync(1)).GetProperty("text").GetString());
        Assert.Equal("pizza at noon?", Assert.Single(await carol.WaitForInboxAsync(1)).GetProperty("text").GetString());

        // 8.1.1 step 8: a pager message to the ongoing session's identity (the focus) goes into the session.
        var focus = roster.GetProperty("focus").GetString();
        Assert.False(string.IsNullOrEmpty(focus));
        await alice.SendAsync($$"""{"to":["{{focus}}"],"text":"sent as a pager message into the chat"}""");
        var atBob = await bob.WaitForInboxAsync(2);
        Assert.Equal("sent as a pager message into the chat", atBob[1].GetProperty("text").GetString());
        Assert.Equal("sent as a pager message into the chat", (await carol.WaitForInboxAsync(2))[1].GetProperty("text").GetString());
    }

    [Fact]
    public async Task The_chat_command_talks_in_a_session_and_ends_it_on_ctrl_c()
    {
        await using var devices = await DeviceSet.StartAsync(["bob"]);
        var (testbed, alice, bob) = (devices.Testbed, devices.Alice, devices["bob"]);

        await using var chat = ChildProcess.Start(Binaries.Agent, ["chat", "--socket", alice.SocketPath, bob.Impu]);
        await chat.WaitForStdoutAsync("(session); Ctrl-D ends", TimeSpan.FromSeconds(60));
        await chat.WriteLineAsync("typed at the console");
        var atBob = Assert.Single(await bob.WaitForInboxAsync(1));
        Assert.Equal("Session", atBob.GetProperty("source").GetString());
        Assert.Equal("typed at the console", atBob.GetProperty("text").GetString());

        var session = await WaitForSessionAsync(bob, s => s.GetProperty("state").GetString() == "Active");
        await bob.CallAsync("SendInSession", $$"""{"session":"{{session.GetProperty("id").GetString()}}","text":"seen on the console"}""");
        await chat.WaitForStdoutAsync("seen on the console", TimeSpan.FromSeconds(60));

        chat.Signal(Posix.SIGINT);
        // Ctrl-C ends the chat like Ctrl-D: BYE, then exit 0.
        Assert.Equal(0, await chat.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains(testbed.SipMessages(), m => m.GetProperty("direction").GetString() == "in"
            && m.GetProperty("startLine").GetString()!.StartsWith("BYE ", StringComparison.Ordinal));
    }
}
