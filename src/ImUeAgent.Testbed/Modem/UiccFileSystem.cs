// SPDX-License-Identifier: MIT
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ImUeAgent.Testbed.Modem;

/// <summary>Structure of an elementary file (TS 102 221 §8.2.2).</summary>
internal enum EfStructure
{
    Transparent,
    LinearFixed,
}

/// <summary>An elementary file: its FID, structure and content (bytes, or fixed-length records).</summary>
internal sealed class ElementaryFile
{
    private ElementaryFile(ushort fid, EfStructure structure, byte[] content, IReadOnlyList<byte[]> records, int recordLength)
    {
        Fid = fid;
        Structure = structure;
        Content = content;
        Records = records;
        RecordLength = recordLength;
    }

    public ushort Fid { get; }

    public EfStructure Structure { get; }

    public byte[] Content { get; }

    public IReadOnlyList<byte[]> Records { get; }

    public int RecordLength { get; }

    public int Size => Structure == EfStructure.Transparent ? Content.Length : RecordLength * Records.Count;

    public static ElementaryFile Transparent(ushort fid, byte[] content) =>
        new(fid, EfStructure.Transparent, content, [], 0);

    /// <summary>A linear fixed EF: every record padded with FF to the longest one (TS 102 221 §8.2.2.2).</summary>
    public static ElementaryFile LinearFixed(ushort fid, IReadOnlyList<byte[]> records, int minimumRecordLength = 0)
    {
        var length = Math.Max(minimumRecordLength, records.Count == 0 ? 1 : records.Max(r => r.Length));
        var padded = records.Select(r =>
        {
            var record = new byte[length];
            record.AsSpan().Fill(0xFF);
            r.CopyTo(record, 0);
            return record;
        }).ToArray();
        return new ElementaryFile(fid, EfStructure.LinearFixed, [], padded, length);
    }
}

/// <summary>An application DF (ADF) reached by its AID: the USIM or the ISIM.</summary>
internal sealed class UiccApplication(byte[] aid, string label, IReadOnlyDictionary<ushort, ElementaryFile> files)
{
    public byte[] Aid { get; } = aid;

    public string Label { get; } = label;

    public IReadOnlyDictionary<ushort, ElementaryFile> Files { get; } = files;

    public bool IsIsim => Aid.Length >= 7 && Aid[5] == 0x10 && Aid[6] == 0x04;
}

/// <summary>
/// The card's files built from <see cref="CardSettings"/>: MF with EF_DIR (2F00) and EF_ICCID (2FE2); the USIM ADF
/// with EF_IMSI (6F07) and EF_AD (6FAD); the ISIM ADF with EF_IMPI (6F02), EF_DOMAIN (6F03), EF_IMPU (6F04),
/// EF_AD (6FAD), EF_IST (6F07) and EF_P-CSCF (6F09) (TS 31.102 §4.2, TS 31.103 §4.2).
/// </summary>
internal sealed class UiccFileSystem
{
    public const ushort MasterFile = 0x3F00;
    public const ushort CurrentAdf = 0x7FFF;
    public const ushort EfDir = 0x2F00;
    public const ushort EfIccid = 0x2FE2;
    public const ushort EfImpi = 0x6F02;
    public const ushort EfDomain = 0x6F03;
    public const ushort EfImpu = 0x6F04;
    public const ushort EfIst = 0x6F07;
    public const ushort EfImsi = 0x6F07;
    public const ushort EfPcscf = 0x6F09;
    public const ushort EfAd = 0x6FAD;

    /// <summary>TS 31.103 §4.2.8: address type of a P-CSCF address TLV.</summary>
    private const byte AddressTypeFqdn = 0x00;
    private const byte AddressTypeIpv4 = 0x01;
    private const byte AddressTypeIpv6 = 0x02;

    /// <summary>TS 31.103 §4.2: ISIM EF values are wrapped in a TLV with tag 80.</summary>
    private const byte IsimValueTag = 0x80;

