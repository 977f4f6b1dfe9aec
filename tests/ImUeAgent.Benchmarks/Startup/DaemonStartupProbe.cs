// SPDX-License-Identifier: MIT
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace ImUeAgent.Benchmarks.Startup;

/// <summary>
/// Process-level figures of the published daemon that BenchmarkDotNet cannot take: file size, time from exec to
/// READY=1 on a real NOTIFY_SOCKET (median of N runs), and resident memory after idling (VmRSS and peak VmHWM from
/// /proc). Usage: startup --binary PATH [--runs N] [--idle-seconds S] [--config FILE].
/// </summary>
internal static class DaemonStartupProbe
{
    public static async Task<int> RunAsync(string[] args)
    {
        string? binary = null;
        string? config = null;
        var runs = 11;
        var idleSeconds = 10;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--binary": binary = args[++i]; break;
                case "--config": config = args[++i]; break;
                case "--runs": runs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--idle-seconds": idleSeconds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default: Console.Error.WriteLine($"startup: unknown argument {args[i]}"); return 2;
            }
        }

        if (binary is null || !File.Exists(binary))
        {
            Console.Error.WriteLine("startup: --binary PATH to the published imue-agent is required");
            return 2;
        }

        using var scratch = new Scratch();
        config ??= scratch.WriteDefaultConfig();

        var size = new FileInfo(binary).Length;
        var ready = new List<double>();
        for (var run = 0; run < runs + 1; run++)
        {
            var (elapsed, _) = await StartUntilReadyAsync(binary, config, scratch, idle: TimeSpan.Zero);
            if (run > 0)
            {
                ready.Add(elapsed.TotalMilliseconds); // the first run warms the page cache and is not counted
            }
        }

        var (_, memory) = await StartUntilReadyAsync(binary, config, scratch, TimeSpan.FromSeconds(idleSeconds));
        ready.Sort();
        var median = ready[ready.Count / 2];

        Console.WriteLine($"binary            {binary}");
        Console.WriteLine($"file size         {size} bytes ({size / 1048576.0:F2} MiB)");
        Console.WriteLine($"exec -> READY=1   median {median:F1} ms over {ready.Count} runs (min {ready[0]:F1}, max {ready[^1]:F1})");
        Console.WriteLine($"idle {idleSeconds,2} s memory   VmRSS {memory.Rss / 1024.0:F1} MiB, peak VmHWM {memory.Hwm / 1024.0:F1} MiB");
        return 0;
    }

    private static async Task<(TimeSpan Ready, (long Rss, long Hwm) Memory)> StartUntilReadyAsync(
        string binary, string config, Scratch scratch, TimeSpan idle)
    {
        var socketPath = Path.Combine(scratch.Path, $"notify-{Guid.NewGuid():N}.sock");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(socketPath));

        var info = new ProcessStartInfo(binary) { RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("run");
        info.ArgumentList.Add("--config");
        info.ArgumentList.Add(config);
        info.Environment["NOTIFY_SOCKET"] = socketPath;
        var stopwatch = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();

        var buffer = new byte[512];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            if (Encoding.ASCII.GetString(buffer, 0, n).Contains("READY=1", StringComparison.Ordinal))
            {
                break;
            }
        }

        var ready = stopwatch.Elapsed;
        if (idle > TimeSpan.Zero)
        {
            await Task.Delay(idle);
        }

        var memory = ReadMemory(process.Id);
        process.Kill(entireProcessTree: false); // SIGKILL is fine here: only figures are wanted
        await process.WaitForExitAsync();
        File.Delete(socketPath);
        return (ready, memory);
    }

    private static (long Rss, long Hwm) ReadMemory(int pid)
    {
        long rss = 0, hwm = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = ParseKb(line);
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                hwm = ParseKb(line);
            }
        }

        return (rss, hwm);
    }

    private static long ParseKb(string line) =>
        long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    private sealed class Scratch : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("imue-bench-").FullName;

        public string WriteDefaultConfig()
        {
            var state = Directory.CreateDirectory(System.IO.Path.Combine(Path, "state")).FullName;
            var config = System.IO.Path.Combine(Path, "agent.json");
            File.WriteAllText(config, $$"""{ "Daemon": { "StateDirectory": "{{state}}" }, "Api": { "SocketPath": "{{Path}}/api.sock" } }""");
            return config;
        }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
