// SPDX-License-Identifier: MIT
using System.Text.Json;
using ImUeAgent.EndToEnd.Tests.Support;

namespace ImUeAgent.EndToEnd.Tests.Ims;

/// <summary>
/// The published agent against `imue-testbed all` over a real pty and loopback SIP: from power-on to registered,
/// and back to registered (or a clear reason) after each network event.
/// </summary>
public sealed class RegistrationTests
{
    // Registration retries back off 15-30 s, doubling (RFC 5626 §4.5): leave room for two retries on a loaded machine.
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(150);

    private static async Task<(ChildProcess Agent, NotifySocket Notify)> StartAgentAsync(TestbedAll testbed)
    {
        var notify = new NotifySocket();
        var agent = ChildProcess.Start(Binaries.Agent, ["run", "--config", testbed.AgentConfig],
            new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = notify.Path });
        await notify.WaitForAsync("READY=1", Long);
        return (agent, notify);
    }

    private static async Task<JsonElement> StatusAsync(TestbedAll testbed)
    {
        using var client = new VarlinkClient(testbed.SocketPath);
        var reply = await client.CallAsync("""{"method":"org.imue.Agent.GetStatus"}""");
        return reply.GetProperty("parameters").GetProperty("status");
    }

    [Theory]
    [InlineData("udp")]
    [InlineData("tcp")]
    public async Task Registers_with_ims_aka_through_the_isim_and_deregisters_on_sigterm(string transport)
    {
        await using var testbed = await TestbedAll.StartAsync(transport);
        var (agent, notify) = await StartAgentAsync(testbed);
        await using (agent)
        using (notify)
        {
            await notify.WaitForAsync("STATUS=registered as sip:001010123456789@ims.mnc001.mcc001.3gppnetwork.org", Long);
            // The reg-event SUBSCRIBE follows the 200: wait until the agent reports the subscription.
            using (var watcher = new VarlinkClient(testbed.SocketPath))
            {
                await watcher.SendAsync("""{"method":"org.imue.Agent.WatchStatus","more":true}""");
                while (true)
                {
                    var reply = await watcher.ReceiveAsync(Long) ?? throw new InvalidOperationException("status stream ended");
                    if (reply.GetProperty("parameters").GetProperty("status").GetProperty("registration").GetProperty("regEventSubscribed").GetBoolean())
                    {
                        break;
                    }
                }
            }

            var status = await StatusAsync(testbed);
            var registration = status.GetProperty("registration");
            Assert.Equal("Registered", registration.GetProperty("state").GetString());
            Assert.StartsWith(transport + ":127.0.0.1:", registration.GetProperty("pcscf").GetString(), StringComparison.Ordinal);

            var messages = testbed.SipMessages();
            var registers = messages.Where(m => m.GetProperty("direction").GetString() == "in"
                && m.GetProperty("startLine").GetString()!.StartsWith("REGISTER ", StringComparison.Ordinal)).ToList();
            string Header(JsonElement message, string name) => message.GetProperty("headers").EnumerateArray()
                .Where(h => h[0].GetString()!.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => h[1].GetString()!).FirstOrDefault() ?? "";
            // TS 24.229 §5.1.1.2: initial REGISTER with the IMPI and empty nonce/response, Contact with the instance
            // ID from the IMEI and +g.oma.sip-im, the IM release in User-Agent.
            Assert.Contains("username=\"001010123456789@ims.mnc001.mcc001.3gppnetwork.org\"", Header(registers[0], "Authorization"), StringComparison.Ordinal);
            Assert.Contains("nonce=\"\"", Header(registers[0], "Authorization"), StringComparison.Ordinal);
            Assert.Contains("+sip.instance=\"<urn:gsma:imei:35000000-000001-0>\"", Header(registers[0], "Contact"), StringComparison.Ordinal);
            Assert.Contains("+g.oma.sip-im", Header(registers[0], "Contact"), StringComparison.Ordinal);
            Assert.StartsWith("IM-client/OMA1.0 imue-agent/", Header(registers[0], "User-Agent"), StringComparison.Ordinal);
            Assert.Contains("algorithm=AKAv1-MD5", Header(registers[1], "Authorization"), StringComparison.Ordinal);
            Assert.Contains(messages, m => m.GetProperty("startLine").GetString()!.StartsWith("SUBSCRIBE ", StringComparison.Ordinal));

            agent.Signal(Posix.SIGTERM);
            Assert.Equal(0, await agent.WaitForExitAsync(TimeSpan.FromSeconds(10)));
            var last = testbed.SipMessages().Last(m => m.GetProperty("direction").GetString() == "in"
                && m.GetProperty("startLine").GetString()!.StartsWith("REGISTER ", StringComparison.Ordinal));
            Assert.Equal("0", Header(last, "Expires"));
            // Secrets never reach the agent's log.
            Assert.DoesNotContain("a54211d5e3ba50bf", agent.StandardError, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("b40ba9a3c58b2a05bbf0d987b21bf8cb", agent.StandardError, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Theory]
    [InlineData("deregister sip:001010123456789@ims.mnc001.mcc001.3gppnetwork.org deactivated")]
    [InlineData("restart")]
    public async Task Network_side_events_end_registered_again(string coreCommand)
    {
        await using var testbed = await TestbedAll.StartAsync();
        var (agent, notify) = await StartAgentAsync(testbed);
        await using (agent)
        using (notify)
        {
            await notify.WaitForAsync("STATUS=registered as", Long);
            Assert.StartsWith("OK", await testbed.CoreAsync(coreCommand), StringComparison.Ordinal);
            if (coreCommand == "restart")
            {
                // A P-CSCF that forgot us is noticed on the next request; the modem losing its PDN is the usual trigger.
                Assert.StartsWith("OK", await testbed.ModemAsync("pdn-drop 2"), StringComparison.Ordinal);
            }

            await notify.WaitForAsync("STATUS=registered as", Long, occurrence: 2);
            Assert.Equal("Registered", (await StatusAsync(testbed)).GetProperty("registration").GetProperty("state").GetString());
        }
    }

    [Fact]
    public async Task A_registration_the_network_shortens_is_refreshed_at_half_its_remaining_time()
    {
        await using var testbed = await TestbedAll.StartAsync();
        var (agent, notify) = await StartAgentAsync(testbed);
        await using (agent)
        using (notify)
        {
            await notify.WaitForAsync("STATUS=registered as", Long);
            using var watcher = new VarlinkClient(testbed.SocketPath);
            await watcher.SendAsync("""{"method":"org.imue.Agent.WatchStatus","more":true}""");
            DateTimeOffset ExpiresAt(JsonElement reply) =>
                reply.GetProperty("parameters").GetProperty("status").GetProperty("registration").GetProperty("expiresAt").GetDateTimeOffset();
            var initial = ExpiresAt((await watcher.ReceiveAsync())!.Value);

            // reg-event NOTIFY with expires=8 (RFC 3680 "shortened"): TS 24.229 refreshes at half of what is left.
            var shortenedAt = DateTimeOffset.UtcNow;
            Assert.StartsWith("OK", await testbed.CoreAsync("shorten sip:001010123456789@ims.mnc001.mcc001.3gppnetwork.org 8"), StringComparison.Ordinal);
            DateTimeOffset refreshed;
            while (true)
            {
                var reply = await watcher.ReceiveAsync(Long) ?? throw new InvalidOperationException("status stream ended");
                var expires = ExpiresAt(reply);
                if (expires > shortenedAt + TimeSpan.FromSeconds(60) && expires != initial)
                {
                    refreshed = DateTimeOffset.UtcNow;
                    break;
                }
            }

            // Refreshed ~4 s after the shortening (half of 8 s); wide bounds for a loaded CI machine.
            Assert.InRange(refreshed - shortenedAt, TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(12));
        }
    }

    [Fact]
    public async Task A_modem_reset_mid_registration_ends_registered()
    {
        await using var testbed = await TestbedAll.StartAsync();
        Assert.StartsWith("OK", await testbed.CoreAsync("drop next REGISTER"), StringComparison.Ordinal);
        var (agent, notify) = await StartAgentAsync(testbed);
        await using (agent)
        using (notify)
        {
            await notify.WaitForAsync("STATUS=IMS registering", Long);
            Assert.StartsWith("OK", await testbed.ModemAsync("reset"), StringComparison.Ordinal);
            await notify.WaitForAsync("STATUS=registered as", Long);
        }
    }

    [Fact]
    public async Task Server_failure_with_retry_after_is_retried_and_ends_registered()
    {
        await using var testbed = await TestbedAll.StartAsync();
        Assert.StartsWith("OK", await testbed.CoreAsync("503 retry-after 1"), StringComparison.Ordinal);
        var (agent, notify) = await StartAgentAsync(testbed);
        await using (agent)
        using (notify)
        {
            await notify.WaitForAsync("STATUS=registered as", Long);
            var status = await StatusAsync(testbed);
            Assert.Equal("ims", status.GetProperty("lastFailure").GetProperty("component").GetString());
            Assert.Contains("503", status.GetProperty("lastFailure").GetProperty("reason").GetString(), StringComparison.Ordinal);
        }
    }
}
