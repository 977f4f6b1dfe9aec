// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Net;
using ImUeAgent.Modem.At;
using ImUeAgent.Modem.At.Urc;
using ImUeAgent.Modem.Profiles;
using ImUeAgent.Modem.Uicc;
using ImUeAgent.Uicc;
using ImUeAgent.Uicc.Isim;
using ImUeAgent.Uicc.Soft;

namespace ImUeAgent.Modem.BringUp;

/// <summary>The bring-up phases (STYLE.md §10, §13: named steps, each with its own commands, timeouts and failure words).</summary>
public sealed partial class ModemService
{
    // Kept across runs (the supervisor's task only).
    private ModemProfile? _profile;
    private bool _pinRejected;
    private bool _moduleImsClientRestarted;

    private AtChannel At => _channel ?? throw new InvalidOperationException("the modem service is not started");

    private ModemProfile Profile => _profile ?? throw new InvalidOperationException("no profile selected yet");

    private TimeSpan DefaultTimeout => TimeSpan.FromMilliseconds(_profile?.Timeouts.DefaultMilliseconds ?? 5000);

    private TimeSpan PdnTimeout => TimeSpan.FromMilliseconds(Profile.Timeouts.PdnMilliseconds);

    /// <summary>Runs the phases from <paramref name="from"/> to Ready; throws to end the run any other way.</summary>
    private async Task RunBringUpAsync(ModemPhase from, bool invalidateUicc, CancellationToken cancellationToken)
    {
        if (_profile is null)
        {
            from = ModemPhase.Probe;
        }

        if (from <= ModemPhase.Probe || invalidateUicc)
        {
            // The card's logical channels did not survive a reset; give back any the modem still holds.
            await CloseIsimAsync().ConfigureAwait(false);
            _authenticator.Clear();
            UpdateState(s => s with { IsimAid = null });
        }

        if (from <= ModemPhase.Probe)
        {
            await ProbeAsync(cancellationToken).ConfigureAwait(false);
        }

        if (from <= ModemPhase.SimReady)
        {
            await SimReadyAsync(cancellationToken).ConfigureAwait(false);
        }

        if (from <= ModemPhase.Imsi)
        {
            await ImsiAsync(cancellationToken).ConfigureAwait(false);
        }

        if (from <= ModemPhase.ImsClientCheck)
        {
            await ImsClientCheckAsync(cancellationToken).ConfigureAwait(false);
        }

        if (from <= ModemPhase.Attach)
        {
            await AttachAsync(cancellationToken).ConfigureAwait(false);
        }

        if (from <= ModemPhase.ImsPdn)
        {
            await ImsPdnAsync(cancellationToken).ConfigureAwait(false);
        }

        if (from <= ModemPhase.Pcscf)
        {
            await PcscfAsync(cancellationToken).ConfigureAwait(false);
        }

        await IsimAsync(cancellationToken).ConfigureAwait(false);
        var ready = State;
        _logger.BringUpReady(Profile.Name, ready.ImsPdnCid ?? 0, ready.PcscfAddresses.Count, ready.PcscfSource);
        Enter(ModemPhase.Ready);
    }

    // ----- Probe: ATE0, +CMEE=1, identification, profile, init commands. -----

