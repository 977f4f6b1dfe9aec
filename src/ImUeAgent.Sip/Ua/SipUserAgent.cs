// SPDX-License-Identifier: MIT
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using ImUeAgent.Sip.Auth;
using ImUeAgent.Sip.Dialogs;
using ImUeAgent.Sip.Message;
using ImUeAgent.Sip.Transactions;
using ImUeAgent.Sip.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImUeAgent.Sip.Ua;

/// <summary>Where and how a UA listens: the IMS PDN's address and the ports (0 picks free ones).</summary>
public sealed record SipUserAgentSettings
{
    /// <summary>UDP port; 0 picks one. The TCP listener tries the same port so Via/Contact name one port.</summary>
    public int Port { get; init; }

    public bool EnableUdp { get; init; } = true;

    public bool EnableTcp { get; init; } = true;

    /// <summary>The transport of requests whose next hop does not name one (RFC 3263 is not run: a UE is configured).</summary>
    public SipTransportKind PreferredTransport { get; init; } = SipTransportKind.Udp;

    public SipTimerSettings Timers { get; init; } = SipTimerSettings.Default;

    public SipTransportLayerOptions TransportLayer { get; init; } = new();

    public SipStreamTransportOptions Tcp { get; init; } = new();

    /// <summary>Network interface every socket is tied to (SO_BINDTODEVICE) besides the local address; null: none.</summary>
    public string? BindToDevice { get; init; }
}

/// <summary>How one request is sent.</summary>
public sealed record SipSendOptions
{
    /// <summary>The next hop, overriding the outbound proxy and the Route/Request-URI.</summary>
    public SipTransportAddress? Destination { get; init; }

    /// <summary>Put the preloaded route set (Service-Route) on this out-of-dialog request.</summary>
    public bool UsePreloadedRoute { get; init; } = true;

    /// <summary>Answer 401/407 with the authenticator (and retry with CSeq+1).</summary>
    public bool Authenticate { get; init; } = true;

    /// <summary>Add credentials from challenges answered before (IMS re-REGISTER).</summary>
    public bool PreemptiveCredentials { get; init; }
}

/// <summary>The outcome of an INVITE: the final response and, for a 2xx, the confirmed dialog (already ACKed).</summary>
public sealed record SipInviteResult(SipResponse Response, SipDialog? Dialog);

/// <summary>Handles a request the UA received, through its server transaction (<see cref="SipServerTransaction.Source"/>
/// says who sent it). <paramref name="dialog"/> is the dialog of an in-dialog request, already checked (§12.2.2).</summary>
public delegate ValueTask SipRequestHandler(SipServerTransaction transaction, SipDialog? dialog);

/// <summary>A SIP user agent built once (STYLE.md §12): the outbound pipeline authentication retry → route set
/// (preloaded Service-Route) → transaction → transport, and the inbound side: server transactions, dialog matching,
/// 481 for unknown dialogs and CANCEL without transaction, 501 for methods without a handler. Registration and IM
/// procedures sit above it and only say "send this request".</summary>
public sealed class SipUserAgent : IAsyncDisposable
{
    private const int MaxRememberedAcks = 64;

    private readonly ILogger _logger;
    private readonly SipTransportKind _preferred;
    private readonly ConcurrentDictionary<string, SipRequestHandler> _handlers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SipRequestHandler> _notifyHandlers = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, (SipRequest Ack, SipTransportAddress To)> _acks = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _ackOrder = new();
    private bool _started;

    public SipUserAgent(SipTransportLayer transports, SipTransportKind preferredTransport = SipTransportKind.Udp, SipTimerSettings? timers = null, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        Transports = transports ?? throw new ArgumentNullException(nameof(transports));
        _logger = loggerFactory?.CreateLogger("ImUeAgent.Sip") ?? NullLogger.Instance;
        _preferred = preferredTransport;
        Transactions = new SipTransactionLayer(transports, timeProvider, timers, _logger)
        {
            RequestReceived = OnRequest,
            UnmatchedResponse = OnUnmatchedResponse,
        };
    }

