// SPDX-License-Identifier: MIT
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ImUeAgent.EndToEnd.Tests.Support;

/// <summary>
/// A minimal modem for command-line tests, on loopback TCP (port 0): answers each CR-terminated command from a
/// table (echo off), stays silent for commands mapped to null, and can push unsolicited lines.
/// </summary>
internal sealed class ScriptedTcpModem : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<string, string[]?> _answer;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serve;
    private readonly TaskCompletionSource<NetworkStream> _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ScriptedTcpModem(Func<string, string[]?> answer)
    {
        _answer = answer;
        _listener.Start();
        _serve = ServeAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public string Address => $"tcp:127.0.0.1:{Port}";

    public ConcurrentQueue<string> Received { get; } = new();

    public async Task SendUnsolicitedAsync(string line)
    {
        var stream = await _connected.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"\r\n{line}\r\n"));
    }

    private async Task ServeAsync()
    {
        try
        {
            using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            var stream = client.GetStream();
            _connected.TrySetResult(stream);
            var line = new StringBuilder();
            var buffer = new byte[1024];
            while (true)
            {
                var n = await stream.ReadAsync(buffer, _stop.Token);
                if (n == 0)
                {
                    return;
                }

                for (var i = 0; i < n; i++)
                {
                    var b = buffer[i];
                    if (b != '\r')
                    {
                        if (b != '\n')
                        {
                            line.Append((char)b);
                        }

                        continue;
                    }

                    var command = line.ToString();
                    line.Clear();
                    Received.Enqueue(command);
                    if (_answer(command) is { } reply)
                    {
                        var text = string.Concat(reply.Select(r => $"\r\n{r}\r\n"));
                        await stream.WriteAsync(Encoding.ASCII.GetBytes(text), _stop.Token);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _serve;
        _stop.Dispose();
    }
}
