// SPDX-License-Identifier: MIT
using System.Text.Json;
using System.Text.Json.Nodes;
using ImUeAgent.Modem.Profiles;

namespace ImUeAgent.Modem.Tests.Profiles;

public sealed class ModemProfileFilesTests : IDisposable
{
    private static readonly string[] ExpectedModems =
        ["generic", "quectel-ec25", "quectel-eg25g", "simcom-sim7600", "telit-le910", "ublox-sara-r5"];

    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("imue-profile-");

    public void Dispose() => _temp.Delete(recursive: true);

    public static TheoryData<string> Modems() => new(ModemFolders.Names());

    [Fact]
    public void Every_expected_modem_has_a_folder()
    {
        Assert.Equal(ExpectedModems, ModemFolders.Names());
    }

    [Theory]
    [MemberData(nameof(Modems))]
    public void Profile_loads_and_names_its_folder(string modem)
    {
        var profile = ModemProfile.Load(Path.Combine(ModemFolders.Root, modem, "profile.json"));

        Assert.Equal(modem, profile.Name);
        Assert.False(string.IsNullOrWhiteSpace(profile.Vendor));
        Assert.False(string.IsNullOrWhiteSpace(profile.Model));
        Assert.False(string.IsNullOrWhiteSpace(profile.Family));
        Assert.Equal(modem == "generic", profile.Match is null);
    }

