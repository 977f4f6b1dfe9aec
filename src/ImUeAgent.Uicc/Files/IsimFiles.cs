// SPDX-License-Identifier: MIT
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ImUeAgent.Uicc.Files;

/// <summary>ISIM elementary file identifiers (TS 31.103 §4.2).</summary>
public static class IsimFileIds
{
    /// <summary>EF_IMPI, transparent.</summary>
    public const ushort Impi = 0x6F02;

    /// <summary>EF_DOMAIN, transparent.</summary>
    public const ushort Domain = 0x6F03;

    /// <summary>EF_IMPU, linear fixed.</summary>
    public const ushort Impu = 0x6F04;

    /// <summary>EF_IST, transparent.</summary>
    public const ushort Ist = 0x6F07;

    /// <summary>EF_P-CSCF, linear fixed.</summary>
    public const ushort Pcscf = 0x6F09;

    /// <summary>EF_DIR under the MF (ETSI TS 102 221 §13.1), linear fixed.</summary>
    public const ushort Dir = 0x2F00;
}

/// <summary>P-CSCF address type (TS 31.103 §4.2.8).</summary>
public enum PcscfAddressType : byte
{
    /// <summary>A fully qualified domain name.</summary>
    Fqdn = 0x00,

    /// <summary>An IPv4 address.</summary>
    IPv4 = 0x01,

    /// <summary>An IPv6 address.</summary>
    IPv6 = 0x02,
}

/// <summary>One EF_P-CSCF record: the address type and the address as text (FQDN or IP literal).</summary>
public sealed record PcscfAddress(PcscfAddressType Type, string Address);

/// <summary>EF_IST, the ISIM service table (TS 31.103 §4.2.7): service n is bit (n−1) mod 8 of byte (n−1) / 8.</summary>
public sealed class IsimServiceTable(ReadOnlyMemory<byte> table)
{
    /// <summary>Service n°1: P-CSCF address.</summary>
    public const int PcscfAddress = 1;

    /// <summary>Service n°2: Generic Bootstrapping Architecture.</summary>
    public const int Gba = 2;

    /// <summary>Service n°3: HTTP Digest.</summary>
    public const int HttpDigest = 3;

    /// <summary>Service n°5: P-CSCF discovery for IMS local break out.</summary>
    public const int PcscfDiscoveryLocalBreakOut = 5;

    /// <summary>Service n°6: Short Message Storage.</summary>
    public const int ShortMessageStorage = 6;

    /// <summary>Service n°8: SM-over-IP.</summary>
    public const int SmOverIp = 8;

    /// <summary>The raw table.</summary>
    public ReadOnlyMemory<byte> Table { get; } = table;

    /// <summary>Whether service <paramref name="serviceNumber"/> (from 1) is available.</summary>
    public bool IsAvailable(int serviceNumber)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(serviceNumber, 1);
        var index = (serviceNumber - 1) / 8;
        return index < Table.Length && (Table.Span[index] & (1 << ((serviceNumber - 1) % 8))) != 0;
    }

    /// <inheritdoc/>
    public override string ToString() => $"IST {Convert.ToHexString(Table.Span)}";
}

/// <summary>Pure decoders of ISIM EF content (TS 31.103 §4.2): values in a data object with tag 80.</summary>
public static class IsimFiles
{
    /// <summary>Tag of the value in EF_IMPI, EF_DOMAIN, EF_IMPU and EF_P-CSCF.</summary>
    public const byte ValueTag = 0x80;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Decodes EF_IMPI, EF_DOMAIN or one EF_IMPU record: <c>80 L UTF-8</c>, then padding. An unused record (FF
    /// or zero length) is <see cref="FileParseError.Empty"/>.
    /// </summary>
    public static FileParseError TryParseText(ReadOnlySpan<byte> content, out string? text)
    {
        text = null;
        var error = ReadValue(content, out var value);
        if (error != FileParseError.None)
        {
            return error;
        }

        return TryDecodeUtf8(value, out text);
    }

    /// <summary>Decodes one EF_P-CSCF record: <c>80 L type address</c>.</summary>
    public static FileParseError TryParsePcscf(ReadOnlySpan<byte> record, out PcscfAddress? address)
    {
        address = null;
        var error = ReadValue(record, out var value);
        if (error != FileParseError.None)
        {
            return error;
        }

        var type = value[0];
        var body = value[1..];
        switch (type)
        {
            case (byte)PcscfAddressType.Fqdn:
                error = TryDecodeUtf8(body, out var fqdn);
                if (error == FileParseError.None)
                {
                    address = new PcscfAddress(PcscfAddressType.Fqdn, fqdn!);
                }

                return error;
            case (byte)PcscfAddressType.IPv4:
                return TryDecodeIp(body, PcscfAddressType.IPv4, AddressFamily.InterNetwork, 4, out address);
            case (byte)PcscfAddressType.IPv6:
                return TryDecodeIp(body, PcscfAddressType.IPv6, AddressFamily.InterNetworkV6, 16, out address);
            default:
                return FileParseError.UnknownAddressType;
        }
    }

    private static FileParseError ReadValue(ReadOnlySpan<byte> content, out ReadOnlySpan<byte> value)
    {
        value = default;
        var reader = new BerTlvReader(content);
        var error = reader.Read(out var tag, out value);
        if (error != FileParseError.None)
        {
            return error;
        }

        if (tag != ValueTag)
        {
            return FileParseError.UnexpectedTag;
        }

        return value.IsEmpty ? FileParseError.Empty : FileParseError.None;
    }

    private static FileParseError TryDecodeUtf8(ReadOnlySpan<byte> value, out string? text)
    {
        text = null;
        if (value.IsEmpty)
        {
            return FileParseError.Empty;
        }

        try
        {
            text = StrictUtf8.GetString(value);
            return FileParseError.None;
        }
        catch (DecoderFallbackException)
        {
            return FileParseError.InvalidUtf8;
        }
    }

    // The address is the binary address of the family (TS 31.103 §4.2.8); some provisioning tools write it as text,
    // and one writes an FF filler byte before an IPv4 address: accept those forms too, and nothing else.
    private static FileParseError TryDecodeIp(ReadOnlySpan<byte> body, PcscfAddressType type, AddressFamily family,
        int binaryLength, out PcscfAddress? address)
    {
        address = null;
        if (body.Length == binaryLength + 1 && body[0] == 0xFF && family == AddressFamily.InterNetwork)
        {
            body = body[1..];
        }

        if (body.Length == binaryLength)
        {
            address = new PcscfAddress(type, new IPAddress(body).ToString());
            return FileParseError.None;
        }

        if (body.Length is > 0 and <= 45 && !body.ContainsAnyExceptInRange((byte)0x20, (byte)0x7E)
            && IPAddress.TryParse(Encoding.ASCII.GetString(body), out var parsed) && parsed.AddressFamily == family)
        {
            address = new PcscfAddress(type, parsed.ToString());
            return FileParseError.None;
        }

        return FileParseError.InvalidAddress;
    }
}
