// SPDX-License-Identifier: MIT
using System.CommandLine;
using System.Net;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Testbed.Modem;

/// <summary>`imue-testbed modem`: the emulated cellular modem on a pseudo-terminal or a TCP port.</summary>
internal static class ModemCommand
{
    private const string Description = """
        Emulate a cellular modem: an AT interpreter (TS 27.007) with a soft UICC (USIM + ISIM, Milenage) on a
        pseudo-terminal (default) or a TCP port, with fault injection through a control socket.

        Printed on stdout, one per line, machine-readable:
          pty /dev/pts/N        the slave to open (again after each vanish)
          link PATH             with --link, the symlink that points at it
          tcp 127.0.0.1:PORT    with --tcp, the bound address
          control ADDRESS       with --control
          ready                 everything above is up
        The transcript (timestamped <- received, -> sent, -- events) goes to stderr or --transcript; it never
        contains K, OPc, RES, CK or IK.

        Control commands (one per line, answered "OK …" or "ERROR …"; --fault takes the same at start):
          slow MS | drop next|N | garbage N | reset | vanish MS | deny-attach CAUSE | allow-attach | attach |
          detach [MS] | pdn-drop [CID] | urc TEXT | status | help

        Quirks (--quirks a,b): ccho-bare, get-response, wrong-length, cme-then-ok, contrdp-separate-mask,
        contrdp-dotted, contrdp-line-per-family, cla-channel-bits.

        Examples:
          imue-testbed modem --link /tmp/ttyIMUE --control 127.0.0.1:0
          imue-testbed modem --tcp 127.0.0.1:0 --quirks get-response,ccho-bare --sim-busy 2000
        """;

