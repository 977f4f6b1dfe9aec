// SPDX-License-Identifier: MIT
using System.Text;
using ImUeAgent.Uicc.Files;

namespace ImUeAgent.Uicc.Tests.Files;

public sealed class FileControlParametersTests
{
    internal const string LinearFixedFcp = "621c8205422100200283026f04a5038001718a01058b036f06028002 0040";
    internal const string TransparentFcp = "62198202412183026f02a5038001718a01058b036f06018002001e";

    [Fact]
    public void Linear_fixed_ef()
    {
        Assert.Equal(FileParseError.None, FileControlParameters.TryParse(Hex.Bytes(LinearFixedFcp), out var fcp));
        Assert.Equal(new FileControlParameters(FileStructure.LinearFixed, 64, 32, 2), fcp);
    }

    [Fact]
    public void Transparent_ef()
    {
        Assert.Equal(FileParseError.None, FileControlParameters.TryParse(Hex.Bytes(TransparentFcp), out var fcp));
        Assert.Equal(new FileControlParameters(FileStructure.Transparent, 30, null, null), fcp);
    }

    [Fact]
    public void Adf_is_not_an_ef_and_long_lengths_are_read()
    {
        // An ADF FCP (descriptor 78) with the template length in the 81 xx form.
        Assert.Equal(FileParseError.None, FileControlParameters.TryParse(Hex.Bytes("6281088202782183027fff"), out var fcp));
        Assert.Equal(FileStructure.Unknown, fcp!.Structure);
    }

    [Theory]
    [InlineData(LinearFixedFcp)]
    [InlineData(TransparentFcp)]
    public void Every_prefix_is_rejected(string valid)
    {
        var bytes = Hex.Bytes(valid);
        for (var length = 0; length < bytes.Length; length++)
        {
            var error = FileControlParameters.TryParse(bytes.AsSpan(0, length), out var fcp);
            Assert.True(error != FileParseError.None, $"prefix of {length} bytes accepted");
            Assert.Null(fcp);
        }
    }

    [Theory]
    [InlineData("6f0282024121", FileParseError.UnexpectedTag)]
    [InlineData("620382014121", FileParseError.LengthOutOfRange)]
    [InlineData("6205820342210020", FileParseError.LengthOutOfRange)]
    [InlineData("6203830280", FileParseError.Truncated)]
    [InlineData("628300", FileParseError.LengthFormInvalid)]
    [InlineData("62058002ff", FileParseError.Truncated)]
    public void Malformed_fcp_says_why(string data, FileParseError expected) =>
        Assert.Equal(expected, FileControlParameters.TryParse(Hex.Bytes(data), out _));
}

public sealed class DirectoryRecordTests
{
    internal const string IsimRecord = "61144f0ca0000000871004ff49ff0589500449534d49";
    internal const string UsimRecord = "61184f10a0000000871002ff49ff0589000000ff500455534d49";

    [Fact]
    public void Isim_and_usim_templates()
    {
        Assert.Equal(FileParseError.None, UiccApplication.TryParseDirectoryRecord(Hex.Bytes(IsimRecord + "ffffffff"), out var isim));
        Assert.Equal(UiccApplicationKind.Isim, isim!.Kind);
        Assert.Equal("A0000000871004FF49FF0589", isim.AidHex);
        Assert.Equal("ISMI", isim.Label);

        Assert.Equal(FileParseError.None, UiccApplication.TryParseDirectoryRecord(Hex.Bytes(UsimRecord), out var usim));
        Assert.Equal(UiccApplicationKind.Usim, usim!.Kind);
        Assert.Equal(16, usim.Aid.Length);
    }

    [Fact]
    public void Ucs2_label_and_other_applications()
    {
        var label = Convert.ToHexString(Encoding.BigEndianUnicode.GetBytes("Tél"));
        var record = $"61124f07a000000063504b5007 80{label}".Replace(" ", string.Empty, StringComparison.Ordinal);
        Assert.Equal(FileParseError.None, UiccApplication.TryParseDirectoryRecord(Hex.Bytes(record), out var app));
        Assert.Equal(UiccApplicationKind.Other, app!.Kind);
        Assert.Equal("Tél", app.Label);
    }

    [Fact]
    public void Unused_record_is_empty_and_missing_aid_is_an_error()
    {
        Assert.Equal(FileParseError.Empty, UiccApplication.TryParseDirectoryRecord(Hex.Bytes("ffffffffffff"), out _));
        Assert.Equal(FileParseError.MissingAid, UiccApplication.TryParseDirectoryRecord(Hex.Bytes("6106500449534d49"), out _));
        Assert.Equal(FileParseError.UnexpectedTag, UiccApplication.TryParseDirectoryRecord(Hex.Bytes("62024f00"), out _));
        Assert.Equal(FileParseError.LengthOutOfRange, UiccApplication.TryParseDirectoryRecord(Hex.Bytes("61024f00"), out _));
    }

