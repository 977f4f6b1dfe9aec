// SPDX-License-Identifier: MIT
using System.Globalization;
using ImUeAgent.Sip.Message;
using ImUeAgent.Uicc.Aka;

namespace ImUeAgent.Testbed.Core;

/// <summary>The S-CSCF registrar with IMS AKA and digest authentication (TS 24.229 §5.4.1, TS 33.203 §6.1).</summary>
internal sealed partial class ImsCore
{
    private readonly Dictionary<string, Registration> _registrations = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Challenge> _challenges = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _resyncs = new(StringComparer.OrdinalIgnoreCase);
    private long _bindingOrder;

    /// <summary>The SQN the next challenge of <paramref name="impi"/> will carry (for tests and `status`).</summary>
    public ulong NextSqn(string impi) => _hss.PeekNextSqn(impi);

    private async ValueTask OnRegisterAsync(SipRequest request, SipFlow flow, CancellationToken cancellationToken)
    {
        // TS 24.229 §5.4.1.2.1: the public identity being registered is the To URI.
        var impu = request.Headers.To!.Uri;
        var subscriber = _hss.FindByImpu(impu);
        if (subscriber is null)
        {
            await RespondAsync(request, flow, 403, "Forbidden - Unknown public identity", cancellationToken: cancellationToken).ConfigureAwait(false);
            return;
        }

        if (_registerFaults.TryDequeue(out var fault))
        {
            _logger.FaultApplied($"REGISTER answered by fault {fault.Verb}");
            switch (fault.Verb)
            {
                case CoreControlVerb.ServiceUnavailable:
                    await RespondAsync(request, flow, 503, addHeaders: b =>
                    {
                        if (fault.Number is { } retry)
                        {
                            b.Add(SipHeaderId.RetryAfter, retry.ToString(CultureInfo.InvariantCulture));
                        }
                    }, cancellationToken: cancellationToken).ConfigureAwait(false);
                    return;
                case CoreControlVerb.IntervalTooBrief:
                    var min = fault.Number ?? Math.Max(_settings.MinExpires, (request.Headers.Expires ?? 0) + 1);
                    await RespondAsync(request, flow, 423, addHeaders: b => b.Add(SipHeaderId.MinExpires, min.ToString(CultureInfo.InvariantCulture)),
                        cancellationToken: cancellationToken).ConfigureAwait(false);
                    return;
                default:
                    await RespondAsync(request, flow, 403, cancellationToken: cancellationToken).ConfigureAwait(false);
                    return;
            }
        }

        var credentials = request.Headers.Authorization.FirstOrDefault(a => a.IsDigest
            && (a.Realm is null || string.Equals(a.Realm, _settings.Domain, StringComparison.OrdinalIgnoreCase)));
        if (credentials?.Username is { } username && !string.Equals(username, subscriber.Impi, StringComparison.OrdinalIgnoreCase))
        {
            // TS 24.229 §5.4.1.2.1: the private identity must own the public identity being registered.
            await RespondAsync(request, flow, 403, "Forbidden - Public identity not owned by the private identity", cancellationToken: cancellationToken).ConfigureAwait(false);
            return;
        }

        switch (Authenticate(request, subscriber, credentials, out var reason))
        {
            case AuthenticationOutcome.Challenge:
                await ChallengeAsync(request, flow, subscriber, stale: false, cancellationToken).ConfigureAwait(false);
                return;
            case AuthenticationOutcome.StaleChallenge:
                await ChallengeAsync(request, flow, subscriber, stale: true, cancellationToken).ConfigureAwait(false);
                return;
            case AuthenticationOutcome.Forbidden:
                _logger.AuthenticationFailed(subscriber.Impi, reason);
                await RespondAsync(request, flow, 403, "Forbidden - " + reason, cancellationToken: cancellationToken).ConfigureAwait(false);
                return;
            default:
                _resyncs.Remove(subscriber.Impi);
                await UpdateBindingsAsync(request, flow, subscriber, cancellationToken).ConfigureAwait(false);
                return;
        }
    }

    private enum AuthenticationOutcome
    {
        Authenticated,
        Challenge,
        StaleChallenge,
        Forbidden,
    }

