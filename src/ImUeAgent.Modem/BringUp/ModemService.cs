// SPDX-License-Identifier: MIT
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ImUeAgent.Modem.At;
using ImUeAgent.Modem.At.Urc;
using ImUeAgent.Modem.Ports;
using ImUeAgent.Modem.Power;
using ImUeAgent.Modem.Profiles;
using ImUeAgent.Uicc.Aka;
using ImUeAgent.Uicc.Isim;
using ImUeAgent.Uicc.Soft;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImUeAgent.Modem.BringUp;

/// <summary>
/// The long-running owner of the modem (the daemon hosts it): port → <see cref="AtChannel"/> → bring-up in explicit
/// phases → <see cref="ModemPhase.Ready"/>, then watching. A +CEREG leaving "registered" or +CGEV DETACH resumes
/// bring-up at <see cref="ModemPhase.Attach"/>, the IMS PDN's deactivation at <see cref="ModemPhase.ImsPdn"/>; a
/// module reset ("RDY", "+CFUN: 1", "+CPIN: READY") or a broken channel (which reopens itself) starts again from the
/// probe. Failed runs are retried with a growing delay; after <see cref="ModemServiceSettings.FailuresBeforePowerAction"/>
/// of them in a row the board's RESET line is pulsed, after twice as many the module is power cycled. Everything waits
/// on URCs, answers or <see cref="TimeProvider"/> timers, never on a polling loop.
/// </summary>
public sealed partial class ModemService : IAsyncDisposable
{
    private readonly IModemPort _port;
    private readonly ModemServiceSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly ModemAkaAuthenticator _authenticator = new();
    private readonly VersionedSignal<NetworkRegistrationReport> _registration = new();
    private readonly VersionedSignal<string> _simReadyUrc = new();
    private readonly VersionedSignal<string> _resetIndication = new();
    private readonly VersionedSignal<string> _channelChanged = new();
    private readonly Lock _stateGate = new();
    private readonly Lock _publishGate = new();
    private readonly List<Channel<ModemState>> _watchers = [];
    private readonly Lock _triggerGate = new();
    private readonly CancellationTokenSource _stopping = new();
    private ModemPower? _power;
    private bool _ownsPower;
    private ModemState _state = ModemState.Initial;
    private AtChannel? _channel;
    private List<IDisposable> _subscriptions = [];
    private IAtTranscript? _transcript;
    private Task? _supervisor;
    private int _disposed;

    // Trigger bookkeeping (guarded by _triggerGate).
    private RecoveryTrigger? _pendingTrigger;
    private CancellationTokenSource? _runCancellation;
    private TaskCompletionSource? _triggerWaiter;
    private DateTimeOffset _probeStartedAt = DateTimeOffset.MinValue;

