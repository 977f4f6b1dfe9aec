// SPDX-License-Identifier: MIT
using ImUeAgent.Modem.At.Urc;

namespace ImUeAgent.Modem.Tests.At;

public sealed class UrcParserTests
{
    [Fact]
    public void CeregStatOnly()
    {
        Assert.True(NetworkRegistrationReport.TryParse("+CEREG: 1", solicited: false, out var report, out _));
        Assert.Equal(new NetworkRegistrationReport("+CEREG", null, RegistrationStatus.RegisteredHome, null, null, null, null, null, null, null, null), report);
        Assert.True(report!.IsRegistered);
    }

    [Fact]
    public void CeregWithLocation()
    {
        Assert.True(NetworkRegistrationReport.TryParse("+CEREG: 5,\"1A2B\",\"01A2B3C4\",7", solicited: false, out var report, out _));
        Assert.Equal(RegistrationStatus.RegisteredRoaming, report!.Status);
        Assert.Equal(0x1A2Bu, report.AreaCode);
        Assert.Equal(0x01A2B3C4UL, report.CellId);
        Assert.Equal(AccessTechnology.EUtran, report.AccessTechnology);
        Assert.Null(report.RejectCause);
    }

    [Fact]
    public void CeregRejectCauseWithN3()
    {
        Assert.True(NetworkRegistrationReport.TryParse("+CEREG: 3,\"1A2B\",\"01A2B3C4\",7,0,15", solicited: false, out var report, out _));
        Assert.Equal(RegistrationStatus.Denied, report!.Status);
        Assert.Equal(0, report.CauseType);
        Assert.Equal(15, report.RejectCause);
        Assert.False(report.IsRegistered);
    }

    [Fact]
    public void CeregReadAnswerStartsWithN()
    {
        Assert.True(NetworkRegistrationReport.TryParse("+CEREG: 4,1,\"1A2B\",\"01A2B3C4\",7,,,\"00100100\",\"01000111\"", solicited: true, out var report, out _));
        Assert.Equal(4, report!.Mode);
        Assert.Equal(RegistrationStatus.RegisteredHome, report.Status);
        Assert.Null(report.CauseType);
        Assert.Equal("00100100", report.ActiveTime);
        Assert.Equal("01000111", report.PeriodicUpdateTimer);
    }

    [Fact]
    public void CeregEmptyOptionalFields()
    {
        Assert.True(NetworkRegistrationReport.TryParse("+CEREG: 2,1,,,", solicited: true, out var report, out _));
        Assert.Equal((2, RegistrationStatus.RegisteredHome), (report!.Mode, report.Status));
        Assert.Null(report.AreaCode);
        Assert.Null(report.CellId);
        Assert.Null(report.AccessTechnology);
    }

    [Fact]
    public void CregAndCgreg()
    {
        Assert.True(NetworkRegistrationReport.TryParse("+CREG: 1,\"00C3\",\"0000A1B2\",2", solicited: false, out var creg, out _));
        Assert.Equal(("+CREG", 0xC3u, AccessTechnology.Utran), (creg!.Name, creg.AreaCode!.Value, creg.AccessTechnology!.Value));
        Assert.True(NetworkRegistrationReport.TryParse("+CGREG: 1,\"00C3\",\"0000A1B2\",2,\"5A\",0,7", solicited: false, out var cgreg, out _));
        Assert.Equal((0x5Au, 0, 7), (cgreg!.RoutingAreaCode!.Value, cgreg.CauseType!.Value, cgreg.RejectCause!.Value));
    }

    [Theory]
    [InlineData("+CEREG: ", false, AtUrcParseError.MissingField)]
    [InlineData("+CEREG: x", false, AtUrcParseError.NotANumber)]
    [InlineData("+CEREG: 1,\"XYZ\"", false, AtUrcParseError.NotHexadecimal)]
    [InlineData("+CEREG: 1,\"123456789\"", false, AtUrcParseError.NotHexadecimal)]
    [InlineData("+CEREG: 1,\"1A2B", false, AtUrcParseError.MalformedValues)]
    [InlineData("+CEREG: 1,,,x", false, AtUrcParseError.NotANumber)]
    [InlineData("+CEREG: 300", false, AtUrcParseError.OutOfRange)]
    [InlineData("+CSQ: 1", false, AtUrcParseError.WrongName)]
    [InlineData("+CEREG: 1", true, AtUrcParseError.MissingField)]
    public void RejectsBadRegistrationReports(string line, bool solicited, AtUrcParseError error)
    {
        Assert.False(NetworkRegistrationReport.TryParse(line, solicited, out var report, out var actual));
        Assert.Null(report);
        Assert.Equal(error, actual);
    }

