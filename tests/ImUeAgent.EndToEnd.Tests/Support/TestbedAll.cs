// SPDX-License-Identifier: MIT
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace ImUeAgent.EndToEnd.Tests.Support;

/// <summary>
/// `imue-testbed all` (emulated modem on a pty + software IMS core) started by a test, with the agent config it prints
/// and its control sockets; disposing stops it by pid.
/// </summary>
internal sealed class TestbedAll : IAsyncDisposable
{
    private TestbedAll(ChildProcess process, DirectoryInfo dir, string coreControl, string modemControl, string sipLog)
    {
        Process = process;
        Directory = dir;
        CoreControl = coreControl;
        ModemControl = modemControl;
        SipLog = sipLog;
    }

    public ChildProcess Process { get; }

    public DirectoryInfo Directory { get; }

    public string AgentConfig => Path.Combine(Directory.FullName, "agent.json");

    public string SocketPath => Path.Combine(Directory.FullName, "api.sock");

    public string CoreControl { get; }

    public string ModemControl { get; }

    /// <summary>The core's JSON-lines log of every SIP message it saw.</summary>
    public string SipLog { get; }

    public static async Task<TestbedAll> StartAsync(string transport = "udp", params string[] options)
    {
        var dir = System.IO.Directory.CreateTempSubdirectory("imue-all-");
        var log = Path.Combine(dir.FullName, "sip.jsonl");
        var process = ChildProcess.Start(Binaries.Testbed,
        [
            "all", "--listen", "127.0.0.1:0", "--control", "127.0.0.1:0", "--modem-control", "127.0.0.1:0",
            "--agent-config", Path.Combine(dir.FullName, "agent.json"), "--state-dir", dir.FullName, "--log", log,
            "--modem-link", Path.Combine(dir.FullName, "tty"), .. options,
        ]);
        try
        {
            await process.WaitForStdoutAsync("agent-config ", TimeSpan.FromSeconds(30));
        }
        catch
        {
            await process.DisposeAsync();
            dir.Delete(recursive: true);
            throw;
        }

        var lines = process.StandardOutput.Split('\n');
        var core = lines.First(l => l.StartsWith("control ", StringComparison.Ordinal))[8..];
        var modem = lines.First(l => l.StartsWith("modem control ", StringComparison.Ordinal))["modem control ".Length..];
        var all = new TestbedAll(process, dir, core, modem, log);
        if (transport != "udp")
        {
            var config = File.ReadAllText(all.AgentConfig).Replace("\"Transport\": \"udp\"", $"\"Transport\": \"{transport}\"", StringComparison.Ordinal);
            File.WriteAllText(all.AgentConfig, config);
        }

        return all;
    }

    public Task<string> CoreAsync(string command) => ControlAsync(CoreControl, command);

    public Task<string> ModemAsync(string command) => ControlAsync(ModemControl, command);

    /// <summary>Start lines of the SIP messages the core logged, in order.</summary>
    public IReadOnlyList<JsonElement> SipMessages()
    {
        var list = new List<JsonElement>();
        using var stream = new FileStream(SipLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var lines = reader.ReadToEnd().Split('\n');
        // The core may be writing a line right now: only newline-terminated lines are complete.
        foreach (var line in lines[..^1])
        {
            if (line.Length > 0)
            {
                using var document = JsonDocument.Parse(line);
                list.Add(document.RootElement.Clone());
            }
        }

        return list;
    }

    private static async Task<string> ControlAsync(string endpoint, string command)
    {
        var colon = endpoint.LastIndexOf(':');
        using var client = new TcpClient();
        await client.ConnectAsync(endpoint[..colon], int.Parse(endpoint[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\n"));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        return await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)) ?? "";
    }

    public async ValueTask DisposeAsync()
    {
        await Process.TerminateAsync(TimeSpan.FromSeconds(10));
        await Process.DisposeAsync();
        Directory.Delete(recursive: true);
    }
}