    /// <summary>Creates the service for the port named in <paramref name="settings"/> (<see cref="ModemServiceSettings.Port"/>).</summary>
    public ModemService(ModemServiceSettings settings, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
        : this(CreatePort(settings, timeProvider), settings, timeProvider, loggerFactory, power: null)
    {
    }

    /// <summary>Creates the service on a given port (the CLI's, a test's in-memory pipe); <paramref name="power"/> overrides <see cref="ModemServiceSettings.PowerBoard"/>.</summary>
    public ModemService(IModemPort port, ModemServiceSettings settings, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null, ModemPower? power = null)
    {
        ArgumentNullException.ThrowIfNull(port);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate(portRequired: false);
        _port = port;
        _settings = settings;
        _time = timeProvider ?? TimeProvider.System;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger("ImUeAgent.Modem.BringUp.ModemService");
        _power = power;
    }

    /// <summary>The current state (immutable).</summary>
    public ModemState State
    {
        get
        {
            lock (_stateGate)
            {
                return _state;
            }
        }
    }

    /// <summary>Raised on every state change, in order. Handlers must be quick and must not call back into the service's commands.</summary>
    public event Action<ModemState>? StateChanged;

    /// <summary>AKA and identities for the Ims layer: the ISIM over the modem, or the configured soft ISIM. Stable for the service's lifetime.</summary>
    public IImsAkaAuthenticator Authenticator => _authenticator;

    /// <summary>The profiles the probe chooses from (loaded by <see cref="StartAsync"/>).</summary>
    public IReadOnlyList<ModemProfile> Profiles { get; private set; } = [];

    /// <summary>Receives the AT transcript (what `imue-agent at` shows); sensitive commands arrive redacted.</summary>
    public IAtTranscript? Transcript
    {
        get => _transcript;
        set
        {
            _transcript = value;
            if (_channel is { } channel)
            {
                channel.Transcript = value;
            }
        }
    }

    /// <summary>Loads the profiles, opens the port and starts bring-up in the background.</summary>
    /// <exception cref="ModemProfileException">A profile file is unusable (names file and field).</exception>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        if (_supervisor is not null)
        {
            return Task.CompletedTask;
        }

        Profiles = _settings.Profiles
            ?? (_settings.ProfileDirectory is { } directory ? ModemProfile.LoadAll(directory) : [BuiltInGenericProfile()]);
        if (_settings.ProfileName is { } forced && Profiles.All(p => p.Name != forced))
        {
            throw new ModemProfileException($"profile '{forced}' (setting ProfileName) is not among the {Profiles.Count} loaded");
        }

        OpenChannel(_settings.Channel ?? new AtChannelSettings());
        _supervisor = Task.Run(() => SuperviseAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Completes when the service reaches <paramref name="phase"/> (at once if it is there).</summary>
    public async Task<ModemState> WaitForPhaseAsync(ModemPhase phase, CancellationToken cancellationToken = default)
    {
        await foreach (var state in WatchStateAsync(cancellationToken).ConfigureAwait(false))
        {
            if (state.Phase == phase)
            {
                return state;
            }
        }

        throw new OperationCanceledException(cancellationToken);
    }

    /// <summary>The current state, then every change (intermediate states may be skipped by a slow reader, the latest never).</summary>
    public async IAsyncEnumerable<ModemState> WatchStateAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateBounded<ModemState>(new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        lock (_publishGate)
        {
            channel.Writer.TryWrite(State);
            _watchers.Add(channel);
        }

        try
        {
            await foreach (var state in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return state;
            }
        }
        finally
        {
            lock (_publishGate)
            {
                _watchers.Remove(channel);
            }
        }
    }

    /// <summary>
    /// Sends a raw AT command line (the CLI's `imue-agent at` while the daemon owns the port). The answer carries
    /// every information line; +CGLA/+CSIM AUTHENTICATE and GET RESPONSE are redacted in logs and the transcript.
    /// </summary>
    public Task<AtResponse> SendCommandAsync(string commandLine, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(commandLine);
        var channel = _channel ?? throw new InvalidOperationException("the modem service is not started");
        var prefix = CommandPrefix(commandLine);
        var command = prefix is null
            ? new AtCommand(commandLine) { AcceptsUnprefixedLines = true, Timeout = timeout, IsSensitive = Uicc.AtUiccChannel.IsSensitiveCommandLine(commandLine), NoRetransmit = true }
            : new AtCommand(commandLine, prefix) { AcceptsUnprefixedLines = true, Timeout = timeout, IsSensitive = Uicc.AtUiccChannel.IsSensitiveCommandLine(commandLine), NoRetransmit = true };
        return channel.SendAsync(command, cancellationToken);
    }

    /// <summary>Starts bring-up again from the probe (the SIM was changed, a PIN configured).</summary>
    public Task RestartAsync()
    {
        Raise(new RecoveryTrigger(RecoveryTriggerKind.Requested, ModemPhase.Probe, "restart requested"), force: true);
        return Task.CompletedTask;
    }

    /// <summary>Stops: the ISIM's logical channel is closed (+CCHC), then the port.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_supervisor is { } supervisor)
        {
            await supervisor.ConfigureAwait(false);
        }

        await CloseIsimAsync().ConfigureAwait(false);
        _softIsim?.Dispose();
        _softIsim = null;
        _authenticator.Clear();
        if (_channel is { } channel)
        {
            DetachChannel(channel);
            await channel.DisposeAsync().ConfigureAwait(false);
        }

        if (_ownsPower)
        {
            _power?.Dispose();
        }

        UpdateState(s => s with { Phase = ModemPhase.Stopped, Since = _time.GetUtcNow(), Activity = null });
        lock (_publishGate)
        {
            foreach (var watcher in _watchers)
            {
                watcher.Writer.TryComplete();
            }
        }

        _stopping.Dispose();
    }

    // ----- Supervision -----

    private async Task SuperviseAsync(CancellationToken stopping)
    {
        var resume = ModemPhase.Probe;
        var invalidateUicc = true;
        var failures = 0;
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                failures = await WaitForChannelReadyAsync(failures, stopping).ConfigureAwait(false);
                using var run = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                lock (_triggerGate)
                {
                    // Triggers raised while the channel was away still count: resume at the earliest.
                    if (_pendingTrigger is { } early)
                    {
                        resume = _profile is null || early.ResumeAt < resume ? (_profile is null ? ModemPhase.Probe : early.ResumeAt) : resume;
                        invalidateUicc |= early.InvalidatesUicc;
                        _pendingTrigger = null;
                    }

                    _runCancellation = run;
                }

                ModemFailure? failure = null;
                try
                {
                    await RunBringUpAsync(resume, invalidateUicc, run.Token).ConfigureAwait(false);
                }
                catch (BringUpFailedException exception)
                {
                    failure = exception.Failure;
                }
                catch (ChannelLostException)
                {
                    Raise(new RecoveryTrigger(RecoveryTriggerKind.ChannelBroken, ModemPhase.Probe, "AT channel lost during bring-up"), force: true);
                }
                catch (BringUpResumeException exception)
                {
                    Raise(new RecoveryTrigger(RecoveryTriggerKind.ModuleReset, exception.Phase, exception.Message), force: true);
                }
                catch (OperationCanceledException) when (run.IsCancellationRequested && !stopping.IsCancellationRequested)
                {
                    // A trigger stopped the run; it is pending.
                }
                finally
                {
                    lock (_triggerGate)
                    {
                        _runCancellation = null;
                    }
                }

                if (stopping.IsCancellationRequested)
                {
                    break;
                }

                RecoveryTrigger? trigger;
                if (TakeTrigger() is { } pending)
                {
                    trigger = pending;
                }
                else if (failure is null)
                {
                    failures = 0;
                    UpdateState(s => s with { ConsecutiveFailures = 0 });
                    do
                    {
                        trigger = await WaitForTriggerAsync(null, stopping).ConfigureAwait(false);
                    }
                    while (trigger is null);
                }
                else
                {
                    failures++;
                    _logger.BringUpFailed(failure.Phase, failure.Message, failure.Reason);
                    var failed = failure;
                    var count = failures;
                    UpdateState(s => s with { Phase = ModemPhase.Failed, Since = _time.GetUtcNow(), Activity = null, LastFailure = failed, ConsecutiveFailures = count });
                    var powered = !failure.NeedsIntervention && await PowerActionAsync(failures, stopping).ConfigureAwait(false);
                    TimeSpan? delay = failure.NeedsIntervention ? null : powered ? TimeSpan.Zero : RetryDelay(failures);
                    if (delay is { } d && d > TimeSpan.Zero)
                    {
                        _logger.RetryScheduled(d.TotalMilliseconds, failures);
                    }

                    trigger = await WaitForTriggerAsync(delay, stopping).ConfigureAwait(false)
                        ?? new RecoveryTrigger(powered ? RecoveryTriggerKind.ModuleReset : RecoveryTriggerKind.Requested,
                            powered || failure.Phase < ModemPhase.Attach ? ModemPhase.Probe : failure.Phase, "retry after failure");
                }

                _logger.RecoveryTriggered(trigger.ToString(), trigger.ResumeAt);
                resume = _profile is null ? ModemPhase.Probe : trigger.ResumeAt;
                invalidateUicc = trigger.InvalidatesUicc;
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Shutting down.
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            _logger.ServiceFailed(exception);
            UpdateState(s => s with
            {
                Phase = ModemPhase.Failed,
                Since = _time.GetUtcNow(),
                LastFailure = new ModemFailure(ModemFailureReason.ModemNotAnswering, s.Phase, $"modem service stopped: {exception.Message}", _time.GetUtcNow()),
            });
        }
    }

