// SPDX-License-Identifier: MIT
using ImUeAgent.Modem.Ports;

namespace ImUeAgent.Modem.Tests.Ports;

public sealed class ModemPortAddressTests
{
    [Theory]
    [InlineData("serial:/dev/ttyUSB2", ModemPortKind.Serial, "/dev/ttyUSB2", 115200, ModemFlowControl.None, 0)]
    [InlineData("/dev/ttyUSB2", ModemPortKind.Serial, "/dev/ttyUSB2", 115200, ModemFlowControl.None, 0)]
    [InlineData("serial:/dev/ttyS1?baud=921600&flow=rtscts", ModemPortKind.Serial, "/dev/ttyS1", 921600, ModemFlowControl.RtsCts, 0)]
    [InlineData("pty:/dev/pts/7", ModemPortKind.PseudoTerminal, "/dev/pts/7", 115200, ModemFlowControl.None, 0)]
    [InlineData("tcp:127.0.0.1:2000", ModemPortKind.Tcp, "127.0.0.1", 115200, ModemFlowControl.None, 2000)]
    [InlineData("tcp:[::1]:2000", ModemPortKind.Tcp, "::1", 115200, ModemFlowControl.None, 2000)]
    [InlineData("tcp:modem.local:23", ModemPortKind.Tcp, "modem.local", 115200, ModemFlowControl.None, 23)]
    public void Parses(string text, ModemPortKind kind, string target, int baud, ModemFlowControl flow, int tcpPort)
    {
        Assert.True(ModemPortAddress.TryParse(text, out var address, out var error));
        Assert.Equal(ModemPortAddressError.None, error);
        Assert.Equal(new ModemPortAddress(kind, target, baud, flow, tcpPort), address);
        Assert.True(ModemPortAddress.TryParse(address!.ToString(), out var again, out _));
        Assert.Equal(address, again);
    }

    [Theory]
    [InlineData("", ModemPortAddressError.Empty)]
    [InlineData("usb:/dev/x", ModemPortAddressError.UnknownScheme)]
    [InlineData("serial:", ModemPortAddressError.MissingPath)]
    [InlineData("serial:/dev/ttyS1?baud=fast", ModemPortAddressError.InvalidBaudRate)]
    [InlineData("serial:/dev/ttyS1?flow=xonxoff", ModemPortAddressError.InvalidFlowControl)]
    [InlineData("pty:/dev/pts/1?flow=rtscts", ModemPortAddressError.InvalidFlowControl)]
    [InlineData("serial:/dev/ttyS1?parity=even", ModemPortAddressError.UnknownOption)]
    [InlineData("tcp::2000", ModemPortAddressError.MissingHost)]
    [InlineData("tcp:host", ModemPortAddressError.InvalidTcpPort)]
    [InlineData("tcp:host:70000", ModemPortAddressError.InvalidTcpPort)]
    public void RejectsWithAReason(string text, ModemPortAddressError expected)
    {
        Assert.False(ModemPortAddress.TryParse(text, out var address, out var error));
        Assert.Null(address);
        Assert.Equal(expected, error);
    }

    [Fact]
    public void CreatesThePortItNames()
    {
        Assert.IsType<TcpModemPort>(new ModemPortAddress(ModemPortKind.Tcp, "127.0.0.1", TcpPort: 5).CreatePort());
        var serial = Assert.IsType<SerialModemPort>(new ModemPortAddress(ModemPortKind.Serial, "/dev/ttyUSB2", 9600, ModemFlowControl.RtsCts).CreatePort());
        Assert.Equal("serial:/dev/ttyUSB2@9600,rtscts", serial.Name);
    }
}
