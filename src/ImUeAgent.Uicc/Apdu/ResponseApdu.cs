// SPDX-License-Identifier: MIT
using System.Buffers.Binary;

namespace ImUeAgent.Uicc.Apdu;

/// <summary>A response APDU: response data followed by the status bytes SW1 SW2 (ISO/IEC 7816-4 §5.1).</summary>
public readonly struct ResponseApdu
{
    /// <summary>Creates a response from its data and status word.</summary>
    public ResponseApdu(ReadOnlyMemory<byte> data, ushort statusWord)
    {
        Data = data;
        StatusWord = statusWord;
    }

    /// <summary>The response data, without SW1 SW2.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>SW1SW2 as one number (SW1 in the high byte).</summary>
    public ushort StatusWord { get; }

    /// <summary>SW1.</summary>
    public byte Sw1 => (byte)(StatusWord >> 8);

    /// <summary>SW2.</summary>
    public byte Sw2 => (byte)StatusWord;

    /// <summary>The class of the status word.</summary>
    public StatusWordKind Kind => StatusWords.Classify(StatusWord);

    /// <summary>True for 90 00 and 91 xx.</summary>
    public bool IsSuccess => StatusWords.IsSuccess(Kind);

    /// <summary>
    /// Splits raw response bytes into data and SW1 SW2. False when fewer than two bytes came (no status word).
    /// The data aliases <paramref name="raw"/>.
    /// </summary>
    public static bool TryParse(ReadOnlyMemory<byte> raw, out ResponseApdu response)
    {
        if (raw.Length < 2)
        {
            response = default;
            return false;
        }

        var statusWord = BinaryPrimitives.ReadUInt16BigEndian(raw.Span[^2..]);
        response = new ResponseApdu(raw[..^2], statusWord);
        return true;
    }

    /// <summary>Data length and status word only: response data may be secret (RES, CK, IK).</summary>
    public override string ToString() => $"{Data.Length} data bytes, SW {StatusWords.Format(StatusWord)}";
}
