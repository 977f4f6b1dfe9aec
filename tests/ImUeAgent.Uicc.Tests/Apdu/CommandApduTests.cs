// SPDX-License-Identifier: MIT
using ImUeAgent.Uicc.Apdu;

namespace ImUeAgent.Uicc.Tests.Apdu;

public sealed class CommandApduTests
{
    private static readonly byte[] IsimAid = Hex.Bytes("A0000000871004FF49FF0589");

    [Fact]
    public void Select_by_aid_with_fcp_is_case_4()
    {
        Assert.Equal("00A4040C0CA0000000871004FF49FF0589", Convert.ToHexString(CommandApdu.SelectByAid(IsimAid, SelectResponse.NoData)));
        Assert.Equal("00A404040CA0000000871004FF49FF058900", Convert.ToHexString(CommandApdu.SelectByAid(IsimAid)));
    }

    [Fact]
    public void Select_by_file_id_and_path()
    {
        Assert.Equal("00A40004026F0200", Convert.ToHexString(CommandApdu.SelectByFileId(0x6F02)));
        Assert.Equal("00A4000C026F04", Convert.ToHexString(CommandApdu.SelectByFileId(0x6F04, SelectResponse.NoData)));
        Assert.Equal("00A40804022F0000", Convert.ToHexString(CommandApdu.SelectByPathFromMf([0x2F, 0x00])));
        Assert.Throws<ArgumentException>(() => CommandApdu.SelectByPathFromMf([0x2F]));
        Assert.Throws<ArgumentException>(() => CommandApdu.SelectByAid([]));
        Assert.Throws<ArgumentException>(() => CommandApdu.SelectByAid(new byte[17]));
    }

    [Theory]
    [InlineData(0, 256, "00B0000000")]
    [InlineData(0x0102, 16, "00B0010210")]
    [InlineData(0x7FFF, 1, "00B07FFF01")]
    public void Read_binary(int offset, int le, string expected) =>
        Assert.Equal(expected, Convert.ToHexString(CommandApdu.ReadBinary(offset, le)));

