// SPDX-License-Identifier: MIT
using System.Runtime.InteropServices;

namespace ImUeAgent.Modem.Ports;

/// <summary>
/// A serial device or pseudo-terminal opened directly (open/termios/poll through libc). System.IO.Ports' Unix
/// implementation services the port from a loop that wakes every millisecond (about 1000 wakeups a second measured
/// here), which a battery-powered handset cannot afford; this stream sleeps in poll(2) until the modem sends a byte
/// or the stream is closed (a self-pipe wakes the reader), so an idle modem costs no wakeups at all.
/// </summary>
internal sealed partial class TtyStream : Stream
{
    private const int O_RDWR = 0x2;
    private const int O_NOCTTY = 0x100;
    private const int O_NONBLOCK = 0x800;
    private const int O_CLOEXEC = 0x80000;
    private const short POLLIN = 0x1;
    private const short POLLOUT = 0x4;
    private const short POLLERR = 0x8;
    private const short POLLHUP = 0x10;
    private const int EINTR = 4;
    private const int EAGAIN = 11;
    private const int TCSANOW = 0;
    private const int TCIFLUSH = 0;
    private const uint CLOCAL = 0x800;
    private const uint CREAD = 0x80;
    private const uint CRTSCTS = 0x80000000;
    private const int TIOCMBIS = 0x5416;
    private const int TIOCM_DTR = 0x002;
    private const int TIOCM_RTS = 0x004;

    // glibc struct termios (x86_64 and aarch64 alike): c_iflag, c_oflag, c_cflag, c_lflag, c_line, c_cc[32], c_ispeed,
    // c_ospeed = 60 bytes; a larger buffer is harmless.
    private const int TermiosSize = 64;
    private const int CflagOffset = 8;
    private const int CcOffset = 17;
    private const int VTIME = 5;
    private const int VMIN = 6;

    private static readonly Dictionary<int, uint> SpeedConstants = new()
    {
        [9600] = 0xD, [19200] = 0xE, [38400] = 0xF, [57600] = 0x1001, [115200] = 0x1002, [230400] = 0x1003,
        [460800] = 0x1004, [500000] = 0x1005, [921600] = 0x1007, [1000000] = 0x1008, [3000000] = 0x100D,
        [4000000] = 0x100F,
    };

    private readonly int _fd;
    private readonly int _wakeRead;
    private readonly int _wakeWrite;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private int _disposed;

    private TtyStream(int fd, int wakeRead, int wakeWrite)
    {
        _fd = fd;
        _wakeRead = wakeRead;
        _wakeWrite = wakeWrite;
    }

