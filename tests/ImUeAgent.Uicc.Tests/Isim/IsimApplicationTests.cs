// SPDX-License-Identifier: MIT
using System.Text;
using ImUeAgent.Uicc.Aka;
using ImUeAgent.Uicc.Files;
using ImUeAgent.Uicc.Isim;
using ImUeAgent.Uicc.Tests.Files;

namespace ImUeAgent.Uicc.Tests.Isim;

public sealed class IsimApplicationTests
{
    private const string IsimAid = "A0000000871004FF49FF0589";
    private const string UsimAid = "A0000000871002FF49FF0589";
    private const string OtherAid = "A000000063504B43532D3135";
    private const int Session = 2;
    private const string Impi = "001010123456789@ims.mnc001.mcc001.3gppnetwork.org";
    private const string Domain = "ims.mnc001.mcc001.3gppnetwork.org";
    private const string Impu1 = "sip:001010123456789@ims.mnc001.mcc001.3gppnetwork.org";
    private const string Impu2 = "tel:+15551234567";
    private const string Res = "00a5421100d5e3ba";
    private const string Ck = "b40ba9a3c58b2a05bbf0d987b21bf8cb";
    private const string Ik = "f769bcd751044604127672711c6d3441";
    private static readonly string AuthenticateOk = "db08" + Res + "10" + Ck + "10" + Ik;
    private static readonly byte[] Rand = Hex.Bytes("23553cbe9637a89d218ae64dae47bf35");
    private static readonly byte[] Autn = Hex.Bytes("55f328b43577b9b94a9ffac354dfafb3");
    private static readonly string AuthenticateApdu =
        "00880081221023553CBE9637A89D218AE64DAE47BF351055F328B43577B9B94A9FFAC354DFAFB300";

    private static string DirRecord(string aid, string label, int length = 32)
    {
        var labelHex = Convert.ToHexString(Encoding.ASCII.GetBytes(label));
        var inner = $"4F{aid.Length / 2:X2}{aid}50{label.Length:X2}{labelHex}";
        var record = $"61{inner.Length / 2:X2}{inner}";
        return record + new string('F', length * 2 - record.Length);
    }

    private static string TransparentFcp(ushort fid, int size) => $"620C82024121 8302{fid:X4} 8002{size:X4}";

    private static string LinearFcp(ushort fid, int recordLength, int count) =>
        $"620F82054221 00{recordLength:X2}{count:X2} 8302{fid:X4} 8002{recordLength * count:X4}";

    private static int Size(string hex) => hex.Replace(" ", string.Empty, StringComparison.Ordinal).Length / 2;

    /// <summary>EF_DIR with a USIM, an ISIM, another application and an unused record.</summary>
    private static ScriptedUiccChannel ScriptDirectory(ScriptedUiccChannel channel)
    {
        return channel
            .ExpectBasic("00A40804022F0000", LinearFcp(0x2F00, 32, 4) + "9000")
            .ExpectBasic("00B2010420", DirRecord(UsimAid, "USIM") + "9000")
            .ExpectBasic("00B2020420", DirRecord(OtherAid, "PKCS") + "9000")
            .ExpectBasic("00B2030420", DirRecord(IsimAid, "ISIM") + "9000")
            .ExpectBasic("00B2040420", new string('F', 64) + "9000");
    }

