// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Sip.Auth;

/// <summary>Why a challenge was not answered (STYLE.md §4: a closed set). The caller gets the 401/407 back.</summary>
public enum AuthenticationFailure : byte
{
    None = 0,
    /// <summary>The response is not a 401 or 407.</summary>
    NotAChallenge,
    /// <summary>No Digest challenge with a known algorithm, realm and nonce.</summary>
    NoSupportedChallenge,
    /// <summary>No credentials for the challenged realm and algorithm.</summary>
    NoCredentials,
    /// <summary>Loop guard: more challenges for one request than <see cref="SipAuthenticatorOptions.MaxChallengesPerRequest"/>.</summary>
    TooManyChallenges,
    /// <summary>Loop guard: the same nonce challenged again after it was answered (wrong password, RFC 3261 §22.2).</summary>
    NonceRepeated,
    /// <summary>An AKA nonce that is not base64 of RAND (16) ‖ AUTN (16) ‖ server data (RFC 3310 §3.2).</summary>
    InvalidAkaNonce,
    /// <summary>Loop guard: a second synchronisation failure for the same request (RFC 3310 §3.4: resync once).</summary>
    RepeatedSynchronisationFailure,
    /// <summary>The AKA responder failed (card unreachable, channel error).</summary>
    AkaResponderFailed,
}

/// <summary>Settings of <see cref="SipAuthenticator"/>.</summary>
public sealed record SipAuthenticatorOptions
{
    public static SipAuthenticatorOptions Default { get; } = new();

    /// <summary>Challenges answered for one request before giving up (an AKA resync needs two).</summary>
    public int MaxChallengesPerRequest { get; init; } = 3;

    /// <summary>Makes cnonce values; null uses 16 random bytes as hex. Tests pin it.</summary>
    public Func<string>? CNonceFactory { get; init; }
}

/// <summary>Per-request loop guard state (one per outbound request and its retries).</summary>
public sealed class AuthenticationState
{
    internal int Challenges { get; set; }

    internal HashSet<string> AnsweredNonces { get; } = new(StringComparer.Ordinal);

    internal int SynchronisationFailures { get; set; }
}

/// <summary>One credentials header to put on the retried request.</summary>
public readonly record struct AuthorizationHeader(SipHeaderId Id, AuthenticationValue Value);

/// <summary>The result of answering a challenge: the headers to add (replacing earlier ones for the same realms), or
/// why not. <see cref="AkaOutcome"/> says what the card answered when an AKA challenge was processed.</summary>
public sealed class AuthorizationResult
{
    private AuthorizationResult(AuthenticationFailure failure, IReadOnlyList<AuthorizationHeader> headers, AkaOutcome? aka)
    {
        Failure = failure;
        Headers = headers;
        AkaOutcome = aka;
    }

    public AuthenticationFailure Failure { get; }

    public bool Succeeded => Failure == AuthenticationFailure.None;

    public IReadOnlyList<AuthorizationHeader> Headers { get; }

    public AkaOutcome? AkaOutcome { get; }

    internal static AuthorizationResult Fail(AuthenticationFailure failure, AkaOutcome? aka = null) => new(failure, [], aka);

    internal static AuthorizationResult Ok(IReadOnlyList<AuthorizationHeader> headers, AkaOutcome? aka) => new(AuthenticationFailure.None, headers, aka);
}

/// <summary>The UAC side of HTTP digest in SIP (RFC 3261 §22, RFC 7616, RFC 3310, RFC 4169): answers 401/407
/// challenges with Authorization / Proxy-Authorization, keeps nonce counts, and remembers the last answered challenge
/// per realm so later requests (IMS re-REGISTER) can carry credentials without a new challenge. Thread-safe.</summary>
public sealed class SipAuthenticator
{
    private readonly SipCredentials[] _credentials;
    private readonly SipAuthenticatorOptions _options;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, CachedChallenge> _cache = new(StringComparer.Ordinal);

