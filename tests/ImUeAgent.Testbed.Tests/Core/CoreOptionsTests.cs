// SPDX-License-Identifier: MIT
using System.CommandLine;
using System.Text.Json;
using ImUeAgent.Testbed.All;
using ImUeAgent.Testbed.Core;

namespace ImUeAgent.Testbed.Tests.Core;

/// <summary>The options shared by `core` and `all`, and the agent config `all` prints.</summary>
public sealed class CoreOptionsTests
{
    private static (bool Ok, CoreSetup? Setup, string? Error) Read(params string[] args)
    {
        var options = new CoreOptions();
        var command = new Command("core");
        options.AddTo(command);
        var ok = options.TryRead(command.Parse(args), card: null, out var setup, out var error);
        return (ok, setup, error);
    }

    [Fact]
    public void Defaults_are_the_modem_card_on_127_0_0_1_port_5060_UDP_and_TCP()
    {
        var (ok, setup, _) = Read();
        Assert.True(ok);
        var subscriber = Assert.Single(setup!.Subscribers);
        Assert.Equal("001010123456789@ims.mnc001.mcc001.3gppnetwork.org", subscriber.Impi);
        Assert.Equal(["sip:001010123456789@ims.mnc001.mcc001.3gppnetwork.org", "tel:+15550123456"], subscriber.Impus);
        Assert.Equal(AuthenticationScheme.AkaV1, subscriber.Scheme);
        Assert.Equal("ims.mnc001.mcc001.3gppnetwork.org", setup.Settings.Domain);
        Assert.Equal("127.0.0.1:5060", setup.Udp!.ToString());
        Assert.Equal("127.0.0.1:5060", setup.Tcp!.ToString());
    }

    [Fact]
    public void Digest_users_and_policies_are_read()
    {
        var (ok, setup, _) = Read("--listen", "127.0.0.1:0", "--transport", "tcp", "--digest-user", "alice:pw", "--algorithm", "AKAv2-MD5",
            "--min-expires", "120", "--on-mac-failure", "challenge", "--fault", "503 retry-after 5");
        Assert.True(ok);
        Assert.Null(setup!.Udp);
        Assert.Equal(AuthenticationScheme.AkaV2, setup.Subscribers[0].Scheme);
        Assert.Equal("alice@ims.mnc001.mcc001.3gppnetwork.org", setup.Subscribers[1].Impi);
        Assert.Equal(120u, setup.Settings.MinExpires);
        Assert.Equal(MacFailurePolicy.Challenge, setup.Settings.OnMacFailure);
        Assert.Equal(["503 retry-after 5"], setup.Faults);
    }

    [Theory]
    [InlineData("--listen", "nowhere", "--listen")]
    [InlineData("--transport", "sctp", "--transport")]
    [InlineData("--k", "00", "k/opc/op")]
    [InlineData("--algorithm", "SHA-256", "--algorithm")]
    [InlineData("--digest-user", "nopassword", "--digest-user")]
    [InlineData("--fault", "reboot", "--fault")]
    [InlineData("--on-mac-failure", "ignore", "--on-mac-failure")]
    public void Bad_options_are_named(string option, string value, string named)
    {
        var (ok, _, error) = Read(option, value);
        Assert.False(ok);
        Assert.Contains(named, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Agent_config_points_at_the_modem_and_the_pcscf_port()
    {
        using var document = JsonDocument.Parse(AllCommand.AgentConfigJson("/tmp/state", "pty:/dev/pts/9", 5070, indented: false));
        Assert.Equal(["Daemon", "Api", "Modem", "Ims"], document.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("/tmp/state/api.sock", document.RootElement.GetProperty("Api").GetProperty("SocketPath").GetString());
        Assert.Equal("pty:/dev/pts/9", document.RootElement.GetProperty("Modem").GetProperty("Port").GetString());
        Assert.Equal(5070, document.RootElement.GetProperty("Ims").GetProperty("PcscfPort").GetInt32());
    }
}
