// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ImUeAgent.EndToEnd.Tests.Support;

/// <summary>
/// Kamailio as a plain SIP registrar (registrar, usrloc, MD5 digest auth) on 127.0.0.1 UDP, with the config kept in
/// tests/ImUeAgent.EndToEnd.Tests/Kamailio/kamailio-registrar.cfg. Installs the Debian packages when missing, picks a
/// free port, runs <c>kamailio -f cfg -DD -E</c> in the foreground and stops exactly that pid on dispose (SIGTERM,
/// which also ends its worker processes; SIGKILL if it does not exit).
/// </summary>
internal sealed class KamailioRegistrar : IAsyncDisposable
{
    private readonly DirectoryInfo _directory;

    private KamailioRegistrar(ChildProcess process, DirectoryInfo directory, int port, string controlSocket)
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

    /// <summary>Kamailio's log (stderr): the config's "imue-reg …" lines among the rest.</summary>
    public string Log => Process.StandardError;

    public static async Task<KamailioRegistrar> StartAsync(string domain, string user, string password, int maxExpires)
    {
        var kamailio = await EnsureKamailioAsync();
        var directory = Directory.CreateTempSubdirectory("imue-kamailio-reg-");
        var port = FreeUdpPort();
        var control = Path.Combine(directory.FullName, "ctl.sock");
        var template = await File.ReadAllTextAsync(Path.Combine(Binaries.RepoRoot, "tests", "ImUeAgent.EndToEnd.Tests", "Kamailio", "kamailio-registrar.cfg"));
        var config = template
            .Replace("@PORT@", port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("@DOMAIN@", domain, StringComparison.Ordinal)
            .Replace("@USER@", user, StringComparison.Ordinal)
            .Replace("@PASSWORD@", password, StringComparison.Ordinal)
            .Replace("@MAX_EXPIRES@", maxExpires.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("@CTL@", control, StringComparison.Ordinal);
        var configPath = Path.Combine(directory.FullName, "kamailio.cfg");
        await File.WriteAllTextAsync(configPath, config);
        var process = ChildProcess.Start(kamailio, ["-f", configPath, "-DD", "-E", "-Y", directory.FullName, "-m", "32", "-M", "4"]);
        var registrar = new KamailioRegistrar(process, directory, port, control);
        try
        {
            // The config's event_route[core:worker-one-init] prints this once the UDP worker runs.
            await process.WaitForStderrAsync("imue-reg ready", TimeSpan.FromSeconds(20));
            return registrar;
        }
        catch
        {
            await registrar.DisposeAsync();
            throw;
        }
    }

    /// <summary>Completes when Kamailio logs a line containing <paramref name="text"/> (event-driven).</summary>
    public Task WaitForLogAsync(string text, TimeSpan timeout) => Process.WaitForStderrAsync(text, timeout);

    /// <summary>`kamcmd ul.dump`: the location table as Kamailio holds it.</summary>
    public async Task<string> LocationTableAsync()
    {
        var kamcmd = DebianTools.Which("kamcmd") ?? throw new InvalidOperationException("kamcmd (package kamailio) is not installed");
        var (code, stdout, stderr) = await ChildProcess.RunAsync(kamcmd, ["-s", "unix:" + ControlSocket, "ul.dump"], TimeSpan.FromSeconds(10));
        Assert.True(code == 0, $"kamcmd ul.dump failed ({code}): {stderr}");
        return stdout;
    }

    private static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private static Task<string> EnsureKamailioAsync() =>
        DebianTools.EnsureAsync("kamailio", () => Directory.Exists("/usr/lib/x86_64-linux-gnu/kamailio/modules"), "kamailio", "kamailio-extra-modules");

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
