// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ImUeAgent.Modem.At;
using ImUeAgent.Modem.Profiles;

namespace ImUeAgent.Modem.BringUp;

/// <summary>Why a bring-up answer line was rejected (closed set, STYLE.md §4).</summary>
public enum ReplyParseError
{
    None = 0,

    /// <summary>The line does not carry the name this parser reads.</summary>
    WrongName,

    /// <summary>The value grammar failed (unterminated string, unbalanced parenthesis...).</summary>
    MalformedValues,

    /// <summary>A mandatory field is missing or empty.</summary>
    MissingField,

    /// <summary>A numeric field is not a number, or out of its range.</summary>
    NotANumber,

    /// <summary>An address field is neither dotted decimal (4/8/16/32 numbers) nor IPv6 text.</summary>
    InvalidAddress,
}

/// <summary>27.007 §8.3 +CPIN &lt;code&gt;.</summary>
public enum SimPinState
{
    Unknown = 0,

    /// <summary>READY: no password pending.</summary>
    Ready,

    /// <summary>SIM PIN.</summary>
    SimPin,

    /// <summary>SIM PUK.</summary>
    SimPuk,

    /// <summary>SIM PIN2 / SIM PUK2: not needed for service.</summary>
    SimPin2,
    SimPuk2,

    /// <summary>PH-SIM PIN, PH-NET PIN and the other personalisation codes: the device is locked to another SIM or network.</summary>
    PhoneLock,
}

/// <summary>One +CGCONTRDP line (27.007 §10.1.23): the dynamic parameters of one address family of a context.</summary>
public sealed record PdpContextDynamicParameters(
    int Cid,
    int? BearerId,
    string Apn,
    IPAddress? LocalAddress,
    IPAddress? SubnetMask,
    IPAddress? Gateway,
    IPAddress? DnsPrimary,
    IPAddress? DnsSecondary,
    IPAddress? PcscfPrimary,
    IPAddress? PcscfSecondary);

/// <summary>One +CGDCONT read line (27.007 §10.1.1): what a context is defined as.</summary>
public sealed record PdpContextDefinition(int Cid, string PdpType, string Apn);

/// <summary>
/// Pure parsers of the answers bring-up reads (STYLE.md §6: static, beside the stateful code, table-tested):
/// +CPIN, +CGDCONT?, +CGACT?, +CGPADDR and +CGCONTRDP in both layouts.
/// </summary>
public static class ModemReplies
{
    /// <summary>The text of an identification answer, bare ("Quectel") or named ("+CGMR: LE20B04SIM7600G22", "+CGSN: "35..."").</summary>
    public static string IdentificationText(string line, string prefix)
    {
        var values = AtValueReader.ForLine(line, out var name);
        if (name.SequenceEqual(prefix) && values.TryRead(out var value))
        {
            return value.GetString().Trim();
        }

        return line.Trim();
    }

    /// <summary>27.007 §8.3: "+CPIN: &lt;code&gt;".</summary>
    public static ReplyParseError TryParseCpin(string line, out SimPinState state, out string code)
    {
        ArgumentNullException.ThrowIfNull(line);
        state = SimPinState.Unknown;
        code = string.Empty;
        var values = AtValueReader.ForLine(line, out var name);
        if (!name.SequenceEqual("+CPIN"))
        {
            return ReplyParseError.WrongName;
        }

        if (!values.TryRead(out var value))
        {
            return values.Error == AtValueError.None ? ReplyParseError.MissingField : ReplyParseError.MalformedValues;
        }

        code = value.GetString().Trim();
        if (code.Length == 0)
        {
            return ReplyParseError.MissingField;
        }

        state = code.ToUpperInvariant() switch
        {
            "READY" => SimPinState.Ready,
            "SIM PIN" => SimPinState.SimPin,
            "SIM PUK" => SimPinState.SimPuk,
            "SIM PIN2" => SimPinState.SimPin2,
            "SIM PUK2" => SimPinState.SimPuk2,
            var other when other.StartsWith("PH-", StringComparison.Ordinal) => SimPinState.PhoneLock,
            _ => SimPinState.Unknown,
        };
        return ReplyParseError.None;
    }

    /// <summary>27.007 §10.1.10 read answer: "+CGACT: &lt;cid&gt;,&lt;state&gt;".</summary>
    public static ReplyParseError TryParseCgact(string line, out int cid, out bool active)
    {
        ArgumentNullException.ThrowIfNull(line);
        active = false;
        cid = 0;
        var values = AtValueReader.ForLine(line, out var name);
        if (!name.SequenceEqual("+CGACT"))
        {
            return ReplyParseError.WrongName;
        }

        var error = ReadInt(ref values, out cid);
        if (error != ReplyParseError.None)
        {
            return error;
        }

        error = ReadInt(ref values, out var state);
        if (error != ReplyParseError.None)
        {
            return error;
        }

        if (state is not (0 or 1))
        {
            return ReplyParseError.NotANumber;
        }

        active = state == 1;
        return ReplyParseError.None;
    }

