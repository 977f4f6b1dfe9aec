// SPDX-License-Identifier: MIT
using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ImUeAgent.Api;
using ImUeAgent.Configuration;
using ImUeAgent.Daemon;

namespace ImUeAgent.Cli;

/// <summary>
/// `imue-agent send`, `inbox` and `chat`: clients of the daemon's messaging API (SendMessage, ListInbox/WatchInbox,
/// AckInbox, WatchDelivery). The daemon stores first and answers after, so "queued" means on disk.
/// </summary>
internal static class MessagingCommands
{
    private static Option<string> SocketOption() => new("--socket")
    {
        Description = $"The daemon's API socket (default {ApiSection.DefaultSocketPath}).",
        DefaultValueFactory = _ => ApiSection.DefaultSocketPath,
        HelpName = "PATH",
    };

    public static Command CreateSend(TextWriter output, TextWriter error)
    {
        var socket = SocketOption();
        var to = new Argument<string[]>("to") { Description = "Recipient URIs (sip:, tel:); several make a group message through the conference factory.", Arity = ArgumentArity.OneOrMore };
        var text = new Option<string?>("--text", "-m") { Description = "The message text (UTF-8).", HelpName = "TEXT" };
        var file = new Option<FileInfo?>("--file") { Description = "Send this file's bytes instead of --text (use --content-type).", HelpName = "PATH" };
        var contentType = new Option<string?>("--content-type") { Description = "MIME type of the body (default text/plain;charset=UTF-8, or application/octet-stream with --file).", HelpName = "TYPE" };
        var imdn = new Option<string[]>("--imdn") { Description = "Ask for notifications: delivery, display (repeatable).", HelpName = "KIND", AllowMultipleArgumentsPerToken = true };
        imdn.AcceptOnlyFromAmong("delivery", "positive-delivery", "negative-delivery", "display");
        var mode = new Option<string>("--mode") { Description = "auto (pager under 1300 bytes, else large message mode), pager or large.", DefaultValueFactory = _ => "auto", HelpName = "MODE" };
        mode.AcceptOnlyFromAmong("auto", "pager", "large");
        var featureTags = new Option<string[]>("--feature-tag") { Description = "An application feature tag for Accept-Contact, byte-exact (repeatable), e.g. +g.3gpp.app_ref=\"...\".", HelpName = "TAG" };
        var appRef = new Option<string?>("--app-ref") { Description = "Idempotency key: sending again with the same key returns the stored message.", HelpName = "KEY" };
        var wait = new Option<bool>("--wait") { Description = "Wait until the message is sent (or delivered, with --imdn delivery); exit 1 if it fails." };
        var timeout = new Option<int>("--timeout") { Description = "Seconds --wait waits (default 60).", DefaultValueFactory = _ => 60, HelpName = "SECONDS" };
        var command = new Command("send", """
            Queue a message for sending. The daemon commits it to its outbox before answering, then sends it (and
            retries it) once registered: pager mode (SIP MESSAGE) when the whole request fits in 1300 bytes, large
            message mode (MSRP) otherwise. Prints the message's id and Message-ID.
            """)
        {
            to, text, file, contentType, imdn, mode, featureTags, appRef, wait, timeout, socket,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            byte[]? body = null;
            string? textValue = parse.GetValue(text);
            if (parse.GetValue(file) is { } f)
            {
                if (textValue is not null)
                {
                    await error.WriteLineAsync("imue-agent: give --text or --file, not both").ConfigureAwait(false);
                    return ExitCodes.UsageOrConfig;
                }

                try
                {
                    body = await File.ReadAllBytesAsync(f.FullName, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    await error.WriteLineAsync($"imue-agent: cannot read {f.FullName}: {ex.Message}").ConfigureAwait(false);
                    return ExitCodes.UsageOrConfig;
                }
            }
            else if (textValue is null)
            {
                await error.WriteLineAsync("imue-agent: give the message with --text or --file").ConfigureAwait(false);
                return ExitCodes.UsageOrConfig;
            }

            var request = new SendRequest(parse.GetValue(to)!, textValue, body, parse.GetValue(contentType), parse.GetValue(imdn) ?? [],
                parse.GetValue(mode)!, parse.GetValue(featureTags) ?? [], parse.GetValue(appRef));
            return await RunGuardedAsync(error, async () =>
            {
                await using var client = await ApiClient.ConnectAsync(parse.GetValue(socket)!, cancellationToken).ConfigureAwait(false);
                var (id, messageId) = await SendAsync(client, request, cancellationToken).ConfigureAwait(false);
                await output.WriteLineAsync($"queued {id} {messageId}").ConfigureAwait(false);
                if (!parse.GetValue(wait))
                {
                    return ExitCodes.Ok;
                }

                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                deadline.CancelAfter(TimeSpan.FromSeconds(parse.GetValue(timeout)));
                var wantDelivery = request.Imdn.Any(i => i.Contains("delivery", StringComparison.Ordinal));
                try
                {
                    return await WaitForOutcomeAsync(parse.GetValue(socket)!, id, wantDelivery, output, deadline.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    await error.WriteLineAsync($"imue-agent: message {id} not {(wantDelivery ? "delivered" : "sent")} within {parse.GetValue(timeout)} s (it stays queued)").ConfigureAwait(false);
                    return ExitCodes.Failure;
                }
            }).ConfigureAwait(false);
        });
        return command;
    }

    public static Command CreateInbox(TextWriter output, TextWriter error)
    {
        var socket = SocketOption();
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing messages as they arrive (Ctrl-C ends)." };
        var ack = new Option<bool>("--ack") { Description = "Acknowledge each printed message, so it is not offered again." };
        var json = new Option<bool>("--json") { Description = "One JSON object per message (the API's form)." };
        var command = new Command("inbox", """
            Print received messages no application has acknowledged yet (pager, large message and deferred ones),
            oldest first: id, time, sender and text. Messages stay offered until acknowledged (--ack or AckInbox).
            """)
        {
            follow, ack, json, socket,
        };
        command.SetAction((parse, cancellationToken) => RunGuardedAsync(error, async () =>
        {
            await using var client = await ApiClient.ConnectAsync(parse.GetValue(socket)!, cancellationToken).ConfigureAwait(false);
            await using var acker = parse.GetValue(ack) ? await ApiClient.ConnectAsync(parse.GetValue(socket)!, cancellationToken).ConfigureAwait(false) : null;
            var follows = parse.GetValue(follow);
            await client.SendAsync(Varlink.Interface + (follows ? ".WatchInbox" : ".ListInbox"), null, more: follows, cancellationToken).ConfigureAwait(false);
            try
            {
                while (await client.ReceiveAsync(cancellationToken).ConfigureAwait(false) is { } reply)
                {
                    using (reply)
                    {
                        var parameters = Parameters(reply);
                        var messages = follows ? [parameters.GetProperty("message")] : parameters.GetProperty("messages").EnumerateArray().ToList();
                        foreach (var m in messages)
                        {
                            await output.WriteLineAsync(parse.GetValue(json) ? m.GetRawText() : Describe(m)).ConfigureAwait(false);
                            if (acker is not null)
                            {
                                await AckAsync(acker, m.GetProperty("id").GetInt64(), cancellationToken).ConfigureAwait(false);
                            }
                        }

                        if (!follows)
                        {
                            return ExitCodes.Ok;
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (follows && cancellationToken.IsCancellationRequested)
            {
                return ExitCodes.Ok;
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    public static Command CreateChat(TextReader input, TextWriter output, TextWriter error)
    {
        var socket = SocketOption();
        var peers = new Argument<string[]>("peer") { Description = "The other party's URI (sip: or tel:); several make a group chat through the conference factory.", Arity = ArgumentArity.OneOrMore };
        var pager = new Option<bool>("--pager") { Description = "Send each line as its own message (pager or large message mode) instead of in a session." };
        var command = new Command("chat", """
            Interactive chat with PEER: a session-mode chat (SIP INVITE + MSRP, 7.1.1.1), or a group chat with
            several PEERs; each line typed is sent in the session, and what the others send is printed as it
            arrives and acknowledged. With --pager each line is a message of its own. End with Ctrl-D or Ctrl-C
            (the session ends with BYE).
            """)
        {
            peers, pager, socket,
        };
        command.SetAction((parse, cancellationToken) => RunGuardedAsync(error, async () =>
        {
            var path = parse.GetValue(socket)!;
            var others = parse.GetValue(peers)!;
            var usePager = parse.GetValue(pager);
            await using var watcher = await ApiClient.ConnectAsync(path, cancellationToken).ConfigureAwait(false);
            await using var sender = await ApiClient.ConnectAsync(path, cancellationToken).ConfigureAwait(false);
            await using var acker = await ApiClient.ConnectAsync(path, cancellationToken).ConfigureAwait(false);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

            string? session = null;
            if (!usePager)
            {
                await sender.SendAsync(Varlink.Interface + ".StartChat", w => WriteArray(w, "to", others), more: false, stop.Token).ConfigureAwait(false);
                using var started = await sender.ReceiveAsync(stop.Token).ConfigureAwait(false)
                    ?? throw new ApiUnavailableException("the daemon closed the connection without answering");
                session = Parameters(started).GetProperty("session").GetProperty("id").GetString();
            }

            await output.WriteLineAsync($"chat with {string.Join(", ", others)}{(session is null ? " (pager mode)" : " (session)")}; Ctrl-D ends").ConfigureAwait(false);
            await watcher.SendAsync(Varlink.Interface + ".WatchInbox", null, more: true, stop.Token).ConfigureAwait(false);
            var printing = Task.Run(async () =>
            {
                while (await watcher.ReceiveAsync(stop.Token).ConfigureAwait(false) is { } reply)
                {
                    using (reply)
                    {
                        var m = Parameters(reply).GetProperty("message");
                        var inSession = session is not null && m.TryGetProperty("conversationId", out var c) && c.GetString() == session;
                        if (inSession || session is null && others.Any(o => SameParty(m.GetProperty("from").GetString(), o)))
                        {
                            await output.WriteLineAsync($"< {Describe(m)}").ConfigureAwait(false);
                            await AckAsync(acker, m.GetProperty("id").GetInt64(), stop.Token).ConfigureAwait(false);
                        }
                    }
                }
            }, stop.Token);
            // Ctrl-C (SIGINT) ends the chat cleanly (BYE), like Ctrl-D; a blocked console read is simply abandoned.
            ConsoleCancelEventHandler onCancel = (_, e) =>
            {
                e.Cancel = true;
                stop.Cancel();
            };
            Console.CancelKeyPress += onCancel;
            try
            {
                // Console.In reads synchronously even through ReadLineAsync: read on a worker so Ctrl-C is not stuck
                // behind a blocked read.
                while (await Task.Run(input.ReadLine, CancellationToken.None).WaitAsync(stop.Token).ConfigureAwait(false) is { } line)
                {
                    if (line.Length == 0)
                    {
                        continue;
                    }

                    if (session is null)
                    {
                        var (id, _) = await SendAsync(sender, new SendRequest(others, line, null, null, [], "auto", [], null), stop.Token).ConfigureAwait(false);
                        await output.WriteLineAsync($"> queued {id}").ConfigureAwait(false);
                        continue;
                    }

                    await sender.SendAsync(Varlink.Interface + ".SendInSession", w =>
                    {
                        w.WriteString("session", session);
                        w.WriteString("text", line);
                    }, more: false, stop.Token).ConfigureAwait(false);
                    using var sent = await sender.ReceiveAsync(stop.Token).ConfigureAwait(false)
                        ?? throw new ApiUnavailableException("the daemon closed the connection without answering");
                    var result = Parameters(sent);
                    await output.WriteLineAsync(result.GetProperty("delivered").GetBoolean() ? "> sent" : $"> not delivered ({result.GetProperty("statusCode").GetInt32()})").ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            finally
            {
                Console.CancelKeyPress -= onCancel;
            }

            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await printing.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
            {
            }

            if (session is not null)
            {
                await sender.SendAsync(Varlink.Interface + ".EndSession", w => w.WriteString("session", session), more: false, CancellationToken.None).ConfigureAwait(false);
                using var ended = await sender.ReceiveAsync(CancellationToken.None).ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private sealed record SendRequest(string[] To, string? Text, byte[]? Body, string? ContentType, string[] Imdn, string Mode,
        string[] FeatureTags, string? ApplicationRef);

    private static async Task<(long Id, string MessageId)> SendAsync(ApiClient client, SendRequest request, CancellationToken cancellationToken)
    {
        await client.SendAsync(Varlink.Interface + ".SendMessage", w =>
        {
            WriteArray(w, "to", request.To);
            if (request.Body is { } body)
            {
                w.WriteBase64String("body", body);
            }
            else
            {
                w.WriteString("text", request.Text);
            }

            if (request.ContentType is not null)
            {
                w.WriteString("contentType", request.ContentType);
            }

            WriteArray(w, "imdn", request.Imdn);
            WriteArray(w, "featureTags", request.FeatureTags);
            w.WriteString("mode", request.Mode);
            if (request.ApplicationRef is not null)
            {
                w.WriteString("applicationRef", request.ApplicationRef);
            }
        }, more: false, cancellationToken).ConfigureAwait(false);
        using var reply = await client.ReceiveAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new ApiUnavailableException("the daemon closed the connection without answering");
        var p = Parameters(reply);
        return (p.GetProperty("id").GetInt64(), p.GetProperty("messageId").GetString()!);
    }

    private static async Task<int> WaitForOutcomeAsync(string socket, long id, bool wantDelivery, TextWriter output, CancellationToken cancellationToken)
    {
        await using var client = await ApiClient.ConnectAsync(socket, cancellationToken).ConfigureAwait(false);
        await client.SendAsync(Varlink.Interface + ".WatchDelivery", null, more: true, cancellationToken).ConfigureAwait(false);
        while (await client.ReceiveAsync(cancellationToken).ConfigureAwait(false) is { } reply)
        {
            using (reply)
            {
                var e = Parameters(reply).GetProperty("event");
                if (e.GetProperty("id").GetInt64() != id)
                {
                    continue;
                }

                var state = e.GetProperty("state").GetString();
                var disposition = e.TryGetProperty("disposition", out var d) ? d.GetString() : null;
                await output.WriteLineAsync(disposition is null ? state : $"{state} ({disposition} by {(e.TryGetProperty("recipient", out var r) ? r.GetString() : "-")})").ConfigureAwait(false);
                switch (state)
                {
                    case "Failed":
                        return ExitCodes.Failure;
                    case "Sent" when !wantDelivery:
                    case "Delivered" or "Displayed":
                        return ExitCodes.Ok;
                }
            }
        }

        throw new ApiUnavailableException("the daemon closed the delivery stream");
    }

    private static async Task AckAsync(ApiClient client, long id, CancellationToken cancellationToken)
    {
        await client.SendAsync(Varlink.Interface + ".AckInbox", w => w.WriteNumber("id", id), more: false, cancellationToken).ConfigureAwait(false);
        using var reply = await client.ReceiveAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new ApiUnavailableException("the daemon closed the connection without answering");
        Parameters(reply);
    }

    private static async Task<int> RunGuardedAsync(TextWriter error, Func<Task<int>> run)
    {
        try
        {
            return await run().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ApiUnavailableException or ApiErrorException)
        {
            await error.WriteLineAsync($"imue-agent: {ex.Message}").ConfigureAwait(false);
            return ex is ApiErrorException { Error: Varlink.Errors.InvalidParameter } ? ExitCodes.UsageOrConfig : ExitCodes.Failure;
        }
    }

    /// <summary>The reply's parameters; an error reply becomes <see cref="ApiErrorException"/>.</summary>
    private static JsonElement Parameters(JsonDocument reply)
    {
        var root = reply.RootElement;
        var parameters = root.TryGetProperty("parameters", out var p) ? p.Clone() : default;
        if (root.TryGetProperty("error", out var name))
        {
            throw new ApiErrorException(name.GetString() ?? "error", parameters.ValueKind == JsonValueKind.Undefined ? "{}" : parameters.GetRawText());
        }

        return parameters;
    }

    private static string Describe(JsonElement m)
    {
        var at = (m.TryGetProperty("date", out var date) ? date : m.GetProperty("receivedAt")).GetDateTimeOffset();
        var from = m.GetProperty("from").GetString() ?? "(anonymous)";
        var body = m.TryGetProperty("text", out var text)
            ? text.GetString()!.ReplaceLineEndings(" ")
            : m.TryGetProperty("unparsed", out var why) ? $"[unparsed part kept raw: {why.GetString()}]"
            : $"[{m.GetProperty("contentType").GetString()}, {Convert.FromBase64String(m.GetProperty("body").GetString()!).Length} bytes]";
        var deferred = m.GetProperty("source").GetString() == "DeferredPush" ? " (deferred)" : "";
        return string.Create(CultureInfo.InvariantCulture, $"{m.GetProperty("id").GetInt64(),6}  {at:yyyy-MM-dd HH:mm:ss}  {from}{deferred}: {body}");
    }

    private static bool SameParty(string? from, string peer) =>
        from is not null && (string.Equals(from, peer, StringComparison.OrdinalIgnoreCase)
            || string.Equals(Strip(from), Strip(peer), StringComparison.OrdinalIgnoreCase));

    private static string Strip(string uri) => uri.Trim('<', '>').Split(';')[0];

    private static void WriteArray(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteStringValue(v);
        }

        w.WriteEndArray();
    }
}
