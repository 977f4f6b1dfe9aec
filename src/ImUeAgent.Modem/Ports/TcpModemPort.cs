// SPDX-License-Identifier: MIT
using System.Net.Sockets;

namespace ImUeAgent.Modem.Ports;

/// <summary>A modem's AT port exported over raw TCP (ser2net "raw" mode, the testbed's emulator).</summary>
public sealed class TcpModemPort : IModemPort
{
    public TcpModemPort(string host, int port)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        Host = host;
        Port = port;
    }

    public string Host { get; }

    public int Port { get; }

    public string Name => Host.Contains(':', StringComparison.Ordinal) ? $"tcp:[{Host}]:{Port}" : $"tcp:{Host}:{Port}";

    public async ValueTask<ModemConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(Host, Port, cancellationToken).ConfigureAwait(false);
            return new StreamModemConnection(new NetworkStream(socket, ownsSocket: true), socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public override string ToString() => Name;
}
