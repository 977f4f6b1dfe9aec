// SPDX-License-Identifier: MIT
using System.Text;
using ImUeAgent.Testbed.Modem;
using ImUeAgent.Uicc.Aka;

namespace ImUeAgent.Testbed.Tests.Modem;

public sealed class UiccCardTests
{
    // TS 35.208 §4.3 test set 1 (shared/data/milenage-ts35208.json) and the AUTN derived from it.
    private const string Rand = "23553CBE9637A89D218AE64DAE47BF35";
    private const string Autn = "55F328B43577B9B94A9FFAC354DFAFB3";
    private const ulong Sqn = 0xFF9BB4D0B607;
    private const string Res = "A54211D5E3BA50BF";
    private const string Ck = "B40BA9A3C58B2A05BBF0D987B21BF8CB";
    private const string Ik = "F769BCD751044604127672711C6D3441";
    private const string F5Star = "451E8BECA43B";

    private static string Authenticate(string rand, string autn) => $"008800812210{rand}10{autn}00";

    private static byte[] Hex(string hex) => Convert.FromHexString(hex);

    private static UiccCard IsimOnChannel1(out int channel, CardSettings? settings = null, ModemQuirks quirks = ModemQuirks.None)
    {
        var card = new UiccCard(settings ?? new CardSettings(), quirks);
        channel = card.OpenChannel(Hex("A0000000871004"), out var sw) ?? throw new InvalidOperationException(sw.ToString("X4"));
        return card;
    }

    private static string Transmit(UiccCard card, string apdu, int channel) =>
        Convert.ToHexString(card.Transmit(Hex(apdu), channel).ToBytes());

    [Fact]
    public void The_fixture_apdu_is_the_one_in_the_shared_data()
    {
        Assert.Equal("00880081221023553CBE9637A89D218AE64DAE47BF351055F328B43577B9B94A9FFAC354DFAFB300", Authenticate(Rand, Autn));
    }

    [Fact]
    public void Authenticate_success_matches_ts_35_208_test_set_1()
    {
        using var card = IsimOnChannel1(out var channel);
        var response = card.Transmit(Hex(Authenticate(Rand, Autn)), channel);
        Assert.Equal(StatusWords.Ok, response.StatusWord);
        Assert.True(response.Sensitive);
        Assert.Equal("DB08" + Res + "10" + Ck + "10" + Ik, Convert.ToHexString(response.Data));
        Assert.Equal(Sqn, card.SqnMs);
    }

    [Fact]
    public void Authenticate_success_matches_milenage_for_a_fresh_challenge()
    {
        var k = RandomNumbers(16);
        var opc = RandomNumbers(16);
        var rand = RandomNumbers(16);
        using var network = new Milenage(k, opc);
        var sqn = new byte[6];
        Milenage.WriteSqn(0x1000 + 33, sqn);
        var autn = new byte[16];
        network.ComputeAutn(rand, sqn, [0x80, 0x00], autn);
        var res = new byte[8];
        var ck = new byte[16];
        var ik = new byte[16];
        var ak = new byte[6];
        network.F2345(rand, res, ck, ik, ak);

        using var card = IsimOnChannel1(out var channel, new CardSettings { K = k, Opc = opc, SqnMs = 0x1000 });
        var response = card.Transmit(Hex(Authenticate(Convert.ToHexString(rand), Convert.ToHexString(autn))), channel);
        Assert.Equal(StatusWords.Ok, response.StatusWord);
        Assert.Equal([0xDB, 8, .. res, 16, .. ck, 16, .. ik], response.Data);
    }

    [Fact]
    public void Stale_sqn_gives_auts_that_decodes_to_sqn_ms()
    {
        using var card = IsimOnChannel1(out var channel, new CardSettings { SqnMs = Sqn });
        var response = card.Transmit(Hex(Authenticate(Rand, Autn)), channel);
        Assert.Equal(StatusWords.Ok, response.StatusWord);
        Assert.Equal(0xDC, response.Data[0]);
        Assert.Equal(14, response.Data[1]);
        var auts = response.Data.AsSpan(2);

        // Conc(SQN_MS) = SQN_MS ⊕ f5*(RAND), with f5* from TS 35.208 set 1.
        var concealed = auts[..6].ToArray();
        var akStar = Hex(F5Star);
        for (var i = 0; i < 6; i++)
        {
            concealed[i] ^= akStar[i];
        }

        Assert.Equal(Sqn, Milenage.ReadSqn(concealed));

        // MAC-S verifies on the network side (TS 33.102 §6.3.5).
        using var network = new Milenage(CardSettings.TestSet1K, CardSettings.TestSet1Opc);
        var sqnMs = new byte[6];
        Assert.True(network.TryRecoverSqnMs(Hex(Rand), auts, sqnMs));
        Assert.Equal(Sqn, Milenage.ReadSqn(sqnMs));
    }

