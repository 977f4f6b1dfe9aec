// SPDX-License-Identifier: MIT
using System.Buffers;
using System.Globalization;
using System.Text;
using ImUeAgent.Msrp;
using ImUeAgent.Msrp.Relay;
using ImUeAgent.Msrp.Sessions;
using ImUeAgent.Msrp.Transport;
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Testbed.Msrp;

/// <summary>
/// The running <c>imue-testbed msrp</c>: one MSRP session on a TCP listener, optionally behind a relay (RFC 4976
/// AUTH, then the Use-Path goes in front of the advertised path), optionally connecting out to send one message.
/// Every event is a machine-readable line through <c>announce</c>.
/// </summary>
internal sealed class MsrpTestbedEndpoint : IAsyncDisposable
{
    private static readonly TimeSpan AuthTimeout = TimeSpan.FromSeconds(30);

    private readonly MsrpEndpoint _endpoint;
    private readonly MsrpTcpListener _listener;
    private readonly Action<string> _announce;

    private MsrpTestbedEndpoint(MsrpTestbedSettings settings, MsrpEndpoint endpoint, MsrpTcpListener listener, MsrpSession session, Action<string> announce)
    {
        Settings = settings;
        _endpoint = endpoint;
        _listener = listener;
        Session = session;
        _announce = announce;
    }

    public MsrpTestbedSettings Settings { get; }

    public MsrpSession Session { get; }

