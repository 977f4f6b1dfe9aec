// SPDX-License-Identifier: MIT
using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.InteropServices;
using System.Threading.Channels;

namespace ImUeAgent.Testbed.Modem;

/// <summary>
/// The MT on a pseudo-terminal. A TE "connects" by opening the slave and "disconnects" by closing it: the master
/// then reports POLLHUP until the slave is opened again. A dedicated thread polls the master (non-blocking fd) and
/// feeds the current connection's input pipe; writes go straight to the master and are dropped while no TE has the
/// slave open, as bytes sent down a serial line nobody listens to are lost.
/// </summary>
internal sealed class PtyModemPort : IModemPort
{
    private const int PollTimeoutMilliseconds = 100;

    /// <summary>POLLHUP is level-triggered and no event announces the slave's reopening, so the pump rechecks.</summary>
    private const int HangupRecheckMilliseconds = 20;

    private readonly int _master;
    private readonly string? _link;
    private readonly Thread _pump;
    private readonly Channel<Connection> _accepted = Channel.CreateBounded<Connection>(1);
    private readonly Lock _writeGate = new();
    private volatile bool _stopping;
    private volatile bool _closed;

    private PtyModemPort(int master, string slavePath, string? link)
    {
        _master = master;
        SlavePath = slavePath;
        _link = link;
        Announcement = link is null ? [$"pty {slavePath}"] : [$"pty {slavePath}", $"link {link}"];
        _pump = new Thread(Pump) { IsBackground = true, Name = "imue-testbed pty " + slavePath };
        _pump.Start();
    }

    public string SlavePath { get; }

    public IReadOnlyList<string> Announcement { get; }

    /// <summary>Creates a pty in raw mode; with <paramref name="link"/>, (re)points that symlink at the slave.</summary>
    public static PtyModemPort Create(string? link)
    {
        var master = PtyNative.OpenMaster(out var slavePath);
        try
        {
            PtyNative.TouchSlave(slavePath);
            if (link is not null)
            {
                ReplaceLink(link, slavePath);
            }

            return new PtyModemPort(master, slavePath, link);
        }
        catch
        {
            _ = PtyNative.close(master);
            throw;
        }
    }