    public UiccFileSystem(CardSettings settings)
    {
        var usim = new UiccApplication(CardSettings.DefaultUsimAid, "USIM", new Dictionary<ushort, ElementaryFile>
        {
            [EfImsi] = ElementaryFile.Transparent(EfImsi, EncodeImsi(settings.Imsi)),
            [EfAd] = ElementaryFile.Transparent(EfAd, [0x00, 0x00, 0x00, (byte)settings.MncDigits]),
        });

        var isimFiles = new Dictionary<ushort, ElementaryFile>
        {
            [EfImpi] = ElementaryFile.Transparent(EfImpi, Tlv(Encoding.UTF8.GetBytes(settings.EffectiveImpi))),
            [EfDomain] = ElementaryFile.Transparent(EfDomain, Tlv(Encoding.UTF8.GetBytes(settings.EffectiveDomain))),
            [EfImpu] = ElementaryFile.LinearFixed(EfImpu,
                settings.EffectiveImpus.Select(u => Tlv(Encoding.UTF8.GetBytes(u))).ToArray()),
            [EfAd] = ElementaryFile.Transparent(EfAd, [0x00, 0x00, 0x00, (byte)settings.MncDigits]),
            // TS 31.103 §4.2.7: IST byte 1 bit 1 = service 1, P-CSCF address.
            [EfIst] = ElementaryFile.Transparent(EfIst, [settings.PcscfOnCard.Count > 0 ? (byte)0x01 : (byte)0x00, 0x00]),
            [EfPcscf] = ElementaryFile.LinearFixed(EfPcscf, settings.PcscfOnCard.Select(EncodePcscf).ToArray()),
        };
        var isim = new UiccApplication(settings.IsimAid, "ISIM", isimFiles);
        Applications = [usim, isim];

        MasterFiles = new Dictionary<ushort, ElementaryFile>
        {
            [EfDir] = ElementaryFile.LinearFixed(EfDir, Applications.Select(EncodeDirRecord).ToArray(), minimumRecordLength: 32),
            [EfIccid] = ElementaryFile.Transparent(EfIccid, Convert.FromHexString("98100000000000000010")),
        };
    }

    public IReadOnlyList<UiccApplication> Applications { get; }

    public IReadOnlyDictionary<ushort, ElementaryFile> MasterFiles { get; }

    /// <summary>
    /// ISO 7816-4 §7.1.1 selection by DF name: a full AID, or a right-truncated one (at least the 5-byte RID plus
    /// the application code) matching the first application that starts with it.
    /// </summary>
    public UiccApplication? FindApplication(ReadOnlySpan<byte> aid)
    {
        if (aid.Length < 5)
        {
            return null;
        }

        foreach (var application in Applications)
        {
            if (application.Aid.AsSpan().StartsWith(aid))
            {
                return application;
            }
        }

        return null;
    }

    /// <summary>TS 102 221 §13.1: EF_DIR record = 61 L { 4F L AID, 50 L label }.</summary>
    private static byte[] EncodeDirRecord(UiccApplication application)
    {
        var label = Encoding.ASCII.GetBytes(application.Label);
        var inner = new List<byte> { 0x4F, (byte)application.Aid.Length };
        inner.AddRange(application.Aid);
        inner.Add(0x50);
        inner.Add((byte)label.Length);
        inner.AddRange(label);
        return [0x61, (byte)inner.Count, .. inner];
    }

    private static byte[] Tlv(byte[] value)
    {
        if (value.Length > 255)
        {
            throw new ArgumentException("an ISIM value longer than 255 bytes does not fit one TLV", nameof(value));
        }

        // One-byte length up to 127, 81 xx above (BER-TLV, TS 102 221 Annex D).
        return value.Length <= 127
            ? [IsimValueTag, (byte)value.Length, .. value]
            : [IsimValueTag, 0x81, (byte)value.Length, .. value];
    }

    /// <summary>TS 31.103 §4.2.8: 80 L { address type, address } — FQDN as text, IPv4/IPv6 as network-order bytes.</summary>
    private static byte[] EncodePcscf(string address)
    {
        if (IPAddress.TryParse(address, out var ip))
        {
            var type = ip.AddressFamily == AddressFamily.InterNetworkV6 ? AddressTypeIpv6 : AddressTypeIpv4;
            return Tlv([type, .. ip.GetAddressBytes()]);
        }

        return Tlv([AddressTypeFqdn, .. Encoding.UTF8.GetBytes(address)]);
    }

    /// <summary>TS 31.102 §4.2.2: length byte, then BCD digits with the parity nibble first (odd = 9, even = 1).</summary>
    internal static byte[] EncodeImsi(string imsi)
    {
        var nibbles = new List<int> { imsi.Length % 2 == 1 ? 0x9 : 0x1 };
        nibbles.AddRange(imsi.Select(c => c - '0'));
        if (nibbles.Count % 2 == 1)
        {
            nibbles.Add(0xF);
        }

        var bytes = new byte[9];
        bytes.AsSpan().Fill(0xFF);
        bytes[0] = (byte)(nibbles.Count / 2);
        for (var i = 0; i < nibbles.Count; i += 2)
        {
            bytes[1 + (i / 2)] = (byte)((nibbles[i + 1] << 4) | nibbles[i]);
        }

        return bytes;
    }
}