    /// <summary>Creates UDP and TCP transports on <paramref name="localAddress"/> (the IMS PDN's address) and the UA.</summary>
    public static SipUserAgent Create(IPAddress localAddress, SipUserAgentSettings? settings = null, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(localAddress);
        settings ??= new SipUserAgentSettings();
        ILogger logger = loggerFactory?.CreateLogger("ImUeAgent.Sip") ?? NullLogger.Instance;
        var transports = new List<ISipTransport>();
        try
        {
            int port = settings.Port;
            if (settings.EnableUdp)
            {
                var udp = new SipUdpTransport(new IPEndPoint(localAddress, port), settings.Tcp.ParserOptions, logger, settings.BindToDevice);
                transports.Add(udp);
                port = udp.LocalEndPoint.Port;
            }

            if (settings.EnableTcp)
            {
                SipStreamTransportOptions tcpOptions = settings.BindToDevice is null ? settings.Tcp : settings.Tcp with { BindToDevice = settings.BindToDevice };
                SipStreamTransport tcp;
                try
                {
                    tcp = new SipStreamTransport(SipTransportKind.Tcp, new IPEndPoint(localAddress, port), tcpOptions, timeProvider, logger);
                }
                catch (SocketException) when (settings.Port == 0)
                {
                    tcp = new SipStreamTransport(SipTransportKind.Tcp, new IPEndPoint(localAddress, 0), tcpOptions, timeProvider, logger);
                }

                transports.Add(tcp);
            }
        }
        catch
        {
            foreach (ISipTransport t in transports)
            {
                t.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }

            throw;
        }

        var layer = new SipTransportLayer(transports, settings.TransportLayer, timeProvider, logger);
        return new SipUserAgent(layer, settings.PreferredTransport, settings.Timers, timeProvider, loggerFactory);
    }

    public SipTransportLayer Transports { get; }

    public SipTransactionLayer Transactions { get; }

    public SipDialogStore Dialogs { get; } = new();

    /// <summary>Answers 401/407; null sends challenges back to the caller.</summary>
    public SipAuthenticator? Authenticator { get; set; }

    /// <summary>The preloaded route set for out-of-dialog requests: the Service-Route learnt at registration
    /// (RFC 3608), P-CSCF first (TS 24.229 §5.1.2A.1).</summary>
    public IReadOnlyList<NameAddress> PreloadedRoute { get; set; } = [];

    /// <summary>The next hop for every request when set (the P-CSCF, TS 24.229 §5.1.1.1).</summary>
    public SipTransportAddress? OutboundProxy { get; set; }

    /// <summary>Starts the transports. Handlers should be set before.</summary>
    public void Start()
    {
        if (_started)
        {
            return;
        }

        _started = true;
        Transports.Start(Transactions.OnMessageReceived);
    }

    /// <summary>Handles received requests of this method (token, case-sensitive).</summary>
    public void SetHandler(string method, SipRequestHandler handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        _handlers[method] = handler ?? throw new ArgumentNullException(nameof(handler));
    }

    public void SetHandler(SipMethod method, SipRequestHandler handler) => SetHandler(method.ToToken(), handler);

