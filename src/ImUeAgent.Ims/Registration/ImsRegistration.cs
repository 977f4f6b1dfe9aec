// SPDX-License-Identifier: MIT
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ImUeAgent.Ims.Auth;
using ImUeAgent.Sip.Auth;
using ImUeAgent.Sip.Dialogs;
using ImUeAgent.Sip.Message;
using ImUeAgent.Sip.Transactions;
using ImUeAgent.Sip.Transport;
using ImUeAgent.Sip.Ua;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImUeAgent.Ims.Registration;

/// <summary>
/// The UE's IMS registration (TS 24.229 §5.1.1), long-running: initial REGISTER through a P-CSCF with the IMPI in
/// Authorization, AKA (or digest) through the SIP pipeline, Service-Route as the preloaded route, P-Associated-URI as
/// the registered identities, refresh at <see cref="RegistrationTiming.RefreshAfter"/>, the reg-event subscription
/// (§5.1.1.3, §5.1.1.7), retries with RFC 5626 backoff and a new Call-ID, and de-registration on stop (§5.1.1.6).
/// One loop task owns every mutable field; timers, NOTIFYs, restarts and stop are events posted to it (STYLE.md §13).
/// </summary>
public sealed class ImsRegistration : IAsyncDisposable
{
    private const string RegInfoType = "application/reginfo+xml";
    private const int MaxLoggedStrangers = 64;

    private readonly ImsRegistrationSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<IPAddress, SipUserAgent> _userAgentFactory;
    private readonly Func<double> _random;
    private readonly ObservingAkaResponder? _aka;
    private readonly SipCredentials _credentials;
    private readonly Channel<LoopEvent> _events = Channel.CreateUnbounded<LoopEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _stateGate = new();
    private readonly List<Channel<RegistrationState>> _watchers = [];
    private readonly ConcurrentDictionary<IPAddress, byte> _strangersLogged = new();
    private RegistrationState _state = new();
    private CancellationTokenSource _interrupt = new();
    private Task? _loop;
    private volatile SipUserAgent _userAgent;
    private volatile PcscfAddress? _registeredVia;
    private volatile Subscription? _subscription;
    private bool _stopped;

    // ---- owned by the loop ----
    private IReadOnlyList<PcscfAddress> _pcscfs;
    private int _pcscfIndex;
    private string _callId = SipUserAgent.NewTag();
    private string _fromTag = SipUserAgent.NewTag();
    private uint _cseq = 1;
    private uint _requestedExpires;
    private int _failures;
    private int _attempts;
    private bool _registered;
    private SipUri? _contactUri;
    private ITimer? _registerTimer;
    private int _registerGeneration;
    private ITimer? _subscribeTimer;
    private int _subscribeGeneration;

    /// <param name="settings">What to register.</param>
    /// <param name="akaResponder">The ISIM (e.g. <see cref="AkaResponderAdapter"/> over the modem's authenticator);
    /// null only with <see cref="ImsRegistrationSettings.Digest"/>.</param>
    /// <param name="userAgentFactory">Creates the SIP UA on the IMS PDN's address; null uses
    /// <see cref="SipUserAgent.Create"/> with <see cref="ImsRegistrationSettings.UserAgentSettings"/>.</param>
    /// <param name="random">Values in [0, 1) for the backoff (RFC 5626 §4.5); null uses <see cref="Random.Shared"/>.</param>
    public ImsRegistration(ImsRegistrationSettings settings, IAkaResponder? akaResponder, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null,
        Func<IPAddress, SipUserAgent>? userAgentFactory = null, Func<double>? random = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        _settings = settings;
        _time = timeProvider ?? TimeProvider.System;
        _logger = loggerFactory?.CreateLogger("ImUeAgent.Ims.Registration") ?? NullLogger.Instance;
        _userAgentFactory = userAgentFactory ?? (address => SipUserAgent.Create(address, settings.UserAgentSettings, _time, loggerFactory));
        _random = random ?? Random.Shared.NextDouble;
        _pcscfs = settings.Pcscfs;
        _requestedExpires = settings.Expires;
        if (settings.Digest is { } digest)
        {
            _credentials = new DigestPasswordCredentials(digest.Username, digest.Password, digest.Realm);
        }
        else
        {
            _aka = new ObservingAkaResponder(akaResponder ?? throw new ArgumentNullException(nameof(akaResponder), "IMS AKA needs a responder (or set Digest)"));
            _credentials = new AkaCredentials(settings.Impi, _aka);
        }

        _userAgent = CreateUserAgent(settings.LocalAddress);
    }

    /// <summary>The SIP UA registered through: the Im layer sends with it (its preloaded route is the Service-Route)
    /// and sets its request handlers on it (wrapped by <see cref="RequireRegisteredPcscf"/>).</summary>
    public SipUserAgent UserAgent => _userAgent;

    /// <summary>Raised (before it starts) when a restart with a new local address replaced the UA: set handlers again.</summary>
    public event Action<SipUserAgent>? UserAgentReplaced;

    /// <summary>The current state.</summary>
    public RegistrationState State
    {
        get
        {
            lock (_stateGate)
            {
                return _state;
            }
        }
    }

    /// <summary>Raised after every state change, on the registration loop (handlers must not block).</summary>
    public event Action<RegistrationState>? StateChanged;

