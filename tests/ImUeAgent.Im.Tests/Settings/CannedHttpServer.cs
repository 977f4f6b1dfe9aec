// SPDX-License-Identifier: MIT
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace ImUeAgent.Im.Tests.Settings;

/// <summary>A tiny HTTP/1.1 peer on 127.0.0.1:0 for one request per connection: records each request head and answers
/// with the next canned response bytes (null: never answer, keep the connection open; a response shorter than its
/// Content-Length: close early).</summary>
internal sealed class CannedHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<string> _requests = Channel.CreateUnbounded<string>();
    private readonly List<TcpClient> _held = [];
    private readonly Task _accept;

    public CannedHttpServer()
    {
        _listener.Start();
        _accept = AcceptAsync();
    }

    public Queue<byte[]?> Responses { get; } = new();

    public Uri Root => new("http://127.0.0.1:" + ((IPEndPoint)_listener.LocalEndpoint).Port + "/services");

    public static byte[] Response(int status, string reason, string? contentType, byte[] body, string? extraHeaders = null, int? contentLength = null)
    {
        var head = new StringBuilder();
        head.Append("HTTP/1.1 ").Append(status).Append(' ').Append(reason).Append("\r\n");
        if (contentType is not null)
        {
            head.Append("Content-Type: ").Append(contentType).Append("\r\n");
        }

        head.Append("Content-Length: ").Append(contentLength ?? body.Length).Append("\r\n");
        head.Append(extraHeaders);
        head.Append("Connection: close\r\n\r\n");
        return [.. Encoding.ASCII.GetBytes(head.ToString()), .. body];
    }

    public async Task<string> NextRequestAsync()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(10));
        return await _requests.Reader.ReadAsync(cts.Token);
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            try
            {
                NetworkStream stream = client.GetStream();
                var buffer = new byte[8192];
                int length = 0;
                int end;
                while ((end = buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8)) < 0 && length < buffer.Length)
                {
                    int read = await stream.ReadAsync(buffer.AsMemory(length), _stop.Token);
                    if (read == 0)
                    {
                        break;
                    }

                    length += read;
                }

                _requests.Writer.TryWrite(Encoding.ASCII.GetString(buffer, 0, Math.Max(0, end)));
                byte[]? response = Responses.Count > 0 ? Responses.Dequeue() : Response(404, "Not Found", "text/plain", "no script\n"u8.ToArray());
                if (response is null)
                {
                    _held.Add(client);
                    continue;
                }

                await stream.WriteAsync(response, _stop.Token);
                client.Client.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
            {
            }

            client.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accept;
        foreach (TcpClient c in _held)
        {
            c.Dispose();
        }

        _stop.Dispose();
    }
}
