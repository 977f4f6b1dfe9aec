// SPDX-License-Identifier: MIT
using ImUeAgent.EndToEnd.Tests.Support;

namespace ImUeAgent.EndToEnd.Tests.Cli;

/// <summary>The published agent on a real pseudo-terminal served by `imue-testbed modem` (termios + poll on a pty).</summary>
public sealed class AtOverPtyTests
{
    [Fact]
    public async Task At_console_talks_to_the_emulated_modem_over_a_pty()
    {
        await using var modem = await TestbedModem.StartAsync();
        Assert.StartsWith("pty:", modem.Port, StringComparison.Ordinal);
        Assert.StartsWith("/dev/pts/", File.ResolveLinkTarget(modem.Port[4..], returnFinalTarget: true)!.FullName, StringComparison.Ordinal);
        var (code, stdout, stderr) = await ChildProcess.RunAsync(Binaries.Agent, ["at", "--port", modem.Port, "AT+CGSN", "AT+CIMI"]);
        Assert.True(code == 0, stderr);
        Assert.Contains(stdout.Split('\n'), l => l.EndsWith("<- 001010123456789", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Garbage_from_the_modem_is_reported_and_skipped()
    {
        await using var modem = await TestbedModem.StartAsync();
        await using var console = ChildProcess.Start(Binaries.Agent, ["at", "--port", modem.Port]);
        await console.WriteLineAsync("AT+CGSN");
        await console.WaitForStdoutAsync("<- AT+CGSN", TimeSpan.FromSeconds(20));
        await console.WaitForStdoutAsync("<- OK", TimeSpan.FromSeconds(20));

        // Bytes no modem should send, then a normal exchange: the garbage is shown and the console carries on.
        Assert.StartsWith("OK", await modem.ControlAsync("garbage 64"), StringComparison.Ordinal);
        await console.WriteLineAsync("AT+CIMI");
        await console.WaitForStdoutAsync("<- 001010123456789", TimeSpan.FromSeconds(20));
        await console.WriteLineAsync("exit");
        Assert.Equal(0, await console.WaitForExitAsync(TimeSpan.FromSeconds(20)));
    }
}
