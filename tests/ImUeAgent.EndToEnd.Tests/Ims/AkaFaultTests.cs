// SPDX-License-Identifier: MIT
using System.Text.Json;
using ImUeAgent.EndToEnd.Tests.Support;

namespace ImUeAgent.EndToEnd.Tests.Ims;

/// <summary>
/// The published agent against `imue-testbed all` when the network's authentication vectors are wrong on purpose
/// (the core's `desync` and `mac-failure` commands): the emulated ISIM answers AUTS or rejects the network, and the
/// agent recovers (TS 33.102 §6.3.3, §6.3.5; TS 24.229 §5.1.1.5.3).
/// </summary>
public sealed class AkaFaultTests
{
    private const string Impi = "001010123456789@ims.mnc001.mcc001.3gppnetwork.org";
    private const string Impu = "sip:001010123456789@ims.mnc001.mcc001.3gppnetwork.org";
    private const string Registered = "STATUS=registered as " + Impu;

    // Registration retries back off 15-30 s, doubling (RFC 5626 §4.5): room for two retries on a loaded machine.
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

    /// <summary>Arms an HSS fault in the core; "OK next N vector(s) of IMPI …".</summary>
    private static async Task<string> ArmAsync(TestbedAll testbed, string line)
    {
        var answer = await testbed.CoreAsync(line);
        Assert.StartsWith("OK", answer, StringComparison.Ordinal);
        return answer;
    }

    private static bool IsRegister(JsonElement message, string direction) =>
        message.GetProperty("direction").GetString() == direction
        && message.GetProperty("startLine").GetString()!.StartsWith("REGISTER ", StringComparison.Ordinal);

    private static bool IsRegisterResponse(JsonElement message, int status) =>
        message.GetProperty("direction").GetString() == "out"
        && message.GetProperty("startLine").GetString()!.StartsWith($"SIP/2.0 {status} ", StringComparison.Ordinal)
        && Header(message, "CSeq").EndsWith(" REGISTER", StringComparison.Ordinal);

    private static string Header(JsonElement message, string name) => message.GetProperty("headers").EnumerateArray()
        .Where(h => h[0].GetString()!.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => h[1].GetString()!).FirstOrDefault() ?? "";

    [Fact]
    public async Task After_the_HSS_falls_behind_the_ISIM_answers_AUTS_the_HSS_resynchronises_and_the_agent_registers_again()
    {
        await using var testbed = await TestbedAll.StartAsync();
        var (agent, notify) = await StartAgentAsync(testbed);
        await using (agent)
        using (notify)
        {
            await notify.WaitForAsync(Registered, Long);
            var before = testbed.SipMessages().Count;
            Assert.StartsWith("OK next 1 vector(s) of " + Impi, await ArmAsync(testbed, "desync " + Impi), StringComparison.Ordinal);

            // Force a new challenge: the network ends the registration (reg event "deactivated", TS 24.229 §5.1.1.7)
            // and the agent registers afresh, nonce="" first.
            var registeredSoFar = notify.History.Count(h => h.Message.Split('\n').Any(l => l.StartsWith(Registered, StringComparison.Ordinal)));
            Assert.StartsWith("OK", await testbed.CoreAsync($"deregister {Impu} deactivated"), StringComparison.Ordinal);
            await notify.WaitForAsync(Registered, Long, occurrence: registeredSoFar + 1);
            Assert.Equal("Registered", (await StatusAsync(testbed)).GetProperty("registration").GetProperty("state").GetString());

            // The core saw: REGISTER (nonce="") → 401 stale SQN → REGISTER with auts → 401 fresh → REGISTER → 200.
            var messages = testbed.SipMessages().Skip(before).ToList();
            var resync = messages.FindIndex(m => IsRegister(m, "in") && Header(m, "Authorization").Contains("auts=\"", StringComparison.Ordinal));
            Assert.True(resync >= 0, "no REGISTER with auts after the desync");
            // RFC 3310 §3.4: the re-synchronisation REGISTER carries an empty password's response and the AUTS.
            Assert.Matches("auts=\"[A-Za-z0-9+/]{19}=\"", Header(messages[resync], "Authorization"));
            Assert.Equal(1, messages.Count(m => IsRegister(m, "in") && Header(m, "Authorization").Contains("auts=", StringComparison.Ordinal)));
            var challenged = messages.FindIndex(resync, m => IsRegisterResponse(m, 401));
            var ok = messages.FindIndex(resync, m => IsRegisterResponse(m, 200));
            Assert.InRange(challenged, resync + 1, ok - 1);
            Assert.DoesNotContain(messages, m => IsRegisterResponse(m, 403));
            Assert.EndsWith(" faults=0", await testbed.CoreAsync("status"), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_challenge_with_a_wrong_MAC_is_reported_as_network_not_authentic_and_the_next_attempt_registers()
    {
        await using var testbed = await TestbedAll.StartAsync();
        Assert.StartsWith("OK next 1 vector(s) of " + Impi, await ArmAsync(testbed, "mac-failure " + Impi + " 1"), StringComparison.Ordinal);
        var (agent, notify) = await StartAgentAsync(testbed);
        await using (agent)
        using (notify)
        {
            // The ISIM rejects the network (9862), the agent answers with an empty response (TS 24.229 §5.1.1.5.3),
            // the core says 403, and the agent shows why before it backs off.
            await notify.WaitForAsync("STATUS=IMS failed; last failure: network not authentic", Long);
            var failed = await StatusAsync(testbed);
            Assert.Equal("ims", failed.GetProperty("lastFailure").GetProperty("component").GetString());
            Assert.Equal("network not authentic (AKA MAC failure) (403)", failed.GetProperty("lastFailure").GetProperty("reason").GetString());

            var report = testbed.SipMessages().Last(m => IsRegister(m, "in"));
            Assert.Contains("response=\"\"", Header(report, "Authorization"), StringComparison.Ordinal);
            Assert.DoesNotContain("auts=", Header(report, "Authorization"), StringComparison.Ordinal);

            // The fault was for one vector: the retry after the backoff registers, and the reason stays readable.
            await notify.WaitForAsync(Registered, Long);
            var status = await StatusAsync(testbed);
            Assert.Equal("Registered", status.GetProperty("registration").GetProperty("state").GetString());
            Assert.StartsWith("network not authentic", status.GetProperty("lastFailure").GetProperty("reason").GetString(), StringComparison.Ordinal);
            Assert.Equal(1, testbed.SipMessages().Count(m => IsRegisterResponse(m, 403)));
        }
    }
}
