// SPDX-License-Identifier: MIT
using ImUeAgent.Modem.At;

namespace ImUeAgent.Modem.Tests.At;

public sealed class AtLineRouterTests
{
    private static readonly AtCommand Cgdcont = new("AT+CGDCONT?", "+CGDCONT");
    private static readonly AtCommand Cgsn = new("AT+CGSN") { AcceptsUnprefixedLines = true };
    private static readonly AtCommand Cmgs = new("AT+CMGS=5", "+CMGS") { DataAfterPrompt = "0011AB" };
    private static readonly AtCommand Cgla = new("AT+CGLA=1,10,\"00A4040000\"", "+CGLA");

    public static TheoryData<string, string?, string?, bool, AtLineRoute> Cases => new()
    {
        { "AT+CGDCONT?", "cgdcont", null, false, AtLineRoute.Echo },
        { "OK", "cgdcont", null, false, AtLineRoute.Final },
        { "+CME ERROR: 3", "cgdcont", null, false, AtLineRoute.Final },
        { "+CGDCONT: 1,\"IP\",\"ims\"", "cgdcont", null, false, AtLineRoute.Response },
        { "+CGDCONTX: 1", "cgdcont", null, false, AtLineRoute.Urc },
        { "+CEREG: 1", "cgdcont", null, false, AtLineRoute.Urc },
        { "RING", "cgdcont", null, false, AtLineRoute.Urc },
        { "351234567890123", "cgsn", null, false, AtLineRoute.Response },
        { "+CEREG: 5", "cgsn", null, false, AtLineRoute.Urc },
        { "RING", "cgsn", null, false, AtLineRoute.Urc }, // subscribed URC wins over unprefixed answers
        { "OK", null, null, false, AtLineRoute.Stale },
        { "+CGDCONT: 1", null, null, false, AtLineRoute.Urc },
        { "+CGLA: 4,\"9000\"", "cgdcont", "cgla", false, AtLineRoute.Stale },
        { "AT+CGLA=1,10,\"00A4040000\"", null, "cgla", false, AtLineRoute.Stale },
        { "0011AB", "cmgs", null, true, AtLineRoute.Echo },
        { "0011AB\u001a", "cmgs", null, true, AtLineRoute.Echo },
        { "0011AB", "cmgs", null, false, AtLineRoute.Urc },
        { "+CMGS: 7", "cmgs", null, true, AtLineRoute.Response },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void RoutesByTheOneRule(string line, string? pending, string? abandoned, bool dataSent, AtLineRoute route)
    {
        var actual = AtLineRouter.Route(
            line, AtFinalResultTable.Default, Pick(pending), dataSent, Pick(abandoned), l => l == "RING", out _);
        Assert.Equal(route, actual);
    }

    [Theory]
    [InlineData("+CGDCONT: 1", "+CGDCONT", true)]
    [InlineData("+CGDCONT:1", "+CGDCONT", true)]
    [InlineData("+CGDCONT", "+CGDCONT", true)]
    [InlineData("+CGDCONTRDP: 1", "+CGDCONT", false)]
    [InlineData("^SYSINFO:2", "^SYSINFO:", true)]
    [InlineData("+CGSN 1234", "+CGSN", true)]
    public void PrefixesMatchWholeNames(string line, string prefix, bool matches)
        => Assert.Equal(matches, AtCommand.LineHasPrefix(line, prefix));

    [Fact]
    public void CommandTextIsValidated()
    {
        Assert.Throws<ArgumentException>(() => new AtCommand("AT\r"));
        Assert.Throws<ArgumentException>(() => new AtCommand(""));
        Assert.Throws<ArgumentException>(() => new AtCommand("AT+X", ""));
        Assert.Throws<ArgumentException>(() => new AtCommand("AT+CMGS=1") { DataAfterPrompt = "ab\u001a" });
    }

    [Fact]
    public void SensitiveCommandsAreRedacted()
    {
        var command = new AtCommand("AT+CGLA=1,44,\"008800812210AABBCC\"", "+CGLA") { IsSensitive = true };
        Assert.Equal("AT+CGLA=<redacted 25 chars>", command.Display);
        Assert.DoesNotContain("AABBCC", command.ToString(), StringComparison.Ordinal);
        Assert.Equal("+CGLA:<redacted 7 chars>", AtCommand.Redact("+CGLA: 6,\"DB\""));
    }

    private static AtCommand? Pick(string? name) => name switch
    {
        "cgdcont" => Cgdcont,
        "cgsn" => Cgsn,
        "cmgs" => Cmgs,
        "cgla" => Cgla,
        _ => null,
    };
}
