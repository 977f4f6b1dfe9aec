// SPDX-License-Identifier: MIT
using System.IO.Pipelines;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace ImUeAgent.Modem.Tests.Ports;

/// <summary>
/// A real pseudo-terminal pair opened through libc (posix_openpt, grantpt, unlockpt, ptsname_r). The test plays the
/// modem on the master; the code under test opens the slave path like a serial device.
/// </summary>
internal sealed class PseudoTerminal : IDisposable
{
    private const int ORdWr = 0x2;
    private const int ONoCtty = 0x100;
    private readonly FileStream _master;
    private readonly SafeFileHandle _slaveHold;
    private int _disposed;

    private PseudoTerminal(FileStream master, SafeFileHandle slaveHold, string slavePath)
    {
        _master = master;
        _slaveHold = slaveHold;
        SlavePath = slavePath;
        Modem = new ScriptedModem(
            PipeReader.Create(master, new StreamPipeReaderOptions(leaveOpen: true)),
            PipeWriter.Create(master, new StreamPipeWriterOptions(leaveOpen: true)));
    }

    public string SlavePath { get; }

    public ScriptedModem Modem { get; }

    public static PseudoTerminal Open()
    {
        var fd = PosixOpenPt(ORdWr | ONoCtty);
        if (fd < 0)
        {
            throw new IOException($"posix_openpt failed: errno {Marshal.GetLastPInvokeError()}");
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (GrantPt(fd) != 0 || UnlockPt(fd) != 0)
        {
            handle.Dispose();
            throw new IOException($"grantpt/unlockpt failed: errno {Marshal.GetLastPInvokeError()}");
        }

        var name = new byte[128];
        if (PtsNameR(fd, name, (nuint)name.Length) != 0)
        {
            handle.Dispose();
            throw new IOException("ptsname_r failed");
        }

        var path = Encoding.ASCII.GetString(name, 0, Array.IndexOf(name, (byte)0));

        // Reading the master while no slave is open fails with EIO: hold the slave open until the test unplugs.
        var slave = OpenNative(path, ORdWr | ONoCtty);
        if (slave < 0)
        {
            handle.Dispose();
            throw new IOException($"open {path} failed: errno {Marshal.GetLastPInvokeError()}");
        }

        return new PseudoTerminal(new FileStream(handle, FileAccess.ReadWrite, bufferSize: 0), new SafeFileHandle(slave, ownsHandle: true), path);
    }

    /// <summary>Closes the master: the slave sees a hang-up and its device node goes away, like an unplugged modem.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _slaveHold.Dispose();
            _master.Dispose();
        }
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int OpenNative([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "posix_openpt", SetLastError = true)]
    private static extern int PosixOpenPt(int flags);

    [DllImport("libc", EntryPoint = "grantpt", SetLastError = true)]
    private static extern int GrantPt(int fd);

    [DllImport("libc", EntryPoint = "unlockpt", SetLastError = true)]
    private static extern int UnlockPt(int fd);

    [DllImport("libc", EntryPoint = "ptsname_r", SetLastError = true)]
    private static extern int PtsNameR(int fd, [Out] byte[] buffer, nuint length);
}
