// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ImUeAgent.EndToEnd.Tests.Support;

namespace ImUeAgent.EndToEnd.Tests.Interop;

/// <summary>
/// Kamailio as a small SIP IM core on 127.0.0.1 UDP (tests/ImUeAgent.EndToEnd.Tests/Kamailio/kamailio-im.cfg):
/// registrar with digest auth for the accounts below, MESSAGE relay to registered contacts, and msilo keeping
/// messages for unregistered users until they register. msilo's db_text tables are written into a scratch directory
/// here. Runs <c>kamailio -DD -E</c> in the foreground and stops exactly that pid on dispose.
/// </summary>
internal sealed class KamailioImCore : IAsyncDisposable
{
    public const string Domain = "example.test";

    /// <summary>The accounts the config knows (user, password): kept in step with kamailio-im.cfg.</summary>
    public static readonly (string User, string Password) Alice = ("alice", "alice-kam-pw-1");

    public static readonly (string User, string Password) Bob = ("bob", "bob-kam-pw-2");

    public static readonly (string User, string Password) Carol = ("carol", "carol-kam-pw-3");

    // db_text tables for msilo (schema version 8 of Kamailio 5.6). callid, extra_hdrs and status may be null: msilo
    // 5.6 leaves them unset when it stores a MESSAGE.
    private const string VersionTable = "id(int,auto) table_name(string) table_version(int) \n0:silo:8\n";

    private const string SiloTable =
        "id(int,auto) src_addr(string) dst_addr(string) username(string) domain(string) inc_time(int) exp_time(int) "
        + "snd_time(int) ctype(string) body(string,null) extra_hdrs(string,null) callid(string,null) status(int,null) \n";

    private readonly DirectoryInfo _directory;

    private KamailioImCore(ChildProcess process, DirectoryInfo directory, int port, string controlSocket)
    {
        Process = process;
        _directory = directory;
        Port = port;
        ControlSocket = controlSocket;
    }

    public ChildProcess Process { get; }

    public int Port { get; }

    /// <summary>The ctl module's binrpc socket, for kamcmd.</summary>
    public string ControlSocket { get; }

    /// <summary>The outbound proxy URI clients use to reach this core.</summary>
    public string ProxyUri => $"sip:127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)};transport=udp";

    /// <summary>Kamailio's log (stderr): the config's "imue-im …" lines among the rest.</summary>
    public string Log => Process.StandardError;

    public static string Aor(string user) => $"sip:{user}@{Domain}";

