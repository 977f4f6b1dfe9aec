// SPDX-License-Identifier: MIT
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using ImUeAgent.Testbed.Modem;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImUeAgent.Testbed.Tests.Modem;

/// <summary>The emulator over a real pseudo-terminal and over loopback TCP, with the control socket.</summary>
public sealed class ModemPortTests : IAsyncDisposable
{
    private readonly SignallingTimeProvider _time = new();
    private readonly UiccCard _card = new(new CardSettings(), ModemQuirks.None);
    private readonly ModemInterpreter _interpreter;
    private readonly Transcript _transcript;
    private readonly Channel<string> _announced = Channel.CreateUnbounded<string>();
    private readonly CancellationTokenSource _stop = new();
    private ModemEmulator? _emulator;
    private Task? _running;

    public ModemPortTests()
    {
        _interpreter = new ModemInterpreter(new ModemSettings(), _card, _time);
        _transcript = new Transcript(TextWriter.Null, _time, ownsWriter: false);
    }

    private async Task<ModemEmulator> StartAsync(Func<IModemPort> createPort)
    {
        _emulator = new ModemEmulator(createPort, _interpreter, new FaultState(), _transcript, NullLogger.Instance, _time,
            line => _announced.Writer.TryWrite(line));
        _running = _emulator.RunAsync(_stop.Token);
        await _emulator.FirstPortReady.WaitAsync(TestSupport.Patience, TestContext.Current.CancellationToken);
        return _emulator;
    }

    private async Task<string> AnnouncedAsync()
    {
        using var timeout = new CancellationTokenSource(TestSupport.Patience);
        return await _announced.Reader.ReadAsync(timeout.Token);
    }

