// SPDX-License-Identifier: MIT
using System.Net;
using ImUeAgent.Modem.BringUp;
using ImUeAgent.Modem.Profiles;

namespace ImUeAgent.Modem.Tests.BringUp;

public sealed class ModemRepliesTests
{
    [Theory]
    [InlineData("+CPIN: READY", SimPinState.Ready, "READY")]
    [InlineData("+CPIN: SIM PIN", SimPinState.SimPin, "SIM PIN")]
    [InlineData("+CPIN: SIM PUK", SimPinState.SimPuk, "SIM PUK")]
    [InlineData("+CPIN: SIM PIN2", SimPinState.SimPin2, "SIM PIN2")]
    [InlineData("+CPIN: PH-NET PIN", SimPinState.PhoneLock, "PH-NET PIN")]
    [InlineData("+CPIN: \"READY\"", SimPinState.Ready, "READY")]
    [InlineData("+CPIN: NOT READY", SimPinState.Unknown, "NOT READY")]
    public void CpinStates(string line, SimPinState state, string code)
    {
        Assert.Equal(ReplyParseError.None, ModemReplies.TryParseCpin(line, out var parsed, out var text));
        Assert.Equal((state, code), (parsed, text));
    }

    [Theory]
    [InlineData("+CPIN:", ReplyParseError.MissingField)]
    [InlineData("+CPIN: \"READY", ReplyParseError.MalformedValues)]
    [InlineData("+CPINX: READY", ReplyParseError.WrongName)]
    [InlineData("READY", ReplyParseError.WrongName)]
    public void CpinRejects(string line, ReplyParseError error) => Assert.Equal(error, ModemReplies.TryParseCpin(line, out _, out _));

    [Theory]
    [InlineData("+CGACT: 1,1", 1, true, ReplyParseError.None)]
    [InlineData("+CGACT: 2,0", 2, false, ReplyParseError.None)]
    [InlineData("+CGACT: 2,5", 2, false, ReplyParseError.NotANumber)]
    [InlineData("+CGACT: 2", 2, false, ReplyParseError.MissingField)]
    [InlineData("+CGACT: x,1", 0, false, ReplyParseError.NotANumber)]
    [InlineData("+CGDCONT: 1,1", 0, false, ReplyParseError.WrongName)]
    public void CgactLines(string line, int cid, bool active, ReplyParseError error)
    {
        Assert.Equal(error, ModemReplies.TryParseCgact(line, out var parsedCid, out var parsedActive));
        if (error == ReplyParseError.None)
        {
            Assert.Equal((cid, active), (parsedCid, parsedActive));
        }
    }

    [Theory]
    [InlineData("+CGDCONT: 2,\"IPV4V6\",\"ims\",\"0.0.0.0\",0,0,0,0,1,1", 2, "IPV4V6", "ims")]
    [InlineData("+CGDCONT: 1,\"IP\",\"internet\"", 1, "IP", "internet")]
    [InlineData("+CGDCONT: 3,\"IPV6\"", 3, "IPV6", "")]
    [InlineData("+CGDCONT: 3,\"IP\",\"\",\"\",0,0", 3, "IP", "")]
    public void CgdcontLines(string line, int cid, string type, string apn)
    {
        Assert.Equal(ReplyParseError.None, ModemReplies.TryParseCgdcont(line, out var definition));
        Assert.Equal(new PdpContextDefinition(cid, type, apn), definition);
    }

    [Theory]
    [InlineData("+CGDCONT: 1", ReplyParseError.MissingField)]
    [InlineData("+CGDCONT: 1,\"IP\",\"ims", ReplyParseError.MalformedValues)]
    [InlineData("+CGDCONT: ,\"IP\"", ReplyParseError.MissingField)]
    public void CgdcontRejects(string line, ReplyParseError error) => Assert.Equal(error, ModemReplies.TryParseCgdcont(line, out _));