    /// <summary>Pure decision on the credentials of a REGISTER (RFC 3310 §3, RFC 2617 §3.2.2, TS 33.203 §6.1).</summary>
    private AuthenticationOutcome Authenticate(SipRequest request, Subscriber subscriber, AuthenticationValue? credentials, out string reason)
    {
        reason = string.Empty;
        var nonce = credentials?.Nonce;
        if (string.IsNullOrEmpty(nonce))
        {
            // The initial REGISTER carries nonce="" (TS 24.229 §5.1.1.2.1) or no Authorization at all.
            return AuthenticationOutcome.Challenge;
        }

        if (!_challenges.TryGetValue(nonce, out var challenge) || !ReferenceEquals(challenge.Subscriber, subscriber)
            || _time.GetUtcNow() - challenge.IssuedAt > _settings.NonceLifetime)
        {
            // Unknown or expired nonce: not a failure of the UE, a new challenge (RFC 2617 §3.2.1 stale).
            return AuthenticationOutcome.StaleChallenge;
        }

        if (challenge.Vector is { } vector && credentials!.Auts is { } autsText)
        {
            _challenges.Remove(nonce);
            // RFC 3310 §3.4 / TS 33.102 §6.3.5: synchronisation failure, the HSS recovers SQN_MS.
            byte[] auts;
            try
            {
                auts = Convert.FromBase64String(autsText);
            }
            catch (FormatException)
            {
                reason = "auts is not base64";
                return AuthenticationOutcome.Forbidden;
            }

            if (auts.Length != Milenage.AutsLength)
            {
                reason = "auts is not 14 bytes";
                return AuthenticationOutcome.Forbidden;
            }

            var count = _resyncs.TryGetValue(subscriber.Impi, out var n) ? n + 1 : 1;
            _resyncs[subscriber.Impi] = count;
            if (count > _settings.MaxResynchronisations)
            {
                reason = "too many re-synchronisations";
                return AuthenticationOutcome.Forbidden;
            }

            if (_hss.Resynchronise(subscriber, vector.Rand, auts) is not { } sqnMs)
            {
                reason = "MAC-S of AUTS is wrong";
                return AuthenticationOutcome.Forbidden;
            }

            _logger.Resynchronised(subscriber.Impi, sqnMs.ToString("x12", CultureInfo.InvariantCulture));
            return AuthenticationOutcome.Challenge;
        }

        if (challenge.Vector is not null && string.IsNullOrEmpty(credentials!.Response))
        {
            // RFC 3310 §3.3: empty response without auts, the UE could not authenticate the network (MAC-A).
            _challenges.Remove(nonce);
            reason = "the UE reported a network authentication failure";
            return _settings.OnMacFailure == MacFailurePolicy.Challenge ? AuthenticationOutcome.Challenge : AuthenticationOutcome.Forbidden;
        }

        var qop = credentials!.Qop;
        if (qop is not null && !string.Equals(qop, "auth", StringComparison.OrdinalIgnoreCase))
        {
            reason = "qop other than auth";
            return AuthenticationOutcome.Forbidden;
        }

        uint nonceCount = 0;
        if (qop is not null && (credentials.CNonce is null || credentials.NonceCount is not { Length: 8 } nc
            || !uint.TryParse(nc, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out nonceCount)))
        {
            reason = "qop=auth without cnonce or an 8-digit nc";
            return AuthenticationOutcome.Forbidden;
        }

        if (qop is null)
        {
            // The challenge offered qop="auth" (RFC 3310 §3.1, TS 24.229 §5.4.1.2.1); RFC 2069-style answers are refused.
            reason = "qop missing";
            return AuthenticationOutcome.Forbidden;
        }

        if (challenge.Authenticated && (_settings.ChallengeEveryRegister || nonceCount <= challenge.LastNonceCount))
        {
            // A reused nonce needs a rising nc (RFC 2617 §3.2.2 replay protection); otherwise a fresh challenge.
            return AuthenticationOutcome.StaleChallenge;
        }

        var password = challenge.Vector is { } v
            ? subscriber.Scheme == AuthenticationScheme.AkaV2 ? Digest.AkaV2Password(v.Xres, v.Ik, v.Ck) : v.Xres
            : System.Text.Encoding.UTF8.GetBytes(subscriber.Password ?? string.Empty);
        var expected = Digest.Response(credentials.Username ?? string.Empty, credentials.Realm ?? _settings.Domain, password, request.MethodName,
            credentials.Uri ?? string.Empty, nonce, qop, credentials.NonceCount, credentials.CNonce);
        if (!ReferenceEquals(password, challenge.Vector?.Xres))
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(password);
        }
        if (!Digest.Matches(expected, credentials.Response))
        {
            _challenges.Remove(nonce);
            reason = "wrong digest response";
            return AuthenticationOutcome.Forbidden;
        }

