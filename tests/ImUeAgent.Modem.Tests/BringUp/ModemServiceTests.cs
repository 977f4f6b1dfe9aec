// SPDX-License-Identifier: MIT
using System.Net;
using ImUeAgent.Modem.At;
using ImUeAgent.Modem.At.Urc;
using ImUeAgent.Modem.BringUp;
using ImUeAgent.Modem.Profiles;
using ImUeAgent.Uicc.Aka;

namespace ImUeAgent.Modem.Tests.BringUp;

public sealed class ModemServiceTests : IAsyncLifetime
{
    private static readonly byte[] Rand = Convert.FromHexString("23553CBE9637A89D218AE64DAE47BF35");
    private static readonly byte[] Autn = Convert.FromHexString("55F328B43577B9B94A9FFAC354DFAFB3");
    private readonly ServiceHarness _harness = new();

    private FakeModem Modem => _harness.Modem;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task HappyPathReachesReadyWithEverythingInTheState()
    {
        await _harness.StartAsync();
        var state = await _harness.WaitForPhaseAsync(ModemPhase.Ready);

        Assert.Equal(("generic", "imue-testbed", "emulated-27007", "0.1.0"), (state.ProfileName, state.Manufacturer, state.Model, state.Revision));
        Assert.Equal((FakeModem.Imei, FakeModem.Imsi, SimStatus.Ready), (state.Imei, state.Imsi, state.Sim));
        Assert.Equal(RegistrationStatus.RegisteredHome, state.Registration!.Status);
        Assert.Equal((2, "ims"), (state.ImsPdnCid, state.ImsApn));
        Assert.Equal([IPAddress.Loopback, IPAddress.IPv6Loopback], state.ImsPdnAddresses);
        Assert.Equal(["127.0.0.1", "::1"], state.PcscfAddresses);
        Assert.Equal(PcscfSource.Network, state.PcscfSource);
        Assert.Equal(TestCard.IsimAid, state.IsimAid);
        Assert.Equal("001010123456789@ims.mnc001.mcc001.3gppnetwork.org", state.Impi);
        Assert.Equal(["sip:001010123456789@ims.mnc001.mcc001.3gppnetwork.org"], state.Impus);
        Assert.Equal("ims.mnc001.mcc001.3gppnetwork.org", state.HomeDomain);
        Assert.False(state.IdentityFromImsi);
        Assert.Null(state.LastFailure);
        Assert.Empty(Modem.Unexpected);
        Assert.Equal(
            ["ATE0", "AT+CMEE=1", "AT+CGMI", "AT+CGMM", "AT+CGMR", "AT+CGSN", "AT+CPIN?", "AT+CIMI", "AT+CGEREP=2,1", "AT+CEREG=2", "AT+CEREG?",
             "AT+CGACT?", "AT+CGDCONT=2,\"IPV4V6\",\"ims\",\"\",0,0,0,0,1,1", "AT+CGACT=1,2", "AT+CGPADDR=2", "AT+CGCONTRDP=2"],
            Modem.Commands.Take(16));
        Assert.Equal(_harness.Service.Authenticator.Identity.Impi, state.Impi);
    }

