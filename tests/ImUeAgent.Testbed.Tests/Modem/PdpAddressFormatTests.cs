// SPDX-License-Identifier: MIT
using System.Net;
using System.Net.Sockets;
using ImUeAgent.Testbed.Modem;

namespace ImUeAgent.Testbed.Tests.Modem;

public sealed class PdpAddressFormatTests
{
    private static readonly IPAddress V6 = IPAddress.Parse("2001:db8:0:0:1::7");

    [Theory]
    [InlineData(false, false, false, false, "32.1.13.184.0.0.0.0.0.1.0.0.0.0.0.7")]
    [InlineData(true, false, false, false, "2001:DB8:0:0:1:0:0:7")]
    [InlineData(true, false, true, false, "2001:0DB8:0000:0000:0001:0000:0000:0007")]
    [InlineData(true, false, false, true, "2001:DB8::1:0:0:7")]
    public void Ipv6_follows_cgpiaf(bool colon, bool prefix, bool leading, bool compress, string expected)
    {
        Assert.Equal(expected, PdpAddressFormat.Address(V6, new Ipv6Format(colon, prefix, leading, compress)));
    }

    [Fact]
    public void Address_and_mask_forms()
    {
        Assert.Equal("10.0.0.2.255.255.252.0", PdpAddressFormat.AddressAndMask(IPAddress.Parse("10.0.0.2"), 22, Ipv6Format.Dotted));
        Assert.Equal("2001:DB8::1:0:0:7/64", PdpAddressFormat.AddressAndMask(V6, 64, new Ipv6Format(true, true, false, true)));
        Assert.Equal("2001:DB8::1:0:0:7 FFFF:FFFF:FFFF:FFFF::", PdpAddressFormat.AddressAndMask(V6, 64, new Ipv6Format(true, false, false, true)));
        Assert.Equal(32, PdpAddressFormat.AddressAndMask(V6, 64, Ipv6Format.Dotted).Split('.').Length);
        Assert.Equal("255.255.255.128", PdpAddressFormat.Mask(AddressFamily.InterNetwork, 25, Ipv6Format.Dotted));
    }

    [Fact]
    public void Ipv4_is_always_dotted()
    {
        Assert.Equal("192.0.2.1", PdpAddressFormat.Address(IPAddress.Parse("192.0.2.1"), new Ipv6Format(true, true, true, true)));
    }
}
