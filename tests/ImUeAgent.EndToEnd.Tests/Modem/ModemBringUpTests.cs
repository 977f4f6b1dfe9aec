// SPDX-License-Identifier: MIT
using System.Text.Json;
using ImUeAgent.EndToEnd.Tests.Support;

namespace ImUeAgent.EndToEnd.Tests.Modem;

/// <summary>
/// The published daemon bringing up `imue-testbed modem` over a real pseudo-terminal to "IMS PDN up, ISIM read", and
/// recovering from each fault the emulator injects; every case ends Ready again or with a clear reason in status.
/// </summary>
public sealed class ModemBringUpTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    // No IMS core here: registration is off so STATUS= speaks of the modem only.
    private static string ModemSection(string port) =>
        $$""", "Modem": { "Port": "{{port}}", "ProfileDirectory": "{{Binaries.RepoRoot}}/hardware/modems" }, "Ims": { "Register": false }""";

    private static async Task<JsonElement> StatusAsync(AgentUnderTest agent)
    {
        using var client = new VarlinkClient(agent.SocketPath);
        var reply = await client.CallAsync("""{"method":"org.imue.Agent.GetStatus"}""");
        return reply.GetProperty("parameters").GetProperty("status");
    }

    /// <summary>Waits for the n-th "modem ready" STATUS= line (the daemon's own readiness report to systemd).</summary>
    private static Task ReadyAsync(AgentUnderTest agent, int occurrence = 1) =>
        agent.Notify.WaitForAsync("STATUS=modem ready", Long, occurrence);

    [Fact]
    public async Task Brings_the_emulated_modem_up_over_a_pty_and_reports_it()
    {
        await using var modem = await TestbedModem.StartAsync();
        await using var agent = await AgentUnderTest.StartAsync(ModemSection(modem.Port));
        await ReadyAsync(agent);

        var status = await StatusAsync(agent);
        var m = status.GetProperty("modem");
        Assert.Equal("Ready", m.GetProperty("phase").GetString());
        Assert.Equal("001010123456789", m.GetProperty("imsi").GetString());
        Assert.Equal(["127.0.0.1", "::1"], m.GetProperty("pcscf").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("Network", m.GetProperty("pcscfSource").GetString());
        Assert.StartsWith("A0000000871004", m.GetProperty("isimAid").GetString(), StringComparison.Ordinal);
        Assert.Equal("present", m.GetProperty("impi").GetString()); // the IMPI itself stays out of status
        Assert.Contains("sip:001010123456789@ims.mnc001.mcc001.3gppnetwork.org", m.GetProperty("impus").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(2, m.GetProperty("imsPdnCid").GetInt32());

        var (code, stdout, _) = await ChildProcess.RunAsync(Binaries.Agent, ["status", "--socket", agent.SocketPath, "--wait", "modem-ready"]);
        Assert.Equal(0, code);
        Assert.Contains("P-CSCF      127.0.0.1, ::1 (Network)", stdout, StringComparison.Ordinal);

        // A clean stop closes the ISIM's logical channel before the port (leaked channels are a finite resource).
        Assert.Equal(0, await agent.StopAsync());
        Assert.Contains("ISIM session 1 closed", agent.Process.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("001010123456789@ims", agent.Process.StandardError, StringComparison.Ordinal); // IMPI not logged
    }

    [Theory]
    [InlineData("reset")]
    [InlineData("vanish 1500")]
    [InlineData("detach 500")]
    [InlineData("pdn-drop 2")]
    public async Task Recovers_from_a_fault_and_reaches_ready_again(string fault)
    {
        await using var modem = await TestbedModem.StartAsync();
        await using var agent = await AgentUnderTest.StartAsync(ModemSection(modem.Port));
        await ReadyAsync(agent);

        Assert.StartsWith("OK", await modem.ControlAsync(fault), StringComparison.Ordinal);
        await ReadyAsync(agent, occurrence: 2);
        var status = await StatusAsync(agent);
        Assert.Equal("Ready", status.GetProperty("modem").GetProperty("phase").GetString());
        Assert.False(agent.Process.HasExited);
        Assert.Equal(0, await agent.StopAsync());
    }

    [Fact]
    public async Task Slow_replies_after_a_reset_still_end_ready()
    {
        await using var modem = await TestbedModem.StartAsync();
        await using var agent = await AgentUnderTest.StartAsync(ModemSection(modem.Port));
        await ReadyAsync(agent);
        // Every reply 400 ms late (within the per-command timeouts), then the module restarts.
        Assert.StartsWith("OK", await modem.ControlAsync("slow 400"), StringComparison.Ordinal);
        Assert.StartsWith("OK", await modem.ControlAsync("reset"), StringComparison.Ordinal);
        await ReadyAsync(agent, occurrence: 2);
        Assert.Equal(0, await agent.StopAsync());
    }

    [Fact]
    public async Task Garbage_and_a_dropped_reply_cost_nothing()
    {
        await using var modem = await TestbedModem.StartAsync();
        await using var agent = await AgentUnderTest.StartAsync(ModemSection(modem.Port));
        await ReadyAsync(agent);
        Assert.StartsWith("OK", await modem.ControlAsync("garbage 256"), StringComparison.Ordinal);
        Assert.StartsWith("OK", await modem.ControlAsync("drop next"), StringComparison.Ordinal);
        Assert.StartsWith("OK", await modem.ControlAsync("detach 300"), StringComparison.Ordinal);
        await ReadyAsync(agent, occurrence: 2);
        Assert.Equal(0, await agent.StopAsync());
    }

    [Fact]
    public async Task Attach_denial_is_reported_with_its_cause_and_cured_when_the_network_allows()
    {
        await using var modem = await TestbedModem.StartAsync("--deny-attach", "15");
        await using var agent = await AgentUnderTest.StartAsync(ModemSection(modem.Port));
        var line = await agent.Notify.WaitForAsync("STATUS=modem", Long, 1);
        var failure = await agent.Notify.WaitForAsync("STATUS=modem Failed", Long);
        Assert.Contains("attach denied", failure.Message, StringComparison.OrdinalIgnoreCase);
        var status = await StatusAsync(agent);
        Assert.Equal("modem", status.GetProperty("lastFailure").GetProperty("component").GetString());
        Assert.Contains("15", status.GetProperty("lastFailure").GetProperty("reason").GetString(), StringComparison.Ordinal);
        _ = line;

        Assert.StartsWith("OK", await modem.ControlAsync("allow-attach"), StringComparison.Ordinal);
        await ReadyAsync(agent);
        Assert.Equal(0, await agent.StopAsync());
    }

    [Fact]
    public async Task A_modem_that_is_not_there_is_waited_for_without_crashing()
    {
        var absent = $"/dev/imue-absent-{Guid.NewGuid():N}";
        await using var agent = await AgentUnderTest.StartAsync(ModemSection(absent));
        await agent.Notify.WaitForAsync("STATUS=modem", Long);
        var status = await StatusAsync(agent);
        Assert.NotEqual("Ready", status.GetProperty("modem").GetProperty("phase").GetString());
        Assert.Equal(0, await agent.StopAsync());
    }

    [Theory]
    [InlineData("\"Port\": \"bogus:x\"", "Modem.Port: 'bogus:x' is not a modem port address")]
    [InlineData("\"Port\": \"/dev/x\", \"ProfileDirectory\": \"/nonexistent/modems\"", "Modem.ProfileDirectory: '/nonexistent/modems' does not exist")]
    public async Task Bad_modem_configuration_exits_2_naming_the_key(string members, string expected)
    {
        var dir = Directory.CreateTempSubdirectory("imue-modemcfg-");
        try
        {
            var config = AgentUnderTest.WriteConfig(dir.FullName, $$""", "Modem": { {{members}} }""");
            var (code, _, stderr) = await ChildProcess.RunAsync(Binaries.Agent, ["run", "--config", config]);
            Assert.Equal(2, code);
            Assert.Contains(expected, stderr, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
