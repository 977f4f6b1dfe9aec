// SPDX-License-Identifier: MIT
using System.Text;

namespace ImUeAgent.Uicc.Files;

/// <summary>Application kinds this agent cares about, from the AID (TS 31.110 / ETSI TS 101 220 Annex E).</summary>
public enum UiccApplicationKind
{
    /// <summary>Any other application.</summary>
    Other,

    /// <summary>3GPP USIM: AID prefix A0000000871002.</summary>
    Usim,

    /// <summary>3GPP ISIM: AID prefix A0000000871004.</summary>
    Isim,
}

/// <summary>One application listed in EF_DIR: its full AID and label (ETSI TS 102 221 §13.1).</summary>
public sealed class UiccApplication
{
    /// <summary>RID 3GPP (A000000087) and application code 1004: ISIM.</summary>
    public static ReadOnlySpan<byte> IsimAidPrefix => [0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x04];

    /// <summary>RID 3GPP and application code 1002: USIM.</summary>
    public static ReadOnlySpan<byte> UsimAidPrefix => [0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02];

    /// <summary>Application template tag.</summary>
    public const byte ApplicationTemplateTag = 0x61;

    /// <summary>Application identifier tag.</summary>
    public const byte AidTag = 0x4F;

    /// <summary>Application label tag.</summary>
    public const byte LabelTag = 0x50;

    /// <summary>Creates an application entry.</summary>
    public UiccApplication(ReadOnlyMemory<byte> aid, string? label)
    {
        if (aid.Length is < 1 or > 16)
        {
            throw new ArgumentException($"an AID is 1 to 16 bytes, got {aid.Length}", nameof(aid));
        }

        Aid = aid;
        Label = label;
        Kind = aid.Span.StartsWith(IsimAidPrefix) ? UiccApplicationKind.Isim
            : aid.Span.StartsWith(UsimAidPrefix) ? UiccApplicationKind.Usim
            : UiccApplicationKind.Other;
    }

    /// <summary>The full AID (RID, application code, country, provider, provider-specific PIX).</summary>
    public ReadOnlyMemory<byte> Aid { get; }

    /// <summary>The AID in upper-case hex, as +CCHO takes it.</summary>
    public string AidHex => Convert.ToHexString(Aid.Span);

    /// <summary>The application label, when EF_DIR has one.</summary>
    public string? Label { get; }

    /// <summary>ISIM, USIM or other.</summary>
    public UiccApplicationKind Kind { get; }

    /// <summary>
    /// Decodes one EF_DIR record (pure). An unused record (all FF) yields <see cref="FileParseError.Empty"/>.
    /// </summary>
    public static FileParseError TryParseDirectoryRecord(ReadOnlySpan<byte> record, out UiccApplication? application)
    {
        application = null;
        var outer = new BerTlvReader(record);
        var error = outer.Read(out var tag, out var template);
        if (error != FileParseError.None)
        {
            return error;
        }

        if (tag != ApplicationTemplateTag)
        {
            return FileParseError.UnexpectedTag;
        }

        ReadOnlySpan<byte> aid = default;
        ReadOnlySpan<byte> label = default;
        var haveAid = false;
        var reader = new BerTlvReader(template);
        while (!reader.AtEnd)
        {
            error = reader.Read(out tag, out var value);
            if (error != FileParseError.None)
            {
                return error;
            }

            if (tag == AidTag && !haveAid)
            {
                aid = value;
                haveAid = true;
            }
            else if (tag == LabelTag)
            {
                label = value;
            }
        }

        if (!haveAid)
        {
            return FileParseError.MissingAid;
        }

        if (aid.Length is < 1 or > 16)
        {
            return FileParseError.LengthOutOfRange;
        }

        application = new UiccApplication(aid.ToArray(), label.IsEmpty ? null : DecodeLabel(label));
        return FileParseError.None;
    }

    /// <inheritdoc/>
    public override string ToString() => Label is null ? $"{Kind} {AidHex}" : $"{Kind} {AidHex} \"{Label}\"";

    // ETSI TS 102 221 Annex A: '80' introduces UCS2 (big-endian); otherwise the GSM default alphabet with b8 = 0,
    // which matches ASCII for the letters and digits labels use. Unused bytes are FF.
    private static string DecodeLabel(ReadOnlySpan<byte> label)
    {
        var end = label.IndexOf((byte)0xFF);
        if (label[0] == 0x80)
        {
            var ucs2 = label[1..];
            var length = ucs2.Length & ~1;
            for (var i = 0; i + 1 < length; i += 2)
            {
                if (ucs2[i] == 0xFF && ucs2[i + 1] == 0xFF)
                {
                    length = i;
                    break;
                }
            }

            return Encoding.BigEndianUnicode.GetString(ucs2[..length]);
        }

        var text = end >= 0 ? label[..end] : label;
        return string.Create(text.Length, text.ToArray(), static (chars, bytes) =>
        {
            for (var i = 0; i < bytes.Length; i++)
            {
                chars[i] = bytes[i] is >= 0x20 and < 0x7F ? (char)bytes[i] : '?';
            }
        });
    }
}
