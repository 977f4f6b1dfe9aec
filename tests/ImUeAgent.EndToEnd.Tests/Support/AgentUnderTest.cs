// SPDX-License-Identifier: MIT
namespace ImUeAgent.EndToEnd.Tests.Support;

/// <summary>
/// The published agent started as systemd would (a NOTIFY_SOCKET this test reads), with its state and API socket in
/// a scratch directory; started means READY=1 was received. Disposing stops it by pid.
/// </summary>
internal sealed class AgentUnderTest : IAsyncDisposable
{
    private readonly DirectoryInfo _dir;

    private AgentUnderTest(DirectoryInfo dir, NotifySocket notify, ChildProcess process)
    {
        _dir = dir;
        Notify = notify;
        Process = process;
    }

    public NotifySocket Notify { get; }

    public ChildProcess Process { get; }

    public string Directory => _dir.FullName;

    public string SocketPath => Path.Combine(_dir.FullName, "api.sock");

    public string ConfigPath => Path.Combine(_dir.FullName, "agent.json");

    public static string WriteConfig(string directory, string extraSections = "")
    {
        var state = System.IO.Directory.CreateDirectory(Path.Combine(directory, "state")).FullName;
        var path = Path.Combine(directory, "agent.json");
        File.WriteAllText(path, $$"""
            {
              "Daemon": { "StateDirectory": "{{state}}" },
              "Api": { "SocketPath": "{{directory}}/api.sock" }{{extraSections}}
            }
            """);
        return path;
    }

    public static async Task<AgentUnderTest> StartAsync(string extraSections = "", bool waitForReady = true)
    {
        var dir = System.IO.Directory.CreateTempSubdirectory("imue-agent-");
        var config = WriteConfig(dir.FullName, extraSections);
        var notify = new NotifySocket();
        var process = ChildProcess.Start(Binaries.Agent, ["run", "--config", config],
            new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = notify.Path });
        var agent = new AgentUnderTest(dir, notify, process);
        if (waitForReady)
        {
            await notify.WaitForAsync("READY=1", TimeSpan.FromSeconds(20));
        }

        return agent;
    }

    public async Task<int> StopAsync()
    {
        Process.Signal(Posix.SIGTERM);
        return await Process.WaitForExitAsync(TimeSpan.FromSeconds(10));
    }

    public async ValueTask DisposeAsync()
    {
        await Process.DisposeAsync();
        Notify.Dispose();
        _dir.Delete(recursive: true);
    }
}
