// SPDX-License-Identifier: MIT
namespace ImUeAgent.Testbed.Modem;

/// <summary>
/// A short command APDU (ISO/IEC 7816-3 §12.1, ETSI TS 102 221 §10.1): CLA INS P1 P2 [Lc data] [Le].
/// Extended lengths are not used by the UICC commands the emulated card answers.
/// </summary>
internal readonly ref struct CommandApdu
{
    public CommandApdu(byte cla, byte ins, byte p1, byte p2, ReadOnlySpan<byte> data, int? le)
    {
        Cla = cla;
        Ins = ins;
        P1 = p1;
        P2 = p2;
        Data = data;
        Le = le;
    }

    public byte Cla { get; }

    public byte Ins { get; }

    public byte P1 { get; }

    public byte P2 { get; }

    public ReadOnlySpan<byte> Data { get; }

    /// <summary>Expected response length: null when absent (case 1/3); 0 means "up to 256" (ISO 7816-4 §5.1).</summary>
    public int? Le { get; }

    /// <summary>Parses a short APDU; false (wrong length, SW 6700) when the bytes fit no case.</summary>
    public static bool TryParse(ReadOnlySpan<byte> bytes, out CommandApdu apdu)
    {
        apdu = default;
        if (bytes.Length < 4)
        {
            return false;
        }

        byte cla = bytes[0], ins = bytes[1], p1 = bytes[2], p2 = bytes[3];
        if (bytes.Length == 4)
        {
            apdu = new CommandApdu(cla, ins, p1, p2, default, null);
            return true;
        }

        if (bytes.Length == 5)
        {
            apdu = new CommandApdu(cla, ins, p1, p2, default, bytes[4]);
            return true;
        }

        var lc = bytes[4];
        if (lc == 0)
        {
            // Lc = 00 followed by more bytes is the extended-length form.
            return false;
        }

        if (bytes.Length == 5 + lc)
        {
            apdu = new CommandApdu(cla, ins, p1, p2, bytes.Slice(5, lc), null);
            return true;
        }

        if (bytes.Length == 6 + lc)
        {
            apdu = new CommandApdu(cla, ins, p1, p2, bytes.Slice(5, lc), bytes[5 + lc]);
            return true;
        }

        return false;
    }
}

/// <summary>Status words the emulated card answers (TS 102 221 §10.2, TS 31.103 §7.3).</summary>
internal static class StatusWords
{
    public const ushort Ok = 0x9000;
    public const ushort EndOfFileReached = 0x6282;
    public const ushort WrongLength = 0x6700;
    public const ushort LogicalChannelNotSupported = 0x6881;
    public const ushort IncompatibleFileStructure = 0x6981;
    public const ushort ConditionsNotSatisfied = 0x6985;
    public const ushort NoCurrentEf = 0x6986;
    public const ushort IncorrectData = 0x6A80;
    public const ushort FunctionNotSupported = 0x6A81;
    public const ushort FileNotFound = 0x6A82;
    public const ushort RecordNotFound = 0x6A83;
    public const ushort IncorrectP1P2 = 0x6A86;
    public const ushort WrongOffset = 0x6B00;
    public const ushort InsNotSupported = 0x6D00;
    public const ushort ClaNotSupported = 0x6E00;

    /// <summary>TS 31.103 §7.1.2.1 / TS 31.102 §7.3.1: AUTHENTICATE with a wrong MAC.</summary>
    public const ushort AuthenticationError = 0x9862;

    /// <summary>61xx: xx more bytes, fetch them with GET RESPONSE (ISO 7816-3 T=0).</summary>
    public const byte MoreDataSw1 = 0x61;

    /// <summary>6Cxx: wrong Le, resend with Le = xx.</summary>
    public const byte WrongLeSw1 = 0x6C;
}