    public SipAuthenticator(IEnumerable<SipCredentials> credentials, SipAuthenticatorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        _credentials = [.. credentials];
        _options = options ?? SipAuthenticatorOptions.Default;
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxChallengesPerRequest, 1);
    }

    /// <summary>The Authorization of an initial IMS REGISTER (TS 24.229 §5.1.1.2.1, RFC 3310 §3.1): username=IMPI,
    /// realm, uri, nonce="" and response="" so the S-CSCF knows which IMPI to challenge.</summary>
    public static AuthenticationValue InitialImsAuthorization(string impi, string realm, SipUri requestUri)
    {
        ArgumentException.ThrowIfNullOrEmpty(impi);
        ArgumentException.ThrowIfNullOrEmpty(realm);
        ArgumentNullException.ThrowIfNull(requestUri);
        return new AuthenticationValue("Digest",
            new SipParameter("username", impi, isQuoted: true),
            new SipParameter("realm", realm, isQuoted: true),
            new SipParameter("uri", requestUri.ToString(), isQuoted: true),
            new SipParameter("nonce", string.Empty, isQuoted: true),
            new SipParameter("response", string.Empty, isQuoted: true));
    }

    /// <summary>Answers the challenges of a 401 (WWW-Authenticate → Authorization) or 407 (Proxy-Authenticate →
    /// Proxy-Authorization) to <paramref name="request"/>, one per challenged realm.</summary>
    public async ValueTask<AuthorizationResult> AuthorizeAsync(SipRequest request, SipResponse challenge, AuthenticationState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(challenge);
        ArgumentNullException.ThrowIfNull(state);
        (SipHeaderId answerId, IReadOnlyList<AuthenticationValue> offered) = challenge.StatusCode switch
        {
            401 => (SipHeaderId.Authorization, challenge.Headers.WwwAuthenticate),
            407 => (SipHeaderId.ProxyAuthorization, challenge.Headers.ProxyAuthenticate),
            _ => (SipHeaderId.Unknown, (IReadOnlyList<AuthenticationValue>)[]),
        };
        if (answerId == SipHeaderId.Unknown)
        {
            return AuthorizationResult.Fail(AuthenticationFailure.NotAChallenge);
        }

        if (++state.Challenges > _options.MaxChallengesPerRequest)
        {
            return AuthorizationResult.Fail(AuthenticationFailure.TooManyChallenges);
        }

        // Best answerable challenge per realm (RFC 3261 §22.3: one credentials value per realm).
        var chosen = new Dictionary<string, (AuthenticationValue Value, DigestAlgorithm Algorithm, SipCredentials Credentials)>(StringComparer.Ordinal);
        bool anyDigest = false;
        foreach (AuthenticationValue value in offered)
        {
            if (!value.IsDigest || value.Realm is not { } realm || value.Nonce is null || !DigestAlgorithms.TryParse(value.Algorithm, out DigestAlgorithm algorithm))
            {
                continue;
            }

            anyDigest = true;
            SipCredentials? credentials = Array.Find(_credentials, c => c.Matches(realm) && c.Supports(algorithm));
            if (credentials is null)
            {
                continue;
            }

            if (!chosen.TryGetValue(realm, out var best) || algorithm.Strength() > best.Algorithm.Strength())
            {
                chosen[realm] = (value, algorithm, credentials);
            }
        }

        if (chosen.Count == 0)
        {
            return AuthorizationResult.Fail(anyDigest ? AuthenticationFailure.NoCredentials : AuthenticationFailure.NoSupportedChallenge);
        }

        foreach ((string realm, var c) in chosen)
        {
            if (!state.AnsweredNonces.Add(realm + "\n" + c.Value.Nonce))
            {
                return AuthorizationResult.Fail(AuthenticationFailure.NonceRepeated);
            }
        }

        var headers = new List<AuthorizationHeader>(chosen.Count);
        AkaOutcome? aka = null;
        foreach ((string realm, var c) in chosen)
        {
            byte[]? password = null;
            byte[]? auts = null;
            bool emptyResponse = false;
            try
            {
                if (c.Credentials is DigestPasswordCredentials pc)
                {
                    password = pc.Password.ToArray();
                }
                else
                {
                    var ac = (AkaCredentials)c.Credentials;
                    (AuthenticationFailure failure, AkaOutcome outcome, password, auts) = await RunAkaAsync(ac, c.Value.Nonce!, c.Algorithm, cancellationToken).ConfigureAwait(false);
                    aka = outcome;
                    if (failure != AuthenticationFailure.None)
                    {
                        return AuthorizationResult.Fail(failure, aka);
                    }

                    if (outcome == AkaOutcome.SynchronisationFailure && ++state.SynchronisationFailures > 1)
                    {
                        return AuthorizationResult.Fail(AuthenticationFailure.RepeatedSynchronisationFailure, aka);
                    }

                    // TS 24.229 §5.1.1.5.3: network authentication failed: an empty response, no auts.
                    emptyResponse = outcome == AkaOutcome.MacFailure;
                }

                var cached = new CachedChallenge(answerId, c.Value, c.Algorithm, c.Credentials.Username, password);
                AuthenticationValue answer = Answer(request, cached, auts, emptyResponse);
                headers.Add(new AuthorizationHeader(answerId, answer));
                lock (_gate)
                {
                    if (_cache.Remove(realm, out CachedChallenge? old))
                    {
                        old.Dispose();
                    }

                    // Only a usable password is kept for later requests; a failed AKA run leaves nothing behind.
                    if (!emptyResponse && auts is null)
                    {
                        _cache[realm] = cached;
                        password = null;
                    }
                }
            }
            finally
            {
                DigestSecrets.Clear(password);
            }
        }

        return AuthorizationResult.Ok(headers, aka);
    }

    /// <summary>Credentials for <paramref name="request"/> from the challenges answered before (same nonce, next nc):
    /// what an IMS re-REGISTER carries (TS 24.229 §5.1.1.4.1). Empty when nothing is cached.</summary>
    public IReadOnlyList<AuthorizationHeader> CreatePreemptive(SipRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var headers = new List<AuthorizationHeader>();
        lock (_gate)
        {
            foreach (CachedChallenge cached in _cache.Values)
            {
                headers.Add(new AuthorizationHeader(cached.HeaderId, Answer(request, cached, null, false)));
            }
        }

        return headers;
    }

    /// <summary>Forgets cached challenges (after de-registration or when the server rejected them).</summary>
    public void Forget()
    {
        lock (_gate)
        {
            foreach (CachedChallenge c in _cache.Values)
            {
                c.Dispose();
            }

            _cache.Clear();
        }
    }

    private static async ValueTask<(AuthenticationFailure, AkaOutcome, byte[]?, byte[]?)> RunAkaAsync(AkaCredentials credentials, string nonce, DigestAlgorithm algorithm, CancellationToken cancellationToken)
    {
        // RFC 3310 §3.2: nonce = base64(RAND ‖ AUTN ‖ server specific data).
        byte[] decoded = new byte[((nonce.Length + 3) / 4) * 3];
        if (!Convert.TryFromBase64String(nonce, decoded, out int length) || length < 32)
        {
            return (AuthenticationFailure.InvalidAkaNonce, AkaOutcome.MacFailure, null, null);
        }

        AkaResponderResult result;
        try
        {
            result = await credentials.Responder.AuthenticateAsync(decoded.AsMemory(0, 16), decoded.AsMemory(16, 16), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return (AuthenticationFailure.AkaResponderFailed, AkaOutcome.MacFailure, null, null);
        }

        using (result)
        {
            switch (result.Outcome)
            {
                case AkaOutcome.Success when algorithm == DigestAlgorithm.AkaV2Md5:
                    byte[] v2 = new byte[24];
                    DigestCalculator.AkaV2Password(result.Res, result.Ik, result.Ck, v2);
                    return (AuthenticationFailure.None, AkaOutcome.Success, v2, null);
                case AkaOutcome.Success:
                    // RFC 3310 §3.3: the password is RES as raw bytes.
                    return (AuthenticationFailure.None, AkaOutcome.Success, result.Res.ToArray(), null);
                case AkaOutcome.SynchronisationFailure:
                    // RFC 3310 §3.4: empty password, AUTS in the auts parameter.
                    return (AuthenticationFailure.None, AkaOutcome.SynchronisationFailure, [], result.Auts.ToArray());
                default:
                    return (AuthenticationFailure.None, AkaOutcome.MacFailure, [], null);
            }
        }
    }

    private AuthenticationValue Answer(SipRequest request, CachedChallenge c, byte[]? auts, bool emptyResponse)
    {
        AuthenticationValue challenge = c.Challenge;
        string realm = challenge.Realm!;
        string nonce = challenge.Nonce!;
        string uri = request.RequestUri.ToString();
        IReadOnlyList<string> qops = challenge.QopOptions;
        string? qop = qops.Contains("auth", StringComparer.OrdinalIgnoreCase) ? "auth"
            : qops.Contains("auth-int", StringComparer.OrdinalIgnoreCase) ? "auth-int" : null;
        string? cnonce = null;
        string? nc = null;
        if (qop is not null)
        {
            cnonce = _options.CNonceFactory?.Invoke() ?? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            nc = c.NextNonceCount().ToString("x8", CultureInfo.InvariantCulture);
        }

        string response = string.Empty;
        if (!emptyResponse)
        {
            response = DigestCalculator.ComputeResponse(new DigestInput
            {
                Algorithm = c.Algorithm,
                Username = Encoding.UTF8.GetBytes(c.Username),
                Realm = Encoding.UTF8.GetBytes(realm),
                Password = c.Password,
                Method = request.MethodToken,
                DigestUri = Encoding.UTF8.GetBytes(uri),
                Nonce = Encoding.UTF8.GetBytes(nonce),
                NonceCount = nc is null ? default : Encoding.ASCII.GetBytes(nc),
                CNonce = cnonce is null ? default : Encoding.UTF8.GetBytes(cnonce),
                Qop = qop is null ? default : Encoding.ASCII.GetBytes(qop),
                Body = request.Body.Span,
            });
        }

        var p = new List<SipParameter>(11)
        {
            new("username", c.Username, isQuoted: true),
            new("realm", realm, isQuoted: true),
            new("nonce", nonce, isQuoted: true),
            new("uri", uri, isQuoted: true),
            new("response", response, isQuoted: true),
        };
        if (challenge.Algorithm is not null)
        {
            p.Add(new SipParameter("algorithm", challenge.Algorithm));
        }

        if (qop is not null)
        {
            p.Add(new SipParameter("cnonce", cnonce, isQuoted: true));
            p.Add(new SipParameter("qop", qop));
            p.Add(new SipParameter("nc", nc));
        }

        if (challenge.Opaque is not null)
        {
            p.Add(new SipParameter("opaque", challenge.Opaque, isQuoted: true));
        }

        if (auts is not null)
        {
            p.Add(new SipParameter("auts", Convert.ToBase64String(auts), isQuoted: true));
        }

        return new AuthenticationValue("Digest", p);
    }

    /// <summary>An answered challenge with the password it was answered with (for AKA: derived from RES; kept only in
    /// memory, zeroed when replaced) and its nonce count.</summary>
    private sealed class CachedChallenge(SipHeaderId headerId, AuthenticationValue challenge, DigestAlgorithm algorithm, string username, byte[]? password) : IDisposable
    {
        private readonly byte[] _password = password ?? [];
        private int _nonceCount;

        public SipHeaderId HeaderId { get; } = headerId;

        public AuthenticationValue Challenge { get; } = challenge;

        public DigestAlgorithm Algorithm { get; } = algorithm;

        public string Username { get; } = username;

        public ReadOnlySpan<byte> Password => _password;

        public int NextNonceCount() => Interlocked.Increment(ref _nonceCount);

        public void Dispose() => CryptographicOperations.ZeroMemory(_password);
    }
}
