// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ImUeAgent.Testbed.Modem;

/// <summary>The command table: one handler per command name (TS 27.007, ITU-T V.250, Quectel's +QCFG).</summary>
internal sealed partial class ModemInterpreter
{
    private Outcome Dispatch(AtCommand command, List<AtLine> information) => command.Name switch
    {
        "E" => SetFlag(command, v => _echo = v),
        "V" => SetFlag(command, v => _verbose = v),
        "Q" => SetFlag(command, v => _quiet = v),
        "Z" or "&F" => ResetToDefaults(command),
        "I" => Identification(command, information),
        "+CMEE" => Cmee(command, information),
        "+CGMI" or "+GMI" => Identity(command, information, _settings.Manufacturer),
        "+CGMM" or "+GMM" => Identity(command, information, _settings.Model),
        "+CGMR" or "+GMR" => Identity(command, information, _settings.Revision),
        "+CGSN" or "+GSN" => Cgsn(command, information),
        "+CIMI" => Cimi(command, information),
        "+CPIN" => Cpin(command, information),
        "+CFUN" => Cfun(command, information),
        "+CEREG" => Registration(command, information, "+CEREG", 3, () => _cereg, v => _cereg = v, withCause: true),
        "+CREG" => Registration(command, information, "+CREG", 3, () => _creg, v => _creg = v, withCause: true),
        "+CGREG" => Registration(command, information, "+CGREG", 2, () => _cgreg, v => _cgreg = v, withCause: false),
        "+CGATT" => Cgatt(command, information),
        "+CGEREP" => Cgerep(command, information),
        "+CGPIAF" => Cgpiaf(command, information),
        "+CGDCONT" => Cgdcont(command, information),
        "+CGACT" => Cgact(command, information),
        "+CGPADDR" => Cgpaddr(command, information),
        "+CGCONTRDP" => Cgcontrdp(command, information),
        "+CIREG" => Cireg(command, information),
        "+CCHO" => Ccho(command, information),
        "+CCHC" => Ccho(command, information, close: true),
        "+CGLA" => Cgla(command, information),
        "+CSIM" => Csim(command, information),
        "+QCFG" => Qcfg(command, information),
        _ when command.Name.Length >= 2 && command.Name[0] == 'S' && char.IsAsciiDigit(command.Name[1]) => SRegister(command, information),
        _ => Outcome.Error,
    };

    private static Outcome SetFlag(AtCommand command, Action<bool> set)
    {
        var value = command.Value ?? 0;
        if (command.Kind != AtCommandKind.Action || value > 1)
        {
            return Outcome.Error;
        }

        set(value == 1);
        return Outcome.Ok;
    }

    private Outcome ResetToDefaults(AtCommand command)
    {
        if (command.Kind != AtCommandKind.Action || (command.Value ?? 0) != 0)
        {
            return Outcome.Error;
        }

        ResetTeSettings();
        return Outcome.Ok;
    }

    private Outcome Identification(AtCommand command, List<AtLine> information)
    {
        if (command.Kind != AtCommandKind.Action || (command.Value ?? 0) != 0)
        {
            return Outcome.Error;
        }

        information.Add(_settings.Manufacturer);
        information.Add(_settings.Model);
        information.Add("Revision: " + _settings.Revision);
        return Outcome.Ok;
    }

    private Outcome SRegister(AtCommand command, List<AtLine> information)
    {
        if (!int.TryParse(command.Name.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var register)
            || !_sRegisters.TryGetValue(register, out var current))
        {
            return Outcome.Error;
        }

        switch (command.Kind)
        {
            case AtCommandKind.Read:
                information.Add(current.ToString("D3", CultureInfo.InvariantCulture));
                return Outcome.Ok;
            case AtCommandKind.Set when command.Value is >= 0 and <= 255:
                _sRegisters[register] = command.Value.Value;
                return Outcome.Ok;
            default:
                return Outcome.Error;
        }
    }

