// SPDX-License-Identifier: MIT
namespace ImUeAgent.Uicc.Files;

/// <summary>EF structure from the file descriptor byte (ETSI TS 102 221 §11.1.1.4.3).</summary>
public enum FileStructure
{
    /// <summary>Not an EF, or a structure not used here.</summary>
    Unknown,

    /// <summary>Transparent EF: read with READ BINARY.</summary>
    Transparent,

    /// <summary>Linear fixed EF: records of one length, read with READ RECORD.</summary>
    LinearFixed,

    /// <summary>Cyclic EF.</summary>
    Cyclic,
}

/// <summary>
/// What the procedures need from the FCP template a SELECT returns (ETSI TS 102 221 §11.1.1.3): file structure,
/// record length and count (tag 82), file size (tag 80).
/// </summary>
public sealed record FileControlParameters(FileStructure Structure, int? FileSize, int? RecordLength, int? RecordCount)
{
    /// <summary>FCP template tag.</summary>
    public const byte FcpTemplateTag = 0x62;

    /// <summary>Decodes an FCP template (pure).</summary>
    public static FileParseError TryParse(ReadOnlySpan<byte> data, out FileControlParameters? fcp)
    {
        fcp = null;
        var outer = new BerTlvReader(data);
        var error = outer.Read(out var tag, out var template);
        if (error != FileParseError.None)
        {
            return error;
        }

        if (tag != FcpTemplateTag)
        {
            return FileParseError.UnexpectedTag;
        }

        var structure = FileStructure.Unknown;
        int? fileSize = null;
        int? recordLength = null;
        int? recordCount = null;
        var reader = new BerTlvReader(template);
        while (!reader.AtEnd)
        {
            error = reader.Read(out tag, out var value);
            if (error != FileParseError.None)
            {
                return error;
            }

            switch (tag)
            {
                case 0x82:
                    if (value.Length < 2)
                    {
                        return FileParseError.LengthOutOfRange;
                    }

                    structure = DecodeStructure(value[0]);
                    if (structure is FileStructure.LinearFixed or FileStructure.Cyclic)
                    {
                        if (value.Length < 5)
                        {
                            return FileParseError.LengthOutOfRange;
                        }

                        recordLength = (value[2] << 8) | value[3];
                        recordCount = value[4];
                    }

                    break;
                case 0x80:
                    if (value.Length is < 1 or > 4)
                    {
                        return FileParseError.LengthOutOfRange;
                    }

                    var size = 0L;
                    foreach (var b in value)
                    {
                        size = (size << 8) | b;
                    }

                    fileSize = (int)Math.Min(size, int.MaxValue);
                    break;
            }
        }

        fcp = new FileControlParameters(structure, fileSize, recordLength, recordCount);
        return FileParseError.None;
    }

    private static FileStructure DecodeStructure(byte descriptor)
    {
        // b8 = 0 and b6-b4 = 000 (working EF) or 001 (internal EF); '38'/'78' mark a DF or ADF.
        if ((descriptor & 0x80) != 0 || (descriptor & 0x38) == 0x38)
        {
            return FileStructure.Unknown;
        }

        return (descriptor & 0x07) switch
        {
            0x01 => FileStructure.Transparent,
            0x02 => FileStructure.LinearFixed,
            0x06 => FileStructure.Cyclic,
            _ => FileStructure.Unknown,
        };
    }
}