    [Theory]
    [InlineData("+CGPADDR: 2,\"127.0.0.1\",\"0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1\"", 2, "127.0.0.1|::1")]
    [InlineData("+CGPADDR: 3,\"10.45.0.8\"", 3, "10.45.0.8")]
    [InlineData("+CGPADDR: 1,10.0.0.2", 1, "10.0.0.2")]
    [InlineData("+CGPADDR: 2,\"2001:db8::7\"", 2, "2001:db8::7")]
    [InlineData("+CGPADDR: 2,\"0.0.0.0\"", 2, "")]
    [InlineData("+CGPADDR: 2", 2, "")]
    [InlineData("+CGPADDR: 2,\"\",\"32.1.13.184.0.1.0.0.0.0.0.0.0.0.0.7\"", 2, "2001:db8:1::7")]
    public void CgpaddrLines(string line, int cid, string addresses)
    {
        Assert.Equal(ReplyParseError.None, ModemReplies.TryParseCgpaddr(line, out var parsedCid, out var parsed));
        Assert.Equal(cid, parsedCid);
        Assert.Equal(addresses, string.Join('|', parsed));
    }

    [Theory]
    [InlineData("+CGPADDR: 2,\"10.0.0\"", ReplyParseError.InvalidAddress)]
    [InlineData("+CGPADDR: 2,\"10.0.0.256\"", ReplyParseError.InvalidAddress)]
    [InlineData("+CGPADDR: 2,\"fe80::zz\"", ReplyParseError.InvalidAddress)]
    [InlineData("+CGPADDR: x", ReplyParseError.NotANumber)]
    [InlineData("+CGPADDR: 2,\"10.0.0.1", ReplyParseError.MalformedValues)]
    public void CgpaddrRejects(string line, ReplyParseError error) => Assert.Equal(error, ModemReplies.TryParseCgpaddr(line, out _, out _));

    [Theory]
    [InlineData("10.45.0.7", "10.45.0.7", null)]
    [InlineData("10.45.0.7.255.255.255.0", "10.45.0.7", "255.255.255.0")]
    [InlineData("32.1.13.184.0.0.0.0.0.0.0.0.0.0.0.16", "2001:db8::10", null)]
    [InlineData("32.1.13.184.0.1.0.0.0.0.0.0.0.0.0.7.255.255.255.255.255.255.255.255.0.0.0.0.0.0.0.0", "2001:db8:1::7", "ffff:ffff:ffff:ffff::")]
    [InlineData("2001:db8::1", "2001:db8::1", null)]
    [InlineData("2001:db8::1/64", "2001:db8::1", "ffff:ffff:ffff:ffff::")]
    [InlineData("2001:db8::1 ffff:ffff:ffff:ff00::", "2001:db8::1", "ffff:ffff:ffff:ff00::")]
    [InlineData("", null, null)]
    public void PdpAddressForms(string text, string? address, string? mask)
    {
        Assert.True(ModemReplies.TryParsePdpAddress(text, out var parsed, out var parsedMask));
        Assert.Equal(address, parsed?.ToString());
        Assert.Equal(mask, parsedMask?.ToString());
    }

    [Theory]
    [InlineData("1.2.3")]
    [InlineData("1.2.3.4.5")]
    [InlineData("1..3.4")]
    [InlineData("1.2.3.4444")]
    [InlineData("2001:db8::1/129")]
    [InlineData("10.0.0.1/24")]
    [InlineData("::ffff:1.2.3.4.5")]
    public void PdpAddressRejects(string text) => Assert.False(ModemReplies.TryParsePdpAddress(text, out _, out _));