    private Outcome Cmee(AtCommand command, List<AtLine> information)
    {
        switch (command.Kind)
        {
            case AtCommandKind.Set when command.Argument(0).TryGetInteger(0, 2, out var value):
                _cmee = value;
                return Outcome.Ok;
            case AtCommandKind.Action:
                _cmee = 0;
                return Outcome.Ok;
            case AtCommandKind.Read:
                information.Add("+CMEE: " + _cmee.ToString(CultureInfo.InvariantCulture));
                return Outcome.Ok;
            case AtCommandKind.Test:
                information.Add("+CMEE: (0-2)");
                return Outcome.Ok;
            default:
                return CmeError.IncorrectParameters;
        }
    }

    private static Outcome Identity(AtCommand command, List<AtLine> information, string value)
    {
        if (command.Kind == AtCommandKind.Test)
        {
            return Outcome.Ok;
        }

        if (command.Kind != AtCommandKind.Action)
        {
            return Outcome.Error;
        }

        information.Add(value);
        return Outcome.Ok;
    }

    // TS 27.007 §5.4: +CGSN[=<snt>]; <snt> 0 the bare serial number, 1 "+CGSN: <imei>".
    private Outcome Cgsn(AtCommand command, List<AtLine> information)
    {
        switch (command.Kind)
        {
            case AtCommandKind.Action:
                information.Add(_settings.Imei);
                return Outcome.Ok;
            case AtCommandKind.Set when command.Argument(0).TryGetInteger(0, 1, out var snt):
                information.Add(snt == 0 ? _settings.Imei : "+CGSN: " + Quote(_settings.Imei));
                return Outcome.Ok;
            case AtCommandKind.Test:
                information.Add("+CGSN: (0,1)");
                return Outcome.Ok;
            default:
                return CmeError.IncorrectParameters;
        }
    }

    private Outcome Cimi(AtCommand command, List<AtLine> information)
    {
        if (command.Kind == AtCommandKind.Test)
        {
            return Outcome.Ok;
        }

        if (command.Kind != AtCommandKind.Action)
        {
            return Outcome.Error;
        }

        if (!_simReady)
        {
            return CmeError.SimBusy;
        }

        information.Add(ImsiText());
        return Outcome.Ok;
    }

    private string ImsiText()
    {
        var ef = _card.Files.Applications[0].Files[UiccFileSystem.EfImsi].Content;
        var digits = new System.Text.StringBuilder(15);
        for (var i = 1; i <= ef[0]; i++)
        {
            var low = ef[i] & 0x0F;
            var high = ef[i] >> 4;
            if (i > 1)
            {
                digits.Append((char)('0' + low));
            }

            if (high != 0xF)
            {
                digits.Append((char)('0' + high));
            }
        }

        return digits.ToString();
    }

    private Outcome Cpin(AtCommand command, List<AtLine> information)
    {
        switch (command.Kind)
        {
            case AtCommandKind.Read:
                if (!_simReady)
                {
                    return CmeError.SimBusy;
                }

                information.Add("+CPIN: READY");
                return Outcome.Ok;
            case AtCommandKind.Test:
                return Outcome.Ok;
            case AtCommandKind.Set:
                // No PIN is pending: TS 27.007 §8.3 leaves entering one now an error.
                return _simReady ? CmeError.OperationNotAllowed : CmeError.SimBusy;
            default:
                return Outcome.Error;
        }
    }

    // TS 27.007 §8.2: +CFUN=<fun>[,<rst>]; 0 minimum, 1 full, 4 radio off; rst=1 resets the MT first.
    private Outcome Cfun(AtCommand command, List<AtLine> information)
    {
        switch (command.Kind)
        {
            case AtCommandKind.Read:
                information.Add("+CFUN: " + _cfun.ToString(CultureInfo.InvariantCulture));
                return Outcome.Ok;
            case AtCommandKind.Test:
                information.Add("+CFUN: (0,1,4),(0,1)");
                return Outcome.Ok;
            case AtCommandKind.Set:
                if (!command.Argument(0).TryGetInteger(0, 4, out var fun) || fun is 2 or 3)
                {
                    return CmeError.IncorrectParameters;
                }

                var rst = 0;
                if (!command.Argument(1).IsOmitted && !command.Argument(1).TryGetInteger(0, 1, out rst))
                {
                    return CmeError.IncorrectParameters;
                }

                if (rst == 1)
                {
                    PowerOn(announce: true);
                    return Outcome.Ok;
                }

                SetFunctionality(fun);
                return Outcome.Ok;
            default:
                return Outcome.Error;
        }
    }