    public async Task<IModemConnection> AcceptAsync(CancellationToken cancellationToken) =>
        await _accepted.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);

    public ValueTask DisposeAsync()
    {
        if (_stopping)
        {
            return ValueTask.CompletedTask;
        }

        _stopping = true;
        _pump.Join();
        lock (_writeGate)
        {
            _closed = true;
            _ = PtyNative.close(_master);
        }

        if (_link is not null)
        {
            try
            {
                if (File.ResolveLinkTarget(_link, returnFinalTarget: false)?.FullName == SlavePath)
                {
                    File.Delete(_link);
                }
            }
            catch (IOException)
            {
                // The link went away or was re-pointed by someone else: leave it.
            }
        }

        _accepted.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }

    private static void ReplaceLink(string link, string target)
    {
        var info = new FileInfo(link);
        if (info.LinkTarget is not null)
        {
            File.Delete(link);
        }
        else if (info.Exists)
        {
            throw new IOException($"--link {link}: exists and is not a symbolic link");
        }

        File.CreateSymbolicLink(link, target);
    }

    private void Pump()
    {
        var buffer = new byte[4096];
        Connection? current = null;
        while (!_stopping)
        {
            if (current is { Ended: true })
            {
                current.End();
                current = null;
            }

            var fd = new PtyNative.PollFd { Fd = _master, Events = PtyNative.PollIn };
            var ready = PtyNative.poll(ref fd, 1, PollTimeoutMilliseconds);
            if (ready < 0)
            {
                if (Marshal.GetLastPInvokeError() == PtyNative.EIntr)
                {
                    continue;
                }

                break;
            }

            if ((fd.Revents & PtyNative.PollHup) != 0)
            {
                // Not flushed here: the kernel drops what the closed slave had not read, and a TE that reopened
                // in the meantime may already have written its first command.
                if (current is not null)
                {
                    current.End();
                    current = null;
                }

                Thread.Sleep(HangupRecheckMilliseconds);
                continue;
            }

            if (current is null)
            {
                current = new Connection(this);
                if (!_accepted.Writer.TryWrite(current))
                {
                    // The previous connection was never taken (no one accepting): replace it.
                    _accepted.Reader.TryRead(out _);
                    _accepted.Writer.TryWrite(current);
                }
            }

            if ((fd.Revents & PtyNative.PollIn) == 0)
            {
                continue;
            }

            var count = PtyNative.read(_master, ref buffer[0], buffer.Length);
            if (count > 0)
            {
                current.Received(buffer.AsSpan(0, (int)count));
            }
            else if (count < 0 && Marshal.GetLastPInvokeError() is not (PtyNative.EAgain or PtyNative.EIntr))
            {
                current.End();
                current = null;
            }
        }

        current?.End();
    }

    /// <summary>Writes all of <paramref name="bytes"/> unless the TE closes the slave or the port closes.</summary>
    private void WriteToMaster(ReadOnlySpan<byte> bytes, Connection connection)
    {
        var offset = 0;
        while (offset < bytes.Length && !connection.Ended)
        {
            nint written;
            lock (_writeGate)
            {
                if (_closed)
                {
                    return;
                }

                written = PtyNative.write(_master, ref MemoryMarshal.GetReference(bytes[offset..]), bytes.Length - offset);
            }

            if (written > 0)
            {
                offset += (int)written;
                continue;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno == PtyNative.EIntr)
            {
                continue;
            }

            if (errno != PtyNative.EAgain)
            {
                return;
            }

            // The slave's input queue is full (the TE is not reading): wait for room.
            var fd = new PtyNative.PollFd { Fd = _master, Events = PtyNative.PollOut };
            _ = PtyNative.poll(ref fd, 1, PollTimeoutMilliseconds);
            if ((fd.Revents & PtyNative.PollHup) != 0)
            {
                return;
            }
        }
    }

    private sealed class Connection : IModemConnection, IDuplexPipe
    {
        private readonly PtyModemPort _port;
        private readonly Pipe _input = new(new PipeOptions(useSynchronizationContext: false));
        private readonly Pipe _output = new(new PipeOptions(useSynchronizationContext: false));
        private readonly Task _writer;
        private volatile bool _ended;
        private bool _inputCompleted;

        public Connection(PtyModemPort port)
        {
            _port = port;
            _writer = Task.Run(DrainOutputAsync);
        }

        public bool Ended => _ended;

        public IDuplexPipe Transport => this;

        public PipeReader Input => _input.Reader;

        public PipeWriter Output => _output.Writer;

        /// <summary>Pump thread only: hands received bytes to the session.</summary>
        public void Received(ReadOnlySpan<byte> bytes)
        {
            if (_ended)
            {
                return;
            }

            _input.Writer.Write(bytes);
            // The pump thread is dedicated: blocking here is the back-pressure of a slow session.
            var flush = _input.Writer.FlushAsync().AsTask().GetAwaiter().GetResult();
            if (flush.IsCompleted)
            {
                End();
            }
        }

        /// <summary>Pump thread only (it alone writes the input pipe): the TE closed the slave.</summary>
        public void End()
        {
            _ended = true;
            if (!_inputCompleted)
            {
                _inputCompleted = true;
                _input.Writer.Complete();
            }

            _output.Reader.CancelPendingRead();
        }

        /// <summary>The session is done with this connection; the pump completes the input side when it notices.</summary>
        public async ValueTask DisposeAsync()
        {
            _ended = true;
            await _input.Reader.CompleteAsync().ConfigureAwait(false);
            await _output.Writer.CompleteAsync().ConfigureAwait(false);
            _output.Reader.CancelPendingRead();
            await _writer.ConfigureAwait(false);
        }

        private async Task DrainOutputAsync()
        {
            var reader = _output.Reader;
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                foreach (var segment in result.Buffer)
                {
                    _port.WriteToMaster(segment.Span, this);
                }

                reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted || result.IsCanceled || _ended)
                {
                    await reader.CompleteAsync().ConfigureAwait(false);
                    return;
                }
            }
        }
    }
}
