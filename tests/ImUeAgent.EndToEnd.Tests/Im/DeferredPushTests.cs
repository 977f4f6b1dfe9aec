// SPDX-License-Identifier: MIT
using System.Text.Json;
using ImUeAgent.EndToEnd.Tests.Support;

namespace ImUeAgent.EndToEnd.Tests.Im;

/// <summary>
/// Deferred messages (Appendix D.2) pushed by the testbed's IM server to a published agent when it registers: every
/// body type, duplicate pushes, a malformed part, and the agent killed with SIGKILL in the middle of pushes.
/// </summary>
public sealed class DeferredPushTests
{
    /// <summary>alice registered, bob's device configured but offline.</summary>
    private static Task<DeviceSet> StartAsync(params string[] options) => DeviceSet.StartAsync(["bob"], options, startUsers: false);

    private static async Task StoreForBobAsync(Device alice, Device bob, IEnumerable<string> texts)
    {
        var ids = new List<long>();
        foreach (var text in texts)
        {
            ids.Add(await alice.SendAsync($$"""{"to":["{{bob.Impu}}"],"text":{{JsonSerializer.Serialize(text)}}}"""));
        }

        foreach (var id in ids)
        {
            await alice.WaitForDeliveryAsync(id, "Sent", "Delivered");
        }
    }

    [Theory]
    [InlineData("sip")]
    [InlineData("sipfrag")]
    [InlineData("msrp")]
    [InlineData("multipart")]
    public async Task Each_d2_body_type_gives_back_the_original_messages(string bodyType)
    {
        await using var devices = await StartAsync("--im-push-body", bodyType);
        var (testbed, alice, bob) = (devices.Testbed, devices.Alice, devices["bob"]);
        string large = new('L', 2500);
        await StoreForBobAsync(alice, bob, ["pager while away", large]);
        await bob.StartAsync();
        var inbox = await bob.WaitForInboxAsync(2);
        Assert.All(inbox, m => Assert.Equal("DeferredPush", m.GetProperty("source").GetString()));
        Assert.All(inbox, m => Assert.True(m.GetProperty("from").GetString()?.Contains("001010123456789", StringComparison.Ordinal), m.GetRawText()[..Math.Min(600, m.GetRawText().Length)]));
        Assert.Equal(new[] { "pager while away", large }.Order(StringComparer.Ordinal), inbox.Select(m => m.GetProperty("text").GetString()).Order(StringComparer.Ordinal));
        // bob took the push INVITE (200) rather than refusing it.
        Assert.Contains(testbed.SipMessages(), m => m.GetProperty("direction").GetString() == "in"
            && m.GetProperty("startLine").GetString()!.StartsWith("SIP/2.0 200", StringComparison.Ordinal)
            && m.GetProperty("headers").EnumerateArray().Any(h => h[0].GetString() == "CSeq" && h[1].GetString()!.EndsWith("INVITE", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_duplicate_push_and_a_malformed_part_deliver_each_message_once_and_keep_the_bad_part_raw()
    {
        await using var devices = await StartAsync("--im-push-duplicate", "--im-push-malformed");
        var (testbed, alice, bob) = (devices.Testbed, devices.Alice, devices["bob"]);
        await StoreForBobAsync(alice, bob, ["one", "two"]);
        await bob.StartAsync();
        var inbox = await bob.WaitForInboxAsync(3);
        var parsed = inbox.Where(m => !m.TryGetProperty("unparsed", out _)).ToList();
        Assert.Equal(["one", "two"], parsed.Select(m => m.GetProperty("text").GetString()).Order(StringComparer.Ordinal));
        var bad = Assert.Single(inbox, m => m.TryGetProperty("unparsed", out _));
        Assert.False(string.IsNullOrEmpty(bad.GetProperty("unparsed").GetString()));
        Assert.True(bad.GetProperty("raw").GetBytesFromBase64().Length > 0);

        // Whatever else the duplicate push carried was recognised: nothing more arrives.
        await bob.KillAsync();
        await bob.StartAsync();
        Assert.Equal(3, (await bob.CallAsync("ListInbox")).GetProperty("messages").GetArrayLength());
    }

    [Fact]
    public async Task Killing_the_agent_during_pushes_loses_nothing_and_doubles_nothing()
    {
        const int Count = 12;
        var seed = Environment.TickCount;
        var random = new Random(seed);
        await using var devices = await StartAsync("--im-push-body", "sip");
        var (testbed, alice, bob) = (devices.Testbed, devices.Alice, devices["bob"]);
        var texts = Enumerable.Range(1, Count).Select(i => $"deferred {i:D2}").ToList();
        await StoreForBobAsync(alice, bob, texts);

        // Each round: register (the server pushes one SEND per stored message), then SIGKILL as soon as the inbox
        // shows a random number of new messages — wherever the push happens to be (committed but not yet
        // acknowledged, between SENDs, before BYE).
        int have = 0;
        for (var round = 0; round < 4 && have < Count; round++)
        {
            await bob.StartAsync();
            var killAfter = random.Next(have + 1, Count + 1);
            have = (await bob.WaitForInboxAsync(killAfter)).Count;
            await bob.KillAsync();
        }

        await bob.StartAsync();
        var inbox = await bob.WaitForInboxAsync(Count);
        // The inbox lists exactly the twelve, each once, whatever the kills interrupted.
        var listed = (await bob.CallAsync("ListInbox")).GetProperty("messages").EnumerateArray()
            .Select(m => m.GetProperty("text").GetString()!).ToList();
        Assert.True(texts.Order(StringComparer.Ordinal).SequenceEqual(listed.Order(StringComparer.Ordinal)),
            $"seed {seed}: inbox {string.Join(", ", listed)}");
        Assert.Equal(Count, inbox.Count);
    }
}
