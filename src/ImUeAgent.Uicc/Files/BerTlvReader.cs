// SPDX-License-Identifier: MIT
namespace ImUeAgent.Uicc.Files;

/// <summary>
/// Reads BER-TLV data objects (ETSI TS 102 221 §11.1.1.3 FCP, §13.1 EF_DIR, TS 31.103 §4.2 EFs) from a span.
/// Tags of one or more bytes, lengths in the 1-byte, 81 xx and 82 xx xx forms. A byte FF where a tag would start
/// is padding (unused space of a record or file) and ends the data.
/// </summary>
internal ref struct BerTlvReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    /// <summary>Offset of the next data object, for error messages.</summary>
    public readonly int Position => _position;

    /// <summary>True when nothing but padding (or nothing) is left.</summary>
    public readonly bool AtEnd => _position >= _data.Length || _data[_position] == 0xFF;

    /// <summary>Reads the next data object; at the end returns <see cref="FileParseError.Empty"/>.</summary>
    public FileParseError Read(out int tag, out ReadOnlySpan<byte> value)
    {
        tag = 0;
        value = default;
        if (AtEnd)
        {
            return FileParseError.Empty;
        }

        var position = _position;
        tag = _data[position++];
        if ((tag & 0x1F) == 0x1F)
        {
            // ISO/IEC 8825-1 §8.1.2.4: subsequent tag bytes while b8 = 1; three tag bytes at most here.
            do
            {
                if (position >= _data.Length)
                {
                    return FileParseError.Truncated;
                }

                if (tag > 0xFFFF)
                {
                    return FileParseError.LengthFormInvalid;
                }

                tag = (tag << 8) | _data[position];
            }
            while ((_data[position++] & 0x80) != 0);
        }

        if (position >= _data.Length)
        {
            return FileParseError.Truncated;
        }

        int length = _data[position++];
        if (length == 0x81 || length == 0x82)
        {
            var count = length - 0x80;
            if (_data.Length - position < count)
            {
                return FileParseError.Truncated;
            }

            length = count == 1 ? _data[position] : (_data[position] << 8) | _data[position + 1];
            position += count;
        }
        else if (length > 0x7F)
        {
            return FileParseError.LengthFormInvalid;
        }

        if (_data.Length - position < length)
        {
            return FileParseError.Truncated;
        }

        value = _data.Slice(position, length);
        _position = position + length;
        return FileParseError.None;
    }

    /// <summary>Finds the first data object with <paramref name="wanted"/> among the remaining ones.</summary>
    public FileParseError Find(int wanted, out ReadOnlySpan<byte> value)
    {
        while (true)
        {
            var error = Read(out var tag, out value);
            if (error != FileParseError.None || tag == wanted)
            {
                return error;
            }
        }
    }
}
