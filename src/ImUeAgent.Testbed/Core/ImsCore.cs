// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Threading.Channels;
using ImUeAgent.Sip.Message;
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Testbed.Core;

/// <summary>
/// The software IMS core: P-CSCF, S-CSCF (registrar, reg event notifier, proxy) and HSS in one process, on loopback
/// UDP and TCP. Everything runs on one event loop fed by the sockets, the timers (from the <see cref="TimeProvider"/>)
/// and the control channel, so the state needs no locks and a fake clock drives expiry deterministically. Requests
/// the core answers itself are remembered per branch for 64·T1 so a retransmission gets the same response
/// (RFC 3261 §17.2); requests between UEs are relayed statelessly (§16.11) with a branch derived from the incoming
/// one, so CANCEL and the ACK of a non-2xx reach the same downstream transaction.
/// </summary>
internal sealed partial class ImsCore : IImsCoreUaServices, IAsyncDisposable
{
    private const string LocalBranchPrefix = "z9hG4bK-tbl-";
    private const string ProxyBranchPrefix = "z9hG4bK-tbp-";

    private readonly CoreSettings _settings;
    private readonly Hss _hss;
    private readonly SipMessageLog _log;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly IReadOnlyList<IApplicationServer> _applicationServers;
    private readonly Channel<CoreEvent> _events = Channel.CreateUnbounded<CoreEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, CachedResponse> _responses = new(StringComparer.Ordinal);
    private readonly Queue<CoreControlCommand> _registerFaults = new();
    private readonly List<string?> _dropNext = [];
    private SipTransport _transport = null!;
    private IPAddress _advertised = IPAddress.Loopback;
    private Task _loop = Task.CompletedTask;

    private ImsCore(CoreSettings settings, Hss hss, SipMessageLog log, ILogger logger, TimeProvider time, IReadOnlyList<IApplicationServer> applicationServers)
    {
        _settings = settings;
        _hss = hss;
        _log = log;
        _logger = logger;
        _time = time;
        _applicationServers = applicationServers;
    }

    public CoreSettings Settings => _settings;

    public IPEndPoint? UdpEndPoint => _transport.UdpEndPoint;

    public IPEndPoint? TcpEndPoint => _transport.TcpEndPoint;

    /// <summary>The Service-Route URI handed out in 200 OK to REGISTER (TS 24.229 §5.4.1.2.2).</summary>
    public string ServiceRoute => $"sip:orig@{_settings.EffectiveScscfHost};lr";

    /// <summary>Binds the sockets (port 0 picks one) and starts the event loop.</summary>
    public static ImsCore Start(CoreSettings settings, Hss hss, SipMessageLog log, ILogger logger, TimeProvider time,
        IPEndPoint? udp, IPEndPoint? tcp, IReadOnlyList<IApplicationServer>? applicationServers = null)
    {
        if (udp is null && tcp is null)
        {
            throw new ArgumentException("at least one of UDP and TCP is needed");
        }

        var core = new ImsCore(settings, hss, log, logger, time, applicationServers ?? []);
        core._transport = SipTransport.Bind(udp, tcp, log, logger, core.DeliverAsync);
        var bound = (udp ?? tcp)!.Address;
        core._advertised = bound.Equals(IPAddress.Any) ? IPAddress.Loopback : bound.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback : bound;
        foreach (var server in core._applicationServers)
        {
            (server as IProxyingApplicationServer)?.Attach(core);
        }

        core._loop = Task.Run(() => core.RunLoopAsync(core._stop.Token));
        core._transport.Start();
        return core;
    }

    /// <summary>Carries out one control line on the event loop; "OK …" or "ERROR …".</summary>
    public async Task<string> ControlAsync(string line, CancellationToken cancellationToken)
    {
        var error = CoreControlCommand.TryParse(line, out var command);
        string answer;
        if (error != CoreControlError.None)
        {
            answer = "ERROR " + CoreControlCommand.Describe(error);
        }
        else
        {
            var done = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_events.Writer.TryWrite(new ControlEvent(command, done)))
            {
                return "ERROR core stopped";
            }

            answer = await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        _logger.ControlCommand(Modem.Transcript.Printable(line), answer);
        return answer;
    }

