// SPDX-License-Identifier: MIT
using ImUeAgent.Modem.Profiles;

namespace ImUeAgent.Modem.Tests.Profiles;

public sealed class TranscriptFileTests
{
    /// <summary>Like the shipped generic profile: 27.007's own behaviour (address and mask as one dotted string).</summary>
    private static readonly ModemProfile Generic = new()
    {
        Name = "generic",
        Vendor = "3GPP",
        Model = "MT",
        Pdn = new PdnQuirks { DottedAddressAndMask = true },
    };

    public static TheoryData<string, string> Transcripts()
    {
        var data = new TheoryData<string, string>();
        foreach (var (modem, file) in ModemFolders.Transcripts())
        {
            data.Add(modem, file);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Transcripts))]
    public void Shipped_transcript_is_well_formed_for_its_profile(string modem, string file)
    {
        var profile = ModemProfile.Load(Path.Combine(ModemFolders.Root, modem, "profile.json"));
        var transcript = TranscriptFile.Load(Path.Combine(ModemFolders.Root, modem, "transcripts", file));

        Assert.NotEmpty(transcript.Exchanges);
        Assert.Empty(TranscriptRules.Check(transcript, profile));
    }

    [Fact]
    public void Every_modem_ships_transcripts()
    {
        Assert.True(ModemFolders.Transcripts().Count() >= 2 * ModemFolders.Names().Count());
    }

    [Fact]
    public void Lines_are_classified_by_their_prefix()
    {
        var file = TranscriptFile.Parse("t.txt", """
            # t.txt: written from TS 27.007
            ~ RDY
            > AT+CMGS=20
            < > 
            > 0011000B916407281553F80000AA0AE8329BFD4697D9EC37
            < +CMGS: 7
            ~ +CEREG: 1

            < OK
            """);

        Assert.Equal(["t.txt: written from TS 27.007"], file.HeaderComments);
        Assert.Equal("RDY", Assert.Single(file.Preamble).Text);
        Assert.Equal(2, file.Exchanges.Count);
        Assert.Equal(TranscriptLineKind.Prompt, Assert.Single(file.Exchanges[0].Responses).Kind);
        Assert.True(file.Exchanges[1].IsPromptData);
        Assert.Equal(["+CMGS: 7", "OK"], file.Exchanges[1].Responses.Select(r => r.Text));
        Assert.Equal("+CEREG: 1", Assert.Single(file.Exchanges[1].Unsolicited).Text);
        Assert.Empty(TranscriptRules.Check(file, Generic));
    }

    [Theory]
    [InlineData("# written from x\n> AT\n* OK\n", 3, TranscriptFormatError.UnknownLinePrefix)]
    [InlineData("# written from x\n< OK\n> AT\n", 2, TranscriptFormatError.ResponseBeforeCommand)]
    [InlineData("# written from x\n>\n< OK\n", 2, TranscriptFormatError.EmptyCommand)]
    [InlineData("# written from x\n>AT\n< OK\n", 2, TranscriptFormatError.EmptyCommand)]
    [InlineData("# written from x\n> AT\n<\n", 3, TranscriptFormatError.EmptyModuleLine)]
    [InlineData("# written from x\n> AT\n~ \n", 3, TranscriptFormatError.EmptyModuleLine)]
    [InlineData("# written from x\n> AT\u0007\n< OK\n", 2, TranscriptFormatError.ControlCharacter)]
    [InlineData("# written from x\n\n", 3, TranscriptFormatError.NoLines)]
    public void Malformed_lines_are_rejected_with_line_and_reason(string text, int line, TranscriptFormatError reason)
    {
        var error = Assert.Throws<TranscriptFormatException>(() => TranscriptFile.Parse("bad.txt", text));

        Assert.Equal(line, error.LineNumber);
        Assert.Equal(reason, error.Reason);
        Assert.StartsWith($"bad.txt:{line}:", error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string> BrokenTranscripts() => new()
    {
        { "no source", "# just a comment\n> AT\n< OK\n", "written from" },
        { "no final result", "# written from x\n> AT+CGMI\n< Quectel\n> AT\n< OK\n", "'AT+CGMI' is not answered" },
        { "prompt at the end", "# written from x\n> AT+CMGS=20\n< > \n", "not answered" },
        { "line after final", "# written from x\n> AT\n< OK\n< OK\n", "after the final result" },
        { "stray OK after CME error", "# written from x\n> AT+CPIN?\n< +CME ERROR: 10\n< OK\n", "after the final result" },
        { "unknown quirk", "# written from x\n# quirk: echoTwice\n> AT\n< OK\n", "unknown quirk" },
        { "CSIM length", "# written from x\n> AT+CSIM=12,\"00A40004022F00\"\n< +CSIM: 4,\"9000\"\n< OK\n", "length 12 but 14" },
        { "CSIM answer length", "# written from x\n> AT+CSIM=14,\"00A40004022F00\"\n< +CSIM: 2,\"9000\"\n< OK\n", "length 2 but 4" },
        { "odd hex", "# written from x\n> AT+CSIM=3,\"00A\"\n< +CSIM: 4,\"9000\"\n< OK\n", "even number of hex" },
        { "CGLA without CCHO", "# written from x\n> AT+CGLA=1,10,\"00B0000010\"\n< +CGLA: 4,\"9000\"\n< OK\n", "which no +CCHO opened" },
        { "channel never closed", "# written from x\n> AT+CCHO=\"A0000000871004\"\n< +CCHO: 1\n< OK\n", "never closed" },
        { "61xx without GET RESPONSE", "# written from x\n> AT+CSIM=14,\"00A40004022F00\"\n< +CSIM: 4,\"6119\"\n< OK\n> AT+CSIM=10,\"00C0000018\"\n< +CSIM: 4,\"9000\"\n< OK\n", "6119 is not followed" },
        { "6Cxx without resend", "# written from x\n> AT+CSIM=10,\"00B0000000\"\n< +CSIM: 4,\"6C33\"\n< OK\n> AT+CSIM=10,\"00B0000032\"\n< +CSIM: 4,\"9000\"\n< OK\n", "6C33 is not followed" },
        { "wrong RES", "# written from x\n> AT+CSIM=80,\"" + TestIdentities.AuthenticateApdu + "\"\n< +CSIM: 92,\"DB08A54211D5E3BA50B010B40BA9A3C58B2A05BBF0D987B21BF8CB10F769BCD751044604127672711C6D34419000\"\n< OK\n", "does not decode" },
        { "wrong RAND", "# written from x\n> AT+CSIM=80,\"" + TestIdentities.AuthenticateApdu.Replace("23553CBE", "23553CBF", StringComparison.Ordinal) + "\"\n< +CSIM: 4,\"9862\"\n< OK\n", "not set 1's RAND/AUTN" },
        { "wrong identity", "# written from x\n> AT+CSIM=10,\"00B0000005\"\n< +CSIM: 14,\"8003616263" + "9000\"\n< OK\n", "'abc' is not one of" },
        { "bad padding", "# written from x\n> AT+CSIM=10,\"00B0000005\"\n< +CSIM: 14,\"80036162639000\"\n< OK\n> AT+CSIM=10,\"00B0000006\"\n< +CSIM: 12,\"800161009000\"\n< OK\n", "is not one of" },
        { "wrong IMSI", "# written from x\n> AT+CIMI\n< 001010000000001\n< OK\n", "+CIMI answer" },
        { "wrong IMEI", "# written from x\n> AT+CGSN\n< 356938035643800\n< OK\n", "+CGSN answer" },
        { "too many CGDCONT parameters", "# written from x\n> AT+CGDCONT=2,\"IP\",\"ims\",\"\",0,0,0,0,1,1,0,0,0\n< OK\n", "13 parameters" },
        { "address field without mask", "# written from x\n> AT+CGCONTRDP=2\n< +CGCONTRDP: 2,5,\"ims\",\"127.0.0.1\",\"\",\"\",\"\",\"127.0.0.1\"\n< OK\n", "does not have 8 or 32" },
        { "P-CSCF not an address", "# written from x\n> AT+CGCONTRDP=2\n< +CGCONTRDP: 2,5,\"ims\",\"127.0.0.1.255.0.0.0\",\"\",\"\",\"\",\"pcscf.example\"\n< OK\n", "is not an address" },
        { "P-CSCF of the other family", "# written from x\n> AT+CGCONTRDP=2\n< +CGCONTRDP: 2,5,\"ims\",\"127.0.0.1.255.0.0.0\",\"\",\"\",\"\",\"::1\"\n< OK\n", "other address family" },
        { "CLA bits on a 27.007 MT", "# written from x\n> AT+CCHO=\"A0\"\n< +CCHO: 1\n< OK\n> AT+CGLA=1,10,\"01B0000010\"\n< +CGLA: 4,\"6A82\"\n< OK\n> AT+CCHC=1\n< OK\n", "carries channel bits" },
        { "SELECT AID P2", "# written from x\n> AT+CSIM=14,\"00A4040C02A000\"\n< +CSIM: 4,\"9000\"\n< OK\n", "P2 0C" },
    };

    [Theory]
    [MemberData(nameof(BrokenTranscripts))]
    public void Broken_transcripts_are_caught(string why, string text, string expected)
    {
        var problems = TranscriptRules.Check(TranscriptFile.Parse("broken.txt", text), Generic);

        Assert.True(problems.Any(p => p.Contains(expected, StringComparison.Ordinal)), $"{why}: {string.Join(" | ", problems)}");
        Assert.All(problems, p => Assert.StartsWith("broken.txt:", p, StringComparison.Ordinal));
    }

    [Fact]
    public void A_stray_ok_after_cme_error_passes_when_the_profile_or_file_declares_the_quirk()
    {
        const string Text = "# written from x\n> AT+CPIN?\n< +CME ERROR: 10\n< OK\n> AT\n< OK\n";

        Assert.Empty(TranscriptRules.Check(TranscriptFile.Parse("q.txt", Text), Generic with { CmeErrorFollowedByOk = true }));
        Assert.Empty(TranscriptRules.Check(TranscriptFile.Parse("q.txt", "# quirk: cmeErrorFollowedByOk\n" + Text), Generic));
        Assert.NotEmpty(TranscriptRules.Check(TranscriptFile.Parse("q.txt", Text.Replace("< OK\n> AT", "< OK\n< OK\n> AT", StringComparison.Ordinal)), Generic with { CmeErrorFollowedByOk = true }));
    }

    [Theory]
    [InlineData(CchoReply.Either, "+CCHO: 1", true)]
    [InlineData(CchoReply.Either, "1", true)]
    [InlineData(CchoReply.Prefixed, "+CCHO: 1", true)]
    [InlineData(CchoReply.Prefixed, "1", false)]
    [InlineData(CchoReply.Bare, "1", true)]
    [InlineData(CchoReply.Bare, "+CCHO: 1", false)]
    [InlineData(CchoReply.Either, "+CCHO: ", false)]
    public void Ccho_reply_form_follows_the_profile(CchoReply form, string reply, bool accepted)
    {
        var text = $"# written from x\n> AT+CCHO=\"A0\"\n< {reply}\n< OK\n> AT+CCHC=1\n< OK\n";
        var profile = Generic with { Uicc = new UiccQuirks { CchoReply = form } };

        var problems = TranscriptRules.Check(TranscriptFile.Parse("c.txt", text), profile);

        Assert.Equal(accepted, !problems.Any(p => p.Contains("+CCHO answer", StringComparison.Ordinal)));
    }

    [Fact]
    public void Separate_mask_layout_reads_the_p_cscf_one_field_later()
    {
        const string Text = "# written from x\n> AT+CGCONTRDP=2\n< +CGCONTRDP: 2,5,\"ims\",\"10.0.0.1\",\"255.255.255.0\",\"10.0.0.254\",\"\",\"\",\"192.0.2.10\"\n< OK\n";
        var separate = Generic with { Pdn = new PdnQuirks { CgcontrdpLayout = CgcontrdpLayout.SeparateMask } };

        Assert.Empty(TranscriptRules.Check(TranscriptFile.Parse("s.txt", Text), separate));
        Assert.NotEmpty(TranscriptRules.Check(TranscriptFile.Parse("s.txt", Text), Generic));
    }

    [Fact]
    public void Host_set_channel_bits_must_match_the_session()
    {
        const string Text = "# written from x\n> AT+CCHO=\"A0\"\n< +CCHO: 2\n< OK\n> AT+CGLA=2,10,\"01B0000010\"\n< +CGLA: 4,\"6A82\"\n< OK\n> AT+CCHC=2\n< OK\n";
        var hostSets = Generic with { Uicc = new UiccQuirks { HostSetsChannelInCla = true } };

        var problems = TranscriptRules.Check(TranscriptFile.Parse("h.txt", Text), hostSets);

        Assert.Contains(problems, p => p.Contains("does not carry the channel of session 2", StringComparison.Ordinal));
        Assert.Empty(TranscriptRules.Check(TranscriptFile.Parse("h.txt", Text.Replace("\"01B0", "\"02B0", StringComparison.Ordinal)), hostSets));
    }

    [Fact]
    public void Extra_final_results_of_the_profile_end_a_command()
    {
        const string Text = "# written from x\n> AT+QFOO\n< COMMAND NOT SUPPORT\n> AT\n< OK\n";

        Assert.NotEmpty(TranscriptRules.Check(TranscriptFile.Parse("e.txt", Text), Generic));
        Assert.Empty(TranscriptRules.Check(TranscriptFile.Parse("e.txt", Text), Generic with { ExtraFinalResults = ["COMMAND NOT SUPPORT"] }));
    }
}
