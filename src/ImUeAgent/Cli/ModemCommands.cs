// SPDX-License-Identifier: MIT
using System.CommandLine;
using System.Text;
using System.Text.Json;
using ImUeAgent.Configuration;
using ImUeAgent.Daemon;
using ImUeAgent.Modem.At;
using ImUeAgent.Modem.BringUp;
using ImUeAgent.Modem.Profiles;
using ImUeAgent.Modem.Uicc;
using ImUeAgent.Uicc.Aka;
using ImUeAgent.Uicc.Isim;

namespace ImUeAgent.Cli;

/// <summary>
/// Field-engineer commands that work directly on a modem port while no daemon holds it: `modem info` runs the
/// daemon's own bring-up and prints what it found; `aka` runs AUTHENTICATE on the card's ISIM.
/// </summary>
internal static class ModemCommands
{
    public static Command CreateModem(TextWriter output, TextWriter error)
    {
        var info = new Command("info", """
            Bring the modem up as the daemon does (probe, SIM, IMSI, attach, IMS PDN, P-CSCF, ISIM) and print
            manufacturer, model, revision, IMEI, IMSI, SIM state, registration, IMS PDN and its addresses, P-CSCF
            list, ISIM AID, IMPI, IMPUs and home domain. It activates the IMS PDN context (Modem.ImsPdnCid, default 2).
            Exit 0 when the modem reached Ready, 1 with the failure reason otherwise.
            """);
        var port = new PortOptions();
        port.AddTo(info);
        var profile = new Option<string?>("--profile") { Description = "Force a modem profile (folder name under the profile directory).", HelpName = "NAME" };
        var profiles = ProfilesOption();
        var apn = new Option<string>("--ims-apn") { Description = "The IMS APN (default ims).", DefaultValueFactory = _ => "ims", HelpName = "APN" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for Ready (default 120).", DefaultValueFactory = _ => 120, HelpName = "SECONDS" };
        info.Options.Add(profile);
        info.Options.Add(profiles);
        info.Options.Add(apn);
        info.Options.Add(json);
        info.Options.Add(timeout);
        info.SetAction((parse, cancellationToken) => InfoAsync(
            new ModemServiceSettings
            {
                Port = port.Address(parse).ToString(),
                ProfileDirectory = ProfileDirectory(parse.GetValue(profiles)),
                ProfileName = parse.GetValue(profile),
                ImsApn = parse.GetValue(apn)!,
            },
            port, parse, parse.GetValue(json), TimeSpan.FromSeconds(Math.Clamp(parse.GetValue(timeout), 1, 3600)), output, error, cancellationToken));

        var modem = new Command("modem", "Work on the modem directly (while no daemon holds its port).") { info };
        return modem;
    }

    public static Command CreateAka(TextWriter output, TextWriter error)
    {
        var port = new PortOptions();
        var rand = HexArgument.Create("--rand", 16, "RAND of the challenge");
        var autn = HexArgument.Create("--autn", 16, "AUTN of the challenge");
        rand.Required = autn.Required = true;
        var profiles = ProfilesOption();
        var json = new Option<bool>("--json") { Description = "Print one JSON object (res, ck, ik | auts | macFailure)." };
        var command = new Command("aka", """
            Run IMS AKA AUTHENTICATE (TS 31.103 §7.1.2) on the card's ISIM through the modem (+CGLA, +CSIM
            fallback) and print RES, CK and IK, or AUTS on a synchronisation failure, or the MAC failure (network not
            authentic). Needs no network: only the modem and its card. The output holds secrets: use test cards.
            Compute a challenge for a test card with `imue-agent milenage`.
            """)
        {
            rand, autn, profiles, json,
        };
        port.AddTo(command);
        command.SetAction((parse, cancellationToken) => AkaAsync(port, parse, parse.GetValue(rand)!, parse.GetValue(autn)!,
            ProfileDirectory(parse.GetValue(profiles)), parse.GetValue(json), output, error, cancellationToken));
        return command;
    }

    private static Option<string?> ProfilesOption() => new("--profiles")
    {
        Description = $"Directory of modem profiles (default {ModemSection.DefaultProfileDirectory} when it exists, else plain 27.007).",
        HelpName = "DIR",
    };

    private static string? ProfileDirectory(string? given) =>
        given ?? (Directory.Exists(ModemSection.DefaultProfileDirectory) ? ModemSection.DefaultProfileDirectory : null);

    private static async Task<int> InfoAsync(ModemServiceSettings settings, PortOptions port, ParseResult parse, bool json,
        TimeSpan timeout, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        await using var service = new ModemService(port.Address(parse).CreatePort(), settings);
        try
        {
            await service.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ModemProfileException ex)
        {
            await error.WriteLineAsync($"imue-agent: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.UsageOrConfig;
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        ModemState state = service.State;
        try
        {
            await foreach (var next in service.WatchStateAsync(deadline.Token).ConfigureAwait(false))
            {
                state = next;
                if (next.Phase is ModemPhase.Ready || (next.Phase is ModemPhase.Failed && next.LastFailure is not null))
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }

        Print(state, json, output);
        if (state.Phase == ModemPhase.Ready)
        {
            return ExitCodes.Ok;
        }

        await error.WriteLineAsync(state.LastFailure is { } failure
            ? $"imue-agent: modem not ready: {failure.Message}"
            : $"imue-agent: modem not ready within {timeout.TotalSeconds:F0} s (phase {state.Phase}{(state.Activity is null ? "" : $", {state.Activity}")})").ConfigureAwait(false);
        return ExitCodes.Failure;
    }

    private static void Print(ModemState s, bool json, TextWriter output)
    {
        if (json)
        {
            var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            {
                w.WriteStartObject();
                w.WriteString("phase", s.Phase.ToString());
                w.WriteString("manufacturer", s.Manufacturer);
                w.WriteString("model", s.Model);
                w.WriteString("revision", s.Revision);
                w.WriteString("imei", s.Imei);
                w.WriteString("imsi", s.Imsi);
                w.WriteString("sim", s.Sim.ToString());
                w.WriteString("registration", s.Registration?.Status.ToString());
                w.WriteString("profile", s.ProfileName);
                w.WriteString("moduleImsClient", s.ModuleImsClient.ToString());
                if (s.ImsPdnCid is { } cid)
                {
                    w.WriteNumber("imsPdnCid", cid);
                }

                w.WriteString("imsApn", s.ImsApn);
                WriteArray(w, "imsPdnAddresses", s.ImsPdnAddresses.Select(a => a.ToString()));
                WriteArray(w, "pcscf", s.PcscfAddresses);
                w.WriteString("pcscfSource", s.PcscfSource.ToString());
                w.WriteString("isimAid", s.IsimAid);
                w.WriteString("impi", s.Impi);
                WriteArray(w, "impus", s.Impus);
                w.WriteString("homeDomain", s.HomeDomain);
                w.WriteBoolean("identityFromImsi", s.IdentityFromImsi);
                w.WriteString("lastFailure", s.LastFailure?.Message);
                w.WriteEndObject();
            }

            output.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
            return;
        }

        static string Or(string? value) => string.IsNullOrEmpty(value) ? "-" : value;
        static string List(IEnumerable<string> values) => string.Join(", ", values) is { Length: > 0 } text ? text : "-";
        output.WriteLine($"phase         {s.Phase}{(s.Activity is null ? "" : $" ({s.Activity})")}");
        output.WriteLine($"module        {Or(s.Manufacturer)} {Or(s.Model)} {Or(s.Revision)} (profile {Or(s.ProfileName)})");
        output.WriteLine($"IMEI          {Or(s.Imei)}");
        output.WriteLine($"IMSI          {Or(s.Imsi)}");
        output.WriteLine($"SIM           {s.Sim}");
        output.WriteLine($"network       {s.Registration?.Status.ToString() ?? "-"}");
        output.WriteLine($"module IMS    {s.ModuleImsClient}");
        output.WriteLine($"IMS PDN       cid {s.ImsPdnCid?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"} APN {Or(s.ImsApn)}: {List(s.ImsPdnAddresses.Select(a => a.ToString()))}");
        output.WriteLine($"P-CSCF        {List(s.PcscfAddresses)} ({s.PcscfSource})");
        output.WriteLine($"ISIM AID      {Or(s.IsimAid)}");
        output.WriteLine($"IMPI          {Or(s.Impi)}{(s.IdentityFromImsi ? " (derived from the IMSI)" : "")}");
        output.WriteLine($"IMPUs         {List(s.Impus)}");
        output.WriteLine($"home domain   {Or(s.HomeDomain)}");
        if (s.LastFailure is { } failure)
        {
            output.WriteLine($"last failure  {failure.Message}");
        }
    }

    private static void WriteArray(Utf8JsonWriter writer, string name, IEnumerable<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    private static async Task<int> AkaAsync(PortOptions port, ParseResult parse, byte[] rand, byte[] autn, string? profileDirectory,
        bool json, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        await using var channel = new AtChannel(port.Address(parse).CreatePort(),
            new AtChannelSettings { RetransmissionsOnTimeout = 0 });
        channel.Start();
        using var opening = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        opening.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            await channel.WaitForStateAsync(AtChannelState.Ready, opening.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await error.WriteLineAsync($"imue-agent: cannot open {port.Address(parse)}: {channel.Status}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }

        // Identify the module to pick its profile (UICC quirks: +CCHO reply, CLA bits, +CGLA support).
        await channel.SendAsync(new AtCommand("ATE0"), cancellationToken).ConfigureAwait(false);
        await channel.SendAsync(new AtCommand("AT+CMEE=1"), cancellationToken).ConfigureAwait(false);
        var manufacturer = await channel.SendAsync(new AtCommand("AT+CGMI", "+CGMI:") { AcceptsUnprefixedLines = true }, cancellationToken).ConfigureAwait(false);
        var model = await channel.SendAsync(new AtCommand("AT+CGMM", "+CGMM:") { AcceptsUnprefixedLines = true }, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<ModemProfile> profiles;
        try
        {
            profiles = profileDirectory is null ? [ModemService.BuiltInGenericProfile()] : ModemProfile.LoadAll(profileDirectory);
        }
        catch (ModemProfileException ex)
        {
            await error.WriteLineAsync($"imue-agent: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.UsageOrConfig;
        }

        var profile = ModemProfile.Select(profiles, Identification(manufacturer, "+CGMI"), Identification(model, "+CGMM"));
        var uicc = new AtUiccChannel(channel, profile);
        AkaResult result;
        try
        {
            await using var isim = await IsimApplication.OpenAsync(uicc, uicc.ReadOptions, null, cancellationToken).ConfigureAwait(false);
            result = await isim.AuthenticateAsync(rand, autn, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is Uicc.UiccException or AtUiccException)
        {
            await error.WriteLineAsync($"imue-agent: ISIM: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }

        var fields = result switch
        {
            AkaResult.Success s => new (string, string)[] { ("res", Hex(s.Res)), ("ck", Hex(s.Ck)), ("ik", Hex(s.Ik)) },
            AkaResult.SynchronisationFailure f => [("auts", Hex(f.Auts))],
            _ => [("macFailure", "network not authentic (MAC failure: the card rejected AUTN)")],
        };
        if (json)
        {
            var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteString("outcome", result.Outcome.ToString());
                foreach (var (name, value) in fields)
                {
                    w.WriteString(name, value);
                }

                w.WriteEndObject();
            }

            output.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
        }
        else
        {
            output.WriteLine($"outcome {result.Outcome}");
            foreach (var (name, value) in fields)
            {
                output.WriteLine($"{name,-7} {value}");
            }
        }

        return result.Outcome == AkaOutcome.MacFailure ? ExitCodes.Failure : ExitCodes.Ok;
    }

    /// <summary>The identification text the bring-up itself reads (bare or "+CGMI: ..." answers).</summary>
    private static string Identification(AtResponse response, string prefix) =>
        response.IsOk && response.Lines.Count > 0 ? ModemReplies.IdentificationText(response.Lines[0], prefix) : "";

    private static string Hex(ReadOnlyMemory<byte> value) => Convert.ToHexStringLower(value.Span);
}
