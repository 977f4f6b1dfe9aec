// SPDX-License-Identifier: MIT
using System.Text.Json;
using System.Text.Json.Nodes;
using ImUeAgent.EndToEnd.Tests.Support;

namespace ImUeAgent.EndToEnd.Tests.Ims;

/// <summary>
/// The published agent in digest mode (config Ims.Digest) against Kamailio's registrar on loopback UDP, over the
/// emulated modem of `imue-testbed all` (its IMS core stays unused): register with an MD5 challenge, re-register
/// before the short registration runs out, de-register on SIGTERM.
/// </summary>
public sealed class KamailioDigestRegistrationTests
{
    private const string Domain = "example.test";
    private const string User = "alice";
    private const string Password = "kamailio-secret-7";
    private const string PublicIdentity = "sip:alice@example.test";

    // Kamailio grants at most this many seconds; the agent refreshes at half (TS 24.229 §5.1.1.4.1 for ≤ 1200 s).
    private const int MaxExpires = 10;

    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    /// <summary>The agent.json of `imue-testbed all`, pointed at Kamailio with a digest account.</summary>
    private static void UseKamailio(TestbedAll testbed, KamailioRegistrar kamailio)
    {
        var config = JsonNode.Parse(File.ReadAllText(testbed.AgentConfig))!.AsObject();
        config["Modem"]!.AsObject()["PcscfAddresses"] = new JsonArray("127.0.0.1");
        var ims = config["Ims"]!.AsObject();
        ims["PcscfPort"] = kamailio.Port;
        ims["Transport"] = "udp";
        ims["Expires"] = 60;
        // Kamailio here is a registrar only: no reg event package (RFC 3680).
        ims["SubscribeRegEvent"] = false;
        ims["Digest"] = new JsonObject
        {
            ["Username"] = User,
            ["Password"] = Password,
            ["PublicIdentity"] = PublicIdentity,
            ["Domain"] = Domain,
        };
        File.WriteAllText(testbed.AgentConfig, config.ToJsonString());
    }

    private static async Task<JsonElement> RegistrationAsync(TestbedAll testbed)
    {
        using var client = new VarlinkClient(testbed.SocketPath);
        var reply = await client.CallAsync("""{"method":"org.imue.Agent.GetStatus"}""");
        return reply.GetProperty("parameters").GetProperty("status").GetProperty("registration");
    }

    [Fact]
    public async Task Registers_with_md5_digest_re_registers_and_de_registers_on_sigterm()
    {
        await using var kamailio = await KamailioRegistrar.StartAsync(Domain, User, Password, MaxExpires);
        await using var testbed = await TestbedAll.StartAsync();
        UseKamailio(testbed, kamailio);
        using var notify = new NotifySocket();
        await using var agent = ChildProcess.Start(Binaries.Agent, ["run", "--config", testbed.AgentConfig],
            new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = notify.Path });

        // Register: challenged first (RFC 3261 §22.4), then stored under the account.
        await notify.WaitForAsync("STATUS=registered as " + PublicIdentity, Long);
        await kamailio.WaitForLogAsync("imue-reg saved #1 user=alice ", Long);
        var log = kamailio.Log;
        Assert.InRange(log.IndexOf("imue-reg challenge ", StringComparison.Ordinal), 0, log.IndexOf("imue-reg saved #1 ", StringComparison.Ordinal));
        Assert.DoesNotContain("imue-reg forbidden", log, StringComparison.Ordinal);
        var registration = await RegistrationAsync(testbed);
        Assert.Equal("Registered", registration.GetProperty("state").GetString());
        Assert.Equal($"udp:127.0.0.1:{kamailio.Port}", registration.GetProperty("pcscf").GetString());
        var firstExpiry = registration.GetProperty("expiresAt").GetDateTimeOffset();
        // The registrar shortened the 60 s asked for to its maximum (RFC 3261 §10.3 step 7).
        Assert.InRange(firstExpiry - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(-1), TimeSpan.FromSeconds(MaxExpires + 1));
        var table = await kamailio.LocationTableAsync();
        Assert.Contains("AoR: alice", table, StringComparison.Ordinal);

        // Re-register at half the granted time, with the cached credentials or a fresh challenge.
        await kamailio.WaitForLogAsync("imue-reg saved #2 user=alice ", Long);
        Assert.Contains("imue-reg saved #2 user=alice cseq=", kamailio.Log, StringComparison.Ordinal);
        Assert.Contains("contacts=1", kamailio.Log.Split('\n').First(l => l.Contains("imue-reg saved #2 ", StringComparison.Ordinal)), StringComparison.Ordinal);
        // Its 200 moves the agent's expiry on (the status stream tells; Kamailio logs before it replies).
        using (var watcher = new VarlinkClient(testbed.SocketPath))
        {
            await watcher.SendAsync("""{"method":"org.imue.Agent.WatchStatus","more":true}""");
            while (true)
            {
                var reply = await watcher.ReceiveAsync(Long) ?? throw new InvalidOperationException("status stream ended");
                var now = reply.GetProperty("parameters").GetProperty("status").GetProperty("registration");
                if (now.GetProperty("expiresAt").ValueKind == JsonValueKind.String && now.GetProperty("expiresAt").GetDateTimeOffset() > firstExpiry)
                {
                    Assert.Equal("Registered", now.GetProperty("state").GetString());
                    break;
                }
            }
        }

        // De-register on SIGTERM (RFC 3261 §10.2.2, Expires: 0): Kamailio's location table is empty again.
        agent.Signal(Posix.SIGTERM);
        Assert.Equal(0, await agent.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        await kamailio.WaitForLogAsync("expires=0 contacts=0", TimeSpan.FromSeconds(10));
        Assert.DoesNotContain("AoR: alice", await kamailio.LocationTableAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(Password, agent.StandardError, StringComparison.Ordinal);
    }
}