    /// <summary>
    /// Waits for the channel to be Ready. Each break in the meantime because the modem does not answer or the port
    /// cannot be opened counts as a failed run (power actions after enough of them).
    /// </summary>
    private async Task<int> WaitForChannelReadyAsync(int failures, CancellationToken stopping)
    {
        var counted = DateTimeOffset.MinValue;
        while (true)
        {
            var (_, version) = _channelChanged.Current;
            var status = _channel!.Status;
            UpdateState(s => s.Channel == status ? s : s with { Channel = status });
            if (status.State == AtChannelState.Ready)
            {
                return failures;
            }

            if (status.State == AtChannelState.Broken && status.Since != counted
                && status.Reason is AtChannelBreakReason.Unresponsive or AtChannelBreakReason.PortUnavailable)
            {
                counted = status.Since;
                failures++;
                var failure = new ModemFailure(
                    status.Reason == AtChannelBreakReason.Unresponsive ? ModemFailureReason.ModemNotAnswering : ModemFailureReason.PortUnavailable,
                    ModemPhase.Probe,
                    status.Reason == AtChannelBreakReason.Unresponsive ? $"modem did not answer ({status.Detail})" : $"modem port unavailable ({status.Detail})",
                    status.Since);
                var count = failures;
                _logger.BringUpFailed(failure.Phase, failure.Message, failure.Reason);
                UpdateState(s => s with { Phase = ModemPhase.Failed, Since = _time.GetUtcNow(), Activity = null, LastFailure = failure, ConsecutiveFailures = count });
                await PowerActionAsync(failures, stopping).ConfigureAwait(false);
            }

            await _channelChanged.WaitAfterAsync(version, stopping).ConfigureAwait(false);
        }
    }

