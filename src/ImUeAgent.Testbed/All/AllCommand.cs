// SPDX-License-Identifier: MIT
using System.Buffers;
using System.CommandLine;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using ImUeAgent.Testbed.Core;
using ImUeAgent.Testbed.Im;
using ImUeAgent.Testbed.Modem;
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Testbed.All;

/// <summary>`imue-testbed all`: the emulated modem and the IMS core in one process, wired to each other.</summary>
internal static class AllCommand
{
    private const string Description = """
        Run the emulated modem and the software IMS core together: the modem's IMS PDN reports the core's address as
        P-CSCF (+CGCONTRDP) and its card holds the subscriber the HSS knows (same K, OPc, SQN, identities).

        Printed on stdout, one per line, machine-readable:
          sip udp ADDR:PORT | sip tcp ADDR:PORT | control ADDRESS     the core, as `imue-testbed core` prints them
          modem pty /dev/pts/N | modem link PATH | modem tcp ADDR:PORT | modem control ADDRESS
          ready
          agent-config {…}      the agent.json that points at them (one line; also --agent-config FILE)
          testbed {…}           what agent.json has no keys for yet: modem port, P-CSCF port, identities, and
                                the IM server ("im": serverUri, conferenceFactoryUri, groups, msrp, xcapRoot,
                                deferredListUrl of the card's IMPU, pushBody, pushSetup) (one line; also
                                --testbed-config FILE)
          im server|factory|group|msrp|xcap …   the IM server, as `imue-testbed core` prints them
        The core's options (--listen, --subscribers, --fault, …) and the card's (--imsi, --k, --opc, --sqn, …) are
        those of `imue-testbed core`. The P-CSCF is reached on --listen's port: +CGCONTRDP carries no port.

        Example:
          imue-testbed all --listen 127.0.0.1:0 --modem-link /tmp/ttyIMUE --agent-config /tmp/agent.json
        """;

