// SPDX-License-Identifier: MIT
using System.Text.Json;
using ImUeAgent.EndToEnd.Tests.Support;

namespace ImUeAgent.EndToEnd.Tests.Im;

/// <summary>
/// IM service settings (5.2.4) published by the published agent to the testbed's IM server, and the deferred-message
/// list (12.1.2) read over XCAP while offline delivery is off.
/// </summary>
public sealed class ImSettingsTests
{
    private static bool IsPublish(JsonElement m) => m.GetProperty("direction").GetString() == "in"
        && m.GetProperty("startLine").GetString()!.StartsWith("PUBLISH ", StringComparison.Ordinal);

    private static IEnumerable<string> Values(JsonElement message, string name) => message.GetProperty("headers").EnumerateArray()
        .Where(h => h[0].GetString()!.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => h[1].GetString()!);

    [Fact]
    public async Task Settings_are_published_changed_with_a_200_reported_and_offline_messages_are_listed_then_pushed_on_request()
    {
        await using var devices = await DeviceSet.StartAsync(["bob"]);
        var (testbed, alice, bob) = (devices.Testbed, devices.Alice, devices["bob"]);

        // The initial publication follows the registration.
        await alice.WaitForStatusAsync(s => s.GetProperty("imSettings") is { ValueKind: JsonValueKind.Object } im
            && im.GetProperty("status").GetString() == "Published");
        var settings = await alice.CallAsync("GetImSettings");
        Assert.Equal(200, settings.GetProperty("publication").GetProperty("lastStatusCode").GetInt32());
        var publish = testbed.SipMessages().First(IsPublish);
        Assert.Equal("poc-settings", Values(publish, "Event").Single());
        Assert.Contains(Values(publish, "Accept-Contact"), v => v.Contains("+g.oma.sip-im", StringComparison.Ordinal));

        // Offline delivery off: the change is published (a modify with SIP-If-Match) and its 200 is the answer.
        var changed = await alice.CallAsync("SetImSettings", """{"settings":{"offlineDelivery":false}}""");
        Assert.False(changed.GetProperty("settings").GetProperty("offlineDelivery").GetBoolean());
        Assert.Equal(200, changed.GetProperty("publication").GetProperty("lastStatusCode").GetInt32());
        Assert.Contains(testbed.SipMessages().Where(IsPublish), m => Values(m, "SIP-If-Match").Any());

        // alice's device dies (no de-registration, the publication stays) and the network drops her binding; bob
        // writes to her; she comes back.
        await alice.KillAsync();
        Assert.StartsWith("OK", await testbed.CoreAsync($"deregister {alice.Impu} deactivated"), StringComparison.Ordinal);
        var first = await bob.SendAsync($$"""{"to":["{{alice.Impu}}"],"text":"kept for you 1"}""");
        var second = await bob.SendAsync($$"""{"to":["{{alice.Impu}}"],"text":"kept for you 2"}""");
        await bob.WaitForDeliveryAsync(first, "Sent", "Delivered");
        await bob.WaitForDeliveryAsync(second, "Sent", "Delivered");
        await alice.StartAsync();

        // Nothing is pushed while offline delivery is off; the list over XCAP shows what waits.
        var deferred = await alice.CallAsync("ListDeferred");
        Assert.Equal(2, deferred.GetProperty("messages").GetArrayLength());
        Assert.All(deferred.GetProperty("messages").EnumerateArray(),
            m => Assert.Contains("bob", m.GetProperty("from").GetString(), StringComparison.Ordinal));
        Assert.Equal(0, (await alice.CallAsync("ListInbox")).GetProperty("messages").GetArrayLength());

        // Turning it on again asks for them: the server pushes, the inbox has both.
        var on = await alice.CallAsync("SetImSettings", """{"settings":{"offlineDelivery":true}}""");
        Assert.Equal(200, on.GetProperty("publication").GetProperty("lastStatusCode").GetInt32());
        var inbox = await alice.WaitForInboxAsync(2);
        Assert.Equal(["kept for you 1", "kept for you 2"], inbox.Select(m => m.GetProperty("text").GetString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_bad_setting_is_refused_naming_it()
    {
        await using var testbed = await TestbedAll.StartAsync();
        await using var alice = Device.Card(testbed);
        await alice.StartAsync();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => alice.CallAsync("SetImSettings", """{"settings":{"offlineDelivry":false}}"""));
        Assert.Contains("InvalidParameter", error.Message, StringComparison.Ordinal);
        Assert.Contains("offlineDelivry", error.Message, StringComparison.Ordinal);
    }
}