    /// <summary>IMPI, DOMAIN, IMPU (two records and an unused one), IST; P-CSCF as given.</summary>
    private static ScriptedUiccChannel ScriptFiles(ScriptedUiccChannel channel, bool withIst = true, bool withPcscf = true)
    {
        var impi = IsimFilesTests.Text(Impi);
        var domain = IsimFilesTests.Text(Domain, 40);
        channel
            .Expect(Session, "00A40004026F0200", TransparentFcp(0x6F02, Size(impi)) + "9000")
            .Expect(Session, $"00B00000{Size(impi):X2}", impi + "9000")
            .Expect(Session, "00A40004026F0300", TransparentFcp(0x6F03, 40) + "9000")
            .Expect(Session, "00B0000028", domain + "9000")
            .Expect(Session, "00A40004026F0400", LinearFcp(0x6F04, 64, 3) + "9000")
            .Expect(Session, "00B2010440", IsimFilesTests.Text(Impu1, 64) + "9000")
            .Expect(Session, "00B2020440", IsimFilesTests.Text(Impu2, 64) + "9000")
            .Expect(Session, "00B2030440", new string('F', 128) + "9000");
        if (withIst)
        {
            channel
                .Expect(Session, "00A40004026F0700", TransparentFcp(0x6F07, 2) + "9000")
                .Expect(Session, "00B0000002", "01 00 9000");
        }
        else
        {
            channel.Expect(Session, "00A40004026F0700", "6A82");
        }

        if (withPcscf)
        {
            channel
                .Expect(Session, "00A40004026F0900", LinearFcp(0x6F09, 24, 2) + "9000")
                .Expect(Session, "00B2010418", "800e0070637363662e6578616d706c65" + new string('F', 16) + "9000")
                .Expect(Session, "00B2020418", "800501c0a80001" + new string('F', 34) + "9000");
        }
        else
        {
            channel.Expect(Session, "00A40004026F0900", "6A82");
        }

        return channel;
    }

    [Fact]
    public async Task Discovers_the_isim_among_several_applications_and_reads_its_files()
    {
        var logger = new ListLogger();
        var channel = ScriptFiles(ScriptDirectory(new ScriptedUiccChannel()).ExpectOpen(IsimAid, Session));

        var applications = default(IReadOnlyList<UiccApplication>);
        await using (var isim = await IsimApplication.OpenAsync(channel, logger, TestContext.Current.CancellationToken))
        {
            Assert.Equal(IsimAid, isim.Application.AidHex);
            Assert.Equal("ISIM", isim.Application.Label);
            Assert.Equal(Session, isim.Session);
            Assert.Equal(Impi, isim.Identity.Impi);
            Assert.Equal(Domain, isim.Identity.HomeDomain);
            Assert.Equal([Impu1, Impu2], isim.Identity.Impus);
            Assert.False(isim.Identity.IsDerivedFromImsi);
            Assert.True(isim.ServiceTable!.IsAvailable(IsimServiceTable.PcscfAddress));
            Assert.Equal(
                [new PcscfAddress(PcscfAddressType.Fqdn, "pcscf.example"), new PcscfAddress(PcscfAddressType.IPv4, "192.168.0.1")],
                isim.PcscfAddresses);
            Assert.Empty(channel.ClosedSessions);
        }

        Assert.Equal([Session], channel.ClosedSessions);
        channel.AssertComplete();
        Assert.DoesNotContain(Impi, logger.All, StringComparison.Ordinal);

        // Reading EF_DIR alone lists every application in record order.
        channel = ScriptDirectory(new ScriptedUiccChannel());
        applications = await IsimApplication.ReadApplicationsAsync(channel, null, TestContext.Current.CancellationToken);
        Assert.Equal([UiccApplicationKind.Usim, UiccApplicationKind.Other, UiccApplicationKind.Isim], applications.Select(a => a.Kind));
        channel.AssertComplete();
    }

    [Fact]
    public async Task No_isim_in_ef_dir_opens_no_channel()
    {
        var channel = new ScriptedUiccChannel()
            .ExpectBasic("00A40804022F0000", LinearFcp(0x2F00, 32, 1) + "9000")
            .ExpectBasic("00B2010420", DirRecord(UsimAid, "USIM") + "9000");
        var error = await Assert.ThrowsAsync<UiccException>(async () =>
            await IsimApplication.OpenAsync(channel, null, TestContext.Current.CancellationToken));
        Assert.Equal(UiccErrorReason.IsimNotFound, error.Reason);
        Assert.Empty(channel.OpenedSessions);
        channel.AssertComplete();
    }