    /// <summary>Binds the listener, AUTHs to the relay if any, and announces <c>msrp URI</c> (and <c>path …</c>).</summary>
    public static async Task<MsrpTestbedEndpoint> StartAsync(MsrpTestbedSettings settings, Action<string> announce, ILogger logger,
        TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(announce);
        var endpoint = new MsrpEndpoint(new MsrpEndpointOptions { Host = settings.Listen.Address.ToString() },
            MsrpTcpTransport.CreateConnector(), new SingleLoggerFactory(logger), time);
        MsrpTcpListener? listener = null;
        try
        {
            listener = new MsrpTcpListener(endpoint, settings.Listen, logger: logger);
            var handler = new SavingSessionHandler(settings, announce, logger);
            var options = new MsrpSessionOptions
            {
                ChunkSize = settings.ChunkSize,
                // A relay only forwards to us once our first request went out on the AUTH connection; without a
                // relay the bodiless SEND lets a passive peer bind (RFC 4975 §5.4).
                SendBindingSend = true,
            };
            var session = endpoint.CreateSession(handler, options, settings.SessionId);
            listener.Start();
            var running = new MsrpTestbedEndpoint(settings, endpoint, listener, session, announce);
            announce($"msrp {session.LocalUri}");
            if (settings.Relay is { } relay)
            {
                await running.AuthenticateAsync(relay, cancellationToken).ConfigureAwait(false);
            }

            return running;
        }
        catch
        {
            if (listener is not null)
            {
                await listener.DisposeAsync().ConfigureAwait(false);
            }

            await endpoint.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task AuthenticateAsync(MsrpRelaySetting relay, CancellationToken cancellationToken)
    {
        var connection = await _endpoint.GetOrOpenConnectionAsync(relay.Uri, cancellationToken).ConfigureAwait(false);
        var credentials = new MsrpRelayCredentials(relay.User ?? string.Empty, relay.Password ?? string.Empty);
        var grant = await MsrpRelayClient.AuthenticateAsync(connection, relay.Uri, Session.LocalUri, credentials, AuthTimeout, cancellationToken).ConfigureAwait(false);
        Session.SetRelayPath(grant.UsePath);
        // The relay delivers to us over this connection (RFC 4976 §6): bind now so its first SEND finds the session.
        Session.Bind(connection);
        string expires = grant.Expires is { } e ? string.Create(CultureInfo.InvariantCulture, $" expires {(long)e.TotalSeconds}") : string.Empty;
        _announce($"relay {MsrpUri.FormatPath(grant.UsePath)}{expires}");
        _announce($"path {MsrpUri.FormatPath(Session.AdvertisedPath)}");
    }

    /// <summary>
    /// Active side: connect to the first hop of the relays then <paramref name="toPath"/>, and send the payload if
    /// any. Announces <c>connected</c>, then <c>sent ID BYTES CHUNKS STATUS</c> or <c>send-failed ID OUTCOME STATUS</c>.
    /// </summary>
    public async Task<MsrpSendResult?> ConnectAndSendAsync(IReadOnlyList<MsrpUri> toPath, MsrpPayload? payload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(toPath);
        Session.SetRemotePath(toPath);
        if (Session.Connection is null)
        {
            await Session.ConnectAsync(cancellationToken).ConfigureAwait(false);
        }

        _announce($"connected {Session.Connection?.Name}");
        if (payload is null)
        {
            return null;
        }

        var options = new MsrpSendOptions { SuccessReport = Settings.SuccessReport };
        MsrpSendResult result;
        switch (payload)
        {
            case MsrpPayload.File file:
                var stream = new FileStream(file.Path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
                await using (stream.ConfigureAwait(false))
                {
                    result = await Session.SendMessageAsync(file.ContentType, stream, stream.Length, options, cancellationToken).ConfigureAwait(false);
                }

                break;
            case MsrpPayload.Text text:
                result = await Session.SendMessageAsync(text.ContentType, Encoding.UTF8.GetBytes(text.Value), options, cancellationToken).ConfigureAwait(false);
                break;
            default:
                throw new InvalidOperationException($"unknown payload {payload.GetType().Name}");
        }

        _announce(result.IsSuccess
            ? string.Create(CultureInfo.InvariantCulture, $"sent {result.MessageId} {result.BytesSent} {result.Chunks} {result.StatusCode}")
            : string.Create(CultureInfo.InvariantCulture, $"send-failed {result.MessageId} {result.Outcome} {result.StatusCode}"));
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        await _listener.DisposeAsync().ConfigureAwait(false);
        await _endpoint.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Makes a file name from a Message-ID (an RFC 4975 ident, but it came off the wire: never trust it).</summary>
    internal static string FileNameFor(string messageId)
    {
        var name = new StringBuilder(messageId.Length);
        foreach (char c in messageId)
        {
            name.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '+' or '=' or '%' ? c : '_');
        }

        return name.Length == 0 ? "message" : name.ToString();
    }

    /// <summary>
    /// Receives into files under --save-dir (or counts and drops without one), or answers --reject-code; announces
    /// <c>received ID BYTES TYPE FILE</c>, <c>incomplete ID REASON</c>, <c>report ID STATUS RANGE</c>, <c>closed</c>.
    /// </summary>
    internal sealed class SavingSessionHandler(MsrpTestbedSettings settings, Action<string> announce, ILogger logger) : IMsrpSessionHandler
    {
        private readonly Dictionary<string, string> _files = new(StringComparer.Ordinal);
        private readonly Lock _gate = new();

        public MsrpReceiveDecision OnMessageStarted(MsrpSession session, MsrpIncomingMessage message)
        {
            if (settings.RejectCode is int code)
            {
                logger.Rejected(message.MessageId, code);
                announce(string.Create(CultureInfo.InvariantCulture, $"rejected {message.MessageId} {code}"));
                return MsrpReceiveDecision.Reject(code);
            }

            if (settings.SaveDirectory is not { } directory)
            {
                return MsrpReceiveDecision.Accept(new CountingSink());
            }

            Directory.CreateDirectory(directory);
            string path = Path.Combine(directory, FileNameFor(message.MessageId));
            var file = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read, bufferSize: 64 * 1024, FileOptions.Asynchronous);
            lock (_gate)
            {
                _files[message.MessageId] = path;
            }

            return MsrpReceiveDecision.Accept(new FileSink(file));
        }

        public void OnMessageReceived(MsrpSession session, MsrpIncomingMessage message)
        {
            string file = TakeFile(message.MessageId) ?? "-";
            string type = message.ContentType.Length == 0 ? "-" : string.Concat(message.ContentType.Where(c => !char.IsWhiteSpace(c)));
            logger.Received(message.MessageId, message.BytesReceived, type);
            announce(string.Create(CultureInfo.InvariantCulture, $"received {message.MessageId} {message.BytesReceived} {type} {file}"));
        }

        public void OnMessageIncomplete(MsrpSession session, MsrpIncomingMessage message, MsrpIncompleteReason reason)
        {
            if (TakeFile(message.MessageId) is { } path)
            {
                File.Delete(path);
            }

            announce($"incomplete {message.MessageId} {reason}");
        }

        public void OnReport(MsrpSession session, MsrpReport report)
        {
            string range = report.ByteRange is { } r ? r.ToString() : "-";
            announce(string.Create(CultureInfo.InvariantCulture, $"report {report.MessageId} {report.StatusCode} {range}"));
        }

        public void OnClosed(MsrpSession session) => announce("closed");

        private string? TakeFile(string messageId)
        {
            lock (_gate)
            {
                return _files.Remove(messageId, out var path) ? path : null;
            }
        }
    }

    /// <summary>Counts bytes and keeps nothing (no --save-dir).</summary>
    private sealed class CountingSink : IMsrpMessageSink
    {
        public ValueTask WriteAsync(long offset, ReadOnlySequence<byte> data, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask<int> CompleteAsync(long length, CancellationToken cancellationToken) => ValueTask.FromResult(200);

        public ValueTask AbortAsync(MsrpIncompleteReason reason, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    /// <summary>Writes at each chunk's offset; the file is closed (and so on disk) before the 200 goes out.</summary>
    private sealed class FileSink(FileStream file) : IMsrpMessageSink
    {
        private readonly MsrpStreamSink _inner = new(file);

        public ValueTask WriteAsync(long offset, ReadOnlySequence<byte> data, CancellationToken cancellationToken) => _inner.WriteAsync(offset, data, cancellationToken);

        public async ValueTask<int> CompleteAsync(long length, CancellationToken cancellationToken)
        {
            int status = await _inner.CompleteAsync(length, cancellationToken).ConfigureAwait(false);
            file.SetLength(length);
            await file.DisposeAsync().ConfigureAwait(false);
            return status;
        }

        public async ValueTask AbortAsync(MsrpIncompleteReason reason, CancellationToken cancellationToken)
        {
            await _inner.AbortAsync(reason, cancellationToken).ConfigureAwait(false);
            await file.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>Hands one logger to libraries that ask for a factory.</summary>
internal sealed class SingleLoggerFactory(ILogger logger) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => logger;

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException("single logger");

    public void Dispose()
    {
    }
}