    public static TheoryData<string, PacketDomainEventKind, int?, int?, int?, int?, string?> CgevLines => new()
    {
        { "+CGEV: ME PDN ACT 1", PacketDomainEventKind.MePdnAct, 1, null, null, null, null },
        { "+CGEV: ME PDN ACT 1,0", PacketDomainEventKind.MePdnAct, 1, null, null, 0, null },
        { "+CGEV: NW PDN ACT 2", PacketDomainEventKind.NwPdnAct, 2, null, null, null, null },
        { "+CGEV: NW PDN DEACT 1", PacketDomainEventKind.NwPdnDeact, 1, null, null, null, null },
        { "+CGEV: ME PDN DEACT 3", PacketDomainEventKind.MePdnDeact, 3, null, null, null, null },
        { "+CGEV: PDN ACT 1", PacketDomainEventKind.PdnAct, 1, null, null, null, null },
        { "+CGEV: PDN DEACT 1", PacketDomainEventKind.PdnDeact, 1, null, null, null, null },
        { "+CGEV: NW DETACH", PacketDomainEventKind.NwDetach, null, null, null, null, null },
        { "+CGEV: ME DETACH", PacketDomainEventKind.MeDetach, null, null, null, null, null },
        { "+CGEV: NW ACT 1,2,1", PacketDomainEventKind.NwAct, 2, 1, 1, null, null },
        { "+CGEV: NW DEACT 1,2,0", PacketDomainEventKind.NwDeact, 2, 1, 0, null, null },
        { "+CGEV: NW DEACT \"IP\",\"10.0.0.7\",1", PacketDomainEventKind.NwDeact, 1, null, null, null, "10.0.0.7" },
        { "+CGEV: ME DEACT \"IPV6\", \"FE80::1\"", PacketDomainEventKind.MeDeact, null, null, null, null, "FE80::1" },
        { "+CGEV: NW MODIFY 1,2,0", PacketDomainEventKind.NwModify, 1, null, 0, null, null },
        { "+CGEV: REJECT \"IP\",\"10.1.1.1\"", PacketDomainEventKind.Reject, null, null, null, null, "10.1.1.1" },
        { "+CGEV: ME OVERHEATED", PacketDomainEventKind.Other, null, null, null, null, null },
    };

    [Theory]
    [MemberData(nameof(CgevLines))]
    public void ParsesPacketDomainEvents(string line, PacketDomainEventKind kind, int? cid, int? parentCid, int? eventType, int? reason, string? address)
    {
        Assert.True(PacketDomainEvent.TryParse(line, out var report, out var error), error.ToString());
        Assert.Equal((kind, cid, parentCid, eventType, reason, address), (report!.Kind, report.Cid, report.ParentCid, report.EventType, report.Reason, report.PdpAddress));
        Assert.Equal(line, report.Line);
    }

    [Fact]
    public void KeepsUnknownEventNames()
    {
        Assert.True(PacketDomainEvent.TryParse("+CGEV: APNRATECTRL STAT 1,0", out var report, out _));
        Assert.Equal("APNRATECTRL STAT", report!.EventName);
        Assert.True(PacketDomainEvent.TryParse("+CGEV: NW CLASS \"B\"", out var cls, out _));
        Assert.Equal("B", cls!.MsClass);
    }

    [Theory]
    [InlineData("+CGEV: ME PDN ACT", AtUrcParseError.MissingField)]
    [InlineData("+CGEV: ME PDN ACT x", AtUrcParseError.NotANumber)]
    [InlineData("+CGEV: NW ACT \"1", AtUrcParseError.MalformedValues)]
    [InlineData("+CGEV: ", AtUrcParseError.MissingField)]
    [InlineData("+CGEVX: ME DETACH", AtUrcParseError.WrongName)]
    [InlineData("+CGEV: REJECT", AtUrcParseError.MissingField)]
    public void RejectsBadPacketDomainEvents(string line, AtUrcParseError error)
    {
        Assert.False(PacketDomainEvent.TryParse(line, out _, out var actual));
        Assert.Equal(error, actual);
    }

    [Theory]
    [InlineData("+CIREGU: 1,5", null, true, ImsCapabilities.RtpVoice | ImsCapabilities.SmsOverIp)]
    [InlineData("+CIREGU: 0", null, false, null)]
    [InlineData("+CIREG: 2,1,F", 2, true, ImsCapabilities.RtpVoice | ImsCapabilities.RtpVideo | ImsCapabilities.SmsOverIp | ImsCapabilities.RtpText)]
    [InlineData("+CIREG: 1,1,10", 1, true, (ImsCapabilities)0x10)]
    public void ParsesImsRegistration(string line, int? mode, bool registered, ImsCapabilities? capabilities)
    {
        Assert.True(ImsRegistrationReport.TryParse(line, out var report, out _));
        Assert.Equal(new ImsRegistrationReport(mode, registered, capabilities), report);
    }

    [Theory]
    [InlineData("+CIREGU: 2", AtUrcParseError.OutOfRange)]
    [InlineData("+CIREGU: 1,XYZ", AtUrcParseError.NotHexadecimal)]
    [InlineData("+CIREG: 1", AtUrcParseError.MissingField)]
    [InlineData("+CIREGX: 1", AtUrcParseError.WrongName)]
    public void RejectsBadImsRegistration(string line, AtUrcParseError error)
    {
        Assert.False(ImsRegistrationReport.TryParse(line, out _, out var actual));
        Assert.Equal(error, actual);
    }
}