    private void SetFunctionality(int fun)
    {
        if (fun == _cfun)
        {
            return;
        }

        _cfun = fun;
        if (fun == 1)
        {
            _attachBlocked = false;
            StartAttach();
            return;
        }

        _attachTimer?.Dispose();
        _attachTimer = null;
        if (Attached)
        {
            Queue("+CGEV: ME DETACH", gated: GateCgev);
        }

        DeactivateAll(networkInitiated: true);
        SetStat(StatNotRegistered, 0);
    }

    private Outcome Registration(AtCommand command, List<AtLine> information, string prefix, int maxN, Func<int> get,
        Action<int> set, bool withCause)
    {
        switch (command.Kind)
        {
            case AtCommandKind.Set when command.Argument(0).TryGetInteger(0, maxN, out var n):
                set(n);
                return Outcome.Ok;
            case AtCommandKind.Action:
                set(0);
                return Outcome.Ok;
            case AtCommandKind.Read:
                information.Add(prefix + ": " + get().ToString(CultureInfo.InvariantCulture) + "," +
                    RegistrationFields(get(), withCause));
                return Outcome.Ok;
            case AtCommandKind.Test:
                information.Add(prefix + ": (0-" + maxN.ToString(CultureInfo.InvariantCulture) + ")");
                return Outcome.Ok;
            default:
                return CmeError.IncorrectParameters;
        }
    }

    // TS 27.007 §10.1.9: +CGATT=<state>.
    private Outcome Cgatt(AtCommand command, List<AtLine> information)
    {
        switch (command.Kind)
        {
            case AtCommandKind.Read:
                information.Add("+CGATT: " + (Attached ? "1" : "0"));
                return Outcome.Ok;
            case AtCommandKind.Test:
                information.Add("+CGATT: (0,1)");
                return Outcome.Ok;
            case AtCommandKind.Set when command.Argument(0).TryGetInteger(0, 1, out var state):
                if (state == 1)
                {
                    if (_cfun != 1)
                    {
                        return CmeError.OperationNotAllowed;
                    }

                    _attachBlocked = false;
                    if (!Attached)
                    {
                        StartAttach();
                    }

                    return Outcome.Ok;
                }

                _attachTimer?.Dispose();
                _attachTimer = null;
                if (Attached)
                {
                    Queue("+CGEV: ME DETACH", gated: GateCgev);
                }

                DeactivateAll(networkInitiated: true);
                _attachBlocked = true;
                SetStat(StatNotRegistered, 0);
                return Outcome.Ok;
            default:
                return CmeError.IncorrectParameters;
        }
    }

    // TS 27.007 §10.1.19: +CGEREP=[<mode>[,<bfr>]].
    private Outcome Cgerep(AtCommand command, List<AtLine> information)
    {
        switch (command.Kind)
        {
            case AtCommandKind.Set:
                if (!command.Argument(0).TryGetInteger(0, 2, out var mode))
                {
                    return CmeError.IncorrectParameters;
                }

                var bfr = 0;
                if (!command.Argument(1).IsOmitted && !command.Argument(1).TryGetInteger(0, 1, out bfr))
                {
                    return CmeError.IncorrectParameters;
                }

                _cgerep = mode;
                _cgerepBuffer = bfr;
                return Outcome.Ok;
            case AtCommandKind.Read:
                information.Add(string.Create(CultureInfo.InvariantCulture, $"+CGEREP: {_cgerep},{_cgerepBuffer}"));
                return Outcome.Ok;
            case AtCommandKind.Test:
                information.Add("+CGEREP: (0-2),(0-1)");
                return Outcome.Ok;
            default:
                return Outcome.Error;
        }
    }

