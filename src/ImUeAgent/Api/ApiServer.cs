// SPDX-License-Identifier: MIT
using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Api;

/// <summary>
/// Serves the local API on a Unix domain socket (mode 0660: the daemon's user and group). One task per connection;
/// calls on a connection are answered in order. A malformed or unknown call gets an error reply and the connection
/// goes on; a message over <see cref="Varlink.MaxMessageBytes"/> closes it. Nothing a client sends stops the daemon.
/// </summary>
internal sealed class ApiServer(ApiServerSettings settings, IEnumerable<IApiMethod> methods, ILogger<ApiServer> logger)
    : IHostedService, IDisposable
{
    private readonly Dictionary<string, IApiMethod> _methods = methods.ToDictionary(m => m.Name, StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private Task _accepting = Task.CompletedTask;

    /// <summary>Binds before the host reports READY=1, so a client started after `systemctl start` finds the socket.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var listener = Bind(settings.SocketPath);
        logger.ApiListening(settings.SocketPath);
        _accepting = AcceptAsync(listener, _stopping.Token);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _accepting.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _stopping.Dispose();

    private async Task AcceptAsync(Socket listener, CancellationToken stoppingToken)
    {
        await Task.Yield();
        using var owned = listener;
        var connections = new List<Task>();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var socket = await listener.AcceptAsync(stoppingToken).ConfigureAwait(false);
                connections.RemoveAll(t => t.IsCompleted);
                connections.Add(ServeAsync(socket, stoppingToken));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await Task.WhenAll(connections).ConfigureAwait(false);
            TryDelete(settings.SocketPath);
        }
    }

    private static Socket Bind(string path)
    {
        var directory = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(directory) && !Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        }

        if (File.Exists(path))
        {
            // A socket file left by a crash is removed; one that answers belongs to a running agent.
            using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                probe.Connect(new UnixDomainSocketEndPoint(path));
                throw new InvalidOperationException($"{path}: another imue-agent is serving this API socket");
            }
            catch (SocketException)
            {
                File.Delete(path);
            }
        }

        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
            listener.Listen(16);
            return listener;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    private async Task ServeAsync(Socket socket, CancellationToken stoppingToken)
    {
        await Task.Yield();
        using var connection = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var stream = new NetworkStream(socket, ownsSocket: true);
        await using (stream.ConfigureAwait(false))
        {
            var input = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
            var output = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
            var malformed = new MalformedOnce();
            var discarding = false;
            try
            {
                while (true)
                {
                    var result = await input.ReadAsync(connection.Token).ConfigureAwait(false);
                    var buffer = result.Buffer;
                    try
                    {
                        if (discarding && !SkipPastTerminator(ref buffer))
                        {
                            buffer = buffer.Slice(buffer.End);
                        }
                        else
                        {
                            discarding = false;
                            while (TryTakeMessage(ref buffer, out var message))
                            {
                                await HandleAsync(message, output, malformed, connection.Token).ConfigureAwait(false);
                            }

                            if (buffer.Length > Varlink.MaxMessageBytes)
                            {
                                // Answer once, then drop bytes up to the message's NUL: the connection stays usable
                                // and nothing of the oversized message is ever held.
                                logger.ApiMessageTooLarge(Varlink.MaxMessageBytes);
                                await new ApiReplyWriter(output, oneway: false).ErrorAsync(Varlink.Errors.InvalidMessage,
                                    w => w.WriteString("reason", $"message exceeds {Varlink.MaxMessageBytes} bytes"), connection.Token).ConfigureAwait(false);
                                discarding = true;
                                buffer = buffer.Slice(buffer.End);
                            }
                        }

                        if (result.IsCompleted)
                        {
                            return;
                        }
                    }
                    finally
                    {
                        input.AdvanceTo(buffer.Start, buffer.End);
                    }
                }
            }
            catch (Exception ex) when (IsHangUp(ex))
            {
                // The client hung up or the daemon is stopping: nothing to report.
            }
            catch (Exception ex)
            {
                // A fault in one connection never reaches the daemon; it is logged once and the connection dropped.
                logger.ApiConnectionFailed(ex);
            }
            finally
            {
                // Completing the writer flushes; toward a client that already left that fails, harmlessly.
                try
                {
                    await input.CompleteAsync().ConfigureAwait(false);
                    await output.CompleteAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (IsHangUp(ex))
                {
                }
            }
        }
    }

    private ValueTask HandleAsync(ReadOnlySequence<byte> message, PipeWriter output, MalformedOnce malformed, CancellationToken cancellationToken)
    {
        if (!ApiCall.TryParse(message.IsSingleSegment ? message.FirstSpan : message.ToArray(), out var call, out var reason))
        {
            if (!malformed.Logged)
            {
                logger.ApiMalformedCall(reason);
                malformed.Logged = true;
            }

            return new ApiReplyWriter(output, oneway: false).ErrorAsync(Varlink.Errors.InvalidMessage,
                w => w.WriteString("reason", reason), cancellationToken);
        }

        return new ValueTask(DispatchAsync(call!, output, cancellationToken));
    }

    private async Task DispatchAsync(ApiCall call, PipeWriter output, CancellationToken cancellationToken)
    {
        var reply = new ApiReplyWriter(output, call.Oneway);
        if (_methods.TryGetValue(call.Method, out var method))
        {
            if (method.Streams && !call.More)
            {
                await reply.ErrorAsync(Varlink.Errors.ExpectedMore, null, cancellationToken).ConfigureAwait(false);
                return;
            }

            await method.InvokeAsync(call, reply, cancellationToken).ConfigureAwait(false);
            return;
        }

        var dot = call.Method.LastIndexOf('.');
        var interfaceName = dot > 0 ? call.Method[..dot] : "";
        if (interfaceName is not (Varlink.Interface or Varlink.ServiceInterface))
        {
            await reply.ErrorAsync(Varlink.Errors.InterfaceNotFound, w => w.WriteString("interface", interfaceName), cancellationToken).ConfigureAwait(false);
            return;
        }

        await reply.ErrorAsync(Varlink.Errors.MethodNotFound, w => w.WriteString("method", call.Method), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Takes one NUL-terminated message off the front of the buffer.</summary>
    internal static bool TryTakeMessage(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> message)
    {
        var end = buffer.PositionOf((byte)0);
        if (end is null)
        {
            message = default;
            return false;
        }

        message = buffer.Slice(0, end.Value);
        buffer = buffer.Slice(buffer.GetPosition(1, end.Value));
        return true;
    }

    private static bool IsHangUp(Exception ex) =>
        ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException;

    /// <summary>Drops bytes up to and including the next NUL; false when there is none yet.</summary>
    private static bool SkipPastTerminator(ref ReadOnlySequence<byte> buffer)
    {
        var end = buffer.PositionOf((byte)0);
        if (end is null)
        {
            return false;
        }

        buffer = buffer.Slice(buffer.GetPosition(1, end.Value));
        return true;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A client that keeps sending garbage is logged once per connection, not once per message.</summary>
internal sealed class MalformedOnce
{
    public bool Logged { get; set; }
}

/// <summary>Where the API listens.</summary>
internal sealed record ApiServerSettings(string SocketPath);