    public static Command Create()
    {
        var options = new CoreOptions();
        var imOptions = new ImServerOptions();
        var control = new Option<string?>("--control") { Description = "The core's control socket: ADDR:PORT, unix:PATH or /PATH.", HelpName = "ADDRESS" };
        var events = new Option<string?>("--events") { Description = "Append the core's and the modem's event logs to FILE instead of stderr.", HelpName = "FILE" };
        var modemTcp = new Option<string?>("--modem-tcp") { Description = "The modem on TCP ADDRESS:PORT instead of a pty.", HelpName = "ADDR:PORT" };
        var modemLink = new Option<string?>("--modem-link") { Description = "Keep a symlink at PATH pointing at the modem's pty.", HelpName = "PATH" };
        var modemControl = new Option<string?>("--modem-control") { Description = "The modem's control socket.", HelpName = "ADDRESS" };
        var modemTranscript = new Option<string?>("--modem-transcript") { Description = "Append the modem's AT transcript to FILE.", HelpName = "FILE" };
        var modemQuirks = new Option<string?>("--modem-quirks") { Description = "Comma-separated modem quirks (see `imue-testbed modem --help`).", HelpName = "LIST" };
        var agentConfig = new Option<string?>("--agent-config") { Description = "Write the agent.json pointing at the testbed to FILE.", HelpName = "FILE" };
        var testbedConfig = new Option<string?>("--testbed-config") { Description = "Write the testbed block (JSON) to FILE.", HelpName = "FILE" };
        var stateDirectory = new Option<string?>("--state-dir") { Description = "Daemon.StateDirectory of the agent config (default: a new temporary directory).", HelpName = "DIR" };
        var command = new Command("all", Description)
        {
            control, events, modemTcp, modemLink, modemControl, modemTranscript, modemQuirks, agentConfig, testbedConfig, stateDirectory,
        };
        options.AddTo(command);
        imOptions.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            int Fail(string message)
            {
                Console.Error.WriteLine($"imue-testbed all: {message}");
                return 2;
            }

            if (!options.TryRead(parse, card: null, out var setup, out var card, out var error))
            {
                return Fail(error!);
            }

            if (!imOptions.TryRead(parse, out var imSettings, out var imError))
            {
                return Fail(imError!);
            }

            EndPoint? coreControl = null, modemControlEndPoint = null;
            if (parse.GetValue(control) is { } controlText && !ControlServer.TryParseAddress(controlText, out coreControl))
            {
                return Fail($"--control: '{controlText}' is not ADDRESS:PORT, unix:PATH or /PATH");
            }

            if (parse.GetValue(modemControl) is { } modemControlText && !ControlServer.TryParseAddress(modemControlText, out modemControlEndPoint))
            {
                return Fail($"--modem-control: '{modemControlText}' is not ADDRESS:PORT, unix:PATH or /PATH");
            }

            var quirks = ModemQuirks.None;
            if (parse.GetValue(modemQuirks) is { } quirkText && !ModemQuirkNames.TryParse(quirkText, out quirks, out var unknownQuirk))
            {
                return Fail($"--modem-quirks: unknown quirk '{unknownQuirk}'");
            }

            IPEndPoint? modemEndPoint = null;
            if (parse.GetValue(modemTcp) is { } modemTcpText && !IPEndPoint.TryParse(modemTcpText, out modemEndPoint))
            {
                return Fail($"--modem-tcp: '{modemTcpText}' is not ADDRESS:PORT");
            }

            var wiring = new Wiring(setup!, card!, quirks, modemEndPoint, parse.GetValue(modemLink), coreControl, modemControlEndPoint,
                parse.GetValue(events), parse.GetValue(modemTranscript), parse.GetValue(agentConfig), parse.GetValue(testbedConfig), parse.GetValue(stateDirectory))
            {
                Im = imSettings,
            };
            return await RunAsync(wiring, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private sealed record Wiring(CoreSetup Setup, CardSettings Card, ModemQuirks Quirks, IPEndPoint? ModemTcp, string? ModemLink, EndPoint? CoreControl,
        EndPoint? ModemControl, string? EventsPath, string? TranscriptPath, string? AgentConfigPath, string? TestbedConfigPath, string? StateDirectory)
    {
        public ImServerSettings? Im { get; init; }
    }

    private static async Task<int> RunAsync(Wiring wiring, CancellationToken cancellationToken)
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
        var announce = CoreCommand.Announcer(Console.Out);
        using var eventLog = wiring.EventsPath is null ? new Transcript(Console.Error, time, ownsWriter: false) : Transcript.ToFile(wiring.EventsPath, time);
        using var transcript = wiring.TranscriptPath is null ? new Transcript(Console.Error, time, ownsWriter: false) : Transcript.ToFile(wiring.TranscriptPath, time);
        var logger = new TranscriptLogger(eventLog, LogLevel.Information);
        var modemLines = new List<string>();
        try
        {
            await using var core = await RunningCore.StartAsync(wiring.Setup, logger, time, wiring.CoreControl, announce, stop.Token, wiring.Im).ConfigureAwait(false);
            var pcscf = (core.Core.UdpEndPoint ?? core.Core.TcpEndPoint)!;

            // The IMS PDN hands out the core's address as P-CSCF (TS 24.008 PCO; +CGCONTRDP field 8).
            var settings = new ModemSettings { Pcscf = [pcscf.Address], Quirks = wiring.Quirks };
            using var uicc = new UiccCard(wiring.Card, settings.Quirks, settings.MaxLogicalChannels);
            var interpreter = new ModemInterpreter(settings, uicc, time);
            var createPort = ModemPortFactory(wiring);
            await using var emulator = new ModemEmulator(createPort, interpreter, new FaultState(), transcript, new TranscriptLogger(transcript, LogLevel.Information), time,
                line =>
                {
                    lock (modemLines)
                    {
                        modemLines.Add(line);
                    }

                    announce("modem " + line);
                });
            var modemRun = emulator.RunAsync(stop.Token);
            ControlServer? modemControl = null;
            Task? modemControlRun = null;
            try
            {
                await Task.WhenAny(emulator.FirstPortReady, modemRun).ConfigureAwait(false);
                await emulator.FirstPortReady.ConfigureAwait(false);
                if (wiring.ModemControl is not null)
                {
                    modemControl = ControlServer.Start(wiring.ModemControl, emulator.ControlAsync, logger);
                    announce("modem " + modemControl.Announcement);
                    modemControlRun = modemControl.RunAsync(stop.Token);
                }

                var stateDirectory = wiring.StateDirectory ?? Directory.CreateTempSubdirectory("imue-agent-").FullName;
                string[] ports;
                lock (modemLines)
                {
                    ports = [.. modemLines];
                }

                var modemPort = AgentModemPort(ports);
                var pcscfPort = (core.Core.UdpEndPoint ?? core.Core.TcpEndPoint)!.Port;
                var agentJson = AgentConfigJson(stateDirectory, modemPort, pcscfPort, indented: false, core.Im?.FactoryUri, core.Im?.XcapRoot);
                var testbedJson = TestbedJson(core, wiring, ports, modemControl?.Announcement, indented: false);
                if (wiring.AgentConfigPath is not null)
                {
                    await File.WriteAllTextAsync(wiring.AgentConfigPath, AgentConfigJson(stateDirectory, modemPort, pcscfPort, indented: true, core.Im?.FactoryUri, core.Im?.XcapRoot) + "\n", stop.Token).ConfigureAwait(false);
                }

                if (wiring.TestbedConfigPath is not null)
                {
                    await File.WriteAllTextAsync(wiring.TestbedConfigPath, TestbedJson(core, wiring, ports, modemControl?.Announcement, indented: true) + "\n", stop.Token)
                        .ConfigureAwait(false);
                }

                announce("ready");
                announce("agent-config " + agentJson);
                announce("testbed " + testbedJson);
                await modemRun.ConfigureAwait(false);
                return 0;
            }
            finally
            {
                await stop.CancelAsync().ConfigureAwait(false);
                if (modemControl is not null)
                {
                    await modemControl.DisposeAsync().ConfigureAwait(false);
                    await (modemControlRun ?? Task.CompletedTask).ConfigureAwait(false);
                }

                try
                {
                    await modemRun.ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Stopped.
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return 0;
        }
        catch (Exception exception) when (exception is IOException or System.Net.Sockets.SocketException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"imue-testbed all: {exception.Message}").ConfigureAwait(false);
            return 1;
        }
    }

    private static Func<IModemPort> ModemPortFactory(Wiring wiring)
    {
        if (wiring.ModemTcp is { } endPoint)
        {
            var current = endPoint;
            return () =>
            {
                var port = TcpModemPort.Listen(current);
                current = port.EndPoint;
                return port;
            };
        }

        return () => PtyModemPort.Create(wiring.ModemLink);
    }

    /// <summary>The agent's port address for the emulated modem: the symlink when there is one, else the pty or TCP port.</summary>
    private static string AgentModemPort(IReadOnlyList<string> modemLines)
    {
        string? Find(string kind) => modemLines.LastOrDefault(l => l.StartsWith(kind + " ", StringComparison.Ordinal))?[(kind.Length + 1)..];
        return Find("link") is { } link ? "pty:" + link
            : Find("pty") is { } pty ? "pty:" + pty
            : "tcp:" + Find("tcp");
    }

    /// <summary>
    /// agent.json pointing at this testbed (src/ImUeAgent/Configuration/AgentConfig.cs): the modem's port and the
    /// P-CSCF's port (+CGCONTRDP reports only the address). The modem profiles are the agent's default directory, or
    /// its built-in plain 27.007 profile when that is absent.
    /// </summary>
    internal static string AgentConfigJson(string stateDirectory, string modemPort, int pcscfPort, bool indented, string? conferenceFactoryUri = null,
        string? xcapRoot = null) => Json(indented, json =>
    {
        json.WriteStartObject();
        json.WriteStartObject("Daemon");
        json.WriteString("StateDirectory", stateDirectory);
        json.WriteString("LogLevel", "Information");
        json.WriteNumber("ShutdownTimeoutSeconds", 4);
        json.WriteEndObject();
        json.WriteStartObject("Api");
        json.WriteString("SocketPath", Path.Combine(stateDirectory, "api.sock"));
        json.WriteEndObject();
        json.WriteStartObject("Modem");
        json.WriteString("Port", modemPort);
        json.WriteEndObject();
        json.WriteStartObject("Ims");
        json.WriteNumber("PcscfPort", pcscfPort);
        json.WriteString("Transport", "udp");
        json.WriteEndObject();
        if (conferenceFactoryUri is not null)
        {
            // The IM server is there: point the agent at its factory and XCAP list, and publish the IM settings.
            json.WriteStartObject("Im");
            json.WriteString("ConferenceFactoryUri", conferenceFactoryUri);
            if (xcapRoot is not null)
            {
                json.WriteString("XcapRoot", xcapRoot);
            }

            json.WriteStartObject("Settings");
            json.WriteBoolean("Publish", true);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndObject();
    });

    private static string TestbedJson(RunningCore core, Wiring wiring, IReadOnlyList<string> modemPorts, string? modemControl, bool indented) => Json(indented, json =>
    {
        json.WriteStartObject();
        json.WriteStartObject("testbed");
        json.WriteStartObject("modem");
        foreach (var line in modemPorts)
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space > 0)
            {
                json.WriteString(line[..space], line[(space + 1)..]);
            }
        }

        if (modemControl is not null)
        {
            json.WriteString("control", modemControl["control ".Length..]);
        }

        json.WriteEndObject();
        var endPoint = (core.Core.UdpEndPoint ?? core.Core.TcpEndPoint)!;
        json.WriteStartObject("pcscf");
        json.WriteString("address", endPoint.Address.ToString());
        json.WriteNumber("port", endPoint.Port);
        json.WriteStartArray("transports");
        if (core.Core.UdpEndPoint is not null)
        {
            json.WriteStringValue("udp");
        }

        if (core.Core.TcpEndPoint is not null)
        {
            json.WriteStringValue("tcp");
        }

        json.WriteEndArray();
        json.WriteString("uri", $"sip:{(endPoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "[" + endPoint.Address + "]" : endPoint.Address.ToString())}:{endPoint.Port};lr");
        json.WriteEndObject();
        json.WriteStartObject("core");
        if (core.ControlAnnouncement is { } control)
        {
            json.WriteString("control", control["control ".Length..]);
        }

        json.WriteString("serviceRoute", core.Core.ServiceRoute);
        json.WriteEndObject();
        json.WriteStartObject("identity");
        json.WriteString("imsi", wiring.Card.Imsi);
        json.WriteString("impi", wiring.Card.EffectiveImpi);
        json.WriteStartArray("impus");
        foreach (var impu in wiring.Card.EffectiveImpus)
        {
            json.WriteStringValue(impu);
        }

        json.WriteEndArray();
        json.WriteString("domain", wiring.Card.EffectiveDomain);
        json.WriteEndObject();
        if (core.Im is { } im)
        {
            WriteIm(json, im, wiring.Card.EffectiveImpus);
        }

        json.WriteEndObject();
        json.WriteEndObject();
    });

    /// <summary>The IM server block: what a client needs to reach it (factory URI, groups) and what tests drive.</summary>
    private static void WriteIm(Utf8JsonWriter json, ImServer im, IReadOnlyList<string> impus)
    {
        json.WriteStartObject("im");
        json.WriteString("serverUri", im.ServerUri);
        json.WriteString("conferenceFactoryUri", im.FactoryUri);
        json.WriteStartObject("groups");
        foreach (var (group, members) in im.Settings.Groups)
        {
            json.WriteStartArray(group);
            foreach (var member in members)
            {
                json.WriteStringValue(member);
            }

            json.WriteEndArray();
        }

        json.WriteEndObject();
        json.WriteString("msrp", im.MsrpEndPoint.ToString());
        if (im.XcapRoot is { } xcap)
        {
            json.WriteString("xcapRoot", xcap);
            if (impus.Count > 0)
            {
                json.WriteString("deferredListUrl", im.DeferredListUrl(impus[0]));
            }
        }

        json.WriteString("pushBody", im.Settings.PushBody.ToString().ToLowerInvariant());
        json.WriteString("pushSetup", ImUeAgent.Msrp.Sdp.MsrpSdp.SetupToken(im.Settings.PushSetup));
        json.WriteBoolean("pushDuplicate", im.Settings.DuplicatePush);
        json.WriteBoolean("pushMalformedPart", im.Settings.MalformedPart);
        json.WriteBoolean("offlineDeliveryDefault", im.Settings.OfflineDeliveryDefault);
        json.WriteEndObject();
    }

    private static string Json(bool indented, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            write(json);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