    /// <summary>27.007 §10.1.1 read answer: "+CGDCONT: &lt;cid&gt;,&lt;PDP_type&gt;,&lt;APN&gt;,...".</summary>
    public static ReplyParseError TryParseCgdcont(string line, out PdpContextDefinition? definition)
    {
        ArgumentNullException.ThrowIfNull(line);
        definition = null;
        var values = AtValueReader.ForLine(line, out var name);
        if (!name.SequenceEqual("+CGDCONT"))
        {
            return ReplyParseError.WrongName;
        }

        var error = ReadInt(ref values, out var cid);
        if (error != ReplyParseError.None)
        {
            return error;
        }

        if (!values.TryRead(out var type))
        {
            return values.Error == AtValueError.None ? ReplyParseError.MissingField : ReplyParseError.MalformedValues;
        }

        var apn = string.Empty;
        if (values.TryRead(out var apnValue))
        {
            apn = apnValue.GetString();
        }
        else if (values.Error != AtValueError.None)
        {
            return ReplyParseError.MalformedValues;
        }

        definition = new PdpContextDefinition(cid, type.GetString(), apn);
        return ReplyParseError.None;
    }

    /// <summary>
    /// 27.007 §10.1.14: "+CGPADDR: &lt;cid&gt;[,&lt;PDP_addr_1&gt;[,&lt;PDP_addr_2&gt;]]"; a dual-stack context gives its
    /// IPv4 and IPv6 address. Empty and all-zero addresses (not yet assigned) are left out.
    /// </summary>
    public static ReplyParseError TryParseCgpaddr(string line, out int cid, out IReadOnlyList<IPAddress> addresses)
    {
        ArgumentNullException.ThrowIfNull(line);
        addresses = [];
        cid = 0;
        var values = AtValueReader.ForLine(line, out var name);
        if (!name.SequenceEqual("+CGPADDR"))
        {
            return ReplyParseError.WrongName;
        }

        var error = ReadInt(ref values, out cid);
        if (error != ReplyParseError.None)
        {
            return error;
        }

        var found = new List<IPAddress>(2);
        while (values.TryRead(out var value))
        {
            if (value.IsEmpty || value.Raw.IsEmpty)
            {
                continue;
            }

            if (!TryParsePdpAddress(value.Raw, out var address, out _))
            {
                return ReplyParseError.InvalidAddress;
            }

            if (address is not null && !IsUnspecified(address))
            {
                found.Add(address);
            }
        }

        if (values.Error != AtValueError.None)
        {
            return ReplyParseError.MalformedValues;
        }

        addresses = found;
        return ReplyParseError.None;
    }

    /// <summary>
    /// One +CGCONTRDP line (27.007 §10.1.23). <see cref="CgcontrdpLayout.Current"/> (v9.4.0 and later):
    /// &lt;cid&gt;,&lt;bearer_id&gt;,&lt;apn&gt;,&lt;local_addr and subnet_mask&gt;,&lt;gw_addr&gt;,&lt;DNS_prim_addr&gt;,
    /// &lt;DNS_sec_addr&gt;,&lt;P-CSCF_prim_addr&gt;,&lt;P-CSCF_sec_addr&gt;,...; <see cref="CgcontrdpLayout.SeparateMask"/>
    /// (earlier) has &lt;local_addr&gt;,&lt;subnet_mask&gt; as two fields, shifting the rest by one. Address fields are
    /// read whatever their form: dotted address (4 or 16 numbers), dotted address and mask (8 or 32 numbers), IPv6
    /// text (+CGPIAF), with the mask after a space or as "/prefix".
    /// </summary>
    public static ReplyParseError TryParseCgcontrdp(string line, CgcontrdpLayout layout, out PdpContextDynamicParameters? parameters)
    {
        ArgumentNullException.ThrowIfNull(line);
        parameters = null;
        var values = AtValueReader.ForLine(line, out var name);
        if (!name.SequenceEqual("+CGCONTRDP"))
        {
            return ReplyParseError.WrongName;
        }

        var error = ReadInt(ref values, out var cid);
        if (error != ReplyParseError.None)
        {
            return error;
        }

        int? bearer = null;
        if (values.TryRead(out var bearerValue) && !bearerValue.IsEmpty)
        {
            if (!bearerValue.TryGetInt32(out var b))
            {
                return ReplyParseError.NotANumber;
            }

            bearer = b;
        }

        var apn = string.Empty;
        if (values.TryRead(out var apnValue))
        {
            apn = apnValue.GetString();
        }

        // After the APN: address (and mask), [mask,] gateway, DNS primary, DNS secondary, P-CSCF primary, P-CSCF secondary.
        var offset = layout == CgcontrdpLayout.SeparateMask ? 1 : 0;
        var wanted = 6 + offset;
        var raw = new string?[wanted];
        var read = 0;
        while (read < wanted && values.TryRead(out var value))
        {
            raw[read++] = value.IsEmpty ? null : value.Raw.ToString();
        }

        if (values.Error != AtValueError.None)
        {
            return ReplyParseError.MalformedValues;
        }

        var addresses = new IPAddress?[wanted];
        IPAddress? mask = null;
        for (var i = 0; i < wanted; i++)
        {
            if (!TryParsePdpAddress(raw[i], out addresses[i], out var fieldMask))
            {
                return ReplyParseError.InvalidAddress;
            }

            if (i == 0)
            {
                mask = fieldMask;
            }
        }

        if (offset == 1)
        {
            mask = addresses[1];
        }

        parameters = new PdpContextDynamicParameters(
            cid, bearer, apn, addresses[0], mask, NotZero(addresses[1 + offset]), NotZero(addresses[2 + offset]),
            NotZero(addresses[3 + offset]), NotZero(addresses[4 + offset]), NotZero(addresses[5 + offset]));
        return ReplyParseError.None;
    }

