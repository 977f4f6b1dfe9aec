// SPDX-License-Identifier: MIT
using ImUeAgent.Modem.Profiles;
using ImUeAgent.Modem.Uicc;

namespace ImUeAgent.Modem.Tests.Uicc;

public sealed class UiccRepliesTests
{
    [Theory]
    [InlineData("+CCHO: 1", CchoReply.Either, 1)]
    [InlineData("1", CchoReply.Either, 1)]
    [InlineData("+CCHO: 12345", CchoReply.Prefixed, 12345)]
    [InlineData("7", CchoReply.Bare, 7)]
    [InlineData("+CCHO: \"3\"", CchoReply.Either, 3)]
    public void OpenChannelAnswers(string line, CchoReply accepted, int session)
    {
        Assert.Equal(UiccReplyError.None, UiccReplies.TryParseOpenChannel([line], accepted, out var parsed));
        Assert.Equal(session, parsed);
    }

    [Theory]
    [InlineData("1", CchoReply.Prefixed, UiccReplyError.Missing)]
    [InlineData("+CCHO: 1", CchoReply.Bare, UiccReplyError.Missing)]
    [InlineData("+CCHO: x", CchoReply.Either, UiccReplyError.NotANumber)]
    [InlineData("+CCHO: -1", CchoReply.Either, UiccReplyError.NotANumber)]
    [InlineData("+CCHO:", CchoReply.Either, UiccReplyError.Missing)]
    [InlineData("+CCHO: \"1", CchoReply.Either, UiccReplyError.MalformedValues)]
    [InlineData("+CSIM: 4,\"9000\"", CchoReply.Either, UiccReplyError.Missing)]
    public void OpenChannelRejects(string line, CchoReply accepted, UiccReplyError error)
        => Assert.Equal(error, UiccReplies.TryParseOpenChannel([line], accepted, out _));

    [Theory]
    [InlineData("+CGLA: 4,\"9000\"", "+CGLA", "9000")]
    [InlineData("+CGLA:4,\"6116\"", "+CGLA", "6116")]
    [InlineData("+CGLA: 2,\"6C33\"", "+CGLA", "6C33")]
    [InlineData("+CSIM: 6,\"019000\"", "+CSIM", "019000")]
    [InlineData("+CSIM: 6,\"01a000\"", "+CSIM", "01A000")]
    public void ApduAnswers(string line, string name, string hex)
    {
        Assert.Equal(UiccReplyError.None, UiccReplies.TryParseApduResponse([line], name, out var bytes));
        Assert.Equal(hex, Convert.ToHexString(bytes));
    }

    [Theory]
    [InlineData("+CGLA: 6,\"9000\"", UiccReplyError.LengthMismatch)]
    [InlineData("+CGLA: 3,\"900\"", UiccReplyError.NotHexadecimal)]
    [InlineData("+CGLA: 4,\"90G0\"", UiccReplyError.NotHexadecimal)]
    [InlineData("+CGLA: 2,\"90\"", UiccReplyError.TooShort)]
    [InlineData("+CGLA: x,\"9000\"", UiccReplyError.NotANumber)]
    [InlineData("+CGLA: 4", UiccReplyError.Missing)]
    [InlineData("+CGLA: 4,\"9000", UiccReplyError.MalformedValues)]
    [InlineData("+CSIM: 4,\"9000\"", UiccReplyError.Missing)]
    public void ApduRejects(string line, UiccReplyError error) => Assert.Equal(error, UiccReplies.TryParseApduResponse([line], "+CGLA", out _));

    [Fact]
    public void ApduAnswerIsCappedAtAShortResponse()
    {
        var hex = new string('A', 2 * 259);
        Assert.Equal(UiccReplyError.TooLong, UiccReplies.TryParseApduResponse([$"+CGLA: {hex.Length},\"{hex}\""], "+CGLA", out _));
    }

    [Fact]
    public void CommandLinesCountHexCharacters()
    {
        Assert.Equal("AT+CGLA=3,10,\"00B0000033\"", UiccReplies.FormatGenericLogicalAccess(3, [0x00, 0xB0, 0x00, 0x00, 0x33]));
        Assert.Equal("AT+CSIM=10,\"0070000001\"", UiccReplies.FormatGenericSimAccess([0x00, 0x70, 0x00, 0x00, 0x01]));
    }

    [Theory]
    [InlineData("AT+CGLA=1,80,\"0088008122\"", true)]
    [InlineData("AT+CGLA=1,10,\"01C000002C\"", true)]
    [InlineData("AT+CSIM=10,\"00B0000033\"", false)]
    [InlineData("AT+CGMI", false)]
    public void SensitiveRawCommands(string line, bool sensitive) => Assert.Equal(sensitive, AtUiccChannel.IsSensitiveCommandLine(line));
}
