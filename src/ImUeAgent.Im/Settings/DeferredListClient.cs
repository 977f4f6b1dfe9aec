// SPDX-License-Identifier: MIT
using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImUeAgent.Im.Settings;

/// <summary>Why retrieving the deferred-message metadata failed (STYLE.md §4: a closed set).</summary>
public enum DeferredListError : byte
{
    None,

    /// <summary>The XUI is empty or not a SIP/SIPS/tel URI.</summary>
    InvalidXui,

    /// <summary>No complete answer within the timeout.</summary>
    Timeout,

    /// <summary>The connection could not be made or broke (refused, reset, closed early, not HTTP).</summary>
    ConnectionFailed,

    /// <summary>The server answered with a status other than 200 (<see cref="DeferredListException.StatusCode"/>).</summary>
    HttpStatus,

    /// <summary>The 200 carried another media type than application/vnd.oma.im.deferred-list+xml.</summary>
    WrongContentType,

    /// <summary>The body exceeds the cap.</summary>
    BodyTooLarge,

    /// <summary>The 200 carried no body.</summary>
    EmptyBody,

    /// <summary>Not well-formed XML, or a DTD (refused).</summary>
    MalformedXml,

    /// <summary>The root is not &lt;history-list&gt; in urn:oma:xml:im:history-list.</summary>
    UnexpectedRootElement,

    /// <summary>More &lt;history&gt; entries than the cap.</summary>
    TooManyMessages,
}

/// <summary>A failed retrieval: the reason, and the HTTP status or XML position when there is one.</summary>
public sealed class DeferredListException : Exception
{
    public DeferredListException(DeferredListError reason, string message, int? statusCode = null, int line = 0, int column = 0, Exception? inner = null)
        : base(message, inner)
    {
        Reason = reason;
        StatusCode = statusCode;
        Line = line;
        Column = column;
    }

    public DeferredListException()
        : this(DeferredListError.ConnectionFailed, "Deferred-list retrieval failed")
    {
    }

    public DeferredListException(string message)
        : this(DeferredListError.ConnectionFailed, message)
    {
    }

    public DeferredListException(string message, Exception innerException)
        : this(DeferredListError.ConnectionFailed, message, inner: innerException)
    {
    }

    public DeferredListError Reason { get; }

    /// <summary>The HTTP status of the answer, when one came.</summary>
    public int? StatusCode { get; }

    /// <summary>1-based XML line of a document error (0 when not applicable).</summary>
    public int Line { get; }

    public int Column { get; }
}

/// <summary>Settings of <see cref="DeferredListClient"/> (plain record).</summary>
public sealed record DeferredListClientSettings
{
    /// <summary>The XCAP root URI (RFC 4825 §6), e.g. http://xcap.ims.example.com:8080/services.</summary>
    public required Uri XcapRoot { get; init; }

    /// <summary>The whole exchange (connect, request, response, body) must finish within this.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    public int MaxBodyBytes { get; init; } = DeferredListDocument.DefaultMaxBytes;

    public int MaxMessages { get; init; } = DeferredListDocument.DefaultMaxMessages;

    /// <summary>The local address to connect from (the IMS PDN's, where the XCAP server is reachable); null lets the
    /// kernel choose.</summary>
    public IPAddress? LocalAddress { get; init; }

    /// <summary>User-Agent of the HTTP request; null leaves it out.</summary>
    public string? UserAgent { get; init; } = "IM-client/OMA1.0 imue-agent/0.1.0";

    /// <summary>Sends X-3GPP-Intended-Identity with the XUI (TS 24.109 §5.2.3.2): the aggregation proxy of a 3GPP
    /// network uses it to pick the identity the request acts for.</summary>
    public bool SendIntendedIdentity { get; init; } = true;

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(XcapRoot);
        if (!XcapRoot.IsAbsoluteUri || XcapRoot.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException("The XCAP root must be an absolute http or https URI", nameof(XcapRoot));
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Timeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxBodyBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxMessages);
        if (UserAgent is not null && UserAgent.AsSpan().IndexOfAny('\r', '\n') >= 0)
        {
            throw new ArgumentException("User-Agent must be one line", nameof(UserAgent));
        }
    }
}

/// <summary>
/// Retrieves the deferred-message metadata over XCAP (OMA SIMPLE IM 12.1.2; RFC 4825 §7.3 GET of a document):
/// GET {root}/org.openmobilealliance.deferred-list/users/{XUI}/deferred-list over HTTP/1.1, answered by
/// application/vnd.oma.im.deferred-list+xml, parsed into <see cref="DeferredMessageInfo"/> records. The client the
/// IM Client uses when offline delivery (5.2.4 d) is off. Caps the body, times out through the
/// <see cref="TimeProvider"/>, never follows redirects or decompresses, and reports every failure as a
/// <see cref="DeferredListException"/> with a <see cref="DeferredListError"/>.
/// </summary>
public sealed class DeferredListClient : IDisposable
{
    private readonly DeferredListClientSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly HttpClient _http;

    public DeferredListClient(DeferredListClientSettings settings, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        _settings = settings;
        _time = timeProvider ?? TimeProvider.System;
        _logger = loggerFactory?.CreateLogger("ImUeAgent.Im.Settings") ?? NullLogger.Instance;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            UseProxy = false,
            ConnectTimeout = settings.Timeout,
            // In KiB: a deferred list's head is a few lines.
            MaxResponseHeadersLength = 16,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        };
        if (settings.LocalAddress is { } local)
        {
            handler.ConnectCallback = (context, cancellationToken) => ConnectFromAsync(local, context.DnsEndPoint, cancellationToken);
        }

