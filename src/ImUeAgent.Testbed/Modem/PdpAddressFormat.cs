// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ImUeAgent.Testbed.Modem;

/// <summary>
/// The +CGPIAF settings (TS 27.007 §10.1.31) that shape IPv6 addresses in +CGPADDR and +CGCONTRDP: format
/// (0 dotted decimal, 1 colon hex), subnet notation (0 "addr mask", 1 "addr/prefix"), leading zeros, zero compression.
/// </summary>
internal readonly record struct Ipv6Format(bool Colon, bool PrefixNotation, bool LeadingZeros, bool CompressZeros)
{
    public static Ipv6Format Dotted => default;

    public static Ipv6Format FromSettings(IReadOnlyList<int> cgpiaf) => new(
        cgpiaf.Count > 0 && cgpiaf[0] == 1,
        cgpiaf.Count > 1 && cgpiaf[1] == 1,
        cgpiaf.Count > 2 && cgpiaf[2] == 1,
        cgpiaf.Count > 3 && cgpiaf[3] == 1);
}

/// <summary>Pure formatting of PDP addresses in the forms of TS 27.007 §10.1.14 (+CGPADDR) and §10.1.23 (+CGCONTRDP).</summary>
internal static class PdpAddressFormat
{
    /// <summary>An address alone: IPv4 dotted; IPv6 per <paramref name="format"/>.</summary>
    public static string Address(IPAddress address, Ipv6Format format)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return address.ToString();
        }

        return format.Colon ? Colon(address.GetAddressBytes(), format) : Dotted(address.GetAddressBytes());
    }

    /// <summary>A subnet mask alone (the pre-v9.4.0 separate field).</summary>
    public static string Mask(AddressFamily family, int prefixLength, Ipv6Format format)
    {
        var mask = MaskBytes(family, prefixLength);
        if (family == AddressFamily.InterNetwork)
        {
            return Dotted(mask);
        }

        return format.Colon ? Colon(mask, format) : Dotted(mask);
    }

    /// <summary>
    /// "&lt;local_addr and subnet_mask&gt;" of +CGCONTRDP: "a1.a2.a3.a4.m1.m2.m3.m4" for IPv4 and, for IPv6, 32
    /// dotted numbers or, under +CGPIAF=1, "addr mask" or "addr/prefix".
    /// </summary>
    public static string AddressAndMask(IPAddress address, int prefixLength, Ipv6Format format)
    {
        var bytes = address.GetAddressBytes();
        var mask = MaskBytes(address.AddressFamily, prefixLength);
        if (address.AddressFamily == AddressFamily.InterNetwork || !format.Colon)
        {
            return Dotted(bytes) + "." + Dotted(mask);
        }

        return format.PrefixNotation
            ? Colon(bytes, format) + "/" + prefixLength.ToString(CultureInfo.InvariantCulture)
            : Colon(bytes, format) + " " + Colon(mask, format);
    }

    public static byte[] MaskBytes(AddressFamily family, int prefixLength)
    {
        var mask = new byte[family == AddressFamily.InterNetwork ? 4 : 16];
        for (var i = 0; i < mask.Length; i++)
        {
            var bits = Math.Clamp(prefixLength - (i * 8), 0, 8);
            mask[i] = (byte)(0xFF << (8 - bits));
        }

        return mask;
    }

    private static string Dotted(ReadOnlySpan<byte> bytes)
    {
        var builder = new StringBuilder(bytes.Length * 4);
        for (var i = 0; i < bytes.Length; i++)
        {
            if (i > 0)
            {
                builder.Append('.');
            }

            builder.Append(bytes[i].ToString(CultureInfo.InvariantCulture));
        }

        return builder.ToString();
    }

    // RFC 5952-like text with the +CGPIAF choices: leading zeros kept or not; the longest run of two or more zero
    // groups compressed to "::" or not. Upper-case hex as modems print it.
    private static string Colon(ReadOnlySpan<byte> bytes, Ipv6Format format)
    {
        Span<ushort> groups = stackalloc ushort[8];
        for (var i = 0; i < 8; i++)
        {
            groups[i] = (ushort)((bytes[2 * i] << 8) | bytes[(2 * i) + 1]);
        }

        int runStart = -1, runLength = 0;
        if (format.CompressZeros)
        {
            for (var i = 0; i < 8;)
            {
                if (groups[i] != 0)
                {
                    i++;
                    continue;
                }

                var start = i;
                while (i < 8 && groups[i] == 0)
                {
                    i++;
                }

                if (i - start > runLength && i - start >= 2)
                {
                    runStart = start;
                    runLength = i - start;
                }
            }
        }

        var builder = new StringBuilder(40);
        for (var i = 0; i < 8; i++)
        {
            if (i == runStart)
            {
                builder.Append("::");
                i += runLength - 1;
                continue;
            }

            if (builder.Length > 0 && builder[^1] != ':')
            {
                builder.Append(':');
            }

            builder.Append(groups[i].ToString(format.LeadingZeros ? "X4" : "X", CultureInfo.InvariantCulture));
        }

        return builder.ToString();
    }
}
