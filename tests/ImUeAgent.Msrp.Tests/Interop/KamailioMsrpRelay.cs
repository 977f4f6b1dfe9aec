// SPDX-License-Identifier: MIT
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ImUeAgent.Msrp.Tests.Interop;

/// <summary>
/// Kamailio's msrp module as an RFC 4976 relay on 127.0.0.1, with the config kept beside this file
/// (kamailio-msrp-relay.cfg). Installs the Debian packages when missing, picks a free port, runs
/// <c>kamailio -f cfg -DD -E</c> in the foreground and kills exactly that pid on dispose.
/// </summary>
internal sealed class KamailioMsrpRelay : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly string _directory;

    private KamailioMsrpRelay(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
    }

    public int Port { get; }

    public MsrpUri Uri => MsrpUri.Parse($"msrp://127.0.0.1:{Port};tcp");

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public static async Task<KamailioMsrpRelay> StartAsync(string user, string password, CancellationToken cancellationToken)
    {
        string kamailio = await EnsureKamailioAsync(cancellationToken);
        int port = FreeTcpPort();
        string directory = Directory.CreateTempSubdirectory("imue-kamailio-msrp-").FullName;
        string template = await File.ReadAllTextAsync(Path.Combine(RepoRoot(), "tests", "ImUeAgent.Msrp.Tests", "Interop", "kamailio-msrp-relay.cfg"), cancellationToken);
        string config = template.Replace("@PORT@", port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("@USER@", user, StringComparison.Ordinal)
            .Replace("@PASSWORD@", password, StringComparison.Ordinal);
        string configPath = Path.Combine(directory, "kamailio.cfg");
        await File.WriteAllTextAsync(configPath, config, cancellationToken);
        var start = new ProcessStartInfo(kamailio)
        {
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            ArgumentList = { "-f", configPath, "-DD", "-E", "-Y", directory, "-m", "32", "-M", "4" },
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("kamailio did not start");
        var relay = new KamailioMsrpRelay(process, directory, port);
        try
        {
            await relay.WaitUntilListeningAsync(TimeSpan.FromSeconds(20), cancellationToken);
            return relay;
        }
        catch
        {
            await relay.DisposeAsync();
            throw;
        }
    }

    /// <summary>Bounded wait: a TCP connect succeeds, or kamailio exits (its log goes into the failure).</summary>
    private async Task WaitUntilListeningAsync(TimeSpan bound, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < bound)
        {
            using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            {
                try
                {
                    await probe.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Port), cancellationToken);
                    return;
                }
                catch (SocketException)
                {
                    // not listening yet
                }
            }

            try
            {
                // Waits on the process, not on the clock: returns at once if kamailio died.
                await _process.WaitForExitAsync(cancellationToken).WaitAsync(TimeSpan.FromMilliseconds(50), cancellationToken);
                throw new InvalidOperationException($"kamailio exited with {_process.ExitCode}:\n{Log}");
            }
            catch (TimeoutException)
            {
                // still running
            }
        }

        throw new TimeoutException($"kamailio did not listen on 127.0.0.1:{Port} within {bound}:\n{Log}");
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            if (_log.Length < 256 * 1024)
            {
                _log.AppendLine(line);
            }
        }
    }

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static async Task<string> EnsureKamailioAsync(CancellationToken cancellationToken)
    {
        const string ModulePath = "/usr/lib/x86_64-linux-gnu/kamailio/modules/msrp.so";
        if (Which("kamailio") is { } found && (File.Exists(ModulePath) || Directory.Exists("/usr/lib/kamailio")))
        {
            return found;
        }

        string script = Path.Combine(RepoRoot(), "scripts", "ensure-packages.sh");
        using var install = Process.Start(new ProcessStartInfo(script) { UseShellExecute = false, ArgumentList = { "kamailio", "kamailio-extra-modules" } })!;
        await install.WaitForExitAsync(cancellationToken).WaitAsync(TimeSpan.FromMinutes(5), cancellationToken);
        return Which("kamailio") ?? throw new InvalidOperationException("kamailio is not installed and scripts/ensure-packages.sh kamailio did not install it");
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ImUeAgent.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"ImUeAgent.sln not found above {AppContext.BaseDirectory}");
    }

    private static string? Which(string name)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':').Append("/usr/sbin"))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                // Stop exactly the process we started, by its pid (its children follow their main process).
                Process.GetProcessById(_process.Id).Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or System.ComponentModel.Win32Exception)
        {
            // already gone
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // a child may still hold a file for a moment; the temp dir is harmless
        }

        return ValueTask.CompletedTask;
    }
}