        // The timeout is ours (through the TimeProvider), not HttpClient's.
        _http = new HttpClient(handler, disposeHandler: true) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
    }

    /// <summary>The document URI for a user: the XUI is one percent-encoded path segment (RFC 4825 §6.3).</summary>
    public Uri DocumentUri(string xui)
    {
        string root = _settings.XcapRoot.GetLeftPart(UriPartial.Path).TrimEnd('/');
        return new Uri(root + "/" + DeferredListDocument.Auid + "/users/" + Uri.EscapeDataString(xui) + "/" + DeferredListDocument.DocumentName);
    }

    /// <summary>GETs and parses the user's deferred-message metadata. Throws <see cref="DeferredListException"/>.</summary>
    /// <param name="xui">The XCAP User Identifier: the user's public identity (e.g. sip:alice@ims.example.com).</param>
    public async Task<DeferredList> GetAsync(string xui, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(xui) || !(xui.StartsWith("sip:", StringComparison.OrdinalIgnoreCase)
            || xui.StartsWith("sips:", StringComparison.OrdinalIgnoreCase) || xui.StartsWith("tel:", StringComparison.OrdinalIgnoreCase))
            || xui.AsSpan().IndexOfAny('\r', '\n') >= 0)
        {
            throw Failed(DeferredListError.InvalidXui, "the XUI is not a SIP, SIPS or tel URI");
        }

        using var timeout = new CancellationTokenSource(_settings.Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        using var request = new HttpRequestMessage(HttpMethod.Get, DocumentUri(xui))
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(DeferredListDocument.MediaType));
        if (_settings.UserAgent is { } userAgent)
        {
            request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        }

        if (_settings.SendIntendedIdentity)
        {
            request.Headers.TryAddWithoutValidation("X-3GPP-Intended-Identity", "\"" + xui + "\"");
        }

        byte[] body;
        int length;
        try
        {
            using HttpResponseMessage response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            int status = (int)response.StatusCode;
            if (status != 200)
            {
                throw Failed(DeferredListError.HttpStatus, "the XCAP server answered " + status.ToString(CultureInfo.InvariantCulture) + " " + response.ReasonPhrase, status);
            }

            string? mediaType = response.Content.Headers.ContentType?.MediaType;
            if (!string.Equals(mediaType, DeferredListDocument.MediaType, StringComparison.OrdinalIgnoreCase))
            {
                throw Failed(DeferredListError.WrongContentType, "the 200 carried " + (mediaType ?? "no Content-Type") + ", not " + DeferredListDocument.MediaType, status);
            }

            if (response.Content.Headers.ContentLength > _settings.MaxBodyBytes)
            {
                throw Failed(DeferredListError.BodyTooLarge, "Content-Length exceeds the cap of " + _settings.MaxBodyBytes.ToString(CultureInfo.InvariantCulture) + " bytes", status);
            }

            Stream stream = await response.Content.ReadAsStreamAsync(linked.Token).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                (body, length) = await ReadCappedAsync(stream, _settings.MaxBodyBytes, linked.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException e) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw Failed(DeferredListError.Timeout, "no complete answer within " + _settings.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture) + " s", inner: e);
        }
        catch (HttpRequestException e)
        {
            throw Failed(DeferredListError.ConnectionFailed, "HTTP request failed (" + e.HttpRequestError + "): " + e.Message, inner: e);
        }
        catch (IOException e)
        {
            throw Failed(DeferredListError.ConnectionFailed, "the connection broke while reading the body: " + e.Message, inner: e);
        }

        try
        {
            if (length < 0)
            {
                throw Failed(DeferredListError.BodyTooLarge, "the body exceeds the cap of " + _settings.MaxBodyBytes.ToString(CultureInfo.InvariantCulture) + " bytes", 200);
            }

            DeferredListError error = DeferredListDocument.TryParse(body.AsMemory(0, length), out DeferredList? list, out int line, out int column,
                _settings.MaxBodyBytes, _settings.MaxMessages);
            if (error != DeferredListError.None)
            {
                throw Failed(error, "the deferred-list document is not usable: " + error + (line > 0
                    ? " at line " + line.ToString(CultureInfo.InvariantCulture) + ", column " + column.ToString(CultureInfo.InvariantCulture)
                    : string.Empty), 200, line, column);
            }

            SettingsLog.DeferredListRetrieved(_logger, list!.Messages.Count, list.SkippedEntries);
            return list;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body);
        }
    }

    public void Dispose() => _http.Dispose();

    /// <summary>Reads the body into a pooled buffer (the caller returns it); stops as soon as the body passes the cap,
    /// answering length -1.</summary>
    private static async Task<(byte[] Buffer, int Length)> ReadCappedAsync(Stream stream, int max, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Min(max + 1, 16 * 1024));
        int length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Min(max + 1, buffer.Length * 2));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                int read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return (buffer, length);
                }

                length += read;
                if (length > max)
                {
                    return (buffer, -1);
                }
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    private static async ValueTask<Stream> ConnectFromAsync(IPAddress local, DnsEndPoint remote, CancellationToken cancellationToken)
    {
        var socket = new Socket(local.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Bind(new IPEndPoint(local, 0));
            await socket.ConnectAsync(remote.Host, remote.Port, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private DeferredListException Failed(DeferredListError reason, string text, int? status = null, int line = 0, int column = 0, Exception? inner = null)
    {
        SettingsLog.DeferredListFailed(_logger, reason, text);
        return new DeferredListException(reason, "Deferred-message metadata (12.1.2): " + text, status, line, column, inner);
    }
}
