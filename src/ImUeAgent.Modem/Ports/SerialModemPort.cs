// SPDX-License-Identifier: MIT
namespace ImUeAgent.Modem.Ports;

public enum ModemFlowControl
{
    None,

    /// <summary>Hardware flow control on RTS/CTS (most USB modems ignore it; UART-attached modules need it).</summary>
    RtsCts,
}

/// <summary>
/// A serial device or a pseudo-terminal slave (8N1, raw), opened through <see cref="TtyStream"/> (termios + poll, no
/// wakeups while idle). A pty is opened the same way (tcsetattr works on a pty; the speed is ignored), which is how
/// the testbed's emulated modem is reached.
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

    /// <summary>
    /// How often the open connection checks that the device node still exists; zero (the default) relies on poll(2)
    /// reporting the hang-up, which costs no periodic wakeup.
    /// </summary>
    public TimeSpan DeviceWatchInterval { get; init; } = TimeSpan.Zero;

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

        var stream = TtyStream.Open(Path, BaudRate, FlowControl, IsPseudoTerminal);
        ModemConnection connection = new StreamModemConnection(stream, stream,
            DeviceWatchInterval > TimeSpan.Zero ? Path : null, _timeProvider, DeviceWatchInterval);
        return ValueTask.FromResult(connection);
    }

    public override string ToString() => Name;
}
