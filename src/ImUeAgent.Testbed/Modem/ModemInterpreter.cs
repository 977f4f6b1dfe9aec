// SPDX-License-Identifier: MIT
using System.Globalization;

namespace ImUeAgent.Testbed.Modem;

/// <summary>
/// The emulated MT's AT command interpreter: a state machine from one command line to its reply, plus the network
/// events (SIM ready, attach, detach, PDN drop) that it reports as unsolicited result codes. Pure apart from
/// <see cref="TimeProvider"/> timers; no I/O. Thread-safe: the session, timer callbacks and the control channel
/// call it concurrently and one gate serialises them.
/// </summary>
internal sealed partial class ModemInterpreter : IDisposable
{
    /// <summary>URCs kept while nobody reads them; a port that nobody has open drops the rest.</summary>
    public const int MaxQueuedUrcs = 256;

    private const int MaxCid = 15;

    // TS 27.007 §7.2 / §10.1.22 <stat>.
    private const int StatNotRegistered = 0;
    private const int StatHome = 1;
    private const int StatSearching = 2;
    private const int StatDenied = 3;
    private const int StatRoaming = 5;

    private readonly Lock _gate = new();
    private readonly ModemSettings _settings;
    private readonly UiccCard _card;
    private readonly TimeProvider _time;
    private readonly Queue<AtLine> _urcs = new();
    private readonly SortedDictionary<int, PdpContext> _contexts = [];
    private readonly Dictionary<int, int> _sessions = [];
    private readonly Dictionary<int, int> _sRegisters = [];
    private ITimer? _simTimer;
    private ITimer? _attachTimer;

    // Settings of the TE interface (reset by ATZ / AT&F).
    private bool _echo;
    private bool _verbose;
    private bool _quiet;
    private int _cmee;

    // MT and network state (lost on reset).
    private int _cfun;
    private bool _simReady;
    private int _stat;
    private int _rejectCause;
    private int? _denyCause;
    private bool _attachBlocked;
    private int _cereg;
    private int _creg;
    private int _cgreg;
    private int _cgerep;
    private int _cgerepBuffer;
    private int[] _cgpiaf = [0, 0, 0, 0];
    private int _cireg;
    private bool _imsRegistered;
    private int _qcfgIms;
    private int _nextSessionId;

    public ModemInterpreter(ModemSettings settings, UiccCard card, TimeProvider time)
    {
        _settings = settings;
        _card = card;
        _time = time;
        _denyCause = settings.DenyAttachCause;
        PowerOn(announce: false);
    }

    /// <summary>Raised (under the gate, so handlers only signal) when a URC was queued.</summary>
    public event Action? UrcQueued;

    public bool EchoEnabled
    {
        get
        {
            lock (_gate)
            {
                return _echo;
            }
        }
    }

    public bool Verbose
    {
        get
        {
            lock (_gate)
            {
                return _verbose;
            }
        }
    }

    /// <summary>Executes one command line (without its terminator).</summary>
    public AtReply Execute(string line)
    {
        lock (_gate)
        {
            if (!AtCommandLineParser.TryStripPrefix(line, out var body))
            {
                return AtReply.None;
            }

            var parsed = AtCommandLineParser.Parse(body);
            if (!parsed.IsValid)
            {
                return Final([], Outcome.Error);
            }

            var information = new List<AtLine>();
            foreach (var command in parsed.Commands)
            {
                var outcome = Dispatch(command, information);
                if (outcome.Code != AtResultCode.Ok)
                {
                    return Final(information, outcome);
                }
            }

            return Final(information, Outcome.Ok);
        }
    }

    /// <summary>Takes every queued URC, oldest first.</summary>
    public IReadOnlyList<AtLine> TakeUrcs()
    {
        lock (_gate)
        {
            var urcs = _urcs.ToArray();
            _urcs.Clear();
            return urcs;
        }
    }

    /// <summary>Drops queued URCs (a new connection does not see what was said while the port was closed).</summary>
    public void DiscardUrcs()
    {
        lock (_gate)
        {
            _urcs.Clear();
        }
    }

    /// <summary>Modem reset (power cycle): all state is lost, the card's channels close, "RDY" follows.</summary>
    public void Reset(bool announce = true)
    {
        lock (_gate)
        {
            PowerOn(announce);
        }
    }

    /// <summary>From now on the network rejects attach with EMM cause <paramref name="cause"/>; an attached MT is
    /// detached and its attach retried and denied.</summary>
    public void DenyAttach(int cause)
    {
        lock (_gate)
        {
            _denyCause = cause;
            _attachBlocked = false;
            if (_stat is StatHome or StatRoaming)
            {
                DeactivateAll(networkInitiated: true);
                Queue("+CGEV: NW DETACH", gated: GateCgev);
            }

            StartAttach();
        }
    }

    /// <summary>Lifts a denial and attaches again.</summary>
    public void AllowAttach()
    {
        lock (_gate)
        {
            _denyCause = null;
            _attachBlocked = false;
            if (_stat is not (StatHome or StatRoaming))
            {
                StartAttach();
            }
        }
    }