    public async ValueTask DisposeAsync()
    {
        _events.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        await _transport.DisposeAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }

        ForgetEverything();
        _stop.Dispose();
    }

    // ---- IImsCoreServices ----

    public async ValueTask RespondAsync(SipRequest request, SipFlow flow, int statusCode, string? reasonPhrase = null,
        Action<SipMessageBuilder>? addHeaders = null, CancellationToken cancellationToken = default)
    {
        var builder = CreateResponse(request, flow, statusCode, reasonPhrase);
        addHeaders?.Invoke(builder);
        await SendResponseAsync(request, builder.BuildResponse(), flow, cancellationToken).ConfigureAwait(false);
    }

    public bool IsRegistered(SipUri impu) =>
        _hss.FindByImpu(impu) is { } subscriber && _registrations.TryGetValue(subscriber.Impi, out var r) && r.Bindings.Count > 0;

    // ---- Event loop ----

    private ValueTask DeliverAsync(InboundSipMessage inbound) => _events.Writer.WriteAsync(new InboundEvent(inbound), _stop.Token);

    /// <summary>Runs <paramref name="action"/> on the event loop after <paramref name="due"/> of the core's clock.</summary>
    private ITimer Schedule(TimeSpan due, Func<CancellationToken, ValueTask> action) =>
        _time.CreateTimer(_ => _events.Writer.TryWrite(new TimerEvent(action)), null, due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);

    private async Task RunLoopAsync(CancellationToken cancellationToken)
    {
        await foreach (var item in _events.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                switch (item)
                {
                    case InboundEvent inbound:
                        await OnInboundAsync(inbound.Inbound, cancellationToken).ConfigureAwait(false);
                        break;
                    case TimerEvent timer:
                        await timer.Action(cancellationToken).ConfigureAwait(false);
                        break;
                    case ControlEvent control:
                        control.Answer.TrySetResult(await ApplyControlAsync(control.Command, cancellationToken).ConfigureAwait(false));
                        break;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                // One bad event must not stop the core; the log says which.
                _logger.EventFailed(exception);
                if (item is ControlEvent failed)
                {
                    failed.Answer.TrySetResult("ERROR " + exception.GetType().Name);
                }
            }
        }
    }

    private async ValueTask OnInboundAsync(InboundSipMessage inbound, CancellationToken cancellationToken)
    {
        if (inbound.Error != SipParseError.None)
        {
            // RFC 3261 §21.4.1 / STYLE.md §4: a framed request that fails a check gets 400 naming the problem;
            // a bad response is dropped (§18.1.2).
            if (inbound.Message is SipRequest bad && bad.Method != SipMethod.Ack && bad.Headers.TopVia is not null)
            {
                var (status, reason) = SipRejection.GetResponse(inbound.Error, inbound.ErrorHeader);
                await RespondAsync(bad, inbound.Flow, status, reason, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        if (inbound.Message is SipResponse response)
        {
            await OnResponseAsync(response, inbound.Flow, cancellationToken).ConfigureAwait(false);
            return;
        }

        var request = (SipRequest)inbound.Message!;
        await OnRequestAsync(request, inbound.Flow, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask OnRequestAsync(SipRequest request, SipFlow flow, CancellationToken cancellationToken)
    {
        var (missing, header) = request.CheckRequiredHeaders();
        if (missing != SipParseError.None)
        {
            if (request.Method != SipMethod.Ack && request.Headers.TopVia is not null)
            {
                var (status, reason) = SipRejection.GetResponse(missing, header);
                await RespondAsync(request, flow, status, reason, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        var via = request.Headers.TopVia!;
        if (!via.IsRfc3261Branch)
        {
            // The response cache and the stateless branch derivation both need an RFC 3261 branch (§8.1.1.7).
            if (request.Method != SipMethod.Ack)
            {
                await RespondAsync(request, flow, 400, "Bad Request - Via lacks an RFC 3261 branch", cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        // RFC 3261 §17.2.3: a retransmission matches on branch, sent-by and method (ACK matches its INVITE).
        PruneResponses();
        var key = TransactionKey(via, request.Method == SipMethod.Ack ? "INVITE" : request.MethodName);
        if (_responses.TryGetValue(key, out var cached))
        {
            if (request.Method != SipMethod.Ack)
            {
                await SendAsync(cached.Response, flow, cancellationToken).ConfigureAwait(false);
            }

            // An ACK of a non-2xx final response the core sent is absorbed by its server transaction (§17.2.1).
            return;
        }

        if (request.Headers.MaxForwards is 0 && request.Method != SipMethod.Ack)
        {
            await RespondAsync(request, flow, 483, cancellationToken: cancellationToken).ConfigureAwait(false);
            return;
        }

        switch (request.Method)
        {
            case SipMethod.Register when IsOwnDomain(request.RequestUri):
                await OnRegisterAsync(request, flow, cancellationToken).ConfigureAwait(false);
                return;
            case SipMethod.Subscribe when IsRegEventSubscribe(request):
                await OnRegSubscribeAsync(request, flow, cancellationToken).ConfigureAwait(false);
                return;
            case SipMethod.Options when request.RequestUri.User is null && IsOwnUri(request.RequestUri):
                await RespondAsync(request, flow, 200, addHeaders: b => b.Add(SipHeaderId.Allow, "REGISTER, SUBSCRIBE, NOTIFY, OPTIONS, INVITE, ACK, BYE, CANCEL, MESSAGE, PUBLISH, INFO, UPDATE, PRACK, REFER"),
                    cancellationToken: cancellationToken).ConfigureAwait(false);
                return;
            default:
                await RelayRequestAsync(request, flow, cancellationToken).ConfigureAwait(false);
                return;
        }
    }

    private async ValueTask OnResponseAsync(SipResponse response, SipFlow flow, CancellationToken cancellationToken)
    {
        var top = response.Headers.TopVia;
        if (top?.Branch is not { } branch)
        {
            return;
        }

        if (branch.StartsWith(LocalBranchPrefix, StringComparison.Ordinal))
        {
            await OnLocalTransactionResponseAsync(branch, response, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (branch.StartsWith(ProxyBranchPrefix, StringComparison.Ordinal))
        {
            await RelayResponseAsync(response, cancellationToken).ConfigureAwait(false);
        }

        // RFC 3261 §18.1.2: a response whose top Via is not ours is discarded.
        _ = flow;
    }

    // ---- Responses ----

    /// <summary>A response to <paramref name="request"/> per RFC 3261 §8.2.6.2, with received/rport on the top Via
    /// (RFC 3261 §18.2.1, RFC 3581 §4) and a To tag.</summary>
    private SipMessageBuilder CreateResponse(SipRequest request, SipFlow flow, int statusCode, string? reasonPhrase = null, string? toTag = null)
    {
        var builder = SipMessageBuilder.Response(statusCode, reasonPhrase);
        AddVias(builder, request, flow, skipTop: false);
        builder.CopyAll(request, SipHeaderId.From);
        if (request.Headers.TryGetFirst(SipHeaderId.To, out var to))
        {
            if (request.Headers.To?.Tag is null && statusCode != 100)
            {
                builder.Add(SipHeaderId.To, to.Value + ";tag=" + (toTag ?? NewToken(8)));
            }
            else
            {
                builder.AddRaw(to);
            }
        }

        builder.CopyAll(request, SipHeaderId.CallId);
        builder.CopyAll(request, SipHeaderId.CSeq);
        builder.Add(SipHeaderId.Server, _settings.ServerName);
        return builder;
    }

    /// <summary>Copies the Via values, the top one with received (when the source differs from sent-by, or rport
    /// was asked) and rport=port (when asked), RFC 3581 §4.</summary>
    private static void AddVias(SipMessageBuilder builder, SipMessage message, SipFlow? source, bool skipTop)
    {
        var vias = message.Headers.Via;
        for (var i = skipTop ? 1 : 0; i < vias.Count; i++)
        {
            var via = vias[i];
            if (i == 0 && source is { } flow && via.Branch is { } branch)
            {
                var more = via.Parameters.Where(p => p.Name is not ("branch" or "rport" or "received")).ToList();
                var address = flow.Remote.Address.ToString();
                var host = via.Host.Trim('[', ']');
                if (via.HasRPort || !string.Equals(host, address, StringComparison.OrdinalIgnoreCase))
                {
                    more.Add(new SipParameter("received", address));
                }

                if (via.HasRPort)
                {
                    more.Add(new SipParameter("rport", flow.Remote.Port.ToString(CultureInfo.InvariantCulture)));
                }

                builder.Via(new ViaValue(via.Transport, via.Host, via.Port, branch, rport: false, more));
            }
            else
            {
                builder.Add(SipHeaderId.Via, via.ToString());
            }
        }
    }

    /// <summary>Sends a response the core generated, remembering it for retransmissions of the request.</summary>
    private async ValueTask SendResponseAsync(SipRequest request, SipResponse response, SipFlow flow, CancellationToken cancellationToken)
    {
        if (response.StatusCode >= 200 && request.Headers.TopVia is { IsRfc3261Branch: true } via)
        {
            // RFC 3261 §17.2.1/§17.2.2: Timer J / H = 64·T1 for unreliable transports; kept as long for TCP too.
            _responses[TransactionKey(via, request.MethodName)] = new CachedResponse(response, _time.GetUtcNow() + (64 * _settings.T1));
        }

        if (response.StatusCode >= 300)
        {
            _logger.Rejected(flow.ToString(), response.StatusCode, response.ReasonPhrase);
        }

        await SendAsync(response, flow, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends a message, unless it is a response the `drop next` fault withholds.</summary>
    private async ValueTask<bool> SendAsync(SipMessage message, SipFlow flow, CancellationToken cancellationToken)
    {
        if (message is SipResponse response && TakeDrop(response))
        {
            _log.Dropped(flow.Transport, flow.Remote, message);
            _logger.FaultApplied($"response {response.StatusCode} to {response.Headers.CSeq?.MethodName} dropped");
            return true;
        }

        return await _transport.SendAsync(message, flow, cancellationToken).ConfigureAwait(false);
    }

    private bool TakeDrop(SipResponse response)
    {
        var method = response.Headers.CSeq?.MethodName;
        for (var i = 0; i < _dropNext.Count; i++)
        {
            if (_dropNext[i] is null || string.Equals(_dropNext[i], method, StringComparison.Ordinal))
            {
                _dropNext.RemoveAt(i);
                return true;
            }
        }

        return false;
    }

    private void PruneResponses()
    {
        if (_responses.Count < 64)
        {
            return;
        }

        var now = _time.GetUtcNow();
        foreach (var (key, value) in _responses.ToList())
        {
            if (value.Until <= now)
            {
                _responses.Remove(key);
            }
        }
    }

    private static string TransactionKey(ViaValue via, string method) => via.Branch + "|" + via.SentBy.ToLowerInvariant() + "|" + method;

    // ---- Own addresses ----

    private bool IsOwnDomain(SipUri uri) =>
        uri.Scheme is SipUriScheme.Sip or SipUriScheme.Sips && (string.Equals(uri.Host, _settings.Domain, StringComparison.OrdinalIgnoreCase) || IsOwnUri(uri));

    /// <summary>A URI that names this core: the domain, the P-CSCF or S-CSCF host name, or one of its sockets.</summary>
    private bool IsOwnUri(SipUri uri)
    {
        if (uri.Scheme is not (SipUriScheme.Sip or SipUriScheme.Sips))
        {
            return false;
        }

        var host = uri.Host.Trim('[', ']');
        if (string.Equals(host, _settings.Domain, StringComparison.OrdinalIgnoreCase)
            || string.Equals(host, _settings.EffectiveScscfHost, StringComparison.OrdinalIgnoreCase)
            || string.Equals(host, _settings.EffectivePcscfHost, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (!IPAddress.TryParse(host, out var address) || !(address.Equals(_advertised) || (IPAddress.IsLoopback(address) && IPAddress.IsLoopback(_advertised))))
        {
            return false;
        }

        var port = uri.Port ?? 5060;
        return port == UdpEndPoint?.Port || port == TcpEndPoint?.Port;
    }

    /// <summary>The core's own Via/Contact/Record-Route URI for a transport.</summary>
    private (string Host, int Port) LocalAddress(SipTransportKind transport)
    {
        var endPoint = transport == SipTransportKind.Tcp ? TcpEndPoint ?? UdpEndPoint! : UdpEndPoint ?? TcpEndPoint!;
        var host = _advertised.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "[" + _advertised + "]" : _advertised.ToString();
        return (host, endPoint.Port);
    }

    private SipUri LocalUri(SipTransportKind transport, string? user = null)
    {
        var (host, port) = LocalAddress(transport);
        var transportParameter = transport == SipTransportKind.Tcp ? ";transport=tcp" : string.Empty;
        return SipUri.Parse($"sip:{(user is null ? string.Empty : user + "@")}{host}:{port.ToString(CultureInfo.InvariantCulture)}{transportParameter}");
    }

    private static T? FirstOf<T>(IReadOnlyList<T> list)
        where T : class => list.Count > 0 ? list[0] : null;

    private static string NewToken(int bytes) => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes));

    // ---- Control ----

    private async ValueTask<string> ApplyControlAsync(CoreControlCommand command, CancellationToken cancellationToken)
    {
        switch (command.Verb)
        {
            case CoreControlVerb.DropNext:
                _dropNext.Add(command.Text);
                return "OK";
            case CoreControlVerb.ServiceUnavailable or CoreControlVerb.IntervalTooBrief or CoreControlVerb.Forbidden:
                _registerFaults.Enqueue(command);
                return "OK";
            case CoreControlVerb.Deregister:
                return await NetworkDeregisterAsync(command.Uri!, command.Text == "rejected" ? "rejected" : "deactivated", cancellationToken).ConfigureAwait(false);
            case CoreControlVerb.Shorten:
                return await ShortenAsync(command.Uri!, command.Number!.Value, cancellationToken).ConfigureAwait(false);
            case CoreControlVerb.Desync or CoreControlVerb.MacFailure:
                return _hss.ApplyFault(command);
            case CoreControlVerb.Restart:
                ForgetEverything();
                _transport.CloseConnections();
                _logger.FaultApplied("P-CSCF restart: registrations, subscriptions and connections forgotten");
                return "OK";
            case CoreControlVerb.Contacts:
                if (_hss.FindByImpu(command.Uri!) is not { } owner)
                {
                    return "ERROR unknown public identity";
                }

                var bindings = _registrations.TryGetValue(owner.Impi, out var registration) ? registration.Bindings : [];
                var now = _time.GetUtcNow();
                return "OK " + bindings.Count.ToString(CultureInfo.InvariantCulture)
                    + string.Concat(bindings.Select(b => " " + b.Uri + ";expires=" + Remaining(b, now).ToString(CultureInfo.InvariantCulture)));
            case CoreControlVerb.Status:
                return string.Create(CultureInfo.InvariantCulture,
                    $"OK registered={_registrations.Values.Count(r => r.Bindings.Count > 0)} contacts={_registrations.Values.Sum(r => r.Bindings.Count)} subscriptions={_subscriptions.Count} connections={_transport.ConnectionCount} challenges={_challenges.Count} transactions={_clientTransactions.Count} faults={_registerFaults.Count + _dropNext.Count + _hss.PendingFaultCount}");
            case CoreControlVerb.Help:
                return "OK " + CoreControlCommand.HelpText;
            default:
                return "ERROR unknown command";
        }
    }

    private void ForgetEverything()
    {
        foreach (var registration in _registrations.Values)
        {
            foreach (var binding in registration.Bindings)
            {
                binding.Timer?.Dispose();
            }
        }

        foreach (var subscription in _subscriptions)
        {
            subscription.Timer?.Dispose();
        }

        foreach (var transaction in _clientTransactions.Values)
        {
            transaction.Dispose();
        }

        _registrations.Clear();
        _subscriptions.Clear();
        _clientTransactions.Clear();
        _challenges.Clear();
        _responses.Clear();
    }

    private abstract record CoreEvent;

    private sealed record InboundEvent(InboundSipMessage Inbound) : CoreEvent;

    private sealed record TimerEvent(Func<CancellationToken, ValueTask> Action) : CoreEvent;

    private sealed record ControlEvent(CoreControlCommand Command, TaskCompletionSource<string> Answer) : CoreEvent;

    private sealed record CachedResponse(SipResponse Response, DateTimeOffset Until);
}