        challenge.Authenticated = true;
        challenge.LastNonceCount = nonceCount;
        return AuthenticationOutcome.Authenticated;
    }

    private async ValueTask ChallengeAsync(SipRequest request, SipFlow flow, Subscriber subscriber, bool stale, CancellationToken cancellationToken)
    {
        // One open challenge per subscriber: a new one replaces the old (the UE answers the latest).
        foreach (var (key, old) in _challenges.ToList())
        {
            if (ReferenceEquals(old.Subscriber, subscriber) && !old.Authenticated)
            {
                _challenges.Remove(key);
            }
        }

        string nonce;
        AuthenticationVector? vector = null;
        if (subscriber.IsAka)
        {
            vector = _hss.GenerateVector(subscriber);
            nonce = vector.Nonce;
            _logger.Challenged(subscriber.Impi, subscriber.AlgorithmToken, vector.Sqn.ToString("x12", CultureInfo.InvariantCulture));
        }
        else
        {
            nonce = NewToken(16);
            _logger.Challenged(subscriber.Impi, subscriber.AlgorithmToken, "-");
        }

        _challenges[nonce] = new Challenge(subscriber, vector, _time.GetUtcNow());
        List<SipParameter> parameters =
        [
            new("realm", _settings.Domain, isQuoted: true),
            new("nonce", nonce, isQuoted: true),
            new("algorithm", subscriber.AlgorithmToken),
            new("qop", "auth", isQuoted: true),
        ];
        if (stale)
        {
            parameters.Add(new SipParameter("stale", "TRUE"));
        }

        var challenge = new AuthenticationValue("Digest", parameters);
        await RespondAsync(request, flow, 401, addHeaders: b => b.Authentication(SipHeaderId.WwwAuthenticate, challenge), cancellationToken: cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>RFC 3261 §10.3 steps 6–8 for an authenticated REGISTER, then the 200 OK of TS 24.229 §5.4.1.2.2.</summary>
    private async ValueTask UpdateBindingsAsync(SipRequest request, SipFlow flow, Subscriber subscriber, CancellationToken cancellationToken)
    {
        var contacts = request.Headers.Contact;
        var headerExpires = request.Headers.Expires;
        var registration = RegistrationOf(subscriber);
        var now = _time.GetUtcNow();
        var changes = new List<ContactChange>();

        if (contacts.Any(c => c.IsWildcard))
        {
            // RFC 3261 §10.2.2: "*" only alone and with Expires: 0.
            if (contacts.Count != 1 || headerExpires != 0)
            {
                await RespondAsync(request, flow, 400, "Bad Request - Contact * needs Expires: 0 and no other contact", cancellationToken: cancellationToken).ConfigureAwait(false);
                return;
            }

            foreach (var binding in registration.Bindings.ToList())
            {
                changes.Add(RemoveBinding(registration, binding, "unregistered"));
            }
        }
        else
        {
            // First pass: every requested lifetime must be acceptable before anything changes (§10.3 step 7).
            foreach (var contact in contacts)
            {
                var expires = contact.Expires ?? headerExpires ?? _settings.DefaultExpires;
                if (expires != 0 && expires < _settings.MinExpires)
                {
                    await RespondAsync(request, flow, 423, addHeaders: b => b.Add(SipHeaderId.MinExpires, _settings.MinExpires.ToString(CultureInfo.InvariantCulture)),
                        cancellationToken: cancellationToken).ConfigureAwait(false);
                    return;
                }
            }

            var callId = request.Headers.CallId!;
            var cseq = request.Headers.CSeq!.Number;
            var path = request.Headers.Supported.Contains("path", StringComparer.OrdinalIgnoreCase)
                ? request.Headers.GetAll(SipHeaderId.Path).Select(h => h.Value).ToList()
                : [];
            foreach (var contact in contacts)
            {
                var requested = contact.Expires ?? headerExpires ?? _settings.DefaultExpires;
                var granted = Math.Min(requested, _settings.MaxExpires);
                var existing = registration.Bindings.FirstOrDefault(b => SameBinding(b, contact));
                if (existing is not null && string.Equals(existing.CallId, callId, StringComparison.Ordinal) && cseq <= existing.CSeq)
                {
                    // §10.3 step 7: an old request for the same binding changes nothing.
                    continue;
                }

                if (granted == 0)
                {
                    if (existing is not null)
                    {
                        changes.Add(RemoveBinding(registration, existing, "unregistered"));
                    }

                    continue;
                }

                var binding = existing ?? new Binding($"c{Interlocked.Increment(ref _bindingOrder).ToString(CultureInfo.InvariantCulture)}");
                var shortened = existing is not null && now + TimeSpan.FromSeconds(granted) < existing.ExpiresAt;
                binding.Uri = contact.Uri!;
                binding.Contact = contact;
                binding.Instance = contact.Instance;
                binding.ExpiresAt = now + TimeSpan.FromSeconds(granted);
                binding.CallId = callId;
                binding.CSeq = cseq;
                binding.Flow = flow;
                binding.Path = path;
                binding.Order = Interlocked.Increment(ref _bindingOrder);
                ArmExpiry(registration, binding, TimeSpan.FromSeconds(granted));
                if (existing is null)
                {
                    registration.Bindings.Add(binding);
                }

                _logger.Registered(subscriber.Impi, binding.Uri.ToString(), granted);
                changes.Add(new ContactChange(binding, "active", existing is null ? "registered" : shortened ? "shortened" : "refreshed"));
            }
        }

        var response = CreateResponse(request, flow, 200);
        foreach (var binding in registration.Bindings)
        {
            var remaining = Remaining(binding, now);
            response.Add(SipHeaderId.Contact, WithExpires(binding.Contact, remaining));
        }

        if (registration.Bindings.Count > 0 && contacts.Count > 0 && !contacts[0].IsWildcard
            && registration.Bindings.FirstOrDefault(b => SameBinding(b, contacts[0])) is { } first)
        {
            response.Add(SipHeaderId.Expires, Remaining(first, now).ToString(CultureInfo.InvariantCulture));
        }
        else if (contacts.Count > 0)
        {
            response.Add(SipHeaderId.Expires, "0");
        }

        foreach (var path in request.Headers.Supported.Contains("path", StringComparer.OrdinalIgnoreCase) ? request.Headers.GetAll(SipHeaderId.Path) : [])
        {
            response.AddRaw(path);
        }

        if (registration.Bindings.Count > 0)
        {
            // TS 24.229 §5.4.1.2.2: Service-Route and the implicitly registered set, default identity first.
            response.Add(SipHeaderId.ServiceRoute, "<" + ServiceRoute + ">");
            response.Add(SipHeaderId.PAssociatedUri, string.Join(", ", subscriber.Impus.Select(u => "<" + u + ">")));
        }

        await SendResponseAsync(request, response.BuildResponse(), flow, cancellationToken).ConfigureAwait(false);
        if (changes.Count > 0)
        {
            await NotifyRegistrationChangeAsync(registration, changes, terminationReason: "noresource", cancellationToken).ConfigureAwait(false);
        }

        if (changes.Any(c => c.Event == "registered"))
        {
            // TS 24.229 §5.4.1.7: application servers hear of the registration (the IM server pushes deferred messages).
            foreach (var server in _applicationServers)
            {
                (server as IProxyingApplicationServer)?.OnRegistered(subscriber);
            }
        }
    }

    private static string WithExpires(ContactValue contact, uint remaining)
    {
        var address = contact.Address!;
        var parameters = address.Parameters.Where(p => !string.Equals(p.Name, "expires", StringComparison.OrdinalIgnoreCase))
            .Append(new SipParameter("expires", remaining.ToString(CultureInfo.InvariantCulture)));
        return new NameAddress(address.Uri, address.DisplayName, parameters).ToString();
    }

    private static bool SameBinding(Binding binding, ContactValue contact) =>
        binding.Instance is not null && contact.Instance is not null
            ? string.Equals(binding.Instance, contact.Instance, StringComparison.Ordinal) && binding.Contact.RegId == contact.RegId
            : binding.Uri.IsEquivalentTo(contact.Uri);

    private static uint Remaining(Binding binding, DateTimeOffset now) =>
        (uint)Math.Max(0, Math.Ceiling((binding.ExpiresAt - now).TotalSeconds));

    private Registration RegistrationOf(Subscriber subscriber)
    {
        if (!_registrations.TryGetValue(subscriber.Impi, out var registration))
        {
            registration = new Registration(subscriber, "r" + (_registrations.Count + 1).ToString(CultureInfo.InvariantCulture));
            _registrations[subscriber.Impi] = registration;
        }

        return registration;
    }

    private ContactChange RemoveBinding(Registration registration, Binding binding, string @event)
    {
        binding.Timer?.Dispose();
        binding.Timer = null;
        registration.Bindings.Remove(binding);
        _logger.ContactEnded(registration.Subscriber.Impi, binding.Uri.ToString(), @event);
        return new ContactChange(binding, "terminated", @event);
    }

    private void ArmExpiry(Registration registration, Binding binding, TimeSpan after)
    {
        binding.Timer?.Dispose();
        binding.Timer = Schedule(after, async cancellationToken =>
        {
            if (registration.Bindings.Contains(binding) && binding.ExpiresAt <= _time.GetUtcNow())
            {
                var change = RemoveBinding(registration, binding, "expired");
                await NotifyRegistrationChangeAsync(registration, [change], "noresource", cancellationToken).ConfigureAwait(false);
            }
        });
    }

    /// <summary>TS 24.229 §5.4.1.5: network-initiated de-registration of the implicit set of <paramref name="impu"/>.</summary>
    private async ValueTask<string> NetworkDeregisterAsync(SipUri impu, string @event, CancellationToken cancellationToken)
    {
        if (_hss.FindByImpu(impu) is not { } subscriber)
        {
            return "ERROR unknown public identity";
        }

        if (!_registrations.TryGetValue(subscriber.Impi, out var registration) || registration.Bindings.Count == 0)
        {
            return "ERROR not registered";
        }

        var changes = registration.Bindings.ToList().Select(b => RemoveBinding(registration, b, @event)).ToList();
        foreach (var (key, challenge) in _challenges.ToList())
        {
            if (ReferenceEquals(challenge.Subscriber, subscriber))
            {
                _challenges.Remove(key);
            }
        }

        var notified = await NotifyRegistrationChangeAsync(registration, changes, @event == "rejected" ? "rejected" : "deactivated", cancellationToken).ConfigureAwait(false);
        return "OK " + changes.Count.ToString(CultureInfo.InvariantCulture) + " contacts, " + notified.ToString(CultureInfo.InvariantCulture) + " NOTIFY";
    }

    /// <summary>RFC 3680 "shortened": every contact of the set now expires in <paramref name="seconds"/>.</summary>
    private async ValueTask<string> ShortenAsync(SipUri impu, uint seconds, CancellationToken cancellationToken)
    {
        if (_hss.FindByImpu(impu) is not { } subscriber)
        {
            return "ERROR unknown public identity";
        }

        if (!_registrations.TryGetValue(subscriber.Impi, out var registration) || registration.Bindings.Count == 0)
        {
            return "ERROR not registered";
        }

        var now = _time.GetUtcNow();
        var changes = new List<ContactChange>();
        foreach (var binding in registration.Bindings)
        {
            binding.ExpiresAt = now + TimeSpan.FromSeconds(seconds);
            ArmExpiry(registration, binding, TimeSpan.FromSeconds(seconds));
            changes.Add(new ContactChange(binding, "active", "shortened"));
        }

        var notified = await NotifyRegistrationChangeAsync(registration, changes, "noresource", cancellationToken).ConfigureAwait(false);
        return "OK " + changes.Count.ToString(CultureInfo.InvariantCulture) + " contacts, " + notified.ToString(CultureInfo.InvariantCulture) + " NOTIFY";
    }

    /// <summary>A registered contact (RFC 3261 §10.3 binding) with the flow it registered on.</summary>
    private sealed class Binding(string id)
    {
        public string Id { get; } = id;

        public SipUri Uri { get; set; } = null!;

        public ContactValue Contact { get; set; } = null!;

        public string? Instance { get; set; }

        public DateTimeOffset ExpiresAt { get; set; }

        public string CallId { get; set; } = string.Empty;

        public uint CSeq { get; set; }

        public SipFlow Flow { get; set; }

        public IReadOnlyList<string> Path { get; set; } = [];

        public long Order { get; set; }

        public ITimer? Timer { get; set; }
    }

    /// <summary>The registration state of one subscriber's implicit registration set (TS 24.229 §5.4.1.2).</summary>
    private sealed class Registration(Subscriber subscriber, string id)
    {
        public Subscriber Subscriber { get; } = subscriber;

        public string Id { get; } = id;

        public List<Binding> Bindings { get; } = [];
    }

    /// <summary>An issued challenge: the vector (AKA) or none (MD5), and nonce-reuse state.</summary>
    private sealed class Challenge(Subscriber subscriber, AuthenticationVector? vector, DateTimeOffset issuedAt)
    {
        public Subscriber Subscriber { get; } = subscriber;

        public AuthenticationVector? Vector { get; } = vector;

        public DateTimeOffset IssuedAt { get; } = issuedAt;

        public bool Authenticated { get; set; }

        public uint LastNonceCount { get; set; }
    }

    private sealed record ContactChange(Binding Binding, string State, string Event);
}
