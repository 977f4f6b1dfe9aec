// SPDX-License-Identifier: MIT
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace ImUeAgent.Testbed.Modem;

/// <summary>The MT on a TCP port (a "serial over TCP" adapter). Clients beyond the first wait in the backlog.</summary>
internal sealed class TcpModemPort : IModemPort
{
    private readonly TcpListener _listener;

    private TcpModemPort(TcpListener listener)
    {
        _listener = listener;
        var bound = (IPEndPoint)listener.LocalEndpoint;
        EndPoint = bound;
        Announcement = [$"tcp {bound}"];
    }

    public IPEndPoint EndPoint { get; }

    public IReadOnlyList<string> Announcement { get; }

    /// <summary>Binds <paramref name="endPoint"/> (port 0 picks a free one; a vanished port comes back on the same).</summary>
    public static TcpModemPort Listen(IPEndPoint endPoint)
    {
        var listener = new TcpListener(endPoint);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start(backlog: 4);
        return new TcpModemPort(listener);
    }

    public async Task<IModemConnection> AcceptAsync(CancellationToken cancellationToken)
    {
        var socket = await _listener.AcceptSocketAsync(cancellationToken).ConfigureAwait(false);
        socket.NoDelay = true;
        return new Connection(socket);
    }

    public ValueTask DisposeAsync()
    {
        _listener.Stop();
        return ValueTask.CompletedTask;
    }

    private sealed class Connection : IModemConnection, IDuplexPipe
    {
        private readonly Socket _socket;
        private readonly NetworkStream _stream;

        public Connection(Socket socket)
        {
            _socket = socket;
            _stream = new NetworkStream(socket, ownsSocket: true);
            Input = PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true));
            Output = PipeWriter.Create(_stream, new StreamPipeWriterOptions(leaveOpen: true));
        }

        public IDuplexPipe Transport => this;

        public PipeReader Input { get; }

        public PipeWriter Output { get; }

        public async ValueTask DisposeAsync()
        {
            await Input.CompleteAsync().ConfigureAwait(false);
            await Output.CompleteAsync().ConfigureAwait(false);
            try
            {
                _socket.Shutdown(SocketShutdown.Both);
            }
            catch (SocketException)
            {
                // The TE already closed its end.
            }

            await _stream.DisposeAsync().ConfigureAwait(false);
        }
    }
}
