// SPDX-License-Identifier: MIT
using System.Runtime.InteropServices;
using System.Text;

namespace ImUeAgent.Testbed.Modem;

/// <summary>
/// The few libc calls a pseudo-terminal needs (POSIX posix_openpt/grantpt/unlockpt/ptsname_r, termios, poll).
/// Only blittable arguments, so the calls need no runtime marshalling and stay trim/AOT clean. Flag values are
/// Linux's (identical on x86-64 and arm64).
/// </summary>
internal static class PtyNative
{
    public const int ORdWr = 0x2;
    public const int ONoCtty = 0x100;
    public const int ONonBlock = 0x800;
    public const int OCloExec = 0x80000;

    public const short PollIn = 0x1;
    public const short PollOut = 0x4;
    public const short PollErr = 0x8;
    public const short PollHup = 0x10;

    public const int TcsaNow = 0;

    public const int EIntr = 4;
    public const int EIo = 5;
    public const int EAgain = 11;

    /// <summary>glibc's struct termios is 60 bytes; the buffer leaves room.</summary>
    private const int TermiosSize = 128;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    /// <summary>Opens a new master, grants and unlocks its slave, sets raw mode; returns the fd and slave path.</summary>
    public static int OpenMaster(out string slavePath)
    {
        var fd = posix_openpt(ORdWr | ONoCtty | ONonBlock | OCloExec);
        if (fd < 0)
        {
            throw Failure("posix_openpt");
        }

        try
        {
            if (grantpt(fd) != 0)
            {
                throw Failure("grantpt");
            }

            if (unlockpt(fd) != 0)
            {
                throw Failure("unlockpt");
            }

            var name = new byte[256];
            var rc = ptsname_r(fd, name, (nuint)name.Length);
            if (rc != 0)
            {
                throw new IOException($"ptsname_r failed: errno {rc}");
            }

            slavePath = Encoding.UTF8.GetString(name, 0, Array.IndexOf(name, (byte)0));
            SetRaw(fd);
            return fd;
        }
        catch
        {
            _ = close(fd);
            throw;
        }
    }

    /// <summary>
    /// cfmakeraw on the pair's termios (on Linux, tcsetattr on the master sets the slave's): no echo, no CR/LF
    /// translation, no signals from the line discipline — the bytes pass as a serial line would carry them.
    /// </summary>
    public static void SetRaw(int fd)
    {
        var termios = new byte[TermiosSize];
        if (tcgetattr(fd, termios) != 0)
        {
            throw Failure("tcgetattr");
        }

        cfmakeraw(termios);
        if (tcsetattr(fd, TcsaNow, termios) != 0)
        {
            throw Failure("tcsetattr");
        }
    }

    /// <summary>Opens and closes the slave once: from then on "no TE has it open" reads as POLLHUP on the master.</summary>
    public static void TouchSlave(string slavePath)
    {
        var path = Encoding.UTF8.GetBytes(slavePath + "\0");
        var fd = open(path, ORdWr | ONoCtty | OCloExec);
        if (fd < 0)
        {
            throw Failure("open " + slavePath);
        }

        _ = close(fd);
    }

    public static IOException Failure(string call) =>
        new($"{call} failed: errno {Marshal.GetLastPInvokeError()}");

    [DllImport("libc", SetLastError = true)]
    public static extern int posix_openpt(int flags);

    [DllImport("libc", SetLastError = true)]
    public static extern int grantpt(int fd);

    [DllImport("libc", SetLastError = true)]
    public static extern int unlockpt(int fd);

    [DllImport("libc")]
    public static extern int ptsname_r(int fd, [Out] byte[] buffer, nuint length);

    [DllImport("libc", SetLastError = true)]
    public static extern int tcgetattr(int fd, [Out] byte[] termios);

    [DllImport("libc")]
    public static extern void cfmakeraw([In, Out] byte[] termios);

    [DllImport("libc", SetLastError = true)]
    public static extern int tcsetattr(int fd, int optionalActions, [In] byte[] termios);

    [DllImport("libc", SetLastError = true)]
    public static extern int open([In] byte[] path, int flags);

    [DllImport("libc", SetLastError = true)]
    public static extern int poll(ref PollFd fds, nuint count, int timeoutMilliseconds);

    [DllImport("libc", SetLastError = true)]
    public static extern nint read(int fd, ref byte buffer, nint count);

    [DllImport("libc", SetLastError = true)]
    public static extern nint write(int fd, ref byte buffer, nint count);

    [DllImport("libc", SetLastError = true)]
    public static extern int close(int fd);
}