    /// <summary>The current state, then every change until cancelled.</summary>
    public async IAsyncEnumerable<RegistrationState> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateUnbounded<RegistrationState>(new UnboundedChannelOptions { SingleReader = true });
        lock (_stateGate)
        {
            channel.Writer.TryWrite(_state);
            _watchers.Add(channel);
        }

        try
        {
            await foreach (RegistrationState s in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return s;
            }
        }
        finally
        {
            lock (_stateGate)
            {
                _watchers.Remove(channel);
            }
        }
    }

    /// <summary>Starts the UA and the first registration.</summary>
    public void Start()
    {
        lock (_stateGate)
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            if (_loop is not null)
            {
                return;
            }

            _userAgent.Start();
            _loop = Task.Run(RunAsync);
        }

        _events.Writer.TryWrite(new RegisterDue(0, Refresh: false));
    }

    /// <summary>Drops the registration and registers from scratch: what the modem layer calls when the IMS PDN was
    /// lost or came back. A new local address (the PDN's) recreates the UA; new P-CSCFs replace the list.</summary>
    public void TriggerRestart(string reason, IPAddress? localAddress = null, IReadOnlyList<PcscfAddress>? pcscfs = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        if (pcscfs is { Count: 0 })
        {
            throw new ArgumentException("At least one P-CSCF", nameof(pcscfs));
        }

        Interrupt();
        _events.Writer.TryWrite(new RestartRequested(reason, localAddress, pcscfs));
    }

    /// <summary>De-registers (Expires: 0, TS 24.229 §5.1.1.6) when registered, then stops the loop.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        Task? loop;
        lock (_stateGate)
        {
            loop = _loop;
            _stopped = true;
        }

        if (loop is null)
        {
            return;
        }

        Interrupt();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _events.Writer.TryWrite(new StopRequested(done));
        await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        await loop.ConfigureAwait(false);
    }

    /// <summary>True when <paramref name="source"/> is the P-CSCF registered through (before registration: any
    /// configured P-CSCF). TS 24.229 §5.1.1.4: the UE accepts requests only from its P-CSCF.</summary>
    public bool IsFromRegisteredPcscf(SipTransportAddress source)
    {
        IPAddress from = Normalize(source.EndPoint.Address);
        if (_registeredVia is { } via)
        {
            return from.Equals(Normalize(via.Address));
        }

        foreach (PcscfAddress p in _pcscfs)
        {
            if (from.Equals(Normalize(p.Address)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Wraps a request handler so requests not from the registered P-CSCF get 403 (logged once per source).</summary>
    public SipRequestHandler RequireRegisteredPcscf(SipRequestHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return (tx, dialog) =>
        {
            if (IsFromRegisteredPcscf(tx.Source))
            {
                return handler(tx, dialog);
            }

            RejectStranger(tx);
            return ValueTask.CompletedTask;
        };
    }

    public async ValueTask DisposeAsync()
    {
        Task? loop;
        lock (_stateGate)
        {
            loop = _loop;
            _stopped = true;
        }

        Interrupt();
        _events.Writer.TryComplete();
        if (loop is not null)
        {
            await loop.ConfigureAwait(false);
        }

        _registerTimer?.Dispose();
        _subscribeTimer?.Dispose();
        await _userAgent.DisposeAsync().ConfigureAwait(false);
    }

    // ---- the loop ----

    private abstract record LoopEvent;

    private sealed record RegisterDue(int Generation, bool Refresh) : LoopEvent;

    private sealed record SubscribeDue(int Generation) : LoopEvent;

    private sealed record NotifyReceived(Subscription Subscription, RegInfoDocument? Document, string? SubscriptionState, string? TerminationReason) : LoopEvent;

    private sealed record RestartRequested(string Reason, IPAddress? LocalAddress, IReadOnlyList<PcscfAddress>? Pcscfs) : LoopEvent;

    private sealed record StopRequested(TaskCompletionSource Done) : LoopEvent;

    private sealed record ConnectionLost(SipUserAgent UserAgent, SipTransportAddress Remote, SipConnectionCloseReason Reason) : LoopEvent;

    /// <summary>The reg-event subscription (RFC 6665): NOTIFYs match its Call-ID and our From tag.</summary>
    private sealed class Subscription(string callId, string localTag)
    {
        public string CallId { get; } = callId;

        public string LocalTag { get; } = localTag;

        public SipDialog? Dialog { get; set; }
    }

    private async Task RunAsync()
    {
        try
        {
            await foreach (LoopEvent e in _events.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                CancellationToken interrupt = _interrupt.Token;
                switch (e)
                {
                    case RegisterDue due when due.Generation == _registerGeneration:
                        await RegisterAsync(due.Refresh && _registered, interrupt).ConfigureAwait(false);
                        break;
                    case SubscribeDue due when due.Generation == _subscribeGeneration:
                        await SubscribeAsync(interrupt).ConfigureAwait(false);
                        break;
                    case NotifyReceived notify when ReferenceEquals(notify.Subscription, _subscription):
                        OnRegEvent(notify);
                        break;
                    case RestartRequested restart:
                        await RestartAsync(restart).ConfigureAwait(false);
                        break;
                    case ConnectionLost lost:
                        OnConnectionLost(lost);
                        break;
                    case StopRequested stop:
                        await DeregisterAsync().ConfigureAwait(false);
                        stop.Done.TrySetResult();
                        _events.Writer.TryComplete();
                        return;
                }
            }
        }
        catch (Exception e)
        {
            Log.LoopFailed(_logger, e);
            throw;
        }
    }

    private void Interrupt()
    {
        // The old source is cancelled, not disposed: the loop may still be reading its token.
        CancellationTokenSource old = Interlocked.Exchange(ref _interrupt, new CancellationTokenSource());
        old.Cancel();
    }

    // ---- REGISTER ----

    private async Task RegisterAsync(bool refresh, CancellationToken cancellationToken)
    {
        CancelTimer(ref _registerTimer, ref _registerGeneration);
        bool reconnected = false;
        int timeouts = 0;
        int tooBrief = 0;
        if (!refresh)
        {
            NewCallId();
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            PcscfAddress pcscf = _pcscfs[_pcscfIndex];
            _attempts++;
            Publish(s => s with
            {
                Status = refresh ? RegistrationStatus.Registered : RegistrationStatus.Registering,
                Pcscf = pcscf,
                Attempts = _attempts,
                NextAttemptAt = null,
            });
            SipRequest register = BuildRegister(pcscf, _requestedExpires, refresh, deregister: false);
            _aka?.Reset();
            SipResponse response;
            try
            {
                response = await _userAgent.SendAsync(register, null, new SipSendOptions
                {
                    Destination = pcscf.ToTransportAddress(),
                    UsePreloadedRoute = false,
                    PreemptiveCredentials = refresh,
                }, cancellationToken).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (SipTransactionException e) when (e.Error == SipTransactionError.Timeout)
            {
                // Timer F fired: try the next P-CSCF at once; after all of them, back off (TS 24.229 §5.1.1.2.1 NOTE).
                timeouts++;
                string text = "no response from P-CSCF " + pcscf;
                _pcscfIndex = (_pcscfIndex + 1) % _pcscfs.Count;
                if (timeouts < _pcscfs.Count)
                {
                    RecordFailure(RegistrationFailureReason.Timeout, text, null);
                    refresh = false;
                    NewCallId();
                    continue;
                }

                Fail(RegistrationFailureReason.Timeout, text, null, null);
                return;
            }
            catch (Exception e) when (e is SipTransactionException or IOException or SocketException or InvalidOperationException)
            {
                // A reset or refused connection: the stream transport reconnects on the next send; once at once,
                // then with backoff.
                string text = "transport to P-CSCF " + pcscf + " failed: " + e.Message;
                if (!reconnected)
                {
                    reconnected = true;
                    RecordFailure(RegistrationFailureReason.TransportError, text, null);
                    refresh = false;
                    NewCallId();
                    continue;
                }

                Fail(RegistrationFailureReason.TransportError, text, null, null);
                return;
            }

            _cseq = (response.Headers.CSeq?.Number ?? _cseq) + 1;
            int status = response.StatusCode;
            if (response.IsSuccess)
            {
                OnRegistered(response, pcscf);
                return;
            }

            switch (status)
            {
                case 401 or 407:
                    Fail(AuthenticationFailureReason(out string authText), authText, status, null);
                    return;
                case 403:
                    if (_aka?.LastOutcome == Sip.Auth.AkaOutcome.MacFailure)
                    {
                        Fail(RegistrationFailureReason.NetworkNotAuthentic, "network not authentic (AKA MAC failure)", status, null);
                    }
                    else
                    {
                        Fail(RegistrationFailureReason.Forbidden, "forbidden by the network", status, null);
                    }

                    return;
                case 423 when response.Headers.MinExpires is { } min && min > _requestedExpires && tooBrief++ < 2:
                    // RFC 3261 §10.2.8: retry with at least Min-Expires.
                    RecordFailure(RegistrationFailureReason.IntervalTooBrief, "interval too brief; retrying with Min-Expires " + min.ToString(CultureInfo.InvariantCulture), status);
                    _requestedExpires = min;
                    refresh = false;
                    NewCallId();
                    continue;
                case 423:
                    Fail(RegistrationFailureReason.IntervalTooBrief, "interval too brief without a usable Min-Expires", status, null);
                    return;
                case >= 500 and < 600:
                    TimeSpan? retryAfter = RetryAfter(response);
                    Fail(RegistrationFailureReason.ServerFailure, "server failure: " + response.ReasonPhrase, status, retryAfter);
                    return;
                default:
                    Fail(RegistrationFailureReason.Rejected, "rejected: " + response.ReasonPhrase, status, null);
                    return;
            }
        }
    }

    private RegistrationFailureReason AuthenticationFailureReason(out string text)
    {
        if (_aka?.LastOutcome == Sip.Auth.AkaOutcome.MacFailure)
        {
            text = "network not authentic (AKA MAC failure)";
            return RegistrationFailureReason.NetworkNotAuthentic;
        }

        if (_aka?.LastRunFailed == true)
        {
            text = "the ISIM could not run AKA";
            return RegistrationFailureReason.AkaUnavailable;
        }

        text = "authentication loop: the network challenged the answered credentials again";
        return RegistrationFailureReason.AuthenticationLoop;
    }

    private void OnRegistered(SipResponse response, PcscfAddress pcscf)
    {
        SipUri contact = _contactUri!;
        ContactValue? mine = null;
        foreach (ContactValue c in response.Headers.Contact)
        {
            if (c.Uri is { } uri && (IsOurContact(uri, contact) || (_settings.InstanceId is { } id && c.Instance is { } inst && inst.Trim('<', '>') == id)))
            {
                mine = c;
                break;
            }
        }

        // TS 24.229 §5.1.1.2.2: the granted expiry is the expires parameter of our Contact, or Expires.
        uint granted = mine?.Expires ?? response.Headers.Expires ?? _requestedExpires;
        if (granted == 0)
        {
            Fail(RegistrationFailureReason.Rejected, "the registrar granted no time (expires 0)", response.StatusCode, null);
            return;
        }

        IReadOnlyList<NameAddress> serviceRoute = response.Headers.ServiceRoute;
        List<string> identities = [.. response.Headers.PAssociatedUri.Select(n => n.Uri.ToString())];
        if (identities.Count == 0)
        {
            identities.Add(_settings.Impus[0]);
        }

        // TS 24.229 §5.1.2A.1: the route set of initial requests is the P-CSCF, then the Service-Route.
        SipUri pcscfUri = SipUri.Create(SipUriScheme.Sip, null, UriHost(pcscf.Address), pcscf.Port,
            pcscf.Transport == SipTransportKind.Udp ? [new SipParameter("lr")] : [new SipParameter("transport", pcscf.Transport.ToViaToken().ToLowerInvariant()), new SipParameter("lr")]);
        _userAgent.PreloadedRoute = [new NameAddress(pcscfUri), .. serviceRoute];
        _userAgent.OutboundProxy = pcscf.ToTransportAddress();
        _registeredVia = pcscf;
        _registered = true;
        _failures = 0;
        int attempts = _attempts;
        _attempts = 0;
        TimeSpan refreshAfter = RegistrationTiming.RefreshAfter(TimeSpan.FromSeconds(granted));
        DateTimeOffset now = _time.GetUtcNow();
        ArmRegister(refreshAfter, refresh: true);
        Log.Registered(_logger, pcscf.ToString(), granted, refreshAfter);
        Publish(s => s with
        {
            Status = RegistrationStatus.Registered,
            Pcscf = pcscf,
            PublicIdentities = identities,
            ServiceRoute = [.. serviceRoute.Select(r => r.Uri.ToString())],
            Path = [.. response.Headers.Path.Select(r => r.Uri.ToString())],
            ExpiresAt = now + TimeSpan.FromSeconds(granted),
            NextAttemptAt = now + refreshAfter,
            Attempts = attempts,
        });
        if (_settings.SubscribeRegEvent && _subscription is null)
        {
            _events.Writer.TryWrite(new SubscribeDue(_subscribeGeneration));
        }
    }

    /// <summary>Records a failure and schedules the next initial registration: after <paramref name="retryAfter"/>
    /// (Retry-After) or the RFC 5626 backoff.</summary>
    private void Fail(RegistrationFailureReason reason, string text, int? status, TimeSpan? retryAfter)
    {
        DropRegistration();
        TimeSpan delay = retryAfter ?? RegistrationTiming.Backoff(_failures, _random(), maxTime: _settings.BackoffMax, baseTime: _settings.BackoffBase);
        _failures++;
        ArmRegister(delay, refresh: false);
        Log.AttemptFailed(_logger, _pcscfs[_pcscfIndex].ToString(), text, delay);
        DateTimeOffset now = _time.GetUtcNow();
        Publish(s => s with
        {
            Status = RegistrationStatus.Failed,
            LastFailure = new RegistrationFailure(reason, text, status, now),
            NextAttemptAt = now + delay,
            ExpiresAt = null,
            PublicIdentities = [],
            ServiceRoute = [],
            Path = [],
            RegEventSubscribed = false,
        });
    }

    private void RecordFailure(RegistrationFailureReason reason, string text, int? status)
    {
        DateTimeOffset now = _time.GetUtcNow();
        Publish(s => s with { LastFailure = new RegistrationFailure(reason, text, status, now) });
    }

    private void DropRegistration()
    {
        _registered = false;
        _registeredVia = null;
        _userAgent.PreloadedRoute = [];
        _userAgent.OutboundProxy = null;
        if (_subscription?.Dialog is { } d)
        {
            d.Terminate();
            _userAgent.Dialogs.Remove(d);
        }

        _subscription = null;
        CancelTimer(ref _subscribeTimer, ref _subscribeGeneration);
    }

    private void NewCallId()
    {
        // Every new registration attempt after a failure uses a new Call-ID (TS 24.229 §5.1.1.2.1 via NOTES.md).
        _callId = SipUserAgent.NewTag();
        _fromTag = SipUserAgent.NewTag();
        _cseq = 1;
    }

    private SipRequest BuildRegister(PcscfAddress pcscf, uint expires, bool refresh, bool deregister)
    {
        SipUri requestUri = SipUri.Create(SipUriScheme.Sip, null, _settings.HomeDomain);
        SipUri impu = SipUri.Parse(_settings.Impus[0]);
        _contactUri = _userAgent.ContactUri(null, pcscf.Transport);
        SipMessageBuilder b = SipMessageBuilder.Request(SipMethod.Register, requestUri)
            .From(new NameAddress(impu, null, new SipParameter("tag", _fromTag)))
            .To(new NameAddress(impu))
            .CallId(_callId)
            .CSeq(_cseq, SipMethod.Register)
            .Add(SipHeaderId.Contact, ContactHeader(deregister));
        b.Add(SipHeaderId.Expires, (deregister ? 0u : expires).ToString(CultureInfo.InvariantCulture));
        string supported = _settings.SupportPath && _settings.SupportGruu ? "path, gruu" : _settings.SupportPath ? "path" : _settings.SupportGruu ? "gruu" : string.Empty;
        if (supported.Length > 0)
        {
            b.Add(SipHeaderId.Supported, supported);
        }

        if (!refresh && !deregister)
        {
            // TS 24.229 §5.1.1.2.1 (AKA) and §5.1.1.2.3 (SIP digest): the initial REGISTER names the private identity
            // with an empty nonce and response.
            b.Authentication(SipHeaderId.Authorization, SipAuthenticator.InitialImsAuthorization(
                _settings.Digest?.Username ?? _settings.Impi, _settings.Digest?.Realm ?? _settings.HomeDomain, requestUri));
        }

        if (_settings.UserAgent is { } ua)
        {
            b.Add(SipHeaderId.UserAgent, ua);
        }

        return b.BuildRequest();
    }

    private string ContactHeader(bool deregister)
    {
        var sb = new System.Text.StringBuilder(128);
        sb.Append('<').Append(_contactUri!.ToString()).Append('>');
        if (_settings.InstanceId is { } instance)
        {
            sb.Append(';').Append(Registration.InstanceId.ContactParameter(instance));
        }

        foreach (string tag in _settings.ContactFeatureTags)
        {
            sb.Append(';').Append(tag);
        }

        if (deregister)
        {
            sb.Append(";expires=0");
        }

        return sb.ToString();
    }

    // ---- reg event (TS 24.229 §5.1.1.3, §5.1.1.7; RFC 3680) ----

    private async Task SubscribeAsync(CancellationToken cancellationToken)
    {
        CancelTimer(ref _subscribeTimer, ref _subscribeGeneration);
        if (!_registered)
        {
            return;
        }

        Subscription? sub = _subscription;
        SipRequest subscribe;
        if (sub?.Dialog is { } dialog)
        {
            subscribe = AddSubscribeHeaders(dialog.CreateRequest(SipMethod.Subscribe)).BuildRequest();
        }
        else
        {
            // The SUBSCRIBE goes to the default public identity (the first P-Associated-URI).
            string target = State.PublicIdentities is { Count: > 0 } ids ? ids[0] : _settings.Impus[0];
            SipUri uri = SipUri.Parse(target);
            sub = new Subscription(SipUserAgent.NewTag(), SipUserAgent.NewTag());
            _subscription = sub;
            subscribe = AddSubscribeHeaders(SipMessageBuilder.Request(SipMethod.Subscribe, uri)
                .From(new NameAddress(uri, null, new SipParameter("tag", sub.LocalTag)))
                .To(new NameAddress(uri))
                .CallId(sub.CallId)
                .CSeq(1, SipMethod.Subscribe)).BuildRequest();
        }

        SipResponse response;
        try
        {
            Task<SipResponse> send = sub.Dialog is { } d
                ? _userAgent.SendInDialogAsync(d, subscribe, null, cancellationToken)
                : _userAgent.SendAsync(subscribe, null, null, cancellationToken);
            response = await send.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e) when (e is SipTransactionException or IOException or SocketException or InvalidOperationException)
        {
            Log.SubscribeFailed(_logger, e.Message);
            RetrySubscribeLater(sub);
            return;
        }

        if (!ReferenceEquals(sub, _subscription))
        {
            return;
        }

        if (!response.IsSuccess)
        {
            Log.SubscribeFailed(_logger, response.StatusCode.ToString(CultureInfo.InvariantCulture) + " " + response.ReasonPhrase);
            RetrySubscribeLater(sub);
            return;
        }

        if (sub.Dialog is null)
        {
            try
            {
                sub.Dialog = SipDialog.CreateUac(subscribe, response);
                _userAgent.Dialogs.Add(sub.Dialog);
            }
            catch (ArgumentException e)
            {
                Log.SubscribeFailed(_logger, e.Message);
                RetrySubscribeLater(sub);
                return;
            }
        }

        uint granted = response.Headers.Expires ?? _settings.RegEventExpires;
        if (granted == 0)
        {
            RetrySubscribeLater(sub);
            return;
        }

        _subscribeTimer = Arm(RegistrationTiming.RefreshAfter(TimeSpan.FromSeconds(granted)), new SubscribeDue(++_subscribeGeneration));
        Publish(s => s with { RegEventSubscribed = true });
    }

    private SipMessageBuilder AddSubscribeHeaders(SipMessageBuilder b)
    {
        b.Add(SipHeaderId.Event, "reg")
            .Add(SipHeaderId.Accept, RegInfoType)
            .Add(SipHeaderId.Expires, _settings.RegEventExpires.ToString(CultureInfo.InvariantCulture))
            .Contact(new ContactValue(new NameAddress(_contactUri ?? _userAgent.ContactUri(null))));
        if (_settings.UserAgent is { } ua)
        {
            b.Add(SipHeaderId.UserAgent, ua);
        }

        return b;
    }

    private void RetrySubscribeLater(Subscription sub)
    {
        if (sub.Dialog is { } d)
        {
            d.Terminate();
            _userAgent.Dialogs.Remove(d);
        }

        _subscription = null;
        Publish(s => s with { RegEventSubscribed = false });
        _subscribeTimer = Arm(RegistrationTiming.Backoff(0, _random(), maxTime: _settings.BackoffMax, baseTime: _settings.BackoffBase), new SubscribeDue(++_subscribeGeneration));
    }

    /// <summary>The NOTIFY handler (on the UA's dispatch): checks source, dialog and body, answers, and hands the
    /// document to the loop.</summary>
    private ValueTask OnNotifyAsync(SipServerTransaction tx, SipDialog? dialog)
    {
        SipRequest request = tx.Request;
        if (!IsFromRegisteredPcscf(tx.Source))
        {
            RejectStranger(tx);
            return ValueTask.CompletedTask;
        }

        Subscription? sub = _subscription;
        if (sub is null || request.Headers.CallId != sub.CallId || request.Headers.To?.Tag != sub.LocalTag)
        {
            tx.Respond(SipMessageBuilder.ResponseTo(request, 481).BuildResponse());
            return ValueTask.CompletedTask;
        }

        if (request.Headers.Event?.Token is not { } ev || !ev.Equals("reg", StringComparison.OrdinalIgnoreCase))
        {
            tx.Respond(SipMessageBuilder.ResponseTo(request, 489).BuildResponse());
            return ValueTask.CompletedTask;
        }

        RegInfoDocument? document = null;
        if (!request.Body.IsEmpty)
        {
            if (request.Headers.ContentType is not { } type || !type.Is("application", "reginfo+xml"))
            {
                Log.RegEventRejected(_logger, "body is not " + RegInfoType);
                tx.Respond(SipMessageBuilder.ResponseTo(request, 415).Add(SipHeaderId.Accept, RegInfoType).BuildResponse());
                return ValueTask.CompletedTask;
            }

            if (!RegInfoDocument.TryParse(request.Body.Span, out document, out string reason))
            {
                Log.RegEventRejected(_logger, reason);
                tx.Respond(SipMessageBuilder.ResponseTo(request, 400, "Bad Request - " + SafePhrase(reason)).BuildResponse());
                return ValueTask.CompletedTask;
            }
        }

        tx.Respond(SipMessageBuilder.ResponseTo(request, 200).BuildResponse());
        TokenWithParameters? state = request.Headers.SubscriptionState;
        _events.Writer.TryWrite(new NotifyReceived(sub, document, state?.Token, state?.Parameters.GetValue("reason")));
        return ValueTask.CompletedTask;
    }

    private void OnRegEvent(NotifyReceived notify)
    {
        if (notify.Document is { } doc && FindOurContact(doc) is var (registration, contact) && registration is not null)
        {
            bool terminated = registration.State == "terminated" || contact?.State == "terminated";
            string ev = contact?.Event ?? "deactivated";
            if (terminated)
            {
                switch (ev)
                {
                    case "deactivated" or "expired" or "probation":
                        // TS 24.229 §5.1.1.7: the network removed the binding; register again from scratch.
                        Log.RegEvent(_logger, ev + ": initial registration");
                        DropRegistration();
                        RecordFailure(RegistrationFailureReason.NetworkDeregistered, "network " + ev + " the registration; registering again", null);
                        ArmRegister(TimeSpan.Zero, refresh: false);
                        Publish(s => s with { Status = RegistrationStatus.Registering, RegEventSubscribed = false, ExpiresAt = null });
                        return;
                    default:
                        // rejected / unregistered: the network does not want this UE registered (§5.1.1.7): no retry.
                        Log.RegistrationDown(_logger, ev);
                        DropRegistration();
                        CancelTimer(ref _registerTimer, ref _registerGeneration);
                        DateTimeOffset at = _time.GetUtcNow();
                        Publish(s => s with
                        {
                            Status = RegistrationStatus.Failed,
                            LastFailure = new RegistrationFailure(RegistrationFailureReason.NetworkDeregistered, "network ended the registration (" + ev + ")", null, at),
                            NextAttemptAt = null,
                            ExpiresAt = null,
                            PublicIdentities = [],
                            ServiceRoute = [],
                            RegEventSubscribed = false,
                        });
                        return;
                }
            }

            if (contact is { State: "active", Expires: { } left } && _registered)
            {
                DateTimeOffset now = _time.GetUtcNow();
                DateTimeOffset newExpiry = now + TimeSpan.FromSeconds(left);
                if (ev == "shortened" || State.ExpiresAt is not { } known || newExpiry < known)
                {
                    // TS 24.229 §5.1.1.7: shortened: re-register by the refresh rule applied to the remaining time.
                    TimeSpan refresh = RegistrationTiming.RefreshAfter(TimeSpan.FromSeconds(left));
                    Log.RegEvent(_logger, "shortened to " + left.ToString(CultureInfo.InvariantCulture) + " s");
                    ArmRegister(refresh, refresh: true);
                    Publish(s => s with { ExpiresAt = newExpiry, NextAttemptAt = now + refresh });
                }
            }
        }

        if (notify.SubscriptionState is { } st && st.Equals("terminated", StringComparison.OrdinalIgnoreCase))
        {
            // RFC 6665 §4.1.3: the subscription ended; subscribe again unless the reason forbids it.
            Subscription? sub = _subscription;
            if (sub?.Dialog is { } d)
            {
                d.Terminate();
                _userAgent.Dialogs.Remove(d);
            }

            _subscription = null;
            CancelTimer(ref _subscribeTimer, ref _subscribeGeneration);
            Publish(s => s with { RegEventSubscribed = false });
            if (_registered && notify.TerminationReason is null or "deactivated" or "timeout" or "probation")
            {
                _events.Writer.TryWrite(new SubscribeDue(_subscribeGeneration));
            }
        }
    }

    private (RegInfoRegistration?, RegInfoContact?) FindOurContact(RegInfoDocument doc)
    {
        IReadOnlyList<string> ours = State.PublicIdentities;
        foreach (RegInfoRegistration r in doc.Registrations)
        {
            bool mine = string.Equals(r.Aor, _settings.Impus[0], StringComparison.OrdinalIgnoreCase)
                || ours.Any(i => string.Equals(i, r.Aor, StringComparison.OrdinalIgnoreCase));
            if (!mine)
            {
                continue;
            }

            // Several contacts may carry our address: a binding of an earlier registration (another Call-ID) that
            // the network now reports terminated, next to the one we hold. Only ours counts, and an active one wins.
            RegInfoContact? found = null;
            foreach (RegInfoContact c in r.Contacts)
            {
                if (_contactUri is not null && SipUri.TryParse(c.Uri, out SipUri? uri) && IsOurContact(uri, _contactUri)
                    && (c.CallId is null || !_registered || c.CallId == _callId)
                    && (found is null || (found.State != "active" && c.State == "active")))
                {
                    found = c;
                }
            }

            if (found is null && r.Contacts.Count > 0 && r.State != "terminated")
            {
                // Our address is not in an active registration's list: it is about other contacts of the AOR.
                continue;
            }

            return (r, found);
        }

        return (null, null);
    }

    // ---- restart and stop ----

    /// <summary>
    /// The TCP/TLS connection to the P-CSCF we registered through ended (the peer closed or reset it, or the kernel
    /// keep-alive found it dead): nothing can reach us over it any more, so register again at once over a new
    /// connection (TS 24.229 §5.1.1.2.1 initial registration; RFC 5626 §4.4 flow failure). Should that fail, the
    /// usual backoff applies.
    /// </summary>
    private void OnConnectionLost(ConnectionLost lost)
    {
        if (!ReferenceEquals(lost.UserAgent, _userAgent) || !_registered || _registeredVia is not { } via ||
            via.Transport == SipTransportKind.Udp || !Normalize(via.Address).Equals(Normalize(lost.Remote.EndPoint.Address)) ||
            via.Port != lost.Remote.EndPoint.Port)
        {
            return;
        }

        string text = $"{via.Transport.ToViaToken()} connection to the P-CSCF {via} lost ({lost.Reason})";
        Log.Restart(_logger, text);
        DropRegistration();
        _attempts = 0;
        DateTimeOffset now = _time.GetUtcNow();
        Publish(s => s with
        {
            Status = RegistrationStatus.Registering,
            LastFailure = new RegistrationFailure(RegistrationFailureReason.TransportError, text, null, now),
            ExpiresAt = null,
            PublicIdentities = [],
            ServiceRoute = [],
            Path = [],
            RegEventSubscribed = false,
        });
        ArmRegister(TimeSpan.Zero, refresh: false);
    }

    private async Task RestartAsync(RestartRequested restart)
    {
        Log.Restart(_logger, restart.Reason);
        DropRegistration();
        CancelTimer(ref _registerTimer, ref _registerGeneration);
        if (restart.Pcscfs is { } list)
        {
            _pcscfs = list;
        }

        _pcscfIndex = 0;
        _failures = 0;
        _attempts = 0;
        _requestedExpires = _settings.Expires;
        if (_userAgent.Authenticator is { } auth)
        {
            auth.Forget();
        }

        if (restart.LocalAddress is { } address)
        {
            SipUserAgent old = _userAgent;
            _userAgent = CreateUserAgent(address);
            UserAgentReplaced?.Invoke(_userAgent);
            _userAgent.Start();
            await old.DisposeAsync().ConfigureAwait(false);
        }

        DateTimeOffset now = _time.GetUtcNow();
        Publish(s => s with
        {
            Status = RegistrationStatus.Registering,
            LastFailure = new RegistrationFailure(RegistrationFailureReason.Restarted, "restart: " + restart.Reason, null, now),
            ExpiresAt = null,
            PublicIdentities = [],
            ServiceRoute = [],
            Path = [],
            RegEventSubscribed = false,
            Attempts = 0,
        });
        ArmRegister(TimeSpan.Zero, refresh: false);
    }

    private async Task DeregisterAsync()
    {
        CancelTimer(ref _registerTimer, ref _registerGeneration);
        if (!_registered || _registeredVia is not { } pcscf)
        {
            DropRegistration();
            Publish(s => s with { Status = RegistrationStatus.Unregistered, NextAttemptAt = null, ExpiresAt = null });
            return;
        }

        Publish(s => s with { Status = RegistrationStatus.Deregistering, NextAttemptAt = null });
        SipRequest register = BuildRegister(pcscf, 0, refresh: true, deregister: true);
        try
        {
            SipResponse response = await _userAgent.SendAsync(register, null, new SipSendOptions
            {
                Destination = pcscf.ToTransportAddress(),
                UsePreloadedRoute = false,
                PreemptiveCredentials = true,
            }).ConfigureAwait(false);
            if (!response.IsSuccess)
            {
                Log.DeregisterFailed(_logger, response.StatusCode.ToString(CultureInfo.InvariantCulture) + " " + response.ReasonPhrase);
            }
        }
        catch (Exception e) when (e is SipTransactionException or IOException or SocketException or InvalidOperationException)
        {
            Log.DeregisterFailed(_logger, e.Message);
        }

        DropRegistration();
        _userAgent.Authenticator?.Forget();
        Publish(s => s with { Status = RegistrationStatus.Unregistered, ExpiresAt = null, NextAttemptAt = null, PublicIdentities = [], ServiceRoute = [], Path = [], RegEventSubscribed = false });
    }

    // ---- helpers ----

    private SipUserAgent CreateUserAgent(IPAddress address)
    {
        SipUserAgent ua = _userAgentFactory(address);
        ua.Authenticator = new SipAuthenticator([_credentials]);
        ua.SetNotifyHandler("reg", OnNotifyAsync);
        ua.Transports.ConnectionClosed += (remote, reason) => _events.Writer.TryWrite(new ConnectionLost(ua, remote, reason));
        return ua;
    }

    private void ArmRegister(TimeSpan due, bool refresh)
    {
        CancelTimer(ref _registerTimer, ref _registerGeneration);
        _registerTimer = Arm(due, new RegisterDue(_registerGeneration, refresh));
    }

    private ITimer? Arm(TimeSpan due, LoopEvent e)
    {
        if (due <= TimeSpan.Zero)
        {
            _events.Writer.TryWrite(e);
            return null;
        }

        return _time.CreateTimer(static state =>
        {
            var (writer, ev) = ((ChannelWriter<LoopEvent>, LoopEvent))state!;
            writer.TryWrite(ev);
        }, (_events.Writer, e), due, Timeout.InfiniteTimeSpan);
    }

    private static void CancelTimer(ref ITimer? timer, ref int generation)
    {
        timer?.Dispose();
        timer = null;
        generation++;
    }

    private void Publish(Func<RegistrationState, RegistrationState> change)
    {
        RegistrationState next;
        bool statusChanged;
        lock (_stateGate)
        {
            RegistrationState previous = _state;
            next = change(previous);
            if (next == previous)
            {
                return;
            }

            statusChanged = next.Status != previous.Status;
            _state = next;
            foreach (Channel<RegistrationState> w in _watchers)
            {
                w.Writer.TryWrite(next);
            }
        }

        if (statusChanged)
        {
            Log.StateChanged(_logger, next.Status.ToString(), next.Pcscf?.ToString() ?? "-", next.Attempts);
        }

        StateChanged?.Invoke(next);
    }

    private void RejectStranger(SipServerTransaction tx)
    {
        if (_strangersLogged.Count < MaxLoggedStrangers && _strangersLogged.TryAdd(Normalize(tx.Source.EndPoint.Address), 0))
        {
            Log.RequestNotFromPcscf(_logger, tx.Request.MethodName, tx.Source.ToString());
        }

        if (tx.Request.Method != SipMethod.Ack)
        {
            tx.Respond(SipMessageBuilder.ResponseTo(tx.Request, 403, "Forbidden - not from the P-CSCF", toTag: SipUserAgent.NewTag()).BuildResponse());
        }
    }

    private static bool IsOurContact(SipUri candidate, SipUri ours) =>
        string.Equals(candidate.Host.Trim('[', ']'), ours.Host.Trim('[', ']'), StringComparison.OrdinalIgnoreCase)
        && (candidate.Port ?? 5060) == (ours.Port ?? 5060);

    /// <summary>RFC 3261 §20.33: Retry-After = delta-seconds [comment] *(; params).</summary>
    internal static TimeSpan? RetryAfter(SipResponse response)
    {
        string? value = response.Headers.GetValue(SipHeaderId.RetryAfter);
        if (value is null)
        {
            return null;
        }

        ReadOnlySpan<char> v = value.AsSpan().TrimStart();
        int end = 0;
        while (end < v.Length && char.IsAsciiDigit(v[end]))
        {
            end++;
        }

        return end > 0 && uint.TryParse(v[..end], NumberStyles.None, CultureInfo.InvariantCulture, out uint seconds)
            ? TimeSpan.FromSeconds(seconds)
            : null;
    }

    private static string UriHost(IPAddress address) => address.AddressFamily == AddressFamily.InterNetworkV6 ? "[" + address + "]" : address.ToString();

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private static string SafePhrase(string reason)
    {
        string s = reason.ReplaceLineEndings(" ");
        return s.Length > 100 ? s[..100] : s;
    }
}