    // TS 27.007 §10.1.31: +CGPIAF=[<IPv6_AddressFormat>[,<IPv6_SubnetNotation>[,<IPv6_LeadingZeros>[,<IPv6_CompressZeros>]]]].
    private Outcome Cgpiaf(AtCommand command, List<AtLine> information)
    {
        switch (command.Kind)
        {
            case AtCommandKind.Set:
                var values = (int[])_cgpiaf.Clone();
                for (var i = 0; i < 4; i++)
                {
                    var argument = command.Argument(i);
                    if (!argument.IsOmitted && !argument.TryGetInteger(0, 1, out values[i]))
                    {
                        return CmeError.IncorrectParameters;
                    }
                }

                if (command.Arguments.Count > 4)
                {
                    return CmeError.IncorrectParameters;
                }

                _cgpiaf = values;
                return Outcome.Ok;
            case AtCommandKind.Read:
                information.Add("+CGPIAF: " + string.Join(',', _cgpiaf));
                return Outcome.Ok;
            case AtCommandKind.Test:
                information.Add("+CGPIAF: (0-1),(0-1),(0-1),(0-1)");
                return Outcome.Ok;
            default:
                return Outcome.Error;
        }
    }

    // TS 27.007 §10.1.1: +CGDCONT=<cid>[,<PDP_type>[,<APN>[,<PDP_addr>[,<d_comp>[,<h_comp>[,<IPv4AddrAlloc>
    // [,<request_type>[,<P-CSCF_discovery>[,<IM_CN_Signalling_Flag_Ind>[,...]]]]]]]]]]; "+CGDCONT=<cid>" undefines.
    private Outcome Cgdcont(AtCommand command, List<AtLine> information)
    {
        switch (command.Kind)
        {
            case AtCommandKind.Read:
                foreach (var c in _contexts.Values)
                {
                    var address = c.Active ? PdpAddressFormat.Address((c.Ipv4 ?? c.Ipv6)!, CurrentIpv6Format) : string.Empty;
                    information.Add(string.Create(CultureInfo.InvariantCulture,
                        $"+CGDCONT: {c.Cid},{Quote(PdpContext.TypeText(c.Type))},{Quote(c.Apn)},{Quote(address)},{c.DataCompression},{c.HeaderCompression},{c.Ipv4AddressAllocation},{c.RequestType},{c.PcscfDiscovery},{c.ImCnSignallingFlag}"));
                }

                return Outcome.Ok;
            case AtCommandKind.Test:
                foreach (var type in new[] { "IP", "IPV6", "IPV4V6" })
                {
                    information.Add($"+CGDCONT: (1-{MaxCid}),\"{type}\",,,(0-3),(0-4),(0-1),(0-4),(0-2),(0-1)");
                }

                return Outcome.Ok;
            case AtCommandKind.Set:
                break;
            default:
                return Outcome.Error;
        }

        if (!command.Argument(0).TryGetInteger(1, MaxCid, out var cid))
        {
            return CmeError.IncorrectParameters;
        }

        var existing = _contexts.GetValueOrDefault(cid);
        if (existing is { Active: true })
        {
            // A context in use is not redefined underneath its PDN connection.
            return CmeError.OperationNotAllowed;
        }

        if (command.Arguments.Count == 1)
        {
            _contexts.Remove(cid);
            return Outcome.Ok;
        }

        var context = new PdpContext { Cid = cid };
        if (!command.Argument(1).IsOmitted)
        {
            if (!command.Argument(1).TryGetString(out var typeText) || !PdpContext.TryParseType(typeText, out var pdpType))
            {
                return CmeError.IncorrectParameters;
            }

            context.Type = pdpType;
        }

        if (command.Argument(2).TryGetString(out var apn))
        {
            if (apn.Length > 100)
            {
                return CmeError.IncorrectParameters;
            }

            context.Apn = apn;
        }

        // Argument 3 (<PDP_addr>) is what the TE would like; the network assigns the address at activation.
        var numeric = new (int Index, int Max, Action<int> Set)[]
        {
            (4, 3, v => context.DataCompression = v),
            (5, 4, v => context.HeaderCompression = v),
            (6, 1, v => context.Ipv4AddressAllocation = v),
            (7, 4, v => context.RequestType = v),
            (8, 2, v => context.PcscfDiscovery = v),
            (9, 1, v => context.ImCnSignallingFlag = v),
        };
        foreach (var (index, max, set) in numeric)
        {
            var argument = command.Argument(index);
            if (argument.IsOmitted)
            {
                continue;
            }

            if (!argument.TryGetInteger(0, max, out var value))
            {
                return CmeError.IncorrectParameters;
            }

            set(value);
        }

        _contexts[cid] = context;
        return Outcome.Ok;
    }