    private async Task ProbeAsync(CancellationToken cancellationToken)
    {
        Enter(ModemPhase.Probe);
        lock (_triggerGate)
        {
            _probeStartedAt = _time.GetUtcNow();
        }

        var echo = await CommandAsync(new AtCommand("ATE0") { Timeout = DefaultTimeout }, cancellationToken).ConfigureAwait(false);
        if (echo.Result == AtResultCode.TimedOut)
        {
            throw Fail(ModemFailureReason.ModemNotAnswering, ModemPhase.Probe, "modem did not answer ATE0");
        }

        await OptionalAsync("AT+CMEE=1", cancellationToken).ConfigureAwait(false);
        var manufacturer = await IdentifyAsync("AT+CGMI", "+CGMI", cancellationToken).ConfigureAwait(false);
        var model = await IdentifyAsync("AT+CGMM", "+CGMM", cancellationToken).ConfigureAwait(false);
        var revision = await IdentifyAsync("AT+CGMR", "+CGMR", cancellationToken).ConfigureAwait(false);
        var imei = await IdentifyAsync("AT+CGSN", "+CGSN", cancellationToken).ConfigureAwait(false);
        ModemProfile profile;
        try
        {
            profile = _settings.ProfileName is { } forced
                ? Profiles.First(p => p.Name == forced)
                : ModemProfile.Select(Profiles, manufacturer ?? string.Empty, model ?? string.Empty);
        }
        catch (ModemProfileException exception)
        {
            throw Fail(ModemFailureReason.NoProfile, ModemPhase.Probe, exception.Message);
        }

        _logger.ProfileSelected(manufacturer ?? "?", model ?? "?", revision ?? "?", profile.Name);
        var changed = _profile is not null && _profile.Name != profile.Name;
        _profile = profile;
        UpdateState(s => s with { ProfileName = profile.Name, Manufacturer = manufacturer, Model = model, Revision = revision, Imei = imei });
        if (changed)
        {
            // Another module answers now: nothing read from the old one holds.
            _moduleImsClientRestarted = false;
            _pinRejected = false;
        }

        await ApplyProfileChannelSettingsAsync(profile, cancellationToken).ConfigureAwait(false);
        foreach (var init in profile.InitCommands)
        {
            await OptionalAsync(init, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The profile's final results and +CME-then-OK quirk live in the channel: reopen it with them when they differ.</summary>
    private async Task ApplyProfileChannelSettingsAsync(ModemProfile profile, CancellationToken cancellationToken)
    {
        var current = At.Settings;
        var extras = profile.ExtraFinalResults;
        var missing = extras.Where(e => current.FinalResults.Patterns.All(p => p.Text != e)).ToList();
        if (missing.Count == 0 && current.CmeErrorTrailingOk == profile.CmeErrorFollowedByOk)
        {
            return;
        }

        var replaced = current with
        {
            FinalResults = missing.Count == 0 ? current.FinalResults : current.FinalResults.With(missing.Select(e => new AtFinalResultPattern(e, AtResultCode.Error))),
            CmeErrorTrailingOk = profile.CmeErrorFollowedByOk,
        };
        var old = At;
        DetachChannel(old);
        await old.DisposeAsync().ConfigureAwait(false);
        OpenChannel(replaced);
        _logger.ChannelReplaced(profile.Name);
        await At.WaitForStateAsync(AtChannelState.Ready, cancellationToken).ConfigureAwait(false);
    }

    private async Task<string?> IdentifyAsync(string text, string prefix, CancellationToken cancellationToken)
    {
        var response = await CommandAsync(new AtCommand(text, prefix) { AcceptsUnprefixedLines = true, Timeout = DefaultTimeout }, cancellationToken).ConfigureAwait(false);
        if (!response.IsOk || response.Lines.Count == 0)
        {
            _logger.OptionalCommandFailed(text, AtWords.Describe(response));
            return null;
        }

        return ModemReplies.IdentificationText(response.Lines[0], prefix);
    }

    // ----- SIM: +CPIN? until READY. -----

    private async Task SimReadyAsync(CancellationToken cancellationToken)
    {
        Enter(ModemPhase.SimReady);
        var deadline = _time.GetUtcNow() + TimeSpan.FromMilliseconds(Profile.Timeouts.SimBusyMilliseconds);
        var pinEntered = false;
        while (true)
        {
            var (_, urcVersion) = _simReadyUrc.Current;
            var response = await CommandAsync(new AtCommand("AT+CPIN?", "+CPIN") { Timeout = DefaultTimeout }, cancellationToken).ConfigureAwait(false);
            SimStatus waitingFor;
            string waitingWords;
            if (response.IsOk)
            {
                var line = response.FirstLine("+CPIN");
                if (line is null || ModemReplies.TryParseCpin(line, out var pin, out var code) is var error && error != ReplyParseError.None)
                {
                    throw Fail(ModemFailureReason.MalformedAnswer, ModemPhase.SimReady, $"+CPIN? answer unreadable: '{line ?? "(none)"}'");
                }

                switch (pin)
                {
                    case SimPinState.Ready or SimPinState.SimPin2 or SimPinState.SimPuk2:
                        UpdateState(s => s with { Sim = SimStatus.Ready });
                        return;
                    case SimPinState.SimPin:
                        await EnterPinAsync(pinEntered, cancellationToken).ConfigureAwait(false);
                        pinEntered = true;
                        continue;
                    case SimPinState.SimPuk:
                        throw SimFailure(SimStatus.PukRequired, ModemFailureReason.SimPukRequired, "SIM PUK required: the SIM is blocked");
                    case SimPinState.PhoneLock:
                        throw SimFailure(SimStatus.Locked, ModemFailureReason.SimLocked, $"SIM locked: {code} required");
                    default:
                        throw SimFailure(SimStatus.Failure, ModemFailureReason.SimFailure, $"SIM state '{code}' is not one bring-up knows");
                }
            }

            switch (response.Result)
            {
                case AtResultCode.TimedOut:
                    throw Fail(ModemFailureReason.ModemNotAnswering, ModemPhase.SimReady, "modem did not answer AT+CPIN?");
                case AtResultCode.CmeError when response.ErrorCode == 14:
                    (waitingFor, waitingWords) = (SimStatus.Busy, "SIM still busy");
                    break;
                case AtResultCode.CmeError when response.ErrorCode == 10:
                    (waitingFor, waitingWords) = (SimStatus.NotInserted, "SIM not inserted");
                    break;
                case AtResultCode.CmeError when response.ErrorCode == 11:
                    await EnterPinAsync(pinEntered, cancellationToken).ConfigureAwait(false);
                    pinEntered = true;
                    continue;
                case AtResultCode.CmeError when response.ErrorCode == 12:
                    throw SimFailure(SimStatus.PukRequired, ModemFailureReason.SimPukRequired, "SIM PUK required: the SIM is blocked");
                case AtResultCode.CmeError when response.ErrorCode is 13 or 15:
                    throw SimFailure(SimStatus.Failure, ModemFailureReason.SimFailure, $"SIM failure: +CPIN? answered {AtWords.Describe(response)}");
                default:
                    // Plain ERROR (or another +CME ERROR) while the card initialises: wait like busy, within the same limit.
                    (waitingFor, waitingWords) = (SimStatus.Busy, $"SIM not ready (+CPIN? answered {AtWords.Describe(response)})");
                    break;
            }

            var status = waitingFor;
            UpdateState(s => s with { Sim = status });
            var left = deadline - _time.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                var seconds = (Profile.Timeouts.SimBusyMilliseconds / 1000.0).ToString("0.#", CultureInfo.InvariantCulture);
                throw status == SimStatus.NotInserted
                    ? Fail(ModemFailureReason.SimNotInserted, ModemPhase.SimReady, "SIM not inserted")
                    : Fail(ModemFailureReason.SimBusy, ModemPhase.SimReady, $"{waitingWords} after {seconds} s");
            }

            var wait = left < _settings.SimBusyRetryInterval ? left : _settings.SimBusyRetryInterval;
            _logger.SimBusy(wait.TotalMilliseconds);
            await WaitForAsync(_simReadyUrc.WaitAfterAsync(urcVersion, cancellationToken), wait, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task EnterPinAsync(bool alreadyEntered, CancellationToken cancellationToken)
    {
        if (_settings.SimPin is not { } pin)
        {
            throw SimFailure(SimStatus.PinRequired, ModemFailureReason.SimPinRequired, "SIM PIN required");
        }

        if (_pinRejected || alreadyEntered)
        {
            throw SimFailure(SimStatus.PinRequired, ModemFailureReason.SimPinRejected, "SIM PIN rejected: not tried again (the SIM would block)");
        }

        _logger.SimPinEntered();
        var command = new AtCommand($"AT+CPIN=\"{pin}\"") { Timeout = DefaultTimeout, IsSensitive = true, NoRetransmit = true };
        var response = await CommandAsync(command, cancellationToken).ConfigureAwait(false);
        if (!response.IsOk)
        {
            _pinRejected = response.Result is AtResultCode.CmeError or AtResultCode.Error;
            throw SimFailure(SimStatus.PinRequired, ModemFailureReason.SimPinRejected, $"SIM PIN rejected: AT+CPIN answered {AtWords.Describe(response)}");
        }
    }

    private BringUpFailedException SimFailure(SimStatus sim, ModemFailureReason reason, string message)
    {
        UpdateState(s => s with { Sim = sim });
        return Fail(reason, ModemPhase.SimReady, message);
    }

    // ----- IMSI. -----

    private async Task ImsiAsync(CancellationToken cancellationToken)
    {
        Enter(ModemPhase.Imsi);
        var response = await CommandAsync(new AtCommand("AT+CIMI", "+CIMI") { AcceptsUnprefixedLines = true, Timeout = DefaultTimeout }, cancellationToken).ConfigureAwait(false);
        string? imsi = null;
        if (response.IsOk && response.Lines.Count > 0)
        {
            var text = ModemReplies.IdentificationText(response.Lines[0], "+CIMI");
            imsi = text.Length is >= 6 and <= 15 && text.All(char.IsAsciiDigit) ? text : null;
        }

        if (imsi is null)
        {
            // Not fatal: the ISIM carries the identities; only without one is the IMSI needed.
            _logger.OptionalCommandFailed("AT+CIMI", response.IsOk ? "no IMSI" : AtWords.Describe(response));
        }

        UpdateState(s => s with { Imsi = imsi });
    }

    // ----- The module's own IMS client. -----

    private async Task ImsClientCheckAsync(CancellationToken cancellationToken)
    {
        if (Profile.ImsClient is not { } client)
        {
            UpdateState(s => s with { ModuleImsClient = ModuleImsClientStatus.NotPresent });
            return;
        }

        Enter(ModemPhase.ImsClientCheck);
        var status = await QueryImsClientAsync(client, cancellationToken).ConfigureAwait(false);
        if (status != ModuleImsClientStatus.Enabled)
        {
            _moduleImsClientRestarted = false;
            return;
        }

        if (!_settings.DisableModuleImsClient)
        {
            _logger.ModuleImsClientLeftOn();
            return;
        }

        if (_moduleImsClientRestarted)
        {
            throw Fail(ModemFailureReason.ModuleImsClientStillEnabled, ModemPhase.ImsClientCheck,
                $"module IMS client still on after {client.Disable} and a module restart");
        }

        _logger.ModuleImsClientDisabling(client.DisableNeedsRestart ? " (the module restarts)" : string.Empty);
        var disable = await CommandAsync(new AtCommand(client.Disable) { Timeout = DefaultTimeout }, cancellationToken).ConfigureAwait(false);
        if (!disable.IsOk)
        {
            throw Fail(ModemFailureReason.CommandRejected, ModemPhase.ImsClientCheck, $"{client.Disable} answered {AtWords.Describe(disable)}");
        }

        if (!client.DisableNeedsRestart)
        {
            await QueryImsClientAsync(client, cancellationToken).ConfigureAwait(false);
            return;
        }

        _moduleImsClientRestarted = true;
        await RestartModuleAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<ModuleImsClientStatus> QueryImsClientAsync(ModemImsClient client, CancellationToken cancellationToken)
    {
        var name = client.ResponsePrefix;
        var colon = name.IndexOf(':', StringComparison.Ordinal);
        var command = new AtCommand(client.Query, colon > 0 ? name[..colon] : name) { Timeout = DefaultTimeout };
        var response = await CommandAsync(command, cancellationToken).ConfigureAwait(false);
        var line = response.IsOk ? response.Lines.FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal)) : null;
        if (line is null || ImsClientValue(line, client.StateField) is not { } value)
        {
            _logger.OptionalCommandFailed(client.Query, response.IsOk ? $"no '{name}' line" : AtWords.Describe(response));
            UpdateState(s => s with { ModuleImsClient = ModuleImsClientStatus.Unknown });
            return ModuleImsClientStatus.Unknown;
        }

        var status = client.EnabledValues.Contains(value, StringComparer.OrdinalIgnoreCase) ? ModuleImsClientStatus.Enabled : ModuleImsClientStatus.Disabled;
        _logger.ModuleImsClient(status, value);
        UpdateState(s => s with { ModuleImsClient = status });
        return status;
    }

    /// <summary>Field <paramref name="field"/> (0-based, after the name) of the module's IMS client answer.</summary>
    internal static string? ImsClientValue(string line, int field)
    {
        var values = AtValueReader.ForLine(line, out _);
        for (var i = 0; values.TryRead(out var value); i++)
        {
            if (i == field)
            {
                return value.GetString().Trim();
            }
        }

        return null;
    }

    /// <summary>AT+CFUN=1,1 (27.007 §8.2: full functionality, reset the MT first) and wait for the module to come back.</summary>
    private async Task RestartModuleAsync(CancellationToken cancellationToken)
    {
        var (_, resetVersion) = _resetIndication.Current;
        var (_, channelVersion) = _channelChanged.Current;
        SetActivity("restarting the module");
        _logger.ModuleRestarting(_settings.ModuleRestartTimeout.TotalMilliseconds);
        // Never sent twice: each one restarts the module. It may answer OK before restarting, or not at all.
        await CommandAsync(new AtCommand("AT+CFUN=1,1") { Timeout = DefaultTimeout, NoRetransmit = true }, cancellationToken, channelLostIsExpected: true).ConfigureAwait(false);
        await WaitForAsync(
            Task.WhenAny(_resetIndication.WaitAfterAsync(resetVersion, cancellationToken), _channelChanged.WaitAfterAsync(channelVersion, cancellationToken)),
            _settings.ModuleRestartTimeout,
            cancellationToken).ConfigureAwait(false);
        lock (_triggerGate)
        {
            // The boot's "RDY" / "+CPIN: READY" burst belongs to this restart, not to another one.
            _probeStartedAt = _time.GetUtcNow();
        }

        throw new BringUpResumeException(ModemPhase.Probe, "module restarted after switching its IMS client off");
    }

    // ----- Attach: +CEREG. -----

    private async Task AttachAsync(CancellationToken cancellationToken)
    {
        Enter(ModemPhase.Attach);
        // +CGEV reports (27.007 §10.1.19, mode 2: buffer while the link is reserved) tell when the IMS PDN goes away.
        await OptionalAsync("AT+CGEREP=2,1", cancellationToken).ConfigureAwait(false);
        var enable = await CommandAsync(new AtCommand("AT+CEREG=2") { Timeout = DefaultTimeout }, cancellationToken).ConfigureAwait(false);
        if (!enable.IsOk)
        {
            throw Fail(enable.Result == AtResultCode.TimedOut ? ModemFailureReason.ModemNotAnswering : ModemFailureReason.CommandRejected,
                ModemPhase.Attach, $"AT+CEREG=2 answered {AtWords.Describe(enable)}");
        }

        var deadline = _time.GetUtcNow() + TimeSpan.FromMilliseconds(Profile.Timeouts.AttachMilliseconds);
        var (_, version) = _registration.Current;
        var report = await QueryRegistrationAsync(cancellationToken).ConfigureAwait(false);
        SetActivity("waiting for +CEREG");
        while (true)
        {
            if (report is { IsRegistered: true })
            {
                return;
            }

            if (report is { Status: RegistrationStatus.Denied })
            {
                if (report.RejectCause is null)
                {
                    // Mode 2 reports no cause: ask once in mode 3 (27.007 §10.1.22) to say why.
                    await OptionalAsync("AT+CEREG=3", cancellationToken).ConfigureAwait(false);
                    report = await QueryRegistrationAsync(cancellationToken).ConfigureAwait(false) ?? report;
                }

                throw Fail(ModemFailureReason.AttachDenied, ModemPhase.Attach, AtWords.AttachDenied(report.CauseType, report.RejectCause));
            }

            var left = deadline - _time.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                var seconds = (Profile.Timeouts.AttachMilliseconds / 1000.0).ToString("0.#", CultureInfo.InvariantCulture);
                throw Fail(ModemFailureReason.AttachTimeout, ModemPhase.Attach,
                    $"not registered within {seconds} s (last +CEREG status: {StatusWords(report?.Status)})");
            }

            await WaitForAsync(_registration.WaitAfterAsync(version, cancellationToken), left, cancellationToken).ConfigureAwait(false);
            (report, version) = _registration.Current;
        }
    }

    private async Task<NetworkRegistrationReport?> QueryRegistrationAsync(CancellationToken cancellationToken)
    {
        var (_, before) = _registration.Current;
        var response = await CommandAsync(new AtCommand("AT+CEREG?", "+CEREG") { Timeout = DefaultTimeout }, cancellationToken).ConfigureAwait(false);
        if (!response.IsOk)
        {
            _logger.OptionalCommandFailed("AT+CEREG?", AtWords.Describe(response));
            return _registration.Current.Value;
        }

        NetworkRegistrationReport? found = null;
        foreach (var line in response.Lines)
        {
            // A URC can land among the answer's lines (same name): read it in its own form.
            if (NetworkRegistrationReport.TryParse(line, solicited: true, out var report, out _)
                || NetworkRegistrationReport.TryParse(line, solicited: false, out report, out _))
            {
                found = report;
            }
        }

        // A URC dispatched after the query went out is at least as fresh as the answer (the reader loop hands URCs
        // over before the answer's continuation runs): the answer must not overwrite it.
        var (latest, now) = _registration.Current;
        if (found is not null && now == before)
        {
            PublishRegistration(found);
            return found;
        }

        return latest ?? found;
    }

    private static string StatusWords(RegistrationStatus? status) => status switch
    {
        null => "none reported",
        RegistrationStatus.NotRegistered => "not registered, not searching",
        RegistrationStatus.Searching => "searching",
        RegistrationStatus.Denied => "denied",
        RegistrationStatus.Unknown => "unknown (out of coverage)",
        RegistrationStatus.EmergencyOnly => "attached for emergency bearer services only",
        var other => other.ToString()!,
    };

    // ----- The IMS PDN: +CGACT? / +CGDCONT / +CGACT / +CGPADDR. -----

    private async Task ImsPdnAsync(CancellationToken cancellationToken)
    {
        Enter(ModemPhase.ImsPdn);
        var cid = _settings.ImsPdnCid;
        var apn = _settings.ImsApn;
        var cidText = cid.ToString(CultureInfo.InvariantCulture);
        UpdateState(s => s with { ImsPdnCid = cid, ImsApn = apn, ImsPdnAddresses = [] });
        if (await IsContextActiveAsync(cid, cancellationToken).ConfigureAwait(false)
            && await ActiveContextFitsAsync(cid, apn, cancellationToken).ConfigureAwait(false))
        {
            _logger.PdnAlreadyActive(cid, apn);
        }
        else
        {
            var type = ModemReplies.PdpTypeText(_settings.PdnType);
            // 27.007 §10.1.1: the 9th parameter <P-CSCF_discovery> 1 = through NAS signalling, the 10th
            // <IM_CN_Signalling_Flag_Ind> 1 = for IM CN subsystem signalling; only where the firmware takes them.
            var define = Profile.Pdn.CgdcontMaxParameters >= 10
                ? $"AT+CGDCONT={cidText},\"{type}\",\"{apn}\",\"\",0,0,0,0,1,1"
                : $"AT+CGDCONT={cidText},\"{type}\",\"{apn}\"";
            var defined = await CommandAsync(new AtCommand(define) { Timeout = PdnTimeout }, cancellationToken).ConfigureAwait(false);
            if (!defined.IsOk)
            {
                throw Fail(ModemFailureReason.PdnDefinitionRefused, ModemPhase.ImsPdn, $"{define} answered {AtWords.Describe(defined)}");
            }

            var activate = $"AT+CGACT=1,{cidText}";
            var activated = await CommandAsync(new AtCommand(activate) { Timeout = PdnTimeout, NoRetransmit = true }, cancellationToken).ConfigureAwait(false);
            if (!activated.IsOk)
            {
                throw Fail(ModemFailureReason.PdnActivationRefused, ModemPhase.ImsPdn, $"IMS PDN (APN {apn}) not activated: {activate} answered {AtWords.Describe(activated)}");
            }
        }

        var address = await CommandAsync(new AtCommand($"AT+CGPADDR={cidText}", "+CGPADDR") { Timeout = DefaultTimeout }, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<IPAddress> addresses = [];
        foreach (var line in address.IsOk ? address.Lines : [])
        {
            if (ModemReplies.TryParseCgpaddr(line, out var lineCid, out var found) == ReplyParseError.None && lineCid == cid)
            {
                addresses = found;
            }
        }

        if (addresses.Count == 0)
        {
            throw Fail(ModemFailureReason.NoPdnAddress, ModemPhase.ImsPdn,
                address.IsOk ? $"IMS PDN cid {cidText} has no address (+CGPADDR)" : $"AT+CGPADDR={cidText} answered {AtWords.Describe(address)}");
        }

        UpdateState(s => s with { ImsPdnAddresses = addresses });
    }

    private async Task<bool> IsContextActiveAsync(int cid, CancellationToken cancellationToken)
    {
        var response = await CommandAsync(new AtCommand("AT+CGACT?", "+CGACT") { Timeout = DefaultTimeout }, cancellationToken).ConfigureAwait(false);
        if (!response.IsOk)
        {
            _logger.OptionalCommandFailed("AT+CGACT?", AtWords.Describe(response));
            return false;
        }

        foreach (var line in response.Lines)
        {
            if (ModemReplies.TryParseCgact(line, out var lineCid, out var active) == ReplyParseError.None && lineCid == cid)
            {
                return active;
            }
        }

        return false;
    }

    /// <summary>An active context is kept when it is defined with the IMS APN; otherwise it is deactivated to be redefined.</summary>
    private async Task<bool> ActiveContextFitsAsync(int cid, string apn, CancellationToken cancellationToken)
    {
        var response = await CommandAsync(new AtCommand("AT+CGDCONT?", "+CGDCONT") { Timeout = DefaultTimeout }, cancellationToken).ConfigureAwait(false);
        foreach (var line in response.IsOk ? response.Lines : [])
        {
            if (ModemReplies.TryParseCgdcont(line, out var definition) == ReplyParseError.None && definition!.Cid == cid
                && string.Equals(definition.Apn, apn, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        var deactivate = $"AT+CGACT=0,{cid.ToString(CultureInfo.InvariantCulture)}";
        var deactivated = await CommandAsync(new AtCommand(deactivate) { Timeout = PdnTimeout, NoRetransmit = true }, cancellationToken).ConfigureAwait(false);
        if (!deactivated.IsOk)
        {
            throw Fail(ModemFailureReason.PdnDefinitionRefused, ModemPhase.ImsPdn,
                $"cid {cid.ToString(CultureInfo.InvariantCulture)} is active with another APN and {deactivate} answered {AtWords.Describe(deactivated)}");
        }

        return false;
    }

    // ----- P-CSCF: +CGCONTRDP. -----

    private async Task PcscfAsync(CancellationToken cancellationToken)
    {
        Enter(ModemPhase.Pcscf);
        if (_settings.PcscfOverride.Count > 0)
        {
            UpdateState(s => s with { PcscfAddresses = [.. _settings.PcscfOverride], PcscfSource = PcscfSource.Configuration });
            return;
        }

        var cid = _settings.ImsPdnCid;
        var command = $"AT+CGCONTRDP={cid.ToString(CultureInfo.InvariantCulture)}";
        var response = await CommandAsync(new AtCommand(command, "+CGCONTRDP") { Timeout = DefaultTimeout }, cancellationToken).ConfigureAwait(false);
        var found = new List<string>();
        if (!response.IsOk)
        {
            _logger.OptionalCommandFailed(command, AtWords.Describe(response));
        }
        else
        {
            found.AddRange(PcscfAddressesOf(response.Lines, cid, Profile.Pdn.CgcontrdpLayout, line => _logger.ContextLineSkipped(line)));
        }

        UpdateState(s => s with { PcscfAddresses = found, PcscfSource = found.Count > 0 ? PcscfSource.Network : PcscfSource.None });
    }

    /// <summary>Primary then secondary P-CSCF of each line of <paramref name="cid"/> (one line per address family), without repeats.</summary>
    internal static List<string> PcscfAddressesOf(IEnumerable<string> lines, int cid, CgcontrdpLayout layout, Action<ReplyParseError>? skipped = null)
    {
        var found = new List<string>();
        foreach (var line in lines)
        {
            var error = ModemReplies.TryParseCgcontrdp(line, layout, out var parameters);
            if (error != ReplyParseError.None)
            {
                skipped?.Invoke(error);
                continue;
            }

            if (parameters!.Cid != cid)
            {
                continue;
            }

            foreach (var pcscf in (ReadOnlySpan<IPAddress?>)[parameters.PcscfPrimary, parameters.PcscfSecondary])
            {
                if (pcscf is not null && !found.Contains(pcscf.ToString()))
                {
                    found.Add(pcscf.ToString());
                }
            }
        }

        return found;
    }

    // ----- ISIM (or the soft ISIM, or identities from the IMSI). -----

    private async Task IsimAsync(CancellationToken cancellationToken)
    {
        Enter(ModemPhase.Isim);
        ImsIdentity identity;
        IReadOnlyList<string> isimPcscf = [];
        if (_settings.SoftIsimKeyFile is { } keyFile)
        {
            try
            {
                _softIsim ??= SoftIsim.Load(keyFile, _loggerFactory.CreateLogger("ImUeAgent.Uicc.Soft.SoftIsim"));
            }
            catch (UiccException exception)
            {
                throw Fail(ModemFailureReason.SoftIsimUnusable, ModemPhase.Isim, $"soft ISIM key file unusable: {exception.Message}");
            }

            identity = _softIsim.Identity;
            _authenticator.Set(identity, _softIsim);
            UpdateState(s => s with { UsesSoftIsim = true, IsimAid = null });
        }
        else
        {
            var isim = _isim;
            string? unavailable = null;
            if (isim is null)
            {
                try
                {
                    var uicc = new AtUiccChannel(At, Profile, _loggerFactory.CreateLogger("ImUeAgent.Modem.Uicc.AtUiccChannel"));
                    isim = await IsimApplication.OpenAsync(uicc, uicc.ReadOptions, _loggerFactory.CreateLogger("ImUeAgent.Uicc.Isim.IsimApplication"), cancellationToken).ConfigureAwait(false);
                    _isim = isim;
                }
                catch (AtUiccException exception) when (exception.Error == AtUiccError.ChannelUnavailable)
                {
                    throw new ChannelLostException("the ISIM phase");
                }
                catch (AtUiccException exception) when (exception.Error == AtUiccError.TimedOut)
                {
                    throw Fail(ModemFailureReason.ModemNotAnswering, ModemPhase.Isim, $"ISIM: {exception.Message}");
                }
                catch (Exception exception) when (exception is AtUiccException or UiccException)
                {
                    unavailable = exception.Message;
                }
            }

            if (isim is not null)
            {
                identity = isim.Identity;
                isimPcscf = [.. isim.PcscfAddresses.Select(p => p.Address)];
                _authenticator.Set(identity, isim);
                UpdateState(s => s with { IsimAid = isim.Application.AidHex, UsesSoftIsim = false });
            }
            else
            {
                var imsi = State.Imsi ?? throw Fail(ModemFailureReason.NoIdentity, ModemPhase.Isim, $"no ISIM and no IMSI ({unavailable})");
                _logger.IsimUnavailable(unavailable ?? "none");
                identity = ImsIdentity.FromImsi(imsi, _settings.MncLength);
                _authenticator.Set(identity, null);
                UpdateState(s => s with { IsimAid = null, UsesSoftIsim = false });
            }
        }

        var state = State;
        if (state.PcscfAddresses.Count == 0 && isimPcscf.Count > 0)
        {
            UpdateState(s => s with { PcscfAddresses = isimPcscf, PcscfSource = PcscfSource.Isim });
        }
        else if (state.PcscfAddresses.Count == 0)
        {
            throw Fail(ModemFailureReason.NoPcscf, ModemPhase.Isim,
                "no P-CSCF address: none in +CGCONTRDP, none on the ISIM, none configured");
        }

        UpdateState(s => s with { Impi = identity.Impi, Impus = identity.Impus, HomeDomain = identity.HomeDomain, IdentityFromImsi = identity.IsDerivedFromImsi });
    }

    // ----- Helpers -----

    private void Enter(ModemPhase phase)
    {
        _logger.PhaseEntered(phase);
        UpdateState(s => s with { Phase = phase, Since = _time.GetUtcNow(), Activity = null });
    }

    private void SetActivity(string activity) => UpdateState(s => s with { Activity = activity });

    private BringUpFailedException Fail(ModemFailureReason reason, ModemPhase phase, string message)
        => new(new ModemFailure(reason, phase, message, _time.GetUtcNow()));

    /// <summary>Sends a command; a broken channel ends the run (the supervisor waits for it and starts over).</summary>
    private async Task<AtResponse> CommandAsync(AtCommand command, CancellationToken cancellationToken, bool channelLostIsExpected = false)
    {
        var response = await At.SendAsync(command, cancellationToken).ConfigureAwait(false);
        if (response.Result == AtResultCode.ChannelUnavailable && !channelLostIsExpected)
        {
            throw new ChannelLostException(command.Display);
        }

        return response;
    }

    /// <summary>A command bring-up can do without: a refusal is logged, a timeout too (the channel has resynchronised).</summary>
    private async Task OptionalAsync(string text, CancellationToken cancellationToken)
    {
        var response = await CommandAsync(new AtCommand(text) { Timeout = DefaultTimeout }, cancellationToken).ConfigureAwait(false);
        if (!response.IsOk)
        {
            _logger.OptionalCommandFailed(text, AtWords.Describe(response));
        }
    }

    /// <summary>Waits for <paramref name="signal"/> or <paramref name="limit"/> on the service's clock, whichever first.</summary>
    private async Task WaitForAsync(Task signal, TimeSpan limit, CancellationToken cancellationToken)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var elapsed = Task.Delay(limit, _time, timer.Token);
        await Task.WhenAny(signal, elapsed).ConfigureAwait(false);
        await timer.CancelAsync().ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
    }
}
