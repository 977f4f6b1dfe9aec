// SPDX-License-Identifier: MIT
using System.CommandLine;
using System.Net;
using System.Runtime.InteropServices;
using ImUeAgent.Testbed.Im;
using ImUeAgent.Testbed.Modem;
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Testbed.Core;

/// <summary>`imue-testbed core`: P-CSCF, S-CSCF and HSS on loopback UDP and TCP.</summary>
internal static class CoreCommand
{
    private const string Description = """
        Run a software IMS core: P-CSCF + S-CSCF (registrar with IMS AKA / digest, reg event notifier, proxy
        between registered UEs) + HSS (Milenage, SQN per TS 33.102 Annex C) on UDP and TCP, one port for both.

        Printed on stdout, one per line, machine-readable:
          sip udp ADDR:PORT     the P-CSCF's UDP socket
          sip tcp ADDR:PORT     the P-CSCF's TCP listener (same port)
          control ADDRESS       with --control
          im server URI         the IM server's own URI (From of its deferred pushes), unless --no-im-server
          im factory URI        its conference-factory URI (URI-list MESSAGE, 8.3.2.1 7a)
          im group URI N        a pre-defined group and its member count (--im-group)
          im msrp ADDR:PORT     its MSRP listener (large-message storage, deferred pushes)
          im xcap URL           the XCAP root of the deferred-message metadata (12.1.2), unless --im-xcap off
          ready                 everything above is up
        Every SIP message in and out goes to --log FILE (or stderr) as one JSON object per line: time, direction
        (in|out|drop), transport, remote, startLine, headers ([name, value] pairs in order), bodyLength.
        K, OPc, CK, IK and RES are never written anywhere.

        The IM server (OMA SIMPLE IM, an application server behind the S-CSCF) relays MESSAGE/INVITE to registered
        users adding '+g.oma.sip-im' to Accept-Contact only when absent, stores messages for users who are not
        registered (202 for a MESSAGE; a large-message INVITE is answered by the server's MSRP endpoint) and pushes
        them over MSRP when the user registers (Appendix D.2), explodes URI-list MESSAGEs sent to the factory URI and
        MESSAGEs to pre-defined groups, takes PUBLISH Event: poc-settings, and serves
        GET XCAP-ROOT/org.openmobilealliance.deferred-list/users/IMPU/deferred-list.

        Control commands (one per line, answered "OK …" or "ERROR …"; --fault takes the same at start):
          drop next [METHOD] | 503 [retry-after S] | 423 [min-expires S] | 403 |
          deregister IMPU [deactivated|rejected] | shorten IMPU SECONDS | restart | contacts IMPU | status | help |
          desync IMPI [COUNT] (next vectors carry a stale SQN: the ISIM answers AUTS) |
          mac-failure IMPI [COUNT] (next vectors carry a wrong MAC-A: the ISIM rejects the network)

        The default subscriber is the card of `imue-testbed modem`: TS 35.208 test set 1, IMSI 001010123456789,
        IMPUs sip:001010123456789@ims.mnc001.mcc001.3gppnetwork.org and tel:+15550123456.

        Examples:
          imue-testbed core --listen 127.0.0.1:0 --control 127.0.0.1:0 --log /tmp/sip.jsonl
          imue-testbed core --subscribers subs.json --digest-user alice:secret --fault "423 min-expires 600"
        """;

    public static Command Create()
    {
        var options = new CoreOptions();
        var imOptions = new ImServerOptions();
        var control = new Option<string?>("--control") { Description = "Control socket: ADDR:PORT, unix:PATH or /PATH.", HelpName = "ADDRESS" };
        var events = new Option<string?>("--events") { Description = "Append the core's event log to FILE instead of stderr.", HelpName = "FILE" };
        var command = new Command("core", Description) { control, events };
        options.AddTo(command);
        imOptions.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!options.TryRead(parse, card: null, out var setup, out var error))
            {
                Console.Error.WriteLine($"imue-testbed core: {error}");
                return 2;
            }

            if (!imOptions.TryRead(parse, out var imSettings, out var imError))
            {
                Console.Error.WriteLine($"imue-testbed core: {imError}");
                return 2;
            }