    // TS 27.007 §10.1.10: +CGACT=[<state>[,<cid>[,<cid>[,...]]]]; no cid: every defined context.
    private Outcome Cgact(AtCommand command, List<AtLine> information)
    {
        switch (command.Kind)
        {
            case AtCommandKind.Read:
                foreach (var c in _contexts.Values)
                {
                    information.Add(string.Create(CultureInfo.InvariantCulture, $"+CGACT: {c.Cid},{(c.Active ? 1 : 0)}"));
                }

                return Outcome.Ok;
            case AtCommandKind.Test:
                information.Add("+CGACT: (0,1)");
                return Outcome.Ok;
            case AtCommandKind.Set:
                break;
            default:
                return Outcome.Error;
        }

        if (!command.Argument(0).TryGetInteger(0, 1, out var state))
        {
            return CmeError.IncorrectParameters;
        }

        var targets = new List<PdpContext>();
        if (command.Arguments.Count <= 1)
        {
            targets.AddRange(_contexts.Values);
        }
        else
        {
            for (var i = 1; i < command.Arguments.Count; i++)
            {
                if (!command.Argument(i).TryGetInteger(1, MaxCid, out var cid) || !_contexts.TryGetValue(cid, out var context))
                {
                    return CmeError.IncorrectParameters;
                }

                targets.Add(context);
            }
        }

        if (state == 1 && !Attached)
        {
            return CmeError.NoNetworkService;
        }

        foreach (var context in targets)
        {
            if (state == 1 && !context.Active)
            {
                Activate(context);
                Queue($"+CGEV: ME PDN ACT {context.Cid}", gated: GateCgev);
            }
            else if (state == 0 && context.Active)
            {
                context.Deactivate();
                Queue($"+CGEV: ME PDN DEACT {context.Cid}", gated: GateCgev);
            }
        }

        UpdateImsRegistration();
        return Outcome.Ok;
    }

    // The network's answer to the PDN connectivity request (TS 24.301 §6.5.1): addresses per requested family; the
    // IMS APN also gets P-CSCF addresses in the PCO (TS 24.008 §10.5.6.3) and its IM CN flag.
    private void Activate(PdpContext context)
    {
        context.Active = true;
        var v4 = context.Type is PdpType.Ip or PdpType.Ipv4v6;
        var v6 = context.Type is PdpType.Ipv6 or PdpType.Ipv4v6;
        context.Ipv4 = v4 ? _settings.UeIpv4 : null;
        context.Ipv6 = v6 ? _settings.UeIpv6 : null;
        var ims = IsImsApn(context.Apn);
        context.Pcscf = ims
            ? _settings.Pcscf.Where(a => (a.AddressFamily == AddressFamily.InterNetwork && v4)
                || (a.AddressFamily == AddressFamily.InterNetworkV6 && v6)).ToArray()
            : [];
        context.ImCnGranted = ims && context.ImCnSignallingFlag == 1;
    }

    // TS 27.007 §10.1.14: +CGPADDR[=<cid>[,<cid>[,...]]] → +CGPADDR: <cid>[,<PDP_addr_1>[,<PDP_addr_2>]].
    private Outcome Cgpaddr(AtCommand command, List<AtLine> information)
    {
        if (command.Kind == AtCommandKind.Test)
        {
            information.Add("+CGPADDR: (" + string.Join(',', _contexts.Keys) + ")");
            return Outcome.Ok;
        }

        if (command.Kind is not (AtCommandKind.Action or AtCommandKind.Set))
        {
            return Outcome.Error;
        }

        var targets = new List<PdpContext>();
        if (command.Kind == AtCommandKind.Action || command.Arguments.Count == 0)
        {
            targets.AddRange(_contexts.Values);
        }
        else
        {
            foreach (var argument in command.Arguments)
            {
                if (!argument.TryGetInteger(1, MaxCid, out var cid) || !_contexts.TryGetValue(cid, out var context))
                {
                    return CmeError.IncorrectParameters;
                }

                targets.Add(context);
            }
        }

        foreach (var context in targets)
        {
            var line = "+CGPADDR: " + context.Cid.ToString(CultureInfo.InvariantCulture);
            foreach (var address in new[] { context.Ipv4, context.Ipv6 })
            {
                if (address is not null)
                {
                    line += "," + Quote(PdpAddressFormat.Address(address, CurrentIpv6Format));
                }
            }

            information.Add(line);
        }

        return Outcome.Ok;
    }

