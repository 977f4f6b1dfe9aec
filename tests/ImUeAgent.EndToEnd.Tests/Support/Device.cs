// SPDX-License-Identifier: MIT
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ImUeAgent.EndToEnd.Tests.Support;

/// <summary>
/// One published agent on the testbed: the `all` card's device (IMS AKA over the emulated modem) or a digest account
/// without a modem (`all --digest-user NAME:PASSWORD`), each with its own state directory and API socket; messaging
/// through the API as an application would. Stopped by pid.
/// </summary>
internal sealed class Device : IAsyncDisposable
{
    public const string Domain = "ims.mnc001.mcc001.3gppnetwork.org";
    public const string CardImpu = "sip:001010123456789@" + Domain;
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(150);

    private Device(string name, string configPath, string socketPath, string impu)
    {
        Name = name;
        ConfigPath = configPath;
        SocketPath = socketPath;
        Impu = impu;
    }

    public string Name { get; }

    public string ConfigPath { get; }

    public string SocketPath { get; }

    public string Impu { get; }

    public ChildProcess? Process { get; private set; }

    public NotifySocket? Notify { get; private set; }

    /// <summary>The card's device: the agent config `all` wrote.</summary>
    public static Device Card(TestbedAll testbed) => new("card", testbed.AgentConfig, testbed.SocketPath, CardImpu);

    /// <summary>A digest account of the core (`--digest-user USER:PASSWORD`) on a device without a modem.</summary>
    public static Device DigestUser(TestbedAll testbed, string user, string password)
    {
        var dir = Path.Combine(testbed.Directory.FullName, user);
        System.IO.Directory.CreateDirectory(dir);
        var config = JsonNode.Parse(File.ReadAllText(testbed.AgentConfig))!;
        config["Daemon"]!["StateDirectory"] = dir;
        config["Api"]![nameof(SocketPath)] = Path.Combine(dir, "api.sock");
        config["Modem"]!["Port"] = "";
        config["Modem"]!["PcscfAddresses"] = new JsonArray("127.0.0.1");
        config["Ims"]!["Digest"] = new JsonObject
        {
            ["Username"] = $"{user}@{Domain}",
            ["Password"] = password,
            ["PublicIdentity"] = $"sip:{user}@{Domain}",
        };
        var path = Path.Combine(dir, "agent.json");
        File.WriteAllText(path, config.ToJsonString());
        return new Device(user, path, Path.Combine(dir, "api.sock"), $"sip:{user}@{Domain}");
    }

    /// <summary>Starts the agent and waits until it is registered.</summary>
    public async Task StartAsync()
    {
        Notify = new NotifySocket();
        Process = ChildProcess.Start(Binaries.Agent, ["run", "--config", ConfigPath],
            new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = Notify.Path });
        await Notify.WaitForAsync("STATUS=registered as", Long);
    }

    /// <summary>SIGKILL: nothing is flushed, nothing de-registers.</summary>
    public async Task KillAsync()
    {
        Process!.Signal(Posix.SIGKILL);
        await Process.WaitForExitAsync(TimeSpan.FromSeconds(10));
        await Process.DisposeAsync();
        Process = null;
        Notify?.Dispose();
        Notify = null;
    }

    public async Task<JsonElement> CallAsync(string method, string parameters = "{}")
    {
        using var client = new VarlinkClient(SocketPath);
        var reply = await client.CallAsync($$"""{"method":"org.imue.Agent.{{method}}","parameters":{{parameters}}}""");
        if (reply.TryGetProperty("error", out var error))
        {
            throw new InvalidOperationException($"{Name}: {method} answered {error.GetString()}: {reply.GetProperty("parameters")}");
        }

        return reply.GetProperty("parameters");
    }

    /// <summary>SendMessage; returns the outbox id.</summary>
    public async Task<long> SendAsync(string parameters) => (await CallAsync("SendMessage", parameters)).GetProperty("id").GetInt64();

    /// <summary>Waits until the inbox (unacknowledged) holds at least <paramref name="count"/> messages; returns them.</summary>
    public Task<List<JsonElement>> WaitForInboxAsync(int count, TimeSpan? timeout = null) =>
        WaitForInboxAsync(messages => messages.Count >= count, $"{count} messages", timeout);

    /// <summary>Collects the inbox stream until <paramref name="done"/> holds for what arrived; returns it.</summary>
    public async Task<List<JsonElement>> WaitForInboxAsync(Func<List<JsonElement>, bool> done, string what, TimeSpan? timeout = null)
    {
        using var watcher = new VarlinkClient(SocketPath);
        await watcher.SendAsync("""{"method":"org.imue.Agent.WatchInbox","more":true}""");
        var messages = new List<JsonElement>();
        var deadline = DateTime.UtcNow + (timeout ?? Long);
        while (!done(messages))
        {
            var left = deadline - DateTime.UtcNow;
            var reply = await watcher.ReceiveAsync(left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1))
                ?? throw new InvalidOperationException($"{Name}: inbox stream ended with {messages.Count} messages, waiting for {what}");
            if (reply.TryGetProperty("error", out var error))
            {
                throw new InvalidOperationException($"{Name}: WatchInbox answered {error.GetString()}");
            }

            messages.Add(reply.GetProperty("parameters").GetProperty("message").Clone());
        }

        return messages;
    }

    /// <summary>Waits (over WatchStatus) until the status satisfies <paramref name="reached"/>; returns it.</summary>
    public async Task<JsonElement> WaitForStatusAsync(Func<JsonElement, bool> reached)
    {
        using var watcher = new VarlinkClient(SocketPath);
        await watcher.SendAsync("""{"method":"org.imue.Agent.WatchStatus","more":true}""");
        while (true)
        {
            var reply = await watcher.ReceiveAsync(Long) ?? throw new InvalidOperationException($"{Name}: status stream ended");
            var status = reply.GetProperty("parameters").GetProperty("status");
            if (reached(status))
            {
                return status.Clone();
            }
        }
    }

    /// <summary>Waits for a delivery event of message <paramref name="id"/> in one of <paramref name="states"/>.</summary>
    public async Task<JsonElement> WaitForDeliveryAsync(long id, params string[] states)
    {
        using var watcher = new VarlinkClient(SocketPath);
        await watcher.SendAsync("""{"method":"org.imue.Agent.WatchDelivery","more":true}""");
        while (true)
        {
            var reply = await watcher.ReceiveAsync(Long) ?? throw new InvalidOperationException($"{Name}: delivery stream ended");
            var e = reply.GetProperty("parameters").GetProperty("event");
            if (e.GetProperty("id").GetInt64() == id && states.Contains(e.GetProperty("state").GetString()))
            {
                return e.Clone();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Process is { } process)
        {
            await process.TerminateAsync(TimeSpan.FromSeconds(10));
            await process.DisposeAsync();
        }

        Notify?.Dispose();
    }
}
