// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Threading.Channels;
using ImUeAgent.Im.Content;
using ImUeAgent.Im.FeatureTags;
using ImUeAgent.Ims.Registration;
using ImUeAgent.Sip.Message;
using ImUeAgent.Sip.Transactions;
using ImUeAgent.Sip.Ua;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImUeAgent.Im.Settings;

/// <summary>
/// The IM Client's IM Service Settings procedure (OMA SIMPLE IM 5.2.4) as an RFC 3903 event state compositor client:
/// once registered, PUBLISH to the own IM address with Event: poc-settings and the seven settings
/// (application/poc-settings+xml); keep the SIP-ETag; refresh before expiry with SIP-If-Match and no body (§4.2),
/// modify with SIP-If-Match and a body (§4.4), remove with Expires: 0 on stop (§4.5). 412 starts afresh with an
/// initial PUBLISH, 423 retries with Min-Expires, other failures back off. Each Expires asked for stays within the
/// registration's remaining time (5.2.4 step 7). Re-registration, or a new UA, publishes from scratch.
/// One loop task owns every mutable field; registration changes, timers, updates and stop are events posted to it
/// (STYLE.md §13). All timing comes from the <see cref="TimeProvider"/>.
/// </summary>
public sealed class ImSettingsPublisher : IAsyncDisposable
{
    /// <summary>RFC 3903 §11.3 / §11.4.</summary>
    internal const string SipETag = "SIP-ETag";

    internal const string SipIfMatch = "SIP-If-Match";

    private readonly ImsRegistration _registration;
    private readonly ImSettingsPublisherSettings _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<double> _random;
    private readonly ClientFeatureTagPolicy _policy;
    private readonly string _entityId = RandomNumberGenerator.GetHexString(16, lowercase: true);
    private readonly Channel<LoopEvent> _events = Channel.CreateUnbounded<LoopEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _disposing = new();
    private readonly Lock _stateGate = new();
    private ImSettingsPublicationState _state;
    private Task? _loop;
    private bool _closed;

    // ---- owned by the loop ----
    private ImSettings _desired;
    private bool _registered;
    private bool _modifyPending;
    private string? _entityTag;
    private DateTimeOffset? _expiresAt;
    private uint? _minExpires;
    private string _callId = SipUserAgent.NewTag();
    private string _fromTag = SipUserAgent.NewTag();
    private uint _cseq = 1;
    private int _failures;
    private ITimer? _timer;
    private int _generation;

    /// <param name="registration">The IMS registration: its UA sends the PUBLISH (preloaded Service-Route), its state
    /// says when to publish and for how long.</param>
    /// <param name="settings">The seven settings to publish first (<see cref="UpdateAsync"/> changes them).</param>
    /// <param name="options">Expires, User-Agent, feature tags, backoff; null takes the defaults.</param>
    /// <param name="random">Values in [0, 1) for the backoff jitter; null uses <see cref="Random.Shared"/>.</param>
    public ImSettingsPublisher(ImsRegistration registration, ImSettings settings, ImSettingsPublisherSettings? options = null,
        TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null, Func<double>? random = null)
    {
        ArgumentNullException.ThrowIfNull(registration);
        ArgumentNullException.ThrowIfNull(settings);
        options ??= new ImSettingsPublisherSettings();
        options.Validate();
        _registration = registration;
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _logger = loggerFactory?.CreateLogger("ImUeAgent.Im.Settings") ?? NullLogger.Instance;
        _random = random ?? Random.Shared.NextDouble;
        // Throws naming a bad entry: configuration errors surface here, never on the wire.
        _policy = ClientFeatureTagPolicy.Create(new ImFeatureTagSettings { AcceptContact = options.ApplicationFeatureTags });
        _desired = settings;
        _state = new ImSettingsPublicationState { Settings = settings };
    }

    /// <summary>The current state.</summary>
    public ImSettingsPublicationState State
    {
        get
        {
            lock (_stateGate)
            {
                return _state;
            }
        }
    }