    private TimeSpan RetryDelay(int failures)
    {
        var delay = _settings.RetryDelay;
        for (var i = 1; i < failures && delay < _settings.RetryDelayMax; i++)
        {
            delay *= 2;
        }

        return delay > _settings.RetryDelayMax ? _settings.RetryDelayMax : delay;
    }

    /// <summary>The last steps of recovery: RESET after N failures in a row, a power cycle after 2N (and every N after).</summary>
    private async Task<bool> PowerActionAsync(int failures, CancellationToken stopping)
    {
        var every = _settings.FailuresBeforePowerAction;
        if (failures % every != 0)
        {
            return false;
        }

        var power = GetPower();
        if (power is null)
        {
            return false;
        }

        var reset = failures / every == 1 && _settings.PowerBoard?.Reset is not null;
        var action = reset ? "reset" : "power cycle";
        _logger.PowerAction(action);
        UpdateState(s => s with { Activity = $"{action} through the power lines" });
        try
        {
            if (reset)
            {
                await power.ResetAsync(stopping).ConfigureAwait(false);
            }
            else
            {
                await power.PowerCycleAsync(stopping).ConfigureAwait(false);
            }

            return true;
        }
        catch (Exception exception) when (exception is not OperationCanceledException and not OutOfMemoryException)
        {
            _logger.PowerActionFailed(action, exception);
            return false;
        }
    }

    private ModemPower? GetPower()
    {
        if (_power is not null || _settings.PowerBoard is not { } board)
        {
            return _power;
        }

        try
        {
            _power = new ModemPower(board, ModemPower.OpenLibgpiod, _time, _loggerFactory.CreateLogger<ModemPower>());
            _ownsPower = true;
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            _logger.PowerBoardUnavailable(board.Name, exception);
        }

        return _power;
    }

    // ----- Triggers -----

    /// <summary>
    /// Records a reason to resume bring-up earlier. While a run is in progress it counts only when the run has already
    /// passed the phase to resume at; while Ready every trigger counts; while Failed only those that may have changed
    /// the module or SIM.
    /// </summary>
    private void Raise(RecoveryTrigger trigger, bool force = false)
    {
        CancellationTokenSource? cancel = null;
        TaskCompletionSource? wake = null;
        var phase = State.Phase;
        lock (_triggerGate)
        {
            if (!force)
            {
                var accepted = phase switch
                {
                    ModemPhase.Ready => true,
                    ModemPhase.Failed or ModemPhase.Stopped => trigger.IsHard,
                    _ => trigger.Kind == RecoveryTriggerKind.ChannelBroken || phase > trigger.ResumeAt,
                };
                if (trigger.Kind == RecoveryTriggerKind.ModuleReset && _time.GetUtcNow() < _probeStartedAt + _settings.ResetBurstWindow
                    && !(phase == ModemPhase.Ready && trigger.Detail.StartsWith("RDY", StringComparison.Ordinal)))
                {
                    // The same boot's indications, seen again while probing it. Once Ready, a late "+CPIN: READY"
                    // may still be that boot's, but "RDY" is only sent by a module that has just started again:
                    // ignoring it would leave the agent Ready on a module that lost its PDN.
                    accepted = false;
                }

                if (!accepted)
                {
                    return;
                }
            }

            _pendingTrigger = RecoveryTrigger.Merge(_pendingTrigger, trigger);
            cancel = _runCancellation;
            wake = _triggerWaiter;
            _triggerWaiter = null;
        }

        wake?.TrySetResult();
        if (cancel is not null)
        {
            try
            {
                _ = cancel.CancelAsync();
            }
            catch (ObjectDisposedException)
            {
                // The run ended meanwhile; the trigger is pending for the supervisor.
            }
        }
    }

