// SPDX-License-Identifier: MIT
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace ImUeAgent.EndToEnd.Tests.Support;

/// <summary>
/// The service manager's side of sd_notify(3): a Unix datagram socket whose path goes into NOTIFY_SOCKET. Each
/// datagram is one notification ("READY=1", "STATUS=...", "WATCHDOG=1", "STOPPING=1").
/// </summary>
internal sealed class NotifySocket : IDisposable
{
    private readonly Socket _socket;
    private readonly DirectoryInfo _dir;
    private readonly Channel<(string Message, DateTime At)> _messages = Channel.CreateUnbounded<(string, DateTime)>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;

    public NotifySocket()
    {
        _dir = Directory.CreateTempSubdirectory("imue-notify-");
        Path = System.IO.Path.Combine(_dir.FullName, "notify.sock");
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        _socket.Bind(new UnixDomainSocketEndPoint(Path));
        _pump = Task.Run(PumpAsync);
    }

    public string Path { get; }

    private async Task PumpAsync()
    {
        var buffer = new byte[4096];
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var n = await _socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                _messages.Writer.TryWrite((Encoding.UTF8.GetString(buffer, 0, n), DateTime.UtcNow));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
        finally
        {
            _messages.Writer.TryComplete();
        }
    }

    /// <summary>Every notification received so far, in order.</summary>
    public List<(string Message, DateTime At)> History { get; } = [];

    /// <summary>
    /// The <paramref name="occurrence"/>-th notification (1-based, counting from the start) with a line starting with
    /// <paramref name="prefix"/>; fails after the timeout, listing what was seen.
    /// </summary>
    public async Task<(string Message, DateTime At)> WaitForAsync(string prefix, TimeSpan timeout, int occurrence = 1)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var matches = History.Where(h => Matches(h.Message, prefix)).ToList();
                if (matches.Count >= occurrence)
                {
                    return matches[occurrence - 1];
                }

                History.Add(await _messages.Reader.ReadAsync(cts.Token));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            throw new TimeoutException(
                $"no '{prefix}' notification #{occurrence} within {timeout.TotalSeconds} s; seen: {string.Join(" | ", History.Select(h => h.Message))}");
        }
    }

    private static bool Matches(string message, string prefix) =>
        message.Split('\n').Any(l => l.StartsWith(prefix, StringComparison.Ordinal));

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
        _pump.Wait(TimeSpan.FromSeconds(5));
        _stop.Dispose();
        _dir.Delete(recursive: true);
    }
}
