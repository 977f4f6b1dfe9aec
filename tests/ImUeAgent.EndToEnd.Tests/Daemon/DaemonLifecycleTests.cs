// SPDX-License-Identifier: MIT
using System.Diagnostics;
using ImUeAgent.EndToEnd.Tests.Support;

namespace ImUeAgent.EndToEnd.Tests.Daemon;

/// <summary>
/// `imue-agent run` as systemd runs it: Type=notify readiness, STATUS=, watchdog pings, journald log format, and a
/// clean exit within 5 s of SIGTERM. The test plays the service manager through a real NOTIFY_SOCKET.
/// </summary>
public sealed class DaemonLifecycleTests : IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(20);
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("imue-daemon-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string WriteConfig(string extra = "")
    {
        var state = Directory.CreateDirectory(Path.Combine(_dir.FullName, "state")).FullName;
        var path = Path.Combine(_dir.FullName, "agent.json");
        File.WriteAllText(path, $$"""{ "Daemon": { "StateDirectory": "{{state}}"{{extra}} }, "Api": { "SocketPath": "{{_dir.FullName}}/api.sock" } }""");
        return path;
    }

    [Fact]
    public async Task Notifies_ready_and_status_then_stops_on_sigterm_within_5_s()
    {
        using var notify = new NotifySocket();
        var config = WriteConfig();
        await using var agent = ChildProcess.Start(Binaries.Agent, ["run", "--config", config],
            new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = notify.Path });

        await notify.WaitForAsync("READY=1", Generous);
        await notify.WaitForAsync("STATUS=running (config " + config + ")", Generous);

        var stopwatch = Stopwatch.StartNew();
        agent.Signal(Posix.SIGTERM);
        await notify.WaitForAsync("STOPPING=1", Generous);
        var code = await agent.WaitForExitAsync(TimeSpan.FromSeconds(10));
        stopwatch.Stop();

        Assert.Equal(0, code);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"took {stopwatch.Elapsed} to stop");
        Assert.Contains("starting with " + config, agent.StandardError, StringComparison.Ordinal);
        Assert.Contains("stopped", agent.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stops_cleanly_on_sigint_without_a_service_manager()
    {
        await using var agent = ChildProcess.Start(Binaries.Agent, ["run", "--config", WriteConfig()]);
        await agent.WaitForStderrAsync("status: running", Generous);
        agent.Signal(2);
        Assert.Equal(0, await agent.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        // Readable console lines: ISO-8601 UTC timestamp, level, category, message.
        Assert.Matches(@"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info: ImUeAgent\.Daemon\.StatusReporter\[1\] imue-agent ", agent.StandardError);
    }

    [Fact]
    public async Task Pings_the_watchdog_at_half_the_interval()
    {
        using var notify = new NotifySocket();
        await using var agent = ChildProcess.Start(Binaries.Agent, ["run", "--config", WriteConfig()],
            new Dictionary<string, string?>
            {
                ["NOTIFY_SOCKET"] = notify.Path,
                ["WATCHDOG_USEC"] = "400000",
            });

        var first = await notify.WaitForAsync("WATCHDOG=1", Generous, occurrence: 2);
        var third = await notify.WaitForAsync("WATCHDOG=1", Generous, occurrence: 4);
        agent.Signal(Posix.SIGTERM);
        Assert.Equal(0, await agent.WaitForExitAsync(TimeSpan.FromSeconds(10)));

        // Pings come every 200 ms; the check only guards against pinging far too rarely or in a tight loop.
        var gap = (third.At - first.At) / 2;
        Assert.InRange(gap, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(400));
        Assert.Contains("systemd watchdog enabled: 0.4 s", agent.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watchdog_meant_for_another_pid_is_ignored()
    {
        using var notify = new NotifySocket();
        await using var agent = ChildProcess.Start(Binaries.Agent, ["run", "--config", WriteConfig()],
            new Dictionary<string, string?>
            {
                ["NOTIFY_SOCKET"] = notify.Path,
                ["WATCHDOG_USEC"] = "200000",
                ["WATCHDOG_PID"] = "1",
            });
        await notify.WaitForAsync("READY=1", Generous);
        agent.Signal(Posix.SIGTERM);
        await notify.WaitForAsync("STOPPING=1", Generous);
        Assert.Equal(0, await agent.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        Assert.DoesNotContain(notify.History, m => m.Message.Contains("WATCHDOG=1", StringComparison.Ordinal));
        Assert.DoesNotContain("watchdog enabled", agent.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logs_with_journald_priorities_under_journal_stream()
    {
        await using var agent = ChildProcess.Start(Binaries.Agent, ["run", "--config", WriteConfig()],
            new Dictionary<string, string?> { ["JOURNAL_STREAM"] = "8:12345" });
        await agent.WaitForStderrAsync("status: running", Generous);
        agent.Signal(Posix.SIGTERM);
        Assert.Equal(0, await agent.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        // sd-daemon(3) priority prefix, no timestamp (journald adds its own).
        Assert.Contains(agent.StandardError.Split('\n'), l => l.StartsWith("<6>ImUeAgent.Daemon.StatusReporter[1] imue-agent ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Log_level_option_overrides_the_file()
    {
        using var notify = new NotifySocket();
        await using var agent = ChildProcess.Start(Binaries.Agent,
            ["run", "--config", WriteConfig(", \"LogLevel\": \"Information\""), "--log-level", "Warning"],
            new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = notify.Path });
        // Nothing at Information is written; the process still runs until told to stop.
        await notify.WaitForAsync("READY=1", Generous);
        agent.Signal(Posix.SIGTERM);
        Assert.Equal(0, await agent.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        Assert.DoesNotContain("info:", agent.StandardError, StringComparison.Ordinal);
    }
}