    [Fact]
    public void Read_record_get_response_and_limits()
    {
        Assert.Equal("00B2010420", Convert.ToHexString(CommandApdu.ReadRecord(1, 0x20)));
        Assert.Equal("00B2FE0400", Convert.ToHexString(CommandApdu.ReadRecord(254, 256)));
        Assert.Equal("00C0000035", Convert.ToHexString(CommandApdu.GetResponse(0x35)));
        Assert.Throws<ArgumentOutOfRangeException>(() => CommandApdu.ReadRecord(0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => CommandApdu.ReadRecord(255, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => CommandApdu.ReadBinary(0x8000, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => CommandApdu.GetResponse(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => CommandApdu.GetResponse(257));
    }

    [Fact]
    public void Authenticate_layout()
    {
        var rand = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray();
        var autn = Enumerable.Range(0x10, 16).Select(i => (byte)i).ToArray();
        Assert.Equal("008800812210000102030405060708090A0B0C0D0E0F10101112131415161718191A1B1C1D1E1F00",
            Convert.ToHexString(CommandApdu.AuthenticateImsAka(rand, autn)));
        Assert.Throws<ArgumentException>(() => CommandApdu.AuthenticateImsAka(rand.AsSpan(0, 15), autn));
        Assert.Throws<ArgumentException>(() => CommandApdu.AuthenticateImsAka(rand, autn.AsSpan(0, 15)));
    }

    [Theory]
    [InlineData("00C00000", 0x10, "00C0000010")] // case 1 → Le appended
    [InlineData("00B2010400", 0x1E, "00B201041E")] // case 2 → Le replaced
    [InlineData("00A4000C026F04", 0x20, "00A4000C026F0420")] // case 3 → Le appended
    [InlineData("00A40004026F0200", 0x19, "00A40004026F0219")] // case 4 → Le replaced
    [InlineData("00B0000010", 256, "00B0000000")]
    public void WithLe_follows_the_apdu_case(string command, int le, string expected) =>
        Assert.Equal(expected, Convert.ToHexString(CommandApdu.WithLe(Hex.Bytes(command), le)));

    [Theory]
    [InlineData("00A4")]
    [InlineData("00A40004036F02")]
    [InlineData("00A400040000")]
    public void WithLe_rejects_what_is_not_a_short_apdu(string command) =>
        Assert.Throws<ArgumentException>(() => CommandApdu.WithLe(Hex.Bytes(command), 1));
}

public sealed class ClassByteTests
{
    [Theory]
    [InlineData(0x00, 0, 0x00)]
    [InlineData(0x00, 1, 0x01)]
    [InlineData(0x00, 3, 0x03)]
    [InlineData(0x00, 4, 0x40)]
    [InlineData(0x00, 5, 0x41)]
    [InlineData(0x00, 19, 0x4F)]
    [InlineData(0x80, 2, 0x82)]
    [InlineData(0x80, 4, 0xC0)]
    [InlineData(0x80, 19, 0xCF)]
    [InlineData(0x43, 1, 0x01)] // re-coding an already-coded CLA
    public void Channel_bits_per_ts_102_221(int cla, int channel, int expected) =>
        Assert.Equal((byte)expected, ClassByte.WithLogicalChannel((byte)cla, channel));

    [Fact]
    public void Every_channel_round_trips()
    {
        for (var channel = 0; channel <= ClassByte.MaxLogicalChannel; channel++)
        {
            Assert.Equal(channel, ClassByte.GetLogicalChannel(ClassByte.WithLogicalChannel(0x00, channel)));
            Assert.Equal(channel, ClassByte.GetLogicalChannel(ClassByte.WithLogicalChannel(0x80, channel)));
        }
    }

    [Fact]
    public void Apply_rewrites_the_command_and_rejects_bad_channels()
    {
        var apdu = CommandApdu.ReadRecord(1, 10);
        ClassByte.ApplyLogicalChannel(apdu, 6);
        Assert.Equal("42B201040A", Convert.ToHexString(apdu));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassByte.WithLogicalChannel(0, 20));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassByte.WithLogicalChannel(0, -1));
        Assert.Throws<ArgumentException>(() => ClassByte.ApplyLogicalChannel(new byte[3], 1));
    }
}

public sealed class StatusWordTests
{
    [Theory]
    [InlineData(0x9000, StatusWordKind.Success)]
    [InlineData(0x9112, StatusWordKind.SuccessProactiveCommandPending)]
    [InlineData(0x6135, StatusWordKind.MoreDataAvailable)]
    [InlineData(0x6100, StatusWordKind.MoreDataAvailable)]
    [InlineData(0x6C20, StatusWordKind.WrongLength)]
    [InlineData(0x9862, StatusWordKind.AuthenticationError)]
    [InlineData(0x6982, StatusWordKind.SecurityStatusNotSatisfied)]
    [InlineData(0x6A82, StatusWordKind.FileNotFound)]
    [InlineData(0x6A83, StatusWordKind.RecordNotFound)]
    [InlineData(0x9001, StatusWordKind.Other)]
    [InlineData(0x9864, StatusWordKind.Other)]
    [InlineData(0x6A86, StatusWordKind.Other)]
    [InlineData(0x6D00, StatusWordKind.Other)]
    [InlineData(0x6F00, StatusWordKind.Other)]
    public void Classify(int sw, StatusWordKind expected) => Assert.Equal(expected, StatusWords.Classify((ushort)sw));

    [Fact]
    public void Response_splits_data_and_status()
    {
        Assert.True(ResponseApdu.TryParse(Hex.Bytes("0102039000"), out var response));
        Assert.Equal("010203", Hex.Lower(response.Data));
        Assert.Equal(0x90, response.Sw1);
        Assert.Equal(0x00, response.Sw2);
        Assert.True(response.IsSuccess);
        Assert.Equal("3 data bytes, SW 90 00", response.ToString());

        Assert.True(ResponseApdu.TryParse(Hex.Bytes("6A82"), out response));
        Assert.True(response.Data.IsEmpty);
        Assert.Equal(StatusWordKind.FileNotFound, response.Kind);

        Assert.False(ResponseApdu.TryParse(Hex.Bytes("90"), out _));
        Assert.False(ResponseApdu.TryParse(ReadOnlyMemory<byte>.Empty, out _));
    }
}
