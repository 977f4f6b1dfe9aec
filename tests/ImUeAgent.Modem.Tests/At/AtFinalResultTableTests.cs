// SPDX-License-Identifier: MIT
using ImUeAgent.Modem.At;

namespace ImUeAgent.Modem.Tests.At;

public sealed class AtFinalResultTableTests
{
    [Theory]
    [InlineData("OK", AtResultCode.Ok, null, null)]
    [InlineData("ERROR", AtResultCode.Error, null, null)]
    [InlineData("+CME ERROR: 10", AtResultCode.CmeError, 10, null)]
    [InlineData("+CME ERROR: SIM not inserted", AtResultCode.CmeError, 10, "SIM not inserted")]
    [InlineData("+CME ERROR: sim PIN required", AtResultCode.CmeError, 11, "sim PIN required")]
    [InlineData("+CME ERROR: vendor specific thing", AtResultCode.CmeError, null, "vendor specific thing")]
    [InlineData("+CMS ERROR: 500", AtResultCode.CmsError, 500, null)]
    [InlineData("+CMS ERROR: unknown error", AtResultCode.CmsError, null, "unknown error")]
    [InlineData("NO CARRIER", AtResultCode.NoCarrier, null, null)]
    [InlineData("CONNECT", AtResultCode.Connect, null, null)]
    [InlineData("CONNECT 115200", AtResultCode.Connect, null, null)]
    [InlineData("BUSY", AtResultCode.Busy, null, null)]
    [InlineData("NO ANSWER", AtResultCode.NoAnswer, null, null)]
    [InlineData("NO DIALTONE", AtResultCode.NoDialtone, null, null)]
    public void ClassifiesFinalResults(string line, AtResultCode code, int? errorCode, string? errorText)
    {
        Assert.True(AtFinalResultTable.Default.TryMatch(line, out var result));
        Assert.Equal(new AtFinalResult(code, errorCode, errorText), result);
    }

    [Theory]
    [InlineData("OKAY")]
    [InlineData("ok")]
    [InlineData(" OK")]
    [InlineData("+CMEE: 1")]
    [InlineData("CONNECTED")]
    [InlineData("ERRORS")]
    [InlineData("+CEREG: 1")]
    public void OtherLinesAreNotFinal(string line) => Assert.False(AtFinalResultTable.Default.TryMatch(line, out _));

    [Fact]
    public void ProfilesExtendTheTable()
    {
        var table = AtFinalResultTable.Default.With(new AtFinalResultPattern("COMMAND NOT SUPPORT", AtResultCode.Error));
        Assert.True(table.TryMatch("COMMAND NOT SUPPORT", out var result));
        Assert.Equal(AtResultCode.Error, result.Code);
        Assert.True(table.TryMatch("OK", out _));
        Assert.False(AtFinalResultTable.Default.TryMatch("COMMAND NOT SUPPORT", out _));
        Assert.Throws<ArgumentException>(() => table.With(new AtFinalResultPattern("X", AtResultCode.TimedOut)));
    }
}
