// SPDX-License-Identifier: MIT
using System.IO.Ports;

namespace ImUeAgent.Modem.Ports;

public enum ModemFlowControl
{
    None,

    /// <summary>Hardware flow control on RTS/CTS (most USB modems ignore it; UART-attached modules need it).</summary>
    RtsCts,
}

/// <summary>
/// A serial device or a pseudo-terminal slave opened through System.IO.Ports (8N1, raw). A pty is opened the same way
/// (tcsetattr works on a pty; the speed is ignored), which is how the testbed's emulated modem is reached.
/// </summary>
public sealed class SerialModemPort : IModemPort
{
    private readonly TimeProvider _timeProvider;

    public SerialModemPort(string path, int baudRate = 115200, ModemFlowControl flowControl = ModemFlowControl.None, bool isPseudoTerminal = false, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(baudRate);
        Path = path;
        BaudRate = baudRate;
        FlowControl = flowControl;
        IsPseudoTerminal = isPseudoTerminal;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    public string Path { get; }

    public int BaudRate { get; }

    public ModemFlowControl FlowControl { get; }

    public bool IsPseudoTerminal { get; }

    /// <summary>How often the open connection checks that the device node still exists.</summary>
    public TimeSpan DeviceWatchInterval { get; init; } = TimeSpan.FromSeconds(1);

    public string Name => IsPseudoTerminal
        ? $"pty:{Path}"
        : FlowControl == ModemFlowControl.RtsCts ? $"serial:{Path}@{BaudRate},rtscts" : $"serial:{Path}@{BaudRate}";

    public ValueTask<ModemConnection> OpenAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();

        // While a USB modem re-enumerates its node is missing: say so plainly instead of an opaque open error.
        if (!File.Exists(Path))
        {
            throw new FileNotFoundException($"modem device {Path} does not exist", Path);
        }

        var port = new SerialPort(Path, BaudRate, Parity.None, 8, StopBits.One)
        {
            Handshake = FlowControl == ModemFlowControl.RtsCts ? Handshake.RequestToSend : Handshake.None,
            ReadTimeout = SerialPort.InfiniteTimeout,
            WriteTimeout = 5000,
        };
        try
        {
            // A pty has no modem-control lines: TIOCMBIS fails there with ENOTTY ("Inappropriate ioctl for device").
            // On a real UART, DTR up tells the modem a host is attached (V.24 circuit 108/2).
            if (!IsPseudoTerminal)
            {
                port.DtrEnable = true;
                if (FlowControl == ModemFlowControl.None)
                {
                    port.RtsEnable = true;
                }
            }

            port.Open();
            port.DiscardInBuffer();
            ModemConnection connection = new StreamModemConnection(port.BaseStream, port, Path, _timeProvider, DeviceWatchInterval);
            return ValueTask.FromResult(connection);
        }
        catch
        {
            port.Dispose();
            throw;
        }
    }

    public override string ToString() => Name;
}
