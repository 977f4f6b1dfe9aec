// SPDX-License-Identifier: MIT
using System.Collections.Concurrent;
using System.Diagnostics;

namespace ImUeAgent.EndToEnd.Tests.Support;

/// <summary>
/// A published binary started by a test, with its output captured line by line. Disposing kills it by pid if it is
/// still running: a test never leaves a process behind.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentQueue<string> _stderr = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private readonly List<(ConcurrentQueue<string> Stream, string Text, TaskCompletionSource Done)> _waiters = [];

    private ChildProcess(Process process) => _process = process;

    public int Pid => _process.Id;

    public string StandardOutput => string.Join('\n', _stdout);

    public string StandardError => string.Join('\n', _stderr);

    public static ChildProcess Start(string fileName, IEnumerable<string> arguments, IDictionary<string, string?>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // A clean systemd-free environment unless the test asks for it.
        info.Environment.Remove("NOTIFY_SOCKET");
        info.Environment.Remove("WATCHDOG_USEC");
        info.Environment.Remove("WATCHDOG_PID");
        info.Environment.Remove("JOURNAL_STREAM");
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var agent = new ChildProcess(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                agent._stdout.Enqueue(e.Data);
                agent.Release(agent._stdout, e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                agent._stderr.Enqueue(e.Data);
                agent.Release(agent._stderr, e.Data);
            }
        };
        process.Exited += (_, _) => agent._exited.TrySetResult();
        // Waiters give up only when both streams have ended: a line may still be on its way on the other one.
        var closedStreams = 0;
        DataReceivedEventHandler onEnd = (_, e) =>
        {
            if (e.Data is null && Interlocked.Increment(ref closedStreams) == 2)
            {
                agent.ReleaseAll();
            }
        };
        process.OutputDataReceived += onEnd;
        process.ErrorDataReceived += onEnd;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return agent;
    }

    /// <summary>Runs to completion (bounded) and returns the exit code.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(
        string fileName, IEnumerable<string> arguments, TimeSpan? timeout = null, IDictionary<string, string?>? environment = null)
    {
        await using var process = Start(fileName, arguments, environment);
        var code = await process.WaitForExitAsync(timeout ?? TimeSpan.FromSeconds(30));
        return (code, process.StandardOutput, process.StandardError);
    }

    /// <summary>Writes a line to the child's standard input.</summary>
    public async Task WriteLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>Completes when a stdout line containing <paramref name="text"/> appears.</summary>
    public Task WaitForStdoutAsync(string text, TimeSpan timeout) => WaitForLineAsync(_stdout, text, timeout);

    /// <summary>Completes when a stderr line containing <paramref name="text"/> appears (event-driven, no polling).</summary>
    public Task WaitForStderrAsync(string text, TimeSpan timeout) => WaitForLineAsync(_stderr, text, timeout);

    private async Task WaitForLineAsync(ConcurrentQueue<string> lines, string text, TimeSpan timeout)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (lines.Any(l => l.Contains(text, StringComparison.Ordinal)))
            {
                return;
            }

            _waiters.Add((lines, text, done));
        }

        try
        {
            await done.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"'{text}' not printed within {timeout.TotalSeconds} s; stdout:\n{StandardOutput}\nstderr:\n{StandardError}");
        }

        if (!lines.Any(l => l.Contains(text, StringComparison.Ordinal)))
        {
            throw new InvalidOperationException($"process exited before printing '{text}'; stdout:\n{StandardOutput}\nstderr:\n{StandardError}");
        }
    }

    private void Release(ConcurrentQueue<string> stream, string line)
    {
        lock (_gate)
        {
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Stream == stream && line.Contains(_waiters[i].Text, StringComparison.Ordinal))
                {
                    _waiters[i].Done.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    private void ReleaseAll()
    {
        lock (_gate)
        {
            foreach (var (_, _, done) in _waiters)
            {
                done.TrySetResult();
            }

            _waiters.Clear();
        }
    }

    public void Signal(int signal)
    {
        if (Posix.Kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed");
        }
    }

    /// <summary>Waits for exit and for the output streams to drain; fails the test on timeout.</summary>
    /// <summary>SIGTERM to exactly this process (by pid), then up to <paramref name="grace"/> for it to exit;
    /// <see cref="DisposeAsync"/> sends SIGKILL to whatever is left.</summary>
    public async Task TerminateAsync(TimeSpan grace)
    {
        if (HasExited)
        {
            return;
        }

        Signal(Posix.SIGTERM);
        try
        {
            await WaitForExitAsync(grace);
        }
        catch (TimeoutException)
        {
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"pid {_process.Id} still running after {timeout.TotalSeconds} s; stderr:\n{StandardError}");
        }

        return _process.ExitCode;
    }

    public bool HasExited => _process.HasExited;

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Posix.Kill(_process.Id, Posix.SIGKILL);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