    [Fact]
    public async Task Pty_serves_a_client_that_closes_and_reopens_and_survives_vanishing()
    {
        var directory = Directory.CreateTempSubdirectory("imue-pty-");
        var link = Path.Combine(directory.FullName, "ttyIMUE");
        try
        {
            var emulator = await StartAsync(() => PtyModemPort.Create(link));
            var pty = await AnnouncedAsync();
            Assert.StartsWith("pty /dev/pts/", pty, StringComparison.Ordinal);
            Assert.Equal("link " + link, await AnnouncedAsync());
            Assert.Equal(pty["pty ".Length..], new FileInfo(link).LinkTarget);

            using (var client = PtyClient.Open(link))
            {
                client.Send("AT\r");
                Assert.Equal("AT\r\r\nOK\r\n", await client.ReadUntilAsync("OK\r\n"));
                client.Send("ATE0\r");
                await client.ReadUntilAsync("OK\r\n");
            }

            // Closed and reopened: the same MT (echo still off) answers.
            using (var client = PtyClient.Open(link))
            {
                client.Send("AT+CGMI\r");
                Assert.Equal("\r\nImUeAgent\r\n\r\nOK\r\n", await client.ReadUntilAsync("OK\r\n"));
            }

            Assert.Equal("OK", await emulator.ControlAsync("vanish 500", TestContext.Current.CancellationToken));
            await _time.WaitForTimerAsync(TimeSpan.FromMilliseconds(500));
            Assert.False(File.Exists(link));
            Assert.False(File.Exists(pty["pty ".Length..]));
            _time.Advance(TimeSpan.FromMilliseconds(500));
            Assert.StartsWith("pty /dev/pts/", await AnnouncedAsync(), StringComparison.Ordinal);
            Assert.Equal("link " + link, await AnnouncedAsync());

            // The modem came back rebooted: echo on again.
            using (var client = PtyClient.Open(link))
            {
                client.Send("AT\r");
                Assert.Equal("AT\r\r\nOK\r\n", await client.ReadUntilAsync("OK\r\n"));
            }
        }
        finally
        {
            await DisposeAsync();
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Tcp_port_with_control_socket_injects_faults()
    {
        var emulator = await StartAsync(() => TcpModemPort.Listen(new IPEndPoint(IPAddress.Loopback, 0)));
        var announced = await AnnouncedAsync();
        Assert.StartsWith("tcp 127.0.0.1:", announced, StringComparison.Ordinal);
        var modemEndPoint = IPEndPoint.Parse(announced["tcp ".Length..]);
        await using var control = ControlServer.Start(new IPEndPoint(IPAddress.Loopback, 0), emulator.ControlAsync, NullLogger.Instance);
        var controlRun = control.RunAsync(_stop.Token);
        Assert.StartsWith("control 127.0.0.1:", control.Announcement, StringComparison.Ordinal);

        using var controlClient = new TcpClient();
        await controlClient.ConnectAsync((IPEndPoint)control.LocalEndPoint, TestContext.Current.CancellationToken);
        var controlStream = controlClient.GetStream();
        using var controlReader = new StreamReader(controlStream);

        async Task<string?> ControlAsync(string line)
        {
            await controlStream.WriteAsync(Encoding.ASCII.GetBytes(line + "\n"), TestContext.Current.CancellationToken);
            return await controlReader.ReadLineAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(TestSupport.Patience, TestContext.Current.CancellationToken);
        }

        Assert.Equal("ERROR unknown command (try help)", await ControlAsync("fly"));
        Assert.Equal("ERROR no client connected", await ControlAsync("garbage 8"));

        using var modemClient = new TcpClient();
        await modemClient.ConnectAsync(modemEndPoint, TestContext.Current.CancellationToken);
        var stream = modemClient.GetStream();
        var te = new StreamSide(stream);
        await te.SendAsync("ATE0\r");
        await te.ReadUntilAsync("OK\r\n");

        Assert.Equal("OK", await ControlAsync("drop next"));
        await te.SendAsync("AT+CGMI\r");
        await te.SendAsync("AT+CGMR\r");
        Assert.Equal("\r\nTB01R01\r\n\r\nOK\r\n", await te.ReadUntilAsync("OK\r\n"));

        Assert.Equal("OK", await ControlAsync("reset"));
        Assert.Equal("\r\nRDY\r\n\r\n+CPIN: READY\r\n", await te.ReadUntilAsync("+CPIN: READY\r\n"));

        Assert.Equal("OK", await ControlAsync("urc +TEST: 1"));
        Assert.EndsWith("+TEST: 1\r\n", await te.ReadUntilAsync("+TEST: 1\r\n"), StringComparison.Ordinal);

        Assert.Equal("OK", await ControlAsync("garbage 16"));
        await te.SendAsync("AT\r");
        Assert.True((await te.ReadUntilAsync("AT\r\r\nOK\r\n")).Length >= 16 + 9);

        Assert.StartsWith("OK cfun=1 sim=ready", await ControlAsync("status"), StringComparison.Ordinal);

        // One connection at a time: after the first client leaves, the next is served.
        modemClient.Close();
        using var second = new TcpClient();
        await second.ConnectAsync(modemEndPoint, TestContext.Current.CancellationToken);
        var te2 = new StreamSide(second.GetStream());
        await te2.SendAsync("AT\r");
        Assert.Equal("AT\r\r\nOK\r\n", await te2.ReadUntilAsync("OK\r\n"));

        await _stop.CancelAsync();
        await controlRun.WaitAsync(TestSupport.Patience, TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }

        if (_running is not null)
        {
            try
            {
                await _running.WaitAsync(TestSupport.Patience);
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }

            _running = null;
        }

        if (_emulator is not null)
        {
            await _emulator.DisposeAsync();
            _emulator = null;
        }

        _card.Dispose();
        _transcript.Dispose();
    }

    /// <summary>A TE on the pty slave: reads only when poll says there is data, so closing never races a blocked read.</summary>
    private sealed class PtyClient : IDisposable
    {
        private readonly FileStream _stream;
        private readonly StringBuilder _received = new();

        private PtyClient(FileStream stream) => _stream = stream;

        public static PtyClient Open(string path) =>
            new(new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, bufferSize: 0));

        public void Send(string text)
        {
            _stream.Write(Encoding.ASCII.GetBytes(text));
            _stream.Flush();
        }

        public async Task<string> ReadUntilAsync(string expected)
        {
            var deadline = DateTime.UtcNow + TestSupport.Patience;
            var buffer = new byte[1024];
            while (true)
            {
                var text = _received.ToString();
                var index = text.IndexOf(expected, StringComparison.Ordinal);
                if (index >= 0)
                {
                    _received.Remove(0, index + expected.Length);
                    return text[..(index + expected.Length)];
                }

                Assert.True(DateTime.UtcNow < deadline, $"no \"{expected}\" within {TestSupport.Patience}; got \"{text}\"");
                var fd = new PtyNative.PollFd { Fd = (int)_stream.SafeFileHandle.DangerousGetHandle(), Events = PtyNative.PollIn };
                // poll() blocks this thread for at most 100 ms while waiting for the emulator's bytes.
                await Task.Run(() => PtyNative.poll(ref fd, 1, 100));
                if ((fd.Revents & PtyNative.PollIn) != 0)
                {
                    var count = _stream.Read(buffer);
                    _received.Append(Encoding.Latin1.GetString(buffer, 0, count));
                }
            }
        }

        public void Dispose() => _stream.Dispose();
    }

    private sealed class StreamSide(NetworkStream stream)
    {
        private readonly StringBuilder _received = new();

        public async Task SendAsync(string text) => await stream.WriteAsync(Encoding.ASCII.GetBytes(text));

        public async Task<string> ReadUntilAsync(string expected)
        {
            using var timeout = new CancellationTokenSource(TestSupport.Patience);
            var buffer = new byte[1024];
            while (true)
            {
                var text = _received.ToString();
                var index = text.IndexOf(expected, StringComparison.Ordinal);
                if (index >= 0)
                {
                    _received.Remove(0, index + expected.Length);
                    return text[..(index + expected.Length)];
                }

                var count = await stream.ReadAsync(buffer, timeout.Token);
                if (count == 0)
                {
                    throw new EndOfStreamException($"closed before \"{expected}\"; got \"{text}\"");
                }

                _received.Append(Encoding.Latin1.GetString(buffer, 0, count));
            }
        }
    }
}