    /// <summary>
    /// Handles NOTIFYs of one event package (RFC 6665 §8.2.1: the Event header's package, e.g. "reg" or "conference"),
    /// so several subscribers share one UA: a NOTIFY goes to its package's handler, else to the NOTIFY handler of
    /// <see cref="SetHandler(string, SipRequestHandler)"/>, else it gets 489 Bad Event.
    /// </summary>
    public void SetNotifyHandler(string eventPackage, SipRequestHandler handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventPackage);
        _notifyHandlers[eventPackage] = handler ?? throw new ArgumentNullException(nameof(handler));
    }

    private bool TryGetHandler(SipRequest request, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SipRequestHandler? handler)
    {
        if (request.Method == SipMethod.Notify && request.Headers.Event?.Token is { } package && _notifyHandlers.TryGetValue(package, out handler))
        {
            return true;
        }

        return _handlers.TryGetValue(request.MethodName, out handler);
    }

    /// <summary>A Contact URI for this UA on a transport: sip:user@address:port[;transport=tcp].</summary>
    public SipUri ContactUri(string? user, SipTransportKind? transport = null)
    {
        SipTransportKind kind = transport ?? _preferred;
        ISipTransport t = Transports.Find(kind) ?? Transports.Transports[0];
        SipParameter[] parameters = kind == SipTransportKind.Udp ? [] : [new SipParameter("transport", kind.ToViaToken().ToLowerInvariant())];
        return SipUri.Create(kind == SipTransportKind.Tls ? SipUriScheme.Sips : SipUriScheme.Sip, user, t.LocalEndPoint.Address.ToString(), t.LocalEndPoint.Port, parameters);
    }

    /// <summary>A new tag / Call-ID value: 96 random bits, hex (RFC 3261 §19.3).</summary>
    public static string NewTag() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    /// <summary>Sends a request through the pipeline and returns its final response. The request is a template
    /// without Via: the UA adds Via (new branch per attempt), the preloaded route, and on 401/407 the credentials
    /// (CSeq+1, same Call-ID). Provisional responses go to <paramref name="onProvisional"/>. Cancelling the token
    /// CANCELs an INVITE (the 487 is then returned). Throws <see cref="SipTransactionException"/> on timeout or
    /// transport error.</summary>
    public async Task<SipResponse> SendAsync(SipRequest request, Action<SipResponse>? onProvisional = null, SipSendOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        options ??= new SipSendOptions();
        bool inDialog = request.Headers.To?.Tag is not null;
        IReadOnlyList<NameAddress> preload = options.UsePreloadedRoute && !inDialog && !request.Headers.Contains(SipHeaderId.Route) ? PreloadedRoute : [];
        uint cseq = request.Headers.CSeq?.Number ?? throw new ArgumentException("The request needs a CSeq", nameof(request));
        IReadOnlyList<AuthorizationHeader> credentials = options.PreemptiveCredentials && Authenticator is { } pre ? pre.CreatePreemptive(request) : [];
        var state = new AuthenticationState();
        while (true)
        {
            (SipRequest prepared, SipTransportAddress destination) = await PrepareAsync(request, cseq, credentials, preload, options, cancellationToken).ConfigureAwait(false);
            SipClientTransaction tx = Transactions.SendRequest(prepared, destination, r =>
            {
                if (r.IsProvisional)
                {
                    onProvisional?.Invoke(r);
                }
                else if (r.IsSuccess && prepared.Method == SipMethod.Invite)
                {
                    OnInvite2xx(prepared, r, destination);
                }
            });
            SipResponse final;
            using (cancellationToken.Register(() => CancelQuietly(tx)))
            {
                final = await tx.FinalResponse.ConfigureAwait(false);
            }

            if (final.StatusCode is not (401 or 407) || !options.Authenticate || Authenticator is null)
            {
                return final;
            }

            AuthorizationResult auth = await Authenticator.AuthorizeAsync(prepared, final, state, cancellationToken).ConfigureAwait(false);
            if (!auth.Succeeded)
            {
                SipLog.AuthenticationStopped(_logger, request.MethodName, auth.Failure);
                return final;
            }

            credentials = auth.Headers;
            cseq++;
        }
    }

    /// <summary>Sends an INVITE; on a 2xx the UA ACKs it (RFC 3261 §13.2.2.4) and returns the confirmed dialog, also
    /// kept in <see cref="Dialogs"/>.</summary>
    public async Task<SipInviteResult> InviteAsync(SipRequest invite, Action<SipResponse>? onProvisional = null, SipSendOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(invite);
        if (invite.Method != SipMethod.Invite)
        {
            throw new ArgumentException("Not an INVITE", nameof(invite));
        }

        SipResponse response = await SendAsync(invite, onProvisional, options, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccess)
        {
            return new SipInviteResult(response, null);
        }

        SipDialog? dialog = Dialogs.Find(response.Headers.CallId!, response.Headers.From?.Tag ?? string.Empty, response.Headers.To?.Tag ?? string.Empty);
        return new SipInviteResult(response, dialog);
    }

    /// <summary>Sends a request built by <see cref="SipDialog.CreateRequest"/> within its dialog and, for a target
    /// refresh, applies the 2xx's Contact.</summary>
    public async Task<SipResponse> SendInDialogAsync(SipDialog dialog, SipRequest request, Action<SipResponse>? onProvisional = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dialog);
        SipResponse response = await SendAsync(request, onProvisional, new SipSendOptions { UsePreloadedRoute = false }, cancellationToken).ConfigureAwait(false);
        dialog.OnTargetRefreshResponse(request, response);
        if (request.Method == SipMethod.Bye)
        {
            dialog.Terminate();
            Dialogs.Remove(dialog);
        }

        return response;
    }

    /// <summary>Ends a dialog with BYE (RFC 3261 §15.1.1).</summary>
    public Task<SipResponse> ByeAsync(SipDialog dialog, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dialog);
        return SendInDialogAsync(dialog, dialog.CreateRequest(SipMethod.Bye).BuildRequest(), null, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        Transactions.Dispose();
        await Transports.DisposeAsync().ConfigureAwait(false);
    }

    // ---- outbound ----

    private async ValueTask<(SipRequest, SipTransportAddress)> PrepareAsync(SipRequest template, uint cseq, IReadOnlyList<AuthorizationHeader> credentials,
        IReadOnlyList<NameAddress> preload, SipSendOptions options, CancellationToken cancellationToken)
    {
        SipTransportAddress destination = options.Destination ?? OutboundProxy ?? await ResolveAsync(template, preload, cancellationToken).ConfigureAwait(false);
        string branch = ViaValue.MagicCookie + NewTag();
        SipRequest prepared = SipRequestRewriter.Rebuild(template, MakeVia(destination.Transport, branch), cseq, credentials, preload);
        SipTransportKind kind = Transports.ChooseTransport(destination.Transport, prepared.Length);
        if (kind != destination.Transport)
        {
            // RFC 3261 §18.1.1: the transport changed, so does the top Via.
            destination = destination with { Transport = kind };
            prepared = SipRequestRewriter.Rebuild(template, MakeVia(kind, branch), cseq, credentials, preload);
        }

        return (prepared, destination);
    }

    private ViaValue MakeVia(SipTransportKind kind, string branch)
    {
        ISipTransport transport = Transports.Find(kind) ?? throw new InvalidOperationException("No " + kind.ToViaToken() + " transport configured");
        // RFC 3581: rport asks the server to answer to the source port (NAT, and our ephemeral TCP port).
        return new ViaValue(kind.ToViaToken(), transport.LocalEndPoint.Address.ToString(), transport.LocalEndPoint.Port, branch, rport: true);
    }

    /// <summary>The next hop from the first Route (loose routing) or the Request-URI (RFC 3261 §8.1.2; addresses and
    /// ports only — a UE is configured with its P-CSCF, so RFC 3263 NAPTR/SRV is not run).</summary>
    private async ValueTask<SipTransportAddress> ResolveAsync(SipRequest template, IReadOnlyList<NameAddress> preload, CancellationToken cancellationToken)
    {
        SipUri uri = preload.Count > 0 ? preload[0].Uri
            : template.Headers.Route is { Count: > 0 } routes ? routes[0].Uri
            : template.RequestUri;
        if (uri.Scheme is not (SipUriScheme.Sip or SipUriScheme.Sips))
        {
            throw new ArgumentException("No SIP next hop for " + uri.SchemeName + ": set OutboundProxy", nameof(template));
        }

        SipTransportKind kind = uri.Scheme == SipUriScheme.Sips ? SipTransportKind.Tls
            : SipTransportKinds.TryParse(uri.Transport, out SipTransportKind named) ? named : _preferred;
        string host = uri.Host.Trim('[', ']');
        if (!IPAddress.TryParse(host, out IPAddress? address))
        {
            IPAddress[] found = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
            AddressFamily family = Transports.Transports[0].LocalEndPoint.AddressFamily;
            address = Array.Find(found, a => a.AddressFamily == family) ?? throw new IOException("No " + family + " address for " + host);
        }

        return new SipTransportAddress(kind, new IPEndPoint(address, uri.Port ?? (kind == SipTransportKind.Tls ? 5061 : 5060)));
    }

    private void CancelQuietly(SipClientTransaction tx)
    {
        if (tx.Request.Method == SipMethod.Invite && !tx.FinalResponse.IsCompleted)
        {
            try
            {
                Transactions.Cancel(tx);
            }
            catch (ObjectDisposedException)
            {
                // Shutting down.
            }
        }
    }

    /// <summary>RFC 3261 §13.2.2.4: every 2xx to our INVITE is ACKed by the UA core (each fork makes a dialog).</summary>
    private void OnInvite2xx(SipRequest invite, SipResponse response, SipTransportAddress destination)
    {
        string key = AckKey(response);
        if (_acks.TryGetValue(key, out var known))
        {
            _ = Transactions.SendAckAsync(known.Ack, known.To).AsTask();
            return;
        }

        SipDialog dialog;
        try
        {
            dialog = SipDialog.CreateUac(invite, response);
        }
        catch (ArgumentException)
        {
            return;
        }

        Dialogs.Add(dialog);
        if (OutboundProxy is null)
        {
            // RFC 3261 §13.2.2.4: the ACK follows the dialog's route set, or goes to the remote target.
            SipUri next = dialog.RouteSet.Count > 0 ? dialog.RouteSet[0].Uri : dialog.RemoteTarget;
            if (IPAddress.TryParse(next.Host.Trim('[', ']'), out IPAddress? address))
            {
                SipTransportKind kind = SipTransportKinds.TryParse(next.Transport, out SipTransportKind named) ? named : destination.Transport;
                if (Transports.Find(kind) is not null)
                {
                    destination = new SipTransportAddress(kind, new IPEndPoint(address, next.Port ?? 5060));
                }
            }
        }

        SipRequest ack = SipRequestRewriter.Rebuild(dialog.CreateAck(invite.Headers.CSeq!.Number), MakeVia(destination.Transport, ViaValue.MagicCookie + NewTag()),
            invite.Headers.CSeq!.Number, [], []);
        _acks[key] = (ack, destination);
        _ackOrder.Enqueue(key);
        while (_ackOrder.Count > MaxRememberedAcks && _ackOrder.TryDequeue(out string? old))
        {
            _acks.TryRemove(old, out _);
        }

        _ = SendAckQuietlyAsync(ack, destination);
    }

    private async Task SendAckQuietlyAsync(SipRequest ack, SipTransportAddress destination)
    {
        try
        {
            await Transactions.SendAckAsync(ack, destination).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or InvalidOperationException)
        {
            SipLog.SendFailed(_logger, e, destination.ToString());
        }
    }

    private void OnUnmatchedResponse(SipResponse response, SipTransportAddress source)
    {
        // A 2xx retransmitted after the INVITE transaction ended: ACK it again.
        if (response.IsSuccess && response.Headers.CSeq?.Method == SipMethod.Invite && _acks.TryGetValue(AckKey(response), out var known))
        {
            _ = SendAckQuietlyAsync(known.Ack, known.To);
        }
    }

    private static string AckKey(SipResponse response) =>
        response.Headers.CallId + "|" + response.Headers.CSeq?.Number.ToString(CultureInfo.InvariantCulture) + "|" + response.Headers.To?.Tag;

    // ---- inbound ----

    private void OnRequest(SipServerTransaction tx) => _ = DispatchAsync(tx);

    private async Task DispatchAsync(SipServerTransaction tx)
    {
        SipRequest request = tx.Request;
        SipDialog? dialog = null;
        try
        {
            if (request.Headers.To?.Tag is not null)
            {
                dialog = Dialogs.Find(request);
                if (dialog is null && request.Method == SipMethod.Notify && TryGetHandler(request, out SipRequestHandler? notify))
                {
                    // RFC 6665 §4.1.2.4: a NOTIFY may overtake the 2xx to SUBSCRIBE; its handler creates the dialog
                    // (or answers 481 itself).
                    await notify(tx, null).ConfigureAwait(false);
                    return;
                }

                if (dialog is null)
                {
                    // RFC 3261 §12.2.2: a request for a dialog we do not have.
                    tx.Respond(SipMessageBuilder.ResponseTo(request, 481).BuildResponse());
                    return;
                }

                if (dialog.CheckRemoteRequest(request) == SipDialogRequestCheck.CSeqOutOfOrder)
                {
                    tx.Respond(SipMessageBuilder.ResponseTo(request, 500, "Server Internal Error - CSeq out of order").BuildResponse());
                    return;
                }

                if (request.Method == SipMethod.Bye)
                {
                    Dialogs.Remove(dialog);
                }
            }

            if (TryGetHandler(request, out SipRequestHandler? handler))
            {
                await handler(tx, dialog).ConfigureAwait(false);
                return;
            }

            if (request.Method == SipMethod.Notify && !_notifyHandlers.IsEmpty)
            {
                // RFC 6665 §8.2.1: an event package nobody here subscribed to.
                tx.Respond(SipMessageBuilder.ResponseTo(request, 489).BuildResponse());
                return;
            }

            if (request.Method == SipMethod.Bye && dialog is not null)
            {
                tx.Respond(SipMessageBuilder.ResponseTo(request, 200).BuildResponse());
                return;
            }

            SipLog.NotImplemented(_logger, request.MethodName, tx.Source.ToString());
            SipMessageBuilder b = SipMessageBuilder.ResponseTo(request, 501, toTag: request.Headers.To?.Tag is null ? NewTag() : null);
            b.Add(SipHeaderId.Allow, string.Join(", ", _handlers.Keys.Append("ACK").Append("CANCEL").Order(StringComparer.Ordinal)));
            tx.Respond(b.BuildResponse());
        }
        catch (Exception e)
        {
            SipLog.HandlerFailed(_logger, e, request.MethodName);
            tx.Respond(SipMessageBuilder.ResponseTo(request, 500).BuildResponse());
        }
    }
}