    [Fact]
    public async Task Missing_ef_dir_lists_nothing()
    {
        var channel = new ScriptedUiccChannel().ExpectBasic("00A40804022F0000", "6A82");
        Assert.Empty(await IsimApplication.ReadApplicationsAsync(channel, null, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Optional_files_not_found_are_absent()
    {
        var channel = ScriptFiles(new ScriptedUiccChannel().ExpectOpen(IsimAid, Session), withIst: false, withPcscf: false);
        await using (var isim = await Open(channel))
        {
            Assert.Null(isim.ServiceTable);
            Assert.Empty(isim.PcscfAddresses);
            Assert.Equal([Impu1, Impu2], isim.Identity.Impus);
        }

        channel.AssertComplete();
        Assert.Equal([Session], channel.ClosedSessions);
    }

    [Fact]
    public async Task More_data_61xx_is_fetched_with_get_response()
    {
        var impi = IsimFilesTests.Text(Impi);
        var impiBytes = Size(impi);
        var fcp = TransparentFcp(0x6F02, impiBytes).Replace(" ", string.Empty, StringComparison.Ordinal);
        var channel = new ScriptedUiccChannel()
            .ExpectOpen(IsimAid, Session)
            // The card answers SELECT with 61 0E: the whole FCP comes with GET RESPONSE.
            .Expect(Session, "00A40004026F0200", $"61{Size(fcp):X2}")
            .Expect(Session, $"00C00000{Size(fcp):X2}", fcp + "9000")
            // READ BINARY: part of the data with 61 xx, the rest through GET RESPONSE.
            .Expect(Session, $"00B00000{impiBytes:X2}", impi[..20] + $"61{impiBytes - 10:X2}")
            .Expect(Session, $"00C00000{impiBytes - 10:X2}", impi[20..] + "9000")
            .Expect(Session, "00A40004026F0300", "6A82");
        var error = await Assert.ThrowsAsync<UiccException>(async () => await Open(channel));

        // IMPI was reassembled and parsed; the run then stopped at the missing DOMAIN, and closed the channel.
        Assert.Equal(UiccErrorReason.MandatoryFileMissing, error.Reason);
        Assert.Contains("EF_DOMAIN", error.Message, StringComparison.Ordinal);
        Assert.Equal((ushort)0x6A82, error.StatusWord);
        channel.AssertComplete();
        Assert.Equal([Session], channel.ClosedSessions);
    }

    [Fact]
    public async Task Wrong_length_6cxx_is_resent_with_the_right_le()
    {
        var impi = IsimFilesTests.Text(Impi);
        var domain = IsimFilesTests.Text(Domain);
        var impu = IsimFilesTests.Text(Impu1);
        var channel = new ScriptedUiccChannel()
            .ExpectOpen(IsimAid, Session)
            // SELECT answered without FCP data: sizes are learnt from 6C xx.
            .Expect(Session, "00A40004026F0200", "9000")
            .Expect(Session, "00B0000000", $"6C{Size(impi):X2}")
            .Expect(Session, $"00B00000{Size(impi):X2}", impi + "9000")
            // SELECT itself may draw 6C 00 (Le 256) and then 61 xx.
            .Expect(Session, "00A40004026F0300", "6C00")
            .Expect(Session, "00A40004026F0300", "610A")
            // A transparent EF's FCP without file size (tag 80): READ BINARY with Le 00, then 6C xx.
            .Expect(Session, "00C000000A", "6208820241218302 6F03 9000")
            .Expect(Session, "00B0000000", $"6C{Size(domain):X2}")
            .Expect(Session, $"00B00000{Size(domain):X2}", domain + "9000")
            .Expect(Session, "00A40004026F0400", "9000")
            .Expect(Session, "00B2010400", $"6C{Size(impu):X2}")
            .Expect(Session, $"00B20104{Size(impu):X2}", impu + "9000")
            // Later records are asked for with the length the first one had (linear fixed: all records alike).
            .Expect(Session, $"00B20204{Size(impu):X2}", "6A83")
            .Expect(Session, "00A40004026F0700", "6A82")
            .Expect(Session, "00A40004026F0900", "6A82");
        await using (var isim = await Open(channel))
        {
            Assert.Equal(Impi, isim.Identity.Impi);
            Assert.Equal(Domain, isim.Identity.HomeDomain);
            Assert.Equal([Impu1], isim.Identity.Impus);
        }

        channel.AssertComplete();
        Assert.Equal([Session], channel.ClosedSessions);
    }

    [Fact]
    public async Task Select_without_fcp_sizes_every_read_from_6cxx_and_reads_records_until_6a83()
    {
        var impi = IsimFilesTests.Text(Impi);
        var domain = IsimFilesTests.Text(Domain);
        var impu1 = IsimFilesTests.Text(Impu1, 64);
        var impu2 = IsimFilesTests.Text(Impu2, 64);
        var pcscf = "800e0070637363662e6578616d706c65" + new string('F', 16);
        var channel = new ScriptedUiccChannel()
            // EF_DIR by path with P2 = 0C: case 3, no Le (ETSI TS 102 221 §11.1.1.2); the card returns 90 00 only.
            .ExpectBasic("00A4080C022F00", "9000")
            .ExpectBasic("00B2010400", "6C20")
            .ExpectBasic("00B2010420", DirRecord(UsimAid, "USIM") + "9000")
            .ExpectBasic("00B2020420", DirRecord(IsimAid, "ISIM") + "9000")
            .ExpectBasic("00B2030420", "6A83")
            .ExpectOpen(IsimAid, Session)
            .Expect(Session, "00A4000C026F02", "9000")
            .Expect(Session, "00B0000000", $"6C{Size(impi):X2}")
            .Expect(Session, $"00B00000{Size(impi):X2}", impi + "9000")
            // A card may answer Le = 00 with the data itself when the file is shorter than 256 bytes.
            .Expect(Session, "00A4000C026F03", "9000")
            .Expect(Session, "00B0000000", domain + "9000")
            .Expect(Session, "00A4000C026F04", "9000")
            .Expect(Session, "00B2010400", "6C40")
            .Expect(Session, "00B2010440", impu1 + "9000")
            .Expect(Session, "00B2020440", impu2 + "9000")
            .Expect(Session, "00B2030440", "6A83")
            .Expect(Session, "00A4000C026F07", "9000")
            .Expect(Session, "00B0000000", "6C01")
            .Expect(Session, "00B0000001", "01 9000")
            .Expect(Session, "00A4000C026F09", "9000")
            .Expect(Session, "00B2010400", "6C18")
            .Expect(Session, "00B2010418", pcscf + "9000")
            .Expect(Session, "00B2020418", "6A83");
        var options = new UiccReadOptions { Select = Uicc.Apdu.SelectResponse.NoData };
        var logger = new ListLogger();
        await using (var isim = await IsimApplication.OpenAsync(channel, options, logger, TestContext.Current.CancellationToken))
        {
            Assert.Equal(IsimAid, isim.Application.AidHex);
            Assert.Equal(Impi, isim.Identity.Impi);
            Assert.Equal(Domain, isim.Identity.HomeDomain);
            Assert.Equal([Impu1, Impu2], isim.Identity.Impus);
            Assert.True(isim.ServiceTable!.IsAvailable(IsimServiceTable.PcscfAddress));
            Assert.Equal([new PcscfAddress(PcscfAddressType.Fqdn, "pcscf.example")], isim.PcscfAddresses);
        }

        channel.AssertComplete();
        Assert.Equal([Session], channel.ClosedSessions);
        Assert.DoesNotContain(Impi, logger.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Default_options_select_with_p2_04_as_before()
    {
        var channel = ScriptDirectory(new ScriptedUiccChannel());
        var applications = await IsimApplication.ReadApplicationsAsync(channel, UiccReadOptions.Default, null,
            TestContext.Current.CancellationToken);
        Assert.Equal(3, applications.Count);
        channel.AssertComplete();
    }

    [Theory]
    [InlineData("6B00")]
    [InlineData("6282")]
    public async Task Transparent_file_longer_than_256_bytes_without_fcp_is_read_block_by_block(string end)
    {
        var table = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();
        var block1 = Convert.ToHexString(table, 0, 256);
        var rest = Convert.ToHexString(table, 256, 44);
        var channel = new ScriptedUiccChannel()
            .ExpectOpen(IsimAid, Session)
            .Expect(Session, "00A4000C026F02", "9000")
            .Expect(Session, "00B0000000", IsimFilesTests.Text(Impi) + "9000")
            .Expect(Session, "00A4000C026F03", "9000")
            .Expect(Session, "00B0000000", IsimFilesTests.Text(Domain) + "9000")
            .Expect(Session, "00A4000C026F04", "9000")
            .Expect(Session, "00B2010400", IsimFilesTests.Text(Impu1) + "9000")
            .Expect(Session, $"00B20204{Size(IsimFilesTests.Text(Impu1)):X2}", "6A83")
            .Expect(Session, "00A4000C026F07", "9000")
            // 256 bytes for Le = 00: maybe more. The next block at offset 256.
            .Expect(Session, "00B0000000", block1 + "9000");
        if (end == "6B00")
        {
            // The rest is short (6C xx gives its length), then an offset past the end: 6B 00 (§10.2.1.5).
            channel
                .Expect(Session, "00B0010000", "6C2C")
                .Expect(Session, "00B001002C", rest + "9000");
        }
        else
        {
            // 62 82: end of file reached before Le bytes, with the data that was there.
            channel.Expect(Session, "00B0010000", rest + "6282");
        }

        channel.Expect(Session, "00A4000C026F09", "6A82");
        var options = new UiccReadOptions { Select = Uicc.Apdu.SelectResponse.NoData };
        await using (var isim = await IsimApplication.OpenAsync(channel, new UiccApplication(Hex.Bytes(IsimAid), null), options,
            null, TestContext.Current.CancellationToken))
        {
            Assert.Equal(table, isim.ServiceTable!.Table.ToArray());
        }

        channel.AssertComplete();
    }

    [Fact]
    public async Task Transparent_file_of_exactly_256_bytes_without_fcp_ends_at_6b00()
    {
        var table = Enumerable.Range(0, 256).Select(i => (byte)~i).ToArray();
        var channel = new ScriptedUiccChannel()
            .ExpectOpen(IsimAid, Session)
            .Expect(Session, "00A4000C026F02", "9000")
            .Expect(Session, "00B0000000", IsimFilesTests.Text(Impi) + "9000")
            .Expect(Session, "00A4000C026F03", "9000")
            .Expect(Session, "00B0000000", IsimFilesTests.Text(Domain) + "9000")
            .Expect(Session, "00A4000C026F04", "9000")
            .Expect(Session, "00B2010400", IsimFilesTests.Text(Impu1) + "9000")
            .Expect(Session, $"00B20204{Size(IsimFilesTests.Text(Impu1)):X2}", "6A83")
            .Expect(Session, "00A4000C026F07", "9000")
            .Expect(Session, "00B0000000", Convert.ToHexString(table) + "9000")
            .Expect(Session, "00B0010000", "6B00")
            .Expect(Session, "00A4000C026F09", "6A82");
        var options = new UiccReadOptions { Select = Uicc.Apdu.SelectResponse.NoData };
        await using (var isim = await IsimApplication.OpenAsync(channel, new UiccApplication(Hex.Bytes(IsimAid), null), options,
            null, TestContext.Current.CancellationToken))
        {
            Assert.Equal(table, isim.ServiceTable!.Table.ToArray());
        }

        channel.AssertComplete();
    }

    [Fact]
    public async Task Unsized_reads_are_capped_and_6b00_on_the_first_block_is_an_error()
    {
        // A card that keeps answering 256 bytes never ends: cut at the EF cap.
        var block = new string('A', 512);
        var channel = new ScriptedUiccChannel()
            .ExpectOpen(IsimAid, Session)
            .Expect(Session, "00A4000C026F02", "9000");
        for (var offset = 0; offset < ElementaryFileReader.MaxFileLength; offset += 256)
        {
            channel.Expect(Session, $"00B0{offset:X4}00", block + "9000");
        }

        channel.Expect(Session, $"00B0{ElementaryFileReader.MaxFileLength:X4}00", block + "9000");
        var options = new UiccReadOptions { Select = Uicc.Apdu.SelectResponse.NoData };
        var application = new UiccApplication(Hex.Bytes(IsimAid), null);
        var error = await Assert.ThrowsAsync<UiccException>(async () =>
            await IsimApplication.OpenAsync(channel, application, options, null, TestContext.Current.CancellationToken));
        Assert.Equal(UiccErrorReason.ResponseTooLong, error.Reason);
        Assert.Contains("EF_IMPI", error.Message, StringComparison.Ordinal);
        channel.AssertComplete();
        Assert.Equal([Session], channel.ClosedSessions);

        channel = new ScriptedUiccChannel()
            .ExpectOpen(IsimAid, Session)
            .Expect(Session, "00A4000C026F02", "9000")
            .Expect(Session, "00B0000000", "6B00");
        error = await Assert.ThrowsAsync<UiccException>(async () =>
            await IsimApplication.OpenAsync(channel, application, options, null, TestContext.Current.CancellationToken));
        Assert.Equal(UiccErrorReason.UnexpectedStatusWord, error.Reason);
        Assert.Equal((ushort)0x6B00, error.StatusWord);
        Assert.Equal([Session], channel.ClosedSessions);
    }

    [Fact]
    public async Task Channel_is_closed_when_the_modem_fails_mid_read()
    {
        var channel = new ScriptedUiccChannel()
            .ExpectOpen(IsimAid, Session)
            .ExpectThen(Session, "00A40004026F0200", () => throw new IOException("modem gone"));
        await Assert.ThrowsAsync<IOException>(async () => await Open(channel));
        Assert.Equal([Session], channel.ClosedSessions);
    }

    [Fact]
    public async Task Channel_is_closed_when_cancelled()
    {
        using var cts = new CancellationTokenSource();
        var impi = IsimFilesTests.Text(Impi);
        var channel = new ScriptedUiccChannel()
            .ExpectOpen(IsimAid, Session)
            .ExpectThen(Session, "00A40004026F0200", () =>
            {
                cts.Cancel();
                return Hex.Bytes(TransparentFcp(0x6F02, Size(impi)) + "9000");
            });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            await IsimApplication.OpenAsync(channel, new UiccApplication(Hex.Bytes(IsimAid), null), null, cts.Token));
        Assert.Equal([Session], channel.ClosedSessions);
    }

    [Fact]
    public async Task Channel_is_closed_on_a_malformed_file_or_response()
    {
        var channel = new ScriptedUiccChannel()
            .ExpectOpen(IsimAid, Session)
            .Expect(Session, "00A40004026F0200", TransparentFcp(0x6F02, 4) + "9000")
            .Expect(Session, "00B0000004", "81026162 9000");
        var error = await Assert.ThrowsAsync<UiccException>(async () => await Open(channel));
        Assert.Equal(UiccErrorReason.MalformedFileContent, error.Reason);
        Assert.Contains("EF_IMPI", error.Message, StringComparison.Ordinal);
        Assert.Equal([Session], channel.ClosedSessions);

        channel = new ScriptedUiccChannel()
            .ExpectOpen(IsimAid, Session)
            .Expect(Session, "00A40004026F0200", "90");
        error = await Assert.ThrowsAsync<UiccException>(async () => await Open(channel));
        Assert.Equal(UiccErrorReason.ResponseTooShort, error.Reason);
        Assert.Equal([Session], channel.ClosedSessions);

        channel = new ScriptedUiccChannel()
            .ExpectOpen(IsimAid, Session)
            .Expect(Session, "00A40004026F0200", "6982");
        error = await Assert.ThrowsAsync<UiccException>(async () => await Open(channel));
        Assert.Equal(UiccErrorReason.UnexpectedStatusWord, error.Reason);
        Assert.Contains("69 82", error.Message, StringComparison.Ordinal);
        Assert.Equal([Session], channel.ClosedSessions);
    }

    [Fact]
    public async Task Endless_61xx_is_cut_off()
    {
        var channel = new ScriptedUiccChannel()
            .ExpectOpen(IsimAid, Session)
            .Expect(Session, "00A40004026F0200", "6101");
        for (var i = 1; i < 64; i++)
        {
            channel.Expect(Session, "00C0000001", "AA6101");
        }

        var error = await Assert.ThrowsAsync<UiccException>(async () => await Open(channel));
        Assert.Equal(UiccErrorReason.TooManyExchanges, error.Reason);
        channel.AssertComplete();
        Assert.Equal([Session], channel.ClosedSessions);
    }

    [Fact]
    public async Task Authenticate_success_through_61xx()
    {
        var channel = ScriptFiles(new ScriptedUiccChannel().ExpectOpen(IsimAid, Session))
            .Expect(Session, AuthenticateApdu, "612C")
            .Expect(Session, "00C000002C", AuthenticateOk + "9000");
        var logger = new ListLogger();
        await using (var isim = await Open(channel, logger))
        {
            var result = await isim.AuthenticateAsync(Rand, Autn, TestContext.Current.CancellationToken);
            var success = Assert.IsType<AkaResult.Success>(result);
            Assert.Equal(Res, Hex.Lower(success.Res));
            Assert.Equal(Ck, Hex.Lower(success.Ck));
            Assert.Equal(Ik, Hex.Lower(success.Ik));
        }

        channel.AssertComplete();
        Assert.DoesNotContain(Res, logger.All, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Ck, logger.All, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Authenticate_success_chained_by_the_modem()
    {
        var channel = ScriptFiles(new ScriptedUiccChannel().ExpectOpen(IsimAid, Session))
            .Expect(Session, AuthenticateApdu, AuthenticateOk + "9000");
        await using var isim = await Open(channel);
        Assert.IsType<AkaResult.Success>(await isim.AuthenticateAsync(Rand, Autn, TestContext.Current.CancellationToken));
        channel.AssertComplete();
    }

    [Fact]
    public async Task Authenticate_synchronisation_failure_mac_failure_and_errors()
    {
        const string auts = "0102030405060708090a0b0c0d0e";
        var channel = ScriptFiles(new ScriptedUiccChannel().ExpectOpen(IsimAid, Session))
            .Expect(Session, AuthenticateApdu, "6110")
            .Expect(Session, "00C0000010", "dc0e" + auts + "9000")
            .Expect(Session, AuthenticateApdu, "9862")
            .Expect(Session, AuthenticateApdu, "6982")
            .Expect(Session, AuthenticateApdu, "db08" + Res + "9000");
        await using (var isim = await Open(channel))
        {
            var ct = TestContext.Current.CancellationToken;
            var sync = Assert.IsType<AkaResult.SynchronisationFailure>(await isim.AuthenticateAsync(Rand, Autn, ct));
            Assert.Equal(auts, Hex.Lower(sync.Auts));
            Assert.Same(AkaResult.MacFailure.Instance, await isim.AuthenticateAsync(Rand, Autn, ct));

            var error = await Assert.ThrowsAsync<UiccException>(async () => await isim.AuthenticateAsync(Rand, Autn, ct));
            Assert.Equal(UiccErrorReason.UnexpectedStatusWord, error.Reason);
            error = await Assert.ThrowsAsync<UiccException>(async () => await isim.AuthenticateAsync(Rand, Autn, ct));
            Assert.Equal(UiccErrorReason.MalformedAuthenticateResponse, error.Reason);
            Assert.DoesNotContain(Res, error.Message, StringComparison.OrdinalIgnoreCase);

            await Assert.ThrowsAsync<ArgumentException>(async () => await isim.AuthenticateAsync(Rand.AsMemory(0, 15), Autn, ct));
        }

        channel.AssertComplete();
        Assert.Equal([Session], channel.ClosedSessions);
    }

    [Fact]
    public async Task Dispose_closes_once_and_authenticate_after_dispose_is_refused()
    {
        var channel = ScriptFiles(new ScriptedUiccChannel().ExpectOpen(IsimAid, Session));
        var isim = await Open(channel);
        await isim.DisposeAsync();
        await isim.DisposeAsync();
        Assert.Equal([Session], channel.ClosedSessions);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () =>
            await isim.AuthenticateAsync(Rand, Autn, TestContext.Current.CancellationToken));
    }

    private static ValueTask<IsimApplication> Open(ScriptedUiccChannel channel, ListLogger? logger = null) =>
        IsimApplication.OpenAsync(channel, new UiccApplication(Hex.Bytes(IsimAid), "ISIM"), logger,
            TestContext.Current.CancellationToken);
}
