// SPDX-License-Identifier: MIT
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace ImUeAgent.EndToEnd.Tests.Support;

/// <summary>A raw client of the agent's local API for tests: sends bytes as given, reads NUL-terminated replies.</summary>
internal sealed class VarlinkClient : IDisposable
{
    private readonly Socket _socket;
    private readonly List<byte> _pending = [];

    public VarlinkClient(string path)
    {
        _socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _socket.Connect(new UnixDomainSocketEndPoint(path));
    }

    public async Task SendRawAsync(byte[] bytes) => await _socket.SendAsync(bytes, SocketFlags.None);

    public Task SendAsync(string json) => SendRawAsync([.. Encoding.UTF8.GetBytes(json), 0]);

    /// <summary>The next reply, or null when the agent closed the connection; fails after the timeout.</summary>
    public async Task<JsonElement?> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        var buffer = new byte[4096];
        while (true)
        {
            var end = _pending.IndexOf(0);
            if (end >= 0)
            {
                var message = _pending.GetRange(0, end).ToArray();
                _pending.RemoveRange(0, end + 1);
                using var document = JsonDocument.Parse(message);
                return document.RootElement.Clone();
            }

            var n = await _socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            if (n == 0)
            {
                return null;
            }

            _pending.AddRange(buffer.AsSpan(0, n));
        }
    }

    public async Task<JsonElement> CallAsync(string json) =>
        await SendAsync(json).ContinueWith(_ => ReceiveAsync()).Unwrap() ?? throw new InvalidOperationException("connection closed");

    public void Dispose() => _socket.Dispose();
}