    public static Command Create()
    {
        var tcp = new Option<string?>("--tcp") { Description = "Listen on TCP ADDRESS:PORT instead of a pty (port 0 picks one).", HelpName = "ADDR:PORT" };
        var link = new Option<string?>("--link") { Description = "Keep a symlink at PATH pointing at the pty slave.", HelpName = "PATH" };
        var control = new Option<string?>("--control") { Description = "Control socket: ADDR:PORT, unix:PATH or /PATH.", HelpName = "ADDRESS" };
        var transcript = new Option<string?>("--transcript") { Description = "Append the transcript to FILE instead of stderr.", HelpName = "FILE" };
        var card = new Option<string?>("--card") { Description = "Card JSON (imsi, mncDigits, k, opc|op, sqn, impi, impu[], domain, msisdn, isimAid, pcscf[]).", HelpName = "FILE" };
        var imsi = new Option<string?>("--imsi") { Description = "IMSI (default 001010123456789).", HelpName = "DIGITS" };
        var mncDigits = new Option<int?>("--mnc-digits") { Description = "MNC length in the IMSI: 2 (default) or 3.", HelpName = "N" };
        var k = new Option<string?>("--k") { Description = "Subscriber key K, 32 hex digits (default TS 35.208 set 1).", HelpName = "HEX" };
        var opc = new Option<string?>("--opc") { Description = "OPc, 32 hex digits (default TS 35.208 set 1).", HelpName = "HEX" };
        var op = new Option<string?>("--op") { Description = "OP, 32 hex digits (OPc is derived).", HelpName = "HEX" };
        var sqn = new Option<string?>("--sqn") { Description = "SQN_MS, the highest SQN the card has accepted, 12 hex digits (default 0).", HelpName = "HEX" };
        var sqnDelta = new Option<ulong?>("--sqn-delta") { Description = "TS 33.102 Annex C Δ: largest accepted SEQ jump (default: no limit).", HelpName = "N" };
        var impi = new Option<string?>("--impi") { Description = "IMPI (default IMSI@ims.mncXXX.mccYYY.3gppnetwork.org).", HelpName = "NAI" };
        var impu = new Option<string[]>("--impu") { Description = "IMPU, repeatable (default sip:IMSI@domain and tel:MSISDN).", HelpName = "URI" };
        var msisdn = new Option<string?>("--msisdn") { Description = "The tel URI of the default IMPUs (default +15550123456).", HelpName = "E164" };
        var pcscf = new Option<string[]>("--pcscf") { Description = "P-CSCF address the IMS PDN gets, repeatable (default 127.0.0.1 and ::1).", HelpName = "IP" };
        var pcscfOnCard = new Option<string[]>("--pcscf-on-card") { Description = "P-CSCF in the ISIM's EF_P-CSCF, repeatable (default none).", HelpName = "ADDR" };
        var imsApn = new Option<string?>("--ims-apn") { Description = "The APN that gets P-CSCFs (default ims).", HelpName = "APN" };
        var ueIpv4 = new Option<string?>("--ue-ipv4") { Description = "The UE's IPv4 address on a PDN (default 127.0.0.1).", HelpName = "IP" };
        var ueIpv6 = new Option<string?>("--ue-ipv6") { Description = "The UE's IPv6 address on a PDN (default ::1).", HelpName = "IP" };
        var simBusy = new Option<int?>("--sim-busy") { Description = "Answer +CME ERROR: 14 (SIM busy) for MS ms after power-on.", HelpName = "MS" };
        var attachDelay = new Option<int?>("--attach-delay") { Description = "Attach takes MS ms (default 200).", HelpName = "MS" };
        var denyAttach = new Option<int?>("--deny-attach") { Description = "Reject attach with this EMM cause.", HelpName = "CAUSE" };
        var roaming = new Option<bool>("--roaming") { Description = "Register as roaming (stat 5)." };
        var cfun = new Option<int?>("--cfun") { Description = "+CFUN at power-on: 1 (default), 0 or 4.", HelpName = "N" };
        var cgerep = new Option<int?>("--cgerep") { Description = "+CGEREP mode at power-on (default 0).", HelpName = "N" };
        var cgpiaf = new Option<string?>("--cgpiaf") { Description = "+CGPIAF at power-on, e.g. 1,1,0,1 (default 0,0,0,0).", HelpName = "A,B,C,D" };
        var qcfgIms = new Option<int?>("--qcfg-ims") { Description = "AT+QCFG=\"ims\" value at power-on: 0 (default), 1 (modem's IMS on), 2.", HelpName = "N" };
        var maxChannels = new Option<int?>("--max-channels") { Description = "Logical channels of the card (default 3).", HelpName = "N" };
        var quirks = new Option<string?>("--quirks") { Description = "Comma-separated quirks (see above).", HelpName = "LIST" };
        var noRdy = new Option<bool>("--no-rdy") { Description = "Do not send RDY after a reset." };
        var faults = new Option<string[]>("--fault") { Description = "A control command applied at start, repeatable (e.g. \"slow 500\").", HelpName = "COMMAND" };
        var manufacturer = new Option<string?>("--manufacturer") { Description = "+CGMI text.", HelpName = "TEXT" };
        var model = new Option<string?>("--model") { Description = "+CGMM text.", HelpName = "TEXT" };
        var revision = new Option<string?>("--revision") { Description = "+CGMR text.", HelpName = "TEXT" };
        var imei = new Option<string?>("--imei") { Description = "+CGSN (15 digits).", HelpName = "DIGITS" };

        var command = new Command("modem", Description)
        {
            tcp, link, control, transcript, card, imsi, mncDigits, k, opc, op, sqn, sqnDelta, impi, impu, msisdn, pcscf,
            pcscfOnCard, imsApn, ueIpv4, ueIpv6, simBusy, attachDelay, denyAttach, roaming, cfun, cgerep, cgpiaf, qcfgIms,
            maxChannels, quirks, noRdy, faults, manufacturer, model, revision, imei,
        };

        command.SetAction(async (parse, cancellationToken) =>
        {
            string? Fail(string message)
            {
                Console.Error.WriteLine($"imue-testbed modem: {message}");
                return null;
            }

            // Card: defaults ← --card file ← single options.
            var cardSettings = new CardSettings();
            if (parse.GetValue(card) is { } cardPath)
            {
                var file = CardFile.Load(cardPath, out var loadError);
                if (file is null || !file.TryApply(cardSettings, out cardSettings, out loadError))
                {
                    Fail(loadError!);
                    return 2;
                }
            }

            var overrides = new CardFile
            {
                Imsi = parse.GetValue(imsi),
                MncDigits = parse.GetValue(mncDigits),
                K = parse.GetValue(k),
                Opc = parse.GetValue(opc),
                Op = parse.GetValue(op),
                Sqn = parse.GetValue(sqn),
                Impi = parse.GetValue(impi),
                Impu = parse.GetValue(impu) is { Length: > 0 } impus ? [.. impus] : null,
                Msisdn = parse.GetValue(msisdn),
                Pcscf = parse.GetValue(pcscfOnCard) is { Length: > 0 } onCard ? [.. onCard] : null,
            };
            if (!overrides.TryApply(cardSettings, out cardSettings, out var cardError))
            {
                Fail(cardError!);
                return 2;
            }

            if (parse.GetValue(sqnDelta) is { } delta)
            {
                cardSettings = CopyWithDelta(cardSettings, delta);
            }

            if (cardSettings.Validate() is { } invalid)
            {
                Fail(invalid);
                return 2;
            }

            var settings = new ModemSettings();
            var parsedQuirks = ModemQuirks.None;
            if (parse.GetValue(quirks) is { } quirkText && !ModemQuirkNames.TryParse(quirkText, out parsedQuirks, out var unknownQuirk))
            {
                Fail($"--quirks: unknown quirk '{unknownQuirk}' (known: {string.Join(", ", ModemQuirkNames.All)})");
                return 2;
            }

            IPAddress[]? pcscfAddresses = null;
            if (parse.GetValue(pcscf) is { Length: > 0 } pcscfTexts)
            {
                pcscfAddresses = new IPAddress[pcscfTexts.Length];
                for (var i = 0; i < pcscfTexts.Length; i++)
                {
                    if (!IPAddress.TryParse(pcscfTexts[i], out pcscfAddresses[i]!))
                    {
                        Fail($"--pcscf: '{pcscfTexts[i]}' is not an IP address");
                        return 2;
                    }
                }
            }

            IPAddress? v4 = null, v6 = null;
            if ((parse.GetValue(ueIpv4) is { } v4Text && !IPAddress.TryParse(v4Text, out v4))
                || (parse.GetValue(ueIpv6) is { } v6Text && !IPAddress.TryParse(v6Text, out v6)))
            {
                Fail("--ue-ipv4/--ue-ipv6: not an IP address");
                return 2;
            }

            int[]? cgpiafValues = null;
            if (parse.GetValue(cgpiaf) is { } cgpiafText)
            {
                var parts = cgpiafText.Split(',');
                if (parts.Length != 4 || parts.Any(p => p is not ("0" or "1")))
                {
                    Fail("--cgpiaf: four values 0 or 1, e.g. 1,1,0,1");
                    return 2;
                }

                cgpiafValues = parts.Select(p => p == "1" ? 1 : 0).ToArray();
            }

            if (parse.GetValue(cfun) is { } cfunValue && cfunValue is not (0 or 1 or 4))
            {
                Fail("--cfun: 0, 1 or 4");
                return 2;
            }

            if (parse.GetValue(maxChannels) is { } channels && channels is < 1 or > 19)
            {
                Fail("--max-channels: 1 to 19");
                return 2;
            }

            settings = settings with
            {
                Manufacturer = parse.GetValue(manufacturer) ?? settings.Manufacturer,
                Model = parse.GetValue(model) ?? settings.Model,
                Revision = parse.GetValue(revision) ?? settings.Revision,
                Imei = parse.GetValue(imei) ?? settings.Imei,
                SimBusy = TimeSpan.FromMilliseconds(Math.Max(0, parse.GetValue(simBusy) ?? 0)),
                AttachDelay = TimeSpan.FromMilliseconds(Math.Max(0, parse.GetValue(attachDelay) ?? (int)settings.AttachDelay.TotalMilliseconds)),
                DenyAttachCause = parse.GetValue(denyAttach),
                Roaming = parse.GetValue(roaming),
                InitialCfun = parse.GetValue(cfun) ?? settings.InitialCfun,
                ImsApn = parse.GetValue(imsApn) ?? settings.ImsApn,
                UeIpv4 = v4 ?? settings.UeIpv4,
                UeIpv6 = v6 ?? settings.UeIpv6,
                Pcscf = pcscfAddresses ?? settings.Pcscf,
                InitialCgerep = Math.Clamp(parse.GetValue(cgerep) ?? 0, 0, 2),
                InitialCgpiaf = cgpiafValues ?? settings.InitialCgpiaf,
                InitialQcfgIms = Math.Clamp(parse.GetValue(qcfgIms) ?? 0, 0, 2),
                MaxLogicalChannels = parse.GetValue(maxChannels) ?? settings.MaxLogicalChannels,
                ReadyUrc = !parse.GetValue(noRdy),
                Quirks = parsedQuirks,
            };

            Func<IModemPort> createPort;
            if (parse.GetValue(tcp) is { } tcpText)
            {
                if (!IPEndPoint.TryParse(tcpText, out var endPoint))
                {
                    Fail($"--tcp: '{tcpText}' is not ADDRESS:PORT");
                    return 2;
                }

                // After a vanish the port comes back on the same number, even when 0 picked it.
                createPort = () =>
                {
                    var port = TcpModemPort.Listen(endPoint);
                    endPoint = port.EndPoint;
                    return port;
                };
            }
            else
            {
                var linkPath = parse.GetValue(link);
                createPort = () => PtyModemPort.Create(linkPath);
            }

            EndPoint? controlEndPoint = null;
            if (parse.GetValue(control) is { } controlText && !ControlServer.TryParseAddress(controlText, out controlEndPoint))
            {
                Fail($"--control: '{controlText}' is not ADDRESS:PORT, unix:PATH or /PATH");
                return 2;
            }

            var startFaults = parse.GetValue(faults) ?? [];
            foreach (var fault in startFaults)
            {
                if (ControlCommand.TryParse(fault, out _) is var faultError and not ControlError.None)
                {
                    Fail($"--fault '{fault}': {ControlCommand.Describe(faultError)}");
                    return 2;
                }
            }

            return await RunAsync(settings, cardSettings, createPort, controlEndPoint, parse.GetValue(transcript), startFaults,
                cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static CardSettings CopyWithDelta(CardSettings c, ulong delta) => new()
    {
        Imsi = c.Imsi,
        MncDigits = c.MncDigits,
        K = c.K,
        Opc = c.Opc,
        SqnMs = c.SqnMs,
        IndBits = c.IndBits,
        SqnDelta = delta,
        Impi = c.Impi,
        Impus = c.Impus,
        Domain = c.Domain,
        Msisdn = c.Msisdn,
        IsimAid = c.IsimAid,
        PcscfOnCard = c.PcscfOnCard,
    };

    private static async Task<int> RunAsync(ModemSettings settings, CardSettings cardSettings, Func<IModemPort> createPort,
        EndPoint? controlEndPoint, string? transcriptPath, IReadOnlyList<string> startFaults, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });

        var time = TimeProvider.System;
        using var transcript = transcriptPath is null
            ? new Transcript(Console.Error, time, ownsWriter: false)
            : Transcript.ToFile(transcriptPath, time);
        var logger = new TranscriptLogger(transcript, LogLevel.Information);
        using var cardModel = new UiccCard(cardSettings, settings.Quirks, settings.MaxLogicalChannels);
        var interpreter = new ModemInterpreter(settings, cardModel, time);
        var faultState = new FaultState();
        var stdout = Console.Out;
        var stdoutGate = new Lock();
        void Announce(string line)
        {
            lock (stdoutGate)
            {
                stdout.WriteLine(line);
                stdout.Flush();
            }
        }

        transcript.Event($"modem {settings.Manufacturer} {settings.Model} {settings.Revision}, {cardSettings}, quirks [{ModemQuirkNames.Format(settings.Quirks)}]");
        await using var emulator = new ModemEmulator(createPort, interpreter, faultState, transcript, logger, time, Announce);
        foreach (var fault in startFaults)
        {
            _ = ControlCommand.TryParse(fault, out var parsed);
            if (parsed.Verb is ControlVerb.Garbage or ControlVerb.Vanish)
            {
                continue;
            }

            var answer = await emulator.ApplyAsync(parsed, stop.Token).ConfigureAwait(false);
            transcript.Event($"--fault {fault}: {answer}");
        }

        var run = emulator.RunAsync(stop.Token);
        ControlServer? controlServer = null;
        Task? controlRun = null;
        try
        {
            await Task.WhenAny(emulator.FirstPortReady, run).ConfigureAwait(false);
            await emulator.FirstPortReady.ConfigureAwait(false);
            if (controlEndPoint is not null)
            {
                controlServer = ControlServer.Start(controlEndPoint, emulator.ControlAsync, logger);
                Announce(controlServer.Announcement);
                controlRun = controlServer.RunAsync(stop.Token);
            }

            Announce("ready");
            await run.ConfigureAwait(false);
            return 0;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return 0;
        }
        catch (Exception exception) when (exception is IOException or System.Net.Sockets.SocketException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"imue-testbed modem: {exception.Message}").ConfigureAwait(false);
            return 1;
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            if (controlServer is not null)
            {
                await controlServer.DisposeAsync().ConfigureAwait(false);
                await (controlRun ?? Task.CompletedTask).ConfigureAwait(false);
            }

            try
            {
                await run.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }

        }
    }
}
