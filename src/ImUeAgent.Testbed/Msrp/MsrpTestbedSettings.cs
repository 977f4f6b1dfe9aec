// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Net;
using ImUeAgent.Msrp;

namespace ImUeAgent.Testbed.Msrp;

/// <summary>What to send after connecting: a file streamed from disk, or a text held in memory.</summary>
internal abstract record MsrpPayload(string ContentType)
{
    public sealed record File(string Path, string ContentType) : MsrpPayload(ContentType);

    public sealed record Text(string Value, string ContentType) : MsrpPayload(ContentType);
}

/// <summary>Relay to AUTH with (RFC 4976 §5) before advertising a path.</summary>
internal sealed record MsrpRelaySetting(MsrpUri Uri, string? User, string? Password)
{
    public override string ToString() => $"{Uri} user {User ?? "-"} (password hidden)";
}

/// <summary>The options of <c>imue-testbed msrp</c>, checked; everything the running endpoint needs.</summary>
internal sealed record MsrpTestbedSettings(
    IPEndPoint Listen,
    string SessionId,
    IReadOnlyList<MsrpUri>? ToPath,
    MsrpPayload? Payload,
    int ChunkSize,
    bool SuccessReport,
    string? SaveDirectory,
    int? RejectCode,
    MsrpRelaySetting? Relay)
{
    public const int DefaultChunkSize = 2048;

    /// <summary>Raw option values as typed on the command line.</summary>
    internal sealed record Raw
    {
        public string Listen { get; init; } = "127.0.0.1:0";
        public string? SessionId { get; init; }
        public string? ToPath { get; init; }
        public string? SendFile { get; init; }
        public string? SendText { get; init; }
        public string? ContentType { get; init; }
        public int? ChunkSize { get; init; }
        public bool SuccessReport { get; init; }
        public string? SaveDirectory { get; init; }
        public int? RejectCode { get; init; }
        public string? Relay { get; init; }
        public string? RelayUser { get; init; }
        public string? RelayPassword { get; init; }

        public override string ToString() => $"msrp options (listen {Listen}, relay {Relay ?? "-"}, password hidden)";
    }

    /// <summary>Checks the options together; the error names the option and what is wrong with it.</summary>
    public static bool TryCreate(Raw raw, Func<string> newSessionId, out MsrpTestbedSettings? settings, out string? error)
    {
        settings = null;
        if (!IPEndPoint.TryParse(raw.Listen, out var listen) || !raw.Listen.Contains(':', StringComparison.Ordinal))
        {
            error = $"--listen: '{raw.Listen}' is not ADDRESS:PORT";
            return false;
        }

        string sessionId = raw.SessionId ?? newSessionId();
        if (!MsrpUri.IsSessionId(sessionId))
        {
            error = $"--session-id: '{sessionId}' is not an RFC 4975 session-id (unreserved, '+', '=', '/')";
            return false;
        }

        IReadOnlyList<MsrpUri>? toPath = null;
        if (raw.ToPath is not null)
        {
            if (!MsrpUri.TryParsePath(raw.ToPath, out var path, out var pathError) || path.Count == 0)
            {
                error = $"--to-path: '{raw.ToPath}' is not a list of MSRP URIs ({pathError})";
                return false;
            }

            if (path[^1].SessionId is null)
            {
                error = "--to-path: the last URI must name the peer's session (msrp://host:port/<session-id>;tcp)";
                return false;
            }

            toPath = path;
        }

        if (raw.SendFile is not null && raw.SendText is not null)
        {
            error = "--send-file and --send-text exclude each other";
            return false;
        }

        MsrpPayload? payload = null;
        if (raw.SendFile is not null)
        {
            if (!System.IO.File.Exists(raw.SendFile))
            {
                error = $"--send-file: '{raw.SendFile}' does not exist";
                return false;
            }

            payload = new MsrpPayload.File(raw.SendFile, raw.ContentType ?? "application/octet-stream");
        }
        else if (raw.SendText is not null)
        {
            payload = new MsrpPayload.Text(raw.SendText, raw.ContentType ?? "text/plain");
        }

        if (payload is not null && toPath is null)
        {
            error = "--send-file/--send-text need --to-path (whom to send to)";
            return false;
        }

        if (payload is not null && !IsMediaType(payload.ContentType))
        {
            error = $"--content-type: '{payload.ContentType}' is not type/subtype";
            return false;
        }

        int chunkSize = raw.ChunkSize ?? DefaultChunkSize;
        if (chunkSize is < 1 or > 16 * 1024 * 1024)
        {
            error = $"--chunk-size: {chunkSize} is outside 1..16777216";
            return false;
        }

        if (raw.RejectCode is int code && (code < 400 || code > 999))
        {
            error = $"--reject-code: {code} is not an MSRP error status (400..999)";
            return false;
        }

        MsrpRelaySetting? relay = null;
        if (raw.Relay is not null)
        {
            if (!MsrpUri.TryParse(raw.Relay, out var relayUri, out var relayError))
            {
                error = $"--relay: '{raw.Relay}' is not an MSRP URI ({relayError})";
                return false;
            }

            if ((raw.RelayUser is null) != (raw.RelayPassword is null))
            {
                error = "--relay-user and --relay-password go together";
                return false;
            }

            relay = new MsrpRelaySetting(relayUri, raw.RelayUser, raw.RelayPassword);
        }
        else if (raw.RelayUser is not null || raw.RelayPassword is not null)
        {
            error = "--relay-user/--relay-password need --relay";
            return false;
        }

        settings = new MsrpTestbedSettings(listen, sessionId, toPath, payload, chunkSize, raw.SuccessReport, raw.SaveDirectory, raw.RejectCode, relay);
        error = null;
        return true;
    }

    private static bool IsMediaType(string value)
    {
        int semi = value.IndexOf(';', StringComparison.Ordinal);
        var type = (semi < 0 ? value : value[..semi]).AsSpan().Trim();
        int slash = type.IndexOf('/');
        return slash > 0 && slash < type.Length - 1 && !type.ContainsAny(" \t\r\n") && type[(slash + 1)..].IndexOf('/') < 0;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"listen {Listen}, session {SessionId}, chunk {ChunkSize}{(Relay is null ? string.Empty : $", relay {Relay.Uri}")}");
}
