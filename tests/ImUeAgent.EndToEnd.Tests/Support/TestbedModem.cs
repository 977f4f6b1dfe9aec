// SPDX-License-Identifier: MIT
using System.Net.Sockets;
using System.Text;

namespace ImUeAgent.EndToEnd.Tests.Support;

/// <summary>
/// `imue-testbed modem` started by a test on a fresh pseudo-terminal (or TCP), with its control socket for fault
/// injection. Disposing stops it by pid.
/// </summary>
internal sealed class TestbedModem : IAsyncDisposable
{
    private TestbedModem(ChildProcess process, string port, string control)
    {
        Process = process;
        Port = port;
        Control = control;
    }

    public ChildProcess Process { get; }

    /// <summary>The address the agent opens: pty:/dev/pts/N or tcp:127.0.0.1:P.</summary>
    public string Port { get; }

    public string Control { get; }

    /// <summary>
    /// Starts the emulator with a symlink to its pty, as udev gives a real modem a stable name: after `vanish` the
    /// pty may come back under another /dev/pts number (possibly one another test just took), the link follows it.
    /// </summary>
    public static async Task<TestbedModem> StartAsync(params string[] options)
    {
        var link = Path.Combine(Path.GetTempPath(), $"imue-tty-{Guid.NewGuid():N}");
        var process = ChildProcess.Start(Binaries.Testbed, ["modem", "--control", "127.0.0.1:0", "--link", link, .. options]);
        try
        {
            await process.WaitForStdoutAsync("ready", TimeSpan.FromSeconds(30));
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }

        var lines = process.StandardOutput.Split('\n');
        var port = lines.Any(l => l.StartsWith("pty ", StringComparison.Ordinal))
            ? "pty:" + link
            : "tcp:" + lines.First(l => l.StartsWith("tcp ", StringComparison.Ordinal))[4..];
        var control = lines.First(l => l.StartsWith("control ", StringComparison.Ordinal))[8..];
        return new TestbedModem(process, port, control);
    }

    /// <summary>Sends one control command (e.g. "vanish 2000") and returns the emulator's answer line.</summary>
    public async Task<string> ControlAsync(string command)
    {
        var colon = Control.LastIndexOf(':');
        using var client = new TcpClient();
        await client.ConnectAsync(Control[..colon], int.Parse(Control[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\n"));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var answer = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
        return answer ?? "";
    }

    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            Process.Signal(Posix.SIGTERM);
            try
            {
                await Process.WaitForExitAsync(TimeSpan.FromSeconds(10));
            }
            catch (TimeoutException)
            {
            }
        }

        await Process.DisposeAsync();
    }
}
