// SPDX-License-Identifier: MIT
using ImUeAgent.Modem.BringUp;
using ImUeAgent.Modem.Profiles;
using ImUeAgent.Modem.Tests.BringUp;
using ImUeAgent.Modem.Uicc;
using ImUeAgent.Uicc.Aka;
using ImUeAgent.Uicc.Isim;

namespace ImUeAgent.Modem.Tests.Uicc;

public sealed class AtUiccChannelTests : IAsyncLifetime
{
    private static readonly byte[] Rand = Convert.FromHexString("23553CBE9637A89D218AE64DAE47BF35");
    private static readonly byte[] Autn = Convert.FromHexString("55F328B43577B9B94A9FFAC354DFAFB3");
    private readonly ServiceHarness _harness = new();

    private FakeModem Modem => _harness.Modem;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Theory]
    [InlineData(false, CchoReply.Either)]
    [InlineData(true, CchoReply.Either)]
    [InlineData(false, CchoReply.Prefixed)]
    [InlineData(true, CchoReply.Bare)]
    public async Task CchoReplyWithOrWithoutPrefixAndAnySessionId(bool bare, CchoReply accepted)
    {
        Modem.CchoBare = bare;
        Modem.CchoSession = 42;
        var isim = await OpenIsimAsync(ServiceHarness.Generic(p => p.Uicc.CchoReply = accepted));

        Assert.Equal(42, isim.Session);
        Assert.Equal("001010123456789@ims.mnc001.mcc001.3gppnetwork.org", isim.Identity.Impi);
        Assert.Contains(Modem.Commands, c => c.StartsWith("AT+CGLA=42,", StringComparison.Ordinal));
        await isim.DisposeAsync();
        Assert.Equal("AT+CCHC=42", Modem.Commands[^1]);
    }

    [Theory]
    [InlineData(0x04, ImUeAgent.Uicc.Apdu.SelectResponse.ReturnFcp)]
    [InlineData(0x0C, ImUeAgent.Uicc.Apdu.SelectResponse.NoData)]
    public async Task ReadOptionsCarryTheProfilesSelectP2(int selectP2, ImUeAgent.Uicc.Apdu.SelectResponse expected)
    {
        var channel = await _harness.StartChannelAsync();
        var uicc = new AtUiccChannel(channel, ServiceHarness.Generic(p => p.Uicc.SelectP2 = selectP2));
        Assert.Equal(expected, uicc.ReadOptions.Select);
    }

    [Fact]
    public async Task BareSessionIdIsRefusedWhenTheProfileSaysPrefixed()
    {
        Modem.CchoBare = true;
        var channel = await _harness.StartChannelAsync();
        var uicc = new AtUiccChannel(channel, ServiceHarness.Generic(p => p.Uicc.CchoReply = CchoReply.Prefixed));

        var error = await Assert.ThrowsAsync<AtUiccException>(async () => await uicc.OpenLogicalChannelAsync(Convert.FromHexString(TestCard.IsimAid), TestContext.Current.CancellationToken));
        Assert.Equal((AtUiccError.MalformedReply, UiccReplyError.Missing), (error.Error, error.ReplyError));
    }

    [Theory]
    [InlineData(false, 0x00)]
    [InlineData(true, 0x02)]
    public async Task ClassByteCarriesTheChannelOnlyWhenTheProfileSaysSo(bool hostSetsChannel, byte expectedCla)
    {
        Modem.CchoSession = 2;
        var isim = await OpenIsimAsync(ServiceHarness.Generic(p => p.Uicc.HostSetsChannelInCla = hostSetsChannel));
        await isim.AuthenticateAsync(Rand, Autn, TestContext.Current.CancellationToken);

        var onChannel = Modem.Commands.Where(c => c.StartsWith("AT+CGLA=2,", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(onChannel);
        Assert.All(onChannel, c => Assert.Equal(expectedCla.ToString("X2"), c[(c.IndexOf('"') + 1)..(c.IndexOf('"') + 3)]));
        // EF_DIR on the basic channel is never re-coded.
        Assert.All(Modem.Commands.Where(c => c.StartsWith("AT+CSIM", StringComparison.Ordinal)), c => Assert.Contains(",\"00", c, StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetResponseAndWrongLengthPassThroughTheChannel()
    {
        Modem.Card.SelectAnswers61 = true;
        Modem.Card.StrictLe = true;
        var isim = await OpenIsimAsync(ServiceHarness.Generic());

        Assert.Equal(["sip:001010123456789@ims.mnc001.mcc001.3gppnetwork.org"], isim.Identity.Impus);
        Assert.Contains(Modem.Commands, c => c.StartsWith("AT+CGLA=1,10,\"00C00000", StringComparison.Ordinal));
        var result = await isim.AuthenticateAsync(Rand, Autn, TestContext.Current.CancellationToken);
        Assert.Equal(AkaOutcome.Success, result.Outcome);
    }

    [Fact]
    public async Task SimAccessFallbackWhenTheProfileHasNoCgla()
    {
        var isim = await OpenIsimAsync(ServiceHarness.Generic(p => p.Uicc.SupportsCgla = false));
        var result = await isim.AuthenticateAsync(Rand, Autn, TestContext.Current.CancellationToken);
        await isim.DisposeAsync();

        Assert.Equal(AkaOutcome.Success, result.Outcome);
        Assert.DoesNotContain(Modem.Commands, c => c.StartsWith("AT+CCHO", StringComparison.Ordinal) || c.StartsWith("AT+CGLA", StringComparison.Ordinal));
        Assert.Contains("AT+CSIM=10,\"0070000001\"", Modem.Commands);
        Assert.Contains($"AT+CSIM=34,\"01A404040C{TestCard.IsimAid}\"", Modem.Commands);
        Assert.Contains("AT+CSIM=16,\"01A40004026F0200\"", Modem.Commands);
        Assert.Equal("AT+CSIM=10,\"0070800100\"", Modem.Commands[^1]);
    }

    [Fact]
    public async Task CglaRefusedMovesTheSessionToSimAccess()
    {
        Modem.CglaUnsupported = true;
        var isim = await OpenIsimAsync(ServiceHarness.Generic());
        await isim.DisposeAsync();

        var commands = Modem.Commands.ToList();
        var refused = commands.FindIndex(c => c.StartsWith("AT+CGLA=", StringComparison.Ordinal));
        Assert.Equal(["AT+CCHC=1", "AT+CSIM=10,\"0070000001\""], commands.Skip(refused + 1).Take(2));
        Assert.Equal(1, commands.Count(c => c.StartsWith("AT+CGLA=", StringComparison.Ordinal)));
        Assert.Equal("001010123456789@ims.mnc001.mcc001.3gppnetwork.org", isim.Identity.Impi);
        Assert.Equal("AT+CSIM=10,\"0070800100\"", commands[^1]);
    }

    [Fact]
    public async Task AuthenticateAndItsAnswerAreRedactedInTheTranscript()
    {
        Modem.Card.SelectAnswers61 = false;
        var isim = await OpenIsimAsync(ServiceHarness.Generic());
        await isim.AuthenticateAsync(Rand, Autn, TestContext.Current.CancellationToken);

        var entries = _harness.Transcript.Entries;
        Assert.Contains(entries, e => e.Text == "AT+CGLA=<redacted 87 chars>");
        Assert.DoesNotContain(entries, e => e.Text.Contains("23553CBE", StringComparison.Ordinal) || e.Text.Contains(TestCard.Res, StringComparison.Ordinal));
    }

    [Fact]
    public async Task UnknownSessionsAreRefused()
    {
        var channel = await _harness.StartChannelAsync();
        var uicc = new AtUiccChannel(channel, ServiceHarness.Generic());

        var error = await Assert.ThrowsAsync<AtUiccException>(async () => await uicc.TransmitAsync(5, new byte[] { 0, 0xB0, 0, 0, 1 }, TestContext.Current.CancellationToken));
        Assert.Equal(AtUiccError.UnknownSession, error.Error);
        Assert.Empty(Modem.Commands);
    }

    [Fact]
    public async Task ModemErrorIsACommandRejection()
    {
        Modem.Handler = c => c.StartsWith("AT+CCHO", StringComparison.Ordinal) ? ["+CME ERROR: 3"] : null;
        var channel = await _harness.StartChannelAsync();
        var uicc = new AtUiccChannel(channel, ServiceHarness.Generic());

        var error = await Assert.ThrowsAsync<AtUiccException>(async () => await uicc.OpenLogicalChannelAsync(Convert.FromHexString(TestCard.IsimAid), TestContext.Current.CancellationToken));
        Assert.Equal(AtUiccError.CommandRejected, error.Error);
        Assert.Equal("+CCHO answered +CME ERROR: 3 (operation not allowed)", error.Message);
    }

    private async Task<IsimApplication> OpenIsimAsync(ModemProfile profile)
    {
        var channel = await _harness.StartChannelAsync();
        var uicc = new AtUiccChannel(channel, profile);
        return await IsimApplication.OpenAsync(uicc, null, TestContext.Current.CancellationToken);
    }
}