    public static TheoryData<string, CgcontrdpLayout, PdpContextDynamicParameters> CgcontrdpCases => new()
    {
        {
            "+CGCONTRDP: 2,5,\"ims\",\"127.0.0.1.255.0.0.0\",\"\",\"\",\"\",\"127.0.0.1\",\"\"",
            CgcontrdpLayout.Current,
            new(2, 5, "ims", IPAddress.Parse("127.0.0.1"), IPAddress.Parse("255.0.0.0"), null, null, null, IPAddress.Parse("127.0.0.1"), null)
        },
        {
            "+CGCONTRDP: 2,5,\"ims\",\"10.45.0.7.255.255.255.255\",\"10.45.0.1\",\"192.0.2.53\",\"192.0.2.54\",\"192.0.2.10\",\"192.0.2.11\"",
            CgcontrdpLayout.Current,
            new(2, 5, "ims", IPAddress.Parse("10.45.0.7"), IPAddress.Parse("255.255.255.255"), IPAddress.Parse("10.45.0.1"), IPAddress.Parse("192.0.2.53"), IPAddress.Parse("192.0.2.54"), IPAddress.Parse("192.0.2.10"), IPAddress.Parse("192.0.2.11"))
        },
        {
            "+CGCONTRDP: 2,5,\"ims\",\"10.45.0.11\",\"255.255.255.255\",\"10.45.0.1\",\"192.0.2.53\",\"\",\"192.0.2.10\",\"\"",
            CgcontrdpLayout.SeparateMask,
            new(2, 5, "ims", IPAddress.Parse("10.45.0.11"), IPAddress.Parse("255.255.255.255"), IPAddress.Parse("10.45.0.1"), IPAddress.Parse("192.0.2.53"), null, IPAddress.Parse("192.0.2.10"), null)
        },
        {
            "+CGCONTRDP: 2,5,\"ims\",\"32.1.13.184.0.1.0.0.0.0.0.0.0.0.0.11\",\"255.255.255.255.255.255.255.255.0.0.0.0.0.0.0.0\",\"\",\"\",\"\",\"32.1.13.184.0.0.0.0.0.0.0.0.0.0.0.16\",\"\"",
            CgcontrdpLayout.SeparateMask,
            new(2, 5, "ims", IPAddress.Parse("2001:db8:1::b"), IPAddress.Parse("ffff:ffff:ffff:ffff::"), null, null, null, IPAddress.Parse("2001:db8::10"), null)
        },
        {
            // Short answer (no P-CSCF fields), bare numbers, and colon IPv6 (+CGPIAF=1,1).
            "+CGCONTRDP: 1,5,internet,10.0.0.2.255.255.255.0,10.0.0.1",
            CgcontrdpLayout.Current,
            new(1, 5, "internet", IPAddress.Parse("10.0.0.2"), IPAddress.Parse("255.255.255.0"), IPAddress.Parse("10.0.0.1"), null, null, null, null)
        },
        {
            "+CGCONTRDP: 2,6,\"ims\",\"2001:db8::7/64\",\"\",\"\",\"\",\"2001:db8::10\",\"2001:db8::11\",0,0,1500",
            CgcontrdpLayout.Current,
            new(2, 6, "ims", IPAddress.Parse("2001:db8::7"), IPAddress.Parse("ffff:ffff:ffff:ffff::"), null, null, null, IPAddress.Parse("2001:db8::10"), IPAddress.Parse("2001:db8::11"))
        },
    };

    [Theory]
    [MemberData(nameof(CgcontrdpCases))]
    public void CgcontrdpLayouts(string line, CgcontrdpLayout layout, PdpContextDynamicParameters expected)
    {
        Assert.Equal(ReplyParseError.None, ModemReplies.TryParseCgcontrdp(line, layout, out var parsed));
        Assert.Equal(expected, parsed);
    }

    [Theory]
    [InlineData("+CGCONTRDP: 2,5,\"ims\",\"10.45.0\"", ReplyParseError.InvalidAddress)]
    [InlineData("+CGCONTRDP: ,5,\"ims\"", ReplyParseError.MissingField)]
    [InlineData("+CGCONTRDP: 2,x,\"ims\"", ReplyParseError.NotANumber)]
    [InlineData("+CGCONTRDP: 2,5,\"ims", ReplyParseError.MalformedValues)]
    [InlineData("+CGCONTRDPX: 2,5", ReplyParseError.WrongName)]
    public void CgcontrdpRejects(string line, ReplyParseError error) => Assert.Equal(error, ModemReplies.TryParseCgcontrdp(line, CgcontrdpLayout.Current, out _));