            EndPoint? controlEndPoint = null;
            if (parse.GetValue(control) is { } controlText && !ControlServer.TryParseAddress(controlText, out controlEndPoint))
            {
                Console.Error.WriteLine($"imue-testbed core: --control: '{controlText}' is not ADDRESS:PORT, unix:PATH or /PATH");
                return 2;
            }

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
            using var eventLog = parse.GetValue(events) is { } eventsPath ? Transcript.ToFile(eventsPath, time) : new Transcript(Console.Error, time, ownsWriter: false);
            var logger = new TranscriptLogger(eventLog, LogLevel.Information);
            var announce = Announcer(Console.Out);
            try
            {
                await using var running = await RunningCore.StartAsync(setup!, logger, time, controlEndPoint, announce, stop.Token, imSettings).ConfigureAwait(false);
                announce("ready");
                await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
                return 0;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return 0;
            }
            catch (Exception exception) when (exception is IOException or System.Net.Sockets.SocketException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync($"imue-testbed core: {exception.Message}").ConfigureAwait(false);
                return 1;
            }
        });
        return command;
    }

    /// <summary>Writes machine-readable lines to stdout, one at a time.</summary>
    internal static Action<string> Announcer(TextWriter stdout)
    {
        var gate = new Lock();
        return line =>
        {
            lock (gate)
            {
                stdout.WriteLine(line);
                stdout.Flush();
            }
        };
    }
}

/// <summary>Everything needed to start a core, read from options.</summary>
internal sealed record CoreSetup(CoreSettings Settings, IReadOnlyList<Subscriber> Subscribers, int IndBits, IPEndPoint? Udp, IPEndPoint? Tcp,
    string? LogPath, IReadOnlyList<string> Faults);

/// <summary>A core with its message log and optional control socket, started and announced.</summary>
internal sealed class RunningCore : IAsyncDisposable
{
    private readonly SipMessageLog _log;
    private readonly ControlServer? _control;
    private readonly Task? _controlRun;
    private readonly CancellationTokenSource _stop;

    private RunningCore(ImsCore core, ImServer? im, SipMessageLog log, ControlServer? control, Task? controlRun, CancellationTokenSource stop)
    {
        Core = core;
        Im = im;
        _log = log;
        _control = control;
        _controlRun = controlRun;
        _stop = stop;
    }

    public ImsCore Core { get; }

    /// <summary>The IM server behind the S-CSCF, unless disabled.</summary>
    public ImServer? Im { get; }

    public string? ControlAnnouncement => _control?.Announcement;

    public static async Task<RunningCore> StartAsync(CoreSetup setup, ILogger logger, TimeProvider time, EndPoint? controlEndPoint,
        Action<string> announce, CancellationToken cancellationToken, ImServerSettings? imSettings = null)
    {
        var log = setup.LogPath is null ? new SipMessageLog(Console.Error, time, ownsWriter: false) : SipMessageLog.ToFile(setup.LogPath, time);
        ImsCore? core = null;
        ImServer? im = null;
        var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            var hss = new Hss(setup.Subscribers, setup.IndBits);
            im = imSettings is null ? null : ImServer.Start(imSettings, setup.Settings.Domain, logger, time);
            core = ImsCore.Start(setup.Settings, hss, log, logger, time, setup.Udp, setup.Tcp, im is null ? null : [im]);
            foreach (var fault in setup.Faults)
            {
                var answer = await core.ControlAsync(fault, cancellationToken).ConfigureAwait(false);
                logger.FaultApplied($"--fault {fault}: {answer}");
            }

            if (core.UdpEndPoint is { } udp)
            {
                announce($"sip udp {udp}");
            }

            if (core.TcpEndPoint is { } tcp)
            {
                announce($"sip tcp {tcp}");
            }

            if (im is not null)
            {
                announce($"im server {im.ServerUri}");
                announce($"im factory {im.FactoryUri}");
                foreach (var (group, members) in im.Settings.Groups)
                {
                    announce($"im group {group} {members.Count}");
                }

                announce($"im msrp {im.MsrpEndPoint}");
                if (im.XcapRoot is { } xcap)
                {
                    announce($"im xcap {xcap}");
                }
            }

            ControlServer? control = null;
            Task? controlRun = null;
            if (controlEndPoint is not null)
            {
                control = ControlServer.Start(controlEndPoint, core.ControlAsync, logger);
                announce(control.Announcement);
                controlRun = control.RunAsync(stop.Token);
            }

            return new RunningCore(core, im, log, control, controlRun, stop);
        }
        catch
        {
            if (core is not null)
            {
                await core.DisposeAsync().ConfigureAwait(false);
            }

            if (im is not null)
            {
                await im.DisposeAsync().ConfigureAwait(false);
            }

            log.Dispose();
            stop.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_control is not null)
        {
            await _control.DisposeAsync().ConfigureAwait(false);
            await (_controlRun ?? Task.CompletedTask).ConfigureAwait(false);
        }

        await Core.DisposeAsync().ConfigureAwait(false);
        if (Im is not null)
        {
            await Im.DisposeAsync().ConfigureAwait(false);
        }

        _log.Dispose();
        _stop.Dispose();
    }
}