    public static async Task<KamailioImCore> StartAsync(int maxExpires)
    {
        var kamailio = await EnsureInstalledAsync();
        var directory = Directory.CreateTempSubdirectory("imue-kamailio-im-");
        var db = Directory.CreateDirectory(Path.Combine(directory.FullName, "db")).FullName;
        await File.WriteAllTextAsync(Path.Combine(db, "version"), VersionTable);
        await File.WriteAllTextAsync(Path.Combine(db, "silo"), SiloTable);
        var port = FreeUdpPort();
        var control = Path.Combine(directory.FullName, "ctl.sock");
        var template = await File.ReadAllTextAsync(Path.Combine(Binaries.RepoRoot, "tests", "ImUeAgent.EndToEnd.Tests", "Kamailio", "kamailio-im.cfg"));
        var config = template
            .Replace("@PORT@", port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("@DOMAIN@", Domain, StringComparison.Ordinal)
            .Replace("@MAX_EXPIRES@", maxExpires.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("@CTL@", control, StringComparison.Ordinal)
            .Replace("@DB@", db, StringComparison.Ordinal);
        var configPath = Path.Combine(directory.FullName, "kamailio.cfg");
        await File.WriteAllTextAsync(configPath, config);
        var process = ChildProcess.Start(kamailio, ["-f", configPath, "-DD", "-E", "-Y", directory.FullName, "-m", "32", "-M", "4"]);
        var core = new KamailioImCore(process, directory, port, control);
        try
        {
            // The config's event_route[core:worker-one-init] prints this once the UDP worker runs.
            await process.WaitForStderrAsync("imue-im ready", TimeSpan.FromSeconds(20));
            return core;
        }
        catch
        {
            await core.DisposeAsync();
            throw;
        }
    }

    /// <summary>Completes when Kamailio logs a line containing <paramref name="text"/> (event-driven).</summary>
    public Task WaitForLogAsync(string text, TimeSpan timeout) => Process.WaitForStderrAsync(text, timeout);

    /// <summary>Completes when the registrar has stored the <paramref name="n"/>-th binding of <paramref name="user"/>
    /// and handed msilo's stored messages for it (if any) to tm.</summary>
    public Task WaitForRegistrationAsync(string user, int n, TimeSpan timeout) =>
        WaitForLogAsync($"imue-im m_dump done user={user} n={n.ToString(CultureInfo.InvariantCulture)}", timeout);

    /// <summary>The "imue-im …" lines of the config, in order.</summary>
    public IReadOnlyList<string> ScriptLines(string containing) =>
        [.. Log.Split('\n').Where(l => l.Contains("imue-im ", StringComparison.Ordinal) && l.Contains(containing, StringComparison.Ordinal))];

    /// <summary>Waits for the "imue-im …" line containing <paramref name="containing"/> (there must be exactly one) and
    /// returns the Call-ID it logged.</summary>
    public async Task<string> WaitForCallIdAsync(string containing, TimeSpan timeout)
    {
        await WaitForLogAsync(containing, timeout);
        return CallIdOf(containing);
    }

    /// <summary>The Call-ID logged on the single "imue-im …" line containing <paramref name="containing"/>.</summary>
    public string CallIdOf(string containing)
    {
        var line = Assert.Single(ScriptLines(containing));
        var at = line.IndexOf("callid=", StringComparison.Ordinal);
        Assert.True(at >= 0, $"no callid= in '{line}'");
        return line[(at + "callid=".Length)..].Split(' ')[0];
    }

    /// <summary>`kamcmd stats.get_statistics msilo:` as name → value.</summary>
    public async Task<IReadOnlyDictionary<string, long>> MsiloStatisticsAsync()
    {
        var kamcmd = DebianTools.Which("kamcmd") ?? throw new InvalidOperationException("kamcmd (package kamailio) is not installed");
        var (code, stdout, stderr) = await ChildProcess.RunAsync(kamcmd, ["-s", "unix:" + ControlSocket, "stats.get_statistics", "msilo:"], TimeSpan.FromSeconds(10));
        Assert.True(code == 0, $"kamcmd stats.get_statistics failed ({code}): {stderr}");
        var stats = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in stdout.Split('\n'))
        {
            // "msilo:stored_messages = 1"
            var parts = line.Split('=', 2, StringSplitOptions.TrimEntries);
            if (parts.Length == 2 && parts[0].StartsWith("msilo:", StringComparison.Ordinal)
                && long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            {
                stats[parts[0]["msilo:".Length..]] = value;
            }
        }

        return stats;
    }

    private static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    // msilo and db_text are in the kamailio package itself.
    private static Task<string> EnsureInstalledAsync() =>
        DebianTools.EnsureAsync("kamailio", () => File.Exists(Path.Combine(Modules, "msilo.so")) && File.Exists(Path.Combine(Modules, "db_text.so")),
            "kamailio", "kamailio-extra-modules");

    private const string Modules = "/usr/lib/x86_64-linux-gnu/kamailio/modules";

    public async ValueTask DisposeAsync()
    {
        // Stop exactly the process we started, by its pid: Kamailio's main process ends its workers on SIGTERM.
        await Process.TerminateAsync(TimeSpan.FromSeconds(10));

        await Process.DisposeAsync();
        try
        {
            _directory.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A worker may hold the ctl socket for a moment; the temporary directory is harmless.
        }
    }
}
