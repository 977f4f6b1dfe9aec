// SPDX-License-Identifier: MIT
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Sip.Transport;

/// <summary>Kernel TCP keep-alive for stream connections: the kernel probes an idle connection itself, so a peer
/// that vanished without a FIN (P-CSCF reboot, NAT drop) is noticed without waking the process.</summary>
public sealed record TcpKeepAliveOptions
{
    /// <summary>Idle time before the first probe.</summary>
    public TimeSpan Idle { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Time between unanswered probes.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Unanswered probes before the kernel resets the connection.</summary>
    public int Count { get; init; } = 3;
}

/// <summary>Socket options shared by the SIP (and MSRP) transports.</summary>
public static class SocketTuning
{
    // Linux <asm-generic/socket.h>: SOL_SOCKET 1, SO_BINDTODEVICE 25.
    private const int SolSocket = 1;
    private const int SoBindToDevice = 25;

    /// <summary>
    /// Ties <paramref name="socket"/> to a network interface (SO_BINDTODEVICE), so IMS traffic cannot leave by
    /// another interface even when the routing table would send it there. The kernel may refuse it without
    /// CAP_NET_RAW: then the socket keeps only its address binding and false is returned (the caller logs it once).
    /// </summary>
    public static bool TryBindToDevice(Socket socket, string? device, out string? error)
    {
        ArgumentNullException.ThrowIfNull(socket);
        error = null;
        if (string.IsNullOrEmpty(device) || !OperatingSystem.IsLinux())
        {
            return string.IsNullOrEmpty(device);
        }

        try
        {
            socket.SetRawSocketOption(SolSocket, SoBindToDevice, Encoding.ASCII.GetBytes(device + "\0"));
            return true;
        }
        catch (SocketException ex)
        {
            error = $"{device}: {ex.SocketErrorCode} ({ex.Message})";
            return false;
        }
    }

    /// <summary>Turns kernel keep-alive on for a TCP socket; null leaves it off.</summary>
    public static void ApplyKeepAlive(Socket socket, TcpKeepAliveOptions? options)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (options is null)
        {
            return;
        }

        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, Math.Max(1, (int)options.Idle.TotalSeconds));
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, Math.Max(1, (int)options.Interval.TotalSeconds));
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, Math.Max(1, options.Count));
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> Refused = new(StringComparer.Ordinal);

    /// <summary>
    /// <see cref="TryBindToDevice"/> for every socket of the IMS transports (SIP and MSRP); a refusal is logged once
    /// per interface for the whole process (every socket of every re-registration would otherwise repeat it).
    /// </summary>
    public static void BindToDeviceOrWarn(Socket socket, string? device, ILogger logger)
    {
        if (!TryBindToDevice(socket, device, out string? error) && Refused.TryAdd(device ?? "", 0))
        {
            SipLog.BindToDeviceRefused(logger, error ?? device ?? "");
        }
    }
}
