// SPDX-License-Identifier: MIT
using System.CommandLine;
using System.Runtime.InteropServices;
using ImUeAgent.Msrp;
using ImUeAgent.Msrp.Sessions;
using ImUeAgent.Testbed.Core;
using ImUeAgent.Testbed.Modem;
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Testbed.Msrp;

/// <summary>`imue-testbed msrp`: a standalone MSRP endpoint (RFC 4975) over TCP, optionally behind a relay (RFC 4976).</summary>
internal static class MsrpCommand
{
    private const string Description = """
        Run one MSRP session on a TCP listener: receive messages (into files with --save-dir), and with --to-path
        connect to a peer (or through --relay) and send a file or a text in chunks.

        Printed on stdout, one per line, machine-readable:
          msrp URI                         this session's MSRP URI (msrp://ADDR:PORT/<session-id>;tcp)
          relay USE-PATH [expires S]       with --relay: what the relay granted after AUTH
          path URI…                        with --relay: the path to advertise (relays, then URI)
          ready                            listening (and authenticated to the relay)
          connected NAME                   with --to-path: connection to the first hop is up
          sent ID BYTES CHUNKS STATUS      the message went through (STATUS of the last chunk)
          send-failed ID OUTCOME STATUS    it did not (Rejected, TimedOut, ConnectionLost, Cancelled)
          received ID BYTES TYPE FILE      a message arrived whole (FILE is '-' without --save-dir)
          rejected ID STATUS               --reject-code answered a message
          incomplete ID REASON             a message will not complete (aborted, connection lost, too large)
          report ID STATUS RANGE           a REPORT arrived (with --success-report, or a failure)
          closed                           the session's connection closed
        Logs go to stderr. The relay password is never printed.

        Examples:
          imue-testbed msrp --listen 127.0.0.1:0 --save-dir /tmp/in
          imue-testbed msrp --to-path "msrp://127.0.0.1:2855/abc;tcp" --send-file big.bin --chunk-size 65536 --success-report
          imue-testbed msrp --relay "msrp://127.0.0.1:2856;tcp" --relay-user alice --relay-password secret --reject-code 415
        """;

    public static Command Create()
    {
        var listen = new Option<string>("--listen") { Description = "Listen on ADDRESS:PORT (port 0 picks one; default 127.0.0.1:0).", HelpName = "ADDR:PORT", DefaultValueFactory = _ => "127.0.0.1:0" };
        var sessionId = new Option<string?>("--session-id") { Description = "Session-id of the local URI (default: random).", HelpName = "ID" };
        var toPath = new Option<string?>("--to-path") { Description = "The peer's path (its a=path: space-separated URIs); connect and send.", HelpName = "URI…" };
        var sendFile = new Option<string?>("--send-file") { Description = "Send this file (streamed, never held in memory).", HelpName = "FILE" };
        var sendText = new Option<string?>("--send-text") { Description = "Send this text (UTF-8).", HelpName = "TEXT" };
        var contentType = new Option<string?>("--content-type") { Description = "Content-Type of what is sent (default application/octet-stream for files, text/plain for text).", HelpName = "TYPE" };
        var chunkSize = new Option<int?>("--chunk-size") { Description = $"Largest chunk body in bytes (default {MsrpTestbedSettings.DefaultChunkSize}).", HelpName = "BYTES" };
        var successReport = new Option<bool>("--success-report") { Description = "Ask for a success REPORT (Success-Report: yes)." };
        var saveDir = new Option<string?>("--save-dir") { Description = "Write each received message to DIR/<message-id>.", HelpName = "DIR" };
        var rejectCode = new Option<int?>("--reject-code") { Description = "Answer every incoming message with this status (e.g. 403, 413, 415).", HelpName = "N" };
        var relay = new Option<string?>("--relay") { Description = "AUTH to this MSRP relay (RFC 4976) and advertise its Use-Path.", HelpName = "URI" };
        var relayUser = new Option<string?>("--relay-user") { Description = "Digest user name for the relay.", HelpName = "USER" };
        var relayPassword = new Option<string?>("--relay-password") { Description = "Digest password for the relay.", HelpName = "PASSWORD" };
        var command = new Command("msrp", Description)
        {
            listen, sessionId, toPath, sendFile, sendText, contentType, chunkSize, successReport, saveDir, rejectCode, relay, relayUser, relayPassword,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var raw = new MsrpTestbedSettings.Raw
            {
                Listen = parse.GetValue(listen) ?? "127.0.0.1:0",
                SessionId = parse.GetValue(sessionId),
                ToPath = parse.GetValue(toPath),
                SendFile = parse.GetValue(sendFile),
                SendText = parse.GetValue(sendText),
                ContentType = parse.GetValue(contentType),
                ChunkSize = parse.GetValue(chunkSize),
                SuccessReport = parse.GetValue(successReport),
                SaveDirectory = parse.GetValue(saveDir),
                RejectCode = parse.GetValue(rejectCode),
                Relay = parse.GetValue(relay),
                RelayUser = parse.GetValue(relayUser),
                RelayPassword = parse.GetValue(relayPassword),
            };
            if (!MsrpTestbedSettings.TryCreate(raw, NewSessionId, out var settings, out var error))
            {
                await Console.Error.WriteLineAsync($"imue-testbed msrp: {error}").ConfigureAwait(false);
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
            using var transcript = new Transcript(Console.Error, time, ownsWriter: false);
            var logger = new TranscriptLogger(transcript, LogLevel.Information);
            return await RunAsync(settings!, CoreCommand.Announcer(Console.Out), logger, time, stop.Token).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Runs until cancelled; 1 when the relay refuses us, the peer is unreachable, or the send fails.</summary>
    internal static async Task<int> RunAsync(MsrpTestbedSettings settings, Action<string> announce, ILogger logger, TimeProvider time, CancellationToken cancellationToken)
    {
        try
        {
            await using var running = await MsrpTestbedEndpoint.StartAsync(settings, announce, logger, time, cancellationToken).ConfigureAwait(false);
            announce("ready");
            if (settings.ToPath is { } path)
            {
                var result = await running.ConnectAndSendAsync(path, settings.Payload, cancellationToken).ConfigureAwait(false);
                if (result is { IsSuccess: false })
                {
                    return 1;
                }
            }

            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            return 0;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return 0;
        }
        catch (Exception exception) when (exception is IOException or System.Net.Sockets.SocketException or UnauthorizedAccessException or MsrpSessionException)
        {
            logger.Failed(exception.Message);
            await Console.Error.WriteLineAsync($"imue-testbed msrp: {exception.Message}").ConfigureAwait(false);
            return 1;
        }
    }

    private static string NewSessionId() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(10));
}
