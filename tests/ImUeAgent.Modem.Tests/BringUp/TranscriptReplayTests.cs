// SPDX-License-Identifier: MIT
using System.Text.RegularExpressions;
using ImUeAgent.Modem.BringUp;
using ImUeAgent.Modem.Profiles;
using ImUeAgent.Modem.Tests.Profiles;
using ImUeAgent.Uicc.Aka;

namespace ImUeAgent.Modem.Tests.BringUp;

/// <summary>
/// Bring-up against every hardware/modems/*/transcripts/bring-up.txt (and isim.txt): the profiles are loaded from the
/// folder, the module is recognised from its own +CGMI/+CGMM answers, and bring-up must reach Ready asking only what
/// the transcript answers (<see cref="ReplayModem"/> lists its documented equivalences).
/// </summary>
public sealed partial class TranscriptReplayTests : IAsyncLifetime
{
    private readonly ServiceHarness _harness = new(withFakeModem: false);
    private ReplayModem? _replay;
    private DirectoryInfo? _softIsimDirectory;

    public static TheoryData<string> ModemsWithBringUp => [.. ModemFolders.Names().Where(m => File.Exists(Transcript(m, "bring-up.txt")))];

    public static TheoryData<string> ModemsWithIsim => [.. ModemFolders.Names().Where(m => File.Exists(Transcript(m, "bring-up.txt")) && File.Exists(Transcript(m, "isim.txt")))];

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await _harness.DisposeAsync();
        if (_replay is not null)
        {
            await _replay.DisposeAsync();
        }

        _softIsimDirectory?.Delete(recursive: true);
    }

    [Fact]
    public void EveryModemFolderHasABringUpTranscript() => Assert.NotEmpty(ModemsWithBringUp);

    [Theory]
    [MemberData(nameof(ModemsWithBringUp))]
    public async Task BringUpReachesReadyOnTheTranscript(string modem)
    {
        var bringUp = TranscriptFile.Load(Transcript(modem, "bring-up.txt"));
        var settings = SettingsFor(bringUp) with { SoftIsimKeyFile = WriteSoftIsimKeyFile() };
        var state = await ReplayAsync(modem, settings, bringUp);

        Assert.NotEmpty(state.PcscfAddresses);
        Assert.NotEmpty(state.ImsPdnAddresses);
        Assert.Equal(Imsi(bringUp), state.Imsi);
        Assert.Empty(_replay!.Unused());
    }

    [Theory]
    [MemberData(nameof(ModemsWithIsim))]
    public async Task IsimIsReadAndAnswersAkaOnTheTranscript(string modem)
    {
        var bringUp = TranscriptFile.Load(Transcript(modem, "bring-up.txt"));
        var isim = TranscriptFile.Load(Transcript(modem, "isim.txt"));
        var state = await ReplayAsync(modem, SettingsFor(bringUp), bringUp, isim);

        Assert.StartsWith("A0000000871004", state.IsimAid, StringComparison.Ordinal);
        Assert.Equal((TestIdentities.Impi, TestIdentities.Domain), (state.Impi, state.HomeDomain));
        Assert.Equal([TestIdentities.Impu], state.Impus);

        var apdu = Convert.FromHexString(TestIdentities.AuthenticateApdu);
        var result = await _harness.Service.Authenticator.AuthenticateAsync(apdu.AsMemory(6, 16), apdu.AsMemory(23, 16), TestContext.Current.CancellationToken);
        var success = Assert.IsType<AkaResult.Success>(result);
        Assert.Equal((TestIdentities.Res, TestIdentities.Ck, TestIdentities.Ik), (Convert.ToHexString(success.Res.Span), Convert.ToHexString(success.Ck.Span), Convert.ToHexString(success.Ik.Span)));

        await _harness.Service.DisposeAsync();
        Assert.Empty(_replay!.Unexpected);
        Assert.Empty(_replay.Unused());
    }

    private async Task<ModemState> ReplayAsync(string modem, ModemServiceSettings settings, params TranscriptFile[] transcripts)
    {
        _replay = new ReplayModem(_harness.Port, transcripts);
        var profiles = ModemProfile.LoadAll(ModemFolders.Root);
        await _harness.StartAsync(settings with { Profiles = profiles }, profile: null);
        var state = await _harness.WaitForAsync(s => s.Phase is ModemPhase.Ready or ModemPhase.Failed, failedIsAnError: false);
        foreach (var note in _replay.Notes)
        {
            TestContext.Current.TestOutputHelper?.WriteLine(note);
        }

        Assert.True(_replay.Unexpected.Count == 0, $"{modem}: commands the transcript does not answer: {string.Join(" | ", _replay.Unexpected)}");
        Assert.True(state.Phase == ModemPhase.Ready, $"{modem}: {state.LastFailure}");
        Assert.Equal(modem, state.ProfileName);
        return state;
    }

    /// <summary>The IMS PDN as the transcript defines it: cid, PDP type and APN from its +CGDCONT.</summary>
    private static ModemServiceSettings SettingsFor(TranscriptFile bringUp)
    {
        var define = bringUp.Exchanges.Select(e => CgdcontPattern().Match(e.Command.Text)).First(m => m.Success);
        return ServiceHarness.DefaultSettings with
        {
            ImsPdnCid = int.Parse(define.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture),
            PdnType = define.Groups[2].Value switch { "IP" => ImsPdnType.IPv4, "IPV6" => ImsPdnType.IPv6, _ => ImsPdnType.IPv4v6 },
            ImsApn = define.Groups[3].Value,
        };
    }

    private static string? Imsi(TranscriptFile bringUp)
        => bringUp.Exchanges.FirstOrDefault(e => e.Command.Text == "AT+CIMI")?.Responses[0].Text;

    private string WriteSoftIsimKeyFile()
    {
        _softIsimDirectory = Directory.CreateTempSubdirectory("imue-replay-");
        var path = Path.Combine(_softIsimDirectory.FullName, "isim.json");
        File.WriteAllText(path, $$"""
            { "k": "465B5CE8B199B49FAA5F0A2EE238A6BC", "opc": "CD63CB71954A9F4E48A5994E37A02BAF",
              "impi": "{{TestIdentities.Impi}}", "impu": ["{{TestIdentities.Impu}}"], "domain": "{{TestIdentities.Domain}}" }
            """);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    private static string Transcript(string modem, string file) => Path.Combine(ModemFolders.Root, modem, "transcripts", file);

    [GeneratedRegex("^AT\\+CGDCONT=(\\d+),\"([^\"]+)\",\"([^\"]*)\"")]
    private static partial Regex CgdcontPattern();
}