    [Fact]
    public void A_replayed_challenge_is_stale()
    {
        using var card = IsimOnChannel1(out var channel);
        Assert.Equal(0xDB, card.Transmit(Hex(Authenticate(Rand, Autn)), channel).Data[0]);
        Assert.Equal(0xDC, card.Transmit(Hex(Authenticate(Rand, Autn)), channel).Data[0]);
    }

    [Fact]
    public void A_wrong_mac_answers_9862()
    {
        using var card = IsimOnChannel1(out var channel);
        var badAutn = Autn[..^2] + "B4";
        var response = card.Transmit(Hex(Authenticate(Rand, badAutn)), channel);
        Assert.Equal(StatusWords.AuthenticationError, response.StatusWord);
        Assert.Empty(response.Data);
        Assert.Equal(0UL, card.SqnMs);
    }

    [Fact]
    public void Annex_c_accepts_a_lower_seq_on_another_ind_and_enforces_delta()
    {
        var check = new SequenceNumberCheck(sqnMs: 0, indBits: 5, delta: 1000);
        Assert.True(check.TryAccept((10UL << 5) | 3));
        Assert.True(check.TryAccept((5UL << 5) | 4));
        Assert.False(check.TryAccept((5UL << 5) | 4));
        Assert.False(check.TryAccept((9UL << 5) | 3));
        Assert.False(check.TryAccept(2000UL << 5));
        Assert.Equal((10UL << 5) | 3, check.SqnMs);
    }

    [Fact]
    public void Authenticate_rejects_malformed_data()
    {
        using var card = IsimOnChannel1(out var channel);
        Assert.Equal("6700", Transmit(card, "00880081021020", channel));
        Assert.Equal("6A86", Transmit(card, Authenticate(Rand, Autn).Remove(6, 2).Insert(6, "80"), channel));
        Assert.Equal("6A80", Transmit(card, Authenticate(Rand, Autn).Remove(10, 2).Insert(10, "0F"), channel));
        using var bare = new UiccCard(new CardSettings(), ModemQuirks.None);
        Assert.Equal("6985", Convert.ToHexString(bare.Transmit(Hex(Authenticate(Rand, Autn))).ToBytes()));
    }

    [Fact]
    public void Ef_dir_lists_usim_then_isim()
    {
        using var card = new UiccCard(new CardSettings(), ModemQuirks.None);
        var fcp = Transmit(card, "00A40004022F00", 0);
        Assert.StartsWith("6212820542210020", fcp, StringComparison.Ordinal);
        Assert.EndsWith("9000", fcp, StringComparison.Ordinal);
        Assert.StartsWith("61184F10A0000000871002", Transmit(card, "00B2010400", 0), StringComparison.Ordinal);
        Assert.StartsWith("61184F10A0000000871004FF49FF0589000000015004" + "4953494D", Transmit(card, "00B2020400", 0), StringComparison.Ordinal);
        Assert.Equal("6A83", Transmit(card, "00B2030400", 0));
        Assert.Equal("6981", Transmit(card, "00B0000000", 0));
    }

    [Fact]
    public void Isim_files_hold_tlv_80_values()
    {
        var settings = new CardSettings { PcscfOnCard = ["10.45.0.10", "pcscf.example.org"] };
        using var card = IsimOnChannel1(out var channel, settings);
        Assert.Equal("9000", Transmit(card, "00A4000C026F02", channel));
        var impi = "001010123456789@ims.mnc001.mcc001.3gppnetwork.org";
        Assert.Equal("80" + impi.Length.ToString("X2") + Convert.ToHexString(Encoding.ASCII.GetBytes(impi)) + "9000",
            Transmit(card, "00B0000000", channel));

        Transmit(card, "00A4000C026F03", channel);
        Assert.Equal("8021" + Convert.ToHexString("ims.mnc001.mcc001.3gppnetwork.org"u8) + "9000", Transmit(card, "00B0000000", channel));

        Transmit(card, "00A4000C026F04", channel);
        var sip = "sip:001010123456789@ims.mnc001.mcc001.3gppnetwork.org";
        Assert.StartsWith("80" + sip.Length.ToString("X2") + Convert.ToHexString(Encoding.ASCII.GetBytes(sip)), Transmit(card, "00B2010400", channel), StringComparison.Ordinal);
        Assert.StartsWith("8010" + Convert.ToHexString("tel:+15550123456"u8), Transmit(card, "00B2020400", channel), StringComparison.Ordinal);

        Transmit(card, "00A4000C026F07", channel);
        Assert.Equal("01009000", Transmit(card, "00B0000000", channel));

        Transmit(card, "00A4000C026F09", channel);
        Assert.StartsWith("8005010A2D000A", Transmit(card, "00B2010400", channel), StringComparison.Ordinal);
        Assert.StartsWith("801200" + Convert.ToHexString("pcscf.example.org"u8), Transmit(card, "00B2020400", channel), StringComparison.Ordinal);
    }

