// SPDX-License-Identifier: MIT
using System.Text.Json;
using ImUeAgent.EndToEnd.Tests.Support;

namespace ImUeAgent.EndToEnd.Tests.Api;

/// <summary>The daemon's local API (varlink-style JSON + NUL over a Unix socket) and `imue-agent status` on it.</summary>
public sealed class LocalApiTests
{
    [Fact]
    public async Task Socket_is_ready_with_readiness_and_has_mode_0660()
    {
        await using var agent = await AgentUnderTest.StartAsync();
        Assert.True(File.Exists(agent.SocketPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite,
            File.GetUnixFileMode(agent.SocketPath));
        Assert.Equal(0, await agent.StopAsync());
        Assert.False(File.Exists(agent.SocketPath), "socket left behind after a clean stop");
    }

    [Fact]
    public async Task GetInfo_and_GetStatus_answer()
    {
        await using var agent = await AgentUnderTest.StartAsync();
        using var client = new VarlinkClient(agent.SocketPath);

        var info = await client.CallAsync("""{"method":"org.varlink.service.GetInfo"}""");
        Assert.Equal("imue-agent", info.GetProperty("parameters").GetProperty("product").GetString());
        Assert.Equal(["org.varlink.service", "org.imue.Agent"],
            info.GetProperty("parameters").GetProperty("interfaces").EnumerateArray().Select(e => e.GetString()));

        var reply = await client.CallAsync("""{"method":"org.imue.Agent.GetStatus","parameters":{}}""");
        var status = reply.GetProperty("parameters").GetProperty("status");
        Assert.Equal("running", status.GetProperty("daemon").GetString());
        Assert.Equal(agent.Process.Pid, status.GetProperty("pid").GetInt32());
        Assert.Equal(agent.ConfigPath, status.GetProperty("config").GetString());
        Assert.Equal(JsonValueKind.Null, status.GetProperty("lastFailure").ValueKind);
        Assert.Equal($"running (config {agent.ConfigPath})", reply.GetProperty("parameters").GetProperty("summary").GetString());
        Assert.False(reply.TryGetProperty("continues", out _));
    }

    [Fact]
    public async Task Bad_calls_get_error_replies_the_connection_and_daemon_carry_on_and_it_is_logged_once()
    {
        await using var agent = await AgentUnderTest.StartAsync();
        using var client = new VarlinkClient(agent.SocketPath);

        async Task<(string Error, JsonElement Parameters)> ErrorOf(string json)
        {
            var reply = await client.CallAsync(json);
            return (reply.GetProperty("error").GetString()!, reply.GetProperty("parameters"));
        }

        var (error, parameters) = await ErrorOf("""{"method":"org.imue.Agent.Frobnicate"}""");
        Assert.Equal("org.varlink.service.MethodNotFound", error);
        Assert.Equal("org.imue.Agent.Frobnicate", parameters.GetProperty("method").GetString());

        (error, parameters) = await ErrorOf("""{"method":"com.example.Other.Call"}""");
        Assert.Equal("org.varlink.service.InterfaceNotFound", error);
        Assert.Equal("com.example.Other", parameters.GetProperty("interface").GetString());

        (error, parameters) = await ErrorOf("""{"method": 12""");
        Assert.Equal("org.imue.Agent.InvalidMessage", error);
        Assert.StartsWith("malformed JSON", parameters.GetProperty("reason").GetString(), StringComparison.Ordinal);

        (error, parameters) = await ErrorOf("""{"parameters":{}}""");
        Assert.Equal("org.imue.Agent.InvalidMessage", error);
        Assert.Equal("a call needs a \"method\" string", parameters.GetProperty("reason").GetString());

        (error, _) = await ErrorOf("""{"method":"org.imue.Agent.WatchStatus"}""");
        Assert.Equal("org.varlink.service.ExpectedMore", error);

        var status = await client.CallAsync("""{"method":"org.imue.Agent.GetStatus"}""");
        Assert.Equal("running", status.GetProperty("parameters").GetProperty("status").GetProperty("daemon").GetString());

        Assert.Equal(0, await agent.StopAsync());
        Assert.Single(agent.Process.StandardError.Split('\n'), l => l.Contains("malformed call", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Overlong_message_is_refused_and_skipped_and_the_connection_goes_on()
    {
        await using var agent = await AgentUnderTest.StartAsync();
        using var client = new VarlinkClient(agent.SocketPath);
        var flood = Enumerable.Repeat((byte)'x', 200 * 1024).ToArray();
        await client.SendRawAsync(flood);
        var reply = await client.ReceiveAsync();
        Assert.Equal("org.imue.Agent.InvalidMessage", reply!.Value.GetProperty("error").GetString());
        Assert.Equal("message exceeds 65536 bytes", reply.Value.GetProperty("parameters").GetProperty("reason").GetString());

        // The rest of the oversized message is dropped up to its NUL; the next call is answered normally.
        await client.SendRawAsync([.. flood, 0]);
        var status = await client.CallAsync("""{"method":"org.imue.Agent.GetStatus"}""");
        Assert.Equal("running", status.GetProperty("parameters").GetProperty("status").GetProperty("daemon").GetString());
    }

    [Fact]
    public async Task WatchStatus_streams_with_continues()
    {
        await using var agent = await AgentUnderTest.StartAsync();
        using var client = new VarlinkClient(agent.SocketPath);
        await client.SendAsync("""{"method":"org.imue.Agent.WatchStatus","more":true}""");
        var first = await client.ReceiveAsync();
        Assert.True(first!.Value.GetProperty("continues").GetBoolean());
        Assert.Equal("running", first.Value.GetProperty("parameters").GetProperty("status").GetProperty("daemon").GetString());
        Assert.Equal(0, await agent.StopAsync());
    }

    [Fact]
    public async Task Clients_that_vanish_mid_stream_cost_the_daemon_nothing()
    {
        await using var agent = await AgentUnderTest.StartAsync();
        for (var i = 0; i < 5; i++)
        {
            using var watcher = new VarlinkClient(agent.SocketPath);
            await watcher.SendAsync("""{"method":"org.imue.Agent.WatchStatus","more":true}""");
            Assert.NotNull(await watcher.ReceiveAsync());
        }

        using (var half = new VarlinkClient(agent.SocketPath))
        {
            await half.SendRawAsync("""{"method":"org.imue.Agent.GetSt"""u8.ToArray());
        }

        using var client = new VarlinkClient(agent.SocketPath);
        var status = await client.CallAsync("""{"method":"org.imue.Agent.GetStatus"}""");
        Assert.Equal("running", status.GetProperty("parameters").GetProperty("status").GetProperty("daemon").GetString());
        Assert.Equal(0, await agent.StopAsync());
        Assert.DoesNotContain("fail", agent.Process.StandardError, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_second_daemon_on_the_same_socket_refuses_to_start_and_a_stale_socket_is_replaced()
    {
        await using var agent = await AgentUnderTest.StartAsync();
        var config = Path.Combine(agent.Directory, "second.json");
        File.Copy(agent.ConfigPath, config);
        var (code, _, stderr) = await ChildProcess.RunAsync(Binaries.Agent, ["run", "--config", config]);
        Assert.Equal(1, code);
        Assert.Contains($"{agent.SocketPath}: another imue-agent is serving this API socket", stderr, StringComparison.Ordinal);

        // Kill -9 leaves the socket file; the next start removes it and serves.
        agent.Process.Signal(Posix.SIGKILL);
        await agent.Process.WaitForExitAsync(TimeSpan.FromSeconds(10));
        Assert.True(File.Exists(agent.SocketPath));
        using var notify = new NotifySocket();
        await using var next = ChildProcess.Start(Binaries.Agent, ["run", "--config", agent.ConfigPath],
            new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = notify.Path });
        await notify.WaitForAsync("READY=1", TimeSpan.FromSeconds(20));
        using var client = new VarlinkClient(agent.SocketPath);
        var status = await client.CallAsync("""{"method":"org.imue.Agent.GetStatus"}""");
        Assert.Equal(next.Pid, status.GetProperty("parameters").GetProperty("status").GetProperty("pid").GetInt32());
    }

    [Fact]
    public async Task Status_command_prints_text_and_json()
    {
        await using var agent = await AgentUnderTest.StartAsync();
        var (code, stdout, _) = await ChildProcess.RunAsync(Binaries.Agent, ["status", "--socket", agent.SocketPath]);
        Assert.Equal(0, code);
        var lines = stdout.Split('\n');
        Assert.Matches($@"^daemon        running \(pid {agent.Process.Pid}, up \d\d:\d\d:\d\d\)$", lines[0]);
        Assert.Equal($"config        {agent.ConfigPath}", lines[2]);
        Assert.Equal("last failure  none", lines[3]);

        (code, stdout, _) = await ChildProcess.RunAsync(Binaries.Agent, ["status", "--socket", agent.SocketPath, "--json"]);
        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal("running", json.RootElement.GetProperty("daemon").GetString());
    }

    [Fact]
    public async Task Status_without_a_daemon_exits_1_saying_why()
    {
        var path = Path.Combine(Path.GetTempPath(), $"imue-absent-{Guid.NewGuid():N}.sock");
        var (code, _, stderr) = await ChildProcess.RunAsync(Binaries.Agent, ["status", "--socket", path]);
        Assert.Equal(1, code);
        Assert.Contains($"cannot connect to {path}: no such socket", stderr, StringComparison.Ordinal);

        (code, _, stderr) = await ChildProcess.RunAsync(Binaries.Agent, ["status", "--socket", path, "--wait", "running", "--timeout", "1"]);
        Assert.Equal(1, code);
        Assert.Contains("the daemon did not reach 'running' within 1 s", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_wait_covers_a_daemon_that_starts_later()
    {
        var dir = Directory.CreateTempSubdirectory("imue-wait-");
        try
        {
            var config = AgentUnderTest.WriteConfig(dir.FullName);
            await using var waiter = ChildProcess.Start(Binaries.Agent,
                ["status", "--socket", Path.Combine(dir.FullName, "api.sock"), "--wait", "running", "--timeout", "30"]);
            await using var daemon = ChildProcess.Start(Binaries.Agent, ["run", "--config", config]);
            var code = await waiter.WaitForExitAsync(TimeSpan.FromSeconds(30));
            Assert.True(code == 0, $"status exited {code}: {waiter.StandardError}\ndaemon: {daemon.StandardError}");
            Assert.StartsWith("daemon        running", waiter.StandardOutput, StringComparison.Ordinal);
            daemon.Signal(Posix.SIGTERM);
            var daemonCode = await daemon.WaitForExitAsync(TimeSpan.FromSeconds(10));
            Assert.True(daemonCode == 0, $"daemon exited {daemonCode}: {daemon.StandardError}");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