    /// <summary>
    /// An address as 27.007 writes it: dotted decimal (IPv4 4 numbers, IPv6 16 numbers, each followed by the mask in
    /// the same form: 8 or 32 numbers), or IPv6 colon text (+CGPIAF), optionally followed by " mask" or "/prefix".
    /// </summary>
    public static bool TryParsePdpAddress(string? text, out IPAddress? address, out IPAddress? mask)
        => TryParsePdpAddress(text.AsSpan(), out address, out mask);

    /// <inheritdoc cref="TryParsePdpAddress(string?, out IPAddress?, out IPAddress?)"/>
    public static bool TryParsePdpAddress(ReadOnlySpan<char> text, out IPAddress? address, out IPAddress? mask)
    {
        address = null;
        mask = null;
        text = text.Trim(' ');
        if (text.IsEmpty)
        {
            return true;
        }

        if (text.Contains(':'))
        {
            var space = text.IndexOf(' ');
            var slash = text.IndexOf('/');
            var cut = space >= 0 ? space : slash;
            var head = cut >= 0 ? text[..cut] : text;
            if (!IPAddress.TryParse(head, out address) || address.AddressFamily != AddressFamily.InterNetworkV6)
            {
                address = null;
                return false;
            }

            if (space >= 0)
            {
                return IPAddress.TryParse(text[(space + 1)..].Trim(' '), out mask);
            }

            if (slash >= 0)
            {
                if (!int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var prefix) || prefix > 128)
                {
                    return false;
                }

                mask = PrefixMask(prefix, 16);
            }

            return true;
        }

        Span<byte> bytes = stackalloc byte[32];
        var count = 0;
        foreach (var range in text.Split('.'))
        {
            var part = text[range];
            if (count == bytes.Length || part.IsEmpty || part.Length > 3
                || !byte.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out bytes[count]))
            {
                return false;
            }

            count++;
        }

        switch (count)
        {
            case 4:
            case 16:
                address = new IPAddress(bytes[..count]);
                return true;
            case 8:
            case 32:
                var half = count / 2;
                address = new IPAddress(bytes[..half]);
                mask = new IPAddress(bytes[half..count]);
                return true;
            default:
                return false;
        }
    }

    /// <summary>The &lt;PDP_type&gt; text of 27.007 §10.1.1.</summary>
    public static string PdpTypeText(ImsPdnType type) => type switch
    {
        ImsPdnType.IPv4 => "IP",
        ImsPdnType.IPv6 => "IPV6",
        _ => "IPV4V6",
    };

    private static IPAddress? NotZero(IPAddress? address) => address is null || IsUnspecified(address) ? null : address;

    private static bool IsUnspecified(IPAddress address) => address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);

    private static IPAddress PrefixMask(int prefix, int length)
    {
        Span<byte> bytes = stackalloc byte[length];
        for (var i = 0; i < length; i++)
        {
            var bits = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] = (byte)(0xFF << (8 - bits));
        }

        return new IPAddress(bytes);
    }

    private static ReplyParseError ReadInt(ref AtValueReader values, out int number)
    {
        number = 0;
        if (!values.TryRead(out var value))
        {
            return values.Error == AtValueError.None ? ReplyParseError.MissingField : ReplyParseError.MalformedValues;
        }

        if (value.IsEmpty)
        {
            return ReplyParseError.MissingField;
        }

        return value.TryGetInt32(out number) ? ReplyParseError.None : ReplyParseError.NotANumber;
    }
}
