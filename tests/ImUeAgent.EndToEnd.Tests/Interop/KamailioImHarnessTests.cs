// SPDX-License-Identifier: MIT
using ImUeAgent.EndToEnd.Tests.Support;

namespace ImUeAgent.EndToEnd.Tests.Interop;

/// <summary>
/// The interop harness on its own, without the agent: two baresip clients through the Kamailio IM core. When a
/// <see cref="PagerInteropTests"/> test fails, this one tells whether Kamailio, msilo and baresip behave as those
/// tests assume (relay to a registered contact with its 200, 202 and storage for an unregistered user, delivery of
/// the stored MESSAGE on that user's REGISTER).
/// </summary>
public sealed class KamailioImHarnessTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Kamailio_relays_between_two_baresips_and_msilo_delivers_a_stored_message_on_register()
    {
        var bobAor = KamailioImCore.Aor(KamailioImCore.Bob.User);
        var carolAor = KamailioImCore.Aor(KamailioImCore.Carol.User);
        await using var core = await KamailioImCore.StartAsync(maxExpires: 60);
        await using var bob = await Baresip.StartAsync(bobAor, KamailioImCore.Bob.Password, core.ProxyUri, carolAor, Long);

        // Carol is not registered: msilo keeps the MESSAGE and Kamailio answers 202 (RFC 3428 §7).
        await bob.SendMessageAsync("stored for carol");
        await core.WaitForLogAsync($"imue-im stored for={carolAor} from={bobAor}", Long);
        Assert.Equal(1, (await core.MsiloStatisticsAsync())["stored_messages"]);

        // Carol registers: m_dump sends it through the proxy to her new contact.
        await using var carol = await Baresip.StartAsync(carolAor, KamailioImCore.Carol.Password, core.ProxyUri, bobAor, Long);
        await carol.WaitForMessageAsync(bobAor, "stored for carol", Long);
        await core.WaitForLogAsync($"imue-im silo message from={bobAor} to={carolAor}", Long);

        // Both registered: a live MESSAGE is relayed and baresip's 200 comes back through Kamailio.
        await carol.SendMessageAsync("live to bob, grüße");
        await bob.WaitForMessageAsync(carolAor, "live to bob, grüße", Long);
        var callId = await core.WaitForCallIdAsync($"imue-im message from={carolAor} to={bobAor}", Long);
        await core.WaitForLogAsync($"imue-im reply 200 OK callid={callId}", Long);
        // The stored one went out once.
        Assert.Single(core.ScriptLines($"imue-im silo message from={bobAor} to={carolAor}"));
        Assert.Equal(1, carol.CountReceived(bobAor, "stored for carol"));
    }
}