    // TS 27.007 §10.1.23 (post-v9.4.0 layout): +CGCONTRDP: <cid>,<bearer_id>,<apn>[,<local_addr and subnet_mask>
    // [,<gw_addr>[,<DNS_prim_addr>[,<DNS_sec_addr>[,<P-CSCF_prim_addr>[,<P-CSCF_sec_addr>[,<IM_CN_Signalling_Flag>
    // [,<LIPA_indication>[,<IPv4_MTU>]]]]]]]]]. The P-CSCF primary is the 8th field.
    private Outcome Cgcontrdp(AtCommand command, List<AtLine> information)
    {
        if (command.Kind == AtCommandKind.Test)
        {
            information.Add("+CGCONTRDP: (" + string.Join(',', _contexts.Values.Where(c => c.Active).Select(c => c.Cid)) + ")");
            return Outcome.Ok;
        }

        if (command.Kind is not (AtCommandKind.Action or AtCommandKind.Set))
        {
            return Outcome.Error;
        }

        IEnumerable<PdpContext> targets;
        if (command.Kind == AtCommandKind.Set && !command.Argument(0).IsOmitted)
        {
            if (!command.Argument(0).TryGetInteger(1, MaxCid, out var cid))
            {
                return CmeError.IncorrectParameters;
            }

            targets = _contexts.TryGetValue(cid, out var context) ? [context] : [];
        }
        else
        {
            targets = _contexts.Values;
        }

        foreach (var context in targets.Where(c => c.Active))
        {
            if ((_settings.Quirks & ModemQuirks.ContrdpLinePerFamily) != 0 && context.Ipv4 is not null && context.Ipv6 is not null)
            {
                information.Add(ContrdpLine(context, AddressFamily.InterNetwork));
                information.Add(ContrdpLine(context, AddressFamily.InterNetworkV6));
            }
            else
            {
                information.Add(ContrdpLine(context, family: null));
            }
        }

        return Outcome.Ok;
    }

    private string ContrdpLine(PdpContext context, AddressFamily? family)
    {
        var format = (_settings.Quirks & ModemQuirks.ContrdpDotted) != 0 ? Ipv6Format.Dotted : CurrentIpv6Format;
        bool Wanted(IPAddress a) => family is null || a.AddressFamily == family;

        var local = family switch
        {
            AddressFamily.InterNetwork => context.Ipv4!,
            AddressFamily.InterNetworkV6 => context.Ipv6!,
            _ => (context.Ipv4 ?? context.Ipv6)!,
        };
        var prefix = local.AddressFamily == AddressFamily.InterNetwork ? _settings.Ipv4PrefixLength : _settings.Ipv6PrefixLength;
        var gateway = local.AddressFamily == AddressFamily.InterNetwork ? _settings.GatewayIpv4 : _settings.GatewayIpv6;
        var dns = _settings.Dns.Where(a => Wanted(a) && Granted(context, a)).Take(2).ToArray();
        var pcscf = context.Pcscf.Where(Wanted).Take(2).ToArray();

        string Field(IPAddress? address) => Quote(address is null ? string.Empty : PdpAddressFormat.Address(address, format));

        var fields = new List<string>
        {
            context.Cid.ToString(CultureInfo.InvariantCulture),
            context.BearerId.ToString(CultureInfo.InvariantCulture),
            Quote(context.Apn),
        };
        if ((_settings.Quirks & ModemQuirks.ContrdpSeparateMask) != 0)
        {
            fields.Add(Quote(PdpAddressFormat.Address(local, format)));
            fields.Add(Quote(PdpAddressFormat.Mask(local.AddressFamily, prefix, format)));
        }
        else
        {
            fields.Add(Quote(PdpAddressFormat.AddressAndMask(local, prefix, format)));
        }

        fields.Add(Field(gateway));
        fields.Add(Field(dns.ElementAtOrDefault(0)));
        fields.Add(Field(dns.ElementAtOrDefault(1)));
        fields.Add(Field(pcscf.ElementAtOrDefault(0)));
        fields.Add(Field(pcscf.ElementAtOrDefault(1)));
        fields.Add(context.ImCnGranted ? "1" : "0");
        fields.Add("0");
        fields.Add(local.AddressFamily == AddressFamily.InterNetwork ? _settings.Ipv4Mtu.ToString(CultureInfo.InvariantCulture) : string.Empty);
        return "+CGCONTRDP: " + string.Join(',', fields);
    }