    private RecoveryTrigger? TakeTrigger()
    {
        lock (_triggerGate)
        {
            var trigger = _pendingTrigger;
            _pendingTrigger = null;
            return trigger;
        }
    }

    /// <summary>Waits for a trigger, or <paramref name="delay"/> (null: no limit); null when the delay elapsed first.</summary>
    private async Task<RecoveryTrigger?> WaitForTriggerAsync(TimeSpan? delay, CancellationToken stopping)
    {
        TaskCompletionSource waiter;
        lock (_triggerGate)
        {
            if (_pendingTrigger is not null)
            {
                var pending = _pendingTrigger;
                _pendingTrigger = null;
                return pending;
            }

            waiter = _triggerWaiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        if (delay is { } limit)
        {
            using var timer = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            var elapsed = Task.Delay(limit, _time, timer.Token);
            await Task.WhenAny(waiter.Task, elapsed).ConfigureAwait(false);
            await timer.CancelAsync().ConfigureAwait(false);
        }
        else
        {
            await waiter.Task.WaitAsync(stopping).ConfigureAwait(false);
        }

        stopping.ThrowIfCancellationRequested();
        lock (_triggerGate)
        {
            if (ReferenceEquals(_triggerWaiter, waiter))
            {
                _triggerWaiter = null;
            }
        }

        return TakeTrigger();
    }

    // ----- Channel and URCs -----

    private void OpenChannel(AtChannelSettings channelSettings)
    {
        var channel = new AtChannel(_port, channelSettings, _time, _loggerFactory) { Transcript = _transcript };
        channel.StatusChanged += OnChannelStatus;
        _subscriptions =
        [
            channel.Urcs.SubscribeNetworkRegistration(OnRegistration),
            channel.Urcs.SubscribePacketDomainEvents(OnPacketDomainEvent),
            channel.Urcs.Subscribe("RDY", urc => OnResetIndication(urc.Line)),
            channel.Urcs.Subscribe("+CFUN", urc => OnResetIndication(urc.Line)),
            channel.Urcs.Subscribe("+CPIN", OnSimUrc),
        ];
        _channel = channel;
        channel.Start();
    }

    private void DetachChannel(AtChannel channel)
    {
        channel.StatusChanged -= OnChannelStatus;
        foreach (var subscription in _subscriptions)
        {
            subscription.Dispose();
        }

        _subscriptions = [];
    }

    private void OnChannelStatus(AtChannelStatus status)
    {
        _channelChanged.Publish(status.ToString());
        UpdateState(s => s with { Channel = status });
        if (status.State == AtChannelState.Broken)
        {
            Raise(new RecoveryTrigger(RecoveryTriggerKind.ChannelBroken, ModemPhase.Probe, status.ToString()));
        }
    }

    private void OnRegistration(NetworkRegistrationReport report)
    {
        if (report.Name != "+CEREG")
        {
            return;
        }

        PublishRegistration(report);
        if (!report.IsRegistered)
        {
            Raise(new RecoveryTrigger(RecoveryTriggerKind.RegistrationLost, ModemPhase.Attach, $"+CEREG status {report.Status}"));
        }
    }

    private void PublishRegistration(NetworkRegistrationReport report)
    {
        var previous = State.Registration?.Status;
        _registration.Publish(report);
        UpdateState(s => s with { Registration = report });
        if (previous != report.Status)
        {
            _logger.RegistrationChanged(report.Status);
        }
    }

    private void OnPacketDomainEvent(PacketDomainEvent report)
    {
        var cid = State.ImsPdnCid ?? _settings.ImsPdnCid;
        switch (report.Kind)
        {
            case PacketDomainEventKind.NwDetach or PacketDomainEventKind.MeDetach:
                Raise(new RecoveryTrigger(RecoveryTriggerKind.RegistrationLost, ModemPhase.Attach, report.EventName));
                break;
            case PacketDomainEventKind.NwPdnDeact or PacketDomainEventKind.MePdnDeact or PacketDomainEventKind.PdnDeact
                or PacketDomainEventKind.NwDeact or PacketDomainEventKind.MeDeact when report.Cid == cid:
                Raise(new RecoveryTrigger(RecoveryTriggerKind.PdnLost, ModemPhase.ImsPdn, $"{report.EventName} {cid}"));
                break;
        }
    }

    private void OnSimUrc(AtUrc urc)
    {
        if (ModemReplies.TryParseCpin(urc.Line, out var state, out _) == ReplyParseError.None && state == SimPinState.Ready)
        {
            _simReadyUrc.Publish(urc.Line);
            OnResetIndication(urc.Line, ModemPhase.SimReady);
        }
    }

    private void OnResetIndication(string line, ModemPhase passedPhase = ModemPhase.Probe)
    {
        if (line.StartsWith("+CFUN", StringComparison.Ordinal) && !line.AsSpan(5).Trim().EndsWith("1"))
        {
            return;
        }

        _resetIndication.Publish(line);
        // "+CPIN: READY" after SIM busy is expected while the SIM phase runs: a reset only once past it.
        if (State.Phase > passedPhase || State.Phase is ModemPhase.Failed or ModemPhase.Ready)
        {
            Raise(new RecoveryTrigger(RecoveryTriggerKind.ModuleReset, ModemPhase.Probe, line));
        }
    }

    // ----- State -----

    private void UpdateState(Func<ModemState, ModemState> change)
    {
        lock (_publishGate)
        {
            ModemState next;
            lock (_stateGate)
            {
                next = change(_state);
                if (ReferenceEquals(next, _state) || next == _state)
                {
                    return;
                }

                _state = next;
            }

            foreach (var watcher in _watchers)
            {
                watcher.Writer.TryWrite(next);
            }

            try
            {
                StateChanged?.Invoke(next);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                _logger.StateHandlerFailed(exception);
            }
        }
    }

    private static IModemPort CreatePort(ModemServiceSettings settings, TimeProvider? timeProvider)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!ModemPortAddress.TryParse(settings.Port, out var address, out var error))
        {
            throw new ArgumentException($"{nameof(ModemServiceSettings.Port)}: '{settings.Port}' is not a modem port address ({error})", nameof(settings));
        }