    /// <summary>Raised after every state change, on the publisher's loop (handlers must not block).</summary>
    public event Action<ImSettingsPublicationState>? StateChanged;

    /// <summary>Starts following the registration: publishes as soon as (and whenever again) it is Registered.</summary>
    public void Start()
    {
        lock (_stateGate)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            if (_loop is not null)
            {
                return;
            }

            _registration.StateChanged += OnRegistrationChanged;
            _registration.UserAgentReplaced += OnUserAgentReplaced;
            _loop = Task.Run(RunAsync);
        }

        // Subscribed first, read second: a change in between is seen twice, never missed (handling is idempotent).
        _events.Writer.TryWrite(new RegistrationChanged(_registration.State));
    }

    /// <summary>Publishes new settings: a modify (RFC 3903 §4.4: SIP-If-Match and the new body) while a publication
    /// is held, an initial PUBLISH otherwise. Not registered: the settings are kept for the next publication. Returns
    /// the state after the attempt (Published with status 200, Failed with the reason, or Unpublished).</summary>
    public async Task<ImSettingsPublicationState> UpdateAsync(ImSettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var done = new TaskCompletionSource<ImSettingsPublicationState>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_stateGate)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            if (_loop is null)
            {
                _desired = settings;
                _state = _state with { Settings = settings };
                return _state;
            }
        }

        ObjectDisposedException.ThrowIf(!_events.Writer.TryWrite(new UpdateRequested(settings, done)), this);

        return await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes the publication (RFC 3903 §4.5: Expires: 0 with SIP-If-Match) when one is held and the UE is
    /// registered, then stops. Call it before de-registering.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        Task? loop;
        lock (_stateGate)
        {
            loop = _loop;
            _closed = true;
        }

        if (loop is null)
        {
            SetState(s => s with { Status = ImSettingsPublicationStatus.Stopped, NextAttemptAt = null });
            return;
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (_events.Writer.TryWrite(new StopRequested(done)))
        {
            await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        await loop.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops without removing (the publication expires at the IM Server by itself).</summary>
    public async ValueTask DisposeAsync()
    {
        Task? loop;
        lock (_stateGate)
        {
            loop = _loop;
            _closed = true;
        }

        _registration.StateChanged -= OnRegistrationChanged;
        _registration.UserAgentReplaced -= OnUserAgentReplaced;
        await _disposing.CancelAsync().ConfigureAwait(false);
        _events.Writer.TryComplete();
        if (loop is not null)
        {
            await loop.ConfigureAwait(false);
        }

        _timer?.Dispose();
        _disposing.Dispose();
    }

    // ---- the loop ----

    private abstract record LoopEvent;

    private sealed record RegistrationChanged(RegistrationState State) : LoopEvent;

    private sealed record UserAgentWasReplaced : LoopEvent;

    private sealed record PublishDue(int Generation) : LoopEvent;

    private sealed record UpdateRequested(ImSettings Settings, TaskCompletionSource<ImSettingsPublicationState> Done) : LoopEvent;

    private sealed record StopRequested(TaskCompletionSource Done) : LoopEvent;

    /// <summary>What a PUBLISH does (RFC 3903 §4.1, §4.2, §4.4, §4.5).</summary>
    private enum PublishKind : byte
    {
        Initial,
        Refresh,
        Modify,
        Remove,
    }

    private void OnRegistrationChanged(RegistrationState state) => _events.Writer.TryWrite(new RegistrationChanged(state));

    private void OnUserAgentReplaced(SipUserAgent userAgent) => _events.Writer.TryWrite(new UserAgentWasReplaced());

    private async Task RunAsync()
    {
        CancellationToken stopping = _disposing.Token;
        try
        {
            await foreach (LoopEvent e in _events.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                switch (e)
                {
                    case RegistrationChanged changed:
                        await OnRegistrationStateAsync(changed.State, stopping).ConfigureAwait(false);
                        break;
                    case UserAgentWasReplaced:
                        // A new UA (new local address): whatever was published through the old one is not ours to
                        // refresh; publish afresh once registered again.
                        ForgetPublication();
                        break;
                    case PublishDue due when due.Generation == _generation && _registered:
                        await PublishAsync(stopping).ConfigureAwait(false);
                        break;
                    case UpdateRequested update:
                        await OnUpdateAsync(update, stopping).ConfigureAwait(false);
                        break;
                    case StopRequested stop:
                        await RemoveAsync(stopping).ConfigureAwait(false);
                        stop.Done.TrySetResult();
                        _events.Writer.TryComplete();
                        DrainAfterStop();
                        return;
                }
            }
        }
        catch (Exception) when (stopping.IsCancellationRequested)
        {
            // Disposed while a PUBLISH was on its way (the send is cancelled, or the UA went away with it).
        }
        catch (Exception e)
        {
            SettingsLog.LoopFailed(_logger, e);
            throw;
        }
        finally
        {
            CancelTimer();
            DrainAfterStop();
        }
    }

    /// <summary>Answers callers whose events will never run (the loop ended).</summary>
    private void DrainAfterStop()
    {
        while (_events.Reader.TryRead(out LoopEvent? e))
        {
            switch (e)
            {
                case UpdateRequested update:
                    update.Done.TrySetException(new ObjectDisposedException(nameof(ImSettingsPublisher)));
                    break;
                case StopRequested stop:
                    stop.Done.TrySetResult();
                    break;
            }
        }
    }

    private async Task OnRegistrationStateAsync(RegistrationState state, CancellationToken cancellationToken)
    {
        bool registered = state.Status == RegistrationStatus.Registered;
        if (registered == _registered)
        {
            if (registered && State.FailureReason == ImSettingsFailureReason.NoImAddress && OwnImAddress(state) is not null)
            {
                // A refreshed registration brought a SIP identity to publish to.
                await PublishAsync(cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        _registered = registered;
        if (registered)
        {
            // A (re-)registration: the IM Server may hold nothing of ours; publish from scratch.
            SettingsLog.RegistrationChanged(_logger, state.Status.ToString(), "initial PUBLISH");
            ForgetPublication();
            _failures = 0;
            await PublishAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        SettingsLog.RegistrationChanged(_logger, state.Status.ToString(), "suspended until registered");
        ForgetPublication();
        SetState(s => s with
        {
            Status = ImSettingsPublicationStatus.Unpublished,
            EntityTag = null,
            ExpiresAt = null,
            NextAttemptAt = null,
        });
    }

    private async Task OnUpdateAsync(UpdateRequested update, CancellationToken cancellationToken)
    {
        _desired = update.Settings;
        _modifyPending = _entityTag is not null;
        SetState(s => s with { Settings = update.Settings });
        if (_registered)
        {
            // The user asked now: no waiting for a backoff that may be running.
            _failures = 0;
            await PublishAsync(cancellationToken).ConfigureAwait(false);
        }

        update.Done.TrySetResult(State);
    }

    private void ForgetPublication()
    {
        CancelTimer();
        _entityTag = null;
        _expiresAt = null;
        _modifyPending = false;
        _minExpires = null;
        NewCallId();
    }

    // ---- PUBLISH ----

    private async Task PublishAsync(CancellationToken cancellationToken)
    {
        CancelTimer();
        int tooBrief = 0;
        while (_registered)
        {
            DateTimeOffset now = _time.GetUtcNow();
            if (_entityTag is not null && _expiresAt is { } until && until <= now)
            {
                // The publication lapsed at the IM Server (RFC 3903 §6 step 1): its tag would only earn a 412.
                _entityTag = null;
                _expiresAt = null;
            }

            RegistrationState registration = _registration.State;
            if (OwnImAddress(registration) is not { } aor)
            {
                Fail(ImSettingsFailureReason.NoImAddress, "no SIP URI among the registered public identities", null, retry: false);
                return;
            }

            PublishKind kind = _entityTag is null ? PublishKind.Initial : _modifyPending ? PublishKind.Modify : PublishKind.Refresh;
            uint expires = ChooseExpires(registration, now);
            SipRequest request = BuildPublish(aor, kind, expires);
            // RFC 3261 §8.1.1.5: the next request of this Call-ID has a higher CSeq, answered or not.
            _cseq++;
            SetState(s => s with { Status = ImSettingsPublicationStatus.Pending, NextAttemptAt = null });
            SipResponse response;
            try
            {
                response = await _registration.UserAgent.SendAsync(request, null, null, cancellationToken).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (SipTransactionException e) when (e.Error == SipTransactionError.Timeout)
            {
                Fail(ImSettingsFailureReason.Timeout, "no response to PUBLISH", null);
                return;
            }
            catch (Exception e) when (e is SipTransactionException or IOException or SocketException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
            {
                Fail(ImSettingsFailureReason.TransportError, "transport failed: " + e.Message, null);
                return;
            }

            // The UA raised the CSeq when it answered a challenge.
            _cseq = Math.Max(_cseq, (response.Headers.CSeq?.Number ?? 0) + 1);
            int status = response.StatusCode;
            if (response.IsSuccess)
            {
                OnPublished(response, kind, expires);
                return;
            }

            switch (status)
            {
                case 412 when kind != PublishKind.Initial:
                    // RFC 3903 §4.1/§6 step 3: the IM Server no longer knows our entity tag; start over with a fresh
                    // initial PUBLISH carrying the full state.
                    SettingsLog.EntityTagUnknown(_logger);
                    _entityTag = null;
                    _expiresAt = null;
                    _modifyPending = false;
                    continue;
                case 412:
                    Fail(ImSettingsFailureReason.ConditionalRequestFailed, "412 to an initial PUBLISH", status);
                    return;
                case 423 when response.Headers.MinExpires is { } min && min > expires && tooBrief++ < 2:
                    // RFC 3903 §4.1 / RFC 3261 §10.2.8: ask again with at least Min-Expires.
                    SettingsLog.IntervalTooBrief(_logger, min);
                    _minExpires = min;
                    continue;
                case 423:
                    Fail(ImSettingsFailureReason.IntervalTooBrief, "interval too brief without a usable Min-Expires", status);
                    return;
                case 401 or 407:
                    Fail(ImSettingsFailureReason.Unauthorized, "authentication not accepted", status);
                    return;
                case >= 500 and < 600:
                    Fail(ImSettingsFailureReason.ServerFailure, "server failure: " + response.ReasonPhrase, status, retryAfter: RetryAfter(response));
                    return;
                default:
                    Fail(ImSettingsFailureReason.Rejected, "rejected: " + response.ReasonPhrase, status);
                    return;
            }
        }
    }

    private void OnPublished(SipResponse response, PublishKind kind, uint requested)
    {
        // RFC 3903 §4.1: the 2xx's Expires is the lifetime granted (the compositor may shorten it).
        uint granted = response.Headers.Expires ?? requested;
        if (granted == 0)
        {
            _entityTag = null;
            _expiresAt = null;
            Fail(ImSettingsFailureReason.NoTimeGranted, "the IM Server granted no time (Expires: 0)", response.StatusCode);
            return;
        }

        string? tag = response.Headers.GetValue(SipETag)?.Trim();
        if (string.IsNullOrEmpty(tag))
        {
            SettingsLog.NoEntityTag(_logger);
            tag = null;
        }

        DateTimeOffset now = _time.GetUtcNow();
        _entityTag = tag;
        _expiresAt = now + TimeSpan.FromSeconds(granted);
        if (kind is PublishKind.Initial or PublishKind.Modify)
        {
            _modifyPending = false;
        }

        _failures = 0;
        // The refresh rule of the registration (TS 24.229 §5.1.1.4.1): 600 s before expiry, or at half of it.
        TimeSpan refreshAfter = RegistrationTiming.RefreshAfter(TimeSpan.FromSeconds(granted));
        ArmTimer(refreshAfter);
        SettingsLog.Published(_logger, kind.ToString(), response.StatusCode, granted, refreshAfter);
        SetState(s => s with
        {
            Status = ImSettingsPublicationStatus.Published,
            Settings = _desired,
            EntityTag = tag,
            ExpiresAt = _expiresAt,
            NextAttemptAt = now + refreshAfter,
            LastStatusCode = response.StatusCode,
            LastPublishedAt = now,
            FailureReason = ImSettingsFailureReason.None,
            FailureText = null,
            ConsecutiveFailures = 0,
        });
    }

    /// <summary>Records a failure and, unless told not to, schedules the next attempt after Retry-After or the
    /// backoff. The entity tag is kept: a publication that is still alive is refreshed, a lapsed one earns a 412
    /// and a fresh start.</summary>
    private void Fail(ImSettingsFailureReason reason, string text, int? status, bool retry = true, TimeSpan? retryAfter = null)
    {
        TimeSpan? delay = null;
        if (retry)
        {
            delay = retryAfter ?? RegistrationTiming.Backoff(_failures, _random(), maxTime: _options.BackoffMax, baseTime: _options.BackoffBase);
            ArmTimer(delay.Value);
        }

        _failures++;
        SettingsLog.PublishFailed(_logger, reason, text, delay);
        DateTimeOffset now = _time.GetUtcNow();
        int failures = _failures;
        SetState(s => s with
        {
            Status = ImSettingsPublicationStatus.Failed,
            EntityTag = _entityTag,
            ExpiresAt = _expiresAt,
            NextAttemptAt = delay is { } d ? now + d : null,
            LastStatusCode = status,
            FailureReason = reason,
            FailureText = text,
            ConsecutiveFailures = failures,
        });
    }

    /// <summary>RFC 3903 §4.5: Expires: 0 with the entity tag removes the publication.</summary>
    private async Task RemoveAsync(CancellationToken cancellationToken)
    {
        CancelTimer();
        DateTimeOffset now = _time.GetUtcNow();
        if (_registered && _entityTag is not null && _expiresAt > now && OwnImAddress(_registration.State) is { } aor)
        {
            SipRequest request = BuildPublish(aor, PublishKind.Remove, 0);
            _cseq++;
            try
            {
                SipResponse response = await _registration.UserAgent.SendAsync(request, null, null, cancellationToken).WaitAsync(cancellationToken).ConfigureAwait(false);
                // 412 means the publication is gone already: the goal either way.
                SettingsLog.Removed(_logger, response.StatusCode.ToString(CultureInfo.InvariantCulture));
                SetState(s => s with { LastStatusCode = response.StatusCode });
            }
            catch (Exception e) when (e is SipTransactionException or IOException or SocketException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
            {
                SettingsLog.Removed(_logger, "no answer (" + e.Message + "); the publication expires by itself");
            }
        }

        _entityTag = null;
        _expiresAt = null;
        SetState(s => s with { Status = ImSettingsPublicationStatus.Stopped, EntityTag = null, ExpiresAt = null, NextAttemptAt = null });
    }

    /// <summary>5.2.4 step 7: the configured lifetime, never beyond the registration's remaining time; a Min-Expires
    /// learnt from a 423 is a floor the IM Server insists on and wins.</summary>
    internal uint ChooseExpires(RegistrationState registration, DateTimeOffset now)
    {
        uint expires = _options.Expires;
        if (registration.ExpiresAt is { } registrationEnd)
        {
            double remaining = Math.Floor((registrationEnd - now).TotalSeconds);
            if (remaining < expires)
            {
                expires = (uint)Math.Max(1, remaining);
            }
        }

        if (_minExpires is { } min && expires < min)
        {
            expires = min;
        }

        return expires;
    }

    private SipRequest BuildPublish(SipUri aor, PublishKind kind, uint expires)
    {
        // 5.2.4 steps 1–2, 6: RFC 3903 PUBLISH to the own IM address with Event: poc-settings (RFC 4354).
        SipMessageBuilder b = SipMessageBuilder.Request(SipMethod.Publish, aor)
            .MaxForwards(70)
            .From(new NameAddress(aor, null, new SipParameter("tag", _fromTag)))
            .To(new NameAddress(aor))
            .CallId(_callId)
            .CSeq(_cseq, SipMethod.Publish)
            .Add(SipHeaderId.Event, ImSettingsDocument.EventPackage)
            .Add(SipHeaderId.Expires, expires.ToString(CultureInfo.InvariantCulture));
        if (kind != PublishKind.Initial)
        {
            b.Add(SipIfMatch, _entityTag!);
        }

        // Step 4: '+g.oma.sip-im' beside the application's own Accept-Contact predicates, byte-exact.
        _policy.AddAcceptContact(b);
        // Step 3 (5.1): the Authenticated Originator's IM Address; in IMS the UE asks for it with P-Preferred-Identity
        // and the P-CSCF asserts it (TS 24.229 §5.1.2A.1.1).
        b.Add(SipHeaderId.PPreferredIdentity, "<" + aor + ">");
        // Step 5: the IM release version (Appendix F).
        b.Add(SipHeaderId.UserAgent, _options.UserAgent);
        if (kind is PublishKind.Initial or PublishKind.Modify)
        {
            // Step 8: all seven settings (Appendix E.2).
            b.Body(ImSettingsDocument.MediaType, ImSettingsDocument.Build(_desired.ToServiceSettings(), _entityId));
        }

        return b.BuildRequest();
    }

    /// <summary>The own IM address: the first registered SIP public identity (P-Associated-URI order, RFC 7315 §4.1).</summary>
    private static SipUri? OwnImAddress(RegistrationState state)
    {
        foreach (string identity in state.PublicIdentities)
        {
            if (SipUri.TryParse(identity, out SipUri? uri) && uri.Scheme is SipUriScheme.Sip or SipUriScheme.Sips)
            {
                return uri;
            }
        }

        return null;
    }

    /// <summary>RFC 3261 §20.33: Retry-After = delta-seconds [comment] *(; params).</summary>
    internal static TimeSpan? RetryAfter(SipResponse response)
    {
        ReadOnlySpan<char> v = response.Headers.GetValue(SipHeaderId.RetryAfter).AsSpan().TrimStart();
        int end = 0;
        while (end < v.Length && char.IsAsciiDigit(v[end]))
        {
            end++;
        }

        return end > 0 && uint.TryParse(v[..end], NumberStyles.None, CultureInfo.InvariantCulture, out uint seconds)
            ? TimeSpan.FromSeconds(seconds)
            : null;
    }

    private void NewCallId()
    {
        _callId = SipUserAgent.NewTag();
        _fromTag = SipUserAgent.NewTag();
        _cseq = 1;
    }

    private void ArmTimer(TimeSpan due)
    {
        CancelTimer();
        var e = new PublishDue(_generation);
        if (due <= TimeSpan.Zero)
        {
            _events.Writer.TryWrite(e);
            return;
        }

        _timer = _time.CreateTimer(static state =>
        {
            var (writer, ev) = ((ChannelWriter<LoopEvent>, LoopEvent))state!;
            writer.TryWrite(ev);
        }, (_events.Writer, (LoopEvent)e), due, Timeout.InfiniteTimeSpan);
    }

    private void CancelTimer()
    {
        _timer?.Dispose();
        _timer = null;
        _generation++;
    }

    private void SetState(Func<ImSettingsPublicationState, ImSettingsPublicationState> change)
    {
        ImSettingsPublicationState next;
        lock (_stateGate)
        {
            ImSettingsPublicationState previous = _state;
            next = change(previous);
            if (next == previous)
            {
                return;
            }

            _state = next;
        }

        // Each handler on its own: one that throws must not keep the others (or the loop) from the change.
        foreach (Action<ImSettingsPublicationState> handler in Delegate.EnumerateInvocationList(StateChanged))
        {
            try
            {
                handler(next);
            }
            catch (Exception e)
            {
                SettingsLog.HandlerFailed(_logger, e);
            }
        }
    }
}
