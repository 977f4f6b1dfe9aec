// SPDX-License-Identifier: MIT
using System.Net;

namespace ImUeAgent.Testbed.Modem;

/// <summary>PDP type of a context (TS 27.007 §10.1.1).</summary>
internal enum PdpType
{
    Ip,
    Ipv6,
    Ipv4v6,
}

/// <summary>
/// A PDP context as +CGDCONT defines it (TS 27.007 §10.1.1) and, once +CGACT activates it, the PDN connection's
/// addresses and P-CSCFs.
/// </summary>
internal sealed class PdpContext
{
    public required int Cid { get; init; }

    public PdpType Type { get; set; } = PdpType.Ipv4v6;

    public string Apn { get; set; } = string.Empty;

    public int DataCompression { get; set; }

    public int HeaderCompression { get; set; }

    public int Ipv4AddressAllocation { get; set; }

    public int RequestType { get; set; }

    /// <summary>&lt;P-CSCF_discovery&gt;: 0 not influenced, 1 through NAS signalling, 2 through DHCP.</summary>
    public int PcscfDiscovery { get; set; }

    /// <summary>&lt;IM_CN_Signalling_Flag_Ind&gt;: 1 = for IM CN subsystem-related signalling only.</summary>
    public int ImCnSignallingFlag { get; set; }

    public bool Active { get; set; }

    public IPAddress? Ipv4 { get; set; }

    public IPAddress? Ipv6 { get; set; }

    public IReadOnlyList<IPAddress> Pcscf { get; set; } = [];

    /// <summary>The IM CN flag as the network granted it (only on the IMS APN).</summary>
    public bool ImCnGranted { get; set; }

    /// <summary>EPS bearer identity (TS 24.301 §9.3.2): 5..15.</summary>
    public int BearerId => 4 + Cid;

    public static string TypeText(PdpType type) => type switch
    {
        PdpType.Ip => "IP",
        PdpType.Ipv6 => "IPV6",
        _ => "IPV4V6",
    };

    public static bool TryParseType(string text, out PdpType type)
    {
        switch (text.ToUpperInvariant())
        {
            case "IP":
                type = PdpType.Ip;
                return true;
            case "IPV6":
                type = PdpType.Ipv6;
                return true;
            case "IPV4V6":
                type = PdpType.Ipv4v6;
                return true;
            default:
                type = default;
                return false;
        }
    }

    public void Deactivate()
    {
        Active = false;
        Ipv4 = null;
        Ipv6 = null;
        Pcscf = [];
        ImCnGranted = false;
    }
}
