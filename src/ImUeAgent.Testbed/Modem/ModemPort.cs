// SPDX-License-Identifier: MIT
using System.IO.Pipelines;

namespace ImUeAgent.Testbed.Modem;

/// <summary>One TE connection: a duplex byte pipe that ends when the TE goes away.</summary>
internal interface IModemConnection : IAsyncDisposable
{
    IDuplexPipe Transport { get; }
}

/// <summary>
/// Where the emulated MT listens: a pseudo-terminal or a TCP port. Connections are served one at a time; after a
/// connection ends the next <see cref="AcceptAsync"/> waits for the TE to come back.
/// </summary>
internal interface IModemPort : IAsyncDisposable
{
    /// <summary>The machine-readable lines that announce the port on stdout ("pty /dev/pts/7", "link PATH",
    /// "tcp 127.0.0.1:41234").</summary>
    IReadOnlyList<string> Announcement { get; }

    /// <summary>Waits for the next TE connection.</summary>
    Task<IModemConnection> AcceptAsync(CancellationToken cancellationToken);
}
