// SPDX-License-Identifier: MIT
using System.IO.Pipelines;

namespace ImUeAgent.Modem.Ports;

/// <summary>
/// Something that can be opened to talk to a modem: a serial device, a pseudo-terminal, a TCP socket (ser2net), an
/// in-memory pipe in tests. Opening again after a loss is how the channel rides out USB re-enumeration.
/// </summary>
public interface IModemPort
{
    /// <summary>What to show in logs and status, e.g. "serial:/dev/ttyUSB2@115200".</summary>
    string Name { get; }

    /// <summary>
    /// Opens the port. Throws <see cref="IOException"/> (including <see cref="FileNotFoundException"/>),
    /// <see cref="UnauthorizedAccessException"/> or <see cref="System.Net.Sockets.SocketException"/> when it cannot.
    /// </summary>
    ValueTask<ModemConnection> OpenAsync(CancellationToken cancellationToken);
}

/// <summary>
/// An open port as a duplex pipe (STYLE.md §5, like Kestrel's ConnectionContext): the AT channel reads and writes
/// bytes and never sees the device behind it.
/// </summary>
public abstract class ModemConnection : IAsyncDisposable
{
    public abstract IDuplexPipe Transport { get; }

    /// <summary>
    /// Cancelled when the edge learns the device is gone before a read notices it (the device node vanished on USB
    /// unplug).
    /// </summary>
    public virtual CancellationToken ConnectionLost => CancellationToken.None;

    /// <summary>Why <see cref="ConnectionLost"/> fired, if it did.</summary>
    public virtual string? LostReason => null;

    public abstract ValueTask DisposeAsync();
}
