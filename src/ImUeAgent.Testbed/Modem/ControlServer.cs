// SPDX-License-Identifier: MIT
using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Testbed.Modem;

/// <summary>
/// The control channel: a TCP ("127.0.0.1:0") or Unix-domain ("unix:/path" or an absolute path) socket speaking
/// one command per line ("slow 2000\n") and answering one line ("OK" / "OK …" / "ERROR why"). Several clients may
/// be connected; lines over <see cref="ControlCommand.MaxLineLength"/> bytes close the client.
/// </summary>
internal sealed class ControlServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly Func<string, CancellationToken, Task<string>> _handle;
    private readonly ILogger _logger;
    private readonly string? _unixPath;

    private ControlServer(Socket listener, Func<string, CancellationToken, Task<string>> handle, ILogger logger, string? unixPath)
    {
        _listener = listener;
        _handle = handle;
        _logger = logger;
        _unixPath = unixPath;
        Announcement = unixPath is null ? $"control {listener.LocalEndPoint}" : $"control unix:{unixPath}";
    }

    /// <summary>"control 127.0.0.1:40123" or "control unix:/run/x.sock".</summary>
    public string Announcement { get; }

    public EndPoint LocalEndPoint => _listener.LocalEndPoint!;

    public static bool TryParseAddress(string text, out EndPoint? endPoint)
    {
        endPoint = null;
        if (text.StartsWith("unix:", StringComparison.Ordinal) || text.StartsWith('/'))
        {
            var path = text.StartsWith("unix:", StringComparison.Ordinal) ? text[5..] : text;
            if (path.Length is 0 or > 100)
            {
                return false;
            }

            endPoint = new UnixDomainSocketEndPoint(path);
            return true;
        }

        if (IPEndPoint.TryParse(text, out var ip))
        {
            endPoint = ip;
            return true;
        }

        return false;
    }

    public static ControlServer Start(EndPoint endPoint, Func<string, CancellationToken, Task<string>> handle, ILogger logger)
    {
        string? unixPath = null;
        Socket socket;
        if (endPoint is UnixDomainSocketEndPoint unix)
        {
            unixPath = unix.ToString();
            if (File.Exists(unixPath))
            {
                File.Delete(unixPath);
            }

            socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        }
        else
        {
            socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        }

        try
        {
            socket.Bind(endPoint);
            socket.Listen(8);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new ControlServer(socket, handle, logger, unixPath);
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var clients = new List<Task>();
        try
        {
            while (true)
            {
                var client = await _listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
                clients.RemoveAll(t => t.IsCompleted);
                clients.Add(ServeAsync(client, cancellationToken));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await Task.WhenAll(clients).ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync()
    {
        _listener.Dispose();
        if (_unixPath is not null && File.Exists(_unixPath))
        {
            File.Delete(_unixPath);
        }

        return ValueTask.CompletedTask;
    }

    private async Task ServeAsync(Socket client, CancellationToken cancellationToken)
    {
        await using var stream = new NetworkStream(client, ownsSocket: true);
        var reader = PipeReader.Create(stream);
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = result.Buffer;
                while (TryReadLine(ref buffer, out var line))
                {
                    var answer = await _handle(line, cancellationToken).ConfigureAwait(false);
                    await stream.WriteAsync(Encoding.UTF8.GetBytes(answer + "\n"), cancellationToken).ConfigureAwait(false);
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (buffer.Length > ControlCommand.MaxLineLength)
                {
                    await stream.WriteAsync("ERROR line too long\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
                    return;
                }

                if (result.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (Exception exception) when (exception is IOException or SocketException)
        {
            _logger.ControlClientFailed(exception);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private static bool TryReadLine(ref ReadOnlySequence<byte> buffer, out string line)
    {
        var position = buffer.PositionOf((byte)'\n');
        if (position is null)
        {
            line = string.Empty;
            return false;
        }

        line = Encoding.UTF8.GetString(buffer.Slice(0, position.Value)).TrimEnd('\r');
        buffer = buffer.Slice(buffer.GetPosition(1, position.Value));
        return true;
    }
}
