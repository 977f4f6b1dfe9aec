// SPDX-License-Identifier: MIT
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ImUeAgent.Api;
using ImUeAgent.Configuration;
using ImUeAgent.Daemon;

namespace ImUeAgent.Cli;

/// <summary>
/// `imue-agent status`: asks the running daemon over the local API and prints its state, or waits for a state
/// (scripts and CI: `imue-agent status --wait running --timeout 30`).
/// </summary>
internal static class StatusCommand
{
    /// <summary>States `--wait` understands, each a test on the status snapshot.</summary>
    private static readonly Dictionary<string, Func<JsonElement, bool>> WaitTargets = new(StringComparer.OrdinalIgnoreCase)
    {
        ["running"] = s => s.GetProperty("daemon").GetString() == "running",
        ["registered"] = s => s.GetProperty("registration") is { ValueKind: JsonValueKind.Object } r && r.GetProperty("state").GetString() == "Registered",
        ["modem-ready"] = s => s.GetProperty("modem") is { ValueKind: JsonValueKind.Object } m && m.GetProperty("phase").GetString() == "Ready",
    };

    public static Command Create(TextWriter output, TextWriter error)
    {
        var json = new Option<bool>("--json") { Description = "Print the status object as JSON (the API's GetStatus reply)." };
        var socket = new Option<string>("--socket")
        {
            Description = $"The daemon's API socket (default {ApiSection.DefaultSocketPath}).",
            DefaultValueFactory = _ => ApiSection.DefaultSocketPath,
            HelpName = "PATH",
        };
        var wait = new Option<string?>("--wait")
        {
            Description = $"Wait until the daemon reaches STATE ({string.Join(", ", WaitTargets.Keys)}), then print the status. Exit 1 on timeout.",
            HelpName = "STATE",
        };
        wait.AcceptOnlyFromAmong([.. WaitTargets.Keys]);
        var timeout = new Option<int>("--timeout")
        {
            Description = "Seconds --wait waits (default 30), including for the daemon to start listening.",
            DefaultValueFactory = _ => 30,
            HelpName = "SECONDS",
        };
        timeout.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 86400)
            {
                r.AddError("--timeout must be 1..86400 seconds");
            }
        });

        var command = new Command("status", """
            Show the running daemon's state: daemon phase, version, configuration, and the last failure with its
            reason. Talks to the daemon over its local API socket; exit 1 if the daemon cannot be reached.
            """)
        {
            json, socket, wait, timeout,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(socket)!, parse.GetValue(json), parse.GetValue(wait), TimeSpan.FromSeconds(parse.GetValue(timeout)),
            output, error, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string socket, bool json, string? wait, TimeSpan timeout, TextWriter output,
        TextWriter error, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (wait is not null)
        {
            deadline.CancelAfter(timeout);
        }

        try
        {
            var status = wait is null
                ? await GetOnceAsync(socket, deadline.Token).ConfigureAwait(false)
                : await WaitForAsync(socket, WaitTargets[wait], deadline.Token).ConfigureAwait(false);
            Print(status.RootElement, json, output);
            return ExitCodes.Ok;
        }
        catch (ApiUnavailableException ex)
        {
            await error.WriteLineAsync($"imue-agent: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException) when (wait is not null && !cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync($"imue-agent: the daemon did not reach '{wait}' within {timeout.TotalSeconds:F0} s").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
    }

    private static async Task<JsonDocument> GetOnceAsync(string socket, CancellationToken cancellationToken)
    {
        var client = await ApiClient.ConnectAsync(socket, cancellationToken).ConfigureAwait(false);
        await using (client.ConfigureAwait(false))
        {
            await client.SendAsync(Varlink.Interface + ".GetStatus", more: false, cancellationToken).ConfigureAwait(false);
            var reply = await client.ReceiveAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new ApiUnavailableException("the daemon closed the connection without answering");
            return Unwrap(reply);
        }
    }

    private static async Task<JsonDocument> WaitForAsync(string socket, Func<JsonElement, bool> reached, CancellationToken cancellationToken)
    {
        // The daemon may still be starting: keep trying to connect until the deadline.
        var retry = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            ApiClient client;
            try
            {
                client = await ApiClient.ConnectAsync(socket, cancellationToken).ConfigureAwait(false);
            }
            catch (ApiUnavailableException)
            {
                await Task.Delay(retry, cancellationToken).ConfigureAwait(false);
                retry = TimeSpan.FromMilliseconds(Math.Min(retry.TotalMilliseconds * 2, 1000));
                continue;
            }

            await using (client.ConfigureAwait(false))
            {
                await client.SendAsync(Varlink.Interface + ".WatchStatus", more: true, cancellationToken).ConfigureAwait(false);
                while (await client.ReceiveAsync(cancellationToken).ConfigureAwait(false) is { } reply)
                {
                    var status = Unwrap(reply);
                    if (reached(status.RootElement))
                    {
                        return status;
                    }

                    status.Dispose();
                }
            }
        }
    }

    /// <summary>The "status" object of a reply; an error reply becomes an exception with its name.</summary>
    private static JsonDocument Unwrap(JsonDocument reply)
    {
        using (reply)
        {
            var root = reply.RootElement;
            if (root.TryGetProperty("error", out var errorName))
            {
                throw new ApiUnavailableException($"the daemon answered {errorName.GetString()}: {root.GetProperty("parameters")}");
            }

            return JsonDocument.Parse(root.GetProperty("parameters").GetProperty("status").GetRawText());
        }
    }

    private static void Print(JsonElement status, bool json, TextWriter output)
    {
        if (json)
        {
            output.WriteLine(status.GetRawText());
            return;
        }

        var startedAt = status.GetProperty("startedAt").GetDateTimeOffset();
        var uptime = DateTimeOffset.UtcNow - startedAt;
        output.WriteLine($"daemon        {status.GetProperty("daemon").GetString()} (pid {status.GetProperty("pid").GetInt32()}, up {FormatUptime(uptime)})");
        output.WriteLine($"version       {status.GetProperty("version").GetString()} ({status.GetProperty("userAgent").GetString()})");
        output.WriteLine($"config        {status.GetProperty("config").GetString()}");
        if (status.GetProperty("modem") is { ValueKind: JsonValueKind.Object } modem)
        {
            string Text(string name) => modem.GetProperty(name) is { ValueKind: JsonValueKind.String } v ? v.GetString()! : "-";
            string List(string name) => modem.GetProperty(name).GetArrayLength() == 0
                ? "-"
                : string.Join(", ", modem.GetProperty(name).EnumerateArray().Select(e => e.GetString()));
            var activity = modem.GetProperty("activity") is { ValueKind: JsonValueKind.String } a ? $" ({a.GetString()})" : "";
            output.WriteLine($"modem         {Text("phase")}{activity}; port {Text("channel")}");
            output.WriteLine($"  module      {Text("manufacturer")} {Text("model")} {Text("revision")} (profile {Text("profile")}), IMEI {Text("imei")}");
            output.WriteLine($"  SIM         {Text("sim")}, IMSI {Text("imsi")}, network {Text("registration")}");
            output.WriteLine($"  IMS PDN     cid {(modem.GetProperty("imsPdnCid") is { ValueKind: JsonValueKind.Number } cid ? cid.GetInt32() : 0)} APN {Text("imsApn")}: {List("imsPdnAddresses")}");
            output.WriteLine($"  P-CSCF      {List("pcscf")} ({Text("pcscfSource")})");
            output.WriteLine($"  ISIM        {Text("isimAid")}{(modem.GetProperty("softIsim").GetBoolean() ? " (soft ISIM)" : "")}, domain {Text("homeDomain")}");
            output.WriteLine($"  IMPUs       {List("impus")}");
        }

        if (status.GetProperty("registration") is { ValueKind: JsonValueKind.Object } reg)
        {
            var identities = string.Join(", ", reg.GetProperty("publicIdentities").EnumerateArray().Select(e => e.GetString()));
            var expires = reg.GetProperty("expiresAt") is { ValueKind: JsonValueKind.String } e ? e.GetDateTimeOffset().ToString("u", CultureInfo.InvariantCulture) : "-";
            output.WriteLine($"IMS           {reg.GetProperty("state").GetString()} via {(reg.GetProperty("pcscf") is { ValueKind: JsonValueKind.String } p ? p.GetString() : "-")}, expires {expires}");
            output.WriteLine($"  identities  {(identities.Length == 0 ? "-" : identities)}");
        }

        if (status.TryGetProperty("imSettings", out var im) && im.ValueKind == JsonValueKind.Object)
        {
            var code = im.GetProperty("lastStatusCode") is { ValueKind: JsonValueKind.Number } c ? $" ({c.GetInt32()})" : "";
            var why = im.GetProperty("failure") is { ValueKind: JsonValueKind.String } f ? $": {f.GetString()}" : "";
            output.WriteLine($"IM settings   {im.GetProperty("status").GetString()}{code}{why}");
        }

        var failure = status.GetProperty("lastFailure");
        output.WriteLine(failure.ValueKind == JsonValueKind.Null
            ? "last failure  none"
            : $"last failure  {failure.GetProperty("at").GetDateTimeOffset().ToString("u", CultureInfo.InvariantCulture)} {failure.GetProperty("component").GetString()}: {failure.GetProperty("reason").GetString()}");
    }

    private static string FormatUptime(TimeSpan uptime) =>
        uptime.TotalDays >= 1
            ? $"{(int)uptime.TotalDays}d {uptime:hh\\:mm\\:ss}"
            : uptime.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture);
}
