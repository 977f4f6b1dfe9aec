// SPDX-License-Identifier: MIT
using System.Text.Json;
using ImUeAgent.EndToEnd.Tests.Support;

namespace ImUeAgent.EndToEnd.Tests.Modem;

/// <summary>`imue-agent modem info` and `imue-agent aka` on the emulated modem over a real pty.</summary>
public sealed class ModemCliTests
{
    private static string Profiles => Path.Combine(Binaries.RepoRoot, "hardware", "modems");

    // TS 35.208 test set 1 (the emulated card's keys) and the AUTN derived from it (../shared/data).
    private const string Rand = "23553cbe9637a89d218ae64dae47bf35";
    private const string Autn = "55f328b43577b9b94a9ffac354dfafb3";

    [Fact]
    public async Task Modem_info_prints_identities_pdn_and_pcscf()
    {
        await using var modem = await TestbedModem.StartAsync();
        var (code, stdout, stderr) = await ChildProcess.RunAsync(Binaries.Agent, ["modem", "info", "--port", modem.Port, "--profiles", Profiles, "--json"], TimeSpan.FromSeconds(60));
        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        Assert.Equal("Ready", root.GetProperty("phase").GetString());
        Assert.Equal("001010123456789", root.GetProperty("imsi").GetString());
        Assert.Equal("001010123456789@ims.mnc001.mcc001.3gppnetwork.org", root.GetProperty("impi").GetString());
        Assert.Equal("ims.mnc001.mcc001.3gppnetwork.org", root.GetProperty("homeDomain").GetString());
        Assert.Equal(["127.0.0.1", "::1"], root.GetProperty("pcscf").EnumerateArray().Select(e => e.GetString()));
        Assert.StartsWith("A0000000871004", root.GetProperty("isimAid").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Modem_info_reports_a_denied_attach_with_exit_1()
    {
        await using var modem = await TestbedModem.StartAsync("--deny-attach", "15");
        var (code, _, stderr) = await ChildProcess.RunAsync(Binaries.Agent, ["modem", "info", "--port", modem.Port, "--profiles", Profiles, "--timeout", "30"], TimeSpan.FromSeconds(60));
        Assert.Equal(1, code);
        Assert.Contains("modem not ready: attach denied", stderr, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Aka_returns_res_ck_ik_then_auts_for_the_replayed_challenge_then_mac_failure()
    {
        await using var modem = await TestbedModem.StartAsync();
        var (code, stdout, stderr) = await ChildProcess.RunAsync(Binaries.Agent, ["aka", "--port", modem.Port, "--profiles", Profiles, "--rand", Rand, "--autn", Autn, "--json"], TimeSpan.FromSeconds(60));
        Assert.True(code == 0, stderr);
        using (var json = JsonDocument.Parse(stdout))
        {
            Assert.Equal("Success", json.RootElement.GetProperty("outcome").GetString());
            Assert.Equal("a54211d5e3ba50bf", json.RootElement.GetProperty("res").GetString());
            Assert.Equal("b40ba9a3c58b2a05bbf0d987b21bf8cb", json.RootElement.GetProperty("ck").GetString());
            Assert.Equal("f769bcd751044604127672711c6d3441", json.RootElement.GetProperty("ik").GetString());
        }

        // The same SQN again is stale for the card: synchronisation failure with AUTS (TS 33.102 §6.3.5).
        (code, stdout, stderr) = await ChildProcess.RunAsync(Binaries.Agent, ["aka", "--port", modem.Port, "--profiles", Profiles, "--rand", Rand, "--autn", Autn], TimeSpan.FromSeconds(60));
        Assert.True(code == 0, stderr);
        Assert.StartsWith("outcome SynchronisationFailure\nauts    ", stdout, StringComparison.Ordinal);
        Assert.Equal(28, stdout.Split('\n')[1]["auts    ".Length..].Length);

        var badAutn = Autn[..^1] + "4";
        (code, stdout, _) = await ChildProcess.RunAsync(Binaries.Agent, ["aka", "--port", modem.Port, "--profiles", Profiles, "--rand", Rand, "--autn", badAutn], TimeSpan.FromSeconds(60));
        Assert.Equal(1, code);
        Assert.Contains("network not authentic", stdout, StringComparison.Ordinal);
    }
}
