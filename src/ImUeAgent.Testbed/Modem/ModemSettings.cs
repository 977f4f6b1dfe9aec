// SPDX-License-Identifier: MIT
using System.Net;

namespace ImUeAgent.Testbed.Modem;

/// <summary>
/// Everything the emulated MT says about itself and its network: identity, timings of SIM and attach, the PDN
/// addresses and P-CSCFs it hands out, initial settings and quirks. Plain data; the CLI fills it from options.
/// </summary>
internal sealed record ModemSettings
{
    public string Manufacturer { get; init; } = "ImUeAgent";

    public string Model { get; init; } = "Testbed-LTE";

    public string Revision { get; init; } = "TB01R01";

    public string Imei { get; init; } = "350000000000017";

    /// <summary>After power-on (or reset) the SIM answers +CME ERROR: 14 (SIM busy) for this long.</summary>
    public TimeSpan SimBusy { get; init; }

    /// <summary>From SIM ready (or +CFUN=1) to the attach result (+CEREG: 1, or 3 when denied).</summary>
    public TimeSpan AttachDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>EMM reject cause (TS 24.301 §9.9.3.9) when attach is denied; null attaches.</summary>
    public int? DenyAttachCause { get; init; }

    /// <summary>Report roaming (stat 5) instead of home (stat 1) once attached.</summary>
    public bool Roaming { get; init; }

    /// <summary>+CFUN level at power-on (1 full, 0 minimum, 4 flight mode).</summary>
    public int InitialCfun { get; init; } = 1;

    /// <summary>The APN that gets P-CSCF addresses and the IM CN flag treatment.</summary>
    public string ImsApn { get; init; } = "ims";

    /// <summary>Context 1 exists at power-on with this APN (the attach default bearer).</summary>
    public string DefaultApn { get; init; } = "internet";

    public IPAddress UeIpv4 { get; init; } = IPAddress.Loopback;

    public int Ipv4PrefixLength { get; init; } = 8;

    public IPAddress UeIpv6 { get; init; } = IPAddress.IPv6Loopback;

    public int Ipv6PrefixLength { get; init; } = 128;

    public IPAddress GatewayIpv4 { get; init; } = IPAddress.Loopback;

    public IPAddress GatewayIpv6 { get; init; } = IPAddress.IPv6Loopback;

    public IReadOnlyList<IPAddress> Dns { get; init; } = [IPAddress.Loopback, IPAddress.IPv6Loopback];

    /// <summary>P-CSCF addresses given to the IMS PDN (PCO, TS 24.008 §10.5.6.3), IPv4 and IPv6.</summary>
    public IReadOnlyList<IPAddress> Pcscf { get; init; } = [IPAddress.Loopback, IPAddress.IPv6Loopback];

    public int Ipv4Mtu { get; init; } = 1500;

    /// <summary>Tracking area code and E-UTRAN cell id reported by +CEREG=2/3.</summary>
    public ushort Tac { get; init; } = 0x0001;

    public uint CellId { get; init; } = 0x0000101;

    /// <summary>+CGEREP mode at power-on (27.007 default 0: no +CGEV forwarded).</summary>
    public int InitialCgerep { get; init; }

    /// <summary>+CGPIAF at power-on: IPv6 address format, subnet notation, leading zeros, compress zeros.</summary>
    public IReadOnlyList<int> InitialCgpiaf { get; init; } = [0, 0, 0, 0];

    /// <summary>AT+QCFG="ims" value at power-on (0 by MBN, 1 enabled, 2 disabled): the modem's own IMS client.</summary>
    public int InitialQcfgIms { get; init; }

    /// <summary>Logical channels the card offers besides the basic one (TS 102 221: 3, up to 19).</summary>
    public int MaxLogicalChannels { get; init; } = 3;

    /// <summary>Send "RDY" when the MT (re)starts, as Quectel firmware does.</summary>
    public bool ReadyUrc { get; init; } = true;

    public ModemQuirks Quirks { get; init; }
}
