// SPDX-License-Identifier: MIT
using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text.Json;

namespace ImUeAgent.Api;

/// <summary>The CLI's side of the local API: one connection, calls answered in order.</summary>
internal sealed class ApiClient : IAsyncDisposable
{
    private readonly NetworkStream _stream;
    private readonly PipeReader _input;

    private ApiClient(NetworkStream stream)
    {
        _stream = stream;
        _input = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
    }

    /// <summary>Connects, or throws <see cref="ApiUnavailableException"/> saying why in words.</summary>
    public static async Task<ApiClient> ConnectAsync(string path, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            var why = ex.SocketErrorCode switch
            {
                _ when !File.Exists(path) => "no such socket (is imue-agent running? is --socket right?)",
                SocketError.AddressNotAvailable or SocketError.ConnectionRefused => "no daemon is listening (is imue-agent running?)",
                SocketError.AccessDenied => "permission denied (join the imue group or use sudo)",
                _ => ex.Message,
            };
            throw new ApiUnavailableException($"cannot connect to {path}: {why}");
        }

        return new ApiClient(new NetworkStream(socket, ownsSocket: true));
    }

    /// <summary>Sends a call; with <paramref name="more"/> the replies keep coming until one has no "continues".</summary>
    public Task SendAsync(string method, bool more, CancellationToken cancellationToken) =>
        SendAsync(method, null, more, cancellationToken);

    /// <summary>Sends a call with parameters written by <paramref name="parameters"/> into the "parameters" object.</summary>
    public async Task SendAsync(string method, Action<Utf8JsonWriter>? parameters, bool more, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("method", method);
            writer.WriteStartObject("parameters");
            parameters?.Invoke(writer);
            writer.WriteEndObject();
            if (more)
            {
                writer.WriteBoolean("more", true);
            }

            writer.WriteEndObject();
        }

        await _stream.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        await _stream.WriteAsync(new byte[] { 0 }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The next reply, or null when the daemon closed the connection.</summary>
    public async Task<JsonDocument?> ReceiveAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (ApiServer.TryTakeMessage(ref buffer, out var message))
            {
                var document = JsonDocument.Parse(message.ToArray());
                _input.AdvanceTo(buffer.Start);
                return document;
            }

            if (buffer.Length > Varlink.MaxMessageBytes * 16)
            {
                throw new ApiUnavailableException("the daemon sent an overlong reply");
            }

            _input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return null;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _input.CompleteAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>The daemon answered with an error reply: its name and parameters.</summary>
internal sealed class ApiErrorException(string error, string parameters) : Exception($"the daemon answered {error}: {parameters}")
{
    public string Error { get; } = error;
}

/// <summary>The daemon cannot be reached; the message says why.</summary>
internal sealed class ApiUnavailableException(string message) : Exception(message);