    /// <summary>Network-initiated detach (TS 24.301 §5.5.2.3): contexts drop; attach again after
    /// <paramref name="reattachAfter"/>, or only on <see cref="AllowAttach"/> when null.</summary>
    public void Detach(TimeSpan? reattachAfter)
    {
        lock (_gate)
        {
            _attachTimer?.Dispose();
            _attachTimer = null;
            if (_stat is StatHome or StatRoaming)
            {
                Queue("+CGEV: NW DETACH", gated: GateCgev);
            }

            DeactivateAll(networkInitiated: true);
            SetStat(StatNotRegistered, 0);
            _attachBlocked = reattachAfter is null;
            if (reattachAfter is { } delay)
            {
                _attachTimer = _time.CreateTimer(_ => OnReattach(), null, delay, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>The network releases the IMS PDN (or <paramref name="cid"/>): +CGEV: NW PDN DEACT.</summary>
    public bool DropPdn(int? cid)
    {
        lock (_gate)
        {
            var target = cid is { } c
                ? _contexts.GetValueOrDefault(c)
                : _contexts.Values.FirstOrDefault(x => x.Active && IsImsApn(x.Apn)) ?? _contexts.Values.FirstOrDefault(x => x.Active);
            if (target is null || !target.Active)
            {
                return false;
            }

            target.Deactivate();
            Queue($"+CGEV: NW PDN DEACT {target.Cid}", gated: GateCgev);
            UpdateImsRegistration();
            return true;
        }
    }

    /// <summary>Queues an arbitrary URC (control channel `urc TEXT`).</summary>
    public void InjectUrc(string text)
    {
        lock (_gate)
        {
            Queue(text, gated: null);
        }
    }

    /// <summary>One line of state for the control channel.</summary>
    public string Status()
    {
        lock (_gate)
        {
            var active = string.Join(',', _contexts.Values.Where(c => c.Active).Select(c => c.Cid));
            return string.Create(CultureInfo.InvariantCulture,
                $"cfun={_cfun} sim={(_simReady ? "ready" : "busy")} stat={_stat} reject={_rejectCause} deny={_denyCause?.ToString(CultureInfo.InvariantCulture) ?? "-"} active=[{active}] channels={_card.OpenChannelCount}/{_card.MaxLogicalChannels} sqn_ms={_card.SqnMs:x12} ims={_qcfgIms}");
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _simTimer?.Dispose();
            _attachTimer?.Dispose();
        }
    }

    private void PowerOn(bool announce)
    {
        _simTimer?.Dispose();
        _attachTimer?.Dispose();
        _simTimer = null;
        _attachTimer = null;
        _urcs.Clear();
        ResetTeSettings();
        _contexts.Clear();
        _contexts[1] = new PdpContext { Cid = 1, Type = PdpType.Ipv4v6, Apn = _settings.DefaultApn };
        _sessions.Clear();
        _nextSessionId = 1;
        _card.Reset();
        _cfun = _settings.InitialCfun;
        _stat = StatNotRegistered;
        _rejectCause = 0;
        _attachBlocked = false;
        _cereg = 0;
        _creg = 0;
        _cgreg = 0;
        _cgerep = _settings.InitialCgerep;
        _cgerepBuffer = 0;
        _cgpiaf = [.. _settings.InitialCgpiaf];
        _cireg = 0;
        _imsRegistered = false;
        _qcfgIms = _settings.InitialQcfgIms;
        if (announce && _settings.ReadyUrc)
        {
            Queue("RDY", gated: null);
        }

        _simReady = _settings.SimBusy <= TimeSpan.Zero;
        if (_simReady)
        {
            OnSimReadyLocked(announce);
        }
        else
        {
            _simTimer = _time.CreateTimer(_ => OnSimReady(), null, _settings.SimBusy, Timeout.InfiniteTimeSpan);
        }
    }

    private void ResetTeSettings()
    {
        _echo = true;
        _verbose = true;
        _quiet = false;
        _cmee = 0;
        _sRegisters.Clear();
        _sRegisters[0] = 0;
        _sRegisters[3] = 13;
        _sRegisters[4] = 10;
        _sRegisters[5] = 8;
    }

    private void OnSimReady()
    {
        lock (_gate)
        {
            _simReady = true;
            OnSimReadyLocked(announce: true);
        }
    }

    private void OnSimReadyLocked(bool announce)
    {
        if (announce)
        {
            Queue("+CPIN: READY", gated: null);
        }

        if (_cfun == 1)
        {
            StartAttach();
        }
    }

    private void OnReattach()
    {
        lock (_gate)
        {
            _attachBlocked = false;
            StartAttach();
        }
    }

    // TS 24.301 §5.5.1: the MT searches (stat 2) and the network accepts (1/5) or rejects (3 with an EMM cause).
    private void StartAttach()
    {
        if (_cfun != 1 || !_simReady || _attachBlocked)
        {
            return;
        }

        _attachTimer?.Dispose();
        SetStat(StatSearching, 0);
        _attachTimer = _time.CreateTimer(_ => OnAttachResult(), null, _settings.AttachDelay, Timeout.InfiniteTimeSpan);
    }

    private void OnAttachResult()
    {
        lock (_gate)
        {
            if (_stat != StatSearching)
            {
                return;
            }

            if (_denyCause is { } cause)
            {
                SetStat(StatDenied, cause);
            }
            else
            {
                SetStat(_settings.Roaming ? StatRoaming : StatHome, 0);
            }

            UpdateImsRegistration();
        }
    }

    private bool Attached => _stat is StatHome or StatRoaming;

    private void SetStat(int stat, int rejectCause)
    {
        if (stat == _stat && rejectCause == _rejectCause)
        {
            return;
        }

        _stat = stat;
        _rejectCause = rejectCause;
        if (_cereg > 0)
        {
            Queue("+CEREG: " + RegistrationFields(_cereg, withCause: true), gated: null);
        }

        if (_creg > 0)
        {
            Queue("+CREG: " + RegistrationFields(_creg, withCause: true), gated: null);
        }

        if (_cgreg > 0)
        {
            Queue("+CGREG: " + RegistrationFields(_cgreg, withCause: false), gated: null);
        }

        UpdateImsRegistration();
    }

    // TS 27.007 §10.1.22: <stat>[,[<tac>],[<ci>],[<AcT>][,<cause_type>,<reject_cause>]]: location when n ≥ 2 and
    // registered, the EMM cause (type 0) when n = 3 and denied.
    private string RegistrationFields(int n, bool withCause)
    {
        var text = _stat.ToString(CultureInfo.InvariantCulture);
        if (n >= 2 && Attached)
        {
            text += string.Create(CultureInfo.InvariantCulture, $",\"{_settings.Tac:X4}\",\"{_settings.CellId:X8}\",7");
        }

        if (withCause && n >= 3 && _stat == StatDenied)
        {
            text += string.Create(CultureInfo.InvariantCulture, $",,,,0,{_rejectCause}");
        }

        return text;
    }

    private const int GateCgev = 1;

    private void Queue(string text, int? gated)
    {
        if (gated == GateCgev && _cgerep == 0)
        {
            // +CGEREP mode 0: the MT buffers events, which this emulator does not replay.
            return;
        }

        if (_urcs.Count >= MaxQueuedUrcs)
        {
            _urcs.Dequeue();
        }

        _urcs.Enqueue(text);
        UrcQueued?.Invoke();
    }

    private void DeactivateAll(bool networkInitiated)
    {
        foreach (var context in _contexts.Values.Where(c => c.Active))
        {
            context.Deactivate();
            if (!networkInitiated)
            {
                Queue($"+CGEV: ME PDN DEACT {context.Cid}", gated: GateCgev);
            }
        }
    }

    // TS 27.007 §8.71 +CIREG: the MT's own IMS client is registered when Quectel's "ims" setting enables it and the
    // MT is attached with an IMS PDN, or attached at all when the firmware brings its own PDN up.
    private void UpdateImsRegistration()
    {
        var registered = _qcfgIms == 1 && Attached;
        if (registered == _imsRegistered)
        {
            return;
        }

        _imsRegistered = registered;
        if (_cireg > 0)
        {
            Queue("+CIREGU: " + (registered ? "1" : "0"), gated: null);
        }
    }

    private bool IsImsApn(string apn) => string.Equals(apn, _settings.ImsApn, StringComparison.OrdinalIgnoreCase);

    private AtReply Final(List<AtLine> information, Outcome outcome)
    {
        if (_quiet)
        {
            // V.250 §6.2.5 Q1: result codes are not sent; information text still is.
            return new AtReply(information, outcome.Code, string.Empty);
        }

        return outcome.Code switch
        {
            AtResultCode.Ok => new AtReply(information, AtResultCode.Ok, "OK"),
            AtResultCode.CmeError when _cmee == 1 => new AtReply(information, AtResultCode.CmeError,
                "+CME ERROR: " + ((int)outcome.Cme).ToString(CultureInfo.InvariantCulture), TrailingOkQuirk),
            AtResultCode.CmeError when _cmee == 2 => new AtReply(information, AtResultCode.CmeError,
                "+CME ERROR: " + CmeErrorText.Verbose(outcome.Cme), TrailingOkQuirk),
            _ => new AtReply(information, AtResultCode.Error, "ERROR"),
        };
    }

    private bool TrailingOkQuirk => (_settings.Quirks & ModemQuirks.CmeErrorThenOk) != 0;

    /// <summary>Result of one command: OK, ERROR, or +CME ERROR with a code.</summary>
    private readonly record struct Outcome(AtResultCode Code, CmeError Cme)
    {
        public static Outcome Ok => new(AtResultCode.Ok, default);

        public static Outcome Error => new(AtResultCode.Error, default);

        public static Outcome Failed(CmeError error) => new(AtResultCode.CmeError, error);

        public static implicit operator Outcome(CmeError error) => Failed(error);
    }

    private static string Quote(string text) => "\"" + text + "\"";

    private Ipv6Format CurrentIpv6Format => Ipv6Format.FromSettings(_cgpiaf);
}