        return address!.CreatePort(timeProvider);
    }

    /// <summary>The information-text name a raw command's answer carries ("AT+CGDCONT?" → "+CGDCONT").</summary>
    internal static string? CommandPrefix(string commandLine)
    {
        if (commandLine.Length < 4 || !commandLine.StartsWith("AT", StringComparison.OrdinalIgnoreCase) || commandLine[2] is not ('+' or '^' or '$' or '%' or '#' or '*'))
        {
            return null;
        }

        var end = 3;
        while (end < commandLine.Length && (char.IsAsciiLetterOrDigit(commandLine[end]) || commandLine[end] is '_' or '.'))
        {
            end++;
        }

        return end == 3 ? null : commandLine[2..end].ToUpperInvariant();
    }

    /// <summary>Plain 27.007 when no profile directory is configured (the same values as hardware/modems/generic).</summary>
    public static ModemProfile BuiltInGenericProfile() => new()
    {
        Name = "generic",
        Vendor = "3GPP",
        Model = "TS 27.007 MT",
        Pdn = new PdnQuirks { CgcontrdpLayout = CgcontrdpLayout.Current, DottedAddressAndMask = true, CgdcontMaxParameters = 12 },
    };

    private async Task CloseIsimAsync()
    {
        var isim = Interlocked.Exchange(ref _isim, null);
        if (isim is not null)
        {
            // IsimApplication closes with +CCHC and logs (never throws) a failure.
            await isim.DisposeAsync().ConfigureAwait(false);
        }
    }

    private IsimApplication? _isim;
    private SoftIsim? _softIsim;
}