    private static bool Granted(PdpContext context, IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetwork ? context.Ipv4 is not null : context.Ipv6 is not null;

    // TS 27.007 §8.71: +CIREG=[<n>]; read → +CIREG: <n>,<reg_info>[,<ext_info>]; URC +CIREGU: <reg_info>.
    private Outcome Cireg(AtCommand command, List<AtLine> information)
    {
        switch (command.Kind)
        {
            case AtCommandKind.Set when command.Argument(0).TryGetInteger(0, 2, out var n):
                _cireg = n;
                return Outcome.Ok;
            case AtCommandKind.Action:
                _cireg = 0;
                return Outcome.Ok;
            case AtCommandKind.Read:
                var line = string.Create(CultureInfo.InvariantCulture, $"+CIREG: {_cireg},{(_imsRegistered ? 1 : 0)}");
                if (_cireg == 2 && _imsRegistered)
                {
                    // <ext_info> bit 1: RTP-based transfer of voice (MMTel) is available.
                    line += ",1";
                }

                information.Add(line);
                return Outcome.Ok;
            case AtCommandKind.Test:
                information.Add("+CIREG: (0-2)");
                return Outcome.Ok;
            default:
                return CmeError.IncorrectParameters;
        }
    }

    // TS 27.007 §8.45 +CCHO=<dfname> → +CCHO: <sessionid>; §8.46 +CCHC=<sessionid>. Session ids are handed out in
    // increasing order and never reused within a power cycle, so a TE that mistakes them for channel numbers fails.
    private Outcome Ccho(AtCommand command, List<AtLine> information, bool close = false)
    {
        if (!IsSimSetCommand(command, out var early))
        {
            return early;
        }

        if (close)
        {
            if (!command.Argument(0).TryGetInteger(0, int.MaxValue, out var closeId) || !_sessions.Remove(closeId, out var channel))
            {
                return CmeError.InvalidIndex;
            }

            _card.CloseChannel(channel);
            return Outcome.Ok;
        }

        if (!command.Argument(0).TryGetString(out var aidText) || !TryParseHex(aidText, out var aid) || aid.Length is < 5 or > 16)
        {
            return CmeError.IncorrectParameters;
        }

        var opened = _card.OpenChannel(aid, out var statusWord);
        if (opened is null)
        {
            return statusWord == StatusWords.FileNotFound ? CmeError.IncorrectParameters : CmeError.OperationNotAllowed;
        }

        var sessionId = _nextSessionId;
        _nextSessionId = _nextSessionId >= 65535 ? 1 : _nextSessionId + 1;
        _sessions[sessionId] = opened.Value;
        var id = sessionId.ToString(CultureInfo.InvariantCulture);
        information.Add((_settings.Quirks & ModemQuirks.CchoBareNumber) != 0 ? id : "+CCHO: " + id);
        return Outcome.Ok;
    }

    /// <summary>
    /// The shared start of the UICC commands (+CCHO/+CCHC/+CGLA/+CSIM): "=?" is answered OK, anything but a set
    /// command ERROR, and a set command before the SIM is ready +CME ERROR: SIM busy.
    /// </summary>
    private bool IsSimSetCommand(AtCommand command, out Outcome early)
    {
        early = command.Kind switch
        {
            AtCommandKind.Test => Outcome.Ok,
            not AtCommandKind.Set => Outcome.Error,
            _ when !_simReady => CmeError.SimBusy,
            _ => default,
        };
        return command.Kind == AtCommandKind.Set && _simReady;
    }

    // TS 27.007 §8.43: +CGLA=<sessionid>,<length>,<command> → +CGLA: <length>,<response>; <length> counts hex
    // characters and the response ends with SW1 SW2. The MT puts the channel in CLA (unless cla-channel-bits).
    private Outcome Cgla(AtCommand command, List<AtLine> information)
    {
        if (!IsSimSetCommand(command, out var early))
        {
            return early;
        }

        if (!command.Argument(0).TryGetInteger(0, int.MaxValue, out var sessionId) || !_sessions.TryGetValue(sessionId, out var channel))
        {
            return CmeError.InvalidIndex;
        }

        if (!TryReadApdu(command, 1, out var apdu))
        {
            return CmeError.IncorrectParameters;
        }

        var passClaAsIs = (_settings.Quirks & ModemQuirks.ClaChannelBits) != 0;
        var response = _card.Transmit(apdu, passClaAsIs ? null : channel);
        information.Add(ApduResponseLine("+CGLA", response));
        return Outcome.Ok;
    }

    // TS 27.007 §8.17: +CSIM=<length>,<command>: the APDU goes as it is; CLA chooses the channel.
    private Outcome Csim(AtCommand command, List<AtLine> information)
    {
        if (!IsSimSetCommand(command, out var early))
        {
            return early;
        }

        if (!TryReadApdu(command, 0, out var apdu))
        {
            return CmeError.IncorrectParameters;
        }

        information.Add(ApduResponseLine("+CSIM", _card.Transmit(apdu)));
        return Outcome.Ok;
    }

    private static bool TryReadApdu(AtCommand command, int lengthIndex, out byte[] apdu)
    {
        apdu = [];
        return command.Arguments.Count == lengthIndex + 2
            && command.Argument(lengthIndex).TryGetInteger(8, 2 * 261, out var length)
            && command.Argument(lengthIndex + 1).TryGetString(out var hex)
            && hex.Length == length
            && TryParseHex(hex, out apdu);
    }

    private static AtLine ApduResponseLine(string prefix, CardResponse response)
    {
        var hex = Convert.ToHexString(response.ToBytes());
        var length = hex.Length.ToString(CultureInfo.InvariantCulture);
        var text = $"{prefix}: {length},\"{hex}\"";
        if (!response.Sensitive)
        {
            return text;
        }

        var sw = hex[^4..];
        return new AtLine(text, $"{prefix}: {length},\"<AUTHENTICATE response redacted>{sw}\"");
    }

    private static bool TryParseHex(string text, out byte[] bytes)
    {
        bytes = [];
        if (text.Length == 0 || text.Length % 2 != 0 || !text.All(char.IsAsciiHexDigit))
        {
            return false;
        }

        bytes = Convert.FromHexString(text);
        return true;
    }

    // Quectel: AT+QCFG="ims"[,<value>] with 0 (as the MBN says), 1 (IMS enabled), 2 (disabled); the read answers
    // +QCFG: "ims",<value>,<VoLTE_state>.
    private Outcome Qcfg(AtCommand command, List<AtLine> information)
    {
        if (command.Kind == AtCommandKind.Test)
        {
            information.Add("+QCFG: \"ims\",(0-2)");
            return Outcome.Ok;
        }

        if (command.Kind != AtCommandKind.Set || !command.Argument(0).TryGetString(out var name)
            || !string.Equals(name, "ims", StringComparison.OrdinalIgnoreCase))
        {
            return Outcome.Error;
        }

        if (command.Arguments.Count == 1)
        {
            information.Add(string.Create(CultureInfo.InvariantCulture, $"+QCFG: \"ims\",{_qcfgIms},{(_imsRegistered ? 1 : 0)}"));
            return Outcome.Ok;
        }

        if (command.Arguments.Count != 2 || !command.Argument(1).TryGetInteger(0, 2, out var value))
        {
            return CmeError.IncorrectParameters;
        }

        _qcfgIms = value;
        UpdateImsRegistration();
        return Outcome.Ok;
    }
}