    [Fact]
    public void Read_binary_honours_offset_and_le()
    {
        using var card = IsimOnChannel1(out var channel);
        Transmit(card, "00A4000C026F03", channel);
        Assert.Equal("8021699000", Transmit(card, "00B0000003", channel));
        Assert.Equal("696D9000", Transmit(card, "00B0000202", channel));
        Assert.Equal("6B00", Transmit(card, "00B0010000", channel));
        var tail = Transmit(card, "00B0002040", channel);
        Assert.EndsWith("6282", tail, StringComparison.Ordinal);
    }

    [Fact]
    public void Get_response_quirk_full_exchange()
    {
        using var card = IsimOnChannel1(out var channel, quirks: ModemQuirks.GetResponse61);
        Assert.Equal("612C", Transmit(card, Authenticate(Rand, Autn), channel));
        Assert.Equal("6C2C", Transmit(card, "00C0000030", channel));
        var response = card.Transmit(Hex("00C000002C"), channel);
        Assert.True(response.Sensitive);
        Assert.Equal("DB08" + Res + "10" + Ck + "10" + Ik + "9000", Convert.ToHexString(response.ToBytes()));
        Assert.Equal("6985", Transmit(card, "00C000002C", channel));
        // SELECT with FCP is case 4 too; SELECT without response data is not.
        Assert.StartsWith("61", Transmit(card, "00A40004026F02", channel), StringComparison.Ordinal);
        Assert.Equal("9000", Transmit(card, "00A4000C026F02", channel));
    }

    [Fact]
    public void Wrong_length_quirk_answers_6cxx_until_le_is_exact()
    {
        using var card = IsimOnChannel1(out var channel, quirks: ModemQuirks.WrongLength6C);
        Transmit(card, "00A4000C026F03", channel);
        Assert.Equal("6C23", Transmit(card, "00B0000000", channel));
        Assert.EndsWith("9000", Transmit(card, "00B0000023", channel), StringComparison.Ordinal);
        Assert.Equal(2 * 0x23 + 4, Transmit(card, "00B0000023", channel).Length);
    }

    [Fact]
    public void Channels_are_bounded_and_cla_addresses_them()
    {
        using var card = new UiccCard(new CardSettings(), ModemQuirks.None, maxLogicalChannels: 2);
        Assert.Equal(1, card.OpenChannel(Hex("A0000000871004"), out _));
        Assert.Equal("029000", Transmit(card, "0070000001", 0));
        Assert.Null(card.OpenChannel(Hex("A0000000871004"), out var sw));
        Assert.Equal(StatusWords.FunctionNotSupported, sw);
        Assert.Equal("9000", Convert.ToHexString(card.Transmit(Hex("01A4000C026F02")).ToBytes()));
        Assert.Equal("6A82", Convert.ToHexString(card.Transmit(Hex("00A4000C026F02")).ToBytes()));
        Assert.Equal("9000", Transmit(card, "0070800200", 0));
        Assert.Equal("6881", Convert.ToHexString(card.Transmit(Hex("02A4000C026F02")).ToBytes()));
        Assert.Equal("6E00", Convert.ToHexString(card.Transmit(Hex("A0A4000C026F02")).ToBytes()));
        Assert.Equal("6D00", Convert.ToHexString(card.Transmit(Hex("00F2000000")).ToBytes()));
        card.Reset();
        Assert.Equal(0, card.OpenChannelCount);
    }

    [Fact]
    public void Every_truncation_of_an_apdu_gets_a_status_word_not_an_exception()
    {
        using var card = IsimOnChannel1(out var channel);
        var apdu = Hex(Authenticate(Rand, Autn));
        // Up to the full command data without Le (case 3), which a card may rightly execute.
        for (var length = 0; length < apdu.Length - 1; length++)
        {
            var response = card.Transmit(apdu.AsSpan(0, length), channel);
            Assert.NotEqual(StatusWords.Ok, response.StatusWord);
        }
    }

    private static byte[] RandomNumbers(int length) => System.Security.Cryptography.RandomNumberGenerator.GetBytes(length);
}