    [Fact]
    public async Task AkaRunsOnTheIsimThroughCglaAndTheAnswerNeverReachesTheTranscript()
    {
        await _harness.StartAsync();
        await _harness.WaitForPhaseAsync(ModemPhase.Ready);

        var result = await _harness.Service.Authenticator.AuthenticateAsync(Rand, Autn, TestContext.Current.CancellationToken);

        var success = Assert.IsType<AkaResult.Success>(result);
        Assert.Equal(TestCard.Res, Convert.ToHexString(success.Res.Span));
        Assert.Equal(1, Modem.Card.Authentications);
        Assert.Contains(Modem.Commands, c => c.StartsWith("AT+CGLA=1,80,\"0088008122", StringComparison.Ordinal));
        Assert.DoesNotContain(_harness.Transcript.Entries, e => e.Text.Contains(TestCard.Res, StringComparison.Ordinal) || e.Text.Contains("23553CBE", StringComparison.Ordinal));
        Assert.Contains(_harness.Transcript.Entries, e => e.Text.StartsWith("+CGLA:<redacted", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SimBusyIsWaitedThroughUntilReady()
    {
        var busy = 2;
        Modem.Handler = c => c == "AT+CPIN?" && busy-- > 0 ? ["+CME ERROR: 14"] : null;
        await _harness.StartAsync();

        for (var i = 0; i < 2; i++)
        {
            await _harness.Clock.AdvanceWhenWaitingAsync(TimeSpan.FromSeconds(1));
        }

        var state = await _harness.WaitForPhaseAsync(ModemPhase.Ready);
        Assert.Equal(SimStatus.Ready, state.Sim);
        Assert.Equal(3, Modem.Count("AT+CPIN?"));
    }

    [Fact]
    public async Task SimReadyUrcShortensTheWait()
    {
        var busy = 1;
        Modem.Handler = c => c == "AT+CPIN?" && busy-- > 0 ? ["+CME ERROR: SIM busy"] : null;
        await _harness.StartAsync();
        await _harness.Clock.WhenTimerAsync(TimeSpan.FromSeconds(1));
        await Modem.SendUrcAsync("+CPIN: READY");

        await _harness.WaitForPhaseAsync(ModemPhase.Ready);
        Assert.Equal(2, Modem.Count("AT+CPIN?"));
    }

    [Fact]
    public async Task SimBusyBeyondTheProfileTimeFails()
    {
        Modem.Answers["AT+CPIN?"] = ["+CME ERROR: 14"];
        await _harness.StartAsync(profile: ServiceHarness.Generic(p => p.Timeouts.SimBusyMilliseconds = 2000));
        await _harness.Clock.AdvanceWhenWaitingAsync(TimeSpan.FromSeconds(1));
        await _harness.Clock.AdvanceWhenWaitingAsync(TimeSpan.FromSeconds(1));

        var state = await _harness.WaitForPhaseAsync(ModemPhase.Failed);
        Assert.Equal(ModemFailureReason.SimBusy, state.LastFailure!.Reason);
        Assert.Equal("SIM still busy after 2 s", state.LastFailure.Message);
        Assert.Equal(SimStatus.Busy, state.Sim);
    }

    [Fact]
    public async Task SimPinRequiredStopsWithoutAConfiguredPin()
    {
        Modem.Answers["AT+CPIN?"] = ["+CPIN: SIM PIN", "OK"];
        await _harness.StartAsync();

        var state = await _harness.WaitForPhaseAsync(ModemPhase.Failed);
        Assert.Equal((ModemFailureReason.SimPinRequired, "SIM PIN required"), (state.LastFailure!.Reason, state.LastFailure.Message));
        Assert.Equal(SimStatus.PinRequired, state.Sim);
        Assert.DoesNotContain(Modem.Commands, c => c.StartsWith("AT+CPIN=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ConfiguredPinIsEnteredOnceAndRedacted()
    {
        var entered = false;
        Modem.Handler = c => c switch
        {
            "AT+CPIN?" => entered ? null : ["+CPIN: SIM PIN", "OK"],
            "AT+CPIN=\"4711\"" => Enter(),
            _ => null,
        };
        await _harness.StartAsync(ServiceHarness.DefaultSettings with { SimPin = "4711" });

        await _harness.WaitForPhaseAsync(ModemPhase.Ready);
        Assert.Equal(1, Modem.Count("AT+CPIN=\"4711\""));
        Assert.DoesNotContain(_harness.Transcript.Entries, e => e.Text.Contains("4711", StringComparison.Ordinal));

        string[] Enter()
        {
            entered = true;
            return ["OK"];
        }
    }

    [Fact]
    public async Task WrongPinIsNotTriedAgain()
    {
        Modem.Answers["AT+CPIN?"] = ["+CPIN: SIM PIN", "OK"];
        Modem.Answers["AT+CPIN=\"4711\""] = ["+CME ERROR: 16"];
        await _harness.StartAsync(ServiceHarness.DefaultSettings with { SimPin = "4711" });

        var state = await _harness.WaitForPhaseAsync(ModemPhase.Failed);
        Assert.Equal(ModemFailureReason.SimPinRejected, state.LastFailure!.Reason);
        Assert.Contains("+CME ERROR: 16 (incorrect password)", state.LastFailure.Message, StringComparison.Ordinal);
        await _harness.Service.RestartAsync();
        await _harness.WaitForAsync(s => s.Phase == ModemPhase.Failed && Modem.Count("AT+CPIN?") >= 2, failedIsAnError: false);
        Assert.Equal(1, Modem.Count("AT+CPIN=\"4711\""));
    }

    [Fact]
    public async Task AttachCompletesWhenTheUrcComesLater()
    {
        Modem.Answers["AT+CEREG?"] = ["+CEREG: 2,2", "OK"];
        await _harness.StartAsync();
        var waiting = await _harness.WaitForAsync(s => s.Phase == ModemPhase.Attach && s.Activity == "waiting for +CEREG");
        Assert.Equal(RegistrationStatus.Searching, waiting.Registration!.Status);

        _harness.Clock.Fake.Advance(TimeSpan.FromSeconds(40));
        Assert.Equal(ModemPhase.Attach, _harness.Service.State.Phase);
        await Modem.SendUrcAsync("+CEREG: 1,\"0001\",\"00000101\",7");

        var state = await _harness.WaitForPhaseAsync(ModemPhase.Ready);
        Assert.Equal(RegistrationStatus.RegisteredHome, state.Registration!.Status);
        Assert.Equal(0x101UL, state.Registration.CellId);
    }

    [Fact]
    public async Task AttachTimesOutWithTheLastStatusInWords()
    {
        Modem.Answers["AT+CEREG?"] = ["+CEREG: 2,2", "OK"];
        await _harness.StartAsync(profile: ServiceHarness.Generic(p => p.Timeouts.AttachMilliseconds = 5000));
        await _harness.WaitForAsync(s => s.Activity == "waiting for +CEREG");
        await _harness.Clock.AdvanceWhenWaitingAsync(TimeSpan.FromSeconds(5));

        var state = await _harness.WaitForPhaseAsync(ModemPhase.Failed);
        Assert.Equal(ModemFailureReason.AttachTimeout, state.LastFailure!.Reason);
        Assert.Equal("not registered within 5 s (last +CEREG status: searching)", state.LastFailure.Message);
    }

    [Fact]
    public async Task AttachDeniedSaysTheRejectCauseInWords()
    {
        Modem.Handler = c => c == "AT+CEREG?" ? (Modem.Count("AT+CEREG=3") > 0 ? ["+CEREG: 3,3,\"0001\",\"00000101\",7,0,15", "OK"] : ["+CEREG: 2,3", "OK"]) : null;
        await _harness.StartAsync();

        var state = await _harness.WaitForPhaseAsync(ModemPhase.Failed);
        Assert.Equal(ModemFailureReason.AttachDenied, state.LastFailure!.Reason);
        Assert.Equal("attach denied: cause 15 (no suitable cells in tracking area)", state.LastFailure.Message);
        Assert.Equal(ModemPhase.Attach, state.LastFailure.Phase);
    }

    [Fact]
    public async Task AttachDeniedByUrcWhileWaiting()
    {
        Modem.Answers["AT+CEREG?"] = ["+CEREG: 2,2", "OK"];
        Modem.Answers["AT+CEREG=3"] = ["ERROR"];
        await _harness.StartAsync();
        await _harness.WaitForAsync(s => s.Activity == "waiting for +CEREG");
        await Modem.SendUrcAsync("+CEREG: 3");

        var state = await _harness.WaitForPhaseAsync(ModemPhase.Failed);
        Assert.Equal("attach denied (the network gave no reject cause)", state.LastFailure!.Message);
    }

    [Fact]
    public async Task ActiveImsContextIsKeptAndNotRedefined()
    {
        Modem.Answers["AT+CGACT?"] = ["+CGACT: 1,1", "+CGACT: 2,1", "OK"];
        Modem.Answers["AT+CGDCONT?"] = ["+CGDCONT: 1,\"IP\",\"internet\"", "+CGDCONT: 2,\"IPV4V6\",\"IMS\"", "OK"];
        await _harness.StartAsync();

        await _harness.WaitForPhaseAsync(ModemPhase.Ready);
        Assert.DoesNotContain(Modem.Commands, c => c.StartsWith("AT+CGDCONT=", StringComparison.Ordinal) || c.StartsWith("AT+CGACT=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ActiveContextWithAnotherApnIsDeactivatedAndRedefined()
    {
        Modem.Answers["AT+CGACT?"] = ["+CGACT: 2,1", "OK"];
        Modem.Answers["AT+CGDCONT?"] = ["+CGDCONT: 2,\"IP\",\"internet\"", "OK"];
        await _harness.StartAsync();

        await _harness.WaitForPhaseAsync(ModemPhase.Ready);
        var commands = Modem.Commands.ToList();
        Assert.True(commands.IndexOf("AT+CGACT=0,2") < commands.IndexOf("AT+CGDCONT=2,\"IPV4V6\",\"ims\",\"\",0,0,0,0,1,1"));
    }

    [Fact]
    public async Task FirmwareWithFewCgdcontParametersGetsTheShortForm()
    {
        Modem.Answers["AT+CGDCONT=3,\"IP\",\"ims\""] = ["OK"];
        Modem.Answers["AT+CGACT=1,3"] = ["OK"];
        Modem.Answers["AT+CGPADDR=3"] = ["+CGPADDR: 3,\"10.45.0.8\"", "OK"];
        Modem.Answers["AT+CGCONTRDP=3"] = ["+CGCONTRDP: 3,6,\"ims\",\"10.45.0.8.255.255.255.255\",\"10.45.0.1\",\"192.0.2.53\",\"\",\"192.0.2.10\",\"192.0.2.11\"", "OK"];
        await _harness.StartAsync(
            ServiceHarness.DefaultSettings with { ImsPdnCid = 3, PdnType = ImsPdnType.IPv4 },
            ServiceHarness.Generic(p => p.Pdn.CgdcontMaxParameters = 8));

        var state = await _harness.WaitForPhaseAsync(ModemPhase.Ready);
        Assert.Equal(["192.0.2.10", "192.0.2.11"], state.PcscfAddresses);
        Assert.Equal([IPAddress.Parse("10.45.0.8")], state.ImsPdnAddresses);
    }

    [Fact]
    public async Task PdnActivationRefusedFailsWithTheAnswerInWords()
    {
        Modem.Answers["AT+CGACT=1,2"] = ["+CME ERROR: 133"];
        await _harness.StartAsync();

        var state = await _harness.WaitForPhaseAsync(ModemPhase.Failed);
        Assert.Equal(ModemFailureReason.PdnActivationRefused, state.LastFailure!.Reason);
        Assert.Equal("IMS PDN (APN ims) not activated: AT+CGACT=1,2 answered +CME ERROR: 133 (requested service option not subscribed)", state.LastFailure.Message);
    }

    [Fact]
    public async Task ConfiguredPcscfOverridesTheNetwork()
    {
        await _harness.StartAsync(ServiceHarness.DefaultSettings with { PcscfOverride = ["pcscf.example.net"] });

        var state = await _harness.WaitForPhaseAsync(ModemPhase.Ready);
        Assert.Equal(["pcscf.example.net"], state.PcscfAddresses);
        Assert.Equal(PcscfSource.Configuration, state.PcscfSource);
        Assert.Equal(0, Modem.Count("AT+CGCONTRDP=2"));
    }

    [Fact]
    public async Task NoPcscfAnywhereFails()
    {
        Modem.Answers["AT+CGCONTRDP=2"] = ["+CGCONTRDP: 2,5,\"ims\",\"127.0.0.1.255.0.0.0\"", "OK"];
        await _harness.StartAsync();

        var state = await _harness.WaitForPhaseAsync(ModemPhase.Failed);
        Assert.Equal(ModemFailureReason.NoPcscf, state.LastFailure!.Reason);
    }

    [Fact]
    public async Task WithoutIsimTheIdentitiesComeFromTheImsi()
    {
        Modem.Card.WithoutIsim = true;
        await _harness.StartAsync(ServiceHarness.DefaultSettings with { MncLength = 3 });

        var state = await _harness.WaitForPhaseAsync(ModemPhase.Ready);
        Assert.True(state.IdentityFromImsi);
        Assert.Null(state.IsimAid);
        // TS 23.003 §13.2 with the configured 3-digit MNC "010".
        Assert.Equal("001010123456789@ims.mnc010.mcc001.3gppnetwork.org", state.Impi);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await _harness.Service.Authenticator.AuthenticateAsync(Rand, Autn, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task NoIsimAndNoImsiFails()
    {
        Modem.Card.WithoutIsim = true;
        Modem.Answers["AT+CIMI"] = ["+CME ERROR: 10"];
        await _harness.StartAsync();

        var state = await _harness.WaitForPhaseAsync(ModemPhase.Failed);
        Assert.Equal(ModemFailureReason.NoIdentity, state.LastFailure!.Reason);
        Assert.StartsWith("no ISIM and no IMSI", state.LastFailure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ModuleImsClientIsSwitchedOffWithARestart()
    {
        var restarted = false;
        Modem.Handler = c => c switch
        {
            "AT+QCFG=\"ims\"" => [restarted ? "+QCFG: \"ims\",2,0" : "+QCFG: \"ims\",0,1", "OK"],
            "AT+QCFG=\"ims\",2" => ["OK"],
            "AT+CFUN=1,1" => Restart(),
            _ => null,
        };
        var profile = ServiceHarness.Generic(p => p.ImsClient = new ModemImsClient
        {
            Query = "AT+QCFG=\"ims\"",
            ResponsePrefix = "+QCFG: \"ims\"",
            StateField = 1,
            EnabledValues = ["0", "1"],
            Disable = "AT+QCFG=\"ims\",2",
            DisableNeedsRestart = true,
        });
        await _harness.StartAsync(ServiceHarness.DefaultSettings with { DisableModuleImsClient = true }, profile);

        var state = await _harness.WaitForPhaseAsync(ModemPhase.Ready);
        Assert.Equal(ModuleImsClientStatus.Disabled, state.ModuleImsClient);
        Assert.Equal((1, 1, 2, 2), (Modem.Count("AT+QCFG=\"ims\",2"), Modem.Count("AT+CFUN=1,1"), Modem.Count("ATE0"), Modem.Count("AT+QCFG=\"ims\"")));

        string[] Restart()
        {
            restarted = true;
            _ = Task.Run(() => Modem.SendUrcAsync("RDY", "+CFUN: 1", "+CPIN: READY"));
            return ["OK"];
        }
    }

    [Fact]
    public async Task ModuleImsClientLeftOnUnlessConfigured()
    {
        Modem.Answers["AT+QCFG=\"ims\""] = ["+QCFG: \"ims\",1,1", "OK"];
        var profile = ServiceHarness.Generic(p => p.ImsClient = new ModemImsClient { Query = "AT+QCFG=\"ims\"", ResponsePrefix = "+QCFG: \"ims\"", EnabledValues = ["0", "1"], Disable = "AT+QCFG=\"ims\",2" });
        await _harness.StartAsync(profile: profile);

        var state = await _harness.WaitForPhaseAsync(ModemPhase.Ready);
        Assert.Equal(ModuleImsClientStatus.Enabled, state.ModuleImsClient);
        Assert.Equal(0, Modem.Count("AT+QCFG=\"ims\",2"));
    }

    [Fact]
    public async Task DetachAfterReadyResumesAtAttach()
    {
        await _harness.StartAsync();
        await _harness.WaitForPhaseAsync(ModemPhase.Ready);
        Modem.Answers["AT+CEREG?"] = ["+CEREG: 2,2", "OK"];

        await Modem.SendUrcAsync("+CEREG: 2");
        await _harness.WaitForAsync(s => s.Phase == ModemPhase.Attach && s.Activity == "waiting for +CEREG");
        await Modem.SendUrcAsync("+CEREG: 1,\"0001\",\"00000102\",7");

        var state = await _harness.WaitForPhaseAsync(ModemPhase.Ready);
        Assert.Equal(0x102UL, state.Registration!.CellId);
        Assert.Equal((1, 2, 2, 1), (Modem.Count("ATE0"), Modem.Count("AT+CEREG=2"), Modem.Count("AT+CGACT=1,2"), Modem.Count($"AT+CCHO=\"{TestCard.IsimAid}\"")));
    }

    [Fact]
    public async Task PdnDeactivationAfterReadyResumesAtTheImsPdn()
    {
        await _harness.StartAsync();
        await _harness.WaitForPhaseAsync(ModemPhase.Ready);

        await Modem.SendUrcAsync("+CGEV: NW PDN DEACT 1");
        await Modem.SendUrcAsync("+CGEV: NW PDN DEACT 2");
        await Modem.WhenCommandAsync("AT+CGACT=1,2", 2);

        await _harness.WaitForPhaseAsync(ModemPhase.Ready);
        Assert.Equal((1, 1, 2), (Modem.Count("ATE0"), Modem.Count("AT+CEREG=2"), Modem.Count("AT+CGPADDR=2")));
    }

    [Fact]
    public async Task ChannelBreakRedoesBringUpOnceTheChannelIsBack()
    {
        await _harness.StartAsync();
        await _harness.WaitForPhaseAsync(ModemPhase.Ready);

        _harness.Port.Unplug();
        await _harness.WaitForAsync(s => s.Channel.State == AtChannelState.Broken);
        _harness.Port.Plug();
        await _harness.Clock.AdvanceWhenWaitingAsync(ServiceHarness.ReopenBackoff);
        await Modem.WhenCommandAsync("ATE0", 2);

        var state = await _harness.WaitForPhaseAsync(ModemPhase.Ready);
        Assert.Equal(2, _harness.Port.OpenCount);
        Assert.Equal(2, Modem.Count($"AT+CCHO=\"{TestCard.IsimAid}\""));
        Assert.Equal(TestCard.IsimAid, state.IsimAid);
    }

    [Fact]
    public async Task ModuleResetRedoesBringUpFromTheProbe()
    {
        await _harness.StartAsync();
        await _harness.WaitForPhaseAsync(ModemPhase.Ready);
        _harness.Clock.Fake.Advance(TimeSpan.FromSeconds(11));

        await Modem.SendUrcAsync("RDY");
        await Modem.WhenCommandAsync("ATE0", 2);

        await _harness.WaitForPhaseAsync(ModemPhase.Ready);
        // The old logical channel is given back before the ISIM is opened again.
        var commands = Modem.Commands.ToList();
        var secondProbe = commands.LastIndexOf("ATE0");
        Assert.Contains("AT+CCHC=1", commands.Take(secondProbe));
        Assert.Equal(2, Modem.Count($"AT+CCHO=\"{TestCard.IsimAid}\""));
    }

    [Fact]
    public async Task ResetIndicationsRightAfterTheProbeAreTheSameBoot()
    {
        await _harness.StartAsync();
        await _harness.WaitForPhaseAsync(ModemPhase.Ready);

        await Modem.SendUrcAsync("+CPIN: READY");
        await _harness.Service.SendCommandAsync("AT+CGMI", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(ModemPhase.Ready, _harness.Service.State.Phase);
        Assert.Equal(1, Modem.Count("ATE0"));
    }

    [Fact]
    public async Task RdyRightAfterReadyIsANewResetAndBringUpRunsAgain()
    {
        await _harness.StartAsync();
        await _harness.WaitForPhaseAsync(ModemPhase.Ready);

        await Modem.SendUrcAsync("RDY");
        await _harness.WaitForAsync(s => s.Phase != ModemPhase.Ready);
        await _harness.WaitForPhaseAsync(ModemPhase.Ready);
        Assert.Equal(2, Modem.Count("ATE0"));
    }

    [Fact]
    public async Task ShutdownClosesTheIsimChannel()
    {
        Modem.CchoSession = 7;
        await _harness.StartAsync();
        await _harness.WaitForPhaseAsync(ModemPhase.Ready);
        Assert.Contains(Modem.Commands, c => c.StartsWith("AT+CGLA=7,", StringComparison.Ordinal));

        await _harness.Service.DisposeAsync();

        Assert.Equal("AT+CCHC=7", Modem.Commands[^1]);
        Assert.Equal(ModemPhase.Stopped, _harness.Service.State.Phase);
    }

    [Fact]
    public async Task RawCommandsReachTheModemAndReturnTheirLines()
    {
        await _harness.StartAsync();
        await _harness.WaitForPhaseAsync(ModemPhase.Ready);

        var response = await _harness.Service.SendCommandAsync("AT+CGDCONT?", cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(response.IsOk);
        Assert.Equal(["+CGDCONT: 1,\"IP\",\"internet\",\"0.0.0.0\",0,0"], response.Lines);
    }

    [Fact]
    public async Task SoftIsimReplacesTheCard()
    {
        var directory = Directory.CreateTempSubdirectory("imue-soft-isim-");
        try
        {
            var keyFile = Path.Combine(directory.FullName, "isim.json");
            File.WriteAllText(keyFile, """
                { "k": "465B5CE8B199B49FAA5F0A2EE238A6BC", "opc": "CD63CB71954A9F4E48A5994E37A02BAF", "amf": "B9B9",
                  "impi": "soft@ims.example.net", "impu": ["sip:soft@ims.example.net"], "domain": "ims.example.net" }
                """);
            File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            await _harness.StartAsync(ServiceHarness.DefaultSettings with { SoftIsimKeyFile = keyFile });

            var state = await _harness.WaitForPhaseAsync(ModemPhase.Ready);
            Assert.True(state.UsesSoftIsim);
            Assert.Equal("soft@ims.example.net", state.Impi);
            Assert.DoesNotContain(Modem.Commands, c => c.StartsWith("AT+CCHO", StringComparison.Ordinal) || c.StartsWith("AT+CSIM", StringComparison.Ordinal));
            var result = await _harness.Service.Authenticator.AuthenticateAsync(Rand, Autn, TestContext.Current.CancellationToken);
            // MAC-A verifies (the keys are in use); set 1's SQN is far ahead of a new soft ISIM, hence resynchronisation.
            Assert.Equal(AkaOutcome.SynchronisationFailure, result.Outcome);
        }
        finally
        {
            await _harness.Service.DisposeAsync();
            directory.Delete(recursive: true);
        }
    }
}
