// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Net;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Testbed.Core;

/// <summary>The S-CSCF as notifier of the reg event package (RFC 3680, RFC 6665, TS 24.229 §5.4.2.1), and the
/// non-INVITE client transactions that carry its NOTIFY requests (RFC 3261 §17.1.2).</summary>
internal sealed partial class ImsCore
{
    /// <summary>RFC 3680 §6: default subscription duration when SUBSCRIBE has no Expires.</summary>
    private const uint DefaultRegEventExpires = 3761;

    private readonly List<RegSubscription> _subscriptions = [];
    private readonly Dictionary<string, ClientTransaction> _clientTransactions = new(StringComparer.Ordinal);

    private static bool IsRegEventSubscribe(SipRequest request) =>
        string.Equals(request.Headers.Event?.Token, "reg", StringComparison.OrdinalIgnoreCase);

    private async ValueTask OnRegSubscribeAsync(SipRequest request, SipFlow flow, CancellationToken cancellationToken)
    {
        var from = request.Headers.From!;
        var callId = request.Headers.CallId!;
        var requestedExpires = request.Headers.Expires ?? DefaultRegEventExpires;
        var now = _time.GetUtcNow();
        if (request.Headers.To!.Tag is { } toTag)
        {
            // A refresh or an unsubscribe inside the subscription's dialog (RFC 6665 §4.1.2.2, §4.1.2.3).
            var existing = _subscriptions.FirstOrDefault(s => s.CallId == callId && s.LocalTag == toTag && s.RemoteTag == from.Tag);
            if (existing is null)
            {
                await RespondAsync(request, flow, 481, cancellationToken: cancellationToken).ConfigureAwait(false);
                return;
            }

            var refreshed = Math.Min(requestedExpires, _settings.MaxSubscriptionExpires);
            await RespondAsync(request, flow, 200, addHeaders: b =>
            {
                b.Add(SipHeaderId.Expires, refreshed.ToString(CultureInfo.InvariantCulture));
                b.Add(SipHeaderId.Contact, "<" + LocalUri(flow.Transport) + ">");
            }, cancellationToken: cancellationToken).ConfigureAwait(false);
            existing.Flow = flow;
            await StartSubscriptionAsync(existing, refreshed, now, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (_hss.FindByImpu(request.RequestUri) is not { } subscriber)
        {
            await RespondAsync(request, flow, 404, cancellationToken: cancellationToken).ConfigureAwait(false);
            return;
        }

        // TS 24.229 §5.4.2.1.1: only the registered UE itself (any identity of its implicit set) may watch it.
        var watcher = FirstOf(request.Headers.PAssertedIdentity)?.Uri ?? FirstOf(request.Headers.PPreferredIdentity)?.Uri ?? from.Uri;
        if (!ReferenceEquals(_hss.FindByImpu(watcher), subscriber))
        {
            await RespondAsync(request, flow, 403, "Forbidden - Only the user may watch its registration", cancellationToken: cancellationToken).ConfigureAwait(false);
            return;
        }

        if (FirstOf(request.Headers.Contact)?.Uri is not { } remoteTarget || from.Tag is null)
        {
            await RespondAsync(request, flow, 400, "Bad Request - SUBSCRIBE needs a Contact and a From tag", cancellationToken: cancellationToken).ConfigureAwait(false);
            return;
        }

        if (request.Headers.Accept is { Count: > 0 } accept && !accept.Any(a => a.Is("application", "reginfo+xml") || a.Is("*", "*") || a.Is("application", "*")))
        {
            await RespondAsync(request, flow, 406, cancellationToken: cancellationToken).ConfigureAwait(false);
            return;
        }

        var subscription = new RegSubscription
        {
            Impi = subscriber.Impi,
            CallId = callId,
            LocalTag = NewToken(6),
            RemoteTag = from.Tag,
            LocalParty = request.Headers.GetValue(SipHeaderId.To)!,
            RemoteParty = request.Headers.GetValue(SipHeaderId.From)!,
            RemoteTarget = remoteTarget,
            RouteSet = [.. request.Headers.RecordRoute],
            EventHeader = request.Headers.GetValue(SipHeaderId.Event)!,
            Flow = flow,
        };
        var granted = Math.Min(requestedExpires, _settings.MaxSubscriptionExpires);
        var response = CreateResponse(request, flow, 200, toTag: subscription.LocalTag);
        response.Add(SipHeaderId.Expires, granted.ToString(CultureInfo.InvariantCulture));
        response.Add(SipHeaderId.Contact, "<" + LocalUri(flow.Transport) + ">");
        await SendResponseAsync(request, response.BuildResponse(), flow, cancellationToken).ConfigureAwait(false);
        _subscriptions.Add(subscription);
        await StartSubscriptionAsync(subscription, granted, now, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sets the lifetime and sends the full state (RFC 6665 §4.2.1.2: NOTIFY at once after SUBSCRIBE); a
    /// zero lifetime is a fetch or an unsubscribe and ends the subscription with that NOTIFY.</summary>
    private async ValueTask StartSubscriptionAsync(RegSubscription subscription, uint granted, DateTimeOffset now, CancellationToken cancellationToken)
    {
        subscription.Timer?.Dispose();
        subscription.ExpiresAt = now + TimeSpan.FromSeconds(granted);
        var registration = _registrations.GetValueOrDefault(subscription.Impi) ?? RegistrationOf(_hss.FindByImpi(subscription.Impi)!);
        if (granted == 0)
        {
            await SendNotifyAsync(subscription, registration, [], "terminated;reason=timeout", cancellationToken).ConfigureAwait(false);
            _subscriptions.Remove(subscription);
            return;
        }

        subscription.Timer = Schedule(TimeSpan.FromSeconds(granted), async token =>
        {
            if (_subscriptions.Contains(subscription) && subscription.ExpiresAt <= _time.GetUtcNow())
            {
                _subscriptions.Remove(subscription);
                await SendNotifyAsync(subscription, _registrations.GetValueOrDefault(subscription.Impi) ?? registration, [], "terminated;reason=timeout", token)
                    .ConfigureAwait(false);
            }
        });
        await SendNotifyAsync(subscription, registration, [], ActiveState(subscription), cancellationToken).ConfigureAwait(false);
    }

    private string ActiveState(RegSubscription subscription) =>
        "active;expires=" + ((uint)Math.Max(0, Math.Ceiling((subscription.ExpiresAt - _time.GetUtcNow()).TotalSeconds))).ToString(CultureInfo.InvariantCulture);

    /// <summary>Tells every watcher of <paramref name="registration"/> what changed (RFC 3680 §5.2); when no contact is
    /// left the subscriptions end with <paramref name="terminationReason"/> (TS 24.229 §5.4.1.5: deactivated or
    /// rejected for a network-initiated de-registration). Returns the number of NOTIFY requests sent.</summary>
    private async ValueTask<int> NotifyRegistrationChangeAsync(Registration registration, IReadOnlyList<ContactChange> changes, string terminationReason,
        CancellationToken cancellationToken)
    {
        var sent = 0;
        foreach (var subscription in _subscriptions.Where(s => string.Equals(s.Impi, registration.Subscriber.Impi, StringComparison.OrdinalIgnoreCase)).ToList())
        {
            var ended = registration.Bindings.Count == 0;
            if (ended)
            {
                subscription.Timer?.Dispose();
                _subscriptions.Remove(subscription);
            }

            await SendNotifyAsync(subscription, registration, changes, ended ? "terminated;reason=" + terminationReason : ActiveState(subscription), cancellationToken)
                .ConfigureAwait(false);
            sent++;
        }

        return sent;
    }

    private async ValueTask SendNotifyAsync(RegSubscription subscription, Registration registration, IReadOnlyList<ContactChange> changes, string state,
        CancellationToken cancellationToken)
    {
        var body = RegInfo.Build(subscription.Version++, RegInfoOf(registration, changes));
        var flow = FlowTowards(subscription.RouteSet.Count > 0 ? subscription.RouteSet[0].Uri : subscription.RemoteTarget, subscription.Flow);
        var (host, port) = LocalAddress(flow.Transport);
        var branch = LocalBranchPrefix + NewToken(8);
        var builder = SipMessageBuilder.Request(SipMethod.Notify, subscription.RemoteTarget)
            .Via(new ViaValue(flow.TransportToken, host, port, branch, rport: true))
            .MaxForwards();
        foreach (var route in subscription.RouteSet)
        {
            builder.Route(route);
        }

        builder.Add(SipHeaderId.From, subscription.LocalParty + ";tag=" + subscription.LocalTag)
            .Add(SipHeaderId.To, subscription.RemoteParty)
            .CallId(subscription.CallId)
            .CSeq(++subscription.LocalCSeq, SipMethod.Notify)
            .Add(SipHeaderId.Contact, "<" + LocalUri(flow.Transport) + ">")
            .Add(SipHeaderId.Event, subscription.EventHeader)
            .Add(SipHeaderId.SubscriptionState, state)
            .Body(new MediaType("application", "reginfo+xml"), body);
        var request = builder.BuildRequest();
        await StartClientTransactionAsync(request, flow, (response, _) =>
        {
            // RFC 6665 §4.2.2: a NOTIFY that fails (or times out) ends the subscription.
            if (response is null || response.StatusCode >= 300)
            {
                if (response is null)
                {
                    _logger.NotifyTimedOut(subscription.RemoteTarget.ToString());
                }

                subscription.Timer?.Dispose();
                _subscriptions.Remove(subscription);
            }

            return ValueTask.CompletedTask;
        }, cancellationToken).ConfigureAwait(false);
    }

    private List<RegInfoRegistration> RegInfoOf(Registration registration, IReadOnlyList<ContactChange> changes)
    {
        var contacts = new List<RegInfoContact>();
        var now = _time.GetUtcNow();
        foreach (var binding in registration.Bindings)
        {
            var change = changes.FirstOrDefault(c => ReferenceEquals(c.Binding, binding) && c.State == "active");
            contacts.Add(new RegInfoContact(binding.Id, binding.Uri.ToString(), "active", change?.Event ?? "registered",
                Remaining(binding, now), binding.CallId, binding.CSeq));
        }

        foreach (var change in changes.Where(c => c.State == "terminated"))
        {
            contacts.Add(new RegInfoContact(change.Binding.Id, change.Binding.Uri.ToString(), "terminated", change.Event, null, change.Binding.CallId,
                change.Binding.CSeq));
        }

        var state = registration.Bindings.Count > 0 ? "active" : changes.Count > 0 ? "terminated" : "init";
        return [.. registration.Subscriber.Impus.Select((impu, index) =>
            new RegInfoRegistration(impu, registration.Id + "-" + index.ToString(CultureInfo.InvariantCulture), state, contacts))];
    }

    /// <summary>Where to send a request for a target URI a UE gave: over the UE's TCP connection while it lives, else
    /// to the URI's address (transport from its transport parameter, else the flow's).</summary>
    private SipFlow FlowTowards(SipUri target, SipFlow registeredFlow)
    {
        var kind = target.Transport?.ToLowerInvariant() switch
        {
            "tcp" => SipTransportKind.Tcp,
            "udp" => SipTransportKind.Udp,
            _ => registeredFlow.Transport,
        };
        if (kind == SipTransportKind.Tcp && registeredFlow.Transport == SipTransportKind.Tcp && _transport.HasConnection(registeredFlow.ConnectionId))
        {
            return registeredFlow;
        }

        var remote = IPAddress.TryParse(target.Host.Trim('[', ']'), out var address)
            ? new IPEndPoint(address, target.Port ?? 5060)
            : registeredFlow.Remote;
        if ((kind == SipTransportKind.Tcp ? TcpEndPoint : UdpEndPoint) is null)
        {
            kind = registeredFlow.Transport;
        }

        return new SipFlow(kind, remote, 0);
    }

    // ---- Non-INVITE client transactions (RFC 3261 §17.1.2) ----

    private async ValueTask StartClientTransactionAsync(SipRequest request, SipFlow flow, Func<SipResponse?, CancellationToken, ValueTask> onFinal,
        CancellationToken cancellationToken)
    {
        var branch = request.Headers.TopVia!.Branch!;
        var transaction = new ClientTransaction(request, flow, onFinal) { Interval = _settings.T1 };
        _clientTransactions[branch] = transaction;
        if (!await _transport.SendAsync(request, flow, cancellationToken).ConfigureAwait(false))
        {
            // RFC 3261 §8.1.3.1: a transport error is a 503 for the transaction user.
            _clientTransactions.Remove(branch);
            await onFinal(null, cancellationToken).ConfigureAwait(false);
            return;
        }

        // Timer F = 64·T1; Timer E retransmits over UDP only, doubling up to T2 (§17.1.2.2).
        transaction.TimerF = Schedule(64 * _settings.T1, async token =>
        {
            if (_clientTransactions.Remove(branch, out var timedOut))
            {
                timedOut.Dispose();
                await timedOut.OnFinal(null, token).ConfigureAwait(false);
            }
        });
        if (flow.Transport == SipTransportKind.Udp)
        {
            ArmRetransmission(branch, transaction);
        }
    }

    private void ArmRetransmission(string branch, ClientTransaction transaction)
    {
        transaction.TimerE?.Dispose();
        transaction.TimerE = Schedule(transaction.Interval, async token =>
        {
            if (_clientTransactions.TryGetValue(branch, out var current) && ReferenceEquals(current, transaction))
            {
                await _transport.SendAsync(transaction.Request, transaction.Flow, token).ConfigureAwait(false);
                transaction.Interval = TimeSpan.FromTicks(Math.Min((transaction.Interval * 2).Ticks, _settings.T2.Ticks));
                ArmRetransmission(branch, transaction);
            }
        });
    }

    private async ValueTask OnLocalTransactionResponseAsync(string branch, SipResponse response, CancellationToken cancellationToken)
    {
        if (!_clientTransactions.TryGetValue(branch, out var transaction))
        {
            return;
        }

        if (response.IsProvisional)
        {
            // §17.1.2.2 Proceeding: keep retransmitting, at T2.
            transaction.Interval = _settings.T2;
            return;
        }

        _clientTransactions.Remove(branch);
        transaction.Dispose();
        await transaction.OnFinal(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A reg event subscription: the notifier's side of its dialog (RFC 6665 §4.2).</summary>
    private sealed class RegSubscription
    {
        public required string Impi { get; init; }

        public required string CallId { get; init; }

        public required string LocalTag { get; init; }

        public required string RemoteTag { get; init; }

        /// <summary>The To of the SUBSCRIBE (the watched identity), without tag: From of our NOTIFY.</summary>
        public required string LocalParty { get; init; }

        /// <summary>The From of the SUBSCRIBE, with its tag: To of our NOTIFY.</summary>
        public required string RemoteParty { get; init; }

        public required SipUri RemoteTarget { get; init; }

        public required IReadOnlyList<NameAddress> RouteSet { get; init; }

        public required string EventHeader { get; init; }

        public SipFlow Flow { get; set; }

        public uint LocalCSeq { get; set; }

        /// <summary>RFC 3680 §5.3: the version of the next document, from 0, +1 per NOTIFY.</summary>
        public uint Version { get; set; }

        public DateTimeOffset ExpiresAt { get; set; }

        public ITimer? Timer { get; set; }
    }

    private sealed class ClientTransaction(SipRequest request, SipFlow flow, Func<SipResponse?, CancellationToken, ValueTask> onFinal) : IDisposable
    {
        public SipRequest Request { get; } = request;

        public SipFlow Flow { get; } = flow;

        public Func<SipResponse?, CancellationToken, ValueTask> OnFinal { get; } = onFinal;

        public TimeSpan Interval { get; set; }

        public ITimer? TimerE { get; set; }

        public ITimer? TimerF { get; set; }

        public void Dispose()
        {
            TimerE?.Dispose();
            TimerF?.Dispose();
        }
    }
}