    [Theory]
    [InlineData(IsimRecord)]
    [InlineData(UsimRecord)]
    public void Every_prefix_is_rejected(string valid)
    {
        var bytes = Hex.Bytes(valid);
        for (var length = 0; length < bytes.Length; length++)
        {
            var error = UiccApplication.TryParseDirectoryRecord(bytes.AsSpan(0, length), out var app);
            Assert.True(error != FileParseError.None, $"prefix of {length} bytes accepted");
            Assert.Null(app);
        }
    }
}

public sealed class IsimFilesTests
{
    internal static string Text(string value, int padTo = 0)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        var hex = $"80{bytes.Length:x2}{Convert.ToHexString(bytes)}";
        return hex + new string('F', Math.Max(0, padTo * 2 - hex.Length));
    }

    [Fact]
    public void Text_values_with_padding()
    {
        Assert.Equal(FileParseError.None, IsimFiles.TryParseText(Hex.Bytes(Text("user@ims.example.net", 40)), out var impi));
        Assert.Equal("user@ims.example.net", impi);
        Assert.Equal(FileParseError.Empty, IsimFiles.TryParseText(Hex.Bytes("ffffffff"), out _));
        Assert.Equal(FileParseError.Empty, IsimFiles.TryParseText(Hex.Bytes("8000ffff"), out _));
        Assert.Equal(FileParseError.UnexpectedTag, IsimFiles.TryParseText(Hex.Bytes("81026162"), out _));
        Assert.Equal(FileParseError.InvalidUtf8, IsimFiles.TryParseText(Hex.Bytes("8002c328"), out _));
    }

    [Fact]
    public void Every_prefix_of_a_text_value_is_rejected()
    {
        var bytes = Hex.Bytes(Text("sip:+15551234567@ims.example.net"));
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.NotEqual(FileParseError.None, IsimFiles.TryParseText(bytes.AsSpan(0, length), out var text));
            Assert.Null(text);
        }
    }

    [Theory]
    [InlineData("800e0070637363662e6578616d706c65", PcscfAddressType.Fqdn, "pcscf.example")]
    [InlineData("800501c0a80001", PcscfAddressType.IPv4, "192.168.0.1")]
    [InlineData("800601ffc0a80001", PcscfAddressType.IPv4, "192.168.0.1")]
    [InlineData("800a0131302e302e302e3132", PcscfAddressType.IPv4, "10.0.0.12")]
    [InlineData("80110220010db8000000000000000000000001", PcscfAddressType.IPv6, "2001:db8::1")]
    [InlineData("800c02323030313a6462383a3a32", PcscfAddressType.IPv6, "2001:db8::2")]
    public void Pcscf_records(string record, PcscfAddressType type, string address)
    {
        Assert.Equal(FileParseError.None, IsimFiles.TryParsePcscf(Hex.Bytes(record + "ffff"), out var parsed));
        Assert.Equal(new PcscfAddress(type, address), parsed);
    }

    [Theory]
    [InlineData("800303c0a8", FileParseError.UnknownAddressType)]
    [InlineData("800401c0a800", FileParseError.InvalidAddress)]
    [InlineData("80050261626364", FileParseError.InvalidAddress)]
    [InlineData("800c023139322e3136382e302e31", FileParseError.InvalidAddress)]
    [InlineData("ffffffffff", FileParseError.Empty)]
    public void Bad_pcscf_records(string record, FileParseError expected) =>
        Assert.Equal(expected, IsimFiles.TryParsePcscf(Hex.Bytes(record), out _));

    [Fact]
    public void Every_prefix_of_a_pcscf_record_is_rejected()
    {
        var bytes = Hex.Bytes("800e0070637363662e6578616d706c65");
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.NotEqual(FileParseError.None, IsimFiles.TryParsePcscf(bytes.AsSpan(0, length), out _));
        }
    }

    [Fact]
    public void Service_table_bits()
    {
        var ist = new IsimServiceTable(Hex.Bytes("8102"));
        Assert.True(ist.IsAvailable(IsimServiceTable.PcscfAddress));
        Assert.False(ist.IsAvailable(IsimServiceTable.Gba));
        Assert.True(ist.IsAvailable(IsimServiceTable.SmOverIp));
        Assert.True(ist.IsAvailable(10));
        Assert.False(ist.IsAvailable(9));
        Assert.False(ist.IsAvailable(17));
        Assert.Throws<ArgumentOutOfRangeException>(() => ist.IsAvailable(0));
    }
}