    [Fact]
    public void PcscfListCollectsBothFamiliesOfTheCidWithoutRepeats()
    {
        string[] lines =
        [
            "+CGCONTRDP: 1,5,\"internet\",\"10.0.0.2.255.0.0.0\",\"\",\"\",\"\",\"192.0.2.99\",\"\"",
            "+CGCONTRDP: 2,5,\"ims\",\"10.45.0.7.255.255.255.255\",\"10.45.0.1\",\"192.0.2.53\",\"192.0.2.54\",\"192.0.2.10\",\"192.0.2.11\"",
            "+CGCONTRDP: 2,5,\"ims\",\"bogus\"",
            "+CGCONTRDP: 2,5,\"ims\",\"32.1.13.184.0.1.0.0.0.0.0.0.0.0.0.7.255.255.255.255.255.255.255.255.0.0.0.0.0.0.0.0\",\"\",\"\",\"\",\"32.1.13.184.0.0.0.0.0.0.0.0.0.0.0.16\",\"192.0.2.10\"",
        ];
        var skipped = new List<ReplyParseError>();
        Assert.Equal(["192.0.2.10", "192.0.2.11", "2001:db8::10"], ModemService.PcscfAddressesOf(lines, 2, CgcontrdpLayout.Current, skipped.Add));
        Assert.Equal([ReplyParseError.InvalidAddress], skipped);
    }

    [Theory]
    [InlineData("Quectel", "+CGMI", "Quectel")]
    [InlineData("+CGMR: LE20B04SIM7600G22", "+CGMR", "LE20B04SIM7600G22")]
    [InlineData("+CGSN: \"356938035643809\"", "+CGSN", "356938035643809")]
    [InlineData("SIMCOM INCORPORATED", "+CGMI", "SIMCOM INCORPORATED")]
    [InlineData("+CIMI: 001010123456789", "+CIMI", "001010123456789")]
    public void IdentificationAnswers(string line, string prefix, string expected) => Assert.Equal(expected, ModemReplies.IdentificationText(line, prefix));

    [Theory]
    [InlineData("+QCFG: \"ims\",0,1", 1, "0")]
    [InlineData("+QCFG: \"ims\",2,0", 1, "2")]
    [InlineData("+QCFG: \"ims\",2,0", 2, "0")]
    [InlineData("+QCFG: \"ims\"", 1, null)]
    public void ModuleImsClientField(string line, int field, string? value) => Assert.Equal(value, ModemService.ImsClientValue(line, field));

    [Theory]
    [InlineData("AT+CGDCONT?", "+CGDCONT")]
    [InlineData("at+cgla=1,10,\"00B0000000\"", "+CGLA")]
    [InlineData("AT^SYSINFO", "^SYSINFO")]
    [InlineData("ATI", null)]
    [InlineData("AT", null)]
    public void RawCommandPrefixes(string line, string? prefix) => Assert.Equal(prefix, ModemService.CommandPrefix(line));

    [Theory]
    [InlineData(0, 15, "attach denied: cause 15 (no suitable cells in tracking area)")]
    [InlineData(0, 11, "attach denied: cause 11 (PLMN not allowed)")]
    [InlineData(1, 200, "attach denied: manufacturer-specific cause 200")]
    [InlineData(null, null, "attach denied (the network gave no reject cause)")]
    [InlineData(0, 250, "attach denied: cause 250 (no text known)")]
    public void AttachDeniedWords(int? causeType, int? cause, string expected) => Assert.Equal(expected, AtWords.AttachDenied(causeType, cause));

    [Fact]
    public void SettingsNeverPrintThePin()
    {
        var settings = new ModemServiceSettings { Port = "tcp:127.0.0.1:2000", SimPin = "4711" };
        Assert.DoesNotContain("4711", settings.ToString(), StringComparison.Ordinal);
        settings.Validate();
        Assert.Throws<ArgumentException>(() => (settings with { SimPin = "12" }).Validate());
        Assert.Throws<ArgumentException>(() => (settings with { ImsApn = "i\"ms" }).Validate());
        Assert.Throws<ArgumentException>(() => (settings with { Port = "usb:x" }).Validate());
        Assert.Throws<ArgumentException>(() => (settings with { MncLength = 4 }).Validate());
    }

    [Fact]
    public void StateNeverPrintsTheImpi()
    {
        var state = ModemState.Initial with { Impi = "001010123456789@ims.mnc001.mcc001.3gppnetwork.org", Impus = ["sip:x@y"] };
        Assert.DoesNotContain("001010123456789", state.ToString(), StringComparison.Ordinal);
        Assert.Contains("redacted", state.ToString(), StringComparison.Ordinal);
    }
}
