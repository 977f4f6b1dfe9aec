// SPDX-License-Identifier: MIT
using System.IO.Pipelines;

namespace ImUeAgent.Modem.Ports;

/// <summary>A connection over a <see cref="Stream"/> (serial port base stream, network stream) through pipe adapters.</summary>
internal sealed class StreamModemConnection : ModemConnection, IDuplexPipe
{
    private readonly Stream _stream;
    private readonly IDisposable? _owner;
    private readonly CancellationTokenSource _lost = new();
    private readonly ITimer? _watchdog;
    private string? _lostReason;
    private int _disposed;

    /// <param name="stream">The byte stream.</param>
    /// <param name="owner">What to dispose with the stream (the SerialPort, the Socket).</param>
    /// <param name="devicePath">A device node to watch: when it disappears (USB unplug, pty master closed) the
    /// connection is lost even if the pending read never returns.</param>
    /// <param name="timeProvider">Clock for the device watchdog.</param>
    /// <param name="watchInterval">How often to look for the device node.</param>
    public StreamModemConnection(Stream stream, IDisposable? owner, string? devicePath = null, TimeProvider? timeProvider = null, TimeSpan watchInterval = default)
    {
        _stream = stream;
        _owner = owner;
        // Small reads: AT traffic is a few hundred bytes per second; a 4 KiB segment covers the 2 KiB line cap.
        Input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 4096, minimumReadSize: 256, leaveOpen: true));
        Output = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 512, leaveOpen: true));
        if (devicePath is not null)
        {
            var interval = watchInterval > TimeSpan.Zero ? watchInterval : TimeSpan.FromSeconds(1);
            _watchdog = (timeProvider ?? TimeProvider.System).CreateTimer(
                static state =>
                {
                    var (connection, path) = ((StreamModemConnection, string))state!;
                    if (!File.Exists(path))
                    {
                        connection.MarkLost($"device {path} disappeared");
                    }
                },
                (this, devicePath),
                interval,
                interval);
        }
    }

    public PipeReader Input { get; }

    public PipeWriter Output { get; }

    public override IDuplexPipe Transport => this;

    public override CancellationToken ConnectionLost => _lost.Token;

    public override string? LostReason => _lostReason;

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _watchdog?.Dispose();
        await Input.CompleteAsync().ConfigureAwait(false);
        try
        {
            await Output.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or ObjectDisposedException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            // Flushing to a vanished device fails; closing it is all that is left to do.
        }

        try
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
            _owner?.Dispose();
        }
        catch (Exception exception) when (exception is IOException or ObjectDisposedException or InvalidOperationException or UnauthorizedAccessException)
        {
            // Same: a port whose device is gone can fail to close.
        }

        _lost.Dispose();
    }

    private void MarkLost(string reason)
    {
        if (Volatile.Read(ref _disposed) != 0 || _lost.IsCancellationRequested)
        {
            return;
        }

        _lostReason = reason;
        try
        {
            _lost.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Disposed concurrently: nobody is listening any more.
        }
    }
}
