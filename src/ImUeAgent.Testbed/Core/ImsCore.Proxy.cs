// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Testbed.Core;

/// <summary>
/// P-CSCF and S-CSCF as a proxy between the registered UEs (RFC 3261 §16, TS 24.229 §5.2.6, §5.4.3). Stateless in
/// the sense of §16.11: the outgoing branch is a hash of the incoming one (CANCEL and non-2xx ACK hash like their
/// INVITE), and a response finds its way back by the Via the core stamped with received/rport, so nothing is kept
/// per request and a `restart` loses nothing but registrations.
/// </summary>
internal sealed partial class ImsCore
{
    private async ValueTask RelayRequestAsync(SipRequest request, SipFlow flow, CancellationToken cancellationToken)
    {
        var routes = request.Headers.Route;
        var own = 0;
        var sawServiceRoute = false;
        while (own < routes.Count && IsOwnUri(routes[own].Uri))
        {
            sawServiceRoute |= IsServiceRoute(routes[own].Uri);
            own++;
        }

        var remainingRoutes = routes.Skip(own).ToList();
        var isAck = request.Method == SipMethod.Ack;
        var initial = request.Headers.To!.Tag is null && request.Method is not (SipMethod.Ack or SipMethod.Cancel);

        Subscriber? originator = null;
        string? assertedIdentity = null;
        if (initial)
        {
            // TS 24.229 §5.2.6.3.1: the P-CSCF serves only registered UEs and asserts their identity (RFC 3325).
            var preferred = FirstOf(request.Headers.PPreferredIdentity)?.Uri;
            originator = _hss.FindByImpu(preferred ?? request.Headers.From!.Uri);
            if (originator is null || !_registrations.TryGetValue(originator.Impi, out var originRegistration) || originRegistration.Bindings.Count == 0)
            {
                await RespondAsync(request, flow, 403, "Forbidden - Not registered", cancellationToken: cancellationToken).ConfigureAwait(false);
                return;
            }

            // TS 24.229 §5.1.2A.1.1: the UE puts the Service-Route it learnt at registration into Route.
            if (_settings.RequireServiceRoute && !sawServiceRoute)
            {
                await RespondAsync(request, flow, 403, "Forbidden - Route lacks the Service-Route", cancellationToken: cancellationToken).ConfigureAwait(false);
                return;
            }

            assertedIdentity = AssertedIdentityFor(request, originator);
            if (await OfferAsync(new ApplicationServerRequest(request, flow, ServedDirection.Originating, originator, true), cancellationToken).ConfigureAwait(false))
            {
                return;
            }
        }

        SipUri target = request.RequestUri;
        SipFlow outFlow;
        ApplicationServerRequest? terminating = null;
        if (remainingRoutes.Count > 0)
        {
            // §16.12 loose routing: the Request-URI stays, the next hop is the first Route.
            if (!TryDirectFlow(remainingRoutes[0].Uri, flow.Transport, out outFlow))
            {
                await RejectUnlessAckAsync(request, flow, 404, "Not Found - Next hop is not an address", cancellationToken).ConfigureAwait(false);
                return;
            }
        }
        else if (FindBindingByContact(request.RequestUri) is { } direct)
        {
            // In-dialog requests and requests aimed at a registered contact.
            outFlow = FlowTowards(direct.Uri, direct.Flow);
        }
        else if (_hss.FindByImpu(request.RequestUri) is { } callee)
        {
            var registration = _registrations.GetValueOrDefault(callee.Impi);
            var registered = registration is { Bindings.Count: > 0 };
            terminating = new ApplicationServerRequest(request, flow, ServedDirection.Terminating, callee, registered);
            if (initial && await OfferAsync(terminating, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            if (!registered)
            {
                await RejectUnlessAckAsync(request, flow, 480, null, cancellationToken).ConfigureAwait(false);
                return;
            }

            // TS 24.229 §5.4.3.3: the S-CSCF retargets to a registered contact; the most recent one is chosen (no forking).
            var binding = registration!.Bindings.MaxBy(b => b.Order)!;
            target = binding.Uri;
            outFlow = FlowTowards(binding.Uri, binding.Flow);
        }
        else if (request.RequestUri.User is not null && IsOwnUri(request.RequestUri)
            && await OfferAsync(new ApplicationServerRequest(request, flow, ServedDirection.Terminating, null, false), cancellationToken).ConfigureAwait(false))
        {
            // A URI an application server handed out as its Contact (TS 24.229 §5.7.3: the AS as a UA): the in-dialog
            // requests (ACK, BYE) of the dialogs it holds reach it here (ServedUser null).
            return;
        }
        else if (!IsOwnDomain(request.RequestUri) && TryDirectFlow(request.RequestUri, flow.Transport, out outFlow))
        {
            // A URI with an IP address that is no registered contact: sent as addressed.
        }
        else
        {
            await RejectUnlessAckAsync(request, flow, 404, null, cancellationToken).ConfigureAwait(false);
            return;
        }

        var forwarded = BuildForwardedRequest(request, flow, target, outFlow, remainingRoutes, initial, assertedIdentity);
        if (initial && terminating is not null)
        {
            // TS 24.229 §5.7.4: an application server acting as a proxy may change the request it lets through.
            foreach (var server in _applicationServers)
            {
                if (server is IProxyingApplicationServer proxying)
                {
                    forwarded = proxying.RewriteTerminating(terminating, forwarded);
                }
            }
        }

        if (!await SendAsync(forwarded, outFlow, cancellationToken).ConfigureAwait(false) && !isAck)
        {
            // RFC 3261 §16.9: a transport error towards the target is a 503 upstream (stateless: sent at once).
            await RespondAsync(request, flow, 503, "Service Unavailable - Target unreachable", cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    private SipRequest BuildForwardedRequest(SipRequest request, SipFlow inFlow, SipUri target, SipFlow outFlow, List<NameAddress> remainingRoutes,
        bool initial, string? assertedIdentity)
    {
        var (host, port) = LocalAddress(outFlow.Transport);
        var builder = SipMessageBuilder.Request(request.MethodName, target)
            .Via(new ViaValue(outFlow.TransportToken, host, port, ProxyBranch(request), rport: true));
        AddVias(builder, request, inFlow, skipTop: false);
        if (initial && request.Method is SipMethod.Invite or SipMethod.Subscribe or SipMethod.Refer)
        {
            // §16.6 step 4 so in-dialog requests come back through the core; RFC 5658 double Record-Route when the
            // two sides use different transports (the callee sees the top entry, the caller the bottom one).
            builder.Add(SipHeaderId.RecordRoute, "<" + LocalUri(outFlow.Transport) + ";lr>");
            if (outFlow.Transport != inFlow.Transport)
            {
                builder.Add(SipHeaderId.RecordRoute, "<" + LocalUri(inFlow.Transport) + ";lr>");
            }
        }

        foreach (var route in remainingRoutes)
        {
            builder.Route(route);
        }

        var maxForwards = request.Headers.MaxForwards is { } hops ? hops - 1 : 70;
        builder.MaxForwards(Math.Clamp(maxForwards, 0, 255));
        foreach (var header in request.Headers)
        {
            var skip = header.Id is SipHeaderId.Via or SipHeaderId.Route or SipHeaderId.MaxForwards or SipHeaderId.ContentLength or SipHeaderId.ContentType
                || (assertedIdentity is not null && header.Id is SipHeaderId.PPreferredIdentity or SipHeaderId.PAssertedIdentity);
            if (!skip)
            {
                builder.AddRaw(header);
            }
        }

        if (assertedIdentity is not null)
        {
            builder.Add(SipHeaderId.PAssertedIdentity, "<" + assertedIdentity + ">");
        }

        AddBody(builder, request);
        return builder.BuildRequest();
    }

    private async ValueTask RelayResponseAsync(SipResponse response, CancellationToken cancellationToken)
    {
        var vias = response.Headers.Via;
        if (vias.Count < 2)
        {
            return;
        }

        // §16.7 step 9 / §18.2.2: the next Via (with the received/rport the core stamped) says where to.
        var next = vias[1];
        if (!IPAddress.TryParse(next.Received ?? next.Host.Trim('[', ']'), out var address))
        {
            return;
        }

        var kind = string.Equals(next.Transport, "TCP", StringComparison.OrdinalIgnoreCase) ? SipTransportKind.Tcp : SipTransportKind.Udp;
        var remote = new IPEndPoint(address, next.RPort ?? next.Port ?? 5060);
        var builder = SipMessageBuilder.Response(response.StatusCode, response.ReasonPhrase);
        AddVias(builder, response, null, skipTop: true);
        foreach (var header in response.Headers)
        {
            if (header.Id is not (SipHeaderId.Via or SipHeaderId.ContentLength or SipHeaderId.ContentType))
            {
                builder.AddRaw(header);
            }
        }

        AddBody(builder, response);
        await SendAsync(builder.BuildResponse(), new SipFlow(kind, remote, 0), cancellationToken).ConfigureAwait(false);
    }

    private static void AddBody(SipMessageBuilder builder, SipMessage message)
    {
        if (message.Headers.ContentType is { } contentType)
        {
            builder.Body(contentType, message.Body);
        }
        else if (!message.Body.IsEmpty)
        {
            builder.Body(new MediaType("application", "octet-stream"), message.Body);
        }
    }

    private async ValueTask RejectUnlessAckAsync(SipRequest request, SipFlow flow, int status, string? reason, CancellationToken cancellationToken)
    {
        // RFC 3261 §17: an ACK is never answered.
        if (request.Method != SipMethod.Ack)
        {
            await RespondAsync(request, flow, status, reason, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>RFC 3325 §9.1 / TS 24.229 §5.2.6.3.1: the P-Preferred-Identity when it is one of the originator's
    /// identities, else its default public identity.</summary>
    private string AssertedIdentityFor(SipRequest request, Subscriber originator)
    {
        var preferred = FirstOf(request.Headers.PPreferredIdentity)?.Uri;
        return preferred is not null && _hss.FindByImpu(preferred) == originator ? preferred.ToString() : originator.Impus[0];
    }

    // ---- IImsCoreUaServices: application servers acting as UAs (TS 24.229 §5.7.3) ----

    public string Domain => _settings.Domain;

    public string? AssertedIdentityOf(SipRequest request)
    {
        var preferred = FirstOf(request.Headers.PPreferredIdentity)?.Uri;
        return _hss.FindByImpu(preferred ?? request.Headers.From!.Uri) is { } originator ? AssertedIdentityFor(request, originator) : null;
    }

    public Subscriber? FindSubscriber(SipUri impu) => _hss.FindByImpu(impu);

    public async ValueTask<SipResponse> AnswerAsync(SipRequest request, SipFlow flow, int statusCode, string toTag, Action<SipMessageBuilder>? addHeaders = null,
        CancellationToken cancellationToken = default)
    {
        var builder = CreateResponse(request, flow, statusCode, toTag: toTag);
        addHeaders?.Invoke(builder);
        var response = builder.BuildResponse();
        await SendResponseAsync(request, response, flow, cancellationToken).ConfigureAwait(false);
        return response;
    }

    public SipUri ApplicationServerUri(string user, SipTransportKind transport) => LocalUri(transport, user);

    public Task<ApplicationServerOutcome> SendRequestAsync(ApplicationServerOutbound outbound, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outbound);
        var done = new TaskCompletionSource<ApplicationServerOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        // The core's state belongs to its event loop: the request is built and sent there.
        if (!_events.Writer.TryWrite(new TimerEvent(token => StartApplicationServerRequestAsync(outbound, done, token))))
        {
            done.TrySetResult(new ApplicationServerOutcome(null, null, ApplicationServerFailure.CoreStopped));
        }

        return done.Task.WaitAsync(cancellationToken);
    }

    private async ValueTask StartApplicationServerRequestAsync(ApplicationServerOutbound outbound, TaskCompletionSource<ApplicationServerOutcome> done,
        CancellationToken cancellationToken)
    {
        SipUri requestUri;
        SipFlow flow;
        if (outbound.ToRegisteredContact)
        {
            // TS 24.229 §5.4.3.3: retarget to the most recent registered contact of the public identity.
            if (_hss.FindByImpu(outbound.Target) is not { } subscriber || !_registrations.TryGetValue(subscriber.Impi, out var registration)
                || registration.Bindings.Count == 0)
            {
                done.TrySetResult(new ApplicationServerOutcome(null, null, ApplicationServerFailure.NotRegistered));
                return;
            }

            var binding = registration.Bindings.MaxBy(b => b.Order)!;
            requestUri = binding.Uri;
            flow = FlowTowards(binding.Uri, binding.Flow);
        }
        else if (FindBindingByContact(outbound.Target) is { } contact)
        {
            requestUri = outbound.Target;
            flow = FlowTowards(outbound.Target, contact.Flow);
        }
        else if (TryDirectFlow(outbound.Target, SipTransportKind.Udp, out flow))
        {
            requestUri = outbound.Target;
        }
        else
        {
            done.TrySetResult(new ApplicationServerOutcome(null, null, ApplicationServerFailure.NoRoute));
            return;
        }

        var (host, port) = LocalAddress(flow.Transport);
        var builder = SipMessageBuilder.Request(outbound.Method, requestUri)
            .Via(new ViaValue(flow.TransportToken, host, port, outbound.Branch ?? LocalBranchPrefix + NewToken(8), rport: true))
            .MaxForwards();
        outbound.AddHeaders(builder, flow.Transport);
        if (outbound.ContentType is { } contentType)
        {
            builder.Body(contentType, outbound.Body);
        }

        var request = builder.BuildRequest();
        if (request.Method == SipMethod.Ack)
        {
            // RFC 3261 §17.1.1.3 / §13.2.2.4: an ACK has no transaction and no response.
            var sent = await _transport.SendAsync(request, flow, cancellationToken).ConfigureAwait(false);
            done.TrySetResult(new ApplicationServerOutcome(request, null, sent ? ApplicationServerFailure.None : ApplicationServerFailure.TransportError));
            return;
        }

        await StartClientTransactionAsync(request, flow, async (response, token) =>
        {
            if (response is null)
            {
                done.TrySetResult(new ApplicationServerOutcome(request, null, ApplicationServerFailure.Timeout));
                return;
            }

            if (request.Method == SipMethod.Invite && response.StatusCode >= 300)
            {
                // RFC 3261 §17.1.1.3: the INVITE client transaction acknowledges a non-2xx final response itself.
                await _transport.SendAsync(NonSuccessAck(request, response), flow, token).ConfigureAwait(false);
            }

            done.TrySetResult(new ApplicationServerOutcome(request, response, ApplicationServerFailure.None));
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>RFC 3261 §17.1.1.3: same Request-URI, top Via, From, Call-ID and CSeq number as the INVITE, To of the
    /// response, Route copied.</summary>
    private static SipRequest NonSuccessAck(SipRequest invite, SipResponse response)
    {
        var builder = SipMessageBuilder.Request(SipMethod.Ack, invite.RequestUri);
        builder.AddRaw(invite.Headers.GetAll(SipHeaderId.Via).First());
        builder.CopyAll(invite, SipHeaderId.Route);
        builder.MaxForwards();
        builder.CopyAll(invite, SipHeaderId.From);
        builder.CopyAll(response, SipHeaderId.To);
        builder.CopyAll(invite, SipHeaderId.CallId);
        builder.CSeq(invite.Headers.CSeq!.Number, SipMethod.Ack);
        return builder.BuildRequest();
    }

    private async ValueTask<bool> OfferAsync(ApplicationServerRequest request, CancellationToken cancellationToken)
    {
        foreach (var server in _applicationServers)
        {
            if (await server.TryHandleAsync(request, this, cancellationToken).ConfigureAwait(false))
            {
                return true;
            }
        }

        return false;
    }

    private bool IsServiceRoute(SipUri uri) =>
        string.Equals(uri.User, "orig", StringComparison.Ordinal) && IsOwnUri(uri);

    private Binding? FindBindingByContact(SipUri uri)
    {
        foreach (var registration in _registrations.Values)
        {
            foreach (var binding in registration.Bindings)
            {
                if (binding.Uri.IsEquivalentTo(uri) || SameContactAddress(binding.Uri, uri))
                {
                    return binding;
                }
            }
        }

        return null;
    }

    /// <summary>Same user, host and port: a remote target may carry parameters the registered contact lacks.</summary>
    private static bool SameContactAddress(SipUri a, SipUri b) =>
        a.Scheme == b.Scheme && string.Equals(a.User, b.User, StringComparison.Ordinal)
        && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase) && (a.Port ?? 5060) == (b.Port ?? 5060);

    private static bool TryDirectFlow(SipUri uri, SipTransportKind fallback, out SipFlow flow)
    {
        flow = default;
        if (uri.Scheme is not (SipUriScheme.Sip or SipUriScheme.Sips) || !IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address))
        {
            return false;
        }

        var kind = uri.Transport?.ToLowerInvariant() switch
        {
            "tcp" => SipTransportKind.Tcp,
            "udp" => SipTransportKind.Udp,
            _ => fallback,
        };
        flow = new SipFlow(kind, new IPEndPoint(address, uri.Port ?? 5060), 0);
        return true;
    }

    /// <summary>§16.11: branch = magic cookie + hash of the incoming branch and sent-by; CANCEL and ACK hash as
    /// INVITE so they match the transaction the INVITE created downstream.</summary>
    private static string ProxyBranch(SipRequest request)
    {
        var via = request.Headers.TopVia!;
        var method = request.Method is SipMethod.Ack or SipMethod.Cancel ? "INVITE" : request.MethodName;
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(via.Branch + "|" + via.SentBy.ToLowerInvariant() + "|" + method), hash);
        return ProxyBranchPrefix + Convert.ToHexStringLower(hash[..12]);
    }
}

/// <summary>What an application server gets besides <see cref="IImsCoreServices"/> when it acts as a UA or stays on
/// the path of requests (TS 24.229 §5.7.3, §5.7.4): its own URIs, the originator's asserted identity, and a way to
/// send requests towards registered users and receive their final responses. Safe to call from any thread.</summary>
internal interface IImsCoreUaServices : IImsCoreServices
{
    /// <summary>The home domain.</summary>
    string Domain { get; }

    /// <summary>The P-Asserted-Identity the core gives an initial request from one of its registered UEs.</summary>
    string? AssertedIdentityOf(SipRequest request);

    Subscriber? FindSubscriber(SipUri impu);

    /// <summary>As <see cref="IImsCoreServices.RespondAsync"/> with a given To tag (the AS's side of a dialog it
    /// answers), returning the response sent. Call it on the event loop (from TryHandleAsync).</summary>
    ValueTask<SipResponse> AnswerAsync(SipRequest request, SipFlow flow, int statusCode, string toTag, Action<SipMessageBuilder>? addHeaders = null,
        CancellationToken cancellationToken = default);

    /// <summary>A URI on the core's socket whose requests are offered to the application servers (Contact of an AS
    /// dialog): <c>sip:USER@core-address:port</c>.</summary>
    SipUri ApplicationServerUri(string user, SipTransportKind transport);

    /// <summary>Sends a request and completes with its final response (an INVITE's non-2xx is acknowledged by the
    /// core; the 2xx is the caller's to ACK, RFC 3261 §13.2.2.4). An ACK completes once sent.</summary>
    Task<ApplicationServerOutcome> SendRequestAsync(ApplicationServerOutbound outbound, CancellationToken cancellationToken = default);
}

/// <summary>A request an application server originates. <paramref name="Target"/> is a public identity (sent to its
/// most recent registered contact) when <paramref name="ToRegisteredContact"/>, else a remote target (a Contact).
/// <paramref name="AddHeaders"/> writes everything after Via and Max-Forwards, told the transport chosen.</summary>
internal sealed record ApplicationServerOutbound(string Method, SipUri Target, bool ToRegisteredContact, Action<SipMessageBuilder, SipTransportKind> AddHeaders)
{
    public MediaType? ContentType { get; init; }

    public ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>A fixed branch (null: a fresh one).</summary>
    public string? Branch { get; init; }
}

internal enum ApplicationServerFailure
{
    None,
    NotRegistered,
    NoRoute,
    Timeout,
    TransportError,
    CoreStopped,
}

/// <summary>The request as sent and its final response (null on <paramref name="Failure"/> or for an ACK).</summary>
internal sealed record ApplicationServerOutcome(SipRequest? Request, SipResponse? Response, ApplicationServerFailure Failure);

/// <summary>Hooks for an application server that stays in the network's view beyond single requests: it is told of
/// new registrations (TS 24.229 §5.4.1.7 third-party registration) and may rewrite terminating requests the core
/// relays (§5.7.4, AS acting as a proxy).</summary>
internal interface IProxyingApplicationServer : IApplicationServer
{
    /// <summary>Called once when the core starts.</summary>
    void Attach(IImsCoreUaServices core);

    /// <summary>A contact of <paramref name="subscriber"/> was newly registered (on the event loop: keep it short).</summary>
    void OnRegistered(Subscriber subscriber);

    /// <summary>The request as the core is about to deliver it to a registered contact; return it or a changed copy.</summary>
    SipRequest RewriteTerminating(ApplicationServerRequest request, SipRequest forwarded);
}
