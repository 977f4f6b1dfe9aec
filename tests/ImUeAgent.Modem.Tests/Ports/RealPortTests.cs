// SPDX-License-Identifier: MIT
using System.Net;
using System.Net.Sockets;
using ImUeAgent.Modem.At;
using ImUeAgent.Modem.Ports;
using ImUeAgent.Modem.Tests.At;

namespace ImUeAgent.Modem.Tests.Ports;

/// <summary>The channel over real transports: a pseudo-terminal (termios + poll), and loopback TCP.</summary>
public sealed class RealPortTests
{
    private static readonly AtChannelSettings Settings = new() { QuietGap = TimeSpan.FromMilliseconds(300) };

    [Fact]
    public async Task ChannelRunsOverAPseudoTerminalAndSeesItsHangUp()
    {
        var clock = new TestClock();
        var pty = PseudoTerminal.Open();
        try
        {
            var port = new SerialModemPort(pty.SlavePath, isPseudoTerminal: true, timeProvider: clock);
            Assert.Equal($"pty:{pty.SlavePath}", port.Name);
            await using var channel = new AtChannel(port, Settings, clock);
            channel.Start();
            var modem = pty.Modem;
            await modem.AnswerSyncAsync();
            await clock.AdvanceWhenWaitingAsync(Settings.QuietGap);
            await channel.WaitForStateAsync(AtChannelState.Ready, TestContext.Current.CancellationToken);

            var reply = channel.SendAsync(new AtCommand("AT+CGMI") { AcceptsUnprefixedLines = true }, TestContext.Current.CancellationToken);
            await modem.ExpectAsync("AT+CGMI");
            await modem.SendAsync("AT+CGMI\r\r\nQuectel\r\n\r\nOK\r\n");
            var response = await reply;
            Assert.True(response.IsOk);
            Assert.Equal(["Quectel"], response.Lines);

            // Unplug: the master closes and the slave hangs up (POLLHUP), with no periodic check involved.
            pty.Dispose();
            var broken = await channel.WaitForStateAsync(AtChannelState.Broken, TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
            Assert.Equal(AtChannelBreakReason.PortLost, broken.Reason);
        }
        finally
        {
            pty.Dispose();
        }
    }

    [Fact]
    public async Task ChannelRunsOverLoopbackTcp()
    {
        var clock = new TestClock();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var endpoint = (IPEndPoint)listener.LocalEndpoint;
        await using var channel = new AtChannel(new TcpModemPort("127.0.0.1", endpoint.Port), Settings, clock);
        channel.Start();
        using var socket = await listener.AcceptSocketAsync(TestContext.Current.CancellationToken);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var modem = new ScriptedModem(System.IO.Pipelines.PipeReader.Create(stream), System.IO.Pipelines.PipeWriter.Create(stream));
        await modem.AnswerSyncAsync();
        await clock.AdvanceWhenWaitingAsync(Settings.QuietGap);
        await channel.WaitForStateAsync(AtChannelState.Ready, TestContext.Current.CancellationToken);
        var reply = channel.SendAsync(new AtCommand("AT+CSQ", "+CSQ"), TestContext.Current.CancellationToken);
        await modem.ExpectAsync("AT+CSQ");
        await modem.ReplyAsync("+CSQ: 17,99", "OK");
        Assert.Equal(["+CSQ: 17,99"], (await reply).Lines);

        // The far end closes (ser2net restarted): the channel sees the port lost.
        socket.Shutdown(SocketShutdown.Both);
        socket.Close();
        var broken = await channel.WaitForStateAsync(AtChannelState.Broken, TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        Assert.Equal(AtChannelBreakReason.PortLost, broken.Reason);
    }

    [Fact]
    public async Task MissingSerialDeviceIsReportedAsUnavailable()
    {
        var clock = new TestClock();
        var missing = $"/dev/imue-test-missing-{Guid.NewGuid():N}";
        await using var channel = new AtChannel(new SerialModemPort(missing, timeProvider: clock), Settings, clock);
        channel.Start();
        var broken = await channel.WaitForStateAsync(AtChannelState.Broken, TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        Assert.Equal(AtChannelBreakReason.PortUnavailable, broken.Reason);
        Assert.Contains(missing, broken.Detail, StringComparison.Ordinal);
    }
}
