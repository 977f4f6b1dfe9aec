// SPDX-License-Identifier: MIT
using System.Text.Json;
using System.Text.Json.Nodes;
using ImUeAgent.EndToEnd.Tests.Support;

namespace ImUeAgent.EndToEnd.Tests.Ims;

/// <summary>
/// The published agent registering with a plain digest account (no ISIM, no modem) through the testbed's core, and
/// noticing a TCP connection to the P-CSCF that the network closed while nothing was being sent.
/// </summary>
public sealed class DigestAndTransportTests
{
    private const string Domain = "ims.mnc001.mcc001.3gppnetwork.org";
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(150);

    private static async Task<JsonElement> StatusAsync(TestbedAll testbed)
    {
        using var client = new VarlinkClient(testbed.SocketPath);
        var reply = await client.CallAsync("""{"method":"org.imue.Agent.GetStatus"}""");
        return reply.GetProperty("parameters").GetProperty("status");
    }

    private static ChildProcess StartAgent(TestbedAll testbed, NotifySocket notify) =>
        ChildProcess.Start(Binaries.Agent, ["run", "--config", testbed.AgentConfig],
            new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = notify.Path });

    private static string Header(JsonElement message, string name) => message.GetProperty("headers").EnumerateArray()
        .Where(h => h[0].GetString()!.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => h[1].GetString()!).FirstOrDefault() ?? "";

    private static List<JsonElement> Registers(TestbedAll testbed) => [.. testbed.SipMessages().Where(m =>
        m.GetProperty("direction").GetString() == "in" && m.GetProperty("startLine").GetString()!.StartsWith("REGISTER ", StringComparison.Ordinal))];

    [Fact]
    public async Task A_digest_account_without_a_modem_registers_through_the_configured_pcscf_and_deregisters()
    {
        await using var testbed = await TestbedAll.StartAsync("udp", "--digest-user", "alice:s3cr3t-pw");
        var passwordFile = Path.Combine(testbed.Directory.FullName, "password");
        File.WriteAllText(passwordFile, "s3cr3t-pw\n");
        File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var config = JsonNode.Parse(File.ReadAllText(testbed.AgentConfig))!;
        config["Modem"]!["Port"] = "";
        config["Modem"]!["PcscfAddresses"] = new JsonArray("127.0.0.1");
        config["Ims"]!["SubscribeRegEvent"] = false;
        config["Ims"]!["Digest"] = new JsonObject
        {
            ["Username"] = $"alice@{Domain}",
            ["PasswordFile"] = passwordFile,
            ["PublicIdentity"] = $"sip:alice@{Domain}",
        };
        File.WriteAllText(testbed.AgentConfig, config.ToJsonString());

        using var notify = new NotifySocket();
        await using var agent = StartAgent(testbed, notify);
        await notify.WaitForAsync($"STATUS=registered as sip:alice@{Domain}", Long);

        var registers = Registers(testbed);
        Assert.Contains($"username=\"alice@{Domain}\"", Header(registers[^1], "Authorization"), StringComparison.Ordinal);
        Assert.DoesNotContain("AKAv1", Header(registers[^1], "Authorization"), StringComparison.Ordinal);
        Assert.Contains("+g.oma.sip-im", Header(registers[^1], "Contact"), StringComparison.Ordinal);
        // No modem: no IMEI, so no +sip.instance.
        Assert.DoesNotContain("+sip.instance", Header(registers[^1], "Contact"), StringComparison.Ordinal);

        agent.Signal(Posix.SIGTERM);
        Assert.Equal(0, await agent.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("0", Header(Registers(testbed)[^1], "Expires"));
        Assert.DoesNotContain("s3cr3t-pw", agent.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t-pw", agent.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_password_file_others_can_read_is_refused_naming_the_key()
    {
        var dir = Directory.CreateTempSubdirectory("imue-digest-");
        try
        {
            var passwordFile = Path.Combine(dir.FullName, "password");
            File.WriteAllText(passwordFile, "pw\n");
            File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
            var configPath = Path.Combine(dir.FullName, "agent.json");
            File.WriteAllText(configPath, $$"""
                { "Daemon": { "StateDirectory": "{{dir.FullName}}" }, "Api": { "SocketPath": "{{Path.Combine(dir.FullName, "api.sock")}}" },
                  "Modem": { "PcscfAddresses": [ "127.0.0.1" ] },
                  "Ims": { "Digest": { "Username": "bob", "PasswordFile": "{{passwordFile}}", "PublicIdentity": "sip:bob@example.test" } } }
                """);
            var (exit, _, stderr) = await ChildProcess.RunAsync(Binaries.Agent, ["run", "--config", configPath], TimeSpan.FromSeconds(30));
            Assert.Equal(2, exit);
            Assert.Contains("Ims.Digest.PasswordFile", stderr, StringComparison.Ordinal);
            Assert.Contains("chmod 600", stderr, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_tcp_connection_the_pcscf_closes_while_idle_is_registered_again_at_once()
    {
        await using var testbed = await TestbedAll.StartAsync("tcp");
        using var notify = new NotifySocket();
        await using var agent = StartAgent(testbed, notify);
        await notify.WaitForAsync("STATUS=registered as", Long);
        int before = Registers(testbed).Count;

        // The P-CSCF restarts and closes every TCP connection; nothing is due to be sent (refresh is far away), so
        // only watching the connection notices it.
        Assert.StartsWith("OK", await testbed.CoreAsync("restart"), StringComparison.Ordinal);
        await notify.WaitForAsync("STATUS=registered as", Long, occurrence: 2);

        var status = await StatusAsync(testbed);
        Assert.Equal("Registered", status.GetProperty("registration").GetProperty("state").GetString());
        Assert.Contains("connection to the P-CSCF", status.GetProperty("lastFailure").GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.True(Registers(testbed).Count > before);
    }
}