    [Theory]
    [MemberData(nameof(Modems))]
    public void Folder_is_laid_out_like_a_binding(string modem)
    {
        var dir = Path.Combine(ModemFolders.Root, modem);
        var readme = File.ReadAllText(Path.Combine(dir, "README.md"));

        Assert.Contains("## References", readme, StringComparison.Ordinal);
        Assert.Contains("USB", readme, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(dir, "transcripts", "bring-up.txt")), $"{modem}: transcripts/bring-up.txt");
        Assert.True(File.Exists(Path.Combine(dir, "transcripts", "isim.txt")), $"{modem}: transcripts/isim.txt");
    }

    [Fact]
    public void Index_lists_every_profile()
    {
        var index = File.ReadAllText(Path.Combine(ModemFolders.Root, "README.md"));

        Assert.All(ExpectedModems, modem => Assert.Contains($"[{modem}]({modem}/)", index, StringComparison.Ordinal));
    }

    [Fact]
    public void LoadAll_reads_every_folder_in_name_order()
    {
        var profiles = ModemProfile.LoadAll(ModemFolders.Root);

        Assert.Equal(ExpectedModems, profiles.Select(p => p.Name));
    }

    [Theory]
    [InlineData("Quectel", "EG25", "quectel-eg25g")]
    [InlineData("Quectel", "EC25", "quectel-ec25")]
    [InlineData("QUECTEL", "ec25", "quectel-ec25")]
    [InlineData("SIMCOM INCORPORATED", "SIMCOM_SIM7600G-H", "simcom-sim7600")]
    [InlineData("SIMCOM INCORPORATED", "SIMCOM_SIM7600E-H", "simcom-sim7600")]
    [InlineData("u-blox", "SARA-R510M8S", "ublox-sara-r5")]
    [InlineData("u-blox", "SARA-R500S", "ublox-sara-r5")]
    [InlineData("Telit", "LE910C1-EUX", "telit-le910")]
    [InlineData("Telit", "LE910C4-NF", "telit-le910")]
    [InlineData("Quectel", "BG96", "generic")]
    [InlineData("SIMCOM INCORPORATED", "SIMCOM_SIM7070G", "generic")]
    [InlineData("u-blox", "LARA-R6001", "generic")]
    [InlineData("Telit", "ME910C1-WW", "generic")]
    [InlineData("Sierra Wireless, Incorporated", "EM7455", "generic")]
    [InlineData("imue-testbed", "emulated-27007", "generic")]
    [InlineData("", "", "generic")]
    public void Select_picks_the_profile_for_identification_answers(string cgmi, string cgmm, string expected)
    {
        var profiles = ModemProfile.LoadAll(ModemFolders.Root);

        Assert.Equal(expected, ModemProfile.Select(profiles, cgmi, cgmm).Name);
    }

    [Fact]
    public void Bring_up_transcripts_identify_as_their_own_profile()
    {
        var profiles = ModemProfile.LoadAll(ModemFolders.Root);
        foreach (var profile in profiles)
        {
            var file = TranscriptFile.Load(Path.Combine(ModemFolders.Root, profile.Name, "transcripts", "bring-up.txt"));
            string Answer(string command) => file.Exchanges.Single(e => e.Command.Text == command).Responses
                .First(r => r.Text != command && !TranscriptRules.IsFinal(r.Text, profile)).Text;

            Assert.Equal(profile.Name, ModemProfile.Select(profiles, Answer("AT+CGMI"), Answer("AT+CGMM")).Name);
        }
    }

    [Fact]
    public void The_set_covers_every_quirk_of_the_issue()
    {
        var profiles = ModemProfile.LoadAll(ModemFolders.Root);

        Assert.Contains(profiles, p => p.Uicc.CchoReply == CchoReply.Prefixed);
        Assert.Contains(profiles, p => p.Uicc.CchoReply == CchoReply.Either);
        Assert.Contains(profiles, p => p.Uicc.HostSetsChannelInCla);
        Assert.Contains(profiles, p => !p.Uicc.HostSetsChannelInCla);
        Assert.Contains(profiles, p => p.Uicc.SelectP2 == 0x04);
        Assert.Contains(profiles, p => p.Uicc.SelectP2 == 0x0C);
        Assert.Contains(profiles, p => p.Pdn.CgcontrdpLayout == CgcontrdpLayout.Current);
        Assert.Contains(profiles, p => p.Pdn.CgcontrdpLayout == CgcontrdpLayout.SeparateMask);
        Assert.Contains(profiles, p => p.Pdn.DottedAddressAndMask);
        Assert.Contains(profiles, p => p.Pdn.CgdcontMaxParameters < 10);
        Assert.Contains(profiles, p => p.ImsClient is not null);
        Assert.Contains(profiles, p => p.InitCommands.Count > 0);
    }

    [Fact]
    public void Quectel_profiles_know_the_modems_own_ims_client()
    {
        foreach (var name in new[] { "quectel-eg25g", "quectel-ec25" })
        {
            var ims = ModemProfile.Load(Path.Combine(ModemFolders.Root, name, "profile.json")).ImsClient;

            Assert.NotNull(ims);
            Assert.Equal("AT+QCFG=\"ims\"", ims.Query);
            Assert.Equal("+QCFG: \"ims\"", ims.ResponsePrefix);
            Assert.Equal(1, ims.StateField);
            Assert.Equal(["0", "1"], ims.EnabledValues);
            Assert.Equal("AT+QCFG=\"ims\",2", ims.Disable);
            Assert.True(ims.DisableNeedsRestart);
        }
    }

    /// <summary>(why, JSON path to change in the shipped generic profile, new value or null to remove, field named).</summary>
    public static TheoryData<string, string, string?, string> BadProfiles() => new()
    {
        { "unknown key", "cchoMode", "1", "cchoMode" },
        { "unknown nested key", "uicc.selectP3", "4", "selectP3" },
        { "bad name", "name", "\"Quectel EG25\"", "name" },
        { "empty name", "name", "\"\"", "name" },
        { "default timeout too short", "timeouts.defaultMilliseconds", "10", "timeouts.defaultMilliseconds" },
        { "uicc timeout too short", "timeouts.uiccMilliseconds", "500", "timeouts.uiccMilliseconds" },
        { "pdn timeout too long", "timeouts.pdnMilliseconds", "400000", "timeouts.pdnMilliseconds" },
        { "attach timeout too long", "timeouts.attachMilliseconds", "700000", "timeouts.attachMilliseconds" },
        { "negative sim busy", "timeouts.simBusyMilliseconds", "-1", "timeouts.simBusyMilliseconds" },
        { "timeout not a number", "timeouts.defaultMilliseconds", "\"fast\"", "defaultMilliseconds" },
        { "select P2", "uicc.selectP2", "0", "uicc.selectP2" },
        { "cgdcont cap", "pdn.cgdcontMaxParameters", "2", "pdn.cgdcontMaxParameters" },
        { "unknown enum", "uicc.cchoReply", "\"sometimes\"", "cchoReply" },
        { "unknown layout", "pdn.cgcontrdpLayout", "\"v9\"", "cgcontrdpLayout" },
        { "empty manufacturer", "match", """{ "manufacturer": "" }""", "match.manufacturer" },
        { "ims query", "imsClient", """{ "query": "QCFG", "responsePrefix": "+Q", "disable": "AT+X" }""", "imsClient.query" },
        { "ims disable", "imsClient", """{ "query": "AT+X?", "responsePrefix": "+X", "disable": "X=0" }""", "imsClient.disable" },
        { "ims prefix", "imsClient", """{ "query": "AT+X?", "responsePrefix": "", "disable": "AT+X=0" }""", "imsClient.responsePrefix" },
        { "missing vendor", "vendor", null, "vendor" },
        { "final result with CR", "extraFinalResults", """[ "A\rB" ]""", "extraFinalResults" },
    };

    [Theory]
    [MemberData(nameof(BadProfiles))]
    public void Bad_profiles_are_rejected_naming_file_and_field(string why, string path, string? value, string field)
    {
        var options = new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip };
        var root = JsonNode.Parse(File.ReadAllText(Path.Combine(ModemFolders.Root, "generic", "profile.json")), documentOptions: options)!.AsObject();
        var names = path.Split('.');
        var parent = names[..^1].Aggregate(root, (node, name) => node[name]!.AsObject());
        if (value is null)
        {
            parent.Remove(names[^1]);
        }
        else
        {
            parent[names[^1]] = JsonNode.Parse(value);
        }

        var file = Path.Combine(_temp.FullName, "profile.json");
        File.WriteAllText(file, root.ToJsonString());

        var error = Assert.Throws<ModemProfileException>(() => ModemProfile.Load(file));

        Assert.True(error.Message.StartsWith(file, StringComparison.Ordinal), $"{why}: {error.Message}");
        Assert.Contains(field, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_json_is_rejected_naming_the_file()
    {
        var file = Path.Combine(_temp.FullName, "profile.json");
        File.WriteAllText(file, "name: generic");

        var error = Assert.Throws<ModemProfileException>(() => ModemProfile.Load(file));

        Assert.StartsWith(file, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Set_1_constants_match_the_shared_vectors_when_present()
    {
        var shared = Path.GetFullPath(Path.Combine(ModemFolders.Root, "..", "..", "..", "shared", "data", "milenage-ts35208.json"));
        if (!File.Exists(shared))
        {
            Assert.Skip($"{shared} is not in this checkout");
        }

        using var doc = JsonDocument.Parse(File.ReadAllText(shared));
        var set1 = doc.RootElement.GetProperty("sets")[0];

        Assert.Equal(TestIdentities.Res, set1.GetProperty("f2").GetString()!.ToUpperInvariant());
        Assert.Equal(TestIdentities.Ck, set1.GetProperty("f3").GetString()!.ToUpperInvariant());
        Assert.Equal(TestIdentities.Ik, set1.GetProperty("f4").GetString()!.ToUpperInvariant());
        Assert.Equal(TestIdentities.AuthenticateApdu, doc.RootElement.GetProperty("derived_from_set_1").GetProperty("authenticate_apdu").GetString());
    }
}