    /// <summary>Opens and configures the device: raw 8N1 at <paramref name="baudRate"/>, optional RTS/CTS, DTR up.</summary>
    public static TtyStream Open(string path, int baudRate, ModemFlowControl flowControl, bool isPseudoTerminal)
    {
        if (!SpeedConstants.TryGetValue(baudRate, out var speed))
        {
            throw new ArgumentException($"unsupported baud rate {baudRate} (supported: {string.Join(", ", SpeedConstants.Keys)})", nameof(baudRate));
        }

        var fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
        {
            throw Error($"cannot open {path}");
        }

        try
        {
            Span<byte> termios = stackalloc byte[TermiosSize];
            termios.Clear();
            if (tcgetattr(fd, ref MemoryMarshal.GetReference(termios)) != 0)
            {
                throw Error($"{path} is not a terminal");
            }

            cfmakeraw(ref MemoryMarshal.GetReference(termios));
            if (cfsetispeed(ref MemoryMarshal.GetReference(termios), speed) != 0 || cfsetospeed(ref MemoryMarshal.GetReference(termios), speed) != 0)
            {
                throw Error($"{path}: cannot set {baudRate} baud");
            }

            var cflag = MemoryMarshal.Read<uint>(termios[CflagOffset..]);
            cflag |= CLOCAL | CREAD;
            cflag = flowControl == ModemFlowControl.RtsCts ? cflag | CRTSCTS : cflag & ~CRTSCTS;
            MemoryMarshal.Write(termios[CflagOffset..], in cflag);
            termios[CcOffset + VMIN] = 1;
            termios[CcOffset + VTIME] = 0;
            if (tcsetattr(fd, TCSANOW, ref MemoryMarshal.GetReference(termios)) != 0)
            {
                throw Error($"{path}: cannot configure the terminal");
            }

            // A pty has no modem-control lines (TIOCMBIS fails with ENOTTY). On a UART, DTR up tells the modem a host
            // is attached (V.24 circuit 108/2); RTS up when it does not carry flow control.
            if (!isPseudoTerminal)
            {
                var lines = TIOCM_DTR | (flowControl == ModemFlowControl.None ? TIOCM_RTS : 0);
                _ = ioctl(fd, TIOCMBIS, ref lines);
            }

            _ = tcflush(fd, TCIFLUSH);
            Span<int> wake = stackalloc int[2];
            if (pipe2(ref MemoryMarshal.GetReference(wake), O_CLOEXEC | O_NONBLOCK) != 0)
            {
                throw Error("cannot create the wake-up pipe");
            }

            return new TtyStream(fd, wake[0], wake[1]);
        }
        catch
        {
            _ = close(fd);
            throw;
        }
    }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        new(Task.Factory.StartNew(static state =>
        {
            var (stream, memory) = ((TtyStream, Memory<byte>))state!;
            return stream.Read(memory.Span);
        }, (this, buffer), cancellationToken, TaskCreationOptions.DenyChildAttach, TaskScheduler.Default));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Sleeps in poll(2) until data, hang-up or close; 0 means closed.</summary>
    public override int Read(Span<byte> buffer)
    {
        Span<PollFd> fds = stackalloc PollFd[2];
        while (Volatile.Read(ref _disposed) == 0)
        {
            fds[0] = new PollFd { Fd = _fd, Events = POLLIN };
            fds[1] = new PollFd { Fd = _wakeRead, Events = POLLIN };
            var ready = poll(ref MemoryMarshal.GetReference(fds), 2, -1);
            if (ready < 0)
            {
                if (Marshal.GetLastPInvokeError() == EINTR)
                {
                    continue;
                }

                throw Error("poll on the modem device failed");
            }

            if (fds[1].Revents != 0 || Volatile.Read(ref _disposed) != 0)
            {
                return 0;
            }

            if ((fds[0].Revents & POLLIN) != 0)
            {
                var n = read(_fd, ref MemoryMarshal.GetReference(buffer), buffer.Length);
                if (n > 0)
                {
                    return (int)n;
                }

                if (n == 0)
                {
                    return 0;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno is EAGAIN or EINTR)
                {
                    continue;
                }

                throw Error("read from the modem device failed");
            }

            if ((fds[0].Revents & (POLLHUP | POLLERR)) != 0)
            {
                // USB unplug or the pty's master closed: no data will come.
                throw new IOException("the modem device hung up");
            }
        }

        return 0;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Write(buffer.Span);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        Span<PollFd> fds = stackalloc PollFd[1];
        while (!buffer.IsEmpty)
        {
            var n = write(_fd, ref MemoryMarshal.GetReference(buffer), buffer.Length);
            if (n > 0)
            {
                buffer = buffer[(int)n..];
                continue;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (n < 0 && errno == EINTR)
            {
                continue;
            }

            if (n < 0 && errno == EAGAIN)
            {
                // Output queue full (flow control held): wait until writable, at most 5 s.
                fds[0] = new PollFd { Fd = _fd, Events = POLLOUT };
                if (poll(ref MemoryMarshal.GetReference(fds), 1, 5000) == 0)
                {
                    throw new IOException("the modem device accepted no data for 5 s (flow control held?)");
                }

                continue;
            }

            throw Error("write to the modem device failed");
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            // Wake a reader sleeping in poll, then close. A read racing with the close sees EBADF and ends.
            Span<byte> one = [1];
            _ = write(_wakeWrite, ref MemoryMarshal.GetReference(one), 1);
            _ = close(_fd);
            _ = close(_wakeWrite);
            _ = close(_wakeRead);
            _writeGate.Dispose();
        }

        base.Dispose(disposing);
    }

    private static IOException Error(string what)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new IOException($"{what}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint read(int fd, ref byte buffer, nint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint write(int fd, ref byte buffer, nint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int poll(ref PollFd fds, nuint count, int timeout);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int pipe2(ref int fds, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int tcgetattr(int fd, ref byte termios);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int tcsetattr(int fd, int action, ref byte termios);

    [LibraryImport("libc")]
    private static partial void cfmakeraw(ref byte termios);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int cfsetispeed(ref byte termios, uint speed);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int cfsetospeed(ref byte termios, uint speed);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int tcflush(int fd, int queue);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int ioctl(int fd, int request, ref int argument);
}
