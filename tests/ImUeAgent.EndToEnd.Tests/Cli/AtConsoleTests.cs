// SPDX-License-Identifier: MIT
using ImUeAgent.EndToEnd.Tests.Support;

namespace ImUeAgent.EndToEnd.Tests.Cli;

/// <summary>`imue-agent at` on the published binary against a scripted modem on loopback TCP.</summary>
public sealed class AtConsoleTests
{
    private static string[]? Answer(string command) => command switch
    {
        "AT" => ["OK"],
        "ATI" => ["Quectel", "EG25", "Revision: EG25GGBR07A08M2G", "OK"],
        "AT+CEREG?" => ["+CEREG: 2,1,\"1A2B\",\"01A2B3C4\",7", "OK"],
        "AT+CPIN?" => ["+CME ERROR: 10"],
        "AT+SLOW" => null,
        _ => ["ERROR"],
    };

    [Fact]
    public async Task One_shot_commands_show_every_line_with_timestamps()
    {
        await using var modem = new ScriptedTcpModem(Answer);
        var (code, stdout, stderr) = await ChildProcess.RunAsync(Binaries.Agent, ["at", "--port", modem.Address, "ATI", "+CEREG?"]);
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n');
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\d\d:\d\d:\d\d\.\d{3} -> ATI$"));
        Assert.Contains(lines, l => l.EndsWith("<- Revision: EG25GGBR07A08M2G", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.EndsWith("-> AT+CEREG?", StringComparison.Ordinal)); // "AT" is added when left out
        Assert.Contains(lines, l => l.EndsWith("<- +CEREG: 2,1,\"1A2B\",\"01A2B3C4\",7", StringComparison.Ordinal));
        Assert.Equal(["ATI", "AT+CEREG?"], modem.Received.Where(c => c != "AT"));
    }

    [Fact]
    public async Task A_failing_command_stops_the_run_with_exit_1_and_its_result()
    {
        await using var modem = new ScriptedTcpModem(Answer);
        var (code, _, stderr) = await ChildProcess.RunAsync(Binaries.Agent, ["at", "--port", modem.Address, "AT+CPIN?", "ATI"]);
        Assert.Equal(1, code);
        Assert.Contains("imue-agent: AT+CPIN?: +CME ERROR: 10", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("ATI", modem.Received);
    }

    [Fact]
    public async Task Unanswered_command_times_out_with_exit_1()
    {
        await using var modem = new ScriptedTcpModem(Answer);
        var (code, _, stderr) = await ChildProcess.RunAsync(Binaries.Agent, ["at", "--port", modem.Address, "--timeout", "1", "AT+SLOW"]);
        Assert.Equal(1, code);
        Assert.Contains("AT+SLOW: no final result within the timeout", stderr, StringComparison.Ordinal);
        Assert.Single(modem.Received, c => c == "AT+SLOW"); // typed commands are never retransmitted
    }

    [Fact]
    public async Task Interactive_console_reads_piped_commands_marks_urcs_and_survives_ctrl_c()
    {
        await using var modem = new ScriptedTcpModem(Answer);
        await using var console = ChildProcess.Start(Binaries.Agent, ["at", "--port", modem.Address, "--timeout", "30"]);
        await console.WriteLineAsync("AT+SLOW");
        await WaitUntilAsync(() => modem.Received.Contains("AT+SLOW"));

        // Ctrl-C abandons the command in flight; the console carries on.
        console.Signal(2);
        await console.WaitForStdoutAsync("cancelled", TimeSpan.FromSeconds(20));
        await modem.SendUnsolicitedAsync("+CEREG: 5");
        await console.WaitForStdoutAsync("<- +CEREG: 5   [URC]", TimeSpan.FromSeconds(20));
        await console.WriteLineAsync("ATI");
        await console.WaitForStdoutAsync("<- EG25", TimeSpan.FromSeconds(20));
        await console.WriteLineAsync("exit");
        Assert.Equal(0, await console.WaitForExitAsync(TimeSpan.FromSeconds(20)));
    }

    [Theory]
    [InlineData("bogus:/dev/x", "--port: 'bogus:/dev/x' is not a port address")]
    [InlineData("tcp:127.0.0.1:99999", "--port: 'tcp:127.0.0.1:99999' is not a port address")]
    public async Task Bad_port_is_a_usage_error(string port, string expected)
    {
        var (code, _, stderr) = await ChildProcess.RunAsync(Binaries.Agent, ["at", "--port", port, "ATI"]);
        Assert.Equal(2, code);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Port_that_cannot_be_opened_exits_1()
    {
        var (code, _, stderr) = await ChildProcess.RunAsync(Binaries.Agent, ["at", "--port", "/dev/imue-no-such-tty", "ATI"], TimeSpan.FromSeconds(40));
        Assert.Equal(1, code);
        Assert.Contains("cannot open", stderr, StringComparison.Ordinal);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!condition())
        {
            await Task.Delay(10, cts.Token);
        }
    }
}
